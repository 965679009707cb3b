package openai

import (
	"bytes"
	stdjson "encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"strings"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
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

// unmarshal decodes data into v with the gateway's rules of acceptance and
// turns a failure into a *DecodeError whose Field is the path of the
// offending value below path.
func unmarshal(path string, data []byte, v any) error {
	if err := json.Unmarshal(data, v, decodeOptions); err != nil {
		return decodeError(path, data, err)
	}
	return nil
}

// decodeError turns a json/v2 error into a *DecodeError. A document that is
// not JSON at all is reported as such, with its line and column, even when
// json/v2 stopped earlier at a value of the wrong type: that is what a
// client has to fix first.
func decodeError(path string, data []byte, err error) error {
	if se := syntaxError(data); se != nil {
		return se
	}
	var sem *json.SemanticError
	if !errors.As(err, &sem) {
		var syn *jsontext.SyntacticError
		if errors.As(err, &syn) {
			line, col := lineCol(data, syn.ByteOffset)
			return &DecodeError{Line: line, Column: col, Msg: syn.Err.Error()}
		}
		return &DecodeError{Field: path, Msg: err.Error()}
	}
	field := joinPath(path, sem.JSONPointer)
	var de *DecodeError
	if errors.As(sem.Err, &de) {
		return &DecodeError{Field: joinPath(field, jsontext.Pointer(de.Field)), Msg: de.Msg}
	}
	if sem.GoType == nil || sem.JSONKind == 0 {
		msg := "invalid value"
		if sem.Err != nil {
			msg = sem.Err.Error()
		}
		return &DecodeError{Field: field, Msg: msg}
	}
	return &DecodeError{Field: field, Msg: "expected " + wants(sem.GoType) + ", got " + kindName(sem.JSONKind)}
}

// wants describes what a Go type takes, for "expected ..." messages.
func wants(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int64, reflect.Int32, reflect.Uint, reflect.Uint64, reflect.Uint32:
		return "an integer"
	case reflect.Float64, reflect.Float32:
		return "a number"
	case reflect.Slice, reflect.Array:
		return "an array"
	}
	return "a JSON object"
}

// joinPath appends a JSON pointer to a field path in the form error
// messages use: members joined by dots, array indexes in brackets. Members
// of a literal extra_body are named as the top-level members they stand for.
func joinPath(path string, p jsontext.Pointer) string {
	var b strings.Builder
	b.WriteString(path)
	if path == "" {
		for strings.HasPrefix(string(p), "/extra_body/") {
			p = p[len("/extra_body"):]
		}
	}
	for tok := range p.Tokens() {
		if _, err := strconv.Atoi(tok); err == nil {
			b.WriteString("[" + tok + "]")
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('.')
		}
		b.WriteString(tok)
	}
	return b.String()
}

// syntaxError returns the syntax error of data by encoding/json's rules,
// or nil when data is one JSON value. Only the error path calls it.
func syntaxError(data []byte) *DecodeError {
	if stdjson.Valid(data) {
		return nil
	}
	var raw stdjson.RawMessage
	var se *stdjson.SyntaxError
	if err := stdjson.Unmarshal(data, &raw); !errors.As(err, &se) {
		return &DecodeError{Msg: "request body is not valid JSON"}
	}
	line, col := lineCol(data, se.Offset)
	return &DecodeError{Line: line, Column: col, Msg: se.Error()}
}

// lineCol converts a byte offset to a 1-based line and column.
func lineCol(data []byte, off int64) (line, col int) {
	off = min(max(off, 0), int64(len(data)))
	prefix := data[:off]
	line = bytes.Count(prefix, []byte{'\n'}) + 1
	col = max(int(off)-(bytes.LastIndexByte(prefix, '\n')+1), 1)
	return line, col
}

// members calls fn with each member of the object v, in order. It reads the
// objects json/v2 collected as unknown members, which are valid JSON.
func members(v jsontext.Value, fn func(name string, value jsontext.Value)) {
	if len(v) == 0 {
		return
	}
	dec := jsontext.NewDecoder(bytes.NewReader(v), decodeOptions)
	if _, err := dec.ReadToken(); err != nil {
		return
	}
	for dec.PeekKind() == '"' {
		tok, err := dec.ReadToken()
		if err != nil {
			return
		}
		name := tok.String() // before the next read voids tok
		val, err := dec.ReadValue()
		if err != nil {
			return
		}
		// v is already the caller's own copy: hand out slices of it.
		end := int(dec.InputOffset())
		fn(name, v[end-len(val):end:end])
	}
}
