package anthropic

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"strings"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"

	"github.com/tollgate-gw/tollgate/internal/llm"
)

// DefaultMaxTokens is sent as max_tokens when the client gives none: the
// Messages API requires it and OpenAI clients usually leave it out.
// LiteLLM's DEFAULT_ANTHROPIC_CHAT_MAX_TOKENS is the same 4096.
const DefaultMaxTokens = 4096

// thinkingBudgets are the budget_tokens LiteLLM gives each reasoning_effort
// (DEFAULT_REASONING_EFFORT_{LOW,MEDIUM,HIGH}_THINKING_BUDGET); 1024 is the
// smallest budget Anthropic accepts, so "minimal" gets it too.
var thinkingBudgets = map[string]int{"minimal": 1024, "low": 1024, "medium": 2048, "high": 4096}

// ParamError is a request the Messages API cannot carry. Unsupported says
// that the parameter is fine in OpenAI's format but has no Anthropic
// equivalent (drop_params may drop it); otherwise its value is invalid.
type ParamError struct {
	Param       string
	Unsupported bool
	Msg         string
}

func (e *ParamError) Error() string { return e.Param + ": " + e.Msg }

// RequestOptions are the deployment's choices for one encoding.
type RequestOptions struct {
	// Model is the upstream model id.
	Model string
	// Stream sets "stream": true.
	Stream bool
	// Drop leaves out the parameters the Messages API has no equivalent for
	// instead of failing (drop_params).
	Drop bool
}

// typedMembers are the Request members the encoder sets itself; a client
// extra of the same name would be a duplicate member.
var typedMembers = map[string]bool{"model": true, "max_tokens": true, "system": true, "messages": true,
	"tools": true, "tool_choice": true, "temperature": true, "top_p": true, "stop_sequences": true,
	"metadata": true, "stream": true}

// EncodeRequest translates a chat request into a Messages API body.
func EncodeRequest(req *llm.Request, opts RequestOptions) ([]byte, error) {
	r, err := BuildRequest(req, opts)
	if err != nil {
		return nil, err
	}
	return json.Marshal(r)
}

// BuildRequest is EncodeRequest before marshalling.
func BuildRequest(req *llm.Request, opts RequestOptions) (*Request, error) {
	if err := checkUnsupported(req, opts.Drop); err != nil {
		return nil, err
	}
	r := &Request{Model: opts.Model, Temperature: req.Temperature, TopP: req.TopP, StopSequences: req.Stop, Stream: opts.Stream}
	switch {
	case req.MaxCompletionTokens != nil:
		r.MaxTokens = *req.MaxCompletionTokens
	case req.MaxTokens != nil:
		r.MaxTokens = *req.MaxTokens
	}
	if req.User != "" {
		// LiteLLM's mapping of OpenAI's user; Anthropic's metadata has no
		// other member. The client's "metadata" is LiteLLM's own (tags,
		// trace ids) and is never forwarded.
		r.Metadata = &Metadata{UserID: req.User}
	}
	budget, err := r.setThinking(req)
	if err != nil {
		return nil, err
	}
	if r.MaxTokens == 0 {
		// max_tokens must exceed the thinking budget.
		r.MaxTokens = DefaultMaxTokens + budget
	}
	if err := r.setExtra(req.Extra); err != nil {
		return nil, err
	}
	for i := range req.Messages {
		if err := r.appendMessage(&req.Messages[i], fmt.Sprintf("messages[%d]", i)); err != nil {
			return nil, err
		}
	}
	r.setTools(req)
	return r, nil
}

// checkUnsupported refuses (or, with drop, leaves out) the OpenAI parameters
// the Messages API has no equivalent for. Values that change nothing (n=1,
// logprobs=false, a text response_format) pass.
func checkUnsupported(req *llm.Request, drop bool) error {
	for _, p := range [...]struct {
		name string
		set  bool
	}{
		{"n", req.N != nil && *req.N != 1},
		{"presence_penalty", req.PresencePenalty != nil},
		{"frequency_penalty", req.FrequencyPenalty != nil},
		{"logprobs", req.Logprobs != nil && *req.Logprobs},
		{"top_logprobs", req.TopLogprobs != nil},
		{"logit_bias", len(req.LogitBias) > 0 && string(req.LogitBias) != "null" && string(req.LogitBias) != "{}"},
		{"seed", req.Seed != nil},
		{"response_format", req.ResponseFormat != nil && req.ResponseFormat.Type != "" && req.ResponseFormat.Type != "text"},
	} {
		if p.set && !drop {
			return &ParamError{Param: p.name, Unsupported: true, Msg: "the Anthropic Messages API has no equivalent"}
		}
	}
	return nil
}

// setThinking sets extended thinking from the client's "thinking" (passed
// as it is) or reasoning_effort, and returns the budget it asks for.
func (r *Request) setThinking(req *llm.Request) (int, error) {
	for _, f := range req.Extra {
		if f.Name != "thinking" {
			continue
		}
		var t Thinking
		if err := json.Unmarshal(f.Value, &t); err != nil || t.Type == "" {
			return 0, &ParamError{Param: "thinking", Msg: `want {"type":"enabled","budget_tokens":N} or {"type":"disabled"}`}
		}
		r.Thinking = jsontext.Value(f.Value)
		return t.BudgetTokens, nil
	}
	switch req.ReasoningEffort {
	case "", "none":
		return 0, nil
	}
	budget, ok := thinkingBudgets[req.ReasoningEffort]
	if !ok {
		return 0, &ParamError{Param: "reasoning_effort", Msg: fmt.Sprintf("%q is not one of minimal, low, medium, high, none", req.ReasoningEffort)}
	}
	v, err := json.Marshal(Thinking{Type: "enabled", BudgetTokens: budget})
	if err != nil {
		return 0, err
	}
	r.Thinking = v
	return budget, nil
}

// setExtra forwards the request members internal/llm does not name (top_k,
// service_tier, ...) verbatim, as LiteLLM passes provider-specific
// parameters through.
func (r *Request) setExtra(extra []llm.Field) error {
	var b []byte
	for _, f := range extra {
		if f.Name == "thinking" {
			continue
		}
		if typedMembers[f.Name] {
			return &ParamError{Param: f.Name, Msg: "is set by the gateway from the OpenAI-format request; use the OpenAI parameter instead"}
		}
		if b == nil {
			b = append(b, '{')
		} else {
			b = append(b, ',')
		}
		name, err := jsontext.AppendQuote(nil, f.Name)
		if err != nil {
			return &ParamError{Param: f.Name, Msg: "invalid member name"}
		}
		b = append(append(append(b, name...), ':'), f.Value...)
	}
	if b != nil {
		r.Unknown = append(b, '}')
	}
	return nil
}

// appendMessage translates one chat message (param names it in errors):
// system text joins System, tool results become user turns, and turns of
// the same role are merged, as the Messages API alternates roles.
func (r *Request) appendMessage(m *llm.Message, param string) error {
	content, err := blocks(m.Content, param)
	if err != nil {
		return err
	}
	switch m.Role {
	case llm.RoleSystem, llm.RoleDeveloper:
		for i := range content {
			if content[i].Type != "text" {
				return &ParamError{Param: param + ".content", Msg: "a system message may hold only text"}
			}
		}
		r.System = append(r.System, content...)
	case llm.RoleUser:
		r.appendTurn("user", content)
	case llm.RoleAssistant:
		r.appendTurn("assistant", assistantBlocks(m, content))
	case llm.RoleTool:
		if m.ToolCallID == "" {
			return &ParamError{Param: param + ".tool_call_id", Msg: "a tool message needs the id of the call it answers"}
		}
		r.appendTurn("user", []Block{{Type: "tool_result", ToolUseID: m.ToolCallID, Content: content}})
	default:
		return &ParamError{Param: param + ".role", Msg: fmt.Sprintf("role %q is not one of system, developer, user, assistant, tool", m.Role)}
	}
	return nil
}

// assistantBlocks is an assistant turn: its reasoning, its content, then
// its tool calls.
func assistantBlocks(m *llm.Message, content []Block) []Block {
	var out []Block
	if rs := m.Reasoning; rs != nil {
		if len(rs.Redacted) > 0 {
			out = append(out, Block{Type: "redacted_thinking", Data: string(rs.Redacted)})
		} else if rs.Text != "" {
			out = append(out, Block{Type: "thinking", Thinking: rs.Text, Signature: rs.Signature})
		}
	}
	out = append(out, content...)
	for _, tc := range m.ToolCalls {
		args := strings.TrimSpace(tc.Arguments)
		if args == "" {
			args = "{}"
		}
		out = append(out, Block{Type: "tool_use", ID: tc.ID, Name: tc.Name, Input: jsontext.Value(args)})
	}
	return out
}

func (r *Request) appendTurn(role string, content []Block) {
	if len(content) == 0 {
		return
	}
	if n := len(r.Messages); n > 0 && r.Messages[n-1].Role == role {
		r.Messages[n-1].Content = append(r.Messages[n-1].Content, content...)
		return
	}
	r.Messages = append(r.Messages, Message{Role: role, Content: content})
}

// setTools translates the tools and the tool choice.
func (r *Request) setTools(req *llm.Request) {
	for _, t := range req.Tools {
		schema := jsontext.Value(t.Parameters)
		if len(schema) == 0 || string(schema) == "null" {
			schema = jsontext.Value(`{"type":"object","properties":{}}`)
		}
		r.Tools = append(r.Tools, Tool{Name: t.Name, Description: t.Description, InputSchema: schema, CacheControl: jsontext.Value(t.CacheControl)})
	}
	if len(r.Tools) == 0 {
		return
	}
	var c ToolChoice
	if tc := req.ToolChoice; tc != nil {
		switch tc.Mode {
		case "required":
			c.Type = "any"
		case "function":
			c.Type, c.Name = "tool", tc.Function
		case "none":
			c.Type = "none"
		default:
			c.Type = "auto"
		}
	}
	if req.ParallelToolCalls != nil && !*req.ParallelToolCalls && c.Type != "none" {
		if c.Type == "" {
			c.Type = "auto"
		}
		c.DisableParallelToolUse = true
	}
	if c.Type != "" {
		r.ToolChoice = &c
	}
}

// blocks translates content parts. OpenAI-style cache_control on a part
// passes through; a cache point becomes cache_control on the block before.
func blocks(parts []llm.Part, param string) ([]Block, error) {
	out := make([]Block, 0, len(parts))
	for j := range parts {
		p := &parts[j]
		pp := fmt.Sprintf("%s.content[%d]", param, j)
		var b Block
		switch p.Type {
		case llm.PartText:
			// The Messages API refuses text blocks without visible text.
			if strings.TrimSpace(p.Text) == "" {
				continue
			}
			b = Block{Type: "text", Text: p.Text}
		case llm.PartImage:
			src, err := imageSource(p.Image, pp)
			if err != nil {
				return nil, err
			}
			b = Block{Type: "image", Source: src}
		case llm.PartDocument:
			d := p.Document
			if d == nil || len(d.Data) == 0 || (d.Format != "" && d.Format != "pdf") {
				return nil, &ParamError{Param: pp, Unsupported: true, Msg: "the Anthropic Messages API takes documents as inline PDF data"}
			}
			b = Block{Type: "document", Source: &Source{Type: "base64", MediaType: "application/pdf", Data: base64.StdEncoding.EncodeToString(d.Data)}}
		case llm.PartCachePoint:
			if len(out) > 0 {
				cc := p.CacheControl
				if len(cc) == 0 {
					cc = []byte(`{"type":"ephemeral"}`)
				}
				out[len(out)-1].CacheControl = jsontext.Value(cc)
			}
			continue
		default:
			return nil, &ParamError{Param: pp, Unsupported: true, Msg: fmt.Sprintf("the Anthropic Messages API does not take %q content", p.Type)}
		}
		b.CacheControl = jsontext.Value(p.CacheControl)
		out = append(out, b)
	}
	return out, nil
}

// imageSource is an image as a base64 or URL source. A data: URL is split,
// not decoded: its base64 text is what Anthropic wants.
func imageSource(img *llm.Image, param string) (*Source, error) {
	switch {
	case img == nil:
		return nil, &ParamError{Param: param, Msg: "image part without an image"}
	case len(img.Data) > 0:
		mt := img.MediaType
		if mt == "" {
			mt = http.DetectContentType(img.Data)
		}
		return &Source{Type: "base64", MediaType: mt, Data: base64.StdEncoding.EncodeToString(img.Data)}, nil
	case strings.HasPrefix(img.URL, "data:"):
		meta, data, ok := strings.Cut(img.URL[len("data:"):], ",")
		mt, isB64 := strings.CutSuffix(meta, ";base64")
		if !ok || !isB64 || mt == "" {
			return nil, &ParamError{Param: param + ".image_url", Msg: "want a data URL of the form data:image/png;base64,..."}
		}
		return &Source{Type: "base64", MediaType: mt, Data: data}, nil
	case strings.HasPrefix(img.URL, "https://"), strings.HasPrefix(img.URL, "http://"):
		return &Source{Type: "url", URL: img.URL}, nil
	}
	return nil, &ParamError{Param: param + ".image_url", Msg: "want an http(s) URL or a base64 data URL"}
}
