package openai

import (
	"encoding/json"
	"strconv"
	"unicode/utf8"
)

// enc appends JSON to a byte slice. It exists because the hot path encodes a
// chunk per streamed delta and must splice raw passthrough fields verbatim,
// neither of which encoding/json does cheaply.
type enc struct {
	b     []byte
	first bool // no member written yet in the current object
}

func (e *enc) open() { e.b = append(e.b, '{'); e.first = true }

func (e *enc) close() { e.b = append(e.b, '}'); e.first = false }

func (e *enc) key(k string) {
	if !e.first {
		e.b = append(e.b, ',')
	}
	e.first = false
	// Keys of passthrough fields come from clients, so they are escaped too.
	e.b = appendString(e.b, k)
	e.b = append(e.b, ':')
}

// str writes "k":"v".
func (e *enc) str(k, v string) { e.key(k); e.b = appendString(e.b, v) }

// strOpt writes the member only when v is not empty.
func (e *enc) strOpt(k, v string) {
	if v != "" {
		e.str(k, v)
	}
}

func (e *enc) int(k string, v int64) { e.key(k); e.b = strconv.AppendInt(e.b, v, 10) }

func (e *enc) raw(k string, v []byte) { e.key(k); e.b = append(e.b, v...) }

func (e *enc) bool(k string, v bool) { e.key(k); e.b = strconv.AppendBool(e.b, v) }

func (e *enc) float(k string, v float64) { e.key(k); e.b = appendFloat(e.b, v) }

func (e *enc) intPtr(k string, v *int) {
	if v != nil {
		e.int(k, int64(*v))
	}
}

func (e *enc) floatPtr(k string, v *float64) {
	if v != nil {
		e.float(k, *v)
	}
}

func (e *enc) boolPtr(k string, v *bool) {
	if v != nil {
		e.bool(k, *v)
	}
}

func (e *enc) rawOpt(k string, v json.RawMessage) {
	if len(v) > 0 {
		e.raw(k, v)
	}
}

// arr starts an array member; elements are written with elem.
func (e *enc) arr(k string) { e.key(k); e.b = append(e.b, '['); e.first = true }

func (e *enc) elem() {
	if !e.first {
		e.b = append(e.b, ',')
	}
	e.first = false
}

func (e *enc) endArr() { e.b = append(e.b, ']'); e.first = false }

// obj starts an object member.
func (e *enc) obj(k string) { e.key(k); e.open() }

func appendFloat(b []byte, f float64) []byte {
	if f == float64(int64(f)) && f < 1e15 && f > -1e15 {
		return strconv.AppendInt(b, int64(f), 10)
	}
	return strconv.AppendFloat(b, f, 'g', -1, 64)
}

const hexDigits = "0123456789abcdef"

// appendString appends s as a JSON string, escaping as encoding/json does
// (minus HTML escaping, which JSON APIs do not need).
func appendString(b []byte, s string) []byte {
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
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
