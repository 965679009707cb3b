package llm

import "encoding/json"

// EmbeddingRequest is one embeddings call.
type EmbeddingRequest struct {
	Model string
	// Input is the list of inputs; a single string arrives as one element.
	Input []string
	// InputTokens holds pre-tokenized inputs (arrays of token ids), verbatim,
	// when the client sent those instead of strings.
	InputTokens json.RawMessage
	// SingleInput records that the client sent one string, not an array.
	SingleInput    bool
	EncodingFormat string // float (default) or base64
	Dimensions     *int
	User           string
	Extra          []Field
	Gateway        GatewayOptions
}

// EmbeddingResponse holds one vector per input, in input order.
type EmbeddingResponse struct {
	Model   string
	Vectors [][]float32
	Usage   *Usage
}

// ImageRequest is one image-generation call.
type ImageRequest struct {
	Model          string
	Prompt         string
	N              *int
	Size           string // e.g. 1024x1024
	Quality        string
	Style          string
	ResponseFormat string // url or b64_json
	User           string
	Extra          []Field
	Gateway        GatewayOptions
}

// ImageResponse holds generated images.
type ImageResponse struct {
	Created int64
	Images  []GeneratedImage
	Usage   *Usage
}

// GeneratedImage is one image, by URL or as base64 data.
type GeneratedImage struct {
	URL           string
	B64JSON       string
	RevisedPrompt string
}
