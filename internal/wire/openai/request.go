package openai

import (
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/go-json-experiment/json/jsontext"
	"github.com/tollgate-gw/tollgate/internal/llm"
)

// DecodeChatRequest decodes a chat completions request body.
//
// Fields addressed to the gateway (drop_params, tags, fallbacks, cache,
// enable_history, session_id, priority, guardrails, num_retries; also inside
// metadata, and inside an explicit extra_body object) go to Request.Gateway
// and are never forwarded. Unknown fields are kept in Request.Extra.
func DecodeChatRequest(data []byte) (*llm.Request, error) {
	d := &chatDecoding{}
	if err := unmarshal("", data, &d.w); err != nil {
		return nil, err
	}
	req := &d.req
	if err := d.w.apply(req); err != nil {
		return nil, err
	}
	if req.Model == "" {
		return nil, &DecodeError{Field: "model", Msg: "required: name the model to call (see GET /v1/models)"}
	}
	if req.Messages == nil {
		return nil, &DecodeError{Field: "messages", Msg: "required: give at least one message"}
	}
	// A Bedrock managed prompt carries its own messages: the genai-gateway
	// documents calling one with messages=[] and only promptVariables.
	if len(req.Messages) == 0 && req.Gateway.PromptVariables == nil {
		return nil, &DecodeError{Field: "messages", Msg: "must contain at least one message"}
	}
	return req, nil
}

// chatDecoding is the wire document and the neutral request of one chat
// request, allocated at once.
type chatDecoding struct {
	req llm.Request
	w   ChatRequest
}

// apply sets on req the members w has. A literal extra_body is applied
// after the top level, whose members its own stand for.
func (w *ChatRequest) apply(req *llm.Request) error {
	if w.Model != "" {
		req.Model = w.Model
	}
	if w.Messages != nil {
		msgs, err := messagesToLLM(req.Messages[:0], w.Messages)
		if err != nil {
			return err
		}
		req.Messages = msgs
	}
	req.Stream = req.Stream || w.Stream
	if w.StreamOptions != nil && w.StreamOptions.IncludeUsage {
		req.IncludeUsage = true
	}
	if w.Tools != nil {
		tools, err := toolsToLLM(w.Tools)
		if err != nil {
			return err
		}
		req.Tools = tools
	}
	if tc := w.ToolChoice; tc != nil {
		switch {
		case tc.Mode == "function" && tc.Function == "":
			return &DecodeError{Field: "tool_choice.function.name", Msg: "required when tool_choice is an object"}
		case tc.Mode == "function", tc.Mode == "none", tc.Mode == "auto", tc.Mode == "required":
			req.ToolChoice = &llm.ToolChoice{Mode: tc.Mode, Function: tc.Function}
		default:
			return &DecodeError{Field: "tool_choice", Msg: fmt.Sprintf("unknown value %q: use none, auto, required or {\"type\":\"function\",\"function\":{\"name\":...}}", tc.Mode)}
		}
	}
	if rf := w.ResponseFormat; rf != nil {
		if rf.JSONSchema != nil {
			if err := expectObject("response_format.json_schema", rf.JSONSchema); err != nil {
				return err
			}
		}
		switch rf.Type {
		case "text", "json_object":
		case "json_schema":
			if rf.JSONSchema == nil {
				return &DecodeError{Field: "response_format.json_schema", Msg: "required when type is json_schema"}
			}
		default:
			return &DecodeError{Field: "response_format.type", Msg: fmt.Sprintf("unknown value %q: use text, json_object or json_schema", rf.Type)}
		}
		req.ResponseFormat = &llm.ResponseFormat{Type: rf.Type, JSONSchema: json.RawMessage(rf.JSONSchema)}
	}
	setPtr(&req.ParallelToolCalls, w.ParallelToolCalls)
	setPtr(&req.MaxTokens, w.MaxTokens.ptr())
	setPtr(&req.MaxCompletionTokens, w.MaxCompletionTokens.ptr())
	setPtr(&req.Temperature, w.Temperature)
	setPtr(&req.TopP, w.TopP)
	if w.Stop != nil {
		req.Stop = w.Stop
	}
	setPtr(&req.N, w.N.ptr())
	setPtr(&req.Seed, w.Seed)
	setPtr(&req.PresencePenalty, w.PresencePenalty)
	setPtr(&req.FrequencyPenalty, w.FrequencyPenalty)
	setPtr(&req.Logprobs, w.Logprobs)
	setPtr(&req.TopLogprobs, w.TopLogprobs.ptr())
	if !isNull(w.LogitBias) {
		if err := expectObject("logit_bias", w.LogitBias); err != nil {
			return err
		}
		req.LogitBias = json.RawMessage(w.LogitBias)
	}
	if w.ReasoningEffort != "" {
		req.ReasoningEffort = w.ReasoningEffort
	}
	if w.User != "" {
		req.User = w.User
	}
	if !isNull(w.Metadata) {
		if err := expectObject("metadata", w.Metadata); err != nil {
			return err
		}
		req.Metadata = json.RawMessage(w.Metadata)
		var md struct {
			Tags Strings `json:"tags"`
		}
		if err := unmarshal("metadata", w.Metadata, &md); err != nil {
			return err
		}
		// Top-level tags first, then metadata's.
		defer func() { req.Gateway.Tags = append(req.Gateway.Tags, md.Tags...) }()
	}
	if w.GatewayFields != nil {
		if err := w.GatewayFields.apply(&req.Gateway); err != nil {
			return err
		}
	}
	req.Extra = appendFields(req.Extra, w.Unknown, false)
	if w.ExtraBody != nil {
		return w.ExtraBody.apply(req)
	}
	return nil
}

// apply sets on g the gateway members w has, for every request kind.
func (w *GatewayFields) apply(g *llm.GatewayOptions) error {
	setPtr(&g.DropParams, w.DropParams)
	g.Tags = append(g.Tags, w.Tags...)
	if w.Fallbacks != nil {
		g.Fallbacks = w.Fallbacks
	}
	setPtr(&g.NumRetries, w.NumRetries.ptr())
	if !isNull(w.Cache) {
		if err := expectObject("cache", w.Cache); err != nil {
			return err
		}
		g.Cache = json.RawMessage(w.Cache)
	}
	g.EnableHistory = g.EnableHistory || w.EnableHistory
	if w.SessionID != "" {
		g.SessionID = w.SessionID
	}
	setPtr(&g.Priority, w.Priority.ptr())
	if w.Guardrails != nil {
		g.Guardrails = w.Guardrails
	}
	if !isNull(w.PromptVariables) {
		if err := expectObject("promptVariables", w.PromptVariables); err != nil {
			return err
		}
		g.PromptVariables = json.RawMessage(w.PromptVariables)
	}
	return nil
}

// setPtr sets *dst to v when v is set.
func setPtr[T any](dst **T, v *T) {
	if v != nil {
		*dst = v
	}
}

// appendFields appends the members of the object v as fields, in order,
// leaving out nulls when skipNull.
func appendFields(dst []llm.Field, v jsontext.Value, skipNull bool) []llm.Field {
	members(v, func(name string, value jsontext.Value) {
		if !skipNull || !isNull(value) {
			dst = append(dst, llm.Field{Name: name, Value: json.RawMessage(value)})
		}
	})
	return dst
}

func expectObject(path string, v jsontext.Value) error {
	if len(v) == 0 || v[0] != '{' {
		return &DecodeError{Field: path, Msg: "expected a JSON object, got " + kindName(v.Kind())}
	}
	return nil
}

// messagesToLLM appends the messages of ws to dst, which is not nil even
// when ws is empty: an empty list is not an absent one.
func messagesToLLM(dst []llm.Message, ws []Message) ([]llm.Message, error) {
	if dst == nil || cap(dst)-len(dst) < len(ws) {
		dst = append(make([]llm.Message, 0, len(dst)+len(ws)), dst...)
	}
	for i := range ws {
		dst = append(dst, llm.Message{})
		if err := ws[i].toLLM(&dst[len(dst)-1], i); err != nil {
			return nil, err
		}
	}
	return dst, nil
}

func (w *Message) toLLM(m *llm.Message, i int) error {
	path := func() string { return "messages[" + strconv.Itoa(i) + "]" }
	m.Role = llm.Role(w.Role)
	switch m.Role {
	case llm.RoleSystem, llm.RoleDeveloper, llm.RoleUser, llm.RoleAssistant, llm.RoleTool:
	case "":
		return &DecodeError{Field: path() + ".role", Msg: "required: one of system, developer, user, assistant, tool"}
	case "function":
		return &DecodeError{Field: path() + ".role", Msg: `"function" messages are deprecated; use role "tool" with tool_call_id`}
	default:
		return &DecodeError{Field: path() + ".role", Msg: fmt.Sprintf("unknown role %q: use system, developer, user, assistant or tool", m.Role)}
	}
	mm := w.MessageMembers
	if mm == nil {
		mm = &MessageMembers{}
	}
	if m.Role == llm.RoleTool && mm.ToolCallID == "" {
		return &DecodeError{Field: path() + ".tool_call_id", Msg: "required for tool messages: the id of the tool call this answers"}
	}
	m.Name, m.ToolCallID, m.Refusal = mm.Name, mm.ToolCallID, mm.Refusal
	if mm.ReasoningContent != "" {
		m.Reasoning = &llm.Reasoning{Text: mm.ReasoningContent}
	}
	for j := range mm.ToolCalls {
		tc := &mm.ToolCalls[j]
		if tc.Function.Name == "" {
			return &DecodeError{Field: path() + ".tool_calls[" + strconv.Itoa(j) + "].function.name", Msg: "required"}
		}
		m.ToolCalls = append(m.ToolCalls, llm.ToolCall{ID: tc.ID, Type: tc.Type, Name: tc.Function.Name, Arguments: tc.Function.Arguments})
	}
	// Fields a client echoes back from a response (annotations, audio:
	// null, function_call: null) are kept, not refused.
	m.Extra = appendFields(nil, w.Unknown, true)
	switch w.Content.Kind {
	case '"':
		m.Content, m.StringContent = []llm.Part{{Type: llm.PartText, Text: w.Content.Text}}, true
	case '[':
		for j := range w.Content.Parts {
			p, err := w.Content.Parts[j].toLLM(path() + ".content[" + strconv.Itoa(j) + "]")
			if err != nil {
				return err
			}
			m.Content = append(m.Content, p)
		}
	}
	return nil
}

func (w *Part) toLLM(path string) (llm.Part, error) {
	var p llm.Part
	if !isNull(w.CacheControl) {
		p.CacheControl = json.RawMessage(w.CacheControl)
	}
	switch w.Type {
	case "text":
		p.Type = llm.PartText
		if w.Text.Kind == 0 {
			return p, &DecodeError{Field: path + ".text", Msg: "expected a string, got nothing"}
		}
		p.Text = w.Text.S
	case "image_url":
		p.Type = llm.PartImage
		u := w.ImageURL
		if u == nil {
			return p, &DecodeError{Field: path + ".image_url", Msg: "required for image_url parts"}
		}
		if u.URL == "" {
			return p, &DecodeError{Field: path + ".image_url.url", Msg: "required: an http(s) or data: URL"}
		}
		p.Image = &llm.Image{URL: u.URL, Detail: u.Detail, MediaType: u.Format}
	case "input_audio":
		p.Type = llm.PartAudio
		if w.InputAudio == nil {
			return p, &DecodeError{Field: path + ".input_audio", Msg: "expected a JSON object, got nothing"}
		}
		p.Audio = &llm.Audio{Data: []byte(w.InputAudio.Data), Format: w.InputAudio.Format}
	case "file":
		p.Type = llm.PartDocument
		f := w.File
		if f == nil {
			return p, &DecodeError{Field: path + ".file", Msg: "expected a JSON object, got nothing"}
		}
		p.Document = &llm.Document{Data: []byte(f.FileData), FileID: f.FileID, Name: f.Filename, MediaType: f.Format}
		if f.FileData == "" {
			p.Document.Data = nil
		}
	case "":
		return p, &DecodeError{Field: path + ".type", Msg: "required: text, image_url, input_audio or file"}
	default:
		return p, &DecodeError{Field: path + ".type", Msg: fmt.Sprintf("unsupported content part type %q: use text, image_url, input_audio or file", w.Type)}
	}
	return p, nil
}

func toolsToLLM(ws []Tool) ([]llm.Tool, error) {
	var tools []llm.Tool
	for i := range ws {
		w := &ws[i]
		path := func() string { return "tools[" + strconv.Itoa(i) + "]" }
		t := llm.Tool{Type: w.Type, Name: w.Function.Name, Description: w.Function.Description, Strict: w.Function.Strict}
		if !isNull(w.CacheControl) {
			t.CacheControl = json.RawMessage(w.CacheControl)
		}
		if !isNull(w.Function.Parameters) {
			if err := expectObject(path()+".function.parameters", w.Function.Parameters); err != nil {
				return nil, err
			}
			t.Parameters = json.RawMessage(w.Function.Parameters)
		}
		if t.Type == "" {
			t.Type = "function"
		}
		if t.Type != "function" {
			return nil, &DecodeError{Field: path() + ".type", Msg: fmt.Sprintf("unsupported tool type %q: only function tools are supported", t.Type)}
		}
		if t.Name == "" {
			return nil, &DecodeError{Field: path() + ".function.name", Msg: "required"}
		}
		tools = append(tools, t)
	}
	return tools, nil
}
