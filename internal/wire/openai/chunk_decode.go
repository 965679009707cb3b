package openai

import (
	"errors"
	"fmt"
	"strconv"

	"github.com/tollgate-gw/tollgate/internal/llm"
	"github.com/tollgate-gw/tollgate/internal/wire/rawjson"
)

// StreamError is an error object an upstream sent in place of a chunk.
type StreamError struct{ Body ErrorBody }

func (e *StreamError) Error() string { return "upstream stream error: " + e.Body.Message }

// DecodeChunk decodes one upstream chat.completion.chunk object. A data
// payload that is an error object ({"error":...}) yields a *StreamError.
// Streams should use a ChunkDecoder, which also reuses the strings every
// chunk of a stream repeats.
func DecodeChunk(data []byte) (*llm.Chunk, error) {
	var d ChunkDecoder
	return d.Decode(data)
}

// ChunkDecoder decodes the chunks of one stream. It is hand-written over the
// scanner rather than encoding/json because it runs once per streamed delta
// (reflection cost ~19 allocations per chunk), and it reuses the id, model
// and fingerprint strings that every chunk of a stream repeats.
type ChunkDecoder struct {
	id, model, fingerprint string
}

// same returns prev when v encodes the same plain string, else decodes v.
func same(prev *string, path string, v []byte) (string, error) {
	if len(v) >= 2 && v[0] == '"' && string(v[1:len(v)-1]) == *prev {
		return *prev, nil
	}
	s, err := decodeString(path, v)
	*prev = s
	return s, err
}

// Decode decodes one chunk of the stream.
func (d *ChunkDecoder) Decode(data []byte) (*llm.Chunk, error) {
	if err := checkJSON(data); err != nil {
		return nil, fmt.Errorf("decoding stream chunk: %w", err)
	}
	c := &llm.Chunk{}
	var isError bool
	obj, err := object("", data)
	for err == nil && obj.Next() {
		v := obj.Value()
		switch string(obj.Key()) {
		case "id":
			c.ID, err = same(&d.id, "id", v)
		case "model":
			c.Model, err = same(&d.model, "model", v)
		case "created":
			if !rawjson.IsNull(v) {
				c.Created, err = strconv.ParseInt(string(v), 10, 64)
			}
		case "system_fingerprint":
			c.SystemFingerprint, err = same(&d.fingerprint, "system_fingerprint", v)
		case "choices":
			if rawjson.IsNull(v) {
				break
			}
			var it rawjson.Elements
			it, err = array("choices", v)
			for err == nil && it.Next() {
				var ch llm.ChunkChoice
				ch, err = decodeChunkChoice(it.Value())
				c.Choices = append(c.Choices, ch)
			}
		case "usage":
			if !rawjson.IsNull(v) {
				c.Usage, err = decodeUsage(v)
			}
		case "error":
			isError = !rawjson.IsNull(v)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("decoding stream chunk: %w", err)
	}
	if isError {
		return nil, &StreamError{Body: DecodeErrorBody(data)}
	}
	return c, nil
}

func decodeChunkChoice(data []byte) (llm.ChunkChoice, error) {
	var ch llm.ChunkChoice
	obj, err := object("choices[]", data)
	for err == nil && obj.Next() {
		v := obj.Value()
		switch string(obj.Key()) {
		case "index":
			err = decodeCount("index", v, &ch.Index)
		case "finish_reason":
			ch.FinishReason, err = decodeString("finish_reason", v)
		case "logprobs":
			if !rawjson.IsNull(v) {
				ch.Logprobs = v
			}
		case "delta":
			if !rawjson.IsNull(v) {
				err = decodeDelta("delta", &ch.Delta, v, nil)
			}
		}
	}
	return ch, err
}

// decodeDelta reads the fields a stream's delta and a whole message share,
// at path; members it does not know go to other, when given.
func decodeDelta(path string, d *llm.Delta, data []byte, other func(k, v []byte)) error {
	obj, err := object(path, data)
	for err == nil && obj.Next() {
		v := obj.Value()
		switch k := obj.Key(); string(k) {
		case "role":
			var r string
			r, err = decodeString("role", v)
			d.Role = llm.Role(r)
		case "content":
			if !rawjson.IsNull(v) {
				d.Content, err = decodeString("content", v)
				d.HasContent = true
			}
		case "refusal":
			d.Refusal, err = decodeString("refusal", v)
		case "reasoning_content", "reasoning":
			var s string
			if s, err = decodeString(fieldName(k), v); s != "" {
				d.Reasoning = &llm.Reasoning{Text: s}
			}
		case "tool_calls":
			if rawjson.IsNull(v) {
				break
			}
			var it rawjson.Elements
			it, err = array("tool_calls", v)
			for err == nil && it.Next() {
				var tc llm.ToolCallDelta
				tc, err = decodeToolCallDelta(it.Value())
				d.ToolCalls = append(d.ToolCalls, tc)
			}
		default:
			if other != nil {
				other(k, v)
			}
		}
	}
	return err
}

func decodeToolCallDelta(data []byte) (llm.ToolCallDelta, error) {
	var tc llm.ToolCallDelta
	obj, err := object("tool_calls[]", data)
	for err == nil && obj.Next() {
		v := obj.Value()
		switch string(obj.Key()) {
		case "index":
			err = decodeCount("index", v, &tc.Index)
		case "id":
			tc.ID, err = decodeString("id", v)
		case "type":
			tc.Type, err = decodeString("type", v)
		case "function":
			if rawjson.IsNull(v) {
				break
			}
			var fn rawjson.Members
			fn, err = object("function", v)
			for err == nil && fn.Next() {
				switch string(fn.Key()) {
				case "name":
					tc.Name, err = decodeString("name", fn.Value())
				case "arguments":
					tc.Arguments, err = decodeString("arguments", fn.Value())
				}
			}
		}
	}
	return tc, err
}

// decodeUsage reads OpenAI's usage object, including the cache and
// reasoning details and LiteLLM's Anthropic-style cache fields.
func decodeUsage(data []byte) (*llm.Usage, error) {
	u := &llm.Usage{}
	var cachedDetail int
	obj, err := object("usage", data)
	for err == nil && obj.Next() {
		v := obj.Value()
		switch string(obj.Key()) {
		case "prompt_tokens":
			err = decodeCount("prompt_tokens", v, &u.PromptTokens)
		case "completion_tokens":
			err = decodeCount("completion_tokens", v, &u.CompletionTokens)
		case "total_tokens":
			err = decodeCount("total_tokens", v, &u.TotalTokens)
		case "cache_read_input_tokens":
			err = decodeCount("cache_read_input_tokens", v, &u.CacheReadTokens)
		case "cache_creation_input_tokens":
			err = decodeCount("cache_creation_input_tokens", v, &u.CacheWriteTokens)
		case "prompt_tokens_details":
			if rawjson.IsNull(v) {
				break
			}
			var details rawjson.Members
			details, err = object("prompt_tokens_details", v)
			for err == nil && details.Next() {
				if string(details.Key()) == "cached_tokens" {
					err = decodeCount("cached_tokens", details.Value(), &cachedDetail)
				}
			}
		case "completion_tokens_details":
			if rawjson.IsNull(v) {
				break
			}
			var details rawjson.Members
			details, err = object("completion_tokens_details", v)
			for err == nil && details.Next() {
				if string(details.Key()) == "reasoning_tokens" {
					err = decodeCount("reasoning_tokens", details.Value(), &u.ReasoningTokens)
				}
			}
		}
	}
	if u.CacheReadTokens == 0 {
		u.CacheReadTokens = cachedDetail
	}
	if u.TotalTokens == 0 {
		u.TotalTokens = u.PromptTokens + u.CompletionTokens
	}
	return u, err
}

// IsStreamError reports whether err is an error object sent in a stream.
func IsStreamError(err error) (*StreamError, bool) {
	var se *StreamError
	ok := errors.As(err, &se)
	return se, ok
}
