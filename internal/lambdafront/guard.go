package lambdafront

import (
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"sync/atomic"
)

// PanicError reports that the HTTP handler panicked while serving an
// invocation. Its type name is what Lambda shows as the error type.
type PanicError struct {
	// Value is the value the handler panicked with.
	Value any
	// Stack is the goroutine stack at the point of recovery.
	Stack []byte
}

// Error implements error.
func (e *PanicError) Error() string {
	return fmt.Sprintf("lambdafront: handler panicked: %v", e.Value)
}

// Unwrap returns the panic value when it is an error, so that
// errors.Is(err, http.ErrAbortHandler) works.
func (e *PanicError) Unwrap() error {
	err, _ := e.Value.(error)
	return err
}

type invocationKey struct{}

// invocation records how the handler of one invocation went. The guard
// writes it from the handler goroutine; the adapters read it from the
// goroutine that answers Lambda.
type invocation struct {
	// started is set before the first WriteHeader or Write reaches the
	// adapter's writer, so an adapter woken by that write sees it.
	started  atomic.Bool
	panicErr atomic.Pointer[PanicError]
	// done is closed when the handler has returned or panicked.
	done chan struct{}
}

// guard gives the handler the contract net/http gives it: a panic is
// recovered per request instead of taking the process (and so the warm
// container) down, and a handler that writes nothing answers 200. The
// outcome is recorded on the invocation found in the request context.
func guard(h http.Handler, logger *slog.Logger) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		inv, ok := r.Context().Value(invocationKey{}).(*invocation)
		if !ok {
			// Only reachable if a caller bypasses begin; keep the contract anyway.
			inv = &invocation{done: make(chan struct{})}
		}
		defer close(inv.done)
		// lambdaurl leaves RequestURI empty; net/http's server always sets it.
		if r.RequestURI == "" {
			r.RequestURI = r.URL.RequestURI()
		}
		tw := &trackingWriter{w: w, inv: inv, header: http.Header{}}
		defer func() {
			v := recover()
			if v == nil {
				return
			}
			perr := &PanicError{Value: v, Stack: debug.Stack()}
			inv.panicErr.Store(perr)
			if v != http.ErrAbortHandler {
				logger.ErrorContext(r.Context(), "handler panicked",
					slog.String("method", r.Method),
					slog.String("path", r.URL.Path),
					slog.String("panic", fmt.Sprint(v)),
					slog.String("stack", string(perr.Stack)))
			}
		}()
		h.ServeHTTP(tw, r)
		if !tw.wroteHeader {
			tw.WriteHeader(http.StatusOK)
		}
	})
}

// trackingWriter stands between the handler and the adapter's writer. It
// gives the handler its own header map and copies it over when the status is
// fixed, so that later changes neither reach the client (as in net/http) nor
// race with lambdaurl, which reads the map it was given after WriteHeader. It
// marks the invocation as started before passing the first write on, and
// drops 1xx statuses because a Lambda response has no interim responses.
type trackingWriter struct {
	w           http.ResponseWriter
	inv         *invocation
	header      http.Header
	wroteHeader bool
}

func (w *trackingWriter) Header() http.Header { return w.header }

func (w *trackingWriter) WriteHeader(code int) {
	// Same check and message as net/http, which also panics here.
	if code < 100 || code > 999 {
		panic(fmt.Sprintf("invalid WriteHeader code %v", code))
	}
	if code < 200 || w.wroteHeader {
		return
	}
	w.wroteHeader = true
	dst := w.w.Header()
	for k, v := range w.header.Clone() {
		dst[k] = v
	}
	w.inv.started.Store(true)
	w.w.WriteHeader(code)
}

func (w *trackingWriter) Write(p []byte) (int, error) {
	if !w.wroteHeader {
		w.WriteHeader(http.StatusOK)
	}
	return w.w.Write(p)
}

// Unwrap lets http.ResponseController reach the adapter's writer.
func (w *trackingWriter) Unwrap() http.ResponseWriter { return w.w }
