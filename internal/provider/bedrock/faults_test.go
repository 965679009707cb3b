package bedrock_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/tollgate-gw/tollgate/internal/awscred"
	"github.com/tollgate-gw/tollgate/internal/awsfake"
	"github.com/tollgate-gw/tollgate/internal/llm"
	"github.com/tollgate-gw/tollgate/internal/provider"
	"github.com/tollgate-gw/tollgate/internal/provider/bedrock"
	"github.com/tollgate-gw/tollgate/internal/provider/upstream/faulttest"
)

// bedrockOps are the adapter's calls, each against the model it needs and
// through the real SDK: Converse, ConverseStream (read to its end) and
// InvokeModel for chat, embeddings and images.
var bedrockOps = map[string]struct {
	model string
	route bedrock.Route
	call  func(a *bedrock.Adapter) error
}{
	"converse": {claude, bedrock.RouteDefault, func(a *bedrock.Adapter) error {
		_, err := a.Chat(context.Background(), &llm.Request{Messages: []llm.Message{{Role: llm.RoleUser, Content: text("q")}}})
		return err
	}},
	"converse-stream": {claude, bedrock.RouteDefault, func(a *bedrock.Adapter) error {
		s, err := a.ChatStream(context.Background(), &llm.Request{Messages: []llm.Message{{Role: llm.RoleUser, Content: text("q")}}})
		if err != nil {
			return err
		}
		defer s.Close()
		for {
			if _, err := s.Recv(); err != nil {
				if err == io.EOF {
					return errors.New("the stream ended as a success")
				}
				return err
			}
		}
	}},
	"invoke": {claude, bedrock.RouteInvoke, func(a *bedrock.Adapter) error {
		_, err := a.Chat(context.Background(), &llm.Request{Messages: []llm.Message{{Role: llm.RoleUser, Content: text("q")}}})
		return err
	}},
	"embeddings": {"amazon.titan-embed-text-v2:0", bedrock.RouteDefault, func(a *bedrock.Adapter) error {
		_, err := a.Embed(context.Background(), &llm.EmbeddingRequest{Input: []string{"a"}})
		return err
	}},
	"images": {"amazon.nova-canvas-v1:0", bedrock.RouteDefault, func(a *bedrock.Adapter) error {
		_, err := a.GenerateImage(context.Background(), &llm.ImageRequest{Prompt: "a cat"})
		return err
	}},
}

// TestFaultyUpstreams: whatever answers in Bedrock's place (a stalled or
// dripping endpoint, a far too large answer, an HTML page, a broken event
// stream), every Bedrock operation fails in bounded time and memory with a
// retryable upstream error. Before, no Bedrock call had a deadline at all.
func TestFaultyUpstreams(t *testing.T) {
	const short = 100 * time.Millisecond
	const huge = 200 << 20
	nonStreaming := []string{"converse", "invoke", "embeddings", "images"}
	tests := []struct {
		name    string
		reply   http.HandlerFunc
		ops     []string
		kind    provider.Kind
		message string
		slow    bool // skipped under the race detector
	}{
		{name: "HTML page", reply: faulttest.HTML(), ops: append(nonStreaming, "converse-stream"), kind: provider.KindUnavailable,
			message: "Bedrock|text/html instead of an event stream"},
		{name: "broken event stream", reply: faulttest.Typed("application/vnd.amazon.eventstream", strings.Repeat("not an event stream ", 10)),
			ops: []string{"converse-stream"}, kind: provider.KindUnavailable, message: "Bedrock"},
		{name: "empty event stream", reply: faulttest.Typed("application/vnd.amazon.eventstream", ""),
			ops: []string{"converse-stream"}, kind: provider.KindUnavailable, message: "ended before messageStop"},
		{name: "stall before headers", reply: faulttest.Stall("", "", nil), ops: append(nonStreaming, "converse-stream"),
			kind: provider.KindTimeout, message: "within 100ms"},
		{name: "stall after headers", reply: faulttest.Stall("application/json", `{"output":`, nil), ops: nonStreaming,
			kind: provider.KindTimeout, message: "did not answer within 100ms"},
		{name: "stream stalls after headers", reply: faulttest.Stall("application/vnd.amazon.eventstream", "", nil),
			ops: []string{"converse-stream"}, kind: provider.KindTimeout, message: "sent no event for 100ms"},
		{name: "drip", reply: faulttest.Drip("application/json", `{"output":`, 5*time.Millisecond), ops: nonStreaming,
			kind: provider.KindTimeout, message: "did not answer within 100ms"},
		// The caps are enforced by one middleware on every operation; Converse
		// and InvokeModel each show it once. Reading up to the cap through the
		// SDK takes tens of seconds under -race, so these two rows run only
		// without it: they check a size, not concurrency.
		{name: "200 MiB chat answer", reply: faulttest.Oversized("application/json", `{"output":"`, huge), ops: []string{"converse"},
			kind: provider.KindUnavailable, message: "exceeds 32 MiB", slow: true},
		{name: "200 MiB embeddings and images", reply: faulttest.Oversized("application/json", `{"embedding":"`, huge),
			ops: []string{"embeddings"}, kind: provider.KindUnavailable, message: "exceeds 64 MiB", slow: true},
	}
	h := newHarness(t)
	for _, tt := range tests {
		for _, name := range tt.ops {
			op := bedrockOps[name]
			t.Run(tt.name+"/"+name, func(t *testing.T) {
				if tt.slow && raceEnabled {
					t.Skip("reads up to 64 MiB through the SDK: run without -race")
				}
				srv := httptest.NewServer(tt.reply)
				t.Cleanup(srv.Close)
				// Only the timeouts under test are short: on a loaded machine
				// any other fault must not turn into a timeout.
				limit := time.Minute
				if tt.kind == provider.KindTimeout {
					limit = short
				}
				cfg, err := h.resolver.Config(context.Background(), awscred.Spec{BedrockRuntimeEndpoint: srv.URL, STSEndpoint: h.stsURL})
				if err != nil {
					t.Fatal(err)
				}
				cfg.HTTPClient = awsfake.OwnBodyClient{Client: srv.Client()} // the fakes answer at once
				a, err := bedrock.New(bedrock.NewClient(cfg, &bedrock.ClientOptions{Endpoint: srv.URL}),
					&bedrock.Options{ModelID: op.model, Route: op.route, Timeout: limit, StreamTimeout: limit})
				if err != nil {
					t.Fatal(err)
				}
				err = op.call(a)
				pe, ok := provider.AsError(err)
				if !ok {
					t.Fatalf("error %v (%T) is not a *provider.Error", err, err)
				}
				if pe.Kind != tt.kind || pe.Status != provider.StatusFor(tt.kind) || !pe.Retryable() {
					t.Fatalf("error = %+v, want a retryable %v", pe, tt.kind)
				}
				if !containsAny(pe.Message, strings.Split(tt.message, "|")) {
					t.Errorf("message %q does not say %q", pe.Message, tt.message)
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
