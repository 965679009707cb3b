package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/tollgate-gw/tollgate/internal/auth"
	"github.com/tollgate-gw/tollgate/internal/llm"
	"github.com/tollgate-gw/tollgate/internal/provider"
	"github.com/tollgate-gw/tollgate/internal/provider/fake"
	"github.com/tollgate-gw/tollgate/internal/router"
)

const key = "sk-test"

// panicky is a ChatModel whose every call panics, standing in for a bug
// anywhere below the HTTP layer.
type panicky struct{}

func (panicky) Chat(context.Context, *llm.Request) (*llm.Response, error) { panic("boom") }

func (panicky) ChatStream(context.Context, *llm.Request) (llm.Stream, error) { panic("boom") }

// blockingStream sends one chunk, then blocks until its context ends; it
// records that the gateway cancelled it and closed it.
type blockingStream struct {
	ctx       context.Context
	sent      bool
	cancelled chan struct{}
	closed    chan struct{}
}

func (s *blockingStream) Recv() (*llm.Chunk, error) {
	if !s.sent {
		s.sent = true
		return &llm.Chunk{ID: "c", Choices: []llm.ChunkChoice{{Delta: llm.Delta{Content: "first"}}}}, nil
	}
	<-s.ctx.Done()
	close(s.cancelled)
	return nil, s.ctx.Err()
}

func (s *blockingStream) Close() error { close(s.closed); return nil }

type blockingModel struct{ stream *blockingStream }

func (m *blockingModel) Chat(context.Context, *llm.Request) (*llm.Response, error) { return nil, nil }

func (m *blockingModel) ChatStream(ctx context.Context, _ *llm.Request) (llm.Stream, error) {
	m.stream.ctx = ctx
	return m.stream, nil
}

func newServer(t *testing.T, models map[string]provider.ChatModel, opts ...func(*DataPlane)) (http.Handler, *bytes.Buffer) {
	t.Helper()
	var deps []*router.Deployment
	for name, m := range models {
		deps = append(deps, &router.Deployment{ID: name, Group: name, Provider: "test", ModelID: name, Model: m})
	}
	mux := http.NewServeMux()
	dp := &DataPlane{Router: router.New(deps, nil), Auth: auth.NewMasterKey(key), Created: time.Unix(1, 0)}
	for _, o := range opts {
		o(dp)
	}
	dp.Register(mux)
	Health(mux, Readiness{})
	logs := &bytes.Buffer{}
	return Wrap(mux, slog.New(slog.NewJSONHandler(logs, nil))), logs
}

func post(h http.Handler, body, requestID string) *httptest.ResponseRecorder {
	r := httptest.NewRequest("POST", "/v1/chat/completions", strings.NewReader(body))
	r.Header.Set("Authorization", "Bearer "+key)
	r.Header.Set("Content-Type", "application/json")
	if requestID != "" {
		r.Header.Set("X-Request-Id", requestID)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

func TestPanicIsRecovered(t *testing.T) {
	h, logs := newServer(t, map[string]provider.ChatModel{"bug": panicky{}})
	for _, stream := range []string{"false", "true"} {
		w := post(h, `{"model":"bug","stream":`+stream+`,"messages":[{"role":"user","content":"x"}]}`, "req-42")
		var body struct {
			Error struct{ Message, Type string }
		}
		if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil {
			t.Fatalf("stream=%s: body %q: %v", stream, w.Body, err)
		}
		if w.Code != 500 || body.Error.Type != "server_error" || !strings.Contains(body.Error.Message, "req-42") {
			t.Fatalf("stream=%s: %d %+v", stream, w.Code, body.Error)
		}
	}
	if !strings.Contains(logs.String(), `"msg":"panic serving request"`) || !strings.Contains(logs.String(), "boom") {
		t.Fatalf("panic not logged: %s", logs)
	}
}

// TestRequestID: an incoming X-Request-Id is ours only when it is safe as
// a storage key (it names the spend record and the lease); any other is
// replaced, and the log line keeps the client's.
func TestRequestID(t *testing.T) {
	h, logs := newServer(t, nil)
	tests := []struct {
		in   string
		keep bool
	}{
		{"abc-123", true},
		{"01HZY3S7Q9:trace_1.2", true},
		{"", false},
		{"has space", false},
		{"line\nbreak", false},
		{"x#1", false}, // '#' separates key parts in the store
		{"a/b", false},
		{strings.Repeat("x", 129), false},
	}
	for _, tt := range tests {
		logs.Reset()
		r := httptest.NewRequest("GET", "/health/liveliness", nil)
		if tt.in != "" {
			r.Header["X-Request-Id"] = []string{tt.in}
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		got := w.Header().Get("X-Request-Id")
		if tt.keep != (got == tt.in) || got == "" {
			t.Errorf("incoming %q: got %q", tt.in, got)
		}
		if !tt.keep && len(got) != 36 {
			t.Errorf("generated id %q is not a UUID", got)
		}
		var line struct {
			ClientRequestID string `json:"client_request_id"`
		}
		if err := json.Unmarshal(logs.Bytes(), &line); err != nil {
			t.Fatal(err)
		}
		if want := map[bool]string{true: "", false: tt.in}[tt.keep]; line.ClientRequestID != want {
			t.Errorf("incoming %q: log line's client_request_id %q, want %q", tt.in, line.ClientRequestID, want)
		}
	}
}

// TestClientGoneDrainsThenCutsUpstream: when the client disconnects
// mid-stream, the gateway reads on for the usage the provider bills; an
// upstream that stalls is cut at the drain limit and closed, and the call
// is billed by estimate, recorded as client_disconnected.
func TestClientGoneDrainsThenCutsUpstream(t *testing.T) {
	bs := &blockingStream{cancelled: make(chan struct{}), closed: make(chan struct{})}
	h, logs := newServer(t, map[string]provider.ChatModel{"slow": &blockingModel{stream: bs}},
		func(d *DataPlane) { d.DrainLimit = time.Nanosecond })
	srv := httptest.NewServer(h)
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, "POST", srv.URL+"/v1/chat/completions",
		strings.NewReader(`{"model":"slow","stream":true,"messages":[{"role":"user","content":"x"}]}`))
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 256)
	n, _ := resp.Body.Read(buf)
	if !bytes.Contains(buf[:n], []byte(`"content":"first"`)) {
		t.Fatalf("first event %q", buf[:n])
	}
	cancel()
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	<-bs.cancelled
	<-bs.closed
	srv.Close() // waits for the handler, and so for its log line
	line := logs.String()
	for _, want := range []string{`"outcome":"client_disconnected"`, `"usage_estimated":true`, `"completion_tokens":2`} {
		if !strings.Contains(line, want) {
			t.Errorf("log line lacks %s: %s", want, line)
		}
	}
}

func TestFakeModelThroughHandler(t *testing.T) {
	h, _ := newServer(t, map[string]provider.ChatModel{"f": fake.New(fake.Options{ModelID: "f", StreamChunks: 3})})
	w := post(h, `{"model":"f","stream":true,"messages":[{"role":"user","content":"hello"}]}`, "")
	if w.Code != 200 || w.Header().Get("Content-Type") != "text/event-stream" || !w.Flushed {
		t.Fatalf("%d %v flushed=%v", w.Code, w.Header(), w.Flushed)
	}
	events := strings.Split(strings.TrimSpace(w.Body.String()), "\n\n")
	if events[len(events)-1] != "data: [DONE]" || len(events) < 5 {
		t.Fatalf("events %q", events)
	}
	for _, e := range events[:len(events)-1] {
		if strings.Contains(e, `"usage"`) {
			t.Fatalf("usage chunk sent although the client did not ask: %s", e)
		}
	}
}
