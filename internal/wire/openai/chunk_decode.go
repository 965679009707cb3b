package openai

import (
	"errors"
	"fmt"
	"strconv"

	"github.com/tollgate-gw/tollgate/internal/llm"
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
func same(prev *string, k string, v []byte) (string, error) {
	if len(v) >= 2 && v[0] == '"' && string(v[1:len(v)-1]) == *prev {
		return *prev, nil
	}
	s, err := decodeString(k, v)
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
	err := eachMember(data, "", func(k string, v []byte) error {
		var err error
		switch k {
		case "id":
			c.ID, err = same(&d.id, k, v)
		case "model":
			c.Model, err = same(&d.model, k, v)
		case "created":
			if !isNull(v) {
				c.Created, err = strconv.ParseInt(string(v), 10, 64)
			}
		case "system_fingerprint":
			c.SystemFingerprint, err = same(&d.fingerprint, k, v)
		case "choices":
			if !isNull(v) {
				err = eachElement(v, k, func(_ int, e []byte) error {
					ch, err := decodeChunkChoice(e)
					c.Choices = append(c.Choices, ch)
					return err
				})
			}
		case "usage":
			if !isNull(v) {
				c.Usage, err = decodeUsage(v)
			}
		case "error":
			isError = !isNull(v)
		}
		return err
	})
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
	err := eachMember(data, "choices[]", func(k string, v []byte) error {
		var err error
		switch k {
		case "index":
			var n *int
			if n, err = decodeInt(k, v); n != nil {
				ch.Index = *n
			}
		case "finish_reason":
			ch.FinishReason, err = decodeString(k, v)
		case "logprobs":
			if !isNull(v) {
				ch.Logprobs = v
			}
		case "delta":
			if !isNull(v) {
				err = decodeDelta(&ch.Delta, v)
			}
		}
		return err
	})
	return ch, err
}

func decodeDelta(d *llm.Delta, data []byte) error {
	return eachMember(data, "delta", func(k string, v []byte) error {
		var err error
		switch k {
		case "role":
			var r string
			r, err = decodeString(k, v)
			d.Role = llm.Role(r)
		case "content":
			if !isNull(v) {
				d.Content, err = decodeString(k, v)
				d.HasContent = true
			}
		case "refusal":
			d.Refusal, err = decodeString(k, v)
		case "reasoning_content", "reasoning":
			var s string
			if s, err = decodeString(k, v); s != "" {
				d.Reasoning = &llm.Reasoning{Text: s}
			}
		case "tool_calls":
			if !isNull(v) {
				err = eachElement(v, k, func(_ int, e []byte) error {
					tc, err := decodeToolCallDelta(e)
					d.ToolCalls = append(d.ToolCalls, tc)
					return err
				})
			}
		}
		return err
	})
}

func decodeToolCallDelta(data []byte) (llm.ToolCallDelta, error) {
	var tc llm.ToolCallDelta
	err := eachMember(data, "tool_calls[]", func(k string, v []byte) error {
		var err error
		switch k {
		case "index":
			var n *int
			if n, err = decodeInt(k, v); n != nil {
				tc.Index = *n
			}
		case "id":
			tc.ID, err = decodeString(k, v)
		case "type":
			tc.Type, err = decodeString(k, v)
		case "function":
			if !isNull(v) {
				err = eachMember(v, "function", func(k2 string, v2 []byte) error {
					var err error
					switch k2 {
					case "name":
						tc.Name, err = decodeString(k2, v2)
					case "arguments":
						tc.Arguments, err = decodeString(k2, v2)
					}
					return err
				})
			}
		}
		return err
	})
	return tc, err
}

// decodeUsage reads OpenAI's usage object, including the cache and
// reasoning details and LiteLLM's Anthropic-style cache fields.
func decodeUsage(data []byte) (*llm.Usage, error) {
	u := &llm.Usage{}
	var cachedDetail int
	intField := func(k string, v []byte, dst *int) error {
		n, err := decodeInt(k, v)
		if n != nil {
			*dst = *n
		}
		return err
	}
	err := eachMember(data, "usage", func(k string, v []byte) error {
		switch k {
		case "prompt_tokens":
			return intField(k, v, &u.PromptTokens)
		case "completion_tokens":
			return intField(k, v, &u.CompletionTokens)
		case "total_tokens":
			return intField(k, v, &u.TotalTokens)
		case "cache_read_input_tokens":
			return intField(k, v, &u.CacheReadTokens)
		case "cache_creation_input_tokens":
			return intField(k, v, &u.CacheWriteTokens)
		case "prompt_tokens_details":
			if isNull(v) {
				return nil
			}
			return eachMember(v, k, func(k2 string, v2 []byte) error {
				if k2 == "cached_tokens" {
					return intField(k2, v2, &cachedDetail)
				}
				return nil
			})
		case "completion_tokens_details":
			if isNull(v) {
				return nil
			}
			return eachMember(v, k, func(k2 string, v2 []byte) error {
				if k2 == "reasoning_tokens" {
					return intField(k2, v2, &u.ReasoningTokens)
				}
				return nil
			})
		}
		return nil
	})
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
