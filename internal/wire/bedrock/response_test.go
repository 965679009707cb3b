package bedrock

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/tollgate-gw/tollgate/internal/llm"
)

func assistant(m llm.Message, finish string, usage *llm.Usage) *llm.Response {
	m.Role = llm.RoleAssistant
	return &llm.Response{Choices: []llm.Choice{{Message: m, FinishReason: finish}}, Usage: usage}
}

func TestEncodeConverseResponse(t *testing.T) {
	text := func(s string) []llm.Part { return []llm.Part{{Type: llm.PartText, Text: s}} }
	tests := []struct {
		caseName
		resp    *llm.Response
		latency time.Duration
		want    string
	}{{
		caseName: name("text"),
		resp:     assistant(llm.Message{Content: text("Hello \"world\"\n")}, "stop", &llm.Usage{PromptTokens: 12, CompletionTokens: 3, TotalTokens: 15}),
		latency:  1234 * time.Millisecond,
		want: `{"output":{"message":{"role":"assistant","content":[{"text":"Hello \"world\"\n"}]}},"stopReason":"end_turn",` +
			`"usage":{"inputTokens":12,"outputTokens":3,"totalTokens":15},"metrics":{"latencyMs":1234}}`,
	}, {
		caseName: name("reasoning, tools, cache tokens"),
		resp: assistant(llm.Message{
			Reasoning: &llm.Reasoning{Text: "hmm", Signature: "c2ln", Redacted: []byte{1, 2}},
			Content:   text("Checking."),
			ToolCalls: []llm.ToolCall{
				{ID: "call_1", Type: "function", Name: "weather", Arguments: `{"city":"Paris"}`},
				{ID: "call_2", Type: "function", Name: "time", Arguments: ` `},
			},
		}, "tool_calls", &llm.Usage{PromptTokens: 1100, CompletionTokens: 20, TotalTokens: 1120, CacheReadTokens: 1000, CacheWriteTokens: 50}),
		want: `{"output":{"message":{"role":"assistant","content":[` +
			`{"reasoningContent":{"reasoningText":{"text":"hmm","signature":"c2ln"}}},` +
			`{"reasoningContent":{"redactedContent":"AQI="}},` +
			`{"text":"Checking."},` +
			`{"toolUse":{"toolUseId":"call_1","name":"weather","input":{"city":"Paris"}}},` +
			`{"toolUse":{"toolUseId":"call_2","name":"time","input":{}}}]}},"stopReason":"tool_use",` +
			`"usage":{"inputTokens":50,"outputTokens":20,"totalTokens":1120,"cacheReadInputTokens":1000,"cacheWriteInputTokens":50},` +
			`"metrics":{"latencyMs":0}}`,
	}, {
		caseName: name("arguments that are not an object are wrapped"),
		resp: assistant(llm.Message{ToolCalls: []llm.ToolCall{
			{ID: "a", Name: "f", Arguments: `{"city":"Par`},
			{ID: "b", Name: "g", Arguments: `[1,2]`},
		}}, "tool_calls", nil),
		want: `{"output":{"message":{"role":"assistant","content":[` +
			`{"toolUse":{"toolUseId":"a","name":"f","input":{"tollgate_raw_arguments":"{\"city\":\"Par"}}},` +
			`{"toolUse":{"toolUseId":"b","name":"g","input":{"tollgate_raw_arguments":"[1,2]"}}}]}},` +
			`"stopReason":"malformed_tool_use","usage":{"inputTokens":0,"outputTokens":0,"totalTokens":0},"metrics":{"latencyMs":0}}`,
	}, {
		caseName: name("truncated arguments keep max_tokens"),
		resp:     assistant(llm.Message{ToolCalls: []llm.ToolCall{{ID: "a", Name: "f", Arguments: `{"x":`}}}, "length", nil),
		want: `{"output":{"message":{"role":"assistant","content":[` +
			`{"toolUse":{"toolUseId":"a","name":"f","input":{"tollgate_raw_arguments":"{\"x\":"}}}]}},` +
			`"stopReason":"max_tokens","usage":{"inputTokens":0,"outputTokens":0,"totalTokens":0},"metrics":{"latencyMs":0}}`,
	}, {
		caseName: name("refusal, invalid UTF-8, line separators"),
		resp:     assistant(llm.Message{Content: text("a\xffb\u2028"), Refusal: "I can't"}, "content_filter", &llm.Usage{PromptTokens: 1, CompletionTokens: 1}),
		want: `{"output":{"message":{"role":"assistant","content":[{"text":"a\ufffdb\u2028"},{"text":"I can't"}]}},` +
			`"stopReason":"content_filtered","usage":{"inputTokens":1,"outputTokens":1,"totalTokens":2},"metrics":{"latencyMs":0}}`,
	}, {
		caseName: name("image output"),
		resp: assistant(llm.Message{Content: []llm.Part{{Type: llm.PartImage,
			Image: &llm.Image{URL: "data:image/png;base64," + pngB64}}}}, "stop", nil),
		want: `{"output":{"message":{"role":"assistant","content":[{"image":{"format":"png","source":{"bytes":"` + pngB64 + `"}}}]}},` +
			`"stopReason":"end_turn","usage":{"inputTokens":0,"outputTokens":0,"totalTokens":0},"metrics":{"latencyMs":0}}`,
	}, {
		caseName: name("native stop reason passes through"),
		resp:     assistant(llm.Message{Content: text("x")}, "stop_sequence", nil),
		want: `{"output":{"message":{"role":"assistant","content":[{"text":"x"}]}},"stopReason":"stop_sequence",` +
			`"usage":{"inputTokens":0,"outputTokens":0,"totalTokens":0},"metrics":{"latencyMs":0}}`,
	}}
	for _, tt := range tests {
		tt.run(t, func(t *testing.T) {
			got, err := EncodeConverseResponse(tt.resp, tt.latency)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tt.want {
				t.Fatalf("got  %s\nwant %s", got, tt.want)
			}
			if !json.Valid(got) {
				t.Fatalf("invalid JSON: %s", got)
			}
		})
	}
}

func TestEncodeConverseResponseErrors(t *testing.T) {
	tests := []struct {
		caseName
		resp *llm.Response
		want string
	}{
		{name("nil"), nil, "encoding converse response: the response has no choices"},
		{name("no choices"), &llm.Response{}, "encoding converse response: the response has no choices"},
		{name("document part"), assistant(llm.Message{Content: []llm.Part{{Type: llm.PartDocument, Document: &llm.Document{}}}}, "stop", nil),
			`encoding converse response: output.message.content[0]: a "document" part has no place in a Converse response`},
		{name("image by URL"), assistant(llm.Message{Content: []llm.Part{{Type: llm.PartImage, Image: &llm.Image{URL: "https://x/y.png"}}}}, "stop", nil),
			"encoding converse response: output.message.content[0]: image: image is given by URL, not inline data"},
		{name("image type"), assistant(llm.Message{Content: []llm.Part{{Type: llm.PartImage, Image: &llm.Image{Data: []byte{1}, MediaType: "image/bmp"}}}}, "stop", nil),
			`encoding converse response: output.message.content[0]: image media type "image/bmp" is not one Converse accepts (png, jpeg, gif, webp)`},
	}
	for _, tt := range tests {
		tt.run(t, func(t *testing.T) {
			_, err := EncodeConverseResponse(tt.resp, 0)
			if err == nil || err.Error() != tt.want {
				t.Fatalf("error %v, want %q", err, tt.want)
			}
		})
	}
}

func TestStopReason(t *testing.T) {
	tests := []struct {
		caseName
		finish string
		tools  bool
		want   string
	}{
		{name("stop"), "stop", false, "end_turn"},
		{name("length"), "length", false, "max_tokens"},
		{name("tool_calls"), "tool_calls", true, "tool_use"},
		{name("legacy function_call"), "function_call", true, "tool_use"},
		{name("content_filter"), "content_filter", false, "content_filtered"},
		{name("native stop_sequence"), "stop_sequence", false, "stop_sequence"},
		{name("native guardrail"), "guardrail_intervened", false, "guardrail_intervened"},
		{name("native context window"), "model_context_window_exceeded", false, "model_context_window_exceeded"},
		{name("missing"), "", false, "end_turn"},
		{name("missing after tool calls"), "", true, "tool_use"},
		{name("unknown"), "eos", false, "end_turn"},
	}
	for _, tt := range tests {
		tt.run(t, func(t *testing.T) {
			if got := stopReason(tt.finish, tt.tools); got != tt.want {
				t.Fatalf("stopReason(%q, %v) = %q, want %q", tt.finish, tt.tools, got, tt.want)
			}
		})
	}
}
