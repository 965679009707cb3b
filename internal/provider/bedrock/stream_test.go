package bedrock_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"sync"
	"testing"

	"github.com/tollgate-gw/tollgate/internal/awscred"
	"github.com/tollgate-gw/tollgate/internal/awsfake"
	"github.com/tollgate-gw/tollgate/internal/llm"
	"github.com/tollgate-gw/tollgate/internal/provider"
	"github.com/tollgate-gw/tollgate/internal/provider/bedrock"
)

func ev(typ, payload string) awsfake.Event {
	return awsfake.Event{Type: typ, Payload: json.RawMessage(payload)}
}

func chunk(d llm.Delta, finish string) *llm.Chunk {
	return &llm.Chunk{ID: "chatcmpl-req-conversestream", Model: claude, Created: 1700000000,
		Choices: []llm.ChunkChoice{{Delta: d, FinishReason: finish}}}
}

// nativeChunk sets the native finish reason of c's choice.
func nativeChunk(c *llm.Chunk, native string) *llm.Chunk {
	c.Choices[0].NativeFinishReason = native
	return c
}

func usageChunk(u llm.Usage) *llm.Chunk {
	return &llm.Chunk{ID: "chatcmpl-req-conversestream", Model: claude, Created: 1700000000,
		Choices: []llm.ChunkChoice{}, Usage: &u}
}

// TestStreamMapping: a scripted eventstream, decoded by the real SDK, maps
// to OpenAI-style chunks: role first, text, tool call start then argument
// fragments, reasoning, finish reason, then usage.
func TestStreamMapping(t *testing.T) {
	tests := []struct {
		name   string
		events []awsfake.Event
		want   []*llm.Chunk
	}{
		{
			name: "text",
			events: []awsfake.Event{
				ev("messageStart", `{"role":"assistant"}`),
				ev("contentBlockDelta", `{"contentBlockIndex":0,"delta":{"text":"Hel"}}`),
				ev("contentBlockDelta", `{"contentBlockIndex":0,"delta":{"text":"lo"}}`),
				ev("contentBlockStop", `{"contentBlockIndex":0}`),
				ev("messageStop", `{"stopReason":"max_tokens"}`),
				ev("metadata", `{"usage":{"inputTokens":7,"outputTokens":2,"totalTokens":9,"cacheReadInputTokens":3},"metrics":{"latencyMs":5}}`),
			},
			want: []*llm.Chunk{
				chunk(llm.Delta{Role: llm.RoleAssistant, HasContent: true}, ""),
				chunk(llm.Delta{Content: "Hel", HasContent: true}, ""),
				chunk(llm.Delta{Content: "lo", HasContent: true}, ""),
				chunk(llm.Delta{}, "length"),
				usageChunk(llm.Usage{PromptTokens: 10, CompletionTokens: 2, TotalTokens: 12, CacheReadTokens: 3}),
			},
		},
		{
			name: "reasoning then two tool calls",
			events: []awsfake.Event{
				ev("messageStart", `{"role":"assistant"}`),
				ev("contentBlockDelta", `{"contentBlockIndex":0,"delta":{"reasoningContent":{"text":"think"}}}`),
				ev("contentBlockDelta", `{"contentBlockIndex":0,"delta":{"reasoningContent":{"signature":"sig"}}}`),
				ev("contentBlockStop", `{"contentBlockIndex":0}`),
				ev("contentBlockStart", `{"contentBlockIndex":1,"start":{"toolUse":{"toolUseId":"t1","name":"weather"}}}`),
				ev("contentBlockDelta", `{"contentBlockIndex":1,"delta":{"toolUse":{"input":"{\"city\":"}}}`),
				ev("contentBlockDelta", `{"contentBlockIndex":1,"delta":{"toolUse":{"input":"\"Paris\"}"}}}`),
				ev("contentBlockStop", `{"contentBlockIndex":1}`),
				ev("contentBlockStart", `{"contentBlockIndex":2,"start":{"toolUse":{"toolUseId":"t2","name":"time"}}}`),
				ev("contentBlockDelta", `{"contentBlockIndex":2,"delta":{"toolUse":{"input":"{}"}}}`),
				ev("contentBlockStop", `{"contentBlockIndex":2}`),
				ev("messageStop", `{"stopReason":"tool_use"}`),
				ev("metadata", `{"usage":{"inputTokens":1,"outputTokens":1,"totalTokens":2},"metrics":{"latencyMs":5}}`),
			},
			want: []*llm.Chunk{
				chunk(llm.Delta{Role: llm.RoleAssistant, HasContent: true}, ""),
				chunk(llm.Delta{Reasoning: &llm.Reasoning{Text: "think"}}, ""),
				chunk(llm.Delta{Reasoning: &llm.Reasoning{Signature: "sig"}}, ""),
				chunk(llm.Delta{ToolCalls: []llm.ToolCallDelta{{Index: 0, ID: "t1", Type: "function", Name: "weather"}}}, ""),
				chunk(llm.Delta{ToolCalls: []llm.ToolCallDelta{{Index: 0, Arguments: `{"city":`}}}, ""),
				chunk(llm.Delta{ToolCalls: []llm.ToolCallDelta{{Index: 0, Arguments: `"Paris"}`}}}, ""),
				chunk(llm.Delta{ToolCalls: []llm.ToolCallDelta{{Index: 1, ID: "t2", Type: "function", Name: "time"}}}, ""),
				chunk(llm.Delta{ToolCalls: []llm.ToolCallDelta{{Index: 1, Arguments: `{}`}}}, ""),
				chunk(llm.Delta{}, "tool_calls"),
				usageChunk(llm.Usage{PromptTokens: 1, CompletionTokens: 1, TotalTokens: 2}),
			},
		},
		{
			name: "guardrail intervened",
			events: []awsfake.Event{
				ev("messageStart", `{"role":"assistant"}`),
				ev("contentBlockDelta", `{"contentBlockIndex":0,"delta":{"text":"Sorry."}}`),
				ev("messageStop", `{"stopReason":"guardrail_intervened"}`),
			},
			want: []*llm.Chunk{
				chunk(llm.Delta{Role: llm.RoleAssistant, HasContent: true}, ""),
				chunk(llm.Delta{Content: "Sorry.", HasContent: true}, ""),
				nativeChunk(chunk(llm.Delta{}, "content_filter"), "guardrail_intervened"),
			},
		},
	}
	h := newHarness(t)
	a := h.adapter(t, awscred.Spec{}, bedrock.Options{ModelID: claude})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h.bedrock.Reset()
			h.bedrock.Script(claude, awsfake.Reply{Events: tt.events})
			s, err := a.ChatStream(context.Background(), &llm.Request{Messages: []llm.Message{{Role: llm.RoleUser, Content: text("q")}}})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			var got []*llm.Chunk
			for {
				c, err := s.Recv()
				if err == io.EOF {
					break
				}
				if err != nil {
					t.Fatal(err)
				}
				got = append(got, c)
			}
			if len(got) != len(tt.want) {
				t.Fatalf("got %d chunks, want %d", len(got), len(tt.want))
			}
			for i := range got {
				if !reflect.DeepEqual(got[i], tt.want[i]) {
					t.Errorf("chunk %d:\n got %+v\nwant %+v", i, *got[i], *tt.want[i])
				}
			}
			if _, err := s.Recv(); err != io.EOF {
				t.Errorf("Recv after the end: %v, want io.EOF", err)
			}
		})
	}
}

// TestStreamFailures: an exception inside the stream and a stream cut short
// both surface as typed errors after the chunks already delivered.
func TestStreamFailures(t *testing.T) {
	start := []awsfake.Event{
		ev("messageStart", `{"role":"assistant"}`),
		ev("contentBlockDelta", `{"contentBlockIndex":0,"delta":{"text":"par"}}`),
	}
	tests := []struct {
		name  string
		reply awsfake.Reply
		kind  provider.Kind
	}{
		{"throttled mid-stream", awsfake.Reply{Events: start, StreamFault: &awsfake.Fault{Code: "ThrottlingException", Message: "slow down"}}, provider.KindRateLimit},
		{"model stream error", awsfake.Reply{Events: start, StreamFault: &awsfake.Fault{Code: "ModelStreamErrorException", Message: "boom"}}, provider.KindUnavailable},
		{"validation mid-stream", awsfake.Reply{Events: start, StreamFault: &awsfake.Fault{Code: "ValidationException", Message: "Input is too long for requested model."}}, provider.KindContextWindow},
		{"ended before messageStop", awsfake.Reply{Events: start}, provider.KindUnavailable},
	}
	h := newHarness(t)
	a := h.adapter(t, awscred.Spec{}, bedrock.Options{ModelID: claude})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h.bedrock.Reset()
			h.bedrock.Script(claude, tt.reply)
			s, err := a.ChatStream(context.Background(), &llm.Request{Messages: []llm.Message{{Role: llm.RoleUser, Content: text("q")}}})
			if err != nil {
				t.Fatal(err)
			}
			n := 0
			for {
				_, err = s.Recv()
				if err != nil {
					break
				}
				n++
			}
			pe, ok := provider.AsError(err)
			if !ok || pe.Kind != tt.kind {
				t.Fatalf("after %d chunks: error %v, want kind %v", n, err, tt.kind)
			}
			if n != 2 {
				t.Errorf("delivered %d chunks before the error, want 2", n)
			}
			if err := s.Close(); err != nil && !errors.Is(err, context.Canceled) {
				t.Logf("close: %v", err)
			}
			if err := s.Close(); err != nil {
				t.Errorf("second Close: %v", err)
			}
		})
	}
}

// TestStreamErrorBeforeFirstChunk: an HTTP error is returned by ChatStream
// itself, so the router can still retry.
func TestStreamErrorBeforeFirstChunk(t *testing.T) {
	h := newHarness(t)
	h.bedrock.Script(claude, awsfake.Reply{Fault: &awsfake.Fault{Status: 429, Code: "ThrottlingException", Message: "Too many requests"}})
	a := h.adapter(t, awscred.Spec{}, bedrock.Options{ModelID: claude})
	_, err := a.ChatStream(context.Background(), &llm.Request{Messages: []llm.Message{{Role: llm.RoleUser, Content: text("q")}}})
	if pe, ok := provider.AsError(err); !ok || pe.Kind != provider.KindRateLimit || !pe.Retryable() {
		t.Fatalf("error %v, want a retryable rate limit", err)
	}
}

// TestStreamCloseEarly: closing before the end releases the SDK stream and
// a later Recv reports the end.
func TestStreamCloseEarly(t *testing.T) {
	h := newHarness(t)
	a := h.adapter(t, awscred.Spec{}, bedrock.Options{ModelID: claude})
	s, err := a.ChatStream(context.Background(), &llm.Request{Messages: []llm.Message{{Role: llm.RoleUser, Content: text("q")}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Recv(); err != nil {
		t.Fatal(err)
	}
	_ = s.Close()
	if _, err := s.Recv(); err != io.EOF {
		t.Errorf("Recv after Close: %v, want io.EOF", err)
	}
}

// TestConcurrentStreamsOnOneClient: one deployment's client serves many
// streams and calls at once (run with -race). The SDK shares one event
// decoder per client; the adapter gives each stream its own.
func TestConcurrentStreamsOnOneClient(t *testing.T) {
	h := newHarness(t)
	a := h.adapter(t, awscred.Spec{}, bedrock.Options{ModelID: claude})
	req := &llm.Request{Messages: []llm.Message{{Role: llm.RoleUser, Content: text("q")}}}
	var wg sync.WaitGroup
	errs := make(chan error, 32)
	for range 16 {
		wg.Go(func() {
			s, err := a.ChatStream(context.Background(), req)
			if err != nil {
				errs <- err
				return
			}
			defer s.Close()
			var content string
			for {
				c, err := s.Recv()
				if err == io.EOF {
					break
				}
				if err != nil {
					errs <- err
					return
				}
				if len(c.Choices) > 0 {
					content += c.Choices[0].Delta.Content
				}
			}
			if content != "ok" {
				errs <- fmt.Errorf("stream content %q, want ok", content)
			}
		})
		wg.Go(func() {
			if _, err := a.Chat(context.Background(), req); err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}
