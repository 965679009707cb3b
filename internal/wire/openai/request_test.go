package openai

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/tollgate-gw/tollgate/internal/llm"
)

func ptr[T any](v T) *T { return &v }

func TestDecodeChatRequest(t *testing.T) {
	tests := []struct {
		name string
		body string
		want *llm.Request
	}{
		{
			name: "minimal",
			body: `{"model":"m","messages":[{"role":"user","content":"hi"}]}`,
			want: &llm.Request{Model: "m", Messages: []llm.Message{{Role: "user", Content: []llm.Part{{Type: llm.PartText, Text: "hi"}}, StringContent: true}}},
		},
		{
			name: "parameters",
			body: `{"model":"m","messages":[{"role":"system","content":"s"},{"role":"user","content":"q"}],
				"temperature":0.5,"top_p":1,"max_tokens":10,"max_completion_tokens":20,"n":2,"seed":42,
				"stop":"END","presence_penalty":0.1,"frequency_penalty":-0.2,"logprobs":true,"top_logprobs":3,
				"user":"u1","stream":true,"stream_options":{"include_usage":true},"parallel_tool_calls":false,
				"response_format":{"type":"json_object"},"reasoning_effort":"low","logit_bias":{"50256":-100}}`,
			want: &llm.Request{
				Model: "m",
				Messages: []llm.Message{
					{Role: "system", Content: []llm.Part{{Type: llm.PartText, Text: "s"}}, StringContent: true},
					{Role: "user", Content: []llm.Part{{Type: llm.PartText, Text: "q"}}, StringContent: true},
				},
				Temperature: ptr(0.5), TopP: ptr(1.0), MaxTokens: ptr(10), MaxCompletionTokens: ptr(20), N: ptr(2),
				Seed: ptr(int64(42)), Stop: []string{"END"}, PresencePenalty: ptr(0.1), FrequencyPenalty: ptr(-0.2),
				Logprobs: ptr(true), TopLogprobs: ptr(3), User: "u1", Stream: true, IncludeUsage: true,
				ParallelToolCalls: ptr(false), ResponseFormat: &llm.ResponseFormat{Type: "json_object"},
				ReasoningEffort: "low", LogitBias: json.RawMessage(`{"50256":-100}`),
			},
		},
		{
			name: "multimodal and tools",
			body: `{"model":"m","messages":[
				{"role":"user","content":[{"type":"text","text":"what is \"this\"?"},{"type":"image_url","image_url":{"url":"data:image/png;base64,iVBO","detail":"low"}}]},
				{"role":"assistant","content":null,"tool_calls":[{"id":"c1","type":"function","function":{"name":"f","arguments":"{\"a\":1}"}}]},
				{"role":"tool","tool_call_id":"c1","content":"42"}],
				"tools":[{"type":"function","function":{"name":"f","description":"d","parameters":{"type":"object"},"strict":true}}],
				"tool_choice":{"type":"function","function":{"name":"f"}}}`,
			want: &llm.Request{
				Model: "m",
				Messages: []llm.Message{
					{Role: "user", Content: []llm.Part{
						{Type: llm.PartText, Text: `what is "this"?`},
						{Type: llm.PartImage, Image: &llm.Image{URL: "data:image/png;base64,iVBO", Detail: "low"}},
					}},
					{Role: "assistant", ToolCalls: []llm.ToolCall{{ID: "c1", Type: "function", Name: "f", Arguments: `{"a":1}`}}},
					{Role: "tool", ToolCallID: "c1", Content: []llm.Part{{Type: llm.PartText, Text: "42"}}, StringContent: true},
				},
				Tools:      []llm.Tool{{Type: "function", Name: "f", Description: "d", Parameters: json.RawMessage(`{"type":"object"}`), Strict: ptr(true)}},
				ToolChoice: &llm.ToolChoice{Mode: "function", Function: "f"},
			},
		},
		{
			name: "gateway fields and extras",
			body: `{"model":"m","messages":[{"role":"user","content":"x"}],"drop_params":true,"tags":["a"],
				"metadata":{"tags":["b"],"k":"v"},"fallbacks":["g2"],"enable_history":true,"session_id":"s1",
				"priority":2,"vendor_knob":{"x":1},"extra_body":{"top_k":5,"num_retries":3}}`,
			want: &llm.Request{
				Model:    "m",
				Messages: []llm.Message{{Role: "user", Content: []llm.Part{{Type: llm.PartText, Text: "x"}}, StringContent: true}},
				Metadata: json.RawMessage(`{"tags":["b"],"k":"v"}`),
				Extra:    []llm.Field{{Name: "vendor_knob", Value: json.RawMessage(`{"x":1}`)}, {Name: "top_k", Value: json.RawMessage(`5`)}},
				Gateway: llm.GatewayOptions{DropParams: ptr(true), Tags: []string{"a", "b"}, Fallbacks: []string{"g2"},
					EnableHistory: true, SessionID: "s1", Priority: ptr(2), NumRetries: ptr(3)},
			},
		},
		{
			name: "echoed response message fields kept",
			body: `{"model":"m","messages":[{"role":"assistant","content":"a","refusal":null,"annotations":[],"audio":null}]}`,
			want: &llm.Request{Model: "m", Messages: []llm.Message{{Role: "assistant", Content: []llm.Part{{Type: llm.PartText, Text: "a"}},
				StringContent: true, Extra: []llm.Field{{Name: "annotations", Value: json.RawMessage(`[]`)}}}}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := DecodeChatRequest([]byte(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(normalize(got), normalize(tt.want)) {
				t.Fatalf("got  %+v\nwant %+v", got, tt.want)
			}
			// Round trip: what we encode for an upstream decodes to the same
			// request, minus the gateway's own fields.
			enc := EncodeChatRequest(got, RequestOptions{})
			again, err := DecodeChatRequest(enc)
			if err != nil {
				t.Fatalf("re-decoding %s: %v", enc, err)
			}
			want := *got
			want.Gateway = llm.GatewayOptions{}
			want.Metadata = nil
			if !reflect.DeepEqual(normalize(again), normalize(&want)) {
				t.Fatalf("round trip\n got  %+v\n want %+v\n json %s", again, &want, enc)
			}
		})
	}
}

// normalize compacts raw JSON so that whitespace differences from the
// test's indentation do not matter.
func normalize(r *llm.Request) *llm.Request {
	c := *r
	compact := func(v json.RawMessage) json.RawMessage {
		if v == nil {
			return nil
		}
		var b bytes.Buffer
		if err := json.Compact(&b, v); err != nil {
			return v
		}
		return b.Bytes()
	}
	c.LogitBias = compact(c.LogitBias)
	c.Metadata = compact(c.Metadata)
	for i := range c.Extra {
		c.Extra[i].Value = compact(c.Extra[i].Value)
	}
	for i := range c.Tools {
		c.Tools[i].Parameters = compact(c.Tools[i].Parameters)
	}
	return &c
}

func TestDecodeChatRequestErrors(t *testing.T) {
	tests := []struct {
		name, body, field, contains string
		line                        int
	}{
		{"syntax", "{\n  \"model\": \"m\",\n  \"messages\": [}\n", "", "line 3", 3},
		{"not object", `[1]`, "", "expected a JSON object", 0},
		{"missing model", `{"messages":[{"role":"user","content":"x"}]}`, "model", "required", 0},
		{"missing messages", `{"model":"m"}`, "messages", "required", 0},
		{"empty messages", `{"model":"m","messages":[]}`, "messages", "at least one", 0},
		{"model type", `{"model":1,"messages":[]}`, "model", "expected a string", 0},
		{"temperature type", `{"model":"m","messages":[{"role":"user","content":"x"}],"temperature":"hot"}`, "temperature", "expected a number", 0},
		{"max_tokens type", `{"model":"m","messages":[{"role":"user","content":"x"}],"max_tokens":1.5}`, "max_tokens", "integer", 0},
		{"bad role", `{"model":"m","messages":[{"role":"robot","content":"x"}]}`, "messages[0].role", "unknown role", 0},
		{"no role", `{"model":"m","messages":[{"content":"x"}]}`, "messages[0].role", "required", 0},
		{"tool without id", `{"model":"m","messages":[{"role":"tool","content":"x"}]}`, "messages[0].tool_call_id", "required", 0},
		{"content type", `{"model":"m","messages":[{"role":"user","content":5}]}`, "messages[0].content", "string or an array", 0},
		{"part type", `{"model":"m","messages":[{"role":"user","content":[{"type":"video"}]}]}`, "messages[0].content[0].type", "unsupported", 0},
		{"image url missing", `{"model":"m","messages":[{"role":"user","content":[{"type":"image_url","image_url":{}}]}]}`, "messages[0].content[0].image_url.url", "required", 0},
		{"tool choice", `{"model":"m","messages":[{"role":"user","content":"x"}],"tool_choice":"always"}`, "tool_choice", "unknown value", 0},
		{"response format", `{"model":"m","messages":[{"role":"user","content":"x"}],"response_format":{"type":"yaml"}}`, "response_format.type", "unknown value", 0},
		{"json schema missing", `{"model":"m","messages":[{"role":"user","content":"x"}],"response_format":{"type":"json_schema"}}`, "response_format.json_schema", "required", 0},
		{"tool name", `{"model":"m","messages":[{"role":"user","content":"x"}],"tools":[{"type":"function","function":{}}]}`, "tools[0].function.name", "required", 0},
		{"stream type", `{"model":"m","messages":[{"role":"user","content":"x"}],"stream":"yes"}`, "stream", "true or false", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := DecodeChatRequest([]byte(tt.body))
			var de *DecodeError
			if !errors.As(err, &de) {
				t.Fatalf("err = %v, want *DecodeError", err)
			}
			if de.Field != tt.field || de.Line != tt.line || !strings.Contains(de.Error(), tt.contains) {
				t.Fatalf("got field=%q line=%d msg=%q; want field=%q line=%d containing %q", de.Field, de.Line, de.Error(), tt.field, tt.line, tt.contains)
			}
		})
	}
}

func TestEncodeChatRequestForUpstream(t *testing.T) {
	req, err := DecodeChatRequest([]byte(`{"model":"group","messages":[{"role":"user","content":"x"}],"stream":true,
		"temperature":0.2,"logprobs":true,"tags":["t"],"metadata":{"a":1},"top_k":3}`))
	if err != nil {
		t.Fatal(err)
	}
	got := EncodeChatRequest(req, RequestOptions{Model: "gpt-4o-mini", IncludeUsage: true, Drop: map[string]bool{"logprobs": true}})
	want := `{"model":"gpt-4o-mini","messages":[{"role":"user","content":"x"}],"temperature":0.2,"stream":true,"stream_options":{"include_usage":true},"top_k":3}`
	if string(got) != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
}

func TestAppendString(t *testing.T) {
	for _, s := range []string{"", "plain", "quote\"back\\slash", "ctl\x00\x1f\n\r\t", "üñï©ødé 日本", "bad\xffutf8", "sep\u2028\u2029"} {
		got := appendString(nil, s)
		var back string
		if err := json.Unmarshal(got, &back); err != nil {
			t.Fatalf("%q encoded to invalid JSON %s: %v", s, got, err)
		}
		want, _ := json.Marshal(s)
		var wantBack string
		_ = json.Unmarshal(want, &wantBack)
		if back != wantBack {
			t.Fatalf("%q round-tripped to %q, want %q", s, back, wantBack)
		}
	}
}

// A managed prompt carries its own messages, so the call the genai-gateway
// documents (messages=[] with promptVariables) decodes; without variables an
// empty list is still an error.
func TestDecodeManagedPromptWithoutMessages(t *testing.T) {
	got, err := DecodeChatRequest([]byte(`{"model":"arn:aws:bedrock:us-east-1:111122223333:prompt/P1:2","messages":[],` +
		`"extra_body":{"promptVariables":{"topic":{"text":"tea"}}}}`))
	if err != nil || len(got.Messages) != 0 || string(got.Gateway.PromptVariables) != `{"topic":{"text":"tea"}}` {
		t.Fatalf("got %+v, %v", got, err)
	}
	if _, err := DecodeChatRequest([]byte(`{"model":"m","messages":[]}`)); err == nil {
		t.Fatal("empty messages without promptVariables decoded")
	}
}
