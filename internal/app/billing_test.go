package app

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/tollgate-gw/tollgate/internal/llm"
	"github.com/tollgate-gw/tollgate/internal/provider/openai/openaitest"
	"github.com/tollgate-gw/tollgate/internal/router"
)

// Prices of the billing tests' deployments, USD per token.
const (
	cheapIn, cheapOut   = 0.000001, 0.000002
	priceyIn, priceyOut = 0.00001, 0.00003
)

// billingConfig: "cheap" and "pricey" groups; "duo", whose cheap
// deployment is tried first and whose pricier one serves a retry; "flaky",
// which always fails and falls back to "pricey". Every deployment calls
// one loopback upstream, which scripts its answer by the model it is asked
// for and the request's one message.
func billingConfig(upstream string) string {
	dep := func(group, model, id string, in, out float64, extra string) string {
		b, _ := json.Marshal(map[string]any{"model": "openai/" + model, "api_base": upstream + "/v1", "api_key": "sk-up",
			"input_cost_per_token": in, "output_cost_per_token": out})
		p := strings.TrimSuffix(string(b), "}")
		if extra != "" {
			p += "," + extra
		}
		return "\n  - model_name: " + group + "\n    litellm_params: " + p + "}\n    model_info: {id: " + id + "}"
	}
	return "model_list:" +
		dep("cheap", "cheap-model", "cheap-1", cheapIn, cheapOut, `"num_retries":0`) +
		dep("pricey", "pricey-model", "pricey-1", priceyIn, priceyOut, "") +
		dep("duo", "duo-cheap-model", "duo-cheap", cheapIn, cheapOut, `"order":1,"num_retries":1`) +
		dep("duo", "duo-pricey-model", "duo-pricey", priceyIn, priceyOut, `"order":2`) +
		dep("flaky", "flaky-model", "flaky-1", cheapIn, cheapOut, `"num_retries":0`) + `
router_settings:
  disable_cooldowns: true
  fallbacks: [{flaky: [pricey]}]
litellm_settings:
  cache: true
`
}

// callTracker tells, per request id, when the gateway saw its client leave
// and when its handler (and so its inline settle) finished, so the tests
// wait on events instead of sleeping.
type callTracker struct {
	mu    sync.Mutex
	calls map[string]*trackedCall
}

type trackedCall struct{ gone, done chan struct{} }

func (tr *callTracker) get(id string) *trackedCall {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	if tr.calls == nil {
		tr.calls = map[string]*trackedCall{}
	}
	c, ok := tr.calls[id]
	if !ok {
		c = &trackedCall{gone: make(chan struct{}), done: make(chan struct{})}
		tr.calls[id] = c
	}
	return c
}

func (tr *callTracker) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get("X-Request-Id")
		if id == "" {
			h.ServeHTTP(w, r)
			return
		}
		c := tr.get(id)
		defer close(c.done)
		stop := context.AfterFunc(r.Context(), func() { close(c.gone) })
		h.ServeHTTP(w, r)
		if stop() {
			close(c.gone) // it never left; nothing waits on it any more
		}
	})
}

// billingEnv is a gateway on billingConfig behind a tracked server.
type billingEnv struct {
	t    *testing.T
	url  string
	tr   *callTracker
	up   *openaitest.Server
	acts map[string]func(w http.ResponseWriter, r *http.Request, model string) // by message
}

func newBillingEnv(t *testing.T, env map[string]string) *billingEnv {
	t.Helper()
	e := &billingEnv{t: t, tr: &callTracker{}, acts: map[string]func(http.ResponseWriter, *http.Request, string){}}
	e.up = openaitest.NewServer(t, func(w http.ResponseWriter, r *http.Request) {
		var body struct {
			Model    string `json:"model"`
			Messages []struct {
				Content string `json:"content"`
			} `json:"messages"`
		}
		_ = json.NewDecoder(r.Body).Decode(&body)
		if len(body.Messages) == 1 {
			if act, ok := e.acts[body.Messages[0].Content]; ok {
				act(w, r, body.Model)
				return
			}
		}
		openaitest.JSON(400, `{"error":{"message":"unscripted call","type":"invalid_request_error"}}`)(w, r)
	})
	path := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(path, []byte(billingConfig(e.up.URL)), 0o600); err != nil {
		t.Fatal(err)
	}
	la := startLocalApp(t, env, Options{ConfigPaths: []string{path}})
	srv := httptest.NewServer(e.tr.wrap(la.Handler))
	t.Cleanup(srv.Close)
	e.url = srv.URL
	return e
}

// chatJSON answers a chat completion with text and usage.
func chatJSON(model, text string, prompt, completion int) string {
	b, _ := json.Marshal(map[string]any{"id": "c1", "object": "chat.completion", "created": 1, "model": model,
		"choices": []any{map[string]any{"index": 0, "message": map[string]any{"role": "assistant", "content": text}, "finish_reason": "stop"}},
		"usage":   map[string]any{"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}})
	return string(b)
}

func chunkEvent(text string) string {
	b, _ := json.Marshal(map[string]any{"id": "s1", "object": "chat.completion.chunk", "created": 1, "model": "m",
		"choices": []any{map[string]any{"index": 0, "delta": map[string]any{"content": text}, "finish_reason": nil}}})
	return string(b)
}

func usageEvent(prompt, completion int) string {
	return `{"id":"s1","object":"chat.completion.chunk","created":1,"model":"m","choices":[],"usage":{"prompt_tokens":` +
		itoa(prompt) + `,"completion_tokens":` + itoa(completion) + `,"total_tokens":` + itoa(prompt+completion) + `}}`
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

// post sends a chat request with request id id and message msg; for a
// stream, leaveAfter > 0 makes the client read that many content events
// and then close the connection.
func (e *billingEnv) post(key, id, body string, leaveAfter int) (*http.Response, string) {
	e.t.Helper()
	req, _ := http.NewRequest("POST", e.url+"/v1/chat/completions", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Request-Id", id)
	resp, err := (&http.Client{Transport: &http.Transport{DisableKeepAlives: true}}).Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	if leaveAfter > 0 && resp.StatusCode == 200 {
		sc := bufio.NewScanner(resp.Body)
		seen := 0
		for seen < leaveAfter && sc.Scan() {
			if strings.Contains(sc.Text(), `"content"`) {
				seen++
			}
		}
		return resp, "" // closing the body mid-stream drops the connection
	}
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

// record returns a finished call's spend record.
func (e *billingEnv) record(id string) map[string]any {
	e.t.Helper()
	st, b := call(e.t, e.url, "GET", "/spend/logs?request_id="+id, idMaster, "")
	var logs []map[string]any
	if err := json.Unmarshal([]byte(b), &logs); st != 200 || err != nil || len(logs) != 1 {
		e.t.Fatalf("spend record of %s: %d %s", id, st, b)
	}
	return logs[0]
}

func chatBody(model, msg string, stream bool) string {
	b, _ := json.Marshal(map[string]any{"model": model, "stream": stream, "messages": []any{map[string]any{"role": "user", "content": msg}}})
	return string(b)
}

// estimatedPrompt is the gateway's estimate of a one-message prompt.
func estimatedPrompt(msg string) int {
	return router.EstimateTokens(&llm.Request{Messages: []llm.Message{{Role: llm.RoleUser, Content: []llm.Part{{Type: llm.PartText, Text: msg}}}}})
}

func estimatedText(texts ...string) int {
	var c router.TokenCounter
	for _, s := range texts {
		c.Add(s)
	}
	return c.Tokens()
}

// TestBillingOutcomes: each call is billed for what served it, on both
// stores: the spend record names the deployment that served (after a
// retry or a fallback) and prices it as that one; a cache hit is free and
// marked; a client that leaves mid-stream (after the first chunk, or in
// the middle) is billed for what the provider bills, with the record's
// status saying it left; an upstream failing mid-stream is billed for the
// tokens produced; impossible usage is refused as a 502 and never stored;
// a request id the store cannot key is replaced, and the call is counted.
func TestBillingOutcomes(t *testing.T) {
	forEachStore(t, func(t *testing.T, newStoreEnv func(*testing.T) map[string]string) {
		e := newBillingEnv(t, newStoreEnv(t))
		type want struct {
			status, deployment string
			prompt, completion int
			in, out            float64 // the served deployment's prices
			cacheHit           bool
			httpStatus         int
			header             string // X-Litellm-Model-Id, when answered
		}
		tests := []struct {
			name  string
			model string
			// act scripts the upstream for this call's message.
			act    func(w http.ResponseWriter, r *http.Request, model string)
			stream bool
			// leave: read this many content events, then disconnect.
			leave int
			// before runs first (a cache hit's first call).
			before func(msg string)
			// id is the X-Request-Id sent (default: the case's own).
			id   string
			want want
		}{
			{name: "cache hit", model: "cheap",
				act: func(w http.ResponseWriter, r *http.Request, model string) {
					openaitest.JSON(200, chatJSON(model, "cached answer", 40, 10))(w, r)
				},
				before: func(msg string) {
					if resp, b := e.post(idMaster, "cache-first", chatBody("cheap", msg, false), 0); resp.StatusCode != 200 {
						t.Fatalf("first call: %d %s", resp.StatusCode, b)
					}
				},
				want: want{status: "success", deployment: "cheap-1", prompt: 40, completion: 10, cacheHit: true, httpStatus: 200, header: "cheap-1"}},
			{name: "retry served by the pricier deployment", model: "duo",
				act: func(w http.ResponseWriter, r *http.Request, model string) {
					if model == "duo-cheap-model" {
						openaitest.JSON(503, `{"error":{"message":"overloaded","type":"server_error"}}`)(w, r)
						return
					}
					openaitest.JSON(200, chatJSON(model, "ok", 100, 50))(w, r)
				},
				want: want{status: "success", deployment: "duo-pricey", prompt: 100, completion: 50, in: priceyIn, out: priceyOut, httpStatus: 200, header: "duo-pricey"}},
			{name: "fallback to a pricier deployment", model: "flaky",
				act: func(w http.ResponseWriter, r *http.Request, model string) {
					if model == "flaky-model" {
						openaitest.JSON(503, `{"error":{"message":"down","type":"server_error"}}`)(w, r)
						return
					}
					openaitest.JSON(200, chatJSON(model, "ok", 1000, 500))(w, r)
				},
				want: want{status: "success", deployment: "pricey-1", prompt: 1000, completion: 500, in: priceyIn, out: priceyOut, httpStatus: 200, header: "pricey-1"}},
			{name: "client leaves after the first chunk", model: "cheap", stream: true, leave: 1,
				act: func(w http.ResponseWriter, r *http.Request, _ string) {
					openaitest.StartSSE(w)
					openaitest.WriteEvent(w, chunkEvent("Hello"))
					waitGone(e, r, "leave-first")
					for _, ev := range []string{chunkEvent(" there, a long answer"), usageEvent(900, 700), "[DONE]"} {
						openaitest.WriteEvent(w, ev)
					}
				},
				id:   "leave-first",
				want: want{status: "client_disconnected", deployment: "cheap-1", prompt: 900, completion: 700, in: cheapIn, out: cheapOut, httpStatus: 200}},
			{name: "client leaves in the middle of a stream without usage", model: "cheap", stream: true, leave: 2,
				act: func(w http.ResponseWriter, r *http.Request, _ string) {
					openaitest.StartSSE(w)
					openaitest.WriteEvent(w, chunkEvent("one "))
					openaitest.WriteEvent(w, chunkEvent("two "))
					waitGone(e, r, "leave-middle")
					openaitest.WriteEvent(w, chunkEvent("three "))
					openaitest.WriteEvent(w, chunkEvent("four"))
					openaitest.WriteEvent(w, "[DONE]")
				},
				id: "leave-middle",
				want: want{status: "client_disconnected", deployment: "cheap-1", completion: estimatedText("one ", "two ", "three ", "four"),
					in: cheapIn, out: cheapOut, httpStatus: 200}},
			{name: "upstream error mid-stream", model: "cheap", stream: true,
				act: func(w http.ResponseWriter, r *http.Request, _ string) {
					openaitest.StartSSE(w)
					openaitest.WriteEvent(w, chunkEvent("alpha beta "))
					openaitest.WriteEvent(w, chunkEvent("gamma"))
					openaitest.WriteEvent(w, `{"error":{"message":"overloaded mid-stream","type":"server_error"}}`)
				},
				want: want{status: "upstream_error", deployment: "cheap-1", completion: estimatedText("alpha beta ", "gamma"),
					in: cheapIn, out: cheapOut, httpStatus: 200}},
			{name: "negative usage is an upstream fault", model: "cheap",
				act: func(w http.ResponseWriter, r *http.Request, model string) {
					openaitest.JSON(200, chatJSON(model, "ok", -1000000, 5))(w, r)
				},
				want: want{status: "failure", deployment: "cheap-1", httpStatus: 502}},
			{name: "request id the store cannot key", model: "cheap", id: "x#1",
				act: func(w http.ResponseWriter, r *http.Request, model string) {
					openaitest.JSON(200, chatJSON(model, "ok", 10, 10))(w, r)
				},
				want: want{status: "success", deployment: "cheap-1", prompt: 10, completion: 10, in: cheapIn, out: cheapOut, httpStatus: 200, header: "cheap-1"}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				e.t = t
				msg := "case: " + tt.name
				e.acts[msg] = tt.act
				if tt.before != nil {
					tt.before(msg)
				}
				id := tt.id
				if id == "" {
					id = strings.ReplaceAll(tt.name, " ", "-")
				}
				resp, body := e.post(idMaster, id, chatBody(tt.model, msg, tt.stream), tt.leave)
				if resp.StatusCode != tt.want.httpStatus {
					t.Fatalf("status %d, want %d: %s", resp.StatusCode, tt.want.httpStatus, body)
				}
				if got := resp.Header.Get("X-Litellm-Model-Id"); tt.want.header != "" && got != tt.want.header {
					t.Errorf("x-litellm-model-id %q, want %q", got, tt.want.header)
				}
				<-e.tr.get(id).done // the handler, and so its settle, is over
				if got := resp.Header.Get("X-Request-Id"); got != id {
					if id != "x#1" || got == "" || strings.Contains(got, "#") {
						t.Fatalf("x-request-id %q for %q", got, id)
					}
					id = got // replaced: the record is under the gateway's id
				}
				rec := e.record(id)
				w := tt.want
				if w.prompt == 0 && w.status != "failure" {
					w.prompt = estimatedPrompt(msg)
				}
				cost := float64(w.prompt)*w.in + float64(w.completion)*w.out
				if w.cacheHit {
					cost = 0
				}
				num := func(k string) float64 { f, _ := rec[k].(float64); return f }
				if rec["status"] != w.status || rec["model_id"] != w.deployment || int(num("prompt_tokens")) != w.prompt ||
					int(num("completion_tokens")) != w.completion || math.Abs(num("spend")-cost) > 1e-12 || (rec["cache_hit"] == true) != w.cacheHit {
					t.Errorf("spend record %v\nwant status %s, model_id %s, tokens %d+%d, spend %g, cache_hit %v",
						rec, w.status, w.deployment, w.prompt, w.completion, cost, w.cacheHit)
				}
			})
		}
	})
}

// waitGone holds an upstream answer until the gateway has seen its client
// leave (or the gateway gave up on the upstream).
func waitGone(e *billingEnv, r *http.Request, id string) {
	select {
	case <-e.tr.get(id).gone:
	case <-r.Context().Done():
	}
}

// newKey makes a virtual key with the given /key/generate body.
func (e *billingEnv) newKey(body string) string {
	e.t.Helper()
	st, b := call(e.t, e.url, "POST", "/key/generate", idMaster, body)
	key := between(b, `"key":"`, `"`)
	if st != 200 || key == "" {
		e.t.Fatalf("/key/generate: %d %s", st, b)
	}
	return key
}

// TestBudgetEvasionByDisconnecting: a key whose budget covers n calls and
// whose client always disconnects after the first chunk is refused after n
// calls (each waits for the previous to finish, so none is in flight), on
// both stores: leaving early does not make a call free.
func TestBudgetEvasionByDisconnecting(t *testing.T) {
	forEachStore(t, func(t *testing.T, newStoreEnv func(*testing.T) map[string]string) {
		e := newBillingEnv(t, newStoreEnv(t))
		const n = 3
		perCall := 1000*cheapIn + 1000*cheapOut
		// A budget of n calls less half of one: the n+1th finds it spent.
		key := e.newKey(`{"max_budget":` + jsonFloat((n-0.5)*perCall) + `}`)
		var id string
		e.acts["evade"] = e.leavingStream(&id)
		admitted := 0
		for i := range 3 * n {
			id = "evade-" + itoa(i)
			resp, body := e.post(key, id, chatBody("cheap", "evade", true), 1)
			<-e.tr.get(id).done
			if resp.StatusCode == 200 {
				admitted++
				continue
			}
			if resp.StatusCode != 400 || !strings.Contains(body, "budget_exceeded") {
				t.Fatalf("call %d: %d %s", i, resp.StatusCode, body)
			}
		}
		if admitted != n {
			t.Fatalf("%d calls admitted on a budget for %d whose client always left after the first chunk", admitted, n)
		}
	})
}

// leavingStream answers a stream whose client leaves after the first
// chunk: the rest and a usage of 1,000 tokens each way follow once the
// gateway saw call *id's client leave.
func (e *billingEnv) leavingStream(id *string) func(http.ResponseWriter, *http.Request, string) {
	return func(w http.ResponseWriter, r *http.Request, _ string) {
		openaitest.StartSSE(w)
		openaitest.WriteEvent(w, chunkEvent("first"))
		waitGone(e, r, *id)
		openaitest.WriteEvent(w, chunkEvent(" and the rest of a long answer"))
		openaitest.WriteEvent(w, usageEvent(1000, 1000))
		openaitest.WriteEvent(w, "[DONE]")
	}
}

func jsonFloat(f float64) string { b, _ := json.Marshal(f); return string(b) }

// TestFallbacksAreAccessChecked: a key that may use only "flaky" cannot
// reach "pricey" as a fallback, on both stores: named in the request, it is
// refused with a 403 naming it; configured (flaky → pricey), it is skipped
// and the key sees flaky's own failure, never pricey's answer.
func TestFallbacksAreAccessChecked(t *testing.T) {
	forEachStore(t, func(t *testing.T, newStoreEnv func(*testing.T) map[string]string) {
		e := newBillingEnv(t, newStoreEnv(t))
		e.acts["access"] = func(w http.ResponseWriter, r *http.Request, model string) {
			if model == "flaky-model" {
				openaitest.JSON(503, `{"error":{"message":"down","type":"server_error"}}`)(w, r)
				return
			}
			openaitest.JSON(200, chatJSON(model, "served by "+model, 10, 10))(w, r)
		}
		key := e.newKey(`{"models":["flaky"]}`)
		resp, body := e.post(key, "access-1", `{"model":"flaky","fallbacks":["pricey"],"messages":[{"role":"user","content":"access"}]}`, 0)
		if resp.StatusCode != 403 || !strings.Contains(body, `"param":"fallbacks"`) || !strings.Contains(body, "pricey") {
			t.Fatalf("a request-level fallback the key may not use: %d %s", resp.StatusCode, body)
		}
		resp, body = e.post(key, "access-2", chatBody("flaky", "access", false), 0)
		if resp.StatusCode != 503 || strings.Contains(body, "served by") {
			t.Fatalf("a configured fallback the key may not use: %d %s", resp.StatusCode, body)
		}
		for _, c := range e.up.Calls() {
			if strings.Contains(string(c.Body), "pricey-model") {
				t.Fatalf("the forbidden deployment was called: %s", c.Body)
			}
		}
		// The master key may use it: the configured fallback serves.
		if resp, body = e.post(idMaster, "access-3", chatBody("flaky", "access", false), 0); resp.StatusCode != 200 ||
			resp.Header.Get("X-Litellm-Model-Id") != "pricey-1" {
			t.Fatalf("master key: %d %s", resp.StatusCode, body)
		}
	})
}
