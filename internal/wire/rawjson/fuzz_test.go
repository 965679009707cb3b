package rawjson

import (
	"bytes"
	"encoding/json"
	"errors"
	"testing"
)

// FuzzScan: Check agrees with encoding/json on validity, and on a valid
// document the iterators enumerate exactly the members and elements
// encoding/json's tokenizer sees, with the same names and the same value
// bytes, and Unquote decodes every string as encoding/json does. On invalid
// input the walkers must not panic.
func FuzzScan(f *testing.F) {
	for _, s := range []string{
		`{"a":1,"b":[true,false,null],"c":{"d":"e"}}`,
		` [ 1 , "two" , { "3" : [ ] } ] `,
		`{"esc\"aped":"\u00e9\ud83d\ude00\n","\u0041":"x\\"}`,
		"{\"bad\xff\":\"\xed\xa0\x80\"}",
		`"\ud800\udc00\ud800x"`,
		`-0.5e-3`,
		`{"a":}`,
		`[1,`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		err := Check(data)
		if valid := json.Valid(data); (err == nil) != valid {
			t.Fatalf("Check(%q) = %v, json.Valid = %v", data, err, valid)
		}
		if err != nil {
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("Check(%q) = %T, want *SyntaxError", data, err)
			}
			walk(data)
			return
		}
		compare(t, data)
	})
}

// walk runs the iterators over whatever data is, recursively.
func walk(v []byte) {
	KindOf(v)
	Unquote(v)
	if obj, ok := Object(v); ok {
		for obj.Next() {
			walk(obj.Value())
		}
	}
	if it, ok := Array(v); ok {
		for it.Next() {
			walk(it.Value())
		}
		ArrayLen(v)
	}
}

// compare checks the scanner against encoding/json on the valid value v.
func compare(t *testing.T, v []byte) {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(v))
	dec.UseNumber()
	tok, err := dec.Token()
	if err != nil {
		t.Fatalf("tokenizing %q: %v", v, err)
	}
	var want Kind
	switch tok := tok.(type) {
	case json.Delim:
		if tok == '{' {
			want = KindObject
		} else {
			want = KindArray
		}
	case string:
		want = KindString
		got, ok := Unquote(bytes.TrimSpace(v))
		if !ok || got != tok {
			t.Fatalf("Unquote(%q) = %q, %v; encoding/json gives %q", v, got, ok, tok)
		}
	case json.Number:
		want = KindNumber
	case bool:
		want = KindBool
	case nil:
		want = KindNull
	}
	if got := KindOf(v); got != want {
		t.Fatalf("KindOf(%q) = %v, want %v", v, got, want)
	}
	switch want {
	case KindObject:
		obj, ok := Object(v)
		if !ok {
			t.Fatalf("Object(%q) refused an object", v)
		}
		for dec.More() {
			key, _ := dec.Token()
			var raw json.RawMessage
			if err := dec.Decode(&raw); err != nil {
				t.Fatalf("decoding a member of %q: %v", v, err)
			}
			if !obj.Next() {
				t.Fatalf("members of %q end before %q", v, key)
			}
			var rawKey string
			if err := json.Unmarshal(obj.RawKey(), &rawKey); err != nil || rawKey != key {
				t.Fatalf("RawKey %q of %q decodes to %q (%v), want %q", obj.RawKey(), v, rawKey, err, key)
			}
			if string(obj.Key()) != key || !bytes.Equal(obj.Value(), raw) {
				t.Fatalf("member of %q = %q: %q, want %q: %q", v, obj.Key(), obj.Value(), key, raw)
			}
			compare(t, raw)
		}
		if obj.Next() {
			t.Fatalf("extra member %q: %q in %q", obj.Key(), obj.Value(), v)
		}
	case KindArray:
		it, ok := Array(v)
		if !ok {
			t.Fatalf("Array(%q) refused an array", v)
		}
		n := 0
		for ; dec.More(); n++ {
			var raw json.RawMessage
			if err := dec.Decode(&raw); err != nil {
				t.Fatalf("decoding an element of %q: %v", v, err)
			}
			if !it.Next() || it.Index() != n || !bytes.Equal(it.Value(), raw) {
				t.Fatalf("element %d of %q = %q, want %q", n, v, it.Value(), raw)
			}
			compare(t, raw)
		}
		if it.Next() {
			t.Fatalf("extra element %q in %q", it.Value(), v)
		}
		if got := ArrayLen(v); got != n {
			t.Fatalf("ArrayLen(%q) = %d, want %d", v, got, n)
		}
	}
}

// FuzzAppendString: AppendString writes what encoding/json writes (HTML
// escaping off), byte for byte, and that reads back with json.Unmarshal and
// with Unquote to the same string.
func FuzzAppendString(f *testing.F) {
	for _, s := range []string{"", "plain", "q\"b\\s/", "\x00\b\f\n\r\t\x1f\x7f", "é日😀", "\xff\xc3(", "\u2028\u2029", "<&>"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := AppendString(nil, s)
		if want := marshal(t, s); string(got) != want {
			t.Fatalf("AppendString(%q) = %s, encoding/json gives %s", s, got, want)
		}
		var back string
		if err := json.Unmarshal(got, &back); err != nil {
			t.Fatalf("AppendString(%q) = %s, which does not unmarshal: %v", s, got, err)
		}
		if u, ok := Unquote(got); !ok || u != back {
			t.Fatalf("Unquote(%s) = %q, %v; json.Unmarshal gives %q", got, u, ok, back)
		}
	})
}
