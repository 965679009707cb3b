package bedrock

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"unicode/utf8"
)

// The request decoder walks the JSON body in place instead of unmarshalling it
// into structs. Converse is a strict API whose errors must name the JSON path
// of the offending member, its content blocks are unions that must hold
// exactly one member, and walking the bytes allocates only for the values the
// decoder keeps. The body is validated once with json.Valid, so the walkers
// below may assume well-formed JSON.

// checkJSON verifies that body is one well-formed JSON value and returns it
// without surrounding white space.
func checkJSON(body []byte) ([]byte, error) {
	body = bytes.TrimSpace(body)
	if len(body) == 0 {
		return nil, &DecodeError{Message: "request body is empty"}
	}
	if !utf8.Valid(body) {
		// RFC 8259 requires UTF-8; checking once here lets every string be
		// copied without a per-string check.
		return nil, &DecodeError{Message: "request body is not valid UTF-8"}
	}
	if json.Valid(body) {
		return body, nil
	}
	// Only the error path pays for a second parse, which reports the offset.
	var raw json.RawMessage
	err := json.Unmarshal(body, &raw)
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return nil, &DecodeError{Message: fmt.Sprintf("invalid JSON at byte %d: %s", se.Offset, se.Error())}
	}
	return nil, &DecodeError{Message: "request body is not valid JSON"}
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

func skipSpace(d []byte, i int) int {
	for i < len(d) && isSpace(d[i]) {
		i++
	}
	return i
}

// skipString returns the index just past the string that starts at d[i].
func skipString(d []byte, i int) int {
	i++
	for {
		j := bytes.IndexByte(d[i:], '"')
		if j < 0 {
			return len(d)
		}
		i += j
		// The quote is escaped when an odd number of backslashes precede it.
		n := 0
		for k := i - 1; k >= 0 && d[k] == '\\'; k-- {
			n++
		}
		i++
		if n%2 == 0 {
			return i
		}
	}
}

// skipValue returns the index just past the JSON value that starts at d[i].
func skipValue(d []byte, i int) int {
	switch d[i] {
	case '"':
		return skipString(d, i)
	case '{', '[':
		depth := 0
		for i < len(d) {
			switch d[i] {
			case '"':
				i = skipString(d, i)
				continue
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return i + 1
				}
			}
			i++
		}
		return len(d)
	}
	for i < len(d) && !isSpace(d[i]) && d[i] != ',' && d[i] != '}' && d[i] != ']' {
		i++
	}
	return i
}

// members iterates over the members of a JSON object in document order.
type members struct {
	data []byte
	i    int
	// key is the member name, unescaped; rawKey is the quoted name as it
	// appears in the document.
	key, rawKey []byte
	val         []byte
}

// object returns an iterator over v's members, or false if v is not an object.
func object(v []byte) (members, bool) {
	if len(v) == 0 || v[0] != '{' {
		return members{}, false
	}
	return members{data: v, i: 1}, true
}

func (m *members) next() bool {
	d := m.data
	i := skipSpace(d, m.i)
	if i < len(d) && d[i] == ',' {
		i = skipSpace(d, i+1)
	}
	if i >= len(d) || d[i] != '"' {
		return false
	}
	end := skipString(d, i)
	m.rawKey = d[i:end]
	m.key = d[i+1 : end-1]
	if bytes.IndexByte(m.key, '\\') >= 0 {
		var s string
		if json.Unmarshal(m.rawKey, &s) == nil {
			m.key = []byte(s)
		}
	}
	i = skipSpace(d, end)
	i = skipSpace(d, i+1) // past ':'
	vend := skipValue(d, i)
	m.val = d[i:vend]
	m.i = vend
	return true
}

// name returns the current member name as a string, for error messages.
func (m *members) name() string { return string(m.key) }

// elements iterates over the elements of a JSON array.
type elements struct {
	data []byte
	i    int
	n    int // index of val
	val  []byte
}

// array returns an iterator over v's elements, or false if v is not an array.
func array(v []byte) (elements, bool) {
	if len(v) == 0 || v[0] != '[' {
		return elements{}, false
	}
	return elements{data: v, i: 1, n: -1}, true
}

func (e *elements) next() bool {
	d := e.data
	i := skipSpace(d, e.i)
	if i < len(d) && d[i] == ',' {
		i = skipSpace(d, i+1)
	}
	if i >= len(d) || d[i] == ']' {
		return false
	}
	end := skipValue(d, i)
	e.val = d[i:end]
	e.i = end
	e.n++
	return true
}

// count returns the number of elements in the array v.
func count(v []byte) int {
	it, ok := array(v)
	if !ok {
		return 0
	}
	n := 0
	for it.next() {
		n++
	}
	return n
}

func isNull(v []byte) bool { return len(v) > 0 && v[0] == 'n' }

// kindOf names the JSON type of v for error messages.
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

// str decodes the JSON string v. Strings without escapes, which are nearly
// all of them, are copied without a second parse; checkJSON has already
// checked that the body is UTF-8.
func str(v []byte) (string, error) {
	if len(v) < 2 || v[0] != '"' {
		return "", wrongType("a string", v)
	}
	inner := v[1 : len(v)-1]
	if bytes.IndexByte(inner, '\\') < 0 {
		return string(inner), nil
	}
	var s string
	if err := json.Unmarshal(v, &s); err != nil {
		return "", &DecodeError{Message: "malformed string"}
	}
	return s, nil
}

// nonEmptyStr decodes a string member that Converse requires to be non-empty.
func nonEmptyStr(v []byte) (string, error) {
	s, err := str(v)
	if err == nil && s == "" {
		err = &DecodeError{Message: "must not be empty"}
	}
	return s, err
}

func boolean(v []byte) (bool, error) {
	switch string(v) {
	case "true":
		return true, nil
	case "false":
		return false, nil
	}
	return false, wrongType("a boolean", v)
}

func integer(v []byte) (int, error) {
	if len(v) == 0 || (v[0] != '-' && (v[0] < '0' || v[0] > '9')) {
		return 0, wrongType("an integer", v)
	}
	n, err := strconv.ParseInt(string(v), 10, 32)
	if err != nil {
		return 0, &DecodeError{Message: "must be an integer that fits in 32 bits, got " + string(v)}
	}
	return int(n), nil
}

func number(v []byte) (float64, error) {
	if len(v) == 0 || (v[0] != '-' && (v[0] < '0' || v[0] > '9')) {
		return 0, wrongType("a number", v)
	}
	f, err := strconv.ParseFloat(string(v), 64)
	if err != nil {
		return 0, &DecodeError{Message: "must be a finite number, got " + string(v)}
	}
	return f, nil
}

// blob decodes a base64 string, which is how Smithy's JSON protocols send
// binary members.
func blob(v []byte) ([]byte, error) {
	if len(v) < 2 || v[0] != '"' {
		return nil, wrongType("a base64 string", v)
	}
	src := v[1 : len(v)-1]
	if bytes.IndexByte(src, '\\') >= 0 {
		// Some encoders escape '/' as "\/"; unescape before decoding.
		s, err := str(v)
		if err != nil {
			return nil, err
		}
		src = []byte(s)
	}
	dst := make([]byte, base64.StdEncoding.DecodedLen(len(src)))
	n, err := base64.StdEncoding.Decode(dst, src)
	if err != nil {
		return nil, &DecodeError{Message: "must be standard base64: " + err.Error()}
	}
	return dst[:n], nil
}
