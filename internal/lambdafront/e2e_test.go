package lambdafront_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tollgate-gw/tollgate/internal/lambdafront/runtimeapitest"
)

// e2eDeadline bounds how long a broken (buffering) build may keep the test
// waiting; passing runs never come near it.
const e2eDeadline = 2 * time.Minute

// TestRuntimeEndToEnd runs a real bootstrap binary built with -tags
// lambda.norpc under the fake Runtime API and checks what aws-lambda-go's
// runtime client sends for each front: the streamed response chunk by chunk,
// and handler panics as invocation errors or error trailers.
func TestRuntimeEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs a bootstrap binary")
	}
	bin := runtimeapitest.BuildBootstrap(t, "github.com/tollgate-gw/tollgate/internal/lambdafront/testdata/gatedstream")

	// The gate lets the function write chunk n only once the test sends n.
	gates := make(chan int)
	gate := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		want, _ := strconv.Atoi(r.URL.Query().Get("chunk"))
		select {
		case n := <-gates:
			if n != want {
				http.Error(w, "gate opened for chunk "+strconv.Itoa(n), http.StatusConflict)
				return
			}
			w.WriteHeader(http.StatusNoContent)
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(gate.Close)
	api := runtimeapitest.NewServer()
	t.Cleanup(api.Close)
	runtimeapitest.StartBootstrap(t, api, bin, "gatedstream", "GATE_URL="+gate.URL)

	ctx, cancel := context.WithTimeout(context.Background(), e2eDeadline)
	defer cancel()

	fronts := []struct {
		name    string
		event   func(path string) []byte
		prelude string
	}{{
		name: "function URL",
		event: func(path string) []byte {
			return editEvent(t, "gateway/function-url-chat-stream.json", func(m map[string]any) {
				m["rawPath"] = path
				m["requestContext"].(map[string]any)["http"].(map[string]any)["path"] = path
			})
		},
		prelude: prelude(`{"statusCode":200,"headers":{"Content-Type":"text/event-stream"}}`),
	}, {
		name: "REST",
		event: func(path string) []byte {
			return editEvent(t, "gateway/rest-chat-stream.json", func(m map[string]any) { m["path"] = path })
		},
		prelude: prelude(`{"statusCode":200,"multiValueHeaders":{"Content-Type":["text/event-stream"]}}`),
	}}
	for _, front := range fronts {
		t.Run(front.name+" stream", func(t *testing.T) {
			res := result(ctx, t, api.Invoke(front.event("/stream"), nil))
			if !res.Chunked {
				t.Error("the runtime did not send the response chunked")
			}
			if got := res.Header.Get("Content-Type"); got != streamContentType {
				t.Errorf("runtime sent Content-Type %q, want %q", got, streamContentType)
			}
			if got := readN(ctx, t, res.Body, len(front.prelude)+len("data: 1\n\n")); got != front.prelude+"data: 1\n\n" {
				t.Fatalf("first bytes %q", quoteNUL(got))
			}
			for n := 2; n <= 3; n++ {
				// The function cannot write chunk n before the gate opens, so
				// having read chunk n-1 proves it left the function while the
				// handler was still running. A buffering build never gets here:
				// readN fails at the deadline.
				gates <- n
				want := "data: " + strconv.Itoa(n) + "\n\n"
				if got := readN(ctx, t, res.Body, len(want)); got != want {
					t.Fatalf("chunk %d: %q, want %q", n, got, want)
				}
			}
			if rest, err := io.ReadAll(res.Body); err != nil || len(rest) != 0 {
				t.Errorf("after the last chunk: %q, %v", rest, err)
			}
			<-res.Done()
			if rep, err := res.StreamError(); rep != nil || err != nil {
				t.Errorf("stream ended with error trailers %+v, %v", rep, err)
			}
		})
		t.Run(front.name+" panic before the status", func(t *testing.T) {
			res := result(ctx, t, api.Invoke(front.event("/panic-before"), nil))
			if res.Err == nil || res.Err.Type != "PanicError" || !strings.Contains(res.Err.Message, "before the status") {
				t.Errorf("runtime reported %+v, want a PanicError", res.Err)
			}
		})
		t.Run(front.name+" panic after the status", func(t *testing.T) {
			res := result(ctx, t, api.Invoke(front.event("/panic-after"), nil))
			body, err := io.ReadAll(res.Body)
			if err != nil {
				t.Fatal(err)
			}
			if want := "data: 1\n\n"; !strings.HasSuffix(string(body), want) {
				t.Errorf("body %q does not end with the chunk written before the panic", quoteNUL(string(body)))
			}
			<-res.Done()
			rep, err := res.StreamError()
			if err != nil || rep == nil || rep.Type != "PanicError" || !strings.Contains(rep.Message, "after the status") {
				t.Errorf("error trailers %+v, %v; want a PanicError", rep, err)
			}
		})
	}
	if errs := api.InitErrors(); len(errs) != 0 {
		t.Errorf("init errors: %+v", errs)
	}
}

func result(ctx context.Context, t *testing.T, inv *runtimeapitest.Invocation) *runtimeapitest.Result {
	t.Helper()
	res, err := inv.Result(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// readN reads exactly n bytes, failing the test instead of hanging if they
// do not come before ctx ends.
func readN(ctx context.Context, t *testing.T, r io.Reader, n int) string {
	t.Helper()
	type read struct {
		b   []byte
		err error
	}
	done := make(chan read, 1)
	go func() {
		b := make([]byte, n)
		_, err := io.ReadFull(r, b)
		done <- read{b, err}
	}()
	select {
	case got := <-done:
		if got.err != nil {
			t.Fatalf("reading %d bytes: %v", n, got.err)
		}
		return string(got.b)
	case <-ctx.Done():
		t.Fatalf("%d bytes did not arrive: %v", n, ctx.Err())
		return ""
	}
}
