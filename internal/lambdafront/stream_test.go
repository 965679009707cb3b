package lambdafront_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/tollgate-gw/tollgate/internal/lambdafront"
)

var streamingEvents = []struct {
	name, file, prelude string
}{
	{"function URL", "gateway/function-url-chat-stream.json", prelude(`{"statusCode":200,"headers":{"Content-Type":"text/event-stream"}}`)},
	{"REST", "gateway/rest-chat-stream.json", prelude(`{"statusCode":200,"multiValueHeaders":{"Content-Type":["text/event-stream"]}}`)},
}

// TestFirstChunkLeavesBeforeHandlerFinishes proves the response is not
// buffered: the handler writes chunk 1 and then blocks until the test has
// read chunk 1 from the response the runtime would read.
func TestFirstChunkLeavesBeforeHandlerFinishes(t *testing.T) {
	const chunk1, chunk2 = "data: one\n\n", "data: two\n\n"
	for _, ev := range streamingEvents {
		t.Run(ev.name, func(t *testing.T) {
			release := make(chan struct{})
			finished := make(chan struct{})
			h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				defer close(finished)
				w.Header().Set("Content-Type", "text/event-stream")
				_, _ = io.WriteString(w, chunk1)
				<-release
				_, _ = io.WriteString(w, chunk2)
			})
			resp, err := lambdafront.Handler(h)(context.Background(), readEvent(t, ev.file))
			if err != nil {
				t.Fatalf("Handler: %v", err)
			}
			first := make([]byte, len(ev.prelude)+len(chunk1))
			if _, err := io.ReadFull(resp, first); err != nil {
				t.Fatalf("reading the first chunk: %v", err)
			}
			if want := ev.prelude + chunk1; string(first) != want {
				t.Fatalf("first bytes %q, want %q", quoteNUL(string(first)), quoteNUL(want))
			}
			select {
			case <-finished:
				t.Fatal("the handler finished before its first chunk was read")
			default:
			}
			close(release)
			rest, err := readAll(t, resp)
			if err != nil {
				t.Fatalf("reading the rest: %v", err)
			}
			if rest != chunk2 {
				t.Errorf("rest %q, want %q", rest, chunk2)
			}
			<-finished
		})
	}
}

// TestContextEndsWithInvocation checks that closing the response, which the
// runtime does when the invocation ends, cancels the request context and
// waits for the handler, and that the handler's later writes fail.
func TestContextEndsWithInvocation(t *testing.T) {
	for _, ev := range streamingEvents {
		t.Run(ev.name, func(t *testing.T) {
			var ctxErr, writeErr error
			h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "text/event-stream")
				_, _ = io.WriteString(w, "x")
				<-r.Context().Done()
				ctxErr = r.Context().Err()
				_, writeErr = io.WriteString(w, "too late")
			})
			resp, err := lambdafront.Handler(h)(context.Background(), readEvent(t, ev.file))
			if err != nil {
				t.Fatalf("Handler: %v", err)
			}
			if _, err := io.ReadFull(resp, make([]byte, len(ev.prelude)+1)); err != nil {
				t.Fatalf("reading the first chunk: %v", err)
			}
			if err := resp.(io.Closer).Close(); err != nil {
				t.Fatalf("Close: %v", err)
			}
			// Close has waited for the handler, so its results are visible.
			if !errors.Is(ctxErr, context.Canceled) {
				t.Errorf("request context ended with %v, want context.Canceled", ctxErr)
			}
			if !errors.Is(writeErr, io.ErrClosedPipe) {
				t.Errorf("write after the invocation returned %v, want io.ErrClosedPipe", writeErr)
			}
		})
	}
	t.Run("buffered", func(t *testing.T) {
		var ctx context.Context
		h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { ctx = r.Context() })
		if _, err := lambdafront.BufferedHandler(h)(context.Background(), readEvent(t, "admin/rest-health-readiness.json")); err != nil {
			t.Fatalf("BufferedHandler: %v", err)
		}
		if !errors.Is(ctx.Err(), context.Canceled) {
			t.Errorf("request context after the invocation: %v, want context.Canceled", ctx.Err())
		}
	})
}

// TestPanic checks that a handler panic fails the invocation instead of the
// process: before the status as the invocation's error, afterwards as the
// stream's read error (which the runtime sends as error trailers).
func TestPanic(t *testing.T) {
	before := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { panic("boom") })
	after := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		_, _ = io.WriteString(w, "data: partial\n\n")
		panic(http.ErrAbortHandler)
	})
	badStatus := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(42) })
	for _, ev := range streamingEvents {
		t.Run(ev.name+" before the status", func(t *testing.T) {
			resp, err := lambdafront.Handler(before, lambdafront.WithLogger(discardLogger()))(context.Background(), readEvent(t, ev.file))
			var perr *lambdafront.PanicError
			if !errors.As(err, &perr) || perr.Value != "boom" || resp != nil {
				t.Fatalf("Handler returned %v, %v; want a *PanicError for boom and no response", resp, err)
			}
			if !strings.Contains(string(perr.Stack), "stream_test.go") {
				t.Errorf("stack does not show the handler:\n%s", perr.Stack)
			}
		})
		t.Run(ev.name+" after the status", func(t *testing.T) {
			resp, err := lambdafront.Handler(after)(context.Background(), readEvent(t, ev.file))
			if err != nil {
				t.Fatalf("Handler: %v", err)
			}
			got, err := readAll(t, resp)
			if want := ev.prelude + "data: partial\n\n"; got != want {
				t.Errorf("response %q, want %q", quoteNUL(got), quoteNUL(want))
			}
			if !errors.Is(err, http.ErrAbortHandler) {
				t.Errorf("stream ended with %v, want an error wrapping http.ErrAbortHandler", err)
			}
		})
		t.Run(ev.name+" invalid status", func(t *testing.T) {
			_, err := lambdafront.Handler(badStatus, lambdafront.WithLogger(discardLogger()))(context.Background(), readEvent(t, ev.file))
			var perr *lambdafront.PanicError
			if !errors.As(err, &perr) || perr.Value != "invalid WriteHeader code 42" {
				t.Errorf("Handler returned %v, want a *PanicError for the invalid code", err)
			}
		})
	}
	t.Run("buffered", func(t *testing.T) {
		resp, err := lambdafront.BufferedHandler(after)(context.Background(), readEvent(t, "admin/rest-health-readiness.json"))
		if !errors.Is(err, http.ErrAbortHandler) || resp.StatusCode != 0 {
			t.Errorf("BufferedHandler returned %+v, %v; want no response and an error wrapping http.ErrAbortHandler", resp, err)
		}
	})
}

// TestBadEvent checks that events the adapters cannot serve give errors.
func TestBadEvent(t *testing.T) {
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {})
	tests := []struct {
		name    string
		event   []byte
		unknown bool // want ErrUnknownEvent
	}{
		{name: "not JSON", event: []byte(`{"rawPath":`)},
		{name: "JSON array", event: []byte(`[1,2]`)},
		{name: "JSON null", event: []byte(`null`), unknown: true},
		{name: "empty object", event: []byte(`{}`), unknown: true},
		{name: "scheduled event", event: []byte(`{"version":"0","detail-type":"Scheduled Event","source":"aws.events","detail":{}}`), unknown: true},
		{name: "rawPath without requestContext.http", event: []byte(`{"rawPath":"/x","requestContext":{"http":null}}`), unknown: true},
		{name: "REST without httpMethod", event: editEvent(t, "gateway/rest-chat-stream.json", func(m map[string]any) { delete(m, "httpMethod") })},
		{name: "REST without path", event: editEvent(t, "gateway/rest-chat-stream.json", func(m map[string]any) { delete(m, "path") })},
		{name: "REST bad path escape", event: editEvent(t, "gateway/rest-chat-stream.json", func(m map[string]any) { m["path"] = "/v1/%zz" })},
		{name: "REST bad method", event: editEvent(t, "gateway/rest-chat-stream.json", func(m map[string]any) { m["httpMethod"] = "PO ST" })},
		{name: "REST corrupt base64", event: editEvent(t, "gateway/rest-chat-stream.json", func(m map[string]any) { m["isBase64Encoded"] = true })},
		{name: "REST wrong member type", event: editEvent(t, "gateway/rest-chat-stream.json", func(m map[string]any) { m["headers"] = []any{1} })},
		{name: "function URL corrupt base64", event: editEvent(t, "gateway/function-url-chat-stream.json", func(m map[string]any) { m["isBase64Encoded"] = true })},
		{name: "function URL bad method", event: editEvent(t, "gateway/function-url-chat-stream.json", func(m map[string]any) {
			m["requestContext"].(map[string]any)["http"].(map[string]any)["method"] = "GE T"
		})},
		{name: "function URL wrong member type", event: editEvent(t, "gateway/function-url-chat-stream.json", func(m map[string]any) { m["cookies"] = "a=b" })},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, err := lambdafront.Handler(ok)(context.Background(), tt.event)
			if err == nil || resp != nil {
				t.Fatalf("Handler returned %v, %v; want an error", resp, err)
			}
			if got := errors.Is(err, lambdafront.ErrUnknownEvent); got != tt.unknown {
				t.Errorf("errors.Is(%v, ErrUnknownEvent) = %v, want %v", err, got, tt.unknown)
			}
		})
	}
	t.Run("buffered function URL event", func(t *testing.T) {
		_, err := lambdafront.BufferedHandler(ok)(context.Background(), readEvent(t, "gateway/function-url-chat-stream.json"))
		if !errors.Is(err, lambdafront.ErrUnknownEvent) {
			t.Errorf("BufferedHandler returned %v, want ErrUnknownEvent", err)
		}
	})
	t.Run("buffered corrupt base64", func(t *testing.T) {
		event := editEvent(t, "admin/rest-health-readiness.json", func(m map[string]any) {
			m["isBase64Encoded"] = true
			m["body"] = "@@"
		})
		if _, err := lambdafront.BufferedHandler(ok)(context.Background(), event); err == nil {
			t.Error("BufferedHandler accepted a corrupt base64 body")
		}
	})
}
