package openai

import (
	"errors"
	"fmt"
	"strconv"

	"github.com/tollgate-gw/tollgate/internal/wire/rawjson"
)

// The request and chunk decoders walk the JSON in place with rawjson rather
// than unmarshalling into structs: errors must name the field path, unknown
// fields are kept verbatim, and a streamed chunk is decoded per delta. The
// body is checked once with checkJSON, so the walkers may assume
// well-formed JSON.

// checkJSON verifies data is one valid JSON value and turns a syntax error
// into a DecodeError with its line and column.
func checkJSON(data []byte) error {
	err := rawjson.Check(data)
	if err == nil {
		return nil
	}
	var se *rawjson.SyntaxError
	if !errors.As(err, &se) {
		return &DecodeError{Msg: "request body is not valid JSON"}
	}
	return &DecodeError{Line: se.Line, Column: se.Column, Msg: se.Msg}
}

// object returns an iterator over the members of the object v, reporting a
// value of another kind against path.
func object(path string, v []byte) (rawjson.Members, error) {
	obj, ok := rawjson.Object(v)
	if !ok {
		return obj, wrongKind(path, "a JSON object", v)
	}
	return obj, nil
}

// array returns an iterator over the elements of the array v, reporting a
// value of another kind against path.
func array(path string, v []byte) (rawjson.Elements, error) {
	it, ok := rawjson.Array(v)
	if !ok {
		return it, wrongKind(path, "an array", v)
	}
	return it, nil
}

// fieldName returns a member name as a string, for the fields kept by name
// (llm.Field). Names a client commonly sends are returned as constants, so
// keeping them allocates nothing.
func fieldName(key []byte) string {
	if s, ok := knownKeys[string(key)]; ok { // no allocation
		return s
	}
	return string(key)
}

// knownKeys maps the member names of OpenAI requests and responses to
// constant strings for fieldName. It is read-only after package
// initialisation.
var knownKeys = func() map[string]string {
	m := make(map[string]string)
	for _, k := range []string{
		"arguments", "cache", "cache_control", "cache_creation_input_tokens", "cache_read_input_tokens", "choices",
		"completion_tokens", "completion_tokens_details", "content", "created", "data", "delta", "description",
		"detail", "dimensions", "drop_params", "enable_history", "encoding_format", "error", "extra_body",
		"fallbacks", "file", "file_data", "file_id", "filename", "finish_reason", "format", "frequency_penalty",
		"function", "guardrails", "id", "image_url", "index", "input", "input_audio", "json_schema", "logit_bias",
		"logprobs", "max_completion_tokens", "max_tokens", "messages", "metadata", "model", "n", "name",
		"num_retries", "object", "parallel_tool_calls", "parameters", "presence_penalty", "priority", "prompt",
		"promptVariables", "prompt_tokens", "prompt_tokens_details", "quality", "reasoning", "reasoning_content",
		"reasoning_effort", "refusal", "response_format", "role", "seed", "service_tier", "session_id", "size",
		"stop", "stream", "stream_options", "strict", "style", "system_fingerprint", "tags", "temperature", "text",
		"tool_call_id", "tool_calls", "tool_choice", "tools", "top_logprobs", "top_p", "total_tokens", "type",
		"url", "usage", "user", "include_usage", "cached_tokens", "reasoning_tokens", "audio", "annotations",
	} {
		m[k] = k
	}
	return m
}()

// unquote decodes a JSON string token.
func unquote(v []byte) (string, error) {
	if rawjson.KindOf(v) != rawjson.KindString {
		return "", fmt.Errorf("expected a string, got %s", rawjson.KindOf(v))
	}
	s, ok := rawjson.Unquote(v)
	if !ok {
		return "", errors.New("invalid string")
	}
	return s, nil
}

func decodeString(path string, v []byte) (string, error) {
	if rawjson.IsNull(v) {
		return "", nil
	}
	s, err := unquote(v)
	if err != nil {
		return "", &DecodeError{Field: path, Msg: err.Error()}
	}
	return s, nil
}

// decodeCount stores the integer v in *dst unless v is null.
func decodeCount(path string, v []byte, dst *int) error {
	if rawjson.IsNull(v) {
		return nil
	}
	n, err := intValue(path, v)
	if err == nil {
		*dst = n
	}
	return err
}

func intValue(path string, v []byte) (int, error) {
	n, err := strconv.Atoi(string(v))
	if err != nil {
		// Accept integral floats such as 100.0, which some clients send.
		f, ferr := strconv.ParseFloat(string(v), 64)
		if ferr != nil || f != float64(int(f)) {
			return 0, wrongKind(path, "an integer", v)
		}
		n = int(f)
	}
	return n, nil
}

// wrongKind reports that the value at path is not what the field takes. It
// is kept out of line so that the small decoders above stay inlinable, which
// keeps their results off the heap.
func wrongKind(path, want string, v []byte) error {
	return &DecodeError{Field: path, Msg: "expected " + want + ", got " + rawjson.KindOf(v).String()}
}
