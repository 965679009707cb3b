package openai

import (
	"encoding/json"
	"fmt"

	"github.com/tollgate-gw/tollgate/internal/llm"
)

// DecodeImageRequest decodes an images/generations request body.
func DecodeImageRequest(data []byte) (*llm.ImageRequest, error) {
	if err := checkJSON(data); err != nil {
		return nil, err
	}
	req := &llm.ImageRequest{}
	err := eachMember(data, "", func(k string, v []byte) error {
		var err error
		switch k {
		case "model":
			req.Model, err = decodeString(k, v)
		case "prompt":
			req.Prompt, err = decodeString(k, v)
		case "n":
			req.N, err = decodeInt(k, v)
		case "size":
			req.Size, err = decodeString(k, v)
		case "quality":
			req.Quality, err = decodeString(k, v)
		case "style":
			req.Style, err = decodeString(k, v)
		case "response_format":
			req.ResponseFormat, err = decodeString(k, v)
		case "user":
			req.User, err = decodeString(k, v)
		default:
			var handled bool
			handled, err = decodeGatewayField(&req.Gateway, k, v)
			if !handled {
				req.Extra = append(req.Extra, llm.Field{Name: k, Value: v})
			}
		}
		return err
	})
	if err != nil {
		return nil, err
	}
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
	e := enc{b: make([]byte, 0, 256)}
	e.open()
	model := opts.Model
	if model == "" {
		model = req.Model
	}
	e.str("model", model)
	e.str("prompt", req.Prompt)
	e.intPtr("n", req.N)
	e.strOpt("size", req.Size)
	e.strOpt("quality", req.Quality)
	e.strOpt("style", req.Style)
	e.strOpt("response_format", req.ResponseFormat)
	e.strOpt("user", req.User)
	for _, f := range req.Extra {
		if !opts.Drop[f.Name] {
			e.raw(f.Name, f.Value)
		}
	}
	e.close()
	return e.b
}

// DecodeImageResponse decodes an upstream images response.
func DecodeImageResponse(data []byte) (*llm.ImageResponse, error) {
	var w struct {
		Created int64 `json:"created"`
		Data    []struct {
			URL           string `json:"url"`
			B64JSON       string `json:"b64_json"`
			RevisedPrompt string `json:"revised_prompt"`
		} `json:"data"`
		Usage *struct {
			InputTokens  int `json:"input_tokens"`
			OutputTokens int `json:"output_tokens"`
			TotalTokens  int `json:"total_tokens"`
		} `json:"usage"`
	}
	if err := json.Unmarshal(data, &w); err != nil {
		return nil, fmt.Errorf("decoding image response: %w", err)
	}
	resp := &llm.ImageResponse{Created: w.Created}
	for _, d := range w.Data {
		resp.Images = append(resp.Images, llm.GeneratedImage{URL: d.URL, B64JSON: d.B64JSON, RevisedPrompt: d.RevisedPrompt})
	}
	if w.Usage != nil {
		resp.Usage = &llm.Usage{PromptTokens: w.Usage.InputTokens, CompletionTokens: w.Usage.OutputTokens, TotalTokens: w.Usage.TotalTokens}
	}
	return resp, nil
}

// EncodeImageResponse encodes resp as an OpenAI images response.
func EncodeImageResponse(resp *llm.ImageResponse) []byte {
	e := enc{b: make([]byte, 0, 256)}
	e.open()
	e.int("created", resp.Created)
	e.arr("data")
	for i := range resp.Images {
		im := &resp.Images[i]
		e.elem()
		e.open()
		e.strOpt("url", im.URL)
		e.strOpt("b64_json", im.B64JSON)
		e.strOpt("revised_prompt", im.RevisedPrompt)
		e.close()
	}
	e.endArr()
	if u := resp.Usage; u != nil {
		e.obj("usage")
		e.int("input_tokens", int64(u.PromptTokens))
		e.int("output_tokens", int64(u.CompletionTokens))
		e.int("total_tokens", int64(u.PromptTokens+u.CompletionTokens))
		e.close()
	}
	e.close()
	return e.b
}
