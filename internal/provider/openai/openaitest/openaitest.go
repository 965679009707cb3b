// Package openaitest runs loopback fakes of OpenAI-wire upstreams (OpenAI,
// the compatible family, Azure OpenAI) for tests: an httptest server on
// 127.0.0.1 that records every call it gets and answers with canned replies
// in the real wire format, streams included.
//
// Replies are plain http.HandlerFuncs, so a test can script anything; the
// helpers here cover the usual ones (JSON, SSE events written and flushed
// one by one, a handler that hangs until the caller goes away).
package openaitest

import (
	"bytes"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

// Call is one request the fake received.
type Call struct {
	Method string
	Path   string
	// Query is the raw query string (Azure's api-version).
	Query  string
	Header http.Header
	Body   []byte
}

// Field returns the raw JSON of a top-level member of the call's body, or
// nil when the body has no such member.
func (c *Call) Field(name string) json.RawMessage {
	var m map[string]json.RawMessage
	if json.Unmarshal(c.Body, &m) != nil {
		return nil
	}
	return m[name]
}

// Server is a recording fake upstream.
type Server struct {
	// URL is the server's base URL, http://127.0.0.1:port.
	URL string

	srv   *httptest.Server
	mu    sync.Mutex
	calls []Call
	reply http.HandlerFunc
	conns atomic.Int64
}

// NewServer starts a fake that records each call and answers it with reply.
// The server is closed when the test ends.
func NewServer(t testing.TB, reply http.HandlerFunc) *Server {
	t.Helper()
	s := &Server{reply: reply}
	s.srv = httptest.NewUnstartedServer(http.HandlerFunc(s.serve))
	s.srv.Config.ConnState = func(_ net.Conn, st http.ConnState) {
		if st == http.StateNew {
			s.conns.Add(1)
		}
	}
	s.srv.Start()
	s.URL = s.srv.URL
	t.Cleanup(s.srv.Close)
	return s
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	s.calls = append(s.calls, Call{Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery, Header: r.Header.Clone(), Body: body})
	s.mu.Unlock()
	// Replies may read the body too (to script answers by model or stream).
	r.Body = io.NopCloser(bytes.NewReader(body))
	s.reply(w, r)
}

// Calls returns the calls received so far.
func (s *Server) Calls() []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Call(nil), s.calls...)
}

// Last returns the most recent call; it fails the test when there is none.
func (s *Server) Last(t testing.TB) Call {
	t.Helper()
	calls := s.Calls()
	if len(calls) == 0 {
		t.Fatal("the upstream received no call")
	}
	return calls[len(calls)-1]
}

// Connections returns how many TCP connections clients have opened.
func (s *Server) Connections() int64 { return s.conns.Load() }

// CloseClientConnections drops every open connection, as a crashing or
// restarting upstream would.
func (s *Server) CloseClientConnections() { s.srv.CloseClientConnections() }

// JSON answers with status and a JSON body, plus headers given as name,
// value pairs: JSON(429, body, "Retry-After", "7").
func JSON(status int, body string, headers ...string) http.HandlerFunc {
	if len(headers)%2 != 0 {
		panic("openaitest.JSON: headers must come in name, value pairs")
	}
	return func(w http.ResponseWriter, r *http.Request) {
		for i := 0; i < len(headers); i += 2 {
			w.Header().Add(headers[i], headers[i+1])
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body)
	}
}

// SSE answers 200 with a text/event-stream body: each event is the JSON of
// one data: line (or a raw event when it starts with "event:", "data:" or
// ":"), written and flushed on its own so the client sees them arrive one
// by one.
func SSE(events ...string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		StartSSE(w)
		for _, e := range events {
			WriteEvent(w, e)
		}
	}
}

// StartSSE writes the headers of an event stream and flushes them.
func StartSSE(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusOK)
	_ = http.NewResponseController(w).Flush()
}

// WriteEvent writes one event and flushes it. A JSON payload (or [DONE]) is
// framed as "data: ...\n\n"; a string that already starts with a field
// name or a comment is written as it is.
func WriteEvent(w http.ResponseWriter, e string) {
	if !strings.HasPrefix(e, "data:") && !strings.HasPrefix(e, "event:") && !strings.HasPrefix(e, ":") {
		e = "data: " + e + "\n\n"
	}
	_, _ = io.WriteString(w, e)
	_ = http.NewResponseController(w).Flush()
}

// Hang answers nothing until the caller cancels the request. It closes
// started (if not nil) when the request arrives and cancelled once it has
// seen the request's context end, so a test can wait for both without
// sleeping.
func Hang(started, cancelled chan<- struct{}) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if started != nil {
			close(started)
		}
		<-r.Context().Done()
		if cancelled != nil {
			close(cancelled)
		}
	}
}
