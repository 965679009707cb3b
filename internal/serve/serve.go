// Package serve runs a handler tree as an ordinary HTTP server, which is how
// every function binary runs outside Lambda (local mode, containers,
// benchmarks). It speaks HTTP/1.1 and unencrypted HTTP/2 (h2c, with prior
// knowledge) on one port and shuts down gracefully when its context ends.
//
// A client cannot hold a connection for free: the server bounds the time to
// send request headers (ReadHeaderTimeout), to send the whole request, body
// included (ReadTimeout), and to send the next request on a kept-alive
// connection (IdleTimeout). What it never bounds is the response: a model
// stream may run for many minutes. net/http lifts the read deadline once
// the body has been read (HTTP/1.1 clears it before its background read;
// HTTP/2 applies it to the request body only), so ReadTimeout does not cut a
// stream; WriteTimeout would, and is deliberately not set. Instead each
// write to the client gets WriteIdleTimeout to complete (a per-write
// deadline set through http.ResponseController), so a client that stops
// reading cannot hold its handler, and the upstream call behind it, for
// good, while one that keeps reading is never cut.
package serve

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"
)

// Defaults for the zero Options fields.
const (
	DefaultReadHeaderTimeout = 10 * time.Second
	// DefaultReadTimeout leaves a minute for a request body: requests are
	// JSON of at most a few MiB (images and audio included), which even a
	// slow client sends in seconds.
	DefaultReadTimeout = time.Minute
	// DefaultIdleTimeout closes a kept-alive connection that sends no new
	// request for a minute, less than the 350 s after which an AWS NAT
	// gateway or load balancer drops it silently.
	DefaultIdleTimeout = time.Minute
	// DefaultWriteIdleTimeout gives each write to the client a minute to
	// make progress.
	DefaultWriteIdleTimeout = time.Minute
	// DefaultShutdownTimeout leaves streams in flight time to finish while
	// staying under the 30 s that container platforms (ECS, Kubernetes)
	// allow between SIGTERM and SIGKILL.
	DefaultShutdownTimeout = 25 * time.Second
)

// Options configure Run and Serve.
type Options struct {
	// Addr is the address Run listens on, such as "127.0.0.1:4000".
	Addr string
	// Logger receives the listening address, shutdown progress and the
	// server's own errors; nil means slog.Default().
	Logger *slog.Logger
	// ReadHeaderTimeout bounds how long a client may take to send request
	// headers; zero means DefaultReadHeaderTimeout.
	ReadHeaderTimeout time.Duration
	// ReadTimeout bounds how long a client may take to send a whole
	// request, body included; zero means DefaultReadTimeout. The response,
	// however long, is not bounded.
	ReadTimeout time.Duration
	// IdleTimeout closes a kept-alive connection with no request for this
	// long; zero means DefaultIdleTimeout.
	IdleTimeout time.Duration
	// WriteIdleTimeout bounds each write of a response to the client (not
	// the response as a whole); zero means DefaultWriteIdleTimeout.
	WriteIdleTimeout time.Duration
	// ShutdownTimeout bounds how long a shutdown waits for requests in
	// flight before it closes their connections; zero means
	// DefaultShutdownTimeout.
	ShutdownTimeout time.Duration
}

// Run listens on opts.Addr and serves h until ctx ends (see Serve).
func Run(ctx context.Context, h http.Handler, opts Options) error {
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", opts.Addr)
	if err != nil {
		return fmt.Errorf("listening on %s: %w", opts.Addr, err)
	}
	return Serve(ctx, ln, h, opts)
}

// Serve serves h on ln until ctx ends, then stops accepting connections and
// waits up to opts.ShutdownTimeout for requests in flight, closing whatever
// is still open after that. It returns nil after a clean shutdown, and an
// error if serving failed or the shutdown ran out of time. Serve closes ln.
func Serve(ctx context.Context, ln net.Listener, h http.Handler, opts Options) error {
	logger := opts.Logger
	if logger == nil {
		logger = slog.Default()
	}
	readHeader := orDefault(opts.ReadHeaderTimeout, DefaultReadHeaderTimeout)
	readBody := orDefault(opts.ReadTimeout, DefaultReadTimeout)
	idle := orDefault(opts.IdleTimeout, DefaultIdleTimeout)
	writeIdle := orDefault(opts.WriteIdleTimeout, DefaultWriteIdleTimeout)
	shutdownAfter := orDefault(opts.ShutdownTimeout, DefaultShutdownTimeout)

	var protocols http.Protocols
	protocols.SetHTTP1(true)
	protocols.SetUnencryptedHTTP2(true)
	srv := &http.Server{
		Handler:           writeDeadlines(h, writeIdle),
		Protocols:         &protocols,
		ReadHeaderTimeout: readHeader,
		ReadTimeout:       readBody,
		IdleTimeout:       idle,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
		// Requests inherit ctx's values (but not its end: the shutdown, not
		// the signal, decides when they stop).
		BaseContext: func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}

	addr := ln.Addr().String()
	logger.InfoContext(ctx, "listening", slog.String("addr", addr))
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()

	select {
	case err := <-served:
		return fmt.Errorf("serving on %s: %w", addr, err)
	case <-ctx.Done():
	}

	logger.InfoContext(ctx, "shutting down", slog.String("addr", addr), slog.String("timeout", shutdownAfter.String()))
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownAfter)
	defer cancel()
	shutdownErr := srv.Shutdown(sctx)
	if shutdownErr != nil {
		// Out of time: cut the remaining connections.
		_ = srv.Close()
	}
	// Shutdown makes Serve return at once, so wait for the goroutine too.
	if err := <-served; !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serving on %s: %w", addr, err)
	}
	if shutdownErr != nil {
		return fmt.Errorf("shutting down %s: %w", addr, shutdownErr)
	}
	logger.InfoContext(ctx, "stopped", slog.String("addr", addr))
	return nil
}

func orDefault(d, def time.Duration) time.Duration {
	if d == 0 {
		return def
	}
	return d
}

// writeDeadlines gives every write of a response d to complete: a write
// deadline is set before each write or flush and cleared after it. Cleared,
// not left to run: on HTTP/2 a write deadline that passes resets the
// stream even while nothing is being written, which would cut a stream
// that pauses (a model thinking) for longer than d.
func writeDeadlines(h http.Handler, d time.Duration) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.ServeHTTP(&deadlineWriter{ResponseWriter: w, rc: http.NewResponseController(w), d: d}, r)
	})
}

// deadlineWriter bounds each write. Optional features (Flush,
// SetReadDeadline, ...) are reached through Unwrap by
// http.ResponseController, which every handler here uses.
type deadlineWriter struct {
	http.ResponseWriter
	rc *http.ResponseController
	d  time.Duration
}

func (w *deadlineWriter) Write(p []byte) (int, error) {
	_ = w.rc.SetWriteDeadline(time.Now().Add(w.d))
	n, err := w.ResponseWriter.Write(p)
	_ = w.rc.SetWriteDeadline(time.Time{})
	return n, err
}

// FlushError is what http.ResponseController.Flush calls.
func (w *deadlineWriter) FlushError() error {
	_ = w.rc.SetWriteDeadline(time.Now().Add(w.d))
	err := w.rc.Flush()
	_ = w.rc.SetWriteDeadline(time.Time{})
	return err
}

func (w *deadlineWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
