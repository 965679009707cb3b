package rawjson

import (
	"encoding/base64"
	"strconv"
	"unicode/utf8"
)

// The appenders write into a byte slice the caller owns and reuses, which
// costs no allocation per document once the slice is large enough, and lets
// raw JSON (a client's passthrough field) be spliced in verbatim.

const hexDigits = "0123456789abcdef"

// AppendString appends s as a JSON string, escaped exactly as encoding/json
// escapes it with HTML escaping off: invalid UTF-8 becomes \ufffd, and
// U+2028 and U+2029 are escaped because JavaScript cannot hold them raw.
func AppendString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// AppendBase64 appends data as a JSON string in standard base64, the way
// encoding/json encodes a []byte and Smithy's JSON protocols send a blob.
func AppendBase64(b []byte, data []byte) []byte {
	b = append(b, '"')
	b = base64.StdEncoding.AppendEncode(b, data)
	return append(b, '"')
}

// AppendInt appends n as a JSON number.
func AppendInt(b []byte, n int64) []byte { return strconv.AppendInt(b, n, 10) }

// AppendFloat appends f as a JSON number: an integral value below 1e15 in
// magnitude as an integer (100, not 1e+02), which strict integer parsers
// upstream accept; anything else in the shortest form that reads back as
// the same float64.
func AppendFloat(b []byte, f float64) []byte {
	if f == float64(int64(f)) && f < 1e15 && f > -1e15 {
		return strconv.AppendInt(b, int64(f), 10)
	}
	return strconv.AppendFloat(b, f, 'g', -1, 64)
}

// AppendSep appends the comma that separates a member or element from the
// one before it: nothing at the start of b or right after an opening brace
// or bracket, a comma anywhere else.
func AppendSep(b []byte) []byte {
	if n := len(b); n > 0 && b[n-1] != '{' && b[n-1] != '[' {
		return append(b, ',')
	}
	return b
}

// AppendKey starts an object member: the separator, then k as a JSON string
// (escaped, since passthrough keys come from clients) and a colon.
func AppendKey(b []byte, k string) []byte {
	return append(AppendString(AppendSep(b), k), ':')
}

// Builder is a byte slice with methods that append JSON. It adds no state:
// the commas are inferred from the bytes, so Append functions and raw
// splices can be mixed with its methods freely.
//
//	e := rawjson.Builder(dst)
//	e.OpenObject()
//	e.Str("id", id)
//	e.Arr("tags")
//	for _, t := range tags {
//		e.Elem()
//		e = rawjson.AppendString(e, t)
//	}
//	e.CloseArray()
//	e.CloseObject()
//	return e
type Builder []byte

// OpenObject starts an object value.
func (e *Builder) OpenObject() { *e = append(*e, '{') }

// CloseObject ends an object.
func (e *Builder) CloseObject() { *e = append(*e, '}') }

// OpenArray starts an array value.
func (e *Builder) OpenArray() { *e = append(*e, '[') }

// CloseArray ends an array.
func (e *Builder) CloseArray() { *e = append(*e, ']') }

// Elem starts an array element: a comma unless it is the first.
func (e *Builder) Elem() { *e = AppendSep(*e) }

// Key starts a member named k; its value is appended next.
func (e *Builder) Key(k string) { *e = AppendKey(*e, k) }

// Obj starts a member whose value is an object.
func (e *Builder) Obj(k string) { *e = append(AppendKey(*e, k), '{') }

// Arr starts a member whose value is an array; start each element with Elem.
func (e *Builder) Arr(k string) { *e = append(AppendKey(*e, k), '[') }

// Str appends the member "k":"v".
func (e *Builder) Str(k, v string) { *e = AppendString(AppendKey(*e, k), v) }

// StrOpt appends the member only when v is not empty.
func (e *Builder) StrOpt(k, v string) {
	if v != "" {
		e.Str(k, v)
	}
}

// Int appends an integer member.
func (e *Builder) Int(k string, v int64) { *e = AppendInt(AppendKey(*e, k), v) }

// IntPtr appends an integer member when v is not nil.
func (e *Builder) IntPtr(k string, v *int) {
	if v != nil {
		e.Int(k, int64(*v))
	}
}

// Float appends a number member, written by AppendFloat.
func (e *Builder) Float(k string, v float64) { *e = AppendFloat(AppendKey(*e, k), v) }

// FloatPtr appends a number member when v is not nil.
func (e *Builder) FloatPtr(k string, v *float64) {
	if v != nil {
		e.Float(k, *v)
	}
}

// Bool appends a boolean member.
func (e *Builder) Bool(k string, v bool) { *e = strconv.AppendBool(AppendKey(*e, k), v) }

// BoolPtr appends a boolean member when v is not nil.
func (e *Builder) BoolPtr(k string, v *bool) {
	if v != nil {
		e.Bool(k, *v)
	}
}

// Null appends the member "k":null.
func (e *Builder) Null(k string) { *e = append(AppendKey(*e, k), "null"...) }

// Raw appends a member whose value v is JSON already, spliced verbatim.
func (e *Builder) Raw(k string, v []byte) { *e = append(AppendKey(*e, k), v...) }

// RawOpt appends the raw member only when v is not empty.
func (e *Builder) RawOpt(k string, v []byte) {
	if len(v) > 0 {
		e.Raw(k, v)
	}
}
