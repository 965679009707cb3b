package bedrock_test

import (
	"context"
	"encoding/json"
	"reflect"
	"testing"

	"github.com/tollgate-gw/tollgate/internal/awscred"
	"github.com/tollgate-gw/tollgate/internal/awsfake"
	"github.com/tollgate-gw/tollgate/internal/llm"
	"github.com/tollgate-gw/tollgate/internal/provider"
	"github.com/tollgate-gw/tollgate/internal/provider/bedrock"
)

func TestInvokeRouteAnthropic(t *testing.T) {
	h := newHarness(t)
	a := h.adapter(t, awscred.Spec{}, bedrock.Options{ModelID: claude, Route: bedrock.RouteInvoke})
	h.bedrock.Script(claude, awsfake.Reply{Body: json.RawMessage(`{"id":"msg_1","type":"message","role":"assistant",
		"content":[{"type":"thinking","thinking":"hmm","signature":"s1"},{"type":"text","text":"It is sunny."},
		{"type":"tool_use","id":"tu1","name":"weather","input":{"city":"Paris"}}],
		"stop_reason":"tool_use","usage":{"input_tokens":10,"output_tokens":4,"cache_read_input_tokens":5,"cache_creation_input_tokens":1}}`)})
	req := &llm.Request{
		Messages: []llm.Message{
			{Role: llm.RoleSystem, Content: []llm.Part{{Type: llm.PartText, Text: "sys"}, {Type: llm.PartCachePoint}}},
			{Role: llm.RoleUser, Content: []llm.Part{{Type: llm.PartText, Text: "q"},
				{Type: llm.PartImage, Image: &llm.Image{Data: pngBytes, MediaType: "image/png"}}}},
			{Role: llm.RoleAssistant, ToolCalls: []llm.ToolCall{{ID: "tu0", Name: "weather", Arguments: `{"city":"Rome"}`}}},
			{Role: llm.RoleTool, ToolCallID: "tu0", Content: text("rain")},
		},
		Tools:       []llm.Tool{{Name: "weather", Parameters: json.RawMessage(`{"type":"object"}`)}},
		ToolChoice:  &llm.ToolChoice{Mode: "required"},
		Temperature: ptr(0.2),
		Extra:       []llm.Field{{Name: "top_k", Value: json.RawMessage(`40`)}},
	}
	got, err := a.Chat(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	calls := h.bedrock.Calls()
	if calls[0].Operation != "InvokeModel" || calls[0].ModelID != claude {
		t.Fatalf("called %s on %s", calls[0].Operation, calls[0].ModelID)
	}
	jsonEqual(t, calls[0].Body, []byte(`{"anthropic_version":"bedrock-2023-05-31","max_tokens":4096,"temperature":0.2,"top_k":40,
		"system":[{"type":"text","text":"sys","cache_control":{"type":"ephemeral"}}],
		"messages":[
			{"role":"user","content":[{"type":"text","text":"q"},{"type":"image","source":{"type":"base64","media_type":"image/png","data":"iVBORw0KGgowMDAw"}}]},
			{"role":"assistant","content":[{"type":"tool_use","id":"tu0","name":"weather","input":{"city":"Rome"}}]},
			{"role":"user","content":[{"type":"tool_result","tool_use_id":"tu0","content":[{"type":"text","text":"rain"}]}]}],
		"tools":[{"name":"weather","input_schema":{"type":"object"}}],"tool_choice":{"type":"any"}}`))
	want := &llm.Response{ID: "chatcmpl-req-invokemodel", Model: claude, Created: 1700000000, Choices: []llm.Choice{{
		Message: llm.Message{Role: llm.RoleAssistant, Content: text("It is sunny."), StringContent: true,
			ToolCalls: []llm.ToolCall{{ID: "tu1", Type: "function", Name: "weather", Arguments: `{"city":"Paris"}`}},
			Reasoning: &llm.Reasoning{Text: "hmm", Signature: "s1"}},
		FinishReason: "tool_calls"}},
		Usage: &llm.Usage{PromptTokens: 16, CompletionTokens: 4, TotalTokens: 20, CacheReadTokens: 5, CacheWriteTokens: 1}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got  %+v\nwant %+v", *got, *want)
	}
}

func TestInvokeRouteRefusals(t *testing.T) {
	h := newHarness(t)
	req := &llm.Request{Messages: []llm.Message{{Role: llm.RoleUser, Content: text("q")}}}
	llama := h.adapter(t, awscred.Spec{}, bedrock.Options{ModelID: "meta.llama3-70b-instruct-v1:0", Route: bedrock.RouteInvoke})
	if _, err := llama.Chat(context.Background(), req); !isKind(err, provider.KindUnsupported) {
		t.Errorf("invoke chat on Llama: %v, want unsupported", err)
	}
	arn := h.adapter(t, awscred.Spec{}, bedrock.Options{ModelID: "arn:aws:bedrock:us-east-1:111111111111:application-inference-profile/x", Route: bedrock.RouteInvoke})
	if _, err := arn.Chat(context.Background(), req); !isKind(err, provider.KindUnsupported) {
		t.Errorf("invoke chat on an ARN without base_model: %v, want unsupported", err)
	}
	withBase := h.adapter(t, awscred.Spec{}, bedrock.Options{ModelID: "arn:aws:bedrock:us-east-1:111111111111:application-inference-profile/x",
		Route: bedrock.RouteInvoke, BaseModel: "anthropic.claude-3-haiku-20240307-v1:0"})
	h.bedrock.Script("", awsfake.Reply{Body: json.RawMessage(`{"content":[{"type":"text","text":"ok"}],"stop_reason":"end_turn","usage":{"input_tokens":1,"output_tokens":1}}`)})
	if _, err := withBase.Chat(context.Background(), req); err != nil {
		t.Errorf("invoke chat on an ARN with an Anthropic base_model: %v", err)
	}
	a := h.adapter(t, awscred.Spec{}, bedrock.Options{ModelID: claude, Route: bedrock.RouteInvoke})
	if _, err := a.ChatStream(context.Background(), req); !isKind(err, provider.KindUnsupported) {
		t.Errorf("invoke stream: %v, want unsupported", err)
	}
}

func isKind(err error, k provider.Kind) bool {
	pe, ok := provider.AsError(err)
	return ok && pe.Kind == k
}
