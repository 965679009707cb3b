package bedrock

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"unicode/utf8"

	"github.com/tollgate-gw/tollgate/internal/wire/rawjson"
)

// The request decoder walks the JSON body in place with rawjson instead of
// unmarshalling it into structs. Converse is a strict API whose errors must
// name the JSON path of the offending member, its content blocks are unions
// that must hold exactly one member, and walking the bytes allocates only for
// the values the decoder keeps. The body is validated once by checkJSON, so
// the walkers may assume well-formed JSON.

// checkJSON verifies that body is one well-formed JSON value and returns it
// without surrounding white space.
func checkJSON(body []byte) ([]byte, error) {
	body = bytes.TrimSpace(body)
	if len(body) == 0 {
		return nil, &DecodeError{Message: "request body is empty"}
	}
	if !utf8.Valid(body) {
		// RFC 8259 requires UTF-8, and Converse refuses anything else.
		return nil, &DecodeError{Message: "request body is not valid UTF-8"}
	}
	err := rawjson.Check(body)
	if err == nil {
		return body, nil
	}
	var se *rawjson.SyntaxError
	if errors.As(err, &se) {
		return nil, &DecodeError{Message: fmt.Sprintf("invalid JSON at byte %d: %s", se.Offset, se.Msg)}
	}
	return nil, &DecodeError{Message: "request body is not valid JSON"}
}

// str decodes the JSON string v.
func str(v []byte) (string, error) {
	if rawjson.KindOf(v) != rawjson.KindString {
		return "", wrongType("a string", v)
	}
	s, ok := rawjson.Unquote(v)
	if !ok {
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
	if rawjson.KindOf(v) != rawjson.KindString || len(v) < 2 {
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

// jsonObject reports whether raw, less surrounding white space, is one valid
// JSON object.
func jsonObject(raw []byte) bool { return rawjson.ValidObject(bytes.TrimSpace(raw)) }

// validRaw reports whether raw is valid JSON in valid UTF-8, fit to be
// spliced into a Converse document as it is.
func validRaw(raw []byte) bool { return utf8.Valid(raw) && rawjson.Check(raw) == nil }
