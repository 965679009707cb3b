package app

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/tollgate-gw/tollgate/internal/provider/openai/openaitest"
)

// storeCounter sits between the gateway and DynamoDB Local and records the
// operation of every request that reaches the store.
type storeCounter struct {
	mu  sync.Mutex
	ops []string // X-Amz-Target, in arrival order
}

func (c *storeCounter) seen() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.ops...)
}

// TestWarmPathStoreRoundTrips: on the warm path (key and config cached) a
// call makes at most one DynamoDB round trip before its upstream request
// starts, as ARCHITECTURE.md's hot path says: a key with a budget and a
// rate limit is admitted by one conditional write, a key without limits by
// none. Every request DynamoDB Local receives is counted by a proxy on the
// loopback endpoint, and the upstream reads the count when the call
// reaches it.
func TestWarmPathStoreRoundTrips(t *testing.T) {
	env := dynamoEnv(t)
	local, err := url.Parse(os.Getenv("AWS_ENDPOINT_URL_DYNAMODB"))
	if err != nil {
		t.Fatal(err)
	}
	counter := &storeCounter{}
	rp := httputil.NewSingleHostReverseProxy(local)
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		counter.mu.Lock()
		counter.ops = append(counter.ops, strings.TrimPrefix(r.Header.Get("X-Amz-Target"), "DynamoDB_20120810."))
		counter.mu.Unlock()
		rp.ServeHTTP(w, r)
	}))
	t.Cleanup(proxy.Close)
	t.Setenv("AWS_ENDPOINT_URL_DYNAMODB", proxy.URL)
	env["TOLLGATE_KEY_CACHE_TTL"] = "1h" // the warm path, however slow the machine

	var atUpstream []string // the store's requests when the upstream was reached
	up := openaitest.NewServer(t, func(w http.ResponseWriter, r *http.Request) {
		atUpstream = counter.seen()
		if b, _ := io.ReadAll(r.Body); strings.Contains(string(b), `"stream":true`) {
			openaitest.SSE(chunkEvent("hi"), usageEvent(3, 2), "[DONE]")(w, r)
			return
		}
		openaitest.JSON(200, chatJSON("m", "hi", 3, 2))(w, r)
	})
	cfg := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(cfg, []byte("model_list:\n  - model_name: m\n    litellm_params: {model: openai/m, api_base: "+up.URL+
		"/v1, api_key: sk-up, input_cost_per_token: 0.000001, output_cost_per_token: 0.000002}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	a := startLocalApp(t, env, Options{ConfigPaths: []string{cfg}})
	// A settle that gates nothing runs after the client has its answer:
	// each call waits for the previous call's handler to return, so the
	// count at the upstream holds this call's round trips only.
	handled := make(chan struct{}, 1)
	gw := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a.Handler.ServeHTTP(w, r)
		handled <- struct{}{}
	}))
	t.Cleanup(gw.Close)
	limited := between(mustCall(t, a.gw.URL, "/key/generate", idMaster, `{"max_budget":100,"rpm_limit":1000,"tpm_limit":1000000}`), `"key":"`, `"`)
	plain := between(mustCall(t, a.gw.URL, "/key/generate", idMaster, `{}`), `"key":"`, `"`)

	for _, tt := range []struct {
		name, key string
		want      int // round trips before the upstream request
	}{
		{name: "key with a budget and rate limits", key: limited, want: 1},
		{name: "key without limits", key: plain, want: 0},
		{name: "master key", key: idMaster, want: 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			for n := range 4 { // the first call warms the key cache
				before := len(counter.seen())
				atUpstream = nil
				body := `{"model":"m","messages":[{"role":"user","content":"hi"}]}`
				if n%2 == 1 {
					body = `{"model":"m","stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"hi"}]}`
				}
				if st, b := call(t, gw.URL, "POST", "/v1/chat/completions", tt.key, body); st != http.StatusOK {
					t.Fatalf("call %d: %d %s", n, st, b)
				}
				<-handled
				if atUpstream == nil {
					t.Fatalf("call %d did not reach the upstream", n)
				}
				ops := atUpstream[before:]
				if n > 0 && len(ops) != tt.want {
					t.Errorf("warm call %d: %d store round trips before the upstream request %v, want %d", n, len(ops), ops, tt.want)
				}
			}
		})
	}
}

// mustCall posts body to path with key and returns the answer, failing the
// test unless it is a 200.
func mustCall(t *testing.T, base, path, key, body string) string {
	t.Helper()
	st, b := call(t, base, "POST", path, key, body)
	if st != http.StatusOK {
		t.Fatalf("%s: %d %s", path, st, b)
	}
	return b
}
