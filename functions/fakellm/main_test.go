package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tollgate-gw/tollgate/internal/lambdafront/runtimeapitest"
)

const (
	pkg      = "github.com/tollgate-gw/tollgate/functions/fakellm"
	deadline = 2 * time.Minute
)

// noDelays makes the fake answer at once.
var noDelays = []string{"FAKELLM_DELAY=0", "FAKELLM_CHUNK_GAP=0", "FAKELLM_SEED=1"}

// TestLambda invokes the fakellm bootstrap binary with its sample function
// URL events.
func TestLambda(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the fakellm binary")
	}
	bin := runtimeapitest.BuildBootstrap(t, pkg)
	api := runtimeapitest.NewServer()
	t.Cleanup(api.Close)
	runtimeapitest.StartBootstrap(t, api, bin, "tollgate-fakellm", noDelays...)
	ctx, cancel := context.WithTimeout(context.Background(), deadline)
	defer cancel()

	tests := []struct {
		file, contentType string
		check             func(body string) bool
	}{{
		file:        "function-url-chat-completions.json",
		contentType: "text/event-stream",
		check: func(body string) bool {
			return strings.Contains(body, `"chat.completion.chunk"`) && strings.HasSuffix(body, "data: [DONE]\n\n")
		},
	}, {
		file:        "function-url-converse.json",
		contentType: "application/json",
		check: func(body string) bool {
			var c struct {
				Output struct {
					Message struct{ Role string }
				}
				StopReason string
			}
			return json.Unmarshal([]byte(body), &c) == nil && c.Output.Message.Role == "assistant" && c.StopReason != ""
		},
	}}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			event, err := os.ReadFile("../../events/fakellm/" + tt.file)
			if err != nil {
				t.Fatal(err)
			}
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
			b, err := io.ReadAll(res.Body)
			if err != nil {
				t.Fatal(err)
			}
			p, body, err := runtimeapitest.SplitStream(b)
			if err != nil {
				t.Fatal(err)
			}
			if p.StatusCode != http.StatusOK || !strings.HasPrefix(p.Header("Content-Type"), tt.contentType) || !tt.check(string(body)) {
				t.Errorf("got %d %q, body:\n%s", p.StatusCode, p.Header("Content-Type"), body)
			}
		})
	}
}

// TestLocalServer runs the fakellm binary outside Lambda.
func TestLocalServer(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the fakellm binary")
	}
	bin := runtimeapitest.BuildBootstrap(t, pkg)
	proc := runtimeapitest.StartProcess(t, bin, "fakellm", append(noDelays, "FAKELLM_ADDR=127.0.0.1:0")...)
	ctx, cancel := context.WithTimeout(context.Background(), deadline)
	defer cancel()
	listening, err := proc.WaitLog(ctx, "listening")
	if err != nil {
		t.Fatal(err)
	}
	addr, _ := listening["addr"].(string)
	resp, err := http.Post("http://"+addr+"/v1/chat/completions", "application/json",
		strings.NewReader(`{"model":"m","messages":[{"role":"user","content":"hi"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(b), `"chat.completion"`) {
		t.Errorf("POST /v1/chat/completions: %d %q", resp.StatusCode, b)
	}
	if err := proc.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := proc.Wait(ctx); err != nil {
		t.Errorf("fakellm exited with %v after SIGTERM, want status 0", err)
	}
}

// TestBadSettings checks that a malformed variable stops the binary with a
// message naming it, in and out of Lambda.
func TestBadSettings(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the fakellm binary")
	}
	bin := runtimeapitest.BuildBootstrap(t, pkg)
	proc := runtimeapitest.StartProcess(t, bin, "fakellm", "FAKELLM_CHUNKS=zero")
	ctx, cancel := context.WithTimeout(context.Background(), deadline)
	defer cancel()
	if err := proc.Wait(ctx); err == nil || proc.ExitCode() != 1 {
		t.Errorf("fakellm exited with %v, want status 1", err)
	}
	if !strings.Contains(proc.Output(), "FAKELLM_CHUNKS") {
		t.Errorf("the error does not name FAKELLM_CHUNKS:\n%s", proc.Output())
	}
}

// TestUsage: -h prints the variables and exits 0 without serving; a stray
// argument is a usage error.
func TestUsage(t *testing.T) {
	tests := []struct {
		args   []string
		status int
		want   []string
	}{
		{[]string{"-h"}, 0, []string{"FAKELLM_DELAY", "FAKELLM_CHUNK_GAP", "FAKELLM_CHUNKS", "FAKELLM_SEED", "FAKELLM_ADDR", "1s-3s", "200ms-800ms"}},
		{[]string{"serve"}, 2, []string{`unexpected argument "serve"`, "fakellm -h"}},
		{[]string{"-delay", "0"}, 2, []string{"flag provided but not defined"}},
	}
	for _, tt := range tests {
		var stderr strings.Builder
		// A port already taken would make a run that serves fail, not hang.
		status := run(tt.args, &stderr, func(k string) string { return map[string]string{"FAKELLM_ADDR": "256.0.0.1:1"}[k] })
		if status != tt.status {
			t.Errorf("%v: exit status %d, want %d\n%s", tt.args, status, tt.status, &stderr)
		}
		for _, w := range tt.want {
			if !strings.Contains(stderr.String(), w) {
				t.Errorf("%v: output lacks %q:\n%s", tt.args, w, &stderr)
			}
		}
	}
}
