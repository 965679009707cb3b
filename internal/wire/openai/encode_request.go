package openai

import (
	"github.com/tollgate-gw/tollgate/internal/llm"
)

// RequestOptions adjust how a request is encoded for an upstream.
type RequestOptions struct {
	// Model replaces req.Model: the upstream's model id, not the gateway's
	// model group name.
	Model string
	// IncludeUsage asks the upstream for a usage chunk on streams even when
	// the client did not, so the gateway can account for every call.
	IncludeUsage bool
	// Drop names parameters to leave out (the caller decided to drop them
	// under drop_params).
	Drop map[string]bool
}

// EncodeChatRequest encodes req as an OpenAI chat completions request body
// for an upstream. Gateway controls are never included; Extra fields are
// spliced in verbatim.
func EncodeChatRequest(req *llm.Request, opts RequestOptions) []byte {
	e := enc{b: make([]byte, 0, 512)}
	e.open()
	model := opts.Model
	if model == "" {
		model = req.Model
	}
	e.str("model", model)
	e.arr("messages")
	for i := range req.Messages {
		e.elem()
		encodeMessage(&e, &req.Messages[i])
	}
	e.endArr()
	keep := func(name string) bool { return !opts.Drop[name] }
	if len(req.Tools) > 0 && keep("tools") {
		e.arr("tools")
		for i := range req.Tools {
			t := &req.Tools[i]
			e.elem()
			e.open()
			e.str("type", "function")
			e.obj("function")
			e.str("name", t.Name)
			e.strOpt("description", t.Description)
			e.rawOpt("parameters", t.Parameters)
			e.boolPtr("strict", t.Strict)
			e.close()
			e.rawOpt("cache_control", t.CacheControl)
			e.close()
		}
		e.endArr()
	}
	if tc := req.ToolChoice; tc != nil && keep("tool_choice") {
		if tc.Mode == "function" {
			e.obj("tool_choice")
			e.str("type", "function")
			e.obj("function")
			e.str("name", tc.Function)
			e.close()
			e.close()
		} else {
			e.str("tool_choice", tc.Mode)
		}
	}
	if keep("parallel_tool_calls") {
		e.boolPtr("parallel_tool_calls", req.ParallelToolCalls)
	}
	if rf := req.ResponseFormat; rf != nil && keep("response_format") {
		e.obj("response_format")
		e.str("type", rf.Type)
		e.rawOpt("json_schema", rf.JSONSchema)
		e.close()
	}
	if keep("max_tokens") {
		e.intPtr("max_tokens", req.MaxTokens)
	}
	if keep("max_completion_tokens") {
		e.intPtr("max_completion_tokens", req.MaxCompletionTokens)
	}
	if keep("temperature") {
		e.floatPtr("temperature", req.Temperature)
	}
	if keep("top_p") {
		e.floatPtr("top_p", req.TopP)
	}
	if len(req.Stop) > 0 && keep("stop") {
		e.arr("stop")
		for _, s := range req.Stop {
			e.elem()
			e.b = appendString(e.b, s)
		}
		e.endArr()
	}
	if keep("n") {
		e.intPtr("n", req.N)
	}
	if req.Seed != nil && keep("seed") {
		e.int("seed", *req.Seed)
	}
	if keep("presence_penalty") {
		e.floatPtr("presence_penalty", req.PresencePenalty)
	}
	if keep("frequency_penalty") {
		e.floatPtr("frequency_penalty", req.FrequencyPenalty)
	}
	if keep("logprobs") {
		e.boolPtr("logprobs", req.Logprobs)
	}
	if keep("top_logprobs") {
		e.intPtr("top_logprobs", req.TopLogprobs)
	}
	if keep("logit_bias") {
		e.rawOpt("logit_bias", req.LogitBias)
	}
	if keep("reasoning_effort") {
		e.strOpt("reasoning_effort", req.ReasoningEffort)
	}
	if keep("user") {
		e.strOpt("user", req.User)
	}
	if req.Stream {
		e.bool("stream", true)
		if req.IncludeUsage || opts.IncludeUsage {
			e.obj("stream_options")
			e.bool("include_usage", true)
			e.close()
		}
	}
	for _, f := range req.Extra {
		if keep(f.Name) {
			e.raw(f.Name, f.Value)
		}
	}
	e.close()
	return e.b
}

func encodeMessage(e *enc, m *llm.Message) {
	e.open()
	e.str("role", string(m.Role))
	switch {
	case m.StringContent || (len(m.Content) == 1 && m.Content[0].Type == llm.PartText && m.Content[0].CacheControl == nil):
		e.str("content", m.Text())
	case len(m.Content) > 0:
		e.arr("content")
		for i := range m.Content {
			// OpenAI has no standalone cache-point part; a cache point
			// travels as the preceding part's cache_control.
			if m.Content[i].Type == llm.PartCachePoint {
				continue
			}
			e.elem()
			encodePart(e, &m.Content[i])
		}
		e.endArr()
	case len(m.ToolCalls) > 0 || m.Role == llm.RoleAssistant:
		e.raw("content", []byte("null"))
	default:
		e.str("content", "")
	}
	e.strOpt("name", m.Name)
	if len(m.ToolCalls) > 0 {
		e.arr("tool_calls")
		for i := range m.ToolCalls {
			e.elem()
			encodeToolCall(e, &m.ToolCalls[i])
		}
		e.endArr()
	}
	e.strOpt("tool_call_id", m.ToolCallID)
	e.strOpt("refusal", m.Refusal)
	if m.Reasoning != nil && m.Reasoning.Text != "" {
		e.str("reasoning_content", m.Reasoning.Text)
	}
	for _, f := range m.Extra {
		e.raw(f.Name, f.Value)
	}
	e.close()
}

func encodeToolCall(e *enc, tc *llm.ToolCall) {
	e.open()
	e.str("id", tc.ID)
	e.str("type", "function")
	e.obj("function")
	e.str("name", tc.Name)
	e.str("arguments", tc.Arguments)
	e.close()
	e.close()
}

func encodePart(e *enc, p *llm.Part) {
	e.open()
	switch p.Type {
	case llm.PartText:
		e.str("type", "text")
		e.str("text", p.Text)
	case llm.PartImage:
		e.str("type", "image_url")
		e.obj("image_url")
		e.str("url", p.Image.URLString())
		e.strOpt("detail", p.Image.Detail)
		e.close()
	case llm.PartAudio:
		e.str("type", "input_audio")
		e.obj("input_audio")
		e.str("data", string(p.Audio.Data))
		e.str("format", p.Audio.Format)
		e.close()
	case llm.PartDocument:
		e.str("type", "file")
		e.obj("file")
		if p.Document.FileID != "" {
			e.str("file_id", p.Document.FileID)
		} else {
			e.str("file_data", documentData(p.Document))
		}
		e.strOpt("filename", p.Document.Name)
		e.close()
	}
	e.rawOpt("cache_control", p.CacheControl)
	e.close()
}

// documentData renders a document as the data URL OpenAI's file part takes.
func documentData(d *llm.Document) string {
	if len(d.Data) > 5 && string(d.Data[:5]) == "data:" {
		return string(d.Data)
	}
	mt := d.MediaType
	if mt == "" {
		mt = mediaTypeForFormat(d.Format)
	}
	im := llm.Image{Data: d.Data, MediaType: mt}
	return im.URLString()
}

func mediaTypeForFormat(f string) string {
	switch f {
	case "pdf":
		return "application/pdf"
	case "csv":
		return "text/csv"
	case "html":
		return "text/html"
	case "txt":
		return "text/plain"
	case "md":
		return "text/markdown"
	case "doc":
		return "application/msword"
	case "docx":
		return "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
	case "xls":
		return "application/vnd.ms-excel"
	case "xlsx":
		return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
	}
	return "application/octet-stream"
}
