package openai

import (
	"encoding/json"
	"fmt"

	"github.com/tollgate-gw/tollgate/internal/llm"
	"github.com/tollgate-gw/tollgate/internal/wire/rawjson"
)

// EncodeChatResponse encodes a complete chat.completion object.
func EncodeChatResponse(resp *llm.Response) []byte {
	return AppendChatResponse(make([]byte, 0, 512), resp, nil)
}

// AppendChatResponse appends a chat.completion object to dst. extra members
// (e.g. the gateway's session_id) are added at the top level.
func AppendChatResponse(dst []byte, resp *llm.Response, extra []llm.Field) []byte {
	e := rawjson.Builder(dst)
	e.OpenObject()
	e.Str("id", resp.ID)
	e.Str("object", "chat.completion")
	e.Int("created", resp.Created)
	e.Str("model", resp.Model)
	e.Arr("choices")
	for i := range resp.Choices {
		c := &resp.Choices[i]
		e.Elem()
		e.OpenObject()
		e.Int("index", int64(c.Index))
		e.Obj("message")
		encodeResponseMessage(&e, &c.Message)
		e.CloseObject()
		if len(c.Logprobs) > 0 {
			e.Raw("logprobs", c.Logprobs)
		} else {
			e.Null("logprobs")
		}
		e.Str("finish_reason", c.FinishReason)
		e.CloseObject()
	}
	e.CloseArray()
	if resp.Usage != nil {
		encodeUsage(&e, resp.Usage)
	}
	e.StrOpt("system_fingerprint", resp.SystemFingerprint)
	e.StrOpt("service_tier", resp.ServiceTier)
	for _, f := range extra {
		e.Raw(f.Name, f.Value)
	}
	e.CloseObject()
	return e
}

func encodeResponseMessage(e *rawjson.Builder, m *llm.Message) {
	role := m.Role
	if role == "" {
		role = llm.RoleAssistant
	}
	e.Str("role", string(role))
	if len(m.Content) > 0 || len(m.ToolCalls) == 0 {
		e.Str("content", m.Text())
	} else {
		e.Null("content")
	}
	if m.Refusal != "" {
		e.Str("refusal", m.Refusal)
	} else {
		e.Null("refusal")
	}
	if m.Reasoning != nil && m.Reasoning.Text != "" {
		e.Str("reasoning_content", m.Reasoning.Text)
	}
	if len(m.ToolCalls) > 0 {
		e.Arr("tool_calls")
		for i := range m.ToolCalls {
			e.Elem()
			encodeToolCall(e, &m.ToolCalls[i])
		}
		e.CloseArray()
	}
	for _, f := range m.Extra {
		e.Raw(f.Name, f.Value)
	}
}

func encodeUsage(e *rawjson.Builder, u *llm.Usage) {
	e.Obj("usage")
	e.Int("prompt_tokens", int64(u.PromptTokens))
	e.Int("completion_tokens", int64(u.CompletionTokens))
	total := u.TotalTokens
	if total == 0 {
		total = u.PromptTokens + u.CompletionTokens
	}
	e.Int("total_tokens", int64(total))
	if u.CacheReadTokens > 0 || u.CacheWriteTokens > 0 {
		e.Obj("prompt_tokens_details")
		e.Int("cached_tokens", int64(u.CacheReadTokens))
		e.CloseObject()
		// LiteLLM's names for Anthropic-style cache accounting.
		e.Int("cache_read_input_tokens", int64(u.CacheReadTokens))
		e.Int("cache_creation_input_tokens", int64(u.CacheWriteTokens))
	}
	if u.ReasoningTokens > 0 {
		e.Obj("completion_tokens_details")
		e.Int("reasoning_tokens", int64(u.ReasoningTokens))
		e.CloseObject()
	}
	e.CloseObject()
}

// EncodeChunk encodes one chat.completion.chunk object.
func EncodeChunk(c *llm.Chunk) []byte {
	return AppendChunk(make([]byte, 0, 256), c, nil)
}

// AppendChunk appends one chat.completion.chunk object to dst, with extra
// top-level members (e.g. session_id on the first chunk).
func AppendChunk(dst []byte, c *llm.Chunk, extra []llm.Field) []byte {
	e := rawjson.Builder(dst)
	e.OpenObject()
	e.Str("id", c.ID)
	e.Str("object", "chat.completion.chunk")
	e.Int("created", c.Created)
	e.Str("model", c.Model)
	e.StrOpt("system_fingerprint", c.SystemFingerprint)
	e.Arr("choices")
	for i := range c.Choices {
		ch := &c.Choices[i]
		e.Elem()
		e.OpenObject()
		e.Int("index", int64(ch.Index))
		e.Obj("delta")
		d := &ch.Delta
		if d.Role != "" {
			e.Str("role", string(d.Role))
		}
		if d.Content != "" || d.HasContent {
			e.Str("content", d.Content)
		}
		e.StrOpt("refusal", d.Refusal)
		if d.Reasoning != nil && d.Reasoning.Text != "" {
			e.Str("reasoning_content", d.Reasoning.Text)
		}
		if len(d.ToolCalls) > 0 {
			e.Arr("tool_calls")
			for j := range d.ToolCalls {
				tc := &d.ToolCalls[j]
				e.Elem()
				e.OpenObject()
				e.Int("index", int64(tc.Index))
				e.StrOpt("id", tc.ID)
				if tc.ID != "" || tc.Type != "" {
					e.Str("type", "function")
				}
				e.Obj("function")
				e.StrOpt("name", tc.Name)
				e.Str("arguments", tc.Arguments)
				e.CloseObject()
				e.CloseObject()
			}
			e.CloseArray()
		}
		e.CloseObject()
		if len(ch.Logprobs) > 0 {
			e.Raw("logprobs", ch.Logprobs)
		}
		if ch.FinishReason != "" {
			e.Str("finish_reason", ch.FinishReason)
		} else {
			e.Null("finish_reason")
		}
		e.CloseObject()
	}
	e.CloseArray()
	if c.Usage != nil {
		encodeUsage(&e, c.Usage)
	}
	for _, f := range extra {
		e.Raw(f.Name, f.Value)
	}
	e.CloseObject()
	return e
}

// DecodeChatResponse decodes an upstream chat.completion object.
func DecodeChatResponse(data []byte) (*llm.Response, error) {
	var w ChatResponse
	if err := unmarshal("", data, &w); err != nil {
		return nil, fmt.Errorf("decoding chat completion: %w", err)
	}
	if w.Choices == nil {
		return nil, fmt.Errorf("decoding chat completion: no choices in %.200q", data)
	}
	resp := &llm.Response{ID: w.ID, Model: w.Model, Created: w.Created, SystemFingerprint: w.SystemFingerprint,
		ServiceTier: w.ServiceTier, Usage: w.Usage.toLLM(), Choices: make([]llm.Choice, len(w.Choices))}
	for i := range w.Choices {
		wc, c := &w.Choices[i], &resp.Choices[i]
		c.Index, c.FinishReason = int(wc.Index), wc.FinishReason
		c.Logprobs = json.RawMessage(wc.Logprobs)
		wc.Message.messageToLLM(&c.Message)
	}
	return resp, nil
}

// messageToLLM sets m from a response message: a delta's members, and
// annotations.
func (w *Delta) messageToLLM(m *llm.Message) {
	var d llm.Delta
	w.toLLM(&d)
	m.Role, m.Refusal, m.Reasoning = d.Role, d.Refusal, d.Reasoning
	if d.HasContent {
		m.Content, m.StringContent = []llm.Part{{Type: llm.PartText, Text: d.Content}}, true
	}
	for _, tc := range d.ToolCalls {
		m.ToolCalls = append(m.ToolCalls, llm.ToolCall{ID: tc.ID, Type: "function", Name: tc.Name, Arguments: tc.Arguments})
	}
	if !isNull(w.Annotations) && string(w.Annotations) != "[]" {
		m.Extra = append(m.Extra, llm.Field{Name: "annotations", Value: json.RawMessage(w.Annotations)})
	}
}
