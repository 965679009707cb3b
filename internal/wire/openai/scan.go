package openai

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"unicode/utf8"
)

// DecodeError reports a request that is not valid JSON or has a field of the
// wrong type. Its message says where, so a client can fix it.
type DecodeError struct {
	// Field is the JSON path of the offending value, e.g. "messages[2].content".
	Field string
	// Line and Column locate a syntax error (1-based); zero otherwise.
	Line, Column int
	Msg          string
}

func (e *DecodeError) Error() string {
	switch {
	case e.Line > 0:
		return fmt.Sprintf("invalid JSON at line %d, column %d: %s", e.Line, e.Column, e.Msg)
	case e.Field != "":
		return e.Field + ": " + e.Msg
	}
	return e.Msg
}

// checkJSON verifies data is one valid JSON value and turns a syntax error
// into a DecodeError with its line and column.
func checkJSON(data []byte) error {
	if json.Valid(data) {
		return nil
	}
	var v struct{}
	err := json.Unmarshal(data, &v)
	var se *json.SyntaxError
	if err == nil || !asSyntax(err, &se) {
		return &DecodeError{Msg: "request body is not valid JSON"}
	}
	line, col := lineCol(data, se.Offset)
	return &DecodeError{Line: line, Column: col, Msg: se.Error()}
}

func asSyntax(err error, se **json.SyntaxError) bool {
	s, ok := err.(*json.SyntaxError)
	*se = s
	return ok
}

func lineCol(data []byte, off int64) (line, col int) {
	if off > int64(len(data)) {
		off = int64(len(data))
	}
	prefix := data[:off]
	line = bytes.Count(prefix, []byte{'\n'}) + 1
	col = int(off) - (bytes.LastIndexByte(prefix, '\n') + 1)
	if col < 1 {
		col = 1
	}
	return line, col
}

// eachMember calls fn with each key and raw value of the JSON object in data,
// in document order. data must already be valid JSON (checkJSON); a value
// that is not an object is reported against path.
func eachMember(data []byte, path string, fn func(key string, value []byte) error) error {
	i := skipSpace(data, 0)
	if i >= len(data) || data[i] != '{' {
		return &DecodeError{Field: path, Msg: "expected a JSON object, got " + kindOf(data[i:])}
	}
	i = skipSpace(data, i+1)
	if i < len(data) && data[i] == '}' {
		return nil
	}
	for i < len(data) {
		end := skipString(data, i)
		key, ok := knownKeys[string(data[i+1:end-1])] // no allocation
		if !ok {
			var err error
			if key, err = unquote(data[i:end]); err != nil {
				return &DecodeError{Field: path, Msg: err.Error()}
			}
		}
		i = skipSpace(data, end)
		i = skipSpace(data, i+1) // ':'
		vend := skipValue(data, i)
		if err := fn(key, data[i:vend]); err != nil {
			return err
		}
		i = skipSpace(data, vend)
		if i >= len(data) || data[i] == '}' {
			return nil
		}
		i = skipSpace(data, i+1) // ','
	}
	return nil
}

// knownKeys maps the member names the decoders look for to constant
// strings, so that scanning a document allocates nothing for its keys. It is
// read-only after package initialisation.
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

// eachElement calls fn with each element of the JSON array in data.
func eachElement(data []byte, path string, fn func(i int, value []byte) error) error {
	i := skipSpace(data, 0)
	if i >= len(data) || data[i] != '[' {
		return &DecodeError{Field: path, Msg: "expected an array, got " + kindOf(data[i:])}
	}
	i = skipSpace(data, i+1)
	if i < len(data) && data[i] == ']' {
		return nil
	}
	for n := 0; i < len(data); n++ {
		vend := skipValue(data, i)
		if err := fn(n, data[i:vend]); err != nil {
			return err
		}
		i = skipSpace(data, vend)
		if i >= len(data) || data[i] == ']' {
			return nil
		}
		i = skipSpace(data, i+1)
	}
	return nil
}

func skipSpace(data []byte, i int) int {
	for i < len(data) {
		switch data[i] {
		case ' ', '\t', '\n', '\r':
			i++
		default:
			return i
		}
	}
	return i
}

// skipString returns the index just past the string starting at data[i].
func skipString(data []byte, i int) int {
	for j := i + 1; j < len(data); j++ {
		switch data[j] {
		case '\\':
			j++
		case '"':
			return j + 1
		}
	}
	return len(data)
}

// skipValue returns the index just past the JSON value starting at data[i].
func skipValue(data []byte, i int) int {
	if i >= len(data) {
		return i
	}
	switch data[i] {
	case '"':
		return skipString(data, i)
	case '{', '[':
		depth := 0
		for j := i; j < len(data); j++ {
			switch data[j] {
			case '"':
				j = skipString(data, j) - 1
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return j + 1
				}
			}
		}
		return len(data)
	}
	j := i
	for j < len(data) {
		switch data[j] {
		case ',', '}', ']', ' ', '\t', '\n', '\r':
			return j
		}
		j++
	}
	return j
}

func kindOf(v []byte) string {
	if len(v) == 0 {
		return "nothing"
	}
	switch v[0] {
	case '{':
		return "an object"
	case '[':
		return "an array"
	case '"':
		return "a string"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	}
	return "a number"
}

func isNull(v []byte) bool { return len(v) == 4 && string(v) == "null" }

// unquote decodes a JSON string token, fast when it has no escapes.
func unquote(v []byte) (string, error) {
	if len(v) < 2 || v[0] != '"' || v[len(v)-1] != '"' {
		return "", fmt.Errorf("expected a string, got %s", kindOf(v))
	}
	inner := v[1 : len(v)-1]
	if bytes.IndexByte(inner, '\\') < 0 && utf8.Valid(inner) {
		return string(inner), nil
	}
	var s string
	if err := json.Unmarshal(v, &s); err != nil {
		return "", fmt.Errorf("invalid string: %v", err)
	}
	return s, nil
}

func decodeString(path string, v []byte) (string, error) {
	if isNull(v) {
		return "", nil
	}
	s, err := unquote(v)
	if err != nil {
		return "", &DecodeError{Field: path, Msg: err.Error()}
	}
	return s, nil
}

func decodeFloat(path string, v []byte) (*float64, error) {
	if isNull(v) {
		return nil, nil
	}
	f, err := strconv.ParseFloat(string(v), 64)
	if err != nil {
		return nil, &DecodeError{Field: path, Msg: "expected a number, got " + kindOf(v)}
	}
	return &f, nil
}

func decodeInt(path string, v []byte) (*int, error) {
	if isNull(v) {
		return nil, nil
	}
	n, err := strconv.Atoi(string(v))
	if err != nil {
		// Accept integral floats such as 100.0, which some clients send.
		f, ferr := strconv.ParseFloat(string(v), 64)
		if ferr != nil || f != float64(int(f)) {
			return nil, &DecodeError{Field: path, Msg: "expected an integer, got " + kindOf(v)}
		}
		n = int(f)
	}
	return &n, nil
}

func decodeBool(path string, v []byte) (*bool, error) {
	switch string(v) {
	case "true":
		b := true
		return &b, nil
	case "false":
		b := false
		return &b, nil
	case "null":
		return nil, nil
	}
	return nil, &DecodeError{Field: path, Msg: "expected true or false, got " + kindOf(v)}
}

// decodeStrings accepts a string or an array of strings.
func decodeStrings(path string, v []byte) ([]string, error) {
	if isNull(v) {
		return nil, nil
	}
	if len(v) > 0 && v[0] == '"' {
		s, err := decodeString(path, v)
		return []string{s}, err
	}
	var out []string
	err := eachElement(v, path, func(i int, e []byte) error {
		s, err := unquote(e)
		if err != nil {
			return &DecodeError{Field: fmt.Sprintf("%s[%d]", path, i), Msg: err.Error()}
		}
		out = append(out, s)
		return nil
	})
	return out, err
}

func expectObject(path string, v []byte) error {
	if len(v) == 0 || v[0] != '{' {
		return &DecodeError{Field: path, Msg: "expected a JSON object, got " + kindOf(v)}
	}
	return nil
}
