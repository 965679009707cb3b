package bedrock_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"reflect"
	"testing"

	"github.com/tollgate-gw/tollgate/internal/awscred"
	"github.com/tollgate-gw/tollgate/internal/awsfake"
	"github.com/tollgate-gw/tollgate/internal/llm"
	"github.com/tollgate-gw/tollgate/internal/provider"
	"github.com/tollgate-gw/tollgate/internal/provider/bedrock"
)

func text(s string) []llm.Part { return []llm.Part{{Type: llm.PartText, Text: s}} }

var pngBytes = []byte("\x89PNG\r\n\x1a\n0000")

// TestConverseRequestTranslation: each row is an llm.Request and the JSON
// body the real SDK put on the wire for it.
func TestConverseRequestTranslation(t *testing.T) {
	pngB64 := base64.StdEncoding.EncodeToString(pngBytes)
	pdfB64 := base64.StdEncoding.EncodeToString([]byte("%PDF-1.7"))
	tests := []struct {
		name string
		req  llm.Request
		want string
	}{
		{
			name: "system developer and multi-turn",
			req: llm.Request{Messages: []llm.Message{
				{Role: llm.RoleSystem, Content: text("be brief")},
				{Role: llm.RoleDeveloper, Content: text("answer in French")},
				{Role: llm.RoleUser, Content: text("hi")},
				{Role: llm.RoleAssistant, Content: text("salut")},
				{Role: llm.RoleUser, Content: text("how are you?")},
			}},
			want: `{"system":[{"text":"be brief"},{"text":"answer in French"}],"messages":[
				{"role":"user","content":[{"text":"hi"}]},
				{"role":"assistant","content":[{"text":"salut"}]},
				{"role":"user","content":[{"text":"how are you?"}]}]}`,
		},
		{
			name: "inference parameters",
			req: llm.Request{
				Messages:  []llm.Message{{Role: llm.RoleUser, Content: text("x")}},
				MaxTokens: ptr(100), MaxCompletionTokens: ptr(200), Temperature: ptr(0.5), TopP: ptr(0.25),
				Stop: []string{"END", "STOP"},
			},
			want: `{"messages":[{"role":"user","content":[{"text":"x"}]}],
				"inferenceConfig":{"maxTokens":200,"temperature":0.5,"topP":0.25,"stopSequences":["END","STOP"]}}`,
		},
		{
			name: "images documents and cache points",
			req: llm.Request{Messages: []llm.Message{
				{Role: llm.RoleSystem, Content: []llm.Part{{Type: llm.PartText, Text: "long system", CacheControl: json.RawMessage(`{"type":"ephemeral"}`)}}},
				{Role: llm.RoleUser, Content: []llm.Part{
					{Type: llm.PartImage, Image: &llm.Image{Data: pngBytes, MediaType: "image/png"}},
					{Type: llm.PartImage, Image: &llm.Image{URL: "data:image/png;base64," + pngB64}},
					{Type: llm.PartDocument, Document: &llm.Document{Name: "Q3 report.pdf", Data: []byte("%PDF-1.7"), MediaType: "application/pdf"}},
					{Type: llm.PartText, Text: "summarise", CacheControl: json.RawMessage(`{"type":"ephemeral","ttl":"1h"}`)},
					{Type: llm.PartCachePoint},
				}},
			}},
			want: `{"system":[{"text":"long system"},{"cachePoint":{"type":"default"}}],"messages":[{"role":"user","content":[
				{"image":{"format":"png","source":{"bytes":"` + pngB64 + `"}}},
				{"image":{"format":"png","source":{"bytes":"` + pngB64 + `"}}},
				{"document":{"format":"pdf","name":"Q3 report-pdf","source":{"bytes":"` + pdfB64 + `"}}},
				{"text":"summarise"},{"cachePoint":{"type":"default","ttl":"1h"}},
				{"cachePoint":{"type":"default"}}]}]}`,
		},
		{
			name: "tools and tool results both directions",
			req: llm.Request{
				Messages: []llm.Message{
					{Role: llm.RoleUser, Content: text("weather in Paris and Rome?")},
					{Role: llm.RoleAssistant, ToolCalls: []llm.ToolCall{
						{ID: "t1", Type: "function", Name: "weather", Arguments: `{"city":"Paris","days":12345678901234567}`},
						{ID: "t2", Type: "function", Name: "weather", Arguments: `{"city":"Rome"}`},
					}},
					{Role: llm.RoleTool, ToolCallID: "t1", Content: text("sunny")},
					{Role: llm.RoleTool, ToolCallID: "t2", Content: text("rain")},
					{Role: llm.RoleUser, Content: text("thanks")},
				},
				Tools: []llm.Tool{{Type: "function", Name: "weather", Description: "forecast",
					Parameters: json.RawMessage(`{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}`),
					Strict:     ptr(true), CacheControl: json.RawMessage(`{"type":"ephemeral"}`)}},
				ToolChoice: &llm.ToolChoice{Mode: "function", Function: "weather"},
			},
			want: `{"messages":[
				{"role":"user","content":[{"text":"weather in Paris and Rome?"}]},
				{"role":"assistant","content":[
					{"toolUse":{"toolUseId":"t1","name":"weather","input":{"city":"Paris","days":12345678901234567}}},
					{"toolUse":{"toolUseId":"t2","name":"weather","input":{"city":"Rome"}}}]},
				{"role":"user","content":[
					{"toolResult":{"toolUseId":"t1","content":[{"text":"sunny"}]}},
					{"toolResult":{"toolUseId":"t2","content":[{"text":"rain"}]}},
					{"text":"thanks"}]}],
				"toolConfig":{"tools":[
					{"toolSpec":{"name":"weather","description":"forecast","strict":true,
						"inputSchema":{"json":{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}}}},
					{"cachePoint":{"type":"default"}}],
					"toolChoice":{"tool":{"name":"weather"}}}}`,
		},
		{
			name: "tool choice required and auto",
			req: llm.Request{
				Messages:   []llm.Message{{Role: llm.RoleUser, Content: text("x")}},
				Tools:      []llm.Tool{{Name: "f"}},
				ToolChoice: &llm.ToolChoice{Mode: "required"},
			},
			want: `{"messages":[{"role":"user","content":[{"text":"x"}]}],"toolConfig":{"tools":[
				{"toolSpec":{"name":"f","inputSchema":{"json":{"type":"object","properties":{}}}}}],"toolChoice":{"any":{}}}}`,
		},
		{
			name: "tool choice none without tool history sends no tools",
			req: llm.Request{
				Messages:   []llm.Message{{Role: llm.RoleUser, Content: text("x")}},
				Tools:      []llm.Tool{{Name: "f"}},
				ToolChoice: &llm.ToolChoice{Mode: "none"},
			},
			want: `{"messages":[{"role":"user","content":[{"text":"x"}]}]}`,
		},
		{
			name: "reasoning sent back with signature",
			req: llm.Request{Messages: []llm.Message{
				{Role: llm.RoleUser, Content: text("q")},
				{Role: llm.RoleAssistant, Content: text("a"), Reasoning: &llm.Reasoning{Text: "think", Signature: "sig"}},
				{Role: llm.RoleUser, Content: text("q2")},
			}},
			want: `{"messages":[{"role":"user","content":[{"text":"q"}]},
				{"role":"assistant","content":[{"reasoningContent":{"reasoningText":{"text":"think","signature":"sig"}}},{"text":"a"}]},
				{"role":"user","content":[{"text":"q2"}]}]}`,
		},
		{
			name: "extras: passthrough, explicit additional fields, guardrail, metadata, tier, reasoning effort",
			req: llm.Request{
				Messages:        []llm.Message{{Role: llm.RoleUser, Content: text("x")}},
				ReasoningEffort: "medium",
				Extra: []llm.Field{
					{Name: "top_k", Value: json.RawMessage(`50`)},
					{Name: "additionalModelRequestFields", Value: json.RawMessage(`{"anthropic_beta":["context-1m"]}`)},
					{Name: "guardrailConfig", Value: json.RawMessage(`{"guardrailIdentifier":"gr-1","guardrailVersion":"2","trace":"enabled"}`)},
					{Name: "requestMetadata", Value: json.RawMessage(`{"team":"a"}`)},
					{Name: "service_tier", Value: json.RawMessage(`"flex"`)},
					{Name: "performanceConfig", Value: json.RawMessage(`{"latency":"optimized"}`)},
				},
			},
			want: `{"messages":[{"role":"user","content":[{"text":"x"}]}],
				"additionalModelRequestFields":{"top_k":50,"anthropic_beta":["context-1m"],"thinking":{"type":"enabled","budget_tokens":2048}},
				"guardrailConfig":{"guardrailIdentifier":"gr-1","guardrailVersion":"2","trace":"enabled"},
				"requestMetadata":{"team":"a"},"serviceTier":{"type":"flex"},"performanceConfig":{"latency":"optimized"}}`,
		},
		{
			name: "json schema response format as structured output",
			req: llm.Request{
				Messages: []llm.Message{{Role: llm.RoleUser, Content: text("x")}},
				ResponseFormat: &llm.ResponseFormat{Type: "json_schema",
					JSONSchema: json.RawMessage(`{"name":"answer","schema":{"type":"object"}}`)},
			},
			want: `{"messages":[{"role":"user","content":[{"text":"x"}]}],
				"outputConfig":{"textFormat":{"type":"json_schema","structure":{"jsonSchema":{"name":"answer","schema":"{\"type\":\"object\"}"}}}}}`,
		},
		{
			name: "prompt variables",
			req: llm.Request{
				Messages: []llm.Message{{Role: llm.RoleUser, Content: text("x")}},
				Gateway:  llm.GatewayOptions{PromptVariables: json.RawMessage(`{"topic":"tea","tone":{"text":"dry"}}`)},
			},
			want: `{"messages":[{"role":"user","content":[{"text":"x"}]}],
				"promptVariables":{"topic":{"text":"tea"},"tone":{"text":"dry"}}}`,
		},
	}
	h := newHarness(t)
	a := h.adapter(t, awscred.Spec{}, bedrock.Options{ModelID: claude})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := a.Chat(context.Background(), &tt.req); err != nil {
				t.Fatal(err)
			}
			jsonEqual(t, h.lastBody(t), []byte(tt.want))
			// ConverseStream takes the same body.
			s, err := a.ChatStream(context.Background(), &tt.req)
			if err != nil {
				t.Fatal(err)
			}
			_ = s.Close()
			jsonEqual(t, h.lastBody(t), []byte(tt.want))
		})
	}
}

// TestConverseResponseTranslation: each row is a Converse response body and
// the llm.Response the adapter makes of it.
func TestConverseResponseTranslation(t *testing.T) {
	tests := []struct {
		name string
		body string
		want llm.Response
	}{
		{
			name: "text with cache usage",
			body: `{"output":{"message":{"role":"assistant","content":[{"text":"Hello"},{"text":" world"}]}},"stopReason":"end_turn",
				"usage":{"inputTokens":10,"outputTokens":5,"totalTokens":45,"cacheReadInputTokens":20,"cacheWriteInputTokens":10},"metrics":{"latencyMs":1}}`,
			want: llm.Response{ID: "chatcmpl-req-converse", Model: claude, Created: 1700000000, Choices: []llm.Choice{{
				Message:      llm.Message{Role: llm.RoleAssistant, Content: text("Hello world"), StringContent: true},
				FinishReason: "stop"}},
				Usage: &llm.Usage{PromptTokens: 40, CompletionTokens: 5, TotalTokens: 45, CacheReadTokens: 20, CacheWriteTokens: 10}},
		},
		{
			name: "tool calls and reasoning",
			body: `{"output":{"message":{"role":"assistant","content":[
				{"reasoningContent":{"reasoningText":{"text":"need weather","signature":"sig1"}}},
				{"toolUse":{"toolUseId":"t1","name":"weather","input":{"city":"Paris"}}}]}},"stopReason":"tool_use",
				"usage":{"inputTokens":1,"outputTokens":2,"totalTokens":3},"metrics":{"latencyMs":1}}`,
			want: llm.Response{ID: "chatcmpl-req-converse", Model: claude, Created: 1700000000, Choices: []llm.Choice{{
				Message: llm.Message{Role: llm.RoleAssistant,
					ToolCalls: []llm.ToolCall{{ID: "t1", Type: "function", Name: "weather", Arguments: `{"city":"Paris"}`}},
					Reasoning: &llm.Reasoning{Text: "need weather", Signature: "sig1"}},
				FinishReason: "tool_calls"}},
				Usage: &llm.Usage{PromptTokens: 1, CompletionTokens: 2, TotalTokens: 3}},
		},
	}
	// Each stop reason maps to OpenAI's finish reason; the ones that
	// reason cannot express are also kept as the native finish reason,
	// for the Bedrock interface.
	stops := map[string][2]string{
		"end_turn": {"stop", ""}, "stop_sequence": {"stop", "stop_sequence"}, "max_tokens": {"length", ""},
		"tool_use": {"tool_calls", ""}, "guardrail_intervened": {"content_filter", "guardrail_intervened"},
		"content_filtered":              {"content_filter", ""},
		"model_context_window_exceeded": {"length", "model_context_window_exceeded"},
		"malformed_tool_use":            {"tool_calls", "malformed_tool_use"},
	}
	for reason, finish := range stops {
		tests = append(tests, struct {
			name string
			body string
			want llm.Response
		}{
			name: "stop reason " + reason,
			body: `{"output":{"message":{"role":"assistant","content":[{"text":"x"}]}},"stopReason":"` + reason + `",
				"usage":{"inputTokens":1,"outputTokens":1,"totalTokens":2},"metrics":{"latencyMs":1}}`,
			want: llm.Response{ID: "chatcmpl-req-converse", Model: claude, Created: 1700000000, Choices: []llm.Choice{{
				Message:      llm.Message{Role: llm.RoleAssistant, Content: text("x"), StringContent: true},
				FinishReason: finish[0], NativeFinishReason: finish[1]}},
				Usage: &llm.Usage{PromptTokens: 1, CompletionTokens: 1, TotalTokens: 2}},
		})
	}
	h := newHarness(t)
	a := h.adapter(t, awscred.Spec{}, bedrock.Options{ModelID: claude})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h.bedrock.Reset()
			h.bedrock.Script(claude, awsfake.Reply{Body: json.RawMessage(tt.body)})
			got, err := a.Chat(context.Background(), &llm.Request{Messages: []llm.Message{{Role: llm.RoleUser, Content: text("q")}}})
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(*got, tt.want) {
				t.Errorf("got  %+v\nwant %+v", *got, tt.want)
			}
		})
	}
}

// TestAssistantTurnRoundTrip: an assistant message Bedrock returned, sent
// back in the next turn, reaches Bedrock as the same content blocks.
func TestAssistantTurnRoundTrip(t *testing.T) {
	outputs := []string{
		`[{"text":"plain answer"}]`,
		`[{"reasoningContent":{"reasoningText":{"text":"hmm","signature":"s"}}},{"text":"answer"}]`,
		`[{"toolUse":{"toolUseId":"t1","name":"f","input":{"a":[1,2.5,"x",null,true],"b":{"c":12345678901234567890}}}}]`,
		`[{"text":"calling"},{"toolUse":{"toolUseId":"t1","name":"f","input":{}}},{"toolUse":{"toolUseId":"t2","name":"g","input":{"q":"r"}}}]`,
		`[{"reasoningContent":{"redactedContent":"AAEC"}},{"text":"ok"}]`,
	}
	h := newHarness(t)
	a := h.adapter(t, awscred.Spec{}, bedrock.Options{ModelID: claude})
	for _, content := range outputs {
		t.Run(content, func(t *testing.T) {
			h.bedrock.Reset()
			h.bedrock.Script(claude, awsfake.Reply{Body: json.RawMessage(`{"output":{"message":{"role":"assistant","content":` +
				content + `}},"stopReason":"end_turn","usage":{"inputTokens":1,"outputTokens":1,"totalTokens":2},"metrics":{"latencyMs":1}}`)})
			user := llm.Message{Role: llm.RoleUser, Content: text("q")}
			resp, err := a.Chat(context.Background(), &llm.Request{Messages: []llm.Message{user}})
			if err != nil {
				t.Fatal(err)
			}
			next := &llm.Request{Messages: []llm.Message{user, resp.Choices[0].Message}}
			for _, tc := range resp.Choices[0].Message.ToolCalls {
				next.Messages = append(next.Messages, llm.Message{Role: llm.RoleTool, ToolCallID: tc.ID, Content: text("done")})
			}
			next.Messages = append(next.Messages, llm.Message{Role: llm.RoleUser, Content: text("more")})
			if _, err := a.Chat(context.Background(), next); err != nil {
				t.Fatal(err)
			}
			var sent struct {
				Messages []struct {
					Role    string          `json:"role"`
					Content json.RawMessage `json:"content"`
				} `json:"messages"`
			}
			if err := json.Unmarshal(h.lastBody(t), &sent); err != nil || len(sent.Messages) != 3 {
				t.Fatalf("sent %s: %v", h.lastBody(t), err)
			}
			jsonEqual(t, sent.Messages[1].Content, []byte(content))
		})
	}
}

// TestUnsupportedParams: what Converse cannot take is refused with a typed
// error naming the parameter, and dropped when the request or the
// deployment says drop_params.
func TestUnsupportedParams(t *testing.T) {
	base := func() llm.Request {
		return llm.Request{Messages: []llm.Message{{Role: llm.RoleUser, Content: text("x")}}}
	}
	tests := []struct {
		param string
		set   func(*llm.Request)
	}{
		{"n", func(r *llm.Request) { r.N = ptr(2) }},
		{"logprobs", func(r *llm.Request) { r.Logprobs = ptr(true) }},
		{"top_logprobs", func(r *llm.Request) { r.TopLogprobs = ptr(3) }},
		{"logit_bias", func(r *llm.Request) { r.LogitBias = json.RawMessage(`{"1":2}`) }},
		{"seed", func(r *llm.Request) { r.Seed = ptr(int64(7)) }},
		{"presence_penalty", func(r *llm.Request) { r.PresencePenalty = ptr(0.5) }},
		{"frequency_penalty", func(r *llm.Request) { r.FrequencyPenalty = ptr(0.5) }},
		{"parallel_tool_calls", func(r *llm.Request) { r.ParallelToolCalls = ptr(false) }},
		{"response_format", func(r *llm.Request) { r.ResponseFormat = &llm.ResponseFormat{Type: "json_object"} }},
		{"store", func(r *llm.Request) { r.Extra = []llm.Field{{Name: "store", Value: json.RawMessage(`true`)}} }},
		{"reasoning_effort", func(r *llm.Request) { r.ReasoningEffort = "high" }}, // on a Llama model
		{"tool_choice", func(r *llm.Request) {
			r.Tools = []llm.Tool{{Name: "f"}}
			r.ToolChoice = &llm.ToolChoice{Mode: "none"}
			r.Messages = append(r.Messages,
				llm.Message{Role: llm.RoleAssistant, ToolCalls: []llm.ToolCall{{ID: "1", Name: "f", Arguments: "{}"}}},
				llm.Message{Role: llm.RoleTool, ToolCallID: "1", Content: text("r")})
		}},
	}
	h := newHarness(t)
	const llama = "meta.llama3-70b-instruct-v1:0"
	strict := h.adapter(t, awscred.Spec{}, bedrock.Options{ModelID: llama})
	lenient := h.adapter(t, awscred.Spec{}, bedrock.Options{ModelID: llama, DropParams: true})
	for _, tt := range tests {
		t.Run(tt.param, func(t *testing.T) {
			req := base()
			tt.set(&req)
			before := len(h.bedrock.Calls())
			_, err := strict.Chat(context.Background(), &req)
			pe, ok := provider.AsError(err)
			if !ok || pe.Kind != provider.KindUnsupported || pe.Param != tt.param || pe.Status != 400 || pe.Retryable() {
				t.Fatalf("error %v, want unsupported %q", err, tt.param)
			}
			if len(h.bedrock.Calls()) != before {
				t.Fatal("a refused request reached Bedrock")
			}
			if _, err := lenient.Chat(context.Background(), &req); err != nil {
				t.Fatalf("deployment drop_params: %v", err)
			}
			req.Gateway.DropParams = ptr(true)
			if _, err := strict.Chat(context.Background(), &req); err != nil {
				t.Fatalf("request drop_params: %v", err)
			}
			var body map[string]json.RawMessage
			_ = json.Unmarshal(h.lastBody(t), &body)
			if _, leaked := body["additionalModelRequestFields"]; leaked {
				t.Errorf("dropped parameter leaked into %s", h.lastBody(t))
			}
			req.Gateway.DropParams = ptr(false)
			if _, err := lenient.Chat(context.Background(), &req); err == nil {
				t.Error("a request's drop_params=false should override the deployment's")
			}
		})
	}
}

// TestBadContent: content Bedrock cannot take is a clear client error and
// never reaches Bedrock, whatever drop_params says.
func TestBadContent(t *testing.T) {
	tests := []struct {
		name  string
		msgs  []llm.Message
		kind  provider.Kind
		param string
	}{
		{"http image URL", []llm.Message{{Role: llm.RoleUser, Content: []llm.Part{{Type: llm.PartImage,
			Image: &llm.Image{URL: "https://example.com/cat.png"}}}}}, provider.KindUnsupported, "messages[0].content[0].image_url"},
		{"bmp image", []llm.Message{{Role: llm.RoleUser, Content: []llm.Part{{Type: llm.PartImage,
			Image: &llm.Image{Data: []byte("BM...."), MediaType: "image/bmp"}}}}}, provider.KindUnsupported, "messages[0].content[0]"},
		{"bad data URL", []llm.Message{{Role: llm.RoleUser, Content: []llm.Part{{Type: llm.PartImage,
			Image: &llm.Image{URL: "data:image/png;base64,@@@"}}}}}, provider.KindBadRequest, "messages[0].content[0].image_url"},
		{"invalid tool arguments", []llm.Message{{Role: llm.RoleUser, Content: text("x")}, {Role: llm.RoleAssistant,
			ToolCalls: []llm.ToolCall{{ID: "1", Name: "f", Arguments: "{not json"}}}}, provider.KindBadRequest, "messages[1].tool_calls[0].function.arguments"},
		{"tool result without id", []llm.Message{{Role: llm.RoleTool, Content: text("x")}}, provider.KindBadRequest, "messages[0].tool_call_id"},
		{"only a system prompt", []llm.Message{{Role: llm.RoleSystem, Content: text("x")}}, provider.KindBadRequest, "messages"},
		{"empty user turn", []llm.Message{{Role: llm.RoleUser, Content: text("  ")}}, provider.KindBadRequest, "messages[0]"},
		{"file id document", []llm.Message{{Role: llm.RoleUser, Content: []llm.Part{{Type: llm.PartDocument,
			Document: &llm.Document{FileID: "file-1"}}}}}, provider.KindUnsupported, "messages[0].content[0].file.file_id"},
		{"unknown role", []llm.Message{{Role: "narrator", Content: text("x")}}, provider.KindBadRequest, "messages[0].role"},
		// Found by FuzzBuildConverse: a non-object cache_control reached the Anthropic body.
		{"cache_control not an object", []llm.Message{{Role: llm.RoleUser, Content: []llm.Part{{Type: llm.PartText, Text: "x",
			CacheControl: json.RawMessage(`7`)}}}}, provider.KindBadRequest, "messages[0].content[0].cache_control"},
	}
	h := newHarness(t)
	a := h.adapter(t, awscred.Spec{}, bedrock.Options{ModelID: claude, DropParams: true})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := a.Chat(context.Background(), &llm.Request{Messages: tt.msgs})
			pe, ok := provider.AsError(err)
			if !ok || pe.Kind != tt.kind || pe.Param != tt.param || pe.Status != 400 {
				t.Fatalf("error %#v, want kind %v param %q", err, tt.kind, tt.param)
			}
			if n := len(h.bedrock.Calls()); n != 0 {
				t.Fatalf("bad content reached Bedrock (%d calls)", n)
			}
		})
	}
}

// TestModelIDsAsWritten: every model id form is sent to Bedrock verbatim as
// modelId (the SDK escapes it into the path; the fake unescapes it).
func TestModelIDsAsWritten(t *testing.T) {
	ids := []string{
		"anthropic.claude-3-haiku-20240307-v1:0",
		"us.anthropic.claude-sonnet-4-20250514-v1:0",
		"eu.amazon.nova-pro-v1:0",
		"apac.anthropic.claude-3-5-sonnet-20240620-v1:0",
		"global.anthropic.claude-sonnet-4-5-20250929-v1:0",
		"arn:aws:bedrock:us-east-1:111111111111:application-inference-profile/a1b2c3",
		"arn:aws:bedrock:us-east-1:111111111111:provisioned-model/p1q2",
		"arn:aws:bedrock:us-east-1:111111111111:imported-model/i9j8",
		"arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-3-haiku-20240307-v1:0",
	}
	h := newHarness(t)
	for _, id := range ids {
		a := h.adapter(t, awscred.Spec{}, bedrock.Options{ModelID: id})
		if _, err := a.Chat(context.Background(), &llm.Request{Messages: []llm.Message{{Role: llm.RoleUser, Content: text("x")}}}); err != nil {
			t.Fatalf("%s: %v", id, err)
		}
		calls := h.bedrock.Calls()
		if got := calls[len(calls)-1]; got.ModelID != id || got.Operation != "Converse" {
			t.Errorf("sent %s to %s, want Converse on %s", got.Operation, got.ModelID, id)
		}
	}
}
