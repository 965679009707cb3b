package openai_test

import (
	"context"
	"io"
	"net/http"
	"testing"
	"testing/synctest"
	"time"

	"github.com/tollgate-gw/tollgate/internal/llm"
	"github.com/tollgate-gw/tollgate/internal/provider/openai"
	"github.com/tollgate-gw/tollgate/internal/provider/openai/openaitest"
	"github.com/tollgate-gw/tollgate/internal/provider/upstream"
)

// pipeUpstream is an in-memory upstream for synctest bubbles, where loopback
// network I/O would not count as blocked: the response arrives after
// headerDelay, and its body is written by script through a pipe. Like a real
// transport, it ends the body when the request's context ends.
type pipeUpstream struct {
	headerDelay time.Duration
	script      func(ctx context.Context, w io.Writer)
}

func (p pipeUpstream) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	_, _ = io.Copy(io.Discard, req.Body)
	req.Body.Close()
	select {
	case <-time.After(p.headerDelay):
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	pr, pw := io.Pipe()
	go func() {
		if p.script != nil {
			p.script(ctx, pw)
		}
		if ctx.Err() == nil {
			pw.Close() // else the body ends with the cancellation, as on a real connection
		}
	}()
	go func() {
		<-ctx.Done()
		pw.CloseWithError(ctx.Err())
	}()
	return &http.Response{
		StatusCode: http.StatusOK,
		Header:     http.Header{"Content-Type": {"text/event-stream"}},
		Body:       pr,
		Request:    req,
	}, nil
}

func event(w io.Writer, data string) { _, _ = io.WriteString(w, "data: "+data+"\n\n") }

// pause waits d on the bubble's clock, or until the call is cancelled, so
// that no goroutine outlives the test.
func pause(ctx context.Context, d time.Duration) bool {
	select {
	case <-time.After(d):
		return true
	case <-ctx.Done():
		return false
	}
}

// TestStreamTimeoutSemantics pins the timeouts down on a fake clock: Timeout
// bounds the headers, StreamTimeout each gap between chunks (not the whole
// stream), and each expires exactly when it should.
func TestStreamTimeoutSemantics(t *testing.T) {
	tests := []struct {
		name          string
		timeout, idle time.Duration
		up            pipeUpstream
		wantChunks    int
		wantTimeout   bool
		wantElapsed   time.Duration
	}{
		{
			name: "slow stream whose gaps stay under stream_timeout completes", timeout: 30 * time.Second, idle: 10 * time.Second,
			up: pipeUpstream{headerDelay: 25 * time.Second, script: func(ctx context.Context, w io.Writer) {
				for range 5 {
					if !pause(ctx, 9*time.Second) { // 45s in all, far over stream_timeout
						return
					}
					event(w, openaitest.StreamText[1])
				}
				event(w, "[DONE]")
			}},
			wantChunks: 5, wantElapsed: 25*time.Second + 45*time.Second,
		},
		{
			name: "a gap over stream_timeout fails the stream", timeout: 30 * time.Second, idle: 10 * time.Second,
			up: pipeUpstream{script: func(ctx context.Context, w io.Writer) {
				event(w, openaitest.StreamText[1])
				if pause(ctx, 9*time.Second) {
					event(w, openaitest.StreamText[2])
				}
				if pause(ctx, 11*time.Second) {
					event(w, openaitest.StreamText[3])
				}
			}},
			wantChunks: 2, wantTimeout: true, wantElapsed: 9*time.Second + 10*time.Second,
		},
		{
			name: "the first chunk is bounded by stream_timeout too", timeout: 30 * time.Second, idle: 10 * time.Second,
			up: pipeUpstream{script: func(ctx context.Context, w io.Writer) {
				pause(ctx, time.Hour)
			}},
			wantTimeout: true, wantElapsed: 10 * time.Second,
		},
		{
			name: "headers over timeout", timeout: 30 * time.Second, idle: 10 * time.Second,
			up:          pipeUpstream{headerDelay: time.Hour},
			wantTimeout: true, wantElapsed: 30 * time.Second,
		},
		{
			name: "headers under stream_timeout when timeout is unset", idle: 10 * time.Second,
			up:          pipeUpstream{headerDelay: time.Hour},
			wantTimeout: true, wantElapsed: 10 * time.Second,
		},
		{
			name: "no stream_timeout: gaps are bounded by the default", timeout: 30 * time.Second,
			up: pipeUpstream{script: func(ctx context.Context, w io.Writer) {
				event(w, openaitest.StreamText[1])
				if !pause(ctx, 10*time.Minute) {
					return
				}
				event(w, "[DONE]")
			}},
			wantChunks: 1, wantTimeout: true, wantElapsed: upstream.DefaultStreamTimeout,
		},
		{
			name:        "no timeouts at all: headers are bounded by the default stream_timeout",
			up:          pipeUpstream{headerDelay: time.Hour},
			wantTimeout: true, wantElapsed: upstream.DefaultStreamTimeout,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				m, err := openai.New(&http.Client{Transport: tt.up}, openai.Options{
					BaseURL: "http://upstream.invalid/v1", APIKey: testKey, ModelID: "m",
					Timeout: tt.timeout, StreamTimeout: tt.idle,
				})
				if err != nil {
					t.Fatal(err)
				}
				start := time.Now()
				req := &llm.Request{Model: "g", Messages: []llm.Message{{Role: llm.RoleUser, Content: []llm.Part{{Type: llm.PartText, Text: "hi"}}}}}
				s, err := m.ChatStream(context.Background(), req)
				var chunks []*llm.Chunk
				if err == nil {
					chunks, err = drain(s)
					s.Close()
				}
				if got := time.Since(start); got != tt.wantElapsed {
					t.Errorf("ended after %v, want %v", got, tt.wantElapsed)
				}
				if len(chunks) != tt.wantChunks {
					t.Errorf("got %d chunks, want %d", len(chunks), tt.wantChunks)
				}
				if tt.wantTimeout {
					checkTimeout(t, err, "")
				} else if err != io.EOF {
					t.Fatalf("ended with %v, want io.EOF", err)
				}
			})
		})
	}
}

// TestSlowCallerIsNotAnIdleUpstream: stream_timeout measures the
// upstream's silence, not the caller's: a client that takes longer than it
// to handle each chunk (a slow reader behind the gateway) while the upstream
// has already sent everything does not fail the stream.
func TestSlowCallerIsNotAnIdleUpstream(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		up := pipeUpstream{script: func(ctx context.Context, w io.Writer) {
			for i := 1; i < len(openaitest.StreamText); i++ {
				event(w, openaitest.StreamText[i])
			}
		}}
		m, err := openai.New(&http.Client{Transport: up}, openai.Options{
			BaseURL: "http://upstream.invalid/v1", APIKey: testKey, ModelID: "m", StreamTimeout: 10 * time.Second,
		})
		if err != nil {
			t.Fatal(err)
		}
		req := &llm.Request{Model: "g", Messages: []llm.Message{{Role: llm.RoleUser, Content: []llm.Part{{Type: llm.PartText, Text: "hi"}}}}}
		s, err := m.ChatStream(context.Background(), req)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		for n := 0; ; n++ {
			if _, err := s.Recv(); err != nil {
				if err != io.EOF || n == 0 {
					t.Fatalf("after %d chunks: %v, want io.EOF", n, err)
				}
				return
			}
			time.Sleep(time.Minute) // the caller's own pace, six times stream_timeout
		}
	})
}

func TestChatDefaultTimeoutOnFakeClock(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		up := pipeUpstream{headerDelay: time.Hour}
		m, err := openai.New(&http.Client{Transport: up}, openai.Options{
			BaseURL: "http://upstream.invalid/v1", APIKey: testKey, ModelID: "m",
		})
		if err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		_, err = m.Chat(context.Background(), &llm.Request{Model: "g"})
		if got := time.Since(start); got != upstream.DefaultTimeout {
			t.Errorf("timed out after %v, want the default %v", got, upstream.DefaultTimeout)
		}
		checkTimeout(t, err, "did not answer within "+upstream.DefaultTimeout.String())
	})
}

func TestChatTimeoutOnFakeClock(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		up := pipeUpstream{headerDelay: time.Hour}
		m, err := openai.New(&http.Client{Transport: up}, openai.Options{
			BaseURL: "http://upstream.invalid/v1", APIKey: testKey, ModelID: "m", Timeout: 90 * time.Second,
		})
		if err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		_, err = m.Chat(context.Background(), &llm.Request{Model: "g"})
		if got := time.Since(start); got != 90*time.Second {
			t.Errorf("timed out after %v, want 90s", got)
		}
		checkTimeout(t, err, "did not answer within 1m30s")
	})
}
