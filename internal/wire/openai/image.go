package openai

import (
	"fmt"

	"github.com/tollgate-gw/tollgate/internal/llm"
	"github.com/tollgate-gw/tollgate/internal/wire/rawjson"
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
	e := rawjson.Builder(make([]byte, 0, 256))
	e.OpenObject()
	model := opts.Model
	if model == "" {
		model = req.Model
	}
	e.Str("model", model)
	e.Str("prompt", req.Prompt)
	if opts.keep("n") {
		e.IntPtr("n", req.N)
	}
	for _, p := range [...]struct{ name, value string }{
		{"size", req.Size}, {"quality", req.Quality}, {"style", req.Style},
		{"response_format", req.ResponseFormat}, {"user", req.User},
	} {
		if opts.keep(p.name) {
			e.StrOpt(p.name, p.value)
		}
	}
	appendExtra(&e, req.Extra, opts)
	e.CloseObject()
	return e
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
	e := rawjson.Builder(make([]byte, 0, 256))
	e.OpenObject()
	e.Int("created", resp.Created)
	e.Arr("data")
	for i := range resp.Images {
		im := &resp.Images[i]
		e.Elem()
		e.OpenObject()
		e.StrOpt("url", im.URL)
		e.StrOpt("b64_json", im.B64JSON)
		e.StrOpt("revised_prompt", im.RevisedPrompt)
		e.CloseObject()
	}
	e.CloseArray()
	if u := resp.Usage; u != nil {
		e.Obj("usage")
		e.Int("input_tokens", int64(u.PromptTokens))
		e.Int("output_tokens", int64(u.CompletionTokens))
		e.Int("total_tokens", int64(u.PromptTokens+u.CompletionTokens))
		e.CloseObject()
	}
	e.CloseObject()
	return e
}
