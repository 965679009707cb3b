package openai_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/tollgate-gw/tollgate/internal/llm"
	"github.com/tollgate-gw/tollgate/internal/provider"
	"github.com/tollgate-gw/tollgate/internal/provider/openai"
	"github.com/tollgate-gw/tollgate/internal/provider/openai/openaitest"
	"github.com/tollgate-gw/tollgate/internal/provider/upstream/faulttest"
	wire "github.com/tollgate-gw/tollgate/internal/wire/openai"
)

// call runs one operation of m against the fake and returns its error. A
// stream is read to its end: a fault may show at ChatStream or at Recv.
type call func(m *openai.Model) error

var operations = map[string]call{
	"chat": func(m *openai.Model) error {
		_, err := m.Chat(context.Background(), &llm.Request{Model: "g", Messages: []llm.Message{{Role: llm.RoleUser, Content: []llm.Part{{Type: llm.PartText, Text: "hi"}}}}})
		return err
	},
	"embeddings": func(m *openai.Model) error {
		_, err := m.Embed(context.Background(), embedRequest())
		return err
	},
	"images": func(m *openai.Model) error {
		_, err := m.GenerateImage(context.Background(), &llm.ImageRequest{Model: "g", Prompt: "a cat"})
		return err
	},
	"stream": func(m *openai.Model) error {
		s, err := m.ChatStream(context.Background(), &llm.Request{Model: "g", Messages: []llm.Message{{Role: llm.RoleUser, Content: []llm.Part{{Type: llm.PartText, Text: "hi"}}}}})
		if err != nil {
			return err
		}
		defer s.Close()
		_, err = drain(s)
		return err
	},
}

// TestFaultyUpstreams: whatever an upstream does wrong (stalls, drips, sends
// far too much, or answers with the wrong type of body), every operation
// fails in bounded time and memory with an upstream error (502 or 504, so
// the router retries and cools the deployment down), never a client error,
// a hang or an empty success.
func TestFaultyUpstreams(t *testing.T) {
	const short = 100 * time.Millisecond
	const huge = 200 << 20
	jsonOps := []string{"chat", "embeddings", "images"}
	tests := []struct {
		name    string
		reply   http.HandlerFunc
		ops     []string
		kind    provider.Kind
		message string
	}{
		{name: "HTML page", reply: faulttest.HTML(), ops: append(jsonOps, "stream"), kind: provider.KindUnavailable,
			message: "malformed response|text/html instead of an event stream"},
		{name: "HTML labelled as an event stream", reply: faulttest.Typed("text/event-stream", "<html><body>maintenance</body></html>\n"),
			ops: []string{"stream"}, kind: provider.KindUnavailable, message: "not an event stream"},
		{name: "JSON lines instead of events", reply: faulttest.Typed("text/event-stream", openaitest.StreamText[1]+"\n"),
			ops: []string{"stream"}, kind: provider.KindUnavailable, message: "not an event stream"},
		{name: "empty event stream", reply: faulttest.Typed("text/event-stream", ""),
			ops: []string{"stream"}, kind: provider.KindUnavailable, message: "without sending any event"},
		{name: "event stream of only [DONE]", reply: faulttest.Typed("text/event-stream", "data: [DONE]\n\n"),
			ops: []string{"stream"}, kind: provider.KindUnavailable, message: "without sending any event"},
		{name: "stall before headers", reply: faulttest.Stall("", "", nil), ops: append(jsonOps, "stream"), kind: provider.KindTimeout,
			message: "within 100ms"},
		{name: "stall after headers", reply: faulttest.Stall("application/json", `{"id":`, nil), ops: jsonOps, kind: provider.KindTimeout,
			message: "did not answer within 100ms"},
		{name: "stream stalls after headers", reply: faulttest.Stall("text/event-stream", "", nil), ops: []string{"stream"}, kind: provider.KindTimeout,
			message: "sent no data for 100ms"},
		{name: "drip", reply: faulttest.Drip("application/json", `{"id":"x",`, 5*time.Millisecond), ops: jsonOps, kind: provider.KindTimeout,
			message: "did not answer within 100ms"},
		{name: "stream drips an event that never ends", reply: faulttest.Drip("text/event-stream", `data: {"id":"x",`, 5*time.Millisecond),
			ops: []string{"stream"}, kind: provider.KindTimeout, message: "sent no data for 100ms"},
		{name: "200 MiB chat answer", reply: faulttest.Oversized("application/json", `{"id":"`, huge), ops: []string{"chat"},
			kind: provider.KindUnavailable, message: "exceeds 32 MiB"},
		{name: "200 MiB embeddings and images", reply: faulttest.Oversized("application/json", `{"data":"`, huge), ops: []string{"embeddings", "images"},
			kind: provider.KindUnavailable, message: "exceeds 64 MiB"},
		{name: "200 MiB stream event", reply: faulttest.Oversized("text/event-stream", `data: {"id":"`, huge), ops: []string{"stream"},
			kind: provider.KindUnavailable, message: "larger than 8 MiB"},
	}
	for _, tt := range tests {
		for _, op := range tt.ops {
			t.Run(tt.name+"/"+op, func(t *testing.T) {
				srv := openaitest.NewServer(t, tt.reply)
				// Only the timeouts under test are short: on a loaded machine
				// any other fault must not turn into a timeout.
				limit := time.Minute
				if tt.kind == provider.KindTimeout {
					limit = short
				}
				m := newModel(t, srv, openai.Options{Timeout: limit, StreamTimeout: limit})
				err := operations[op](m)
				pe := asProviderError(t, err)
				if pe.Kind != tt.kind || pe.Status != provider.StatusFor(tt.kind) || !pe.Retryable() {
					t.Fatalf("error = %+v, want a retryable %v with status %d", pe, tt.kind, provider.StatusFor(tt.kind))
				}
				if !containsAny(pe.Message, strings.Split(tt.message, "|")) {
					t.Errorf("message %q does not say %q", pe.Message, tt.message)
				}
				// The HTTP layer answers 400 to a *wire.DecodeError: an
				// upstream's body must never pass for the client's.
				var de *wire.DecodeError
				if errors.As(err, &de) {
					t.Errorf("the error carries a client decode error: %v", de)
				}
			})
		}
	}
}

func containsAny(s string, subs []string) bool {
	for _, sub := range subs {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}
