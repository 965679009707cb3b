package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
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

func newServer(t *testing.T, models map[string]provider.ChatModel, opts ...func(*DataPlaneOptions)) (http.Handler, *bytes.Buffer) {
	t.Helper()
	var deps []*router.Deployment
	for name, m := range models {
		deps = append(deps, &router.Deployment{ID: name, Group: name, Provider: "test", ModelID: name, Model: m})
	}
	mux := http.NewServeMux()
	o := &DataPlaneOptions{Created: time.Unix(1, 0)}
	for _, f := range opts {
		f(o)
	}
	dp := NewDataPlane(router.New(deps, nil), auth.NewMasterKey(key), o)
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
		func(d *DataPlaneOptions) { d.DrainLimit = time.Nanosecond })
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

// TestContentType: a JSON body passes under a JSON type, no type, or curl's
// default for -d (LiteLLM accepts that); other types, and a form body that
// is not JSON, are a 415 (TestManagementContentType: the same for the
// management API).
func TestContentType(t *testing.T) {
	h, _ := newServer(t, map[string]provider.ChatModel{"f": fake.New(fake.Options{ModelID: "f"})})
	chat := `{"model":"f","messages":[{"role":"user","content":"hello"}]}`
	tests := []struct {
		name, path, ctype, body string
		status                  int
	}{
		{"json", "/v1/chat/completions", "application/json", chat, 200},
		{"json with charset", "/v1/chat/completions", "application/json; charset=utf-8", chat, 200},
		{"no type", "/v1/chat/completions", "", chat, 200},
		{"curl -d default with JSON", "/v1/chat/completions", "application/x-www-form-urlencoded", chat, 200},
		{"curl -d default with a form", "/v1/chat/completions", "application/x-www-form-urlencoded", "model=f", 415},
		{"text/plain with JSON", "/v1/chat/completions", "text/plain", chat, 415},
		{"multipart", "/v1/chat/completions", "multipart/form-data; boundary=x", chat, 415},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("POST", tt.path, strings.NewReader(tt.body))
			r.Header.Set("Authorization", "Bearer "+key)
			if tt.ctype != "" {
				r.Header.Set("Content-Type", tt.ctype)
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if w.Code != tt.status || (tt.status == 415 && !strings.Contains(w.Body.String(), "unsupported_media_type")) {
				t.Fatalf("status %d, want %d: %s", w.Code, tt.status, w.Body)
			}
		})
	}
}

// TestReadinessStatus: healthy only when nothing is amiss; degraded, still
// 200, with reasons; 503 only when deployments exist and none can serve.
func TestReadinessStatus(t *testing.T) {
	tests := []struct {
		name   string
		ready  Readiness
		status string
		code   int
	}{
		{"all serve", Readiness{Deployments: 2, Serving: 2}, StatusHealthy, 200},
		{"one cannot serve", Readiness{Deployments: 2, Serving: 1, Reasons: []string{"1 of 2 deployments cannot serve"}}, StatusDegraded, 200},
		{"option not honoured", Readiness{Deployments: 1, Serving: 1, Reasons: []string{"1 config option is not honoured"}}, StatusDegraded, 200},
		{"none can serve", Readiness{Deployments: 2, Serving: 0, Reasons: []string{"2 of 2 deployments cannot serve"}}, StatusUnhealthy, 503},
		{"no deployments (the admin function's view)", Readiness{Reasons: []string{"model_list is empty"}}, StatusDegraded, 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mux := http.NewServeMux()
			Health(mux, tt.ready)
			w := httptest.NewRecorder()
			mux.ServeHTTP(w, httptest.NewRequest("GET", "/health/readiness", nil))
			var got Readiness
			if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil {
				t.Fatal(err)
			}
			if w.Code != tt.code || got.Status != tt.status || len(got.Reasons) != len(tt.ready.Reasons) || got.Reasons == nil {
				t.Fatalf("%d %s", w.Code, w.Body)
			}
		})
	}
}

// heldModel answers a non-streamed call once release is closed, or fails
// when its context ends first; started is closed when the call arrives.
type heldModel struct{ started, release chan struct{} }

func (m *heldModel) Chat(ctx context.Context, req *llm.Request) (*llm.Response, error) {
	close(m.started)
	select {
	case <-m.release:
		return &llm.Response{ID: "r", Model: req.Model, Choices: []llm.Choice{{Message: llm.Message{Role: llm.RoleAssistant,
			Content: []llm.Part{{Type: llm.PartText, Text: "late"}}}, FinishReason: "stop"}},
			Usage: &llm.Usage{PromptTokens: 300, CompletionTokens: 200, TotalTokens: 500}}, nil
	case <-ctx.Done():
		return nil, context.Cause(ctx)
	}
}

func (m *heldModel) ChatStream(context.Context, *llm.Request) (llm.Stream, error) {
	return nil, errors.New("no")
}

// TestNonStreamedClientGone: a client that leaves a non-streamed call does
// not stop it: the answer's usage is billed, recorded as
// client_disconnected; an upstream that does not answer within the drain
// limit is cut and its prompt billed by estimate.
func TestNonStreamedClientGone(t *testing.T) {
	for _, answers := range []bool{true, false} {
		t.Run(fmt.Sprintf("upstream answers %v", answers), func(t *testing.T) {
			m := &heldModel{started: make(chan struct{}), release: make(chan struct{})}
			limit := time.Hour
			if !answers {
				limit = time.Nanosecond
			}
			h, logs := newServer(t, map[string]provider.ChatModel{"held": m}, func(d *DataPlaneOptions) { d.DrainLimit = limit })
			gone := make(chan struct{})
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				context.AfterFunc(r.Context(), func() { close(gone) })
				h.ServeHTTP(w, r)
			}))
			ctx, cancel := context.WithCancel(context.Background())
			req, _ := http.NewRequestWithContext(ctx, "POST", srv.URL+"/v1/chat/completions",
				strings.NewReader(`{"model":"held","messages":[{"role":"user","content":"x"}]}`))
			req.Header.Set("Authorization", "Bearer "+key)
			errc := make(chan error, 1)
			go func() {
				resp, err := http.DefaultClient.Do(req)
				if err == nil {
					resp.Body.Close()
				}
				errc <- err
			}()
			<-m.started
			cancel()
			<-errc
			<-gone // the gateway saw the client leave
			if answers {
				close(m.release)
			}
			srv.Close() // waits for the handler, and so for its log line
			want := []string{`"outcome":"client_disconnected"`, `"prompt_tokens":300`, `"completion_tokens":200`}
			if !answers {
				want = []string{`"outcome":"client_disconnected"`, `"usage_estimated":true`, `"prompt_tokens":8`}
			}
			for _, w := range want {
				if !strings.Contains(logs.String(), w) {
					t.Errorf("log line lacks %s: %s", w, logs)
				}
			}
		})
	}
}
