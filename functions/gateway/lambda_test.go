package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tollgate-gw/tollgate/internal/lambdafront/runtimeapitest"
)

const (
	pkg       = "github.com/tollgate-gw/tollgate/functions/gateway"
	masterKey = "sk-tollgate-local-0000" // the key the sample events send
	// deadline bounds how long a broken build can keep a test waiting;
	// passing runs never come near it.
	deadline = 2 * time.Minute
)

func readEvent(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("../../events/gateway", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func absPath(t testing.TB, p string) string {
	t.Helper()
	abs, err := filepath.Abs(p)
	if err != nil {
		t.Fatal(err)
	}
	return abs
}

// splitStream splits what the runtime sent for a streamed invocation into
// the status, the Content-Type and the body.
func splitStream(t *testing.T, b []byte) (status int, contentType, body string) {
	t.Helper()
	p, rest, err := runtimeapitest.SplitStream(b)
	if err != nil {
		t.Fatal(err)
	}
	return p.StatusCode, p.Header("Content-Type"), string(rest)
}

// withModel returns the chat event with its body's model replaced and its
// Content-Length header kept true.
func withModel(t *testing.T, event []byte, model string) []byte {
	t.Helper()
	var ev map[string]any
	if err := json.Unmarshal(event, &ev); err != nil {
		t.Fatal(err)
	}
	var body map[string]any
	if err := json.Unmarshal([]byte(ev["body"].(string)), &body); err != nil {
		t.Fatalf("event body: %v", err)
	}
	body["model"] = model
	b, err := json.Marshal(body)
	if err != nil {
		t.Fatal(err)
	}
	ev["body"] = string(b)
	n := strconv.Itoa(len(b))
	for _, h := range []string{"headers", "multiValueHeaders"} {
		m, _ := ev[h].(map[string]any)
		for k, v := range m {
			if strings.EqualFold(k, "Content-Length") {
				if _, multi := v.([]any); multi {
					m[k] = []string{n}
				} else {
					m[k] = n
				}
			}
		}
	}
	out, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// gatedUpstream is an OpenAI-compatible upstream whose stream sends "Hello"
// and then waits for the test to open the gate before sending the rest, so
// a test can tell a forwarded stream from a buffered one without timing.
type gatedUpstream struct {
	*httptest.Server
	gate chan struct{}
}

func newGatedUpstream(t *testing.T) *gatedUpstream {
	u := &gatedUpstream{gate: make(chan struct{})}
	u.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/v1/chat/completions" {
			http.Error(w, "unexpected path "+r.URL.Path, http.StatusNotFound)
			return
		}
		w.Header().Set("Content-Type", "text/event-stream")
		chunk := func(delta, finish string) {
			fin := "null"
			if finish != "" {
				fin = `"` + finish + `"`
			}
			fmt.Fprintf(w, "data: {\"id\":\"chatcmpl-gated\",\"object\":\"chat.completion.chunk\",\"created\":1767225600,\"model\":\"gated\","+
				"\"choices\":[{\"index\":0,\"delta\":%s,\"finish_reason\":%s}]}\n\n", delta, fin)
			_ = http.NewResponseController(w).Flush()
		}
		chunk(`{"role":"assistant","content":"Hello"}`, "")
		select {
		case <-u.gate:
		case <-r.Context().Done():
			return
		}
		chunk(`{"content":" world"}`, "")
		chunk(`{}`, "stop")
		fmt.Fprint(w, "data: [DONE]\n\n")
	}))
	t.Cleanup(u.Close)
	return u
}

// readUntil reads from r until what it has read contains want, and returns
// all of it. It fails the test if want does not arrive before ctx ends.
func readUntil(ctx context.Context, t *testing.T, r io.Reader, want string) string {
	t.Helper()
	type result struct {
		text string
		err  error
	}
	done := make(chan result, 1)
	go func() {
		var acc []byte
		buf := make([]byte, 4096)
		for {
			n, err := r.Read(buf)
			acc = append(acc, buf[:n]...)
			if bytes.Contains(acc, []byte(want)) {
				done <- result{string(acc), nil}
				return
			}
			if err != nil {
				done <- result{string(acc), err}
				return
			}
		}
	}()
	select {
	case res := <-done:
		if res.err != nil {
			t.Fatalf("stream ended (%v) before %q; got %q", res.err, want, res.text)
		}
		return res.text
	case <-ctx.Done():
		t.Fatalf("%q did not arrive: %v", want, ctx.Err())
		return ""
	}
}

// TestLambda runs the gateway's bootstrap binary under the fake Runtime API
// and invokes it with function URL and REST streaming events.
func TestLambda(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the gateway binary")
	}
	upstream := newGatedUpstream(t)
	gated := filepath.Join(t.TempDir(), "gated.yaml")
	writeFile(t, gated, "model_list:\n  - model_name: gated\n    litellm_params:\n      model: openai/gated\n      api_base: "+
		upstream.URL+"/v1\n      api_key: sk-upstream\n")

	bin := runtimeapitest.BuildBootstrap(t, pkg)
	api := runtimeapitest.NewServer()
	t.Cleanup(api.Close)
	runtimeapitest.StartBootstrap(t, api, bin, "tollgate-gateway",
		"TOLLGATE_CONFIG="+absPath(t, localConfig)+","+gated,
		"TOLLGATE_MASTER_KEY="+masterKey)
	ctx, cancel := context.WithTimeout(context.Background(), deadline)
	defer cancel()

	invoke := func(t *testing.T, event []byte) *runtimeapitest.Result {
		t.Helper()
		res, err := api.Invoke(event, nil).Result(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if res.Err != nil {
			t.Fatalf("invocation failed: %+v", res.Err)
		}
		if !res.Chunked || res.Header.Get("Content-Type") != "application/vnd.awslambda.http-integration-response" {
			t.Errorf("response not streamed: chunked %v, Content-Type %q", res.Chunked, res.Header.Get("Content-Type"))
		}
		return res
	}
	readAll := func(t *testing.T, res *runtimeapitest.Result) []byte {
		t.Helper()
		b, err := io.ReadAll(res.Body)
		if err != nil {
			t.Fatal(err)
		}
		if rep, err := res.StreamError(); rep != nil || err != nil {
			t.Errorf("stream ended with an error: %+v, %v", rep, err)
		}
		return b
	}

	for _, file := range []string{"function-url-health-liveliness.json", "rest-health-liveliness.json"} {
		t.Run(file, func(t *testing.T) {
			status, ct, body := splitStream(t, readAll(t, invoke(t, readEvent(t, file))))
			if status != http.StatusOK || !strings.HasPrefix(ct, "application/json") || !json.Valid([]byte(body)) {
				t.Errorf("got %d %q %q, want 200 and a JSON body", status, ct, body)
			}
		})
	}

	// The local config's fake model answers a streamed chat completion.
	for _, file := range []string{"function-url-chat-stream.json", "rest-chat-stream.json"} {
		t.Run(file, func(t *testing.T) {
			status, ct, body := splitStream(t, readAll(t, invoke(t, readEvent(t, file))))
			if status != http.StatusOK || !strings.HasPrefix(ct, "text/event-stream") {
				t.Fatalf("got %d %q, want 200 text/event-stream; body %q", status, ct, body)
			}
			if !strings.Contains(body, `"chat.completion.chunk"`) || !strings.HasSuffix(body, "data: [DONE]\n\n") {
				t.Errorf("body is not an SSE chat completion stream ending in [DONE]:\n%s", body)
			}
		})
	}

	// A stream from a real upstream is forwarded as it arrives: "Hello"
	// reaches the Runtime API while the upstream still holds the rest.
	for _, file := range []string{"function-url-chat-stream.json", "rest-chat-stream.json"} {
		t.Run("gated "+file, func(t *testing.T) {
			res := invoke(t, withModel(t, readEvent(t, file), "gated"))
			first := readUntil(ctx, t, res.Body, `"Hello"`)
			// The upstream cannot send " world" before this point.
			upstream.gate <- struct{}{}
			rest := readAll(t, res)
			status, _, body := splitStream(t, append([]byte(first), rest...))
			if status != http.StatusOK || !strings.Contains(body, `" world"`) || !strings.HasSuffix(body, "data: [DONE]\n\n") {
				t.Errorf("got %d, body:\n%s", status, body)
			}
		})
	}
	if errs := api.InitErrors(); len(errs) != 0 {
		t.Errorf("init errors: %+v", errs)
	}
}

// TestLocalServer runs the gateway binary outside Lambda: it must log its
// address, serve HTTP/1.1 and h2c, and exit 0 on SIGTERM.
func TestLocalServer(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the gateway binary")
	}
	bin := runtimeapitest.BuildBootstrap(t, pkg)
	proc := runtimeapitest.StartProcess(t, bin, "gateway",
		"TOLLGATE_ADDR=127.0.0.1:0",
		"TOLLGATE_CONFIG="+absPath(t, localConfig),
		"TOLLGATE_MASTER_KEY="+masterKey,
		"TOLLGATE_DATA_DIR="+t.TempDir())
	ctx, cancel := context.WithTimeout(context.Background(), deadline)
	defer cancel()
	listening, err := proc.WaitLog(ctx, "listening")
	if err != nil {
		t.Fatal(err)
	}
	addr, _ := listening["addr"].(string)

	for _, proto := range []string{"HTTP/1.1", "HTTP/2.0"} {
		t.Run(proto, func(t *testing.T) {
			var p http.Protocols
			p.SetHTTP1(proto == "HTTP/1.1")
			p.SetUnencryptedHTTP2(proto == "HTTP/2.0")
			client := &http.Client{Transport: &http.Transport{Protocols: &p}}
			defer client.CloseIdleConnections()
			req, _ := http.NewRequestWithContext(ctx, http.MethodPost, "http://"+addr+"/v1/chat/completions",
				strings.NewReader(`{"model":"fake-echo","stream":true,"messages":[{"role":"user","content":"hi"}]}`))
			req.Header.Set("Authorization", "Bearer "+masterKey)
			req.Header.Set("Content-Type", "application/json")
			resp, err := client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var last string
			sc := bufio.NewScanner(resp.Body)
			for sc.Scan() {
				if sc.Text() != "" {
					last = sc.Text()
				}
			}
			if resp.StatusCode != http.StatusOK || resp.Proto != proto || last != "data: [DONE]" {
				t.Errorf("got %d over %s ending %q, want 200 over %s ending data: [DONE]", resp.StatusCode, resp.Proto, last, proto)
			}
		})
	}

	if err := proc.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := proc.Wait(ctx); err != nil {
		t.Errorf("gateway exited with %v after SIGTERM, want status 0", err)
	}
	if !strings.Contains(proc.Output(), `"msg":"stopped"`) {
		t.Error("gateway did not log that it stopped")
	}
}
