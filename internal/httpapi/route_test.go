package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tollgate-gw/tollgate/internal/auth"
	"github.com/tollgate-gw/tollgate/internal/cache"
	"github.com/tollgate-gw/tollgate/internal/llm"
	"github.com/tollgate-gw/tollgate/internal/provider"
	"github.com/tollgate-gw/tollgate/internal/router"
	"github.com/tollgate-gw/tollgate/internal/store/embedded"
)

// scripted fails its first calls with errs, then answers with text.
type scripted struct {
	mu    sync.Mutex
	errs  []error
	text  string
	calls int
}

func (m *scripted) next() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.calls++
	if len(m.errs) == 0 {
		return nil
	}
	err := m.errs[0]
	m.errs = m.errs[1:]
	return err
}

func (m *scripted) Chat(_ context.Context, req *llm.Request) (*llm.Response, error) {
	if err := m.next(); err != nil {
		return nil, err
	}
	return &llm.Response{ID: "r", Model: req.Model, Created: 1,
		Choices: []llm.Choice{{Message: llm.Message{Role: llm.RoleAssistant, Content: []llm.Part{{Type: llm.PartText, Text: m.text}}}, FinishReason: "stop"}},
		Usage:   &llm.Usage{PromptTokens: 3, CompletionTokens: 2, TotalTokens: 5}}, nil
}

func (m *scripted) ChatStream(_ context.Context, req *llm.Request) (llm.Stream, error) {
	if err := m.next(); err != nil {
		return nil, err
	}
	return &llm.SliceStream{Chunks: []*llm.Chunk{
		{ID: "s", Model: req.Model, Choices: []llm.ChunkChoice{{Delta: llm.Delta{Role: llm.RoleAssistant, Content: m.text}}}},
		{ID: "s", Model: req.Model, Choices: []llm.ChunkChoice{{FinishReason: "stop"}}},
		{ID: "s", Model: req.Model, Usage: &llm.Usage{PromptTokens: 3, CompletionTokens: 2, TotalTokens: 5}},
	}}, nil
}

// tenants authenticates "sk-a" and "sk-b" as two teams.
type tenants struct{}

func (tenants) Authenticate(_ context.Context, r *http.Request) (*auth.Principal, error) {
	tok := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
	if tok != "sk-a" && tok != "sk-b" {
		return nil, auth.ErrInvalidKey
	}
	return &auth.Principal{ID: tok, Role: auth.RoleProxyAdmin, Kind: auth.KindKey, TeamID: "team-" + tok}, nil
}

type routeEnv struct {
	h     http.Handler
	logs  *bytes.Buffer
	slept *[]time.Duration
}

func newRouteServer(t *testing.T, deps []*router.Deployment, set router.Settings, withCache bool) *routeEnv {
	t.Helper()
	var slept []time.Duration
	var mu sync.Mutex
	rt := router.New(deps, &router.Options{Settings: set, Rand: func() float64 { return 0 },
		Sleep: func(_ context.Context, d time.Duration) error {
			mu.Lock()
			slept = append(slept, d)
			mu.Unlock()
			return nil
		}})
	o := &DataPlaneOptions{Created: time.Unix(1, 0)}
	if withCache {
		st, err := embedded.Open(t.TempDir(), nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		o.Cache = cache.New(st, cache.Config{}, nil, nil)
	}
	mux := http.NewServeMux()
	NewDataPlane(rt, tenants{}, o).Register(mux)
	logs := &bytes.Buffer{}
	return &routeEnv{h: Wrap(mux, slog.New(slog.NewJSONHandler(logs, nil))), logs: logs, slept: &slept}
}

func (e *routeEnv) post(tok, path, body string) *httptest.ResponseRecorder {
	r := httptest.NewRequest("POST", path, strings.NewReader(body))
	r.Header.Set("Authorization", "Bearer "+tok)
	w := httptest.NewRecorder()
	e.h.ServeHTTP(w, r)
	return w
}

func rateLimited() error {
	return &provider.Error{Kind: provider.KindRateLimit, Provider: "test", Status: 429, Message: "slow down", RetryAfter: 2 * time.Second}
}

func unavailableErr() error {
	return &provider.Error{Kind: provider.KindUnavailable, Provider: "test", Status: 502, Message: "upstream down"}
}

func TestRetried429ThenOK(t *testing.T) {
	for _, stream := range []bool{false, true} {
		m := &scripted{errs: []error{rateLimited()}, text: "hello"}
		e := newRouteServer(t, []*router.Deployment{{ID: "d1", Group: "g", Provider: "test", ModelID: "m", Model: m}},
			router.Settings{NumRetries: 2}, false)
		body := `{"model":"g","messages":[{"role":"user","content":"hi"}]}`
		if stream {
			body = `{"model":"g","stream":true,"messages":[{"role":"user","content":"hi"}]}`
		}
		w := e.post("sk-a", "/v1/chat/completions", body)
		if w.Code != 200 || !strings.Contains(w.Body.String(), "hello") || m.calls != 2 {
			t.Fatalf("stream=%v: %d %s after %d calls", stream, w.Code, w.Body, m.calls)
		}
		if len(*e.slept) != 1 || (*e.slept)[0] != 2*time.Second {
			t.Fatalf("stream=%v: slept %v, want the upstream's Retry-After", stream, *e.slept)
		}
		if w.Header().Get("X-Litellm-Model-Id") != "d1" {
			t.Fatalf("stream=%v: headers %v", stream, w.Header())
		}
		if !strings.Contains(e.logs.String(), `"attempts":[{"deployment":"d1","group":"g","duration_ns":`) ||
			!strings.Contains(e.logs.String(), `"error_kind":"rate_limit"`) {
			t.Fatalf("stream=%v: attempts not logged: %s", stream, e.logs)
		}
	}
}

func TestFallbackNamesTheServingDeployment(t *testing.T) {
	for _, stream := range []bool{false, true} {
		bad := &scripted{errs: []error{unavailableErr(), unavailableErr(), unavailableErr()}}
		good := &scripted{text: "from the fallback"}
		e := newRouteServer(t, []*router.Deployment{
			{ID: "primary", Group: "main", Provider: "test", ModelID: "m1", Model: bad},
			{ID: "backup", Group: "spare", Provider: "test", ModelID: "m2", Model: good},
		}, router.Settings{NumRetries: 1, Fallbacks: map[string][]string{"main": {"spare"}}}, false)
		body := `{"model":"main","stream":` + map[bool]string{false: "false", true: "true"}[stream] + `,"messages":[{"role":"user","content":"hi"}]}`
		w := e.post("sk-a", "/v1/chat/completions", body)
		if w.Code != 200 || !strings.Contains(w.Body.String(), "from the fallback") {
			t.Fatalf("stream=%v: %d %s", stream, w.Code, w.Body)
		}
		if got := w.Header().Get("X-Litellm-Model-Id"); got != "backup" || w.Header().Get("X-Litellm-Model-Group") != "spare" {
			t.Fatalf("stream=%v: served by %q", stream, got)
		}
		if bad.calls != 2 || !strings.Contains(e.logs.String(), `"fallback":true`) || !strings.Contains(e.logs.String(), `"deployment":"backup"`) {
			t.Fatalf("stream=%v: %d calls of primary; log %s", stream, bad.calls, e.logs)
		}
	}
	// Per-request fallbacks; default fallbacks through the Converse route.
	bad := &scripted{errs: []error{unavailableErr()}}
	good := &scripted{text: "per request"}
	e := newRouteServer(t, []*router.Deployment{
		{ID: "primary", Group: "main", Provider: "test", ModelID: "m1", Model: bad},
		{ID: "backup", Group: "spare", Provider: "test", ModelID: "m2", Model: good},
	}, router.Settings{DefaultFallbacks: []string{"spare"}}, false)
	w := e.post("sk-a", "/v1/chat/completions", `{"model":"main","fallbacks":["spare"],"messages":[{"role":"user","content":"hi"}]}`)
	if w.Code != 200 || w.Header().Get("X-Litellm-Model-Id") != "backup" {
		t.Fatalf("per-request fallbacks: %d %s", w.Code, w.Body)
	}
	bad.errs = []error{unavailableErr()}
	w = e.post("sk-a", "/bedrock/model/main/converse", `{"messages":[{"role":"user","content":[{"text":"hi"}]}]}`)
	if w.Code != 200 || w.Header().Get("X-Litellm-Model-Id") != "backup" || !strings.Contains(w.Body.String(), "per request") {
		t.Fatalf("converse: %d %v %s", w.Code, w.Header(), w.Body)
	}
}

func TestResponseCache(t *testing.T) {
	m := &scripted{text: "cached answer"}
	e := newRouteServer(t, []*router.Deployment{{ID: "d1", Group: "g", Provider: "test", ModelID: "m", Model: m}}, router.Settings{}, true)
	req := `{"model":"g","temperature":0.5,"messages":[{"role":"user","content":"hi"}]}`
	first := e.post("sk-a", "/v1/chat/completions", req)
	if first.Code != 200 || first.Header().Get("X-Litellm-Cache-Hit") != "" || first.Header().Get("X-Litellm-Cache-Key") == "" {
		t.Fatalf("first: %d %v", first.Code, first.Header())
	}
	hit := e.post("sk-a", "/v1/chat/completions", req)
	if hit.Code != 200 || hit.Header().Get("X-Litellm-Cache-Hit") != "True" || m.calls != 1 ||
		hit.Header().Get("X-Litellm-Cache-Key") != first.Header().Get("X-Litellm-Cache-Key") || !strings.Contains(hit.Body.String(), "cached answer") {
		t.Fatalf("identical request: %d %v %s (%d upstream calls)", hit.Code, hit.Header(), hit.Body, m.calls)
	}
	if !strings.Contains(e.logs.String(), `"cache_hit":true`) {
		t.Fatalf("cache hit not in the record: %s", e.logs)
	}
	for name, w := range map[string]*httptest.ResponseRecorder{
		"other tenant":    e.post("sk-b", "/v1/chat/completions", req),
		"other parameter": e.post("sk-a", "/v1/chat/completions", strings.Replace(req, "0.5", "0.7", 1)),
		"no-cache":        e.post("sk-a", "/v1/chat/completions", strings.Replace(req, `"model"`, `"cache":{"no-cache":true},"model"`, 1)),
	} {
		if w.Code != 200 || w.Header().Get("X-Litellm-Cache-Hit") != "" {
			t.Errorf("%s: %d hit=%q", name, w.Code, w.Header().Get("X-Litellm-Cache-Hit"))
		}
	}
	if m.calls != 4 {
		t.Fatalf("%d upstream calls, want 4", m.calls)
	}
	// A streamed request is served the cached reply as a stream.
	calls := m.calls
	s := e.post("sk-a", "/v1/chat/completions", strings.Replace(req, `"model"`, `"stream":true,"model"`, 1))
	if s.Code != 200 || s.Header().Get("X-Litellm-Cache-Hit") != "True" || m.calls != calls ||
		!strings.Contains(s.Body.String(), "data: ") || !strings.Contains(s.Body.String(), "cached answer") || !strings.HasSuffix(s.Body.String(), "data: [DONE]\n\n") {
		t.Fatalf("streamed hit: %d %v %q", s.Code, s.Header(), s.Body)
	}
	// A streamed miss is stored when it ends, and then hits non-streamed.
	req2 := `{"model":"g","stream":true,"messages":[{"role":"user","content":"streamed"}]}`
	if w := e.post("sk-a", "/v1/chat/completions", req2); w.Code != 200 || w.Header().Get("X-Litellm-Cache-Hit") != "" {
		t.Fatalf("streamed miss: %d", w.Code)
	}
	w := e.post("sk-a", "/v1/chat/completions", strings.Replace(req2, `"stream":true,`, "", 1))
	var body struct {
		Choices []struct{ Message struct{ Content string } }
	}
	_ = json.Unmarshal(w.Body.Bytes(), &body)
	if w.Header().Get("X-Litellm-Cache-Hit") != "True" || len(body.Choices) != 1 || body.Choices[0].Message.Content != "cached answer" {
		t.Fatalf("hit after a streamed miss: %v %s", w.Header(), w.Body)
	}
}

func TestStreamNotRetriedAfterFirstByte(t *testing.T) {
	// A stream that fails after its first chunk is not retried: the client
	// already has bytes, so the error ends the stream.
	m := &midFail{}
	e := newRouteServer(t, []*router.Deployment{{ID: "d1", Group: "g", Provider: "test", ModelID: "m", Model: m}}, router.Settings{NumRetries: 3}, false)
	w := e.post("sk-a", "/v1/chat/completions", `{"model":"g","stream":true,"messages":[{"role":"user","content":"hi"}]}`)
	if w.Code != 200 || m.calls != 1 || !strings.Contains(w.Body.String(), `"error"`) {
		t.Fatalf("%d after %d calls: %s", w.Code, m.calls, w.Body)
	}
}

type midFail struct{ calls int }

func (m *midFail) Chat(context.Context, *llm.Request) (*llm.Response, error) {
	return nil, unavailableErr()
}

func (m *midFail) ChatStream(context.Context, *llm.Request) (llm.Stream, error) {
	m.calls++
	return &failAfter{}, nil
}

type failAfter struct{ n int }

func (f *failAfter) Recv() (*llm.Chunk, error) {
	f.n++
	if f.n == 1 {
		return &llm.Chunk{ID: "x", Choices: []llm.ChunkChoice{{Delta: llm.Delta{Content: "partial"}}}}, nil
	}
	return nil, unavailableErr()
}

func (f *failAfter) Close() error { return nil }

var _ io.Closer = (*failAfter)(nil)

func TestWithModel(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{`{}`, `{"model":"d"}`},
		{` { "messages":[]}`, `{"model":"d", "messages":[]}`},
		{`{"model":"x","n":1}`, `{"model":"d","model":"x","n":1}`},
		{`[1]`, `[1]`},
		{``, ``},
	} {
		if got := string(withModel([]byte(tt.in), "d")); got != tt.want {
			t.Errorf("withModel(%s) = %s, want %s", tt.in, got, tt.want)
		}
	}
}

// TestCompletionWriterHoldsJSON: the chat path flushes its JSON answer;
// the text-completion bridge must hold it until it has rewritten it, or
// the headers go out without the rewritten body's Content-Length.
func TestCompletionWriterHoldsJSON(t *testing.T) {
	rec := httptest.NewRecorder()
	cw := &completionWriter{w: rec}
	chat := `{"id":"c1","object":"chat.completion","created":1,"model":"m","choices":[{"index":0,"message":{"role":"assistant","content":"hi"},"finish_reason":"stop"}]}`
	cw.Header().Set("Content-Type", "application/json")
	cw.Header().Set("Content-Length", strconv.Itoa(len(chat)))
	cw.WriteHeader(http.StatusOK)
	_, _ = cw.Write([]byte(chat))
	_ = http.NewResponseController(cw).Flush()
	cw.finish()
	res := rec.Result()
	body, _ := io.ReadAll(res.Body)
	if res.Header.Get("Content-Length") != strconv.Itoa(len(body)) || !strings.Contains(string(body), `"object":"text_completion"`) ||
		!strings.Contains(string(body), `"text":"hi"`) {
		t.Errorf("Content-Length %q for %d bytes: %s", res.Header.Get("Content-Length"), len(body), body)
	}
}
