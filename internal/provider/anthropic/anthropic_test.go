package anthropic_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/tollgate-gw/tollgate/internal/llm"
	"github.com/tollgate-gw/tollgate/internal/provider"
	"github.com/tollgate-gw/tollgate/internal/provider/anthropic"
	"github.com/tollgate-gw/tollgate/internal/provider/anthropic/anthropictest"
	"github.com/tollgate-gw/tollgate/internal/provider/openai/openaitest"
)

func hi() *llm.Request {
	return &llm.Request{Messages: []llm.Message{{Role: llm.RoleUser, Content: []llm.Part{{Type: llm.PartText, Text: "hi"}}}}}
}

// TestAPIBase: api_base is completed as LiteLLM completes it.
func TestAPIBase(t *testing.T) {
	ok := openaitest.JSON(200, anthropictest.Message(`{"type":"text","text":"x"}`, "end_turn", `{"input_tokens":1,"output_tokens":1}`))
	for _, suffix := range []string{"", "/", "/v1", "/v1/", "/v1/messages"} {
		t.Run(suffix, func(t *testing.T) {
			srv := anthropictest.NewServer(t, ok)
			m, err := anthropic.New(&http.Client{}, anthropic.Options{BaseURL: srv.URL + suffix, APIKey: anthropictest.Key, ModelID: "c"})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := m.Chat(context.Background(), hi()); err != nil {
				t.Fatalf("api_base %q: %v", srv.URL+suffix, err)
			}
		})
	}
	for _, opts := range []anthropic.Options{
		{APIKey: "k"},                 // no model
		{ModelID: "c"},                // no key
		{ModelID: "c", APIKey: "k\n"}, // key read with its newline
		{ModelID: "c", APIKey: "k", BaseURL: "ftp://x"},
	} {
		if _, err := anthropic.New(&http.Client{}, opts); err == nil {
			t.Errorf("New(%+v) succeeded", opts)
		}
	}
}

func TestErrorMapping(t *testing.T) {
	tests := []struct {
		name       string
		reply      http.HandlerFunc
		stream     bool
		kind       provider.Kind
		status     int
		retryAfter time.Duration
	}{
		{"overloaded 529", func(w http.ResponseWriter, _ *http.Request) {
			anthropictest.Error(w, 529, "overloaded_error", "Overloaded", "Retry-After", "3")
		}, false, provider.KindUnavailable, 503, 3 * time.Second},
		{"prompt too long", func(w http.ResponseWriter, _ *http.Request) {
			anthropictest.Error(w, 400, "invalid_request_error", "prompt is too long: 250000 tokens > 200000 maximum")
		}, false, provider.KindContextWindow, 400, 0},
		{"JSON error for a stream", func(w http.ResponseWriter, _ *http.Request) {
			openaitest.JSON(200, anthropictest.ErrorBody("rate_limit_error", "slow down"))(w, nil)
		}, true, provider.KindRateLimit, 429, 0},
		{"stream cut before message_stop", openaitest.SSE(anthropictest.MessageStart(1), anthropictest.TextStart(0)),
			true, provider.KindUnavailable, 502, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := newModel(t, anthropictest.NewServer(t, tt.reply), anthropic.Options{})
			var err error
			if tt.stream {
				var s llm.Stream
				if s, err = m.ChatStream(context.Background(), hi()); err == nil {
					for err == nil {
						_, err = s.Recv()
					}
					s.Close()
				}
			} else {
				_, err = m.Chat(context.Background(), hi())
			}
			pe, ok := provider.AsError(err)
			if !ok || pe.Kind != tt.kind || pe.Status != tt.status || pe.RetryAfter != tt.retryAfter {
				t.Fatalf("error %v (%+v), want %v %d retry after %v", err, pe, tt.kind, tt.status, tt.retryAfter)
			}
		})
	}
}

// TestRequestRefusals: what the Messages API cannot carry is refused
// before any call, as a 400 naming the parameter, unless dropped.
func TestRequestRefusals(t *testing.T) {
	srv := anthropictest.NewServer(t, openaitest.JSON(200, anthropictest.Message(`{"type":"text","text":"x"}`, "end_turn", `{"input_tokens":1,"output_tokens":1}`)))
	m := newModel(t, srv, anthropic.Options{})
	req := hi()
	seed := int64(1)
	req.Seed = &seed
	_, err := m.Chat(context.Background(), req)
	if pe, ok := provider.AsError(err); !ok || pe.Kind != provider.KindUnsupported || pe.Param != "seed" || !strings.Contains(pe.Message, "drop_params") {
		t.Fatalf("seed: %v", err)
	}
	req.Extra = []llm.Field{{Name: "thinking", Value: json.RawMessage(`"on"`)}}
	drop := true
	req.Gateway.DropParams = &drop
	if _, err := m.Chat(context.Background(), req); err == nil {
		t.Fatal("an invalid thinking was sent")
	}
	if n := len(srv.Calls()); n != 0 {
		t.Fatalf("%d calls reached the upstream", n)
	}
}
