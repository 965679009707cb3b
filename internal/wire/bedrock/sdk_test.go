package bedrock

// These tests put the real aws-sdk-go-v2 bedrockruntime client on both ends
// of the codec: it decodes what the encoders write (Converse JSON, the
// ConverseStream eventstream, errors and stream exceptions), and what it
// sends is what the decoder must accept.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/document"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/types"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/auth/bearer"

	"github.com/tollgate-gw/tollgate/internal/awsfake"
	"github.com/tollgate-gw/tollgate/internal/llm"
)

// capture is one request the fake received.
type capture struct {
	path, modelID, auth string
	body                []byte
}

// testKey is the gateway key the SDK client sends as a bearer token.
const testKey = "sk-tollgate-test"

// fakeGateway serves the /bedrock routes the way Tollgate mounts them, with
// the given responders, and records each request. The SDK client it returns
// points at it the way a Tollgate user configures one: SigV4 off, the
// gateway key as a bearer token (which the SDK sends only over HTTPS, hence
// the TLS server), and no retries.
//
// aws.AnonymousCredentials is not an option: with it, bedrockruntime
// v1.63.10 falls through to bearer auth with no token provider and panics.
func fakeGateway(t *testing.T, converse func(w http.ResponseWriter), stream func(w http.ResponseWriter, flush func())) (
	*bedrockruntime.Client, <-chan capture) {
	t.Helper()
	t.Setenv("AWS_BEARER_TOKEN_BEDROCK", "") // the client must not switch auth from the environment
	got := make(chan capture, 8)
	record := func(r *http.Request) bool {
		// Read the whole body before answering, as a real handler does.
		body, err := io.ReadAll(r.Body)
		if err != nil {
			t.Errorf("reading request body: %v", err)
			return false
		}
		got <- capture{path: r.URL.EscapedPath(), modelID: r.PathValue("id"), auth: r.Header.Get("Authorization"), body: body}
		return true
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /bedrock/model/{id}/converse", func(w http.ResponseWriter, r *http.Request) {
		if record(r) && converse != nil {
			converse(w)
		}
	})
	mux.HandleFunc("POST /bedrock/model/{id}/converse-stream", func(w http.ResponseWriter, r *http.Request) {
		if !record(r) || stream == nil {
			return
		}
		rc := http.NewResponseController(w)
		stream(w, func() {
			if err := rc.Flush(); err != nil {
				t.Errorf("flush: %v", err)
			}
		})
	})
	srv := httptest.NewTLSServer(mux)
	t.Cleanup(srv.Close)
	client := bedrockruntime.New(bedrockruntime.Options{
		Region:                  "us-west-2",
		BaseEndpoint:            aws.String(srv.URL + "/bedrock"),
		BearerAuthTokenProvider: bearer.StaticTokenProvider{Token: bearer.Token{Value: testKey}},
		AuthSchemePreference:    []string{"httpBearerAuth"},
		RetryMaxAttempts:        1,
		HTTPClient:              awsfake.OwnBodyClient{Client: srv.Client()},
	})
	return client, got
}

func writeConverse(t *testing.T, resp *llm.Response, latency time.Duration) func(http.ResponseWriter) {
	body, err := EncodeConverseResponse(resp, latency)
	if err != nil {
		t.Fatal(err)
	}
	return func(w http.ResponseWriter) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(body)
	}
}

// docJSON renders an SDK document as canonical JSON (sorted keys).
func docJSON(t *testing.T, d document.Interface) string {
	t.Helper()
	var v any
	if err := d.UnmarshalSmithyDocument(&v); err != nil {
		t.Fatalf("unmarshal document: %v", err)
	}
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// canonical re-encodes JSON text with sorted keys, for comparing JSON whose
// member order a Go map decided.
func canonical(t *testing.T, s string) string {
	t.Helper()
	var v any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		t.Fatalf("canonical %q: %v", s, err)
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// blockView is an SDK content block reduced to comparable strings.
type blockView struct {
	Kind, A, B string
}

func TestSDKDecodesConverseResponse(t *testing.T) {
	resp := &llm.Response{
		Choices: []llm.Choice{{FinishReason: llm.FinishToolCalls, Message: llm.Message{
			Role:      llm.RoleAssistant,
			Reasoning: &llm.Reasoning{Text: "The user wants weather.", Signature: "EqQBCgIYAhIM"},
			Content:   []llm.Part{{Type: llm.PartText, Text: "Checking \"both\" cities…\n"}},
			ToolCalls: []llm.ToolCall{
				{ID: "tooluse_1", Type: "function", Name: "get_weather", Arguments: `{"city":"Paris","units":{"temp":"C"}}`},
				{ID: "tooluse_2", Type: "function", Name: "get_weather", Arguments: `{"city":"Rome"}`},
			},
		}}},
		Usage: &llm.Usage{PromptTokens: 2100, CompletionTokens: 95, TotalTokens: 2195, CacheReadTokens: 2000, CacheWriteTokens: 60},
	}
	client, _ := fakeGateway(t, writeConverse(t, resp, 842*time.Millisecond), nil)
	out, err := client.Converse(context.Background(), &bedrockruntime.ConverseInput{
		ModelId:  aws.String("gpt-4o"),
		Messages: []types.Message{{Role: types.ConversationRoleUser, Content: []types.ContentBlock{&types.ContentBlockMemberText{Value: "hi"}}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	msg, ok := out.Output.(*types.ConverseOutputMemberMessage)
	if !ok {
		t.Fatalf("output %T", out.Output)
	}
	if msg.Value.Role != types.ConversationRoleAssistant {
		t.Errorf("role %q", msg.Value.Role)
	}
	var got []blockView
	for _, b := range msg.Value.Content {
		switch b := b.(type) {
		case *types.ContentBlockMemberText:
			got = append(got, blockView{"text", b.Value, ""})
		case *types.ContentBlockMemberReasoningContent:
			rt := b.Value.(*types.ReasoningContentBlockMemberReasoningText)
			got = append(got, blockView{"reasoning", aws.ToString(rt.Value.Text), aws.ToString(rt.Value.Signature)})
		case *types.ContentBlockMemberToolUse:
			got = append(got, blockView{"toolUse " + aws.ToString(b.Value.ToolUseId), aws.ToString(b.Value.Name), docJSON(t, b.Value.Input)})
		default:
			t.Fatalf("unexpected block %T", b)
		}
	}
	want := []blockView{
		{"reasoning", "The user wants weather.", "EqQBCgIYAhIM"},
		{"text", "Checking \"both\" cities…\n", ""},
		{"toolUse tooluse_1", "get_weather", `{"city":"Paris","units":{"temp":"C"}}`},
		{"toolUse tooluse_2", "get_weather", `{"city":"Rome"}`},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("content:\n got %s\nwant %s", dump(got), dump(want))
	}
	if out.StopReason != types.StopReasonToolUse {
		t.Errorf("stop reason %q", out.StopReason)
	}
	u := out.Usage
	gotUsage := [5]int32{aws.ToInt32(u.InputTokens), aws.ToInt32(u.OutputTokens), aws.ToInt32(u.TotalTokens),
		aws.ToInt32(u.CacheReadInputTokens), aws.ToInt32(u.CacheWriteInputTokens)}
	if gotUsage != [5]int32{40, 95, 2195, 2000, 60} {
		t.Errorf("usage %v", gotUsage)
	}
	if aws.ToInt64(out.Metrics.LatencyMs) != 842 {
		t.Errorf("latency %d", aws.ToInt64(out.Metrics.LatencyMs))
	}
}

// streamView is an SDK stream event reduced to a comparable line.
func streamView(t *testing.T, ev types.ConverseStreamOutput) string {
	t.Helper()
	switch ev := ev.(type) {
	case *types.ConverseStreamOutputMemberMessageStart:
		return "messageStart " + string(ev.Value.Role)
	case *types.ConverseStreamOutputMemberContentBlockStart:
		tu := ev.Value.Start.(*types.ContentBlockStartMemberToolUse)
		return fmt.Sprintf("start %d toolUse %s %s", aws.ToInt32(ev.Value.ContentBlockIndex),
			aws.ToString(tu.Value.ToolUseId), aws.ToString(tu.Value.Name))
	case *types.ConverseStreamOutputMemberContentBlockDelta:
		i := aws.ToInt32(ev.Value.ContentBlockIndex)
		switch d := ev.Value.Delta.(type) {
		case *types.ContentBlockDeltaMemberText:
			return fmt.Sprintf("delta %d text %s", i, d.Value)
		case *types.ContentBlockDeltaMemberToolUse:
			return fmt.Sprintf("delta %d toolUse %s", i, aws.ToString(d.Value.Input))
		case *types.ContentBlockDeltaMemberReasoningContent:
			switch r := d.Value.(type) {
			case *types.ReasoningContentBlockDeltaMemberText:
				return fmt.Sprintf("delta %d reasoning %s", i, r.Value)
			case *types.ReasoningContentBlockDeltaMemberSignature:
				return fmt.Sprintf("delta %d signature %s", i, r.Value)
			case *types.ReasoningContentBlockDeltaMemberRedactedContent:
				return fmt.Sprintf("delta %d redacted %x", i, r.Value)
			}
		}
		t.Fatalf("unexpected delta %T", ev.Value.Delta)
	case *types.ConverseStreamOutputMemberContentBlockStop:
		return fmt.Sprintf("stop %d", aws.ToInt32(ev.Value.ContentBlockIndex))
	case *types.ConverseStreamOutputMemberMessageStop:
		return "messageStop " + string(ev.Value.StopReason)
	case *types.ConverseStreamOutputMemberMetadata:
		u := ev.Value.Usage
		return fmt.Sprintf("metadata in=%d out=%d total=%d cacheRead=%d latency=%d",
			aws.ToInt32(u.InputTokens), aws.ToInt32(u.OutputTokens), aws.ToInt32(u.TotalTokens),
			aws.ToInt32(u.CacheReadInputTokens), aws.ToInt64(ev.Value.Metrics.LatencyMs))
	}
	t.Fatalf("unexpected event %T", ev)
	return ""
}

// streamChunks is an OpenAI-shaped stream: role, reasoning, text, two tool
// calls streamed in fragments, the finish reason, then usage.
func streamChunks() []*llm.Chunk {
	return []*llm.Chunk{
		{Choices: []llm.ChunkChoice{{Delta: llm.Delta{Role: llm.RoleAssistant, HasContent: true}}}},
		{Choices: []llm.ChunkChoice{{Delta: llm.Delta{Reasoning: &llm.Reasoning{Text: "Two cities, "}}}}},
		{Choices: []llm.ChunkChoice{{Delta: llm.Delta{Reasoning: &llm.Reasoning{Text: "two calls.", Signature: "c2ln"}}}}},
		{Choices: []llm.ChunkChoice{{Delta: llm.Delta{Reasoning: &llm.Reasoning{Redacted: []byte{0xca, 0xfe}}}}}},
		textChunk("Checking "), textChunk("both."),
		toolChunk(0, "call_paris", "get_weather", ""),
		toolChunk(0, "", "", `{"city":`),
		toolChunk(0, "", "", `"Paris"}`),
		toolChunk(1, "call_rome", "get_weather", `{"city":"Rome"}`),
		finishChunk(llm.FinishToolCalls),
		usageChunk(llm.Usage{PromptTokens: 1200, CompletionTokens: 60, TotalTokens: 1260, CacheReadTokens: 1000}),
	}
}

var streamWant = []string{
	"messageStart assistant",
	"delta 0 reasoning Two cities, ",
	"delta 0 reasoning two calls.",
	"delta 0 signature c2ln",
	"delta 0 redacted cafe",
	"stop 0",
	"delta 1 text Checking ",
	"delta 1 text both.",
	"stop 1",
	"start 2 toolUse call_paris get_weather",
	`delta 2 toolUse {"city":`,
	`delta 2 toolUse "Paris"}`,
	"stop 2",
	"start 3 toolUse call_rome get_weather",
	`delta 3 toolUse {"city":"Rome"}`,
	"stop 3",
	"messageStop tool_use",
	"metadata in=200 out=60 total=1260 cacheRead=1000 latency=1500",
}

// serveStream writes chunks through a StreamEncoder, flushing after each,
// and ends with Finish or, when fail is set, an exception.
func serveStream(t *testing.T, chunks []*llm.Chunk, fail error) func(http.ResponseWriter, func()) {
	return func(w http.ResponseWriter, flush func()) {
		w.Header().Set("Content-Type", ContentType)
		w.WriteHeader(http.StatusOK)
		e := NewStreamEncoder(w)
		for _, c := range chunks {
			if err := e.WriteChunk(c); err != nil {
				t.Errorf("WriteChunk: %v", err)
				return
			}
			flush()
		}
		if fail != nil {
			if err := WriteStreamError(w, fail); err != nil {
				t.Errorf("WriteStreamError: %v", err)
			}
			return
		}
		if err := e.Finish(nil, 1500*time.Millisecond); err != nil {
			t.Errorf("Finish: %v", err)
		}
	}
}

// readStream drains a ConverseStream, returning the events as lines and the
// stream's final error.
func readStream(t *testing.T, client *bedrockruntime.Client) ([]string, error) {
	t.Helper()
	out, err := client.ConverseStream(context.Background(), &bedrockruntime.ConverseStreamInput{
		ModelId:  aws.String("gpt-4o"),
		Messages: []types.Message{{Role: types.ConversationRoleUser, Content: []types.ContentBlock{&types.ContentBlockMemberText{Value: "weather?"}}}},
	})
	if err != nil {
		t.Fatalf("ConverseStream: %v", err)
	}
	stream := out.GetStream()
	defer stream.Close()
	var lines []string
	for ev := range stream.Events() {
		lines = append(lines, streamView(t, ev))
	}
	return lines, stream.Err()
}

func TestSDKDecodesConverseStream(t *testing.T) {
	client, _ := fakeGateway(t, nil, serveStream(t, streamChunks(), nil))
	got, err := readStream(t, client)
	if err != nil {
		t.Fatalf("stream error: %v", err)
	}
	if !reflect.DeepEqual(got, streamWant) {
		t.Fatalf("events:\n got %s\nwant %s", strings.Join(got, "\n     "), strings.Join(streamWant, "\n     "))
	}
}

func TestSDKStreamException(t *testing.T) {
	tests := []struct {
		caseName
		err   error
		check func(error) bool
	}{
		{name("throttling"), &Exception{Name: ExceptionFor(429), Message: "slow down"},
			func(err error) bool { var e *types.ThrottlingException; return errors.As(err, &e) }},
		{name("validation"), &Exception{Name: ExceptionFor(400), Message: "slow down"},
			func(err error) bool { var e *types.ValidationException; return errors.As(err, &e) }},
		{name("service unavailable"), &Exception{Name: ExceptionFor(502), Message: "slow down"},
			func(err error) bool { var e *types.ServiceUnavailableException; return errors.As(err, &e) }},
		{name("model stream error"), &Exception{Name: ExceptionFor(504), Message: "slow down"},
			func(err error) bool { var e *types.ModelStreamErrorException; return errors.As(err, &e) }},
		{name("internal"), &Exception{Name: ExceptionFor(500), Message: "slow down"},
			func(err error) bool { var e *types.InternalServerException; return errors.As(err, &e) }},
	}
	chunks := streamChunks()[:6] // role, reasoning, the text; the text block stays open
	for _, tt := range tests {
		tt.run(t, func(t *testing.T) {
			client, _ := fakeGateway(t, nil, serveStream(t, chunks, tt.err))
			got, err := readStream(t, client)
			wantEvents := streamWant[:8] // the events before the failure
			if !reflect.DeepEqual(got, wantEvents) {
				t.Fatalf("events before the exception:\n got %s\nwant %s", dump(got), dump(wantEvents))
			}
			if err == nil || !tt.check(err) {
				t.Fatalf("stream error %T %v, want the %s exception", err, err, tt.Name)
			}
			var api smithy.APIError
			if !errors.As(err, &api) || api.ErrorMessage() != "slow down" {
				t.Fatalf("error message: %v", err)
			}
		})
	}
}

func TestSDKRaisesErrorFor(t *testing.T) {
	for _, tt := range errorCases {
		tt.run(t, func(t *testing.T) {
			client, _ := fakeGateway(t, func(w http.ResponseWriter) { WriteError(w, tt.err) }, nil)
			_, err := client.Converse(context.Background(), &bedrockruntime.ConverseInput{ModelId: aws.String("m")})
			var api smithy.APIError
			if !errors.As(err, &api) {
				t.Fatalf("error %T %v is not an API error", err, err)
			}
			// The SDK only returns a modelled exception type when it
			// recognised the name: a generic error would have the code but
			// not the type.
			if _, generic := api.(*smithy.GenericAPIError); generic {
				t.Fatalf("SDK did not recognise %s: %v", tt.errorType, err)
			}
			if api.ErrorCode() != tt.errorType || api.ErrorMessage() != tt.message {
				t.Fatalf("got %s %q, want %s %q", api.ErrorCode(), api.ErrorMessage(), tt.errorType, tt.message)
			}
			var re *awshttp.ResponseError
			if !errors.As(err, &re) || re.HTTPStatusCode() != tt.status {
				t.Fatalf("status: %v", err)
			}
		})
	}
}

// normalize makes a decoded request comparable when the SDK chose the order:
// raw JSON members are re-encoded with sorted keys (the SDK serializes Go
// maps), Extra is sorted by name, and floats are compared at the float32
// precision the SDK's types have.
func normalize(t *testing.T, r *llm.Request) {
	t.Helper()
	canon := func(raw *json.RawMessage) {
		if *raw != nil {
			*raw = json.RawMessage(canonical(t, string(*raw)))
		}
	}
	for i := range r.Messages {
		m := &r.Messages[i]
		for j := range m.ToolCalls {
			m.ToolCalls[j].Arguments = canonical(t, m.ToolCalls[j].Arguments)
		}
		for j := range m.Content {
			canon(&m.Content[j].CacheControl)
		}
	}
	for i := range r.Tools {
		canon(&r.Tools[i].Parameters)
		canon(&r.Tools[i].CacheControl)
	}
	for i := range r.Extra {
		canon(&r.Extra[i].Value)
	}
	canon(&r.Metadata)
	canon(&r.Gateway.PromptVariables)
	for i := 1; i < len(r.Extra); i++ {
		for j := i; j > 0 && r.Extra[j].Name < r.Extra[j-1].Name; j-- {
			r.Extra[j], r.Extra[j-1] = r.Extra[j-1], r.Extra[j]
		}
	}
	for _, f := range []*float64{r.Temperature, r.TopP} {
		if f != nil {
			*f = float64(float32(*f))
		}
	}
}

func TestDecodeWhatTheSDKSends(t *testing.T) {
	const promptARN = "arn:aws:bedrock:us-west-2:123456789012:prompt/PROMPT12345:2"
	client, got := fakeGateway(t, writeConverse(t, assistant(llm.Message{}, "stop", nil), 0), nil)
	schema := map[string]any{
		"type":       "object",
		"properties": map[string]any{"city": map[string]any{"type": "string"}, "days": map[string]any{"type": "integer"}},
		"required":   []any{"city"},
	}
	_, err := client.Converse(context.Background(), &bedrockruntime.ConverseInput{
		ModelId: aws.String(promptARN),
		System: []types.SystemContentBlock{
			&types.SystemContentBlockMemberText{Value: "You are terse."},
			&types.SystemContentBlockMemberCachePoint{Value: types.CachePointBlock{Type: types.CachePointTypeDefault}},
		},
		Messages: []types.Message{
			{Role: types.ConversationRoleUser, Content: []types.ContentBlock{
				&types.ContentBlockMemberText{Value: "What is in this picture and this report?"},
				&types.ContentBlockMemberImage{Value: types.ImageBlock{Format: types.ImageFormatPng,
					Source: &types.ImageSourceMemberBytes{Value: pngBytes}}},
				&types.ContentBlockMemberDocument{Value: types.DocumentBlock{Format: types.DocumentFormatPdf,
					Name: aws.String("report"), Source: &types.DocumentSourceMemberBytes{Value: pdfBytes}}},
			}},
			{Role: types.ConversationRoleAssistant, Content: []types.ContentBlock{
				&types.ContentBlockMemberReasoningContent{Value: &types.ReasoningContentBlockMemberReasoningText{
					Value: types.ReasoningTextBlock{Text: aws.String("Need the weather."), Signature: aws.String("c2ln")}}},
				&types.ContentBlockMemberText{Value: "Let me look it up."},
				&types.ContentBlockMemberToolUse{Value: types.ToolUseBlock{ToolUseId: aws.String("tooluse_1"),
					Name: aws.String("get_weather"), Input: document.NewLazyDocument(map[string]any{"city": "Paris", "days": 2})}},
			}},
			{Role: types.ConversationRoleUser, Content: []types.ContentBlock{
				&types.ContentBlockMemberToolResult{Value: types.ToolResultBlock{ToolUseId: aws.String("tooluse_1"),
					Status: types.ToolResultStatusSuccess,
					Content: []types.ToolResultContentBlock{
						&types.ToolResultContentBlockMemberText{Value: "sunny"},
						&types.ToolResultContentBlockMemberJson{Value: document.NewLazyDocument(map[string]any{"temp_c": 21})},
					}}},
				&types.ContentBlockMemberText{Value: "And tomorrow?"},
			}},
		},
		InferenceConfig: &types.InferenceConfiguration{MaxTokens: aws.Int32(512), Temperature: aws.Float32(0.2),
			TopP: aws.Float32(0.9), StopSequences: []string{"STOP"}},
		ToolConfig: &types.ToolConfiguration{
			Tools: []types.Tool{
				&types.ToolMemberToolSpec{Value: types.ToolSpecification{Name: aws.String("get_weather"),
					Description: aws.String("Current weather"),
					InputSchema: &types.ToolInputSchemaMemberJson{Value: document.NewLazyDocument(schema)}}},
				&types.ToolMemberCachePoint{Value: types.CachePointBlock{Type: types.CachePointTypeDefault}},
			},
			ToolChoice: &types.ToolChoiceMemberTool{Value: types.SpecificToolChoice{Name: aws.String("get_weather")}},
		},
		AdditionalModelRequestFields: document.NewLazyDocument(map[string]any{
			"enable_history": true, "session_id": "sess-42", "top_k": 50}),
		PromptVariables:                   map[string]types.PromptVariableValues{"topic": &types.PromptVariableValuesMemberText{Value: "fruit"}},
		RequestMetadata:                   map[string]string{"team": "search"},
		GuardrailConfig:                   &types.GuardrailConfiguration{GuardrailIdentifier: aws.String("gr-1"), GuardrailVersion: aws.String("3"), Trace: types.GuardrailTraceEnabled},
		PerformanceConfig:                 &types.PerformanceConfiguration{Latency: types.PerformanceConfigLatencyOptimized},
		AdditionalModelResponseFieldPaths: []string{"/stop_sequence"},
	})
	if err != nil {
		t.Fatal(err)
	}
	c := <-got
	if c.modelID != promptARN || c.auth != "Bearer "+testKey {
		t.Fatalf("model id %q (path %s), authorization %q", c.modelID, c.path, c.auth)
	}
	req, err := DecodeConverseRequest(c.modelID, c.body)
	if err != nil {
		t.Fatalf("decoding the SDK's request %s: %v", c.body, err)
	}
	normalize(t, req)
	want := &llm.Request{
		Model: promptARN,
		Messages: []llm.Message{
			{Role: llm.RoleSystem, Content: []llm.Part{
				{Type: llm.PartText, Text: "You are terse."},
				{Type: llm.PartCachePoint, CacheControl: raw(`{"type":"default"}`)},
			}},
			{Role: llm.RoleUser, Content: []llm.Part{
				{Type: llm.PartText, Text: "What is in this picture and this report?"},
				{Type: llm.PartImage, Image: &llm.Image{Data: pngBytes, MediaType: "image/png"}},
				{Type: llm.PartDocument, Document: &llm.Document{Name: "report", Format: "pdf", MediaType: "application/pdf", Data: pdfBytes}},
			}},
			{Role: llm.RoleAssistant,
				Reasoning: &llm.Reasoning{Text: "Need the weather.", Signature: "c2ln"},
				Content:   []llm.Part{{Type: llm.PartText, Text: "Let me look it up."}},
				ToolCalls: []llm.ToolCall{{ID: "tooluse_1", Type: "function", Name: "get_weather", Arguments: `{"city":"Paris","days":2}`}},
			},
			{Role: llm.RoleTool, ToolCallID: "tooluse_1", Content: []llm.Part{
				{Type: llm.PartText, Text: "sunny"}, {Type: llm.PartText, Text: `{"temp_c":21}`}}},
			userText("And tomorrow?"),
		},
		Tools: []llm.Tool{{Type: "function", Name: "get_weather", Description: "Current weather",
			Parameters:   raw(canonical(t, `{"type":"object","properties":{"city":{"type":"string"},"days":{"type":"integer"}},"required":["city"]}`)),
			CacheControl: raw(`{"type":"default"}`)}},
		ToolChoice:  &llm.ToolChoice{Mode: "function", Function: "get_weather"},
		MaxTokens:   ptr(512),
		Temperature: ptr(float64(float32(0.2))),
		TopP:        ptr(float64(float32(0.9))),
		Stop:        []string{"STOP"},
		Metadata:    raw(`{"team":"search"}`),
		Extra: []llm.Field{
			{Name: ExtraAdditionalModelRequestFields, Value: raw(`{"top_k":50}`)},
			{Name: ExtraAdditionalModelResponseFieldPaths, Value: raw(`["/stop_sequence"]`)},
			{Name: ExtraGuardrailConfig, Value: raw(`{"guardrailIdentifier":"gr-1","guardrailVersion":"3","trace":"enabled"}`)},
			{Name: ExtraPerformanceConfig, Value: raw(`{"latency":"optimized"}`)},
		},
		Gateway: llm.GatewayOptions{EnableHistory: true, SessionID: "sess-42", PromptVariables: raw(`{"topic":{"text":"fruit"}}`)},
	}
	if !reflect.DeepEqual(req, want) {
		t.Fatalf("decoded SDK request %s\n got %s\nwant %s", c.body, dump(req), dump(want))
	}
}

func TestDecodeWhatTheSDKSendsForStreams(t *testing.T) {
	client, got := fakeGateway(t, nil, serveStream(t, nil, nil))
	out, err := client.ConverseStream(context.Background(), &bedrockruntime.ConverseStreamInput{
		ModelId:         aws.String("us.anthropic.claude-sonnet-4-20250514-v1:0"),
		PromptVariables: map[string]types.PromptVariableValues{"topic": &types.PromptVariableValuesMemberText{Value: "fruit"}},
		GuardrailConfig: &types.GuardrailStreamConfiguration{GuardrailIdentifier: aws.String("gr-1"),
			GuardrailVersion: aws.String("DRAFT"), StreamProcessingMode: types.GuardrailStreamProcessingModeAsync},
		ServiceTier: &types.ServiceTier{Type: types.ServiceTierTypeFlex},
	})
	if err != nil {
		t.Fatal(err)
	}
	out.GetStream().Close()
	c := <-got
	req, err := DecodeConverseStreamRequest(c.modelID, c.body)
	if err != nil {
		t.Fatalf("decoding the SDK's request %s: %v", c.body, err)
	}
	normalize(t, req)
	want := &llm.Request{
		Model:        "us.anthropic.claude-sonnet-4-20250514-v1:0",
		Stream:       true,
		IncludeUsage: true,
		Extra: []llm.Field{
			{Name: ExtraGuardrailConfig, Value: raw(`{"guardrailIdentifier":"gr-1","guardrailVersion":"DRAFT","streamProcessingMode":"async"}`)},
			{Name: ExtraServiceTier, Value: raw(`{"type":"flex"}`)},
		},
		Gateway: llm.GatewayOptions{PromptVariables: raw(`{"topic":{"text":"fruit"}}`)},
	}
	if !reflect.DeepEqual(req, want) {
		t.Fatalf("decoded SDK request %s\n got %s\nwant %s", c.body, dump(req), dump(want))
	}
	// The same body is not a valid Converse (non-stream) request.
	if _, err := DecodeConverseRequest(c.modelID, c.body); err == nil {
		t.Fatal("streamProcessingMode accepted on Converse")
	}
}
