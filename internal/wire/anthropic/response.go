package anthropic

import (
	"errors"
	"fmt"
	"strings"

	"github.com/go-json-experiment/json"

	"github.com/tollgate-gw/tollgate/internal/llm"
)

// finishReasons maps stop_reason to OpenAI's finish_reason, as LiteLLM does.
var finishReasons = map[string]string{
	"end_turn": llm.FinishStop, "stop_sequence": llm.FinishStop, "pause_turn": llm.FinishStop,
	"max_tokens": llm.FinishLength, "model_context_window_exceeded": llm.FinishLength,
	"tool_use": llm.FinishToolCalls, "refusal": llm.FinishContentFilter,
}

// finish returns the finish reason of stop and, when it says less than
// stop, stop itself as the native reason.
func finish(stop string) (reason, native string) {
	reason, ok := finishReasons[stop]
	if !ok {
		reason = llm.FinishStop
	}
	if stop != "end_turn" && stop != "tool_use" && stop != "max_tokens" {
		native = stop
	}
	return reason, native
}

// ToUsage converts Anthropic's usage. Its input_tokens leave out the
// prompt-cache reads and writes; OpenAI's prompt_tokens, which the price
// table's cache rates are subtracted from, count them.
func ToUsage(u *Usage) *llm.Usage {
	out := &llm.Usage{
		PromptTokens:     u.InputTokens + u.CacheReadInputTokens + u.CacheCreationInputTokens,
		CompletionTokens: u.OutputTokens,
		CacheReadTokens:  u.CacheReadInputTokens,
		CacheWriteTokens: u.CacheCreationInputTokens,
	}
	out.TotalTokens = out.PromptTokens + out.CompletionTokens
	return out
}

// DecodeResponse decodes a Messages response into a chat completion.
func DecodeResponse(data []byte) (*llm.Response, error) {
	var r Response
	if err := json.Unmarshal(data, &r); err != nil {
		return nil, fmt.Errorf("decoding the Messages response: %w", err)
	}
	if r.Type != "message" {
		return nil, fmt.Errorf("decoding the Messages response: type %q, want \"message\"", r.Type)
	}
	if r.Usage == nil {
		return nil, errors.New("decoding the Messages response: no usage")
	}
	msg := llm.Message{Role: llm.RoleAssistant}
	var text strings.Builder
	for i := range r.Content {
		b := &r.Content[i]
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
	u := ToUsage(r.Usage)
	if err := u.Check(); err != nil {
		return nil, err
	}
	reason, native := finish(r.StopReason)
	return &llm.Response{
		ID: r.ID, Model: r.Model,
		Choices: []llm.Choice{{Message: msg, FinishReason: reason, NativeFinishReason: native}},
		Usage:   u,
	}, nil
}

// DecodeError extracts an error body's (or an error event's) type and
// message: {"type":"error","error":{"type":...,"message":...}}. ok is false
// for a body of another shape.
func DecodeError(data []byte) (e Error, ok bool) {
	var body struct {
		Error *Error `json:"error"`
	}
	if json.Unmarshal(data, &body) != nil || body.Error == nil {
		return Error{}, false
	}
	return *body.Error, true
}
