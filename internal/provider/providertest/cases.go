package providertest

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/tollgate-gw/tollgate/internal/llm"
	"github.com/tollgate-gw/tollgate/internal/provider"
)

// ToolParameters is the schema of ToolName. Its enum pins the arguments,
// so even an adapter that invents them (the fake) must send ToolArgs.
const ToolParameters = `{"type":"object","properties":{"location":{"type":"string","enum":["Paris"]}},"required":["location"]}`

// pixel is a 1×1 PNG: the image the ImagesIn part sends.
var pixel = []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89" +
	"\x00\x00\x00\rIDATx\x9cc\xf8\xcf\xc0\xf0\x1f\x00\x05\x00\x01\xff\x89\x99=\x1d\x00\x00\x00\x00IEND\xaeB`\x82")

func request(stream bool, parts ...llm.Part) *llm.Request {
	if len(parts) == 0 {
		parts = []llm.Part{{Type: llm.PartText, Text: "hi"}}
	}
	return &llm.Request{
		Model:        "conformance",
		Messages:     []llm.Message{{Role: llm.RoleUser, Content: parts}},
		Stream:       stream,
		IncludeUsage: stream,
	}
}

func toolRequest(stream bool) *llm.Request {
	r := request(stream, llm.Part{Type: llm.PartText, Text: "weather in Paris?"})
	r.Tools = []llm.Tool{{Type: "function", Name: ToolName, Description: "Current weather", Parameters: json.RawMessage(ToolParameters)}}
	return r
}

// streamed is what a stream delivered.
type streamed struct {
	text   string
	finish string
	usage  *llm.Usage
	calls  map[int]*llm.ToolCall
	err    error // the error that ended it; nil after io.EOF
}

func drain(s llm.Stream) streamed {
	var out streamed
	var b strings.Builder
	out.calls = map[int]*llm.ToolCall{}
	for {
		c, err := s.Recv()
		if err != nil {
			if err != io.EOF {
				out.err = err
			}
			out.text = b.String()
			return out
		}
		if c.Usage != nil {
			out.usage = c.Usage
		}
		for _, ch := range c.Choices {
			b.WriteString(ch.Delta.Content)
			if ch.FinishReason != "" {
				out.finish = ch.FinishReason
			}
			for _, d := range ch.Delta.ToolCalls {
				tc := out.calls[d.Index]
				if tc == nil {
					tc = &llm.ToolCall{}
					out.calls[d.Index] = tc
				}
				if d.ID != "" {
					tc.ID = d.ID
				}
				if d.Name != "" {
					tc.Name = d.Name
				}
				tc.Arguments += d.Arguments
			}
		}
	}
}

func (h *harness) stream(t *testing.T, s Script, req *llm.Request) streamed {
	t.Helper()
	s.Stream = true
	up := h.factory(t, s)
	st, err := up.Model.ChatStream(context.Background(), req)
	if err != nil {
		t.Fatalf("ChatStream: %v", err)
	}
	defer st.Close()
	return drain(st)
}

func testChat(t *testing.T, h *harness) {
	up := h.factory(t, Script{Scenario: Text})
	resp, err := up.Model.Chat(context.Background(), request(false))
	if err != nil {
		t.Fatalf("Chat: %v", err)
	}
	if len(resp.Choices) != 1 {
		t.Fatalf("%d choices, want 1", len(resp.Choices))
	}
	c := resp.Choices[0]
	if got := c.Message.Text(); got != ReplyText || c.Message.Role != llm.RoleAssistant || c.FinishReason != llm.FinishStop {
		t.Errorf("choice = %q from %q, finish %q; want %q from assistant, finish stop", got, c.Message.Role, c.FinishReason, ReplyText)
	}
	if resp.Usage == nil || resp.Usage.PromptTokens <= 0 || resp.Usage.CompletionTokens <= 0 ||
		resp.Usage.TotalTokens != resp.Usage.PromptTokens+resp.Usage.CompletionTokens {
		t.Errorf("usage = %+v, want positive counts that add up", resp.Usage)
	}
}

func testStream(t *testing.T, h *harness) {
	got := h.stream(t, Script{Scenario: Text}, request(true))
	if got.err != nil {
		t.Fatalf("stream ended with %v", got.err)
	}
	if got.text != ReplyText || got.finish != llm.FinishStop {
		t.Errorf("stream = %q, finish %q; want %q, finish stop", got.text, got.finish, ReplyText)
	}
	if u := got.usage; u == nil || u.PromptTokens <= 0 || u.CompletionTokens <= 0 || u.TotalTokens != u.PromptTokens+u.CompletionTokens {
		t.Errorf("stream usage = %+v, want a usage chunk whose counts add up", got.usage)
	}
}

// testUsageExact: the money path bills what the upstream counted, so the
// adapter must report those counts, not a recount, on both call shapes.
func testUsageExact(t *testing.T, h *harness) {
	want := llm.Usage{PromptTokens: PromptTokens, CompletionTokens: CompletionTokens, TotalTokens: PromptTokens + CompletionTokens}
	up := h.factory(t, Script{Scenario: Text})
	resp, err := up.Model.Chat(context.Background(), request(false))
	if err != nil {
		t.Fatalf("Chat: %v", err)
	}
	if resp.Usage == nil || *resp.Usage != want {
		t.Errorf("chat usage = %+v, want %+v", resp.Usage, want)
	}
	got := h.stream(t, Script{Scenario: Text}, request(true))
	if got.err != nil || got.usage == nil || *got.usage != want {
		t.Errorf("stream usage = %+v (err %v), want %+v", got.usage, got.err, want)
	}
}

func testTools(t *testing.T, h *harness) {
	check := func(t *testing.T, tc *llm.ToolCall, finish string) {
		t.Helper()
		if finish != llm.FinishToolCalls {
			t.Errorf("finish = %q, want tool_calls", finish)
		}
		if tc == nil {
			t.Fatal("no tool call")
		}
		if tc.Name != ToolName || !jsonEqual(tc.Arguments, ToolArgs) || tc.ID == "" {
			t.Errorf("tool call = %+v, want %s(%s) with an id", *tc, ToolName, ToolArgs)
		}
		if h.caps.Wire && tc.ID != ToolID {
			t.Errorf("tool call id = %q, want the upstream's %q", tc.ID, ToolID)
		}
	}
	t.Run("chat", func(t *testing.T) {
		up := h.factory(t, Script{Scenario: ToolCall})
		resp, err := up.Model.Chat(context.Background(), toolRequest(false))
		if err != nil {
			t.Fatalf("Chat: %v", err)
		}
		var tc *llm.ToolCall
		if len(resp.Choices) == 1 && len(resp.Choices[0].Message.ToolCalls) == 1 {
			tc = &resp.Choices[0].Message.ToolCalls[0]
		}
		check(t, tc, resp.Choices[0].FinishReason)
		h.sentContains(t, up, ToolName)
	})
	t.Run("stream", func(t *testing.T) {
		got := h.stream(t, Script{Scenario: ToolCall}, toolRequest(true))
		if got.err != nil {
			t.Fatalf("stream ended with %v", got.err)
		}
		if len(got.calls) != 1 {
			t.Fatalf("stream carried %d tool calls, want 1", len(got.calls))
		}
		check(t, got.calls[0], got.finish)
	})
}

func testImagesIn(t *testing.T, h *harness) {
	up := h.factory(t, Script{Scenario: Text})
	req := request(false, llm.Part{Type: llm.PartText, Text: "what is this?"},
		llm.Part{Type: llm.PartImage, Image: &llm.Image{Data: pixel, MediaType: "image/png"}})
	if _, err := up.Model.Chat(context.Background(), req); err != nil {
		t.Fatalf("Chat with an image: %v", err)
	}
	// Every wire carries inline image bytes as standard base64.
	h.sentContains(t, up, base64.StdEncoding.EncodeToString(pixel))
}

// sentContains checks that the upstream received want in a request body,
// when the adapter has a wire.
func (h *harness) sentContains(t *testing.T, up Upstream, want string) {
	t.Helper()
	if up.Bodies == nil {
		return
	}
	for _, b := range up.Bodies() {
		if bytes.Contains(b, []byte(want)) {
			return
		}
	}
	t.Errorf("no request the upstream received contains %q", want)
}

func testErrors(t *testing.T, h *harness) {
	tests := []struct {
		status     int
		retryAfter int
	}{
		{http.StatusBadRequest, 0},
		{http.StatusUnauthorized, 0},
		{http.StatusForbidden, 0},
		{http.StatusNotFound, 0},
		{http.StatusRequestTimeout, 0},
		{http.StatusTooManyRequests, 7},
		{http.StatusInternalServerError, 0},
		{http.StatusServiceUnavailable, 10},
	}
	for _, tt := range tests {
		for _, stream := range []bool{false, true} {
			name := http.StatusText(tt.status)
			if stream {
				name += "/stream"
			}
			t.Run(name, func(t *testing.T) {
				s := Script{Scenario: Fail, Status: tt.status, RetryAfter: tt.retryAfter, Stream: stream}
				up := h.factory(t, s)
				var err error
				if stream {
					var st llm.Stream
					// The status comes before the first chunk: the router
					// can still retry, so ChatStream itself must fail.
					if st, err = up.Model.ChatStream(context.Background(), request(true)); err == nil {
						st.Close()
						t.Fatal("ChatStream succeeded; a failed upstream must fail it before the first chunk")
					}
				} else {
					_, err = up.Model.Chat(context.Background(), request(false))
				}
				h.wantError(t, err, provider.KindForStatus(tt.status), time.Duration(tt.retryAfter)*time.Second)
			})
		}
	}
}

// wantError checks err is the adapter's *provider.Error of kind, with the
// upstream's message and Retry-After.
func (h *harness) wantError(t *testing.T, err error, kind provider.Kind, retryAfter time.Duration) {
	t.Helper()
	pe, ok := provider.AsError(err)
	if !ok {
		t.Fatalf("error %v (%T) is not a *provider.Error", err, err)
	}
	// The status is the kind's, or the upstream's own when it classifies
	// as the same kind (an adapter may pass a 503 on as 503).
	if pe.Kind != kind || pe.Provider != h.caps.Name || pe.Status != provider.StatusFor(kind) && provider.KindForStatus(pe.Status) != kind {
		t.Errorf("error = kind %v, provider %q, status %d; want %v from %q with status %d",
			pe.Kind, pe.Provider, pe.Status, kind, h.caps.Name, provider.StatusFor(kind))
	}
	if pe.RetryAfter != retryAfter {
		t.Errorf("RetryAfter = %v, want %v", pe.RetryAfter, retryAfter)
	}
	if !strings.Contains(pe.Message, ErrorMessage) {
		t.Errorf("message %q does not carry the upstream's %q", pe.Message, ErrorMessage)
	}
}

func testMidStream(t *testing.T, h *harness) {
	got := h.stream(t, Script{Scenario: MidStreamFail}, request(true))
	if got.text != ReplyFirst {
		t.Errorf("stream delivered %q before failing, want %q", got.text, ReplyFirst)
	}
	if got.err == nil {
		t.Fatal("a stream that failed upstream ended like a complete one")
	}
	pe, ok := provider.AsError(got.err)
	if !ok || pe.Provider != h.caps.Name || !strings.Contains(pe.Message, ErrorMessage) {
		t.Errorf("stream error = %v, want a *provider.Error from %q carrying %q", got.err, h.caps.Name, ErrorMessage)
	}
}

// testClientLeaves: when the client goes away (its context ends) the call
// returns at once with the context's error, and the upstream request ends
// too, so nobody keeps paying for an answer no one reads.
func testClientLeaves(t *testing.T, h *harness) {
	t.Run("chat", func(t *testing.T) {
		started, gone := make(chan struct{}), make(chan struct{})
		up := h.factory(t, Script{Scenario: Stall, Started: started, Gone: gone})
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() {
			_, err := up.Model.Chat(ctx, request(false))
			done <- err
		}()
		<-started
		cancel()
		err := <-done
		if !errors.Is(err, context.Canceled) {
			t.Errorf("Chat after the client left = %v, want context.Canceled", err)
		}
		// Not the upstream's fault: the router must not retry it or cool
		// the deployment down.
		if _, ok := provider.AsError(err); ok {
			t.Errorf("a client that went away is reported as an upstream failure: %v", err)
		}
		h.waitGone(t, gone)
	})
	t.Run("stream", func(t *testing.T) {
		started, gone := make(chan struct{}), make(chan struct{})
		up := h.factory(t, Script{Scenario: Stall, Stream: true, Started: started, Gone: gone})
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		st, err := up.Model.ChatStream(ctx, request(true))
		if err != nil {
			t.Fatalf("ChatStream: %v", err)
		}
		defer st.Close()
		if _, err := st.Recv(); err != nil {
			t.Fatalf("first Recv: %v", err)
		}
		cancel()
		// What the adapter had already read may still come out; then the
		// stream must end with the client's cancellation, never as if the
		// reply were complete.
		rest := drain(st)
		if !strings.HasPrefix(ReplyFirst, rest.text) || !errors.Is(rest.err, context.Canceled) {
			t.Errorf("after the client left the stream gave %q then %v, want context.Canceled", rest.text, rest.err)
		}
		if _, ok := provider.AsError(rest.err); ok {
			t.Errorf("a client that went away is reported as an upstream failure: %v", rest.err)
		}
		h.waitGone(t, gone)
	})
}

func (h *harness) waitGone(t *testing.T, gone <-chan struct{}) {
	t.Helper()
	if !h.caps.Wire {
		return
	}
	select {
	case <-gone:
	case <-time.After(10 * time.Second): // a bound for a broken adapter, not a synchronisation
		t.Error("the upstream request outlived the client")
	}
}

// testTimeouts: an upstream that stalls fails the call in the configured
// time as a retryable timeout, before the first chunk and after it. Only
// the limit under test is short: on a loaded machine nothing else may run
// into it.
func testTimeouts(t *testing.T, h *harness) {
	t.Run("chat", func(t *testing.T) {
		const limit = 100 * time.Millisecond
		up := h.factory(t, Script{Scenario: Stall, Timeout: limit})
		_, err := up.Model.Chat(context.Background(), request(false))
		h.wantTimeout(t, err, limit)
	})
	t.Run("stream", func(t *testing.T) {
		// The stream timeout bounds every wait for an event, the ones
		// before the stall too, so it leaves those room.
		const limit = 250 * time.Millisecond
		got := h.stream(t, Script{Scenario: Stall, Timeout: time.Minute, StreamTimeout: limit}, request(true))
		if got.text != ReplyFirst {
			t.Errorf("stream delivered %q before stalling, want %q", got.text, ReplyFirst)
		}
		h.wantTimeout(t, got.err, limit)
	})
}

// wantTimeout checks err is a retryable timeout whose message names the
// limit that ran out, so an operator knows which setting to raise.
func (h *harness) wantTimeout(t *testing.T, err error, limit time.Duration) {
	t.Helper()
	pe, ok := provider.AsError(err)
	if !ok || pe.Kind != provider.KindTimeout || !pe.Retryable() || pe.Status != provider.StatusFor(provider.KindTimeout) {
		t.Fatalf("error = %v, want a retryable %v with status %d", err, provider.KindTimeout, provider.StatusFor(provider.KindTimeout))
	}
	if !strings.Contains(pe.Message, limit.String()) {
		t.Errorf("message %q does not name the %v limit", pe.Message, limit)
	}
}

func jsonEqual(a, b string) bool {
	var x, y any
	if json.Unmarshal([]byte(a), &x) != nil || json.Unmarshal([]byte(b), &y) != nil {
		return false
	}
	return reflect.DeepEqual(x, y)
}
