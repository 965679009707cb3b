package rawjson

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestCheck(t *testing.T) {
	tests := []struct {
		name      string
		in        string
		wantErr   bool
		line, col int
	}{
		{name: "object", in: `{"a":[1,2,{"b":null}],"c":"\u00e9"}`},
		{name: "scalar with white space", in: " \n\t 12.5e3 \r\n"},
		{name: "invalid UTF-8 inside a string is valid", in: "\"\xff\""},
		{name: "empty", in: ``, wantErr: true, line: 1, col: 1},
		{name: "only space", in: "  \n ", wantErr: true, line: 2, col: 1},
		{name: "trailing comma", in: `{"a":1,}`, wantErr: true, line: 1, col: 8},
		{name: "second line", in: "{\n  \"a\": 1x}", wantErr: true, line: 2, col: 9},
		{name: "error at a line end counts the newline", in: "{\n  \"a\": tru\n}", wantErr: true, line: 3, col: 1},
		{name: "two values", in: `{} {}`, wantErr: true, line: 1, col: 4},
		{name: "control character in a string", in: "\"a\x01\"", wantErr: true, line: 1, col: 3},
		{name: "bad escape", in: `"\x"`, wantErr: true, line: 1, col: 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Check([]byte(tt.in))
			if !tt.wantErr {
				if err != nil {
					t.Fatalf("Check(%q) = %v, want nil", tt.in, err)
				}
				return
			}
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("Check(%q) = %v, want a *SyntaxError", tt.in, err)
			}
			var jse *json.SyntaxError
			if !errors.As(json.Unmarshal([]byte(tt.in), new(any)), &jse) {
				t.Fatalf("encoding/json accepts %q", tt.in)
			}
			if se.Offset != jse.Offset || se.Msg != jse.Error() || se.Line != tt.line || se.Column != tt.col {
				t.Fatalf("Check(%q) = %+v; want offset %d, msg %q, line %d, column %d",
					tt.in, se, jse.Offset, jse.Error(), tt.line, tt.col)
			}
		})
	}
}

func TestKindOf(t *testing.T) {
	tests := []struct {
		in   string
		want Kind
		name string
	}{
		{``, KindNone, "nothing"},
		{" \n", KindNone, "nothing"},
		{`null`, KindNull, "null"},
		{`true`, KindBool, "a boolean"},
		{` false`, KindBool, "a boolean"},
		{`-1`, KindNumber, "a number"},
		{`"s"`, KindString, "a string"},
		{"\t[1]", KindArray, "an array"},
		{`{}`, KindObject, "an object"},
	}
	for _, tt := range tests {
		if got := KindOf([]byte(tt.in)); got != tt.want || got.String() != tt.name {
			t.Errorf("KindOf(%q) = %v (%q), want %v (%q)", tt.in, int(got), got, int(tt.want), tt.name)
		}
	}
}

func TestIsNull(t *testing.T) {
	for in, want := range map[string]bool{`null`: true, ``: false, `nul`: false, `"null"`: false, ` null`: false} {
		if got := IsNull([]byte(in)); got != want {
			t.Errorf("IsNull(%q) = %v, want %v", in, got, want)
		}
	}
}

func TestUnquote(t *testing.T) {
	tests := []struct {
		in   string
		want string
		ok   bool
	}{
		{`""`, "", true},
		{`"plain"`, "plain", true},
		{`"tab\tnew\nline\r\"q\" \\ \/ \b\f"`, "tab\tnew\nline\r\"q\" \\ / \b\f", true},
		{`"\u00e9\u65E5"`, "é日", true},
		{`"\ud83d\ude00"`, "😀", true},
		{`"lone \ud83d high"`, "lone \ufffd high", true},
		{`"lone \ude00 low"`, "lone \ufffd low", true},
		{`"high then escape \ud83d\n"`, "high then escape \ufffd\n", true},
		{"\"bad \xff utf8\"", "bad \ufffd utf8", true},
		{"\"bad \xff with \\n escape\"", "bad \ufffd with \n escape", true},
		{"\"surrogate bytes \xed\xa0\x80\"", "surrogate bytes \ufffd\ufffd\ufffd", true},
		{strings.Repeat(`\n`, 100), "", false},
		{`"` + strings.Repeat(`\n`, 100) + `"`, strings.Repeat("\n", 100), true},
		{`plain`, "", false},
		{`"`, "", false},
		{`"\x"`, "", false},
		{`"\u12"`, "", false},
		{`"\`, "", false},
	}
	for _, tt := range tests {
		got, ok := Unquote([]byte(tt.in))
		if got != tt.want || ok != tt.ok {
			t.Errorf("Unquote(%q) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.ok)
		}
		if !ok || !json.Valid([]byte(tt.in)) {
			continue
		}
		var want string
		if err := json.Unmarshal([]byte(tt.in), &want); err != nil || want != got {
			t.Errorf("Unquote(%q) = %q, encoding/json gives %q (%v)", tt.in, got, want, err)
		}
	}
}

type member struct{ raw, key, val string }

func members(v string) ([]member, bool) {
	obj, ok := Object([]byte(v))
	var out []member
	for obj.Next() {
		out = append(out, member{string(obj.RawKey()), string(obj.Key()), string(obj.Value())})
	}
	return out, ok
}

func elements(v string) ([]string, bool) {
	it, ok := Array([]byte(v))
	var out []string
	for i := 0; it.Next(); i++ {
		if it.Index() != i {
			panic("index out of step")
		}
		out = append(out, string(it.Value()))
	}
	return out, ok
}

func TestObject(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []member
		ok   bool
	}{
		{"empty", `{}`, nil, true},
		{"empty with space", " { \n } ", nil, true},
		{"members in order", `{"b":1,"a":[1,{"x":"}"}],"c":{"d":"]"}}`,
			[]member{{`"b"`, "b", "1"}, {`"a"`, "a", `[1,{"x":"}"}]`}, {`"c"`, "c", `{"d":"]"}`}}, true},
		{"white space everywhere", "\n{ \"a\" :\t\"x\" ,\r\n \"b\" : null }\n",
			[]member{{`"a"`, "a", `"x"`}, {`"b"`, "b", "null"}}, true},
		{"escaped names", `{"a\"b":1,"\u0041":2,"x\\":3}`,
			[]member{{`"a\"b"`, `a"b`, "1"}, {`"\u0041"`, "A", "2"}, {`"x\\"`, `x\`, "3"}}, true},
		{"invalid UTF-8 in a name", "{\"k\xff\":true}", []member{{"\"k\xff\"", "k\ufffd", "true"}}, true},
		{"strings with brackets and escaped quotes", `{"s":"a\"}]\\","t":"\\"}`,
			[]member{{`"s"`, "s", `"a\"}]\\"`}, {`"t"`, "t", `"\\"`}}, true},
		{"an array is not an object", `[1]`, nil, false},
		{"nothing is not an object", ``, nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := members(tt.in)
			if ok != tt.ok || !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("members of %q = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.ok)
			}
		})
	}
}

func TestArray(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []string
		ok   bool
	}{
		{"empty", `[]`, nil, true},
		{"empty with space", " [ \n ] ", nil, true},
		{"mixed", `[1,"a,]",{"b":[2]},[],null,true,-0.5e3]`,
			[]string{"1", `"a,]"`, `{"b":[2]}`, "[]", "null", "true", "-0.5e3"}, true},
		{"white space", "[ 1 ,\n\t2 ]", []string{"1", "2"}, true},
		{"an object is not an array", `{}`, nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := elements(tt.in)
			if ok != tt.ok || !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("elements of %q = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.ok)
			}
			if n := ArrayLen([]byte(tt.in)); n != len(tt.want) {
				t.Fatalf("ArrayLen(%q) = %d, want %d", tt.in, n, len(tt.want))
			}
		})
	}
}

func TestValidObject(t *testing.T) {
	for in, want := range map[string]bool{
		`{}`: true, ` {"a":1} `: true, `[]`: false, `{`: false, `{} x`: false, ``: false, `"{}"`: false,
	} {
		if got := ValidObject([]byte(in)); got != want {
			t.Errorf("ValidObject(%q) = %v, want %v", in, got, want)
		}
	}
}

// The walkers must not panic or loop on input Check refuses.
func TestWalkersOnInvalidInput(t *testing.T) {
	for _, in := range []string{`{"a":}`, `{"a"`, `{"`, `{"a":1,`, `[}`, `[1,`, `[`, `{`, `["\`, `{"a":{"b":[`, `[,,]`, `{,}`} {
		members(in)
		elements(in)
		ArrayLen([]byte(in))
	}
}

func BenchmarkMembers(b *testing.B) {
	doc := []byte(`{"id":"chatcmpl-AbC123","object":"chat.completion.chunk","created":1721172741,"model":"gpt-4o-mini","choices":[{"index":0,"delta":{"content":" a couple of words"},"logprobs":null,"finish_reason":null}]}`)
	b.ReportAllocs()
	b.SetBytes(int64(len(doc)))
	for b.Loop() {
		obj, _ := Object(doc)
		for obj.Next() {
			_ = obj.Value()
		}
	}
}

func BenchmarkUnquoteEscaped(b *testing.B) {
	v := []byte(`"{\"city\":\"Paris\",\n\"unit\":\"celsius\"}"`)
	b.ReportAllocs()
	for b.Loop() {
		if _, ok := Unquote(v); !ok {
			b.Fatal("not ok")
		}
	}
}
