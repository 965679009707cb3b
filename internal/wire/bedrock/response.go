package bedrock

import (
	"errors"
	"fmt"
	"time"
	"unicode/utf8"

	"github.com/tollgate-gw/tollgate/internal/llm"
	"github.com/tollgate-gw/tollgate/internal/wire/rawjson"
)

// Converse stop reasons (the StopReason enum of the bedrock-runtime model).
const (
	stopEndTurn          = "end_turn"
	stopToolUse          = "tool_use"
	stopMaxTokens        = "max_tokens"
	stopContentFiltered  = "content_filtered"
	stopMalformedToolUse = "malformed_tool_use"
)

// RawArgumentsKey is the single member of the toolUse input that
// EncodeConverseResponse writes when a tool call's arguments are not a JSON
// object (a model cut off by max tokens, a model that produced broken JSON):
// {"tollgate_raw_arguments": "<the arguments text>"}. Converse's input is a
// JSON document, so the text cannot be passed through as it is, and refusing
// the whole response would lose the rest of it.
const RawArgumentsKey = "tollgate_raw_arguments"

// stopReason maps a neutral finish reason to Converse's stop reason. Adapters
// for Bedrock upstreams may set the Converse value itself (for example
// "stop_sequence", which OpenAI's vocabulary cannot express), and it passes
// through unchanged. An empty reason is end_turn, or tool_use when the
// message made tool calls; an unknown one is end_turn.
func stopReason(finish string, toolCalls bool) string {
	switch finish {
	case llm.FinishStop:
		return stopEndTurn
	case llm.FinishLength:
		return stopMaxTokens
	case llm.FinishToolCalls, "function_call":
		return stopToolUse
	case llm.FinishContentFilter:
		return stopContentFiltered
	case stopEndTurn, stopToolUse, stopMaxTokens, "stop_sequence", "guardrail_intervened", stopContentFiltered,
		"malformed_model_output", stopMalformedToolUse, "model_context_window_exceeded":
		return finish
	}
	if toolCalls {
		return stopToolUse
	}
	return stopEndTurn
}

// appendUsage appends Converse's TokenUsage object. The neutral model counts
// prompt tokens the OpenAI way, cache reads and writes included; Converse
// reports inputTokens without them and totalTokens with them.
func appendUsage(b []byte, u *llm.Usage) []byte {
	var zero llm.Usage
	if u == nil {
		u = &zero
	}
	input := u.PromptTokens - u.CacheReadTokens - u.CacheWriteTokens
	if input < 0 {
		input = 0
	}
	total := u.TotalTokens
	if total == 0 {
		total = u.PromptTokens + u.CompletionTokens
	}
	b = append(b, `{"inputTokens":`...)
	b = rawjson.AppendInt(b, int64(input))
	b = append(b, `,"outputTokens":`...)
	b = rawjson.AppendInt(b, int64(u.CompletionTokens))
	b = append(b, `,"totalTokens":`...)
	b = rawjson.AppendInt(b, int64(total))
	if u.CacheReadTokens > 0 {
		b = append(b, `,"cacheReadInputTokens":`...)
		b = rawjson.AppendInt(b, int64(u.CacheReadTokens))
	}
	if u.CacheWriteTokens > 0 {
		b = append(b, `,"cacheWriteInputTokens":`...)
		b = rawjson.AppendInt(b, int64(u.CacheWriteTokens))
	}
	return append(b, '}')
}

func appendMetrics(b []byte, latency time.Duration) []byte {
	b = append(b, `{"latencyMs":`...)
	b = rawjson.AppendInt(b, latency.Milliseconds())
	return append(b, '}')
}

// EncodeConverseResponse encodes resp as the body of a Converse response:
// output.message with reasoning, text and toolUse blocks in that order,
// stopReason, usage and metrics. Only the first choice is encoded; Converse
// has one message. Usage follows Converse's convention: inputTokens excludes
// the cache reads and writes that the neutral PromptTokens includes.
//
// A tool call whose arguments are empty becomes input {}; one whose
// arguments are not a JSON object is wrapped as {RawArgumentsKey: text}, and
// a tool_use stop reason then becomes malformed_tool_use, Bedrock's own
// signal that the model's tool call cannot be used as it is.
func EncodeConverseResponse(resp *llm.Response, latency time.Duration) ([]byte, error) {
	if resp == nil || len(resp.Choices) == 0 {
		return nil, errors.New("encoding converse response: the response has no choices")
	}
	ch := &resp.Choices[0]
	m := &ch.Message
	b := make([]byte, 0, responseSize(m))
	b = append(b, `{"output":{"message":{"role":"assistant","content":[`...)
	if r := m.Reasoning; r != nil {
		b = appendReasoningBlocks(b, r)
	}
	for i := range m.Content {
		p := &m.Content[i]
		var err error
		if b, err = appendOutputPart(b, p); err != nil {
			return nil, fmt.Errorf("encoding converse response: output.message.content[%d]: %w", i, err)
		}
	}
	if m.Refusal != "" {
		// Converse has no refusal member; the refusal is what the model said.
		b = rawjson.AppendSep(b)
		b = rawjson.AppendString(append(b, `{"text":`...), m.Refusal)
		b = append(b, '}')
	}
	malformed := false
	for i := range m.ToolCalls {
		tc := &m.ToolCalls[i]
		b = rawjson.AppendSep(b)
		b = append(b, `{"toolUse":{"toolUseId":`...)
		b = rawjson.AppendString(b, tc.ID)
		b = append(b, `,"name":`...)
		b = rawjson.AppendString(b, tc.Name)
		b = append(b, `,"input":`...)
		var ok bool
		b, ok = appendToolInput(b, tc.Arguments)
		malformed = malformed || !ok
		b = append(b, `}}`...)
	}
	b = append(b, `]}},"stopReason":`...)
	reason := stopReason(ch.FinishReason, len(m.ToolCalls) > 0)
	if malformed && reason == stopToolUse {
		reason = stopMalformedToolUse
	}
	b = rawjson.AppendString(b, reason)
	b = append(b, `,"usage":`...)
	b = appendUsage(b, resp.Usage)
	b = append(b, `,"metrics":`...)
	b = appendMetrics(b, latency)
	return append(b, '}'), nil
}

// responseSize estimates the encoded size so the buffer is allocated once.
func responseSize(m *llm.Message) int {
	n := 256 + len(m.Refusal)
	if m.Reasoning != nil {
		n += len(m.Reasoning.Text) + len(m.Reasoning.Signature) + len(m.Reasoning.Redacted)*4/3 + 64
	}
	for i := range m.Content {
		n += len(m.Content[i].Text) + 16
		if im := m.Content[i].Image; im != nil {
			n += len(im.Data)*4/3 + 64
		}
	}
	for i := range m.ToolCalls {
		n += len(m.ToolCalls[i].ID) + len(m.ToolCalls[i].Name) + len(m.ToolCalls[i].Arguments) + 64
	}
	return n
}

// appendReasoningBlocks appends the reasoning content blocks for r to a
// list that b has opened.
func appendReasoningBlocks(b []byte, r *llm.Reasoning) []byte {
	if r.Text != "" || r.Signature != "" || r.Redacted == nil {
		b = rawjson.AppendSep(b)
		b = append(b, `{"reasoningContent":{"reasoningText":{"text":`...)
		b = rawjson.AppendString(b, r.Text)
		if r.Signature != "" {
			b = append(b, `,"signature":`...)
			b = rawjson.AppendString(b, r.Signature)
		}
		b = append(b, `}}}`...)
	}
	if r.Redacted != nil {
		b = rawjson.AppendSep(b)
		b = append(b, `{"reasoningContent":{"redactedContent":`...)
		b = rawjson.AppendBase64(b, r.Redacted)
		b = append(b, `}}`...)
	}
	return b
}

// appendOutputPart appends a part of the assistant's message. Models answer
// with text and, for some image-capable models, inline images.
func appendOutputPart(b []byte, p *llm.Part) ([]byte, error) {
	switch p.Type {
	case llm.PartText:
		b = rawjson.AppendSep(b)
		b = rawjson.AppendString(append(b, `{"text":`...), p.Text)
		return append(b, '}'), nil
	case llm.PartImage:
		if p.Image == nil {
			return b, errors.New("image part without an image")
		}
		return appendImageBlock(rawjson.AppendSep(b), "image", p.Image)
	}
	return b, fmt.Errorf("a %q part has no place in a Converse response", p.Type)
}

// appendImageBlock appends {"<key>":{"format":…,"source":{…}}}.
func appendImageBlock(b []byte, key string, im *llm.Image) ([]byte, error) {
	b = append(b, '{', '"')
	b = append(b, key...)
	b = append(b, `":{"format":`...)
	if uri, ok := s3URI(im.URL); ok {
		format, err := imageFormat(im.MediaType)
		if err != nil {
			return b, err
		}
		b = rawjson.AppendString(b, format)
		b = append(b, `,"source":{"s3Location":{"uri":`...)
		b = rawjson.AppendString(b, uri)
		return append(b, `}}}}`...), nil
	}
	mediaType, data, err := im.Inline()
	if err != nil {
		return b, fmt.Errorf("image: %w", err)
	}
	format, err := imageFormat(mediaType)
	if err != nil {
		return b, err
	}
	b = rawjson.AppendString(b, format)
	b = append(b, `,"source":{"bytes":`...)
	b = rawjson.AppendBase64(b, data)
	return append(b, `}}}`...), nil
}

func imageFormat(mediaType string) (string, error) {
	switch mediaType {
	case "image/png":
		return "png", nil
	case "image/jpeg", "image/jpg":
		return "jpeg", nil
	case "image/gif":
		return "gif", nil
	case "image/webp":
		return "webp", nil
	}
	return "", fmt.Errorf("image media type %q is not one Converse accepts (png, jpeg, gif, webp)", mediaType)
}

func s3URI(s string) (string, bool) {
	if len(s) > 5 && s[:5] == "s3://" {
		return s, true
	}
	return "", false
}

// appendToolInput appends a tool call's arguments as a Converse input
// document, and reports whether they were usable as they are.
func appendToolInput(b []byte, args string) ([]byte, bool) {
	switch rawjson.KindOf([]byte(args)) {
	case rawjson.KindNone:
		return append(b, '{', '}'), true
	case rawjson.KindObject:
		if utf8.ValidString(args) && rawjson.ValidObject([]byte(args)) {
			return append(b, args...), true
		}
	}
	b = append(b, `{"`+RawArgumentsKey+`":`...)
	b = rawjson.AppendString(b, args)
	return append(b, '}'), false
}
