package rawjson

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math/bits"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"
)

// The walkers below assume a document Check has accepted: they find the end
// of a value by counting brackets and skipping strings, without validating
// again. On other input they return unspecified values but never panic.

// SyntaxError locates the first syntax error in a document.
type SyntaxError struct {
	// Offset is the number of bytes read before the error, as in
	// encoding/json's SyntaxError.
	Offset int64
	// Line and Column are 1-based and count bytes.
	Line, Column int
	// Msg is encoding/json's description of the error.
	Msg string
}

// Error returns the position and encoding/json's description.
func (e *SyntaxError) Error() string {
	return fmt.Sprintf("invalid JSON at line %d, column %d: %s", e.Line, e.Column, e.Msg)
}

// Check reports whether data is exactly one JSON value, with white space
// allowed around it, by encoding/json's rules (which let invalid UTF-8
// through inside strings). When it is not, the error is a *SyntaxError.
func Check(data []byte) error {
	if Valid(data) {
		return nil
	}
	// Only the error path pays for a second parse, which reports the offset.
	var raw json.RawMessage
	var se *json.SyntaxError
	if err := json.Unmarshal(data, &raw); !errors.As(err, &se) {
		return errors.New("not valid JSON")
	}
	line, col := lineCol(data, se.Offset)
	return &SyntaxError{Offset: se.Offset, Line: line, Column: col, Msg: se.Error()}
}

func lineCol(data []byte, off int64) (line, col int) {
	off = min(max(off, 0), int64(len(data)))
	prefix := data[:off]
	line = bytes.Count(prefix, []byte{'\n'}) + 1
	col = max(int(off)-(bytes.LastIndexByte(prefix, '\n')+1), 1)
	return line, col
}

// ValidObject reports whether v is one valid JSON object, with white space
// allowed around it.
func ValidObject(v []byte) bool {
	return KindOf(v) == KindObject && Valid(v)
}

// Kind is the type of a JSON value, as told by its first byte.
type Kind uint8

// The kinds of JSON value.
const (
	KindNone Kind = iota // no value: empty input or only white space
	KindNull
	KindBool
	KindNumber
	KindString
	KindArray
	KindObject
)

// String names the kind with its article, for error messages such as
// "expected an array, got a string".
func (k Kind) String() string {
	switch k {
	case KindNull:
		return "null"
	case KindBool:
		return "a boolean"
	case KindNumber:
		return "a number"
	case KindString:
		return "a string"
	case KindArray:
		return "an array"
	case KindObject:
		return "an object"
	}
	return "nothing"
}

// KindOf returns the kind of the value v holds, skipping white space before
// it. It looks at one byte only: anything that is not an object, array,
// string, boolean or null counts as a number.
func KindOf(v []byte) Kind {
	i := skipSpace(v, 0)
	if i == len(v) {
		return KindNone
	}
	switch v[i] {
	case '{':
		return KindObject
	case '[':
		return KindArray
	case '"':
		return KindString
	case 't', 'f':
		return KindBool
	case 'n':
		return KindNull
	}
	return KindNumber
}

// IsNull reports whether v is the literal null.
func IsNull(v []byte) bool { return len(v) == 4 && string(v) == "null" }

// Unquote decodes the JSON string token v, taken from a document Check has
// accepted, as encoding/json would: escapes are resolved, and invalid UTF-8
// and unpaired surrogates become U+FFFD. It reports false when v is not
// quoted or holds a malformed escape. Strings without escapes, nearly all of
// them, are copied as they are.
func Unquote(v []byte) (string, bool) {
	if len(v) < 2 || v[0] != '"' || v[len(v)-1] != '"' {
		return "", false
	}
	s := v[1 : len(v)-1]
	if bytes.IndexByte(s, '\\') < 0 && utf8.Valid(s) {
		return string(s), true
	}
	var buf [128]byte
	b, ok := appendUnquoted(buf[:0], s)
	if !ok {
		return "", false
	}
	return string(b), true
}

// needsUnquote reports whether the contents s of a string token differ from
// the string they encode: they hold an escape or invalid UTF-8.
func needsUnquote(s []byte) bool {
	for _, c := range s {
		if c == '\\' || c >= utf8.RuneSelf {
			return bytes.IndexByte(s, '\\') >= 0 || !utf8.Valid(s)
		}
	}
	return false
}

// appendUnquoted appends the string whose quoted contents are s, with the
// rules of encoding/json's unquote, and reports false where that fails.
func appendUnquoted(dst, s []byte) ([]byte, bool) {
	for r := 0; r < len(s); {
		switch c := s[r]; {
		case c == '\\':
			if r+1 >= len(s) {
				return dst, false
			}
			switch s[r+1] {
			case '"', '\\', '/', '\'':
				dst = append(dst, s[r+1])
			case 'b':
				dst = append(dst, '\b')
			case 'f':
				dst = append(dst, '\f')
			case 'n':
				dst = append(dst, '\n')
			case 'r':
				dst = append(dst, '\r')
			case 't':
				dst = append(dst, '\t')
			case 'u':
				rr := hex4(s[r:])
				if rr < 0 {
					return dst, false
				}
				r += 6
				if utf16.IsSurrogate(rr) {
					if dec := utf16.DecodeRune(rr, hex4(s[r:])); dec != unicode.ReplacementChar {
						r += 6
						dst = utf8.AppendRune(dst, dec)
						continue
					}
					rr = unicode.ReplacementChar
				}
				dst = utf8.AppendRune(dst, rr)
				continue
			default:
				return dst, false
			}
			r += 2
		case c == '"' || c < ' ':
			return dst, false
		case c < utf8.RuneSelf:
			start := r
			for r++; r < len(s) && s[r] < utf8.RuneSelf && s[r] >= ' ' && s[r] != '\\' && s[r] != '"'; r++ {
			}
			dst = append(dst, s[start:r]...)
		default:
			rr, size := utf8.DecodeRune(s[r:])
			if rr == utf8.RuneError && size == 1 {
				dst = utf8.AppendRune(dst, rr)
			} else {
				dst = append(dst, s[r:r+size]...)
			}
			r += size
		}
	}
	return dst, true
}

// hex4 decodes the \uXXXX escape at the start of s, or returns -1.
func hex4(s []byte) rune {
	if len(s) < 6 || s[0] != '\\' || s[1] != 'u' {
		return -1
	}
	var r rune
	for _, c := range s[2:6] {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c = c - 'a' + 10
		case 'A' <= c && c <= 'F':
			c = c - 'A' + 10
		default:
			return -1
		}
		r = r*16 + rune(c)
	}
	return r
}

// Members iterates over the members of a JSON object in document order:
//
//	obj, ok := rawjson.Object(v)
//	for obj.Next() {
//		switch string(obj.Key()) { ... obj.Value() ... }
//	}
//
// Keys and values alias the document.
type Members struct {
	data []byte
	// The iterator keeps offsets rather than slices, so that advancing
	// writes no pointers (which would cost a GC write barrier each).
	next       int // where the scan resumes
	key0, key1 int // the quoted name
	val0, val1 int // the value
	escaped    bool
	unescaped  []byte // the name, when escaped is set
}

// Object returns an iterator over the members of the object v (white space
// before it is skipped), or false if v is not an object.
func Object(v []byte) (Members, bool) {
	i := skipSpace(v, 0)
	if i == len(v) || v[i] != '{' {
		return Members{}, false
	}
	return Members{data: v, next: i + 1}, true
}

// Next advances to the next member and reports whether there is one.
func (m *Members) Next() bool {
	d := m.data
	i := skipSpace(d, m.next)
	if i < len(d) && d[i] == ',' {
		i = skipSpace(d, i+1)
	}
	if i >= len(d) || d[i] != '"' {
		m.next = len(d)
		return false
	}
	end, plain := skipName(d, i)
	m.key0, m.key1 = i, end
	if name := m.name(); !plain && needsUnquote(name) {
		m.escaped = true
		var ok bool
		if m.unescaped, ok = appendUnquoted(nil, name); !ok {
			m.unescaped = name
		}
	} else {
		m.escaped = false
	}
	i = skipSpace(d, end)
	if i < len(d) && d[i] == ':' {
		i = skipSpace(d, i+1)
	}
	m.val0 = i
	m.val1 = skipValue(d, i)
	m.next = m.val1
	return true
}

// Key returns the current member's name, unescaped. It aliases the document
// unless the name has escapes or invalid UTF-8 (replaced by U+FFFD), and
// stays valid after Next.
func (m *Members) Key() []byte {
	if m.escaped {
		return m.unescaped
	}
	return m.name()
}

// name returns the text between the quotes of the current member's name.
func (m *Members) name() []byte {
	return m.data[m.key0+1 : max(m.key1-1, m.key0+1)]
}

// RawKey returns the current member's name as it appears in the document,
// quotes included.
func (m *Members) RawKey() []byte { return m.data[m.key0:m.key1] }

// Value returns the current member's value, without white space around it.
func (m *Members) Value() []byte { return m.data[m.val0:m.val1] }

// Elements iterates over the elements of a JSON array in order; see Members.
type Elements struct {
	data       []byte
	next       int
	n          int
	val0, val1 int
}

// Array returns an iterator over the elements of the array v (white space
// before it is skipped), or false if v is not an array.
func Array(v []byte) (Elements, bool) {
	i := skipSpace(v, 0)
	if i == len(v) || v[i] != '[' {
		return Elements{}, false
	}
	return Elements{data: v, next: i + 1, n: -1}, true
}

// Next advances to the next element and reports whether there is one.
func (e *Elements) Next() bool {
	d := e.data
	i := skipSpace(d, e.next)
	if i < len(d) && d[i] == ',' {
		i = skipSpace(d, i+1)
	}
	if i >= len(d) || d[i] == ']' {
		e.next = len(d)
		return false
	}
	end := skipValue(d, i)
	if end == i {
		// Not a value (input that Check would refuse); stop rather
		// than spin.
		e.next = len(d)
		return false
	}
	e.val0, e.val1 = i, end
	e.next = end
	e.n++
	return true
}

// Index returns the current element's index, from 0.
func (e *Elements) Index() int { return e.n }

// Value returns the current element, without white space around it.
func (e *Elements) Value() []byte { return e.data[e.val0:e.val1] }

// ArrayLen returns the number of elements of the array v, or 0 if v is not
// an array.
func ArrayLen(v []byte) int {
	it, ok := Array(v)
	if !ok {
		return 0
	}
	n := 0
	for it.Next() {
		n++
	}
	return n
}

func skipSpace(d []byte, i int) int {
	for i < len(d) {
		switch d[i] {
		case ' ', '\t', '\n', '\r':
			i++
		default:
			return i
		}
	}
	return i
}

// skipString returns the index just past the string that starts at d[i].
// Most strings (member names, ids, short values) end within a few words, so
// it tests eight bytes at a time for a quote or backslash before handing
// long strings, and those with escapes, to skipLongString.
func skipString(d []byte, i int) int {
	j := i + 1
	for n := 0; n < 4 && j+8 <= len(d); n++ {
		w := binary.LittleEndian.Uint64(d[j:])
		if m := hasByte(w, '"') | hasByte(w, '\\'); m != 0 {
			// The lowest flagged byte is exact: the word trick can only
			// misflag bytes after a real match.
			j += bits.TrailingZeros64(m) >> 3
			if d[j] == '"' {
				return j + 1
			}
			break
		}
		j += 8
	}
	return skipLongString(d, i, j)
}

// skipName is skipString for a member name, and also reports whether the
// name is plain: no escapes and only ASCII, so that it needs no decoding.
// Names are short, so most are settled by the first word or two.
func skipName(d []byte, i int) (end int, plain bool) {
	j := i + 1
	for n := 0; n < 4 && j+8 <= len(d); n++ {
		w := binary.LittleEndian.Uint64(d[j:])
		if m := hasByte(w, '"') | hasByte(w, '\\') | w&0x8080808080808080; m != 0 {
			j += bits.TrailingZeros64(m) >> 3
			if d[j] == '"' {
				return j + 1, true
			}
			break
		}
		j += 8
	}
	return skipLongString(d, i, j), false
}

// hasByte flags with its high bit each byte of w that equals c.
func hasByte(w uint64, c byte) uint64 {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	x := w ^ (ones * uint64(c))
	return (x - ones) & ^x & highs
}

// skipLongString is skipString for a string that starts at d[i] and has no
// quote before d[j], finding each quote with IndexByte.
func skipLongString(d []byte, i, j int) int {
	for j < len(d) {
		q := bytes.IndexByte(d[j:], '"')
		if q < 0 {
			break
		}
		j += q
		// The quote is escaped when an odd number of backslashes precede it.
		n := 0
		for k := j - 1; k > i && d[k] == '\\'; k-- {
			n++
		}
		j++
		if n%2 == 0 {
			return j
		}
	}
	return len(d)
}

// skipValue returns the index just past the value that starts at d[i].
func skipValue(d []byte, i int) int {
	if i >= len(d) {
		return len(d)
	}
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
	for i < len(d) {
		switch d[i] {
		case ',', '}', ']', ' ', '\t', '\n', '\r':
			return i
		}
		i++
	}
	return i
}
