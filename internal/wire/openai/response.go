package openai

import (
	"bytes"
	"fmt"
	"strconv"

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

// Wire shapes for decoding upstream responses; encoding/json is adequate
// here because one upstream document is decoded once.
type wireUsage struct {
	PromptTokens        int `json:"prompt_tokens"`
	CompletionTokens    int `json:"completion_tokens"`
	TotalTokens         int `json:"total_tokens"`
	PromptTokensDetails *struct {
		CachedTokens int `json:"cached_tokens"`
	} `json:"prompt_tokens_details"`
	CompletionTokensDetails *struct {
		ReasoningTokens int `json:"reasoning_tokens"`
	} `json:"completion_tokens_details"`
	CacheReadInputTokens     int `json:"cache_read_input_tokens"`
	CacheCreationInputTokens int `json:"cache_creation_input_tokens"`
}

func (w *wireUsage) toLLM() *llm.Usage {
	if w == nil {
		return nil
	}
	u := &llm.Usage{
		PromptTokens:     w.PromptTokens,
		CompletionTokens: w.CompletionTokens,
		TotalTokens:      w.TotalTokens,
		CacheReadTokens:  w.CacheReadInputTokens,
		CacheWriteTokens: w.CacheCreationInputTokens,
	}
	if w.PromptTokensDetails != nil && u.CacheReadTokens == 0 {
		u.CacheReadTokens = w.PromptTokensDetails.CachedTokens
	}
	if w.CompletionTokensDetails != nil {
		u.ReasoningTokens = w.CompletionTokensDetails.ReasoningTokens
	}
	if u.TotalTokens == 0 {
		u.TotalTokens = u.PromptTokens + u.CompletionTokens
	}
	return u
}

// DecodeChatResponse decodes an upstream chat.completion object. Like the
// ChunkDecoder it is hand-written over the scanner: it runs once per
// non-streamed call, and encoding/json's reflection was the largest CPU
// cost of such a call in the gateway (docs/performance.md).
func DecodeChatResponse(data []byte) (*llm.Response, error) {
	if err := checkJSON(data); err != nil {
		return nil, fmt.Errorf("decoding chat completion: %w", err)
	}
	resp := &llm.Response{}
	hasChoices := false
	obj, err := object("", data)
	for err == nil && obj.Next() {
		v := obj.Value()
		switch string(obj.Key()) {
		case "id":
			resp.ID, err = decodeString("id", v)
		case "model":
			resp.Model, err = decodeString("model", v)
		case "created":
			if !rawjson.IsNull(v) {
				if resp.Created, err = strconv.ParseInt(string(v), 10, 64); err != nil {
					err = wrongKind("created", "an integer", v)
				}
			}
		case "system_fingerprint":
			resp.SystemFingerprint, err = decodeString("system_fingerprint", v)
		case "service_tier":
			resp.ServiceTier, err = decodeString("service_tier", v)
		case "usage":
			if !rawjson.IsNull(v) {
				resp.Usage, err = decodeUsage(v)
			}
		case "choices":
			if rawjson.IsNull(v) {
				break
			}
			hasChoices = true
			var it rawjson.Elements
			it, err = array("choices", v)
			for err == nil && it.Next() {
				var c llm.Choice
				c, err = decodeChoice(it.Value())
				resp.Choices = append(resp.Choices, c)
			}
		}
	}
	if err != nil {
		return nil, fmt.Errorf("decoding chat completion: %w", err)
	}
	if !hasChoices {
		return nil, fmt.Errorf("decoding chat completion: no choices in %.200q", data)
	}
	if resp.Choices == nil {
		resp.Choices = []llm.Choice{}
	}
	return resp, nil
}

func decodeChoice(data []byte) (llm.Choice, error) {
	var c llm.Choice
	obj, err := object("choices[]", data)
	for err == nil && obj.Next() {
		v := obj.Value()
		switch string(obj.Key()) {
		case "index":
			err = decodeCount("index", v, &c.Index)
		case "finish_reason":
			c.FinishReason, err = decodeString("finish_reason", v)
		case "logprobs":
			if !rawjson.IsNull(v) {
				c.Logprobs = bytes.Clone(v) // the response outlives the body
			}
		case "message":
			if !rawjson.IsNull(v) {
				err = decodeResponseMessage(&c.Message, v)
			}
		}
	}
	return c, err
}

// decodeResponseMessage reads a message: the fields of a stream's delta
// (decodeDelta), plus annotations.
func decodeResponseMessage(m *llm.Message, data []byte) error {
	var d llm.Delta
	err := decodeDelta("message", &d, data, func(k, v []byte) {
		if string(k) == "annotations" && !rawjson.IsNull(v) && string(v) != "[]" {
			m.Extra = append(m.Extra, llm.Field{Name: "annotations", Value: bytes.Clone(v)}) // the response outlives the body
		}
	})
	m.Role, m.Refusal, m.Reasoning = d.Role, d.Refusal, d.Reasoning
	if d.HasContent {
		m.Content, m.StringContent = []llm.Part{{Type: llm.PartText, Text: d.Content}}, true
	}
	for _, tc := range d.ToolCalls {
		m.ToolCalls = append(m.ToolCalls, llm.ToolCall{ID: tc.ID, Type: "function", Name: tc.Name, Arguments: tc.Arguments})
	}
	return err
}
