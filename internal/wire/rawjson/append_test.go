package rawjson

import (
	"bytes"
	"encoding/json"
	"math"
	"testing"
)

// marshal is encoding/json's encoding of v with HTML escaping off, which
// AppendString must match byte for byte.
func marshal(t testing.TB, v any) string {
	t.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	return string(bytes.TrimSuffix(buf.Bytes(), []byte{'\n'}))
}

func TestAppendString(t *testing.T) {
	for _, s := range []string{
		"", "plain", `quote"back\slash`, "ctl\x00\x01\x1f\x7f", "\b\f\n\r\t", "<html> & co", "üñï©ødé 日本 😀",
		"bad\xffutf8\xc3", "sep\u2028\u2029", "\xed\xa0\x80 surrogate bytes", "\ufffd",
	} {
		got := string(AppendString([]byte("prefix"), s))
		if want := "prefix" + marshal(t, s); got != want {
			t.Errorf("AppendString(%q) = %s, want %s", s, got, want)
		}
	}
}

func TestAppendBase64(t *testing.T) {
	data := []byte("\x00\xffbinary data")
	if got, want := string(AppendBase64(nil, data)), marshal(t, data); got != want {
		t.Fatalf("AppendBase64 = %s, want %s", got, want)
	}
}

func TestAppendNumbers(t *testing.T) {
	tests := []struct {
		f    float64
		want string
	}{
		{0, "0"},
		{math.Copysign(0, -1), "0"},
		{1, "1"},
		{-100, "-100"},
		{0.7, "0.7"},
		{1e6, "1000000"},
		{999999999999999, "999999999999999"},
		{1e15, "1e+15"},
		{1e-7, "1e-07"},
		{-2.5e300, "-2.5e+300"},
	}
	for _, tt := range tests {
		if got := string(AppendFloat(nil, tt.f)); got != tt.want {
			t.Errorf("AppendFloat(%v) = %s, want %s", tt.f, got, tt.want)
		}
	}
	if got := string(AppendInt(nil, -42)); got != "-42" {
		t.Errorf("AppendInt(-42) = %s", got)
	}
}

func TestAppendSep(t *testing.T) {
	for in, want := range map[string]string{``: ``, `{`: `{`, `[`: `[`, `{"a":1`: `{"a":1,`, `["x"`: `["x",`, `[{}`: `[{},`} {
		if got := string(AppendSep([]byte(in))); got != want {
			t.Errorf("AppendSep(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestBuilder(t *testing.T) {
	n, f, yes := 3, 0.25, true
	e := Builder("data: ")
	e.OpenObject()
	e.Str("id", "a\"b")
	e.StrOpt("empty", "")
	e.StrOpt("set", "s")
	e.Int("created", 1721172741)
	e.IntPtr("nil", nil)
	e.IntPtr("n", &n)
	e.Float("t", 1.5)
	e.FloatPtr("p", &f)
	e.FloatPtr("nilf", nil)
	e.Bool("b", false)
	e.BoolPtr("yes", &yes)
	e.BoolPtr("nilb", nil)
	e.Null("none")
	e.Raw("raw", []byte(`{"k":[1,2]}`))
	e.RawOpt("nothing", nil)
	e.Arr("list")
	for _, s := range []string{"x", "y"} {
		e.Elem()
		e = AppendString(e, s)
	}
	e.Elem()
	e.OpenObject()
	e.CloseObject()
	e.Elem()
	e.OpenArray()
	e.CloseArray()
	e.CloseArray()
	e.Obj("inner")
	e.Key("client \"key\"")
	e = append(e, "true"...)
	e.CloseObject()
	e.Arr("empty")
	e.CloseArray()
	e.CloseObject()
	const want = `data: {"id":"a\"b","set":"s","created":1721172741,"n":3,"t":1.5,"p":0.25,"b":false,"yes":true,` +
		`"none":null,"raw":{"k":[1,2]},"list":["x","y",{},[]],"inner":{"client \"key\"":true},"empty":[]}`
	if string(e) != want {
		t.Fatalf("got  %s\nwant %s", e, want)
	}
	if !json.Valid(e[len("data: "):]) {
		t.Fatalf("built invalid JSON")
	}
}

func BenchmarkBuilder(b *testing.B) {
	buf := make([]byte, 0, 512)
	b.ReportAllocs()
	for b.Loop() {
		e := Builder(buf[:0])
		e.OpenObject()
		e.Str("id", "chatcmpl-AbC123")
		e.Str("object", "chat.completion.chunk")
		e.Int("created", 1721172741)
		e.Arr("choices")
		e.Elem()
		e.OpenObject()
		e.Int("index", 0)
		e.Obj("delta")
		e.Str("content", " a couple of words\n")
		e.CloseObject()
		e.Null("finish_reason")
		e.CloseObject()
		e.CloseArray()
		e.CloseObject()
		buf = e
	}
}
