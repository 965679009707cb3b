package lambdafront_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"slices"
	"testing"

	"github.com/tollgate-gw/tollgate/internal/lambdafront"
)

const streamContentType = "application/vnd.awslambda.http-integration-response"

// TestStreamingResponse checks the exact bytes each streaming front hands to
// the Lambda runtime: prelude JSON, eight NUL bytes, body.
func TestStreamingResponse(t *testing.T) {
	sse := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		w.Header().Add("X-Multi", "a")
		w.Header().Add("X-Multi", "b")
		http.SetCookie(w, &http.Cookie{Name: "a", Value: "1", Path: "/"})
		http.SetCookie(w, &http.Cookie{Name: "b", Value: "2"})
		w.WriteHeader(http.StatusCreated)
		w.Header().Set("X-Too-Late", "dropped, as net/http drops it")
		_, _ = io.WriteString(w, "data: one\n\n")
		_, _ = io.WriteString(w, "data: two\n\n")
	})
	silent := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {})
	noContent := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusNoContent)
		if _, err := io.WriteString(w, "ignored"); !errors.Is(err, http.ErrBodyNotAllowed) {
			w.Header().Set("X-Unexpected", "body accepted after 204")
		}
	})
	interim := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusEarlyHints) // a Lambda response has no interim responses
		w.WriteHeader(http.StatusAccepted)
		w.WriteHeader(http.StatusTeapot) // superfluous, ignored
		_, _ = io.WriteString(w, "ok")
	})
	const (
		urlEvent  = "gateway/function-url-chat-stream.json"
		restEvent = "gateway/rest-chat-stream.json"
	)
	tests := []struct {
		name    string
		event   string
		handler http.Handler
		want    string
	}{{
		name:    "function URL SSE with repeated headers and cookies",
		event:   urlEvent,
		handler: sse,
		want: prelude(`{"statusCode":201,"headers":{"Content-Type":"text/event-stream","X-Multi":"a,b"},"cookies":["a=1; Path=/","b=2"]}`) +
			"data: one\n\ndata: two\n\n",
	}, {
		name:    "REST SSE with repeated headers and cookies",
		event:   restEvent,
		handler: sse,
		want: prelude(`{"statusCode":201,"multiValueHeaders":{"Content-Type":["text/event-stream"],"Set-Cookie":["a=1; Path=/","b=2"],"X-Multi":["a","b"]}}`) +
			"data: one\n\ndata: two\n\n",
	}, {
		name:    "function URL handler that writes nothing",
		event:   urlEvent,
		handler: silent,
		want:    prelude(`{"statusCode":200}`),
	}, {
		name:    "REST handler that writes nothing",
		event:   restEvent,
		handler: silent,
		want:    prelude(`{"statusCode":200}`),
	}, {
		name:    "REST 204 refuses a body",
		event:   restEvent,
		handler: noContent,
		want:    prelude(`{"statusCode":204}`),
	}, {
		name:    "function URL drops 1xx and superfluous statuses",
		event:   urlEvent,
		handler: interim,
		want:    prelude(`{"statusCode":202}`) + "ok",
	}, {
		name:    "REST drops 1xx and superfluous statuses",
		event:   restEvent,
		handler: interim,
		want:    prelude(`{"statusCode":202}`) + "ok",
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, err := lambdafront.Handler(tt.handler)(context.Background(), readEvent(t, tt.event))
			if err != nil {
				t.Fatalf("Handler: %v", err)
			}
			ct, ok := resp.(contentTyper)
			if !ok || ct.ContentType() != streamContentType {
				t.Errorf("response %T does not declare content type %s", resp, streamContentType)
			}
			got, err := readAll(t, resp)
			if err != nil {
				t.Fatalf("reading response: %v", err)
			}
			if got != tt.want {
				t.Errorf("response\n%s\nwant\n%s", quoteNUL(got), quoteNUL(tt.want))
			}
		})
	}
}

// TestHEADResponse checks that the REST front discards a HEAD body while
// keeping the headers, as net/http does.
func TestHEADResponse(t *testing.T) {
	event := editEvent(t, "gateway/rest-health-liveliness.json", func(m map[string]any) { m["httpMethod"] = http.MethodHead })
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"status":"healthy"}`)
	})
	resp, err := lambdafront.Handler(h)(context.Background(), event)
	if err != nil {
		t.Fatalf("Handler: %v", err)
	}
	got, err := readAll(t, resp)
	if err != nil {
		t.Fatal(err)
	}
	if want := prelude(`{"statusCode":200,"multiValueHeaders":{"Content-Type":["application/json"]}}`); got != want {
		t.Errorf("response\n%s\nwant\n%s", quoteNUL(got), quoteNUL(want))
	}
}

// TestBufferedResponse checks the buffered front's answer, binary bodies
// included.
func TestBufferedResponse(t *testing.T) {
	tests := []struct {
		name       string
		handler    http.HandlerFunc
		wantStatus int
		wantHeader map[string][]string
		wantBody   string
		wantBase64 bool
	}{{
		name: "JSON with cookies",
		handler: func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			http.SetCookie(w, &http.Cookie{Name: "a", Value: "1"})
			http.SetCookie(w, &http.Cookie{Name: "b", Value: "2"})
			w.WriteHeader(http.StatusOK)
			_, _ = io.WriteString(w, `{"status":"healthy"}`)
		},
		wantStatus: http.StatusOK,
		wantHeader: map[string][]string{"Content-Type": {"application/json"}, "Set-Cookie": {"a=1", "b=2"}},
		wantBody:   `{"status":"healthy"}`,
	}, {
		name: "binary body",
		handler: func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "image/png")
			_, _ = w.Write([]byte{0x89, 'P', 'N', 'G', 0xff})
		},
		wantStatus: http.StatusOK,
		wantHeader: map[string][]string{"Content-Type": {"image/png"}},
		wantBody:   "iVBOR/8=",
		wantBase64: true,
	}, {
		name:       "handler that writes nothing",
		handler:    func(w http.ResponseWriter, r *http.Request) {},
		wantStatus: http.StatusOK,
		wantHeader: map[string][]string{},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, err := lambdafront.BufferedHandler(tt.handler)(context.Background(), readEvent(t, "admin/rest-health-readiness.json"))
			if err != nil {
				t.Fatalf("BufferedHandler: %v", err)
			}
			if resp.StatusCode != tt.wantStatus || resp.Body != tt.wantBody || resp.IsBase64Encoded != tt.wantBase64 {
				t.Errorf("got status %d body %q base64 %v, want %d %q %v",
					resp.StatusCode, resp.Body, resp.IsBase64Encoded, tt.wantStatus, tt.wantBody, tt.wantBase64)
			}
			if len(resp.MultiValueHeaders) != len(tt.wantHeader) {
				t.Errorf("headers %v, want %v", resp.MultiValueHeaders, tt.wantHeader)
			}
			for k, want := range tt.wantHeader {
				if got := resp.MultiValueHeaders[k]; !slices.Equal(got, want) {
					t.Errorf("header %s = %q, want %q", k, got, want)
				}
			}
		})
	}
}

// TestFlushNotSupported documents that the streaming writers have nothing to
// flush: each Write already reached the pipe.
func TestFlushNotSupported(t *testing.T) {
	for _, event := range []string{"gateway/function-url-chat-stream.json", "gateway/rest-chat-stream.json"} {
		t.Run(event, func(t *testing.T) {
			var flushErr error
			h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				_, _ = io.WriteString(w, "x")
				flushErr = http.NewResponseController(w).Flush()
			})
			resp, err := lambdafront.Handler(h)(context.Background(), readEvent(t, event))
			if err != nil {
				t.Fatalf("Handler: %v", err)
			}
			if _, err := readAll(t, resp); err != nil {
				t.Fatal(err)
			}
			if !errors.Is(flushErr, http.ErrNotSupported) {
				t.Errorf("Flush returned %v, want http.ErrNotSupported", flushErr)
			}
		})
	}
}
