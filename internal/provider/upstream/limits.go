// Package upstream holds what every provider adapter applies to a call it
// makes: the deadlines (litellm_params timeout and stream_timeout, with
// defaults when nothing is set) and the size caps on what it reads back.
//
// One helper for all adapters keeps the semantics identical whether the
// deployment speaks OpenAI's wire format over net/http or Bedrock's through
// the AWS SDK:
//
//   - Timeout bounds a non-streaming call (chat, embeddings, images) from the
//     first byte sent to the last byte read, and a streaming call until its
//     response headers.
//   - StreamTimeout bounds every wait for the next streamed event, the first
//     one included: a stream fails when the upstream sends nothing for that
//     long, however long the whole stream takes. When Timeout was not set,
//     it also bounds the wait for a stream's response headers.
//
// Both are enforced by cancelling the call's context with ErrTimedOut as the
// cause, so an adapter tells "a limit ran out" (a retryable upstream
// timeout, 504) from "the caller went away" (not the upstream's fault) with
// Expired.
package upstream

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"
)

// Defaults for a deployment that sets neither timeout nor stream_timeout
// (in litellm_params, router_settings or litellm_settings.request_timeout).
//
// LiteLLM's own default of 6,000 s would let one hung upstream hold a Lambda
// until the function's limit. Five minutes covers a long non-streaming
// generation of today's models (a reasoning model answering a large prompt)
// and stays well under Lambda's 15-minute cap; a minute of silence on a
// stream is far beyond the gaps any provider leaves between events
// (providers that think before answering send keep-alive events meanwhile).
const (
	DefaultTimeout       = 5 * time.Minute
	DefaultStreamTimeout = time.Minute
)

// ErrTimedOut is the cancellation cause the limits set on a call's context.
var ErrTimedOut = errors.New("deployment timeout")

// Limits are one deployment's resolved deadlines. Build them with
// NewLimits; the zero value has no limits at all and is not meant for use.
type Limits struct {
	// Timeout bounds a non-streaming call.
	Timeout time.Duration
	// StreamTimeout bounds each wait for a streamed event.
	StreamTimeout time.Duration
	// Headers bounds a stream's wait for its response headers: Timeout
	// when it was set, else StreamTimeout.
	Headers time.Duration
}

// NewLimits resolves a deployment's timeout and stream_timeout, either of
// which may be zero (not set), to the limits its calls run under.
func NewLimits(timeout, streamTimeout time.Duration) (Limits, error) {
	if timeout < 0 || streamTimeout < 0 {
		return Limits{}, fmt.Errorf("timeout (%v) and stream_timeout (%v) must not be negative", timeout, streamTimeout)
	}
	l := Limits{Timeout: timeout, StreamTimeout: streamTimeout, Headers: timeout}
	if l.StreamTimeout == 0 {
		l.StreamTimeout = DefaultStreamTimeout
	}
	if l.Headers == 0 {
		l.Headers = l.StreamTimeout
	}
	if l.Timeout == 0 {
		l.Timeout = DefaultTimeout
	}
	return l, nil
}

// Call returns ctx bounded by Timeout, for one non-streaming call. The
// caller must call cancel when the call is over.
func (l Limits) Call(ctx context.Context) (context.Context, context.CancelFunc) {
	if l.Timeout <= 0 {
		return context.WithCancel(ctx)
	}
	return context.WithTimeoutCause(ctx, l.Timeout, ErrTimedOut)
}

// Expired reports whether ctx ended because one of the limits ran out,
// rather than because the caller cancelled it or its own deadline passed.
func Expired(ctx context.Context) bool {
	return errors.Is(context.Cause(ctx), ErrTimedOut)
}

// Watchdog enforces a stream's limits with one timer and no goroutine: the
// timer cancels the stream's context when it fires. It starts with
// Limits.Headers; the stream re-arms it before each wait for an event.
// A Watchdog is used by one goroutine at a time (the stream's reader).
type Watchdog struct {
	timer  *time.Timer
	cancel context.CancelCauseFunc
	idle   time.Duration
}

// Stream derives the context a streaming call runs under and starts its
// watchdog on the header limit. The call must end with Watchdog.Release.
func (l Limits) Stream(ctx context.Context) (context.Context, *Watchdog) {
	ctx, cancel := context.WithCancelCause(ctx)
	w := &Watchdog{cancel: cancel, idle: l.StreamTimeout}
	if l.Headers > 0 {
		w.timer = time.AfterFunc(l.Headers, func() { cancel(ErrTimedOut) })
	}
	return ctx, w
}

// Arm restarts the timer for one wait for the next event.
func (w *Watchdog) Arm() { w.ArmFor(w.idle) }

// ArmFor restarts the timer for a wait of d, such as the short drain of a
// finished response.
func (w *Watchdog) ArmFor(d time.Duration) {
	if d <= 0 {
		w.Stop()
		return
	}
	if w.timer == nil {
		w.timer = time.AfterFunc(d, func() { w.cancel(ErrTimedOut) })
		return
	}
	w.timer.Reset(d)
}

// Stop stops the timer; the stream's context stays live.
func (w *Watchdog) Stop() {
	if w.timer != nil {
		w.timer.Stop()
	}
}

// Running reports whether the timer is armed and has not fired. It stops
// the timer as a side effect, so it is for tests and the end of a stream.
func (w *Watchdog) Running() bool { return w.timer != nil && w.timer.Stop() }

// Release stops the timer and cancels the stream's context, ending the
// upstream request if it is still open.
func (w *Watchdog) Release() {
	w.Stop()
	w.cancel(nil)
}

// After a stream's last event the body still holds the end of the HTTP/1.1
// chunked encoding. Reading it lets the transport pool the connection
// (closing an unfinished body drops it); the read is bounded in time and
// size, so an upstream that keeps the response open after its last event
// cannot hold Close up.
const (
	drainWait  = 100 * time.Millisecond
	drainBytes = 64 << 10
)

// ErrStreamClosed is what a stream's Recv returns after Close.
var ErrStreamClosed = errors.New("stream is closed")

// CloseBody ends a streaming call: after a complete stream it first reads
// the rest of body, briefly, so the connection can be reused; then it closes
// body and releases the watchdog.
func (w *Watchdog) CloseBody(body io.ReadCloser, complete bool) error {
	if complete {
		w.ArmFor(drainWait)
		_, _ = io.CopyN(io.Discard, body, drainBytes)
	}
	w.Stop()
	err := body.Close()
	w.Release()
	return err
}
