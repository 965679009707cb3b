package anthropic_test

import (
	"encoding/json"
	"errors"
	"reflect"
	"testing"

	"github.com/tollgate-gw/tollgate/internal/llm"
	"github.com/tollgate-gw/tollgate/internal/wire/anthropic"
)

func ptr[T any](v T) *T { return &v }

func text(s string) []llm.Part { return []llm.Part{{Type: llm.PartText, Text: s}} }

func TestEncodeRequest(t *testing.T) {
	tests := []struct {
		name string
		req  llm.Request
		opts anthropic.RequestOptions
		want string
	}{
		{"system goes top-level, default max_tokens",
			llm.Request{Messages: []llm.Message{{Role: llm.RoleSystem, Content: text("be brief")}, {Role: llm.RoleUser, Content: text("hi")}}},
			anthropic.RequestOptions{Model: "claude-x"},
			`{"model":"claude-x","max_tokens":4096,"system":[{"type":"text","text":"be brief"}],"messages":[{"role":"user","content":[{"type":"text","text":"hi"}]}]}`},
		{"client max_completion_tokens, stop, user, stream, extras pass through",
			llm.Request{MaxCompletionTokens: ptr(50), Stop: []string{"END"}, User: "u1",
				Messages: []llm.Message{{Role: llm.RoleUser, Content: text("hi")}},
				Extra:    []llm.Field{{Name: "top_k", Value: json.RawMessage(`5`)}}},
			anthropic.RequestOptions{Model: "m", Stream: true},
			`{"model":"m","max_tokens":50,"messages":[{"role":"user","content":[{"type":"text","text":"hi"}]}],"stop_sequences":["END"],"metadata":{"user_id":"u1"},"stream":true,"top_k":5}`},
		{"reasoning_effort becomes thinking, max_tokens above the budget",
			llm.Request{ReasoningEffort: "medium", Messages: []llm.Message{{Role: llm.RoleUser, Content: text("hi")}}},
			anthropic.RequestOptions{Model: "m"},
			`{"model":"m","max_tokens":6144,"messages":[{"role":"user","content":[{"type":"text","text":"hi"}]}],"thinking":{"type":"enabled","budget_tokens":2048}}`},
		{"thinking passes through",
			llm.Request{MaxTokens: ptr(9000), Messages: []llm.Message{{Role: llm.RoleUser, Content: text("hi")}},
				Extra: []llm.Field{{Name: "thinking", Value: json.RawMessage(`{"type":"enabled","budget_tokens":5000}`)}}},
			anthropic.RequestOptions{Model: "m"},
			`{"model":"m","max_tokens":9000,"messages":[{"role":"user","content":[{"type":"text","text":"hi"}]}],"thinking":{"type":"enabled","budget_tokens":5000}}`},
		{"cache_control on parts and tools, cache point",
			llm.Request{Messages: []llm.Message{{Role: llm.RoleUser, Content: []llm.Part{
				{Type: llm.PartText, Text: "long doc", CacheControl: json.RawMessage(`{"type":"ephemeral"}`)},
				{Type: llm.PartText, Text: "q"}, {Type: llm.PartCachePoint}}}},
				Tools: []llm.Tool{{Name: "f", Parameters: json.RawMessage(`{"type":"object"}`), CacheControl: json.RawMessage(`{"type":"ephemeral"}`)}}},
			anthropic.RequestOptions{Model: "m"},
			`{"model":"m","max_tokens":4096,"messages":[{"role":"user","content":[{"type":"text","text":"long doc","cache_control":{"type":"ephemeral"}},{"type":"text","text":"q","cache_control":{"type":"ephemeral"}}]}],"tools":[{"name":"f","input_schema":{"type":"object"},"cache_control":{"type":"ephemeral"}}]}`},
		{"tool round trip: tool_use, tool_result merged into one user turn, forced tool, no parallel",
			llm.Request{Messages: []llm.Message{
				{Role: llm.RoleUser, Content: text("weather?")},
				{Role: llm.RoleAssistant, ToolCalls: []llm.ToolCall{{ID: "t1", Name: "w", Arguments: `{"c":"P"}`}, {ID: "t2", Name: "w", Arguments: ``}}},
				{Role: llm.RoleTool, ToolCallID: "t1", Content: text("sunny")},
				{Role: llm.RoleTool, ToolCallID: "t2", Content: text("rain")}},
				Tools:      []llm.Tool{{Name: "w"}},
				ToolChoice: &llm.ToolChoice{Mode: "function", Function: "w"}, ParallelToolCalls: ptr(false)},
			anthropic.RequestOptions{Model: "m"},
			`{"model":"m","max_tokens":4096,"messages":[{"role":"user","content":[{"type":"text","text":"weather?"}]},` +
				`{"role":"assistant","content":[{"type":"tool_use","id":"t1","name":"w","input":{"c":"P"}},{"type":"tool_use","id":"t2","name":"w","input":{}}]},` +
				`{"role":"user","content":[{"type":"tool_result","tool_use_id":"t1","content":[{"type":"text","text":"sunny"}]},{"type":"tool_result","tool_use_id":"t2","content":[{"type":"text","text":"rain"}]}]}],` +
				`"tools":[{"name":"w","input_schema":{"type":"object","properties":{}}}],"tool_choice":{"type":"tool","name":"w","disable_parallel_tool_use":true}}`},
		{"images: data URL split, https URL, bytes",
			llm.Request{Messages: []llm.Message{{Role: llm.RoleUser, Content: []llm.Part{
				{Type: llm.PartImage, Image: &llm.Image{URL: "data:image/jpeg;base64,AAAA"}},
				{Type: llm.PartImage, Image: &llm.Image{URL: "https://x/y.png"}},
				{Type: llm.PartImage, Image: &llm.Image{Data: []byte{1, 2, 3}, MediaType: "image/png"}}}}}},
			anthropic.RequestOptions{Model: "m"},
			`{"model":"m","max_tokens":4096,"messages":[{"role":"user","content":[{"type":"image","source":{"type":"base64","media_type":"image/jpeg","data":"AAAA"}},` +
				`{"type":"image","source":{"type":"url","url":"https://x/y.png"}},{"type":"image","source":{"type":"base64","media_type":"image/png","data":"AQID"}}]}]}`},
		{"assistant thinking goes back first; drop leaves out what has no equivalent",
			llm.Request{Seed: ptr(int64(1)), Messages: []llm.Message{{Role: llm.RoleUser, Content: text("a")},
				{Role: llm.RoleAssistant, Content: text("b"), Reasoning: &llm.Reasoning{Text: "hmm", Signature: "sig"}}}},
			anthropic.RequestOptions{Model: "m", Drop: true},
			`{"model":"m","max_tokens":4096,"messages":[{"role":"user","content":[{"type":"text","text":"a"}]},{"role":"assistant","content":[{"type":"thinking","thinking":"hmm","signature":"sig"},{"type":"text","text":"b"}]}]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := anthropic.EncodeRequest(&tt.req, tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			if !jsonEqual(t, got, []byte(tt.want)) {
				t.Errorf("got  %s\nwant %s", got, tt.want)
			}
		})
	}
}

func TestEncodeRequestRefuses(t *testing.T) {
	tests := []struct {
		name        string
		req         llm.Request
		param       string
		unsupported bool
	}{
		{"seed", llm.Request{Seed: ptr(int64(1))}, "seed", true},
		{"n above 1", llm.Request{N: ptr(2)}, "n", true},
		{"json_schema", llm.Request{ResponseFormat: &llm.ResponseFormat{Type: "json_schema"}}, "response_format", true},
		{"bad effort", llm.Request{ReasoningEffort: "max"}, "reasoning_effort", false},
		{"bad thinking", llm.Request{Extra: []llm.Field{{Name: "thinking", Value: json.RawMessage(`true`)}}}, "thinking", false},
		{"duplicate member", llm.Request{Extra: []llm.Field{{Name: "system", Value: json.RawMessage(`"x"`)}}}, "system", false},
		{"audio", llm.Request{Messages: []llm.Message{{Role: llm.RoleUser, Content: []llm.Part{{Type: llm.PartAudio, Audio: &llm.Audio{}}}}}}, "messages[0].content[0]", true},
		{"tool without id", llm.Request{Messages: []llm.Message{{Role: llm.RoleTool, Content: text("x")}}}, "messages[0].tool_call_id", false},
		{"image in system", llm.Request{Messages: []llm.Message{{Role: llm.RoleSystem, Content: []llm.Part{{Type: llm.PartImage, Image: &llm.Image{URL: "https://x"}}}}}}, "messages[0].content", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := anthropic.EncodeRequest(&tt.req, anthropic.RequestOptions{Model: "m"})
			var pe *anthropic.ParamError
			if !errors.As(err, &pe) || pe.Param != tt.param || pe.Unsupported != tt.unsupported {
				t.Fatalf("err = %#v, want a ParamError for %q (unsupported %v)", err, tt.param, tt.unsupported)
			}
		})
	}
}

func jsonEqual(t *testing.T, a, b []byte) bool {
	t.Helper()
	var x, y any
	if err := json.Unmarshal(a, &x); err != nil {
		t.Fatalf("%s: %v", a, err)
	}
	if err := json.Unmarshal(b, &y); err != nil {
		t.Fatalf("%s: %v", b, err)
	}
	return reflect.DeepEqual(x, y)
}
