package openai

import (
	"github.com/go-json-experiment/json/jsontext"
	"github.com/tollgate-gw/tollgate/internal/llm"
	"github.com/tollgate-gw/tollgate/internal/wire/rawjson"
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

// keep reports whether a parameter goes upstream (the caller did not drop it).
func (o RequestOptions) keep(name string) bool { return !o.Drop[name] }

// appendExtra splices the client's passthrough fields that were not dropped
// into a hand-written chat request (extraObject is the same for wire structs).
func appendExtra(e *rawjson.Builder, extra []llm.Field, o RequestOptions) {
	for _, f := range extra {
		if o.keep(f.Name) {
			e.Raw(f.Name, f.Value)
		}
	}
}

// extraObject returns the client's passthrough fields that were not
// dropped as one JSON object, for a wire struct's embedded fallback; nil
// when there are none.
func extraObject(extra []llm.Field, o RequestOptions) jsontext.Value {
	var obj jsontext.Value
	for _, f := range extra {
		if !o.keep(f.Name) {
			continue
		}
		obj = append(obj, ',')
		obj, _ = jsontext.AppendQuote(obj, f.Name)
		obj = append(append(obj, ':'), f.Value...)
	}
	if obj == nil {
		return nil
	}
	obj[0] = '{'
	return append(obj, '}')
}

// EncodeChatRequest encodes req as an OpenAI chat completions request body
// for an upstream. Gateway controls are never included; Extra fields are
// spliced in verbatim.
func EncodeChatRequest(req *llm.Request, opts RequestOptions) []byte {
	e := rawjson.Builder(make([]byte, 0, 512))
	e.OpenObject()
	model := opts.Model
	if model == "" {
		model = req.Model
	}
	e.Str("model", model)
	e.Arr("messages")
	for i := range req.Messages {
		e.Elem()
		encodeMessage(&e, &req.Messages[i])
	}
	e.CloseArray()
	keep := opts.keep
	if len(req.Tools) > 0 && keep("tools") {
		e.Arr("tools")
		for i := range req.Tools {
			t := &req.Tools[i]
			e.Elem()
			e.OpenObject()
			e.Str("type", "function")
			e.Obj("function")
			e.Str("name", t.Name)
			e.StrOpt("description", t.Description)
			e.RawOpt("parameters", t.Parameters)
			e.BoolPtr("strict", t.Strict)
			e.CloseObject()
			e.RawOpt("cache_control", t.CacheControl)
			e.CloseObject()
		}
		e.CloseArray()
	}
	if tc := req.ToolChoice; tc != nil && keep("tool_choice") {
		if tc.Mode == "function" {
			e.Obj("tool_choice")
			e.Str("type", "function")
			e.Obj("function")
			e.Str("name", tc.Function)
			e.CloseObject()
			e.CloseObject()
		} else {
			e.Str("tool_choice", tc.Mode)
		}
	}
	if keep("parallel_tool_calls") {
		e.BoolPtr("parallel_tool_calls", req.ParallelToolCalls)
	}
	if rf := req.ResponseFormat; rf != nil && keep("response_format") {
		e.Obj("response_format")
		e.Str("type", rf.Type)
		e.RawOpt("json_schema", rf.JSONSchema)
		e.CloseObject()
	}
	if keep("max_tokens") {
		e.IntPtr("max_tokens", req.MaxTokens)
	}
	if keep("max_completion_tokens") {
		e.IntPtr("max_completion_tokens", req.MaxCompletionTokens)
	}
	if keep("temperature") {
		e.FloatPtr("temperature", req.Temperature)
	}
	if keep("top_p") {
		e.FloatPtr("top_p", req.TopP)
	}
	if len(req.Stop) > 0 && keep("stop") {
		e.Arr("stop")
		for _, s := range req.Stop {
			e.Elem()
			e = rawjson.AppendString(e, s)
		}
		e.CloseArray()
	}
	if keep("n") {
		e.IntPtr("n", req.N)
	}
	if req.Seed != nil && keep("seed") {
		e.Int("seed", *req.Seed)
	}
	if keep("presence_penalty") {
		e.FloatPtr("presence_penalty", req.PresencePenalty)
	}
	if keep("frequency_penalty") {
		e.FloatPtr("frequency_penalty", req.FrequencyPenalty)
	}
	if keep("logprobs") {
		e.BoolPtr("logprobs", req.Logprobs)
	}
	if keep("top_logprobs") {
		e.IntPtr("top_logprobs", req.TopLogprobs)
	}
	if keep("logit_bias") {
		e.RawOpt("logit_bias", req.LogitBias)
	}
	if keep("reasoning_effort") {
		e.StrOpt("reasoning_effort", req.ReasoningEffort)
	}
	if keep("user") {
		e.StrOpt("user", req.User)
	}
	if req.Stream {
		e.Bool("stream", true)
		if req.IncludeUsage || opts.IncludeUsage {
			e.Obj("stream_options")
			e.Bool("include_usage", true)
			e.CloseObject()
		}
	}
	appendExtra(&e, req.Extra, opts)
	e.CloseObject()
	return e
}

func encodeMessage(e *rawjson.Builder, m *llm.Message) {
	e.OpenObject()
	e.Str("role", string(m.Role))
	switch {
	case m.StringContent || (len(m.Content) == 1 && m.Content[0].Type == llm.PartText && m.Content[0].CacheControl == nil):
		e.Str("content", m.Text())
	case len(m.Content) > 0:
		e.Arr("content")
		for i := range m.Content {
			// OpenAI has no standalone cache-point part; a cache point
			// travels as the preceding part's cache_control.
			if m.Content[i].Type == llm.PartCachePoint {
				continue
			}
			e.Elem()
			encodePart(e, &m.Content[i])
		}
		e.CloseArray()
	case len(m.ToolCalls) > 0 || m.Role == llm.RoleAssistant:
		e.Null("content")
	default:
		e.Str("content", "")
	}
	e.StrOpt("name", m.Name)
	if len(m.ToolCalls) > 0 {
		e.Arr("tool_calls")
		for i := range m.ToolCalls {
			e.Elem()
			encodeToolCall(e, &m.ToolCalls[i])
		}
		e.CloseArray()
	}
	e.StrOpt("tool_call_id", m.ToolCallID)
	e.StrOpt("refusal", m.Refusal)
	if m.Reasoning != nil && m.Reasoning.Text != "" {
		e.Str("reasoning_content", m.Reasoning.Text)
	}
	for _, f := range m.Extra {
		e.Raw(f.Name, f.Value)
	}
	e.CloseObject()
}

func encodeToolCall(e *rawjson.Builder, tc *llm.ToolCall) {
	e.OpenObject()
	e.Str("id", tc.ID)
	e.Str("type", "function")
	e.Obj("function")
	e.Str("name", tc.Name)
	e.Str("arguments", tc.Arguments)
	e.CloseObject()
	e.CloseObject()
}

func encodePart(e *rawjson.Builder, p *llm.Part) {
	e.OpenObject()
	switch p.Type {
	case llm.PartText:
		e.Str("type", "text")
		e.Str("text", p.Text)
	case llm.PartImage:
		e.Str("type", "image_url")
		e.Obj("image_url")
		e.Str("url", p.Image.URLString())
		e.StrOpt("detail", p.Image.Detail)
		e.CloseObject()
	case llm.PartAudio:
		e.Str("type", "input_audio")
		e.Obj("input_audio")
		e.Str("data", string(p.Audio.Data))
		e.Str("format", p.Audio.Format)
		e.CloseObject()
	case llm.PartDocument:
		e.Str("type", "file")
		e.Obj("file")
		if p.Document.FileID != "" {
			e.Str("file_id", p.Document.FileID)
		} else {
			e.Str("file_data", documentData(p.Document))
		}
		e.StrOpt("filename", p.Document.Name)
		e.CloseObject()
	}
	e.RawOpt("cache_control", p.CacheControl)
	e.CloseObject()
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
