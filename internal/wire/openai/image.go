package openai

import (
	"cmp"
	"fmt"

	"github.com/tollgate-gw/tollgate/internal/llm"
)

// DecodeImageRequest decodes an images/generations request body.
func DecodeImageRequest(data []byte) (*llm.ImageRequest, error) {
	var w ImageRequest
	if err := unmarshal("", data, &w); err != nil {
		return nil, err
	}
	req := &llm.ImageRequest{Model: w.Model, Prompt: w.Prompt, N: w.N.ptr(), Size: w.Size, Quality: w.Quality,
		Style: w.Style, ResponseFormat: w.ResponseFormat, User: w.User}
	if err := w.GatewayFields.apply(&req.Gateway); err != nil {
		return nil, err
	}
	req.Extra = appendFields(nil, w.Unknown, false)
	if req.Model == "" {
		return nil, &DecodeError{Field: "model", Msg: "required: name the image model (see GET /v1/models)"}
	}
	if req.Prompt == "" {
		return nil, &DecodeError{Field: "prompt", Msg: "required: describe the image to generate"}
	}
	switch req.ResponseFormat {
	case "", "url", "b64_json":
	default:
		return nil, &DecodeError{Field: "response_format", Msg: fmt.Sprintf("unknown value %q: use url or b64_json", req.ResponseFormat)}
	}
	if req.N != nil && (*req.N < 1 || *req.N > 10) {
		return nil, &DecodeError{Field: "n", Msg: "must be between 1 and 10"}
	}
	return req, nil
}

// EncodeImageRequest encodes req for an OpenAI-compatible upstream.
func EncodeImageRequest(req *llm.ImageRequest, opts RequestOptions) []byte {
	w := ImageRequest{Model: cmp.Or(opts.Model, req.Model), Prompt: req.Prompt}
	if opts.keep("n") {
		w.N = intPtr(req.N)
	}
	for _, p := range [...]struct {
		name string
		dst  *string
		v    string
	}{
		{"size", &w.Size, req.Size}, {"quality", &w.Quality, req.Quality}, {"style", &w.Style, req.Style},
		{"response_format", &w.ResponseFormat, req.ResponseFormat}, {"user", &w.User, req.User},
	} {
		if opts.keep(p.name) {
			*p.dst = p.v
		}
	}
	w.Unknown = extraObject(req.Extra, opts)
	return appendJSON(make([]byte, 0, 256), &w)
}

// DecodeImageResponse decodes an upstream images response.
func DecodeImageResponse(data []byte) (*llm.ImageResponse, error) {
	var w ImageResponse
	if err := unmarshal("", data, &w); err != nil {
		return nil, fmt.Errorf("decoding image response: %w", err)
	}
	resp := &llm.ImageResponse{Created: w.Created}
	for _, d := range w.Data {
		resp.Images = append(resp.Images, llm.GeneratedImage{URL: d.URL, B64JSON: d.B64JSON, RevisedPrompt: d.RevisedPrompt})
	}
	if u := w.Usage; u != nil {
		resp.Usage = &llm.Usage{PromptTokens: int(u.InputTokens), CompletionTokens: int(u.OutputTokens), TotalTokens: int(u.TotalTokens)}
	}
	return resp, nil
}

// EncodeImageResponse encodes resp as an OpenAI images response.
func EncodeImageResponse(resp *llm.ImageResponse) []byte {
	w := ImageResponse{Created: resp.Created, Data: make([]GeneratedImage, len(resp.Images))}
	for i, im := range resp.Images {
		w.Data[i] = GeneratedImage{URL: im.URL, B64JSON: im.B64JSON, RevisedPrompt: im.RevisedPrompt}
	}
	if u := resp.Usage; u != nil {
		w.Usage = &ImageUsage{InputTokens: Int(u.PromptTokens), OutputTokens: Int(u.CompletionTokens), TotalTokens: Int(u.PromptTokens + u.CompletionTokens)}
	}
	return appendJSON(make([]byte, 0, 256), &w)
}
