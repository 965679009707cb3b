package fake

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/tollgate-gw/tollgate/internal/llm"
)

func TestPlaceholder(t *testing.T) {
	tests := []struct {
		name   string
		schema string
		want   string
	}{
		{"no schema", ``, `{}`},
		{"unreadable schema", `{"type":`, `{}`},
		{"object without required", `{"type":"object","properties":{"a":{"type":"string"}}}`, `{}`},
		{"scalars in required order", `{"type":"object","properties":{
			"b":{"type":"boolean"},"s":{"type":"string"},"i":{"type":"integer"},"n":{"type":"number"},"z":{"type":"null"}},
			"required":["s","i","n","b","z"]}`, `{"s":"fake-s","i":0,"n":0,"b":false,"z":null}`},
		{"const, enum and default", `{"type":"object","properties":{
			"c":{"const":"fixed"},"e":{"type":"string","enum":["celsius","fahrenheit"]},"d":{"type":"integer","default":5}},
			"required":["c","e","d"]}`, `{"c":"fixed","e":"celsius","d":5}`},
		{"bounds", `{"type":"object","properties":{
			"min":{"type":"integer","minimum":3},"excl":{"type":"integer","exclusiveMinimum":3},
			"fmin":{"type":"number","minimum":2.5},"fexcl":{"type":"number","exclusiveMinimum":0},
			"neg":{"type":"integer","minimum":-10},"frac":{"type":"integer","minimum":1.5}},
			"required":["min","excl","fmin","fexcl","neg","frac"]}`, `{"min":3,"excl":4,"fmin":2.5,"fexcl":1,"neg":0,"frac":2}`},
		{"string formats and length", `{"type":"object","properties":{
			"t":{"type":"string","format":"date-time"},"d":{"type":"string","format":"date"},
			"m":{"type":"string","format":"email"},"u":{"type":"string","format":"uri"},
			"id":{"type":"string","format":"uuid"},"long":{"type":"string","minLength":12}},
			"required":["t","d","m","u","id","long"]}`,
			`{"t":"1970-01-01T00:00:00Z","d":"1970-01-01","m":"fake@example.com","u":"https://example.com/","id":"00000000-0000-4000-8000-000000000000","long":"fake-longxxx"}`},
		{"arrays honour minItems", `{"type":"object","properties":{
			"none":{"type":"array","items":{"type":"string"}},"two":{"type":"array","minItems":2,"items":{"type":"integer"}},
			"capped":{"type":"array","minItems":100,"items":{"type":"boolean"}}},
			"required":["none","two","capped"]}`, `{"none":[],"two":[0,0],"capped":[false,false,false,false,false,false,false,false]}`},
		{"nested objects", `{"type":"object","properties":{"loc":{"type":"object",
			"properties":{"lat":{"type":"number"},"city":{"type":"string"}},"required":["city"]}},"required":["loc"]}`,
			`{"loc":{"city":"fake-city"}}`},
		{"object implied by properties", `{"properties":{"a":{"type":"integer"}},"required":["a"]}`, `{"a":0}`},
		{"required but undeclared", `{"type":"object","required":["x"]}`, `{"x":"fake-x"}`},
		{"nullable type list", `{"type":"object","properties":{"a":{"type":["null","integer"]},"b":{"type":["null"]}},
			"required":["a","b"]}`, `{"a":0,"b":null}`},
		{"anyOf skips null", `{"type":"object","properties":{"a":{"anyOf":[{"type":"null"},{"type":"boolean"}]}},
			"required":["a"]}`, `{"a":false}`},
		{"oneOf takes the first", `{"type":"object","properties":{"a":{"oneOf":[{"type":"integer"},{"type":"string"}]}},
			"required":["a"]}`, `{"a":0}`},
		{"$defs reference", `{"type":"object","properties":{"p":{"$ref":"#/$defs/Point"}},"required":["p"],
			"$defs":{"Point":{"type":"object","properties":{"x":{"type":"integer"}},"required":["x"]}}}`, `{"p":{"x":0}}`},
		{"definitions reference", `{"type":"object","properties":{"u":{"$ref":"#/definitions/Unit"}},"required":["u"],
			"definitions":{"Unit":{"enum":["km","mi"]}}}`, `{"u":"km"}`},
		{"unresolvable reference falls back to the type", `{"type":"object","properties":{"u":{"$ref":"other.json","type":"integer"}},
			"required":["u"]}`, `{"u":0}`},
		{"self reference is cut off", `{"type":"object","properties":{"next":{"$ref":"#"}},"required":["next"]}`,
			`{"next":{"next":{"next":{"next":{"next":{"next":{"next":{"next":{"next":null}}}}}}}}}`},
		{"names are JSON-escaped", `{"type":"object","properties":{},"required":["quo\"te\u0001"]}`,
			`{"quo\"te\u0001":"fake-quo\"te\u0001"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := string(placeholder(json.RawMessage(tt.schema), "value"))
			if got != tt.want {
				t.Errorf("placeholder =\n  %s\nwant\n  %s", got, tt.want)
			}
			if !json.Valid([]byte(got)) {
				t.Errorf("placeholder %s is not valid JSON", got)
			}
		})
	}
}

func TestToolCall(t *testing.T) {
	weather := llm.Tool{Type: "function", Name: "get_weather", Parameters: json.RawMessage(
		`{"type":"object","properties":{"city":{"type":"string"},"unit":{"enum":["c","f"]}},"required":["city","unit"]}`)}
	clock := llm.Tool{Type: "function", Name: "get_time"}
	tests := []struct {
		name     string
		tools    []llm.Tool
		choice   *llm.ToolChoice
		messages []llm.Message
		wantName string // empty: no tool call
		wantArgs string
	}{
		{"first tool by default", []llm.Tool{weather, clock}, nil, userReq("x").Messages,
			"get_weather", `{"city":"fake-city","unit":"c"}`},
		{"auto", []llm.Tool{weather, clock}, &llm.ToolChoice{Mode: "auto"}, userReq("x").Messages,
			"get_weather", `{"city":"fake-city","unit":"c"}`},
		{"required", []llm.Tool{clock, weather}, &llm.ToolChoice{Mode: "required"}, userReq("x").Messages,
			"get_time", `{}`},
		{"named tool", []llm.Tool{clock, weather}, &llm.ToolChoice{Mode: "function", Function: "get_weather"}, userReq("x").Messages,
			"get_weather", `{"city":"fake-city","unit":"c"}`},
		{"named tool not offered", []llm.Tool{clock}, &llm.ToolChoice{Mode: "function", Function: "missing"}, userReq("x").Messages,
			"missing", `{}`},
		{"tool_choice none", []llm.Tool{weather}, &llm.ToolChoice{Mode: "none"}, userReq("x").Messages, "", ""},
		{"no tools", nil, nil, userReq("x").Messages, "", ""},
		{"assistant spoke last", []llm.Tool{weather}, nil,
			[]llm.Message{text(llm.RoleUser, "x"), text(llm.RoleAssistant, "y")}, "", ""},
		{"after a tool result", []llm.Tool{weather}, nil, []llm.Message{
			text(llm.RoleUser, "x"),
			{Role: llm.RoleAssistant, ToolCalls: []llm.ToolCall{{ID: "c1", Name: "get_weather", Arguments: "{}"}}},
			{Role: llm.RoleTool, ToolCallID: "c1", Content: []llm.Part{{Type: llm.PartText, Text: "sunny"}}},
		}, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := &llm.Request{Model: "m", Messages: tt.messages, Tools: tt.tools, ToolChoice: tt.choice, N: ptr(2)}
			resp := chat(t, New(Options{MockResponse: "plain text"}), req)
			for i, c := range resp.Choices {
				if tt.wantName == "" {
					if len(c.Message.ToolCalls) != 0 || c.FinishReason != llm.FinishStop || c.Message.Text() == "" {
						t.Errorf("choice %d: unexpected tool call %+v", i, c.Message)
					}
					continue
				}
				if c.FinishReason != llm.FinishToolCalls {
					t.Errorf("choice %d: finish = %q, want tool_calls", i, c.FinishReason)
				}
				if len(c.Message.ToolCalls) != 1 || len(c.Message.Content) != 0 {
					t.Fatalf("choice %d: message = %+v, want exactly one tool call and no content", i, c.Message)
				}
				tc := c.Message.ToolCalls[0]
				if tc.Name != tt.wantName || tc.Arguments != tt.wantArgs || tc.Type != "function" || len(tc.ID) != len("call_")+16 {
					t.Errorf("choice %d: call = %+v, want %s(%s)", i, tc, tt.wantName, tt.wantArgs)
				}
			}
			if tt.wantName != "" {
				a, b := resp.Choices[0].Message.ToolCalls[0].ID, resp.Choices[1].Message.ToolCalls[0].ID
				if a == b {
					t.Errorf("both choices use call id %s", a)
				}
				tc := resp.Choices[0].Message.ToolCalls[0]
				want := 2 * (toolCallTokens + tokens(len(tc.Name)+len(tc.Arguments)))
				if resp.Usage.CompletionTokens != want {
					t.Errorf("completion tokens = %d, want %d", resp.Usage.CompletionTokens, want)
				}
			}
		})
	}
}

func TestWriteEcho(t *testing.T) {
	tp := func(s ...string) []llm.Part {
		var ps []llm.Part
		for _, x := range s {
			ps = append(ps, llm.Part{Type: llm.PartText, Text: x})
		}
		return ps
	}
	tests := []struct {
		name  string
		parts []llm.Part
		limit int
		want  string
	}{
		{"plain", tp("hello world"), 64, "hello world"},
		{"whitespace runs collapse", tp("  a \t\n b\r\n"), 64, "a b"},
		{"unicode spaces collapse", tp("a\u00a0\u2003b"), 64, "a b"},
		{"parts join with a space", tp("a", "b "), 64, "a b"},
		{"non-text parts are skipped", []llm.Part{{Type: llm.PartImage}, {Type: llm.PartText, Text: "x"}}, 64, "x"},
		{"exactly the limit", tp("abcd"), 4, "abcd"},
		{"exactly the limit then spaces", tp("abcd  "), 4, "abcd"},
		{"word crossing the limit", tp("abcdef"), 4, "abcd…"},
		{"next word after the limit", tp("abcd ef"), 4, "abcd…"},
		{"space then word at the limit", tp("abc def"), 4, "abc d…"},
		{"cut inside a rune moves past it", tp("aé€b"), 2, "aé…"},
		{"multibyte words", tp("héllo wörld"), 64, "héllo wörld"},
		{"nothing", tp("   "), 64, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b strings.Builder
			writeEcho(&b, tt.parts, tt.limit)
			if b.String() != tt.want {
				t.Errorf("writeEcho = %q, want %q", b.String(), tt.want)
			}
		})
	}
}
