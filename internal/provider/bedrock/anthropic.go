package bedrock

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/types"

	"github.com/tollgate-gw/tollgate/internal/llm"
	"github.com/tollgate-gw/tollgate/internal/provider/upstream"
)

// anthropicVersion is the Messages API version Bedrock's InvokeModel takes.
const anthropicVersion = "bedrock-2023-05-31"

// defaultAnthropicMaxTokens fills max_tokens, which the Messages API
// requires and OpenAI clients often leave out.
const defaultAnthropicMaxTokens = 4096

// anthropicRequest is the Messages API body on Bedrock.
type anthropicRequest struct {
	AnthropicVersion string             `json:"anthropic_version"`
	MaxTokens        int                `json:"max_tokens"`
	System           []anthropicBlock   `json:"system,omitempty"`
	Messages         []anthropicMessage `json:"messages"`
	Temperature      *float64           `json:"temperature,omitempty"`
	TopP             *float64           `json:"top_p,omitempty"`
	StopSequences    []string           `json:"stop_sequences,omitempty"`
	Tools            []anthropicTool    `json:"tools,omitempty"`
	ToolChoice       *anthropicChoice   `json:"tool_choice,omitempty"`
	// extra holds passthrough fields (top_k, thinking, anthropic_beta, ...).
	extra map[string]json.RawMessage
}

// MarshalJSON writes the typed fields, then the passthrough ones.
func (r anthropicRequest) MarshalJSON() ([]byte, error) {
	type plain anthropicRequest
	b, err := json.Marshal(plain(r))
	if err != nil || len(r.extra) == 0 {
		return b, err
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, err
	}
	for k, v := range r.extra {
		if _, typed := m[k]; !typed {
			m[k] = v
		}
	}
	return json.Marshal(m)
}

type anthropicMessage struct {
	Role    string           `json:"role"`
	Content []anthropicBlock `json:"content"`
}

type anthropicBlock struct {
	Type string `json:"type"`
	Text string `json:"text,omitempty"`
	// image and document
	Source *anthropicSource `json:"source,omitempty"`
	// tool_use
	ID    string          `json:"id,omitempty"`
	Name  string          `json:"name,omitempty"`
	Input json.RawMessage `json:"input,omitempty"`
	// tool_result
	ToolUseID string           `json:"tool_use_id,omitempty"`
	Content   []anthropicBlock `json:"content,omitempty"`
	// thinking and redacted_thinking
	Thinking  string `json:"thinking,omitempty"`
	Signature string `json:"signature,omitempty"`
	Data      string `json:"data,omitempty"`

	CacheControl json.RawMessage `json:"cache_control,omitempty"`
}

type anthropicSource struct {
	Type      string `json:"type"`
	MediaType string `json:"media_type"`
	Data      string `json:"data"`
}

type anthropicTool struct {
	Name         string          `json:"name"`
	Description  string          `json:"description,omitempty"`
	InputSchema  json.RawMessage `json:"input_schema"`
	CacheControl json.RawMessage `json:"cache_control,omitempty"`
}

type anthropicChoice struct {
	Type string `json:"type"`
	Name string `json:"name,omitempty"`
}

type anthropicResponse struct {
	ID         string           `json:"id"`
	Content    []anthropicBlock `json:"content"`
	StopReason string           `json:"stop_reason"`
	Usage      struct {
		InputTokens              int `json:"input_tokens"`
		OutputTokens             int `json:"output_tokens"`
		CacheCreationInputTokens int `json:"cache_creation_input_tokens"`
		CacheReadInputTokens     int `json:"cache_read_input_tokens"`
	} `json:"usage"`
}

var anthropicFinish = map[string]string{
	"end_turn": llm.FinishStop, "stop_sequence": llm.FinishStop, "pause_turn": llm.FinishStop,
	"max_tokens": llm.FinishLength, "model_context_window_exceeded": llm.FinishLength,
	"tool_use": llm.FinishToolCalls, "refusal": llm.FinishContentFilter,
}

// invokeChat serves the bedrock/invoke/ route.
func (a *Adapter) invokeChat(ctx context.Context, req *llm.Request) (*llm.Response, error) {
	if a.vendor() != "anthropic" {
		name := a.family
		if name == "" {
			name = a.opts.ModelID + " (set base_model to name the model behind an ARN)"
		}
		return nil, unsupportedContent("model", "the bedrock/invoke/ route supports Anthropic models for chat; "+
			"use bedrock/converse/ for %s", name)
	}
	body, guard, err := buildAnthropic(req, a.family, a.dropParams(req.Gateway))
	if err != nil {
		return nil, err
	}
	res, err := a.invoke(ctx, body, guard, upstream.MaxChatBytes)
	if err != nil {
		return nil, err
	}
	var out anthropicResponse
	if err := decodeBody("Anthropic Messages", res.body, &out); err != nil {
		return nil, err
	}
	msg := llm.Message{Role: llm.RoleAssistant}
	var text strings.Builder
	for _, b := range out.Content {
		switch b.Type {
		case "text":
			text.WriteString(b.Text)
		case "tool_use":
			args := string(b.Input)
			if args == "" {
				args = "{}"
			}
			msg.ToolCalls = append(msg.ToolCalls, llm.ToolCall{ID: b.ID, Type: "function", Name: b.Name, Arguments: args})
		case "thinking":
			if msg.Reasoning == nil {
				msg.Reasoning = &llm.Reasoning{}
			}
			msg.Reasoning.Text += b.Thinking
			msg.Reasoning.Signature = b.Signature
		case "redacted_thinking":
			if msg.Reasoning == nil {
				msg.Reasoning = &llm.Reasoning{}
			}
			msg.Reasoning.Redacted = append(msg.Reasoning.Redacted, b.Data...)
		}
	}
	if text.Len() > 0 || len(msg.ToolCalls) == 0 {
		msg.Content = []llm.Part{{Type: llm.PartText, Text: text.String()}}
		msg.StringContent = true
	}
	finish, ok := anthropicFinish[out.StopReason]
	if !ok {
		finish = llm.FinishStop
	}
	u := &llm.Usage{
		PromptTokens:     out.Usage.InputTokens + out.Usage.CacheReadInputTokens + out.Usage.CacheCreationInputTokens,
		CompletionTokens: out.Usage.OutputTokens,
		CacheReadTokens:  out.Usage.CacheReadInputTokens,
		CacheWriteTokens: out.Usage.CacheCreationInputTokens,
	}
	u.TotalTokens = u.PromptTokens + u.CompletionTokens
	id := "chatcmpl-bedrock"
	if res.requestID != "" {
		id = "chatcmpl-" + res.requestID
	}
	return &llm.Response{
		ID: id, Model: a.opts.ModelID, Created: a.opts.Now().Unix(),
		Choices: []llm.Choice{{Message: msg, FinishReason: finish}},
		Usage:   u,
	}, nil
}

// buildAnthropic translates a chat request into the Messages API body.
func buildAnthropic(req *llm.Request, fam string, drop bool) (*anthropicRequest, *guardrailConfig, error) {
	// Reuse the Converse translation for what both share, so validation and
	// refusals stay identical on both routes.
	cr, err := buildConverse(req, fam, drop)
	if err != nil {
		return nil, nil, err
	}
	if err := refuseConverseOnly(cr, params{drop: drop}); err != nil {
		return nil, nil, err
	}
	body := &anthropicRequest{
		AnthropicVersion: anthropicVersion, MaxTokens: defaultAnthropicMaxTokens,
		Temperature: req.Temperature, TopP: req.TopP, StopSequences: req.Stop,
		extra: map[string]json.RawMessage{},
	}
	if cr.inference != nil && cr.inference.MaxTokens != nil {
		body.MaxTokens = int(*cr.inference.MaxTokens)
	}
	guard, err := guardrailOf(req)
	if err != nil {
		return nil, nil, err
	}
	for k, v := range cr.additional {
		raw, err := json.Marshal(plainJSON(v))
		if err != nil {
			return nil, nil, badRequest(k, "invalid %s: %v", k, err)
		}
		body.extra[k] = raw
	}
	for i := range req.Messages {
		if err := body.appendMessage(&req.Messages[i], fmt.Sprintf("messages[%d]", i)); err != nil {
			return nil, nil, err
		}
	}
	body.setTools(req)
	return body, guard, nil
}

// refuseConverseOnly refuses (or, with drop_params, drops) what only the
// Converse API carries.
func refuseConverseOnly(cr *converseRequest, p params) error {
	for _, c := range []struct {
		name string
		set  bool
	}{
		{"response_format", cr.output != nil},
		{"performanceConfig", cr.perf != nil},
		{"serviceTier", cr.tier != nil},
		{"requestMetadata", cr.metadata != nil},
		{"promptVariables", cr.variables != nil},
		{"additionalModelResponseFieldPaths", cr.fieldPaths != nil},
	} {
		if c.set {
			if err := p.unsupported(c.name); err != nil {
				return err
			}
		}
	}
	return nil
}

// guardrailOf is the request's guardrail (the last one its extras name).
func guardrailOf(req *llm.Request) (*guardrailConfig, error) {
	var guard *guardrailConfig
	for _, f := range req.Extra {
		g, err := guardrailFromExtra(f.Name, f.Value)
		if err != nil {
			return nil, err
		}
		if g != nil {
			guard = g
		}
	}
	return guard, nil
}

// appendMessage translates one chat message (param names it in errors):
// system text joins System, tool results become user turns.
func (r *anthropicRequest) appendMessage(m *llm.Message, param string) error {
	switch m.Role {
	case llm.RoleSystem, llm.RoleDeveloper, llm.RoleUser, llm.RoleAssistant, llm.RoleTool:
	default:
		return nil
	}
	content, err := anthropicBlocks(m.Content, param)
	if err != nil {
		return err
	}
	switch m.Role {
	case llm.RoleSystem, llm.RoleDeveloper:
		r.System = append(r.System, content...)
	case llm.RoleUser:
		r.appendTurn("user", content)
	case llm.RoleAssistant:
		r.appendTurn("assistant", anthropicAssistant(m, content))
	case llm.RoleTool:
		r.appendTurn("user", []anthropicBlock{{Type: "tool_result", ToolUseID: m.ToolCallID, Content: content}})
	}
	return nil
}

// anthropicAssistant is an assistant turn's blocks: its reasoning, its
// content, then its tool calls.
func anthropicAssistant(m *llm.Message, content []anthropicBlock) []anthropicBlock {
	var blocks []anthropicBlock
	if r := m.Reasoning; r != nil {
		if len(r.Redacted) > 0 {
			blocks = append(blocks, anthropicBlock{Type: "redacted_thinking", Data: string(r.Redacted)})
		} else if r.Text != "" {
			blocks = append(blocks, anthropicBlock{Type: "thinking", Thinking: r.Text, Signature: r.Signature})
		}
	}
	blocks = append(blocks, content...)
	for _, tc := range m.ToolCalls {
		args := strings.TrimSpace(tc.Arguments)
		if args == "" {
			args = "{}"
		}
		blocks = append(blocks, anthropicBlock{Type: "tool_use", ID: tc.ID, Name: tc.Name, Input: json.RawMessage(args)})
	}
	return blocks
}

// setTools translates the request's tools and tool choice.
func (r *anthropicRequest) setTools(req *llm.Request) {
	for _, t := range req.Tools {
		schema := t.Parameters
		if len(schema) == 0 || string(schema) == "null" {
			schema = json.RawMessage(`{"type":"object","properties":{}}`)
		}
		r.Tools = append(r.Tools, anthropicTool{Name: t.Name, Description: t.Description, InputSchema: schema,
			CacheControl: t.CacheControl})
	}
	if tc := req.ToolChoice; tc != nil && len(r.Tools) > 0 {
		switch tc.Mode {
		case "auto":
			r.ToolChoice = &anthropicChoice{Type: "auto"}
		case "required":
			r.ToolChoice = &anthropicChoice{Type: "any"}
		case "function":
			r.ToolChoice = &anthropicChoice{Type: "tool", Name: tc.Function}
		case "none":
			r.ToolChoice = &anthropicChoice{Type: "none"}
		}
	}
}

func (r *anthropicRequest) appendTurn(role string, blocks []anthropicBlock) {
	if n := len(r.Messages); n > 0 && r.Messages[n-1].Role == role {
		r.Messages[n-1].Content = append(r.Messages[n-1].Content, blocks...)
		return
	}
	r.Messages = append(r.Messages, anthropicMessage{Role: role, Content: blocks})
}

// anthropicBlocks translates content parts. Cache points become
// cache_control on the block before them, Anthropic's own spelling.
func anthropicBlocks(parts []llm.Part, param string) ([]anthropicBlock, error) {
	var out []anthropicBlock
	for j := range parts {
		part := &parts[j]
		pp := fmt.Sprintf("%s.content[%d]", param, j)
		var b anthropicBlock
		switch part.Type {
		case llm.PartText:
			if strings.TrimSpace(part.Text) == "" {
				continue
			}
			b = anthropicBlock{Type: "text", Text: part.Text}
		case llm.PartImage:
			img, err := imageBlock(part.Image, pp)
			if err != nil {
				return nil, err
			}
			data, _ := imageBytes(img)
			b = anthropicBlock{Type: "image", Source: &anthropicSource{Type: "base64",
				MediaType: "image/" + string(img.Format), Data: base64.StdEncoding.EncodeToString(data)}}
		case llm.PartDocument:
			doc, err := documentBlock(part.Document, pp, j+1)
			if err != nil {
				return nil, err
			}
			if doc.Format != "pdf" {
				return nil, unsupportedContent(pp, "the Anthropic Messages API takes PDF documents, not %s", doc.Format)
			}
			b = anthropicBlock{Type: "document", Source: &anthropicSource{Type: "base64",
				MediaType: "application/pdf", Data: base64.StdEncoding.EncodeToString(part.Document.Data)}}
		case llm.PartCachePoint:
			cc := part.CacheControl
			if len(cc) == 0 {
				cc = json.RawMessage(`{"type":"ephemeral"}`)
			}
			if len(out) > 0 {
				out[len(out)-1].CacheControl = cc
			}
			continue
		default:
			return nil, unsupportedContent(pp, "the Anthropic Messages API does not take %q content parts", part.Type)
		}
		b.CacheControl = part.CacheControl
		out = append(out, b)
	}
	return out, nil
}

// imageBytes returns the inline bytes of an image block built by imageBlock.
func imageBytes(img types.ImageBlock) ([]byte, bool) {
	src, ok := img.Source.(*types.ImageSourceMemberBytes)
	if !ok {
		return nil, false
	}
	return src.Value, true
}
