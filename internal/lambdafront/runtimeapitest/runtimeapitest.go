// Package runtimeapitest is a loopback fake of the AWS Lambda Runtime API for
// end-to-end tests of real bootstrap binaries, streamed responses included.
//
// It serves the paths a custom runtime uses (GET .../invocation/next,
// POST .../invocation/{id}/response and .../error, POST .../init/error) and
// hands each response to the test while the runtime is still sending it, one
// read at a time, together with the request headers and, once the body has
// ended, its trailers. The official runtime interface emulator would buffer a
// streamed response and so could not show that chunks leave the function as
// they are written.
//
// Only what the tests need is modelled: invocations are served in the order
// they were queued, deadlines are reported but not enforced, and there is no
// Extensions API.
//
// The Runtime API is documented in the Lambda developer guide, "Using the
// Lambda runtime API for custom runtimes" and "Response streaming for custom
// runtimes".
package runtimeapitest

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"time"
)

const (
	apiPrefix = "/2018-06-01/runtime"

	// HeaderResponseMode is the request header a custom runtime may send
	// with a streamed response. aws-lambda-go does not send it: it streams
	// with chunked transfer encoding alone.
	HeaderResponseMode = "Lambda-Runtime-Function-Response-Mode"
	// TrailerErrorType and TrailerErrorBody carry the error that ended a
	// streamed response; the body is base64-encoded JSON.
	TrailerErrorType = "Lambda-Runtime-Function-Error-Type"
	TrailerErrorBody = "Lambda-Runtime-Function-Error-Body"

	// DefaultFunctionARN is the ARN Invoke reports when none is given.
	DefaultFunctionARN = "arn:aws:lambda:us-east-1:123456789012:function:tollgate-test"

	maxErrorBody = 1 << 20
)

// ErrClosed is returned by Result when the server closes before the runtime
// answers.
var ErrClosed = errors.New("runtimeapitest: server closed")

// Server is a running fake Runtime API.
type Server struct {
	srv    *httptest.Server
	queue  chan *Invocation
	closed chan struct{}
	once   sync.Once
	polled chan struct{}
	poll   sync.Once

	mu       sync.Mutex
	byID     map[string]*Invocation
	pipes    []*io.PipeWriter
	initErrs []ErrorReport
	nextID   int
}

// NewServer starts a fake Runtime API on a loopback port. Close it when done.
func NewServer() *Server {
	s := &Server{
		queue:  make(chan *Invocation, 64),
		closed: make(chan struct{}),
		polled: make(chan struct{}),
		byID:   map[string]*Invocation{},
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+apiPrefix+"/invocation/next", s.next)
	mux.HandleFunc("POST "+apiPrefix+"/invocation/{id}/response", s.response)
	mux.HandleFunc("POST "+apiPrefix+"/invocation/{id}/error", s.invocationError)
	mux.HandleFunc("POST "+apiPrefix+"/init/error", s.initError)
	s.srv = httptest.NewServer(mux)
	return s
}

// Addr is the host:port to put in AWS_LAMBDA_RUNTIME_API.
func (s *Server) Addr() string { return strings.TrimPrefix(s.srv.URL, "http://") }

// Env returns the environment Lambda gives a function process, pointed at
// this server. A test appends its own variables.
func (s *Server) Env(functionName string) []string {
	return []string{
		"AWS_LAMBDA_RUNTIME_API=" + s.Addr(),
		"AWS_LAMBDA_FUNCTION_NAME=" + functionName,
		"AWS_LAMBDA_FUNCTION_VERSION=$LATEST",
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE=128",
		"AWS_LAMBDA_LOG_GROUP_NAME=/aws/lambda/" + functionName,
		"AWS_LAMBDA_LOG_STREAM_NAME=2026/11/21/[$LATEST]00000000000000000000000000000000",
		"AWS_LAMBDA_INITIALIZATION_TYPE=on-demand",
		"AWS_EXECUTION_ENV=AWS_Lambda_provided.al2023",
		"AWS_REGION=us-east-1",
		"AWS_DEFAULT_REGION=us-east-1",
		"_HANDLER=bootstrap",
		"TZ=:UTC",
	}
}

// Close stops the server. Responses still being read end with ErrClosed.
func (s *Server) Close() {
	s.once.Do(func() {
		close(s.closed)
		s.mu.Lock()
		for _, p := range s.pipes {
			p.CloseWithError(ErrClosed)
		}
		s.mu.Unlock()
		// A runtime may be in the middle of a POST; closing its connection
		// stops the server from waiting for the rest of that body.
		s.srv.CloseClientConnections()
		s.srv.Close()
	})
}

// Polled is closed when the runtime first asks for an invocation: the end
// of the function's init phase, which Lambda reports as Init Duration.
func (s *Server) Polled() <-chan struct{} { return s.polled }

// InitErrors returns the errors posted to /init/error so far.
func (s *Server) InitErrors() []ErrorReport {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]ErrorReport(nil), s.initErrs...)
}

// InvokeOptions are the optional settings of one invocation.
type InvokeOptions struct {
	// Timeout sets the deadline reported to the runtime; zero means one
	// minute.
	Timeout time.Duration
	// FunctionARN is reported as the invoked function ARN; empty means
	// DefaultFunctionARN.
	FunctionARN string
	// TraceID is sent as Lambda-Runtime-Trace-Id when set.
	TraceID string
}

// Invoke queues an invocation with the given event JSON. The runtime
// receives it on its next GET .../invocation/next. opts may be nil.
func (s *Server) Invoke(event []byte, opts *InvokeOptions) *Invocation {
	var o InvokeOptions
	if opts != nil {
		o = *opts
	}
	if o.Timeout == 0 {
		o.Timeout = time.Minute
	}
	if o.FunctionARN == "" {
		o.FunctionARN = DefaultFunctionARN
	}
	s.mu.Lock()
	s.nextID++
	id := fmt.Sprintf("00000000-0000-4000-8000-%012d", s.nextID)
	s.mu.Unlock()
	inv := &Invocation{
		ID:      id,
		Event:   bytes.Clone(event),
		opts:    o,
		taken:   make(chan struct{}),
		results: make(chan *Result, 1),
	}
	s.queue <- inv
	return inv
}

// Invocation is one queued invocation.
type Invocation struct {
	// ID is the Lambda-Runtime-Aws-Request-Id of the invocation.
	ID string
	// Event is the payload the runtime receives.
	Event []byte

	opts     InvokeOptions
	taken    chan struct{}
	answered bool // guarded by Server.mu
	results  chan *Result
}

// Taken is closed once the runtime has fetched the invocation.
func (inv *Invocation) Taken() <-chan struct{} { return inv.taken }

// Result waits until the runtime starts to answer the invocation and returns
// that answer. For a response it returns as soon as the request headers have
// arrived; the body streams in through Result.Body.
func (inv *Invocation) Result(ctx context.Context) (*Result, error) {
	select {
	case r := <-inv.results:
		return r, nil
	case <-ctx.Done():
		return nil, fmt.Errorf("waiting for the answer to invocation %s: %w", inv.ID, ctx.Err())
	}
}

// Result is the runtime's answer to one invocation.
type Result struct {
	// Err is the function error posted to .../error; nil for a response.
	Err *ErrorReport
	// Header holds the headers of the runtime's POST.
	Header http.Header
	// Chunked reports whether the runtime sent the response with chunked
	// transfer encoding, so that its bytes could flow while the function
	// still wrote them. aws-lambda-go sends every response this way (it
	// always declares the error trailers); whether Lambda streams it on is
	// decided by how the function was invoked, not by the runtime.
	Chunked bool
	// ResponseMode is the Lambda-Runtime-Function-Response-Mode header
	// ("streaming" or empty).
	ResponseMode string
	// Body yields the response bytes as the runtime sends them: each Read
	// returns what one read of the request body returned, so a test can see
	// chunks arrive one by one. It is empty for an error.
	Body io.Reader

	done    chan struct{}
	mu      sync.Mutex
	trailer http.Header
}

// Done is closed once the runtime has sent the whole response, that is when
// the invocation ends.
func (r *Result) Done() <-chan struct{} { return r.done }

// Trailer returns the trailers sent after the body. It is complete once
// Body has returned io.EOF.
func (r *Result) Trailer() http.Header {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.trailer.Clone()
}

// StreamError decodes the error the runtime reported in the trailers of a
// streamed response, or returns nil when it reported none. Call it after
// Body has returned io.EOF.
func (r *Result) StreamError() (*ErrorReport, error) {
	tr := r.Trailer()
	typ, body := tr.Get(TrailerErrorType), tr.Get(TrailerErrorBody)
	if typ == "" && body == "" {
		return nil, nil
	}
	b, err := base64.StdEncoding.DecodeString(body)
	if err != nil {
		return nil, fmt.Errorf("decoding %s: %w", TrailerErrorBody, err)
	}
	var rep ErrorReport
	if err := json.Unmarshal(b, &rep); err != nil {
		return nil, fmt.Errorf("decoding %s JSON: %w", TrailerErrorBody, err)
	}
	if rep.Type == "" {
		rep.Type = typ
	}
	return &rep, nil
}

// ErrorReport is an error a runtime reports, in the Runtime API's JSON form.
type ErrorReport struct {
	Type       string          `json:"errorType"`
	Message    string          `json:"errorMessage"`
	StackTrace json.RawMessage `json:"stackTrace,omitempty"`
}

func (s *Server) next(w http.ResponseWriter, r *http.Request) {
	s.poll.Do(func() { close(s.polled) })
	select {
	case inv := <-s.queue:
		s.mu.Lock()
		s.byID[inv.ID] = inv
		s.mu.Unlock()
		h := w.Header()
		h.Set("Content-Type", "application/json")
		h.Set("Lambda-Runtime-Aws-Request-Id", inv.ID)
		h.Set("Lambda-Runtime-Deadline-Ms", strconv.FormatInt(time.Now().Add(inv.opts.Timeout).UnixMilli(), 10))
		h.Set("Lambda-Runtime-Invoked-Function-Arn", inv.opts.FunctionARN)
		if inv.opts.TraceID != "" {
			h.Set("Lambda-Runtime-Trace-Id", inv.opts.TraceID)
		}
		close(inv.taken)
		_, _ = w.Write(inv.Event)
	case <-r.Context().Done():
	case <-s.closed:
		w.WriteHeader(http.StatusServiceUnavailable)
	}
}

// claim returns the invocation the runtime is answering, or writes the
// Runtime API's 400 and returns nil when there is none or it was answered.
func (s *Server) claim(w http.ResponseWriter, r *http.Request) *Invocation {
	s.mu.Lock()
	defer s.mu.Unlock()
	inv, ok := s.byID[r.PathValue("id")]
	switch {
	case !ok:
		writeAPIError(w, http.StatusBadRequest, "InvalidRequestID", "unknown request ID "+r.PathValue("id"))
		return nil
	case inv.answered:
		writeAPIError(w, http.StatusBadRequest, "InvalidStateTransition", "invocation "+inv.ID+" was already answered")
		return nil
	}
	inv.answered = true
	return inv
}

func (s *Server) response(w http.ResponseWriter, r *http.Request) {
	inv := s.claim(w, r)
	if inv == nil {
		return
	}
	pr, pw := io.Pipe()
	res := &Result{
		Header:       r.Header.Clone(),
		Chunked:      isChunked(r),
		ResponseMode: r.Header.Get(HeaderResponseMode),
		Body:         pr,
		done:         make(chan struct{}),
	}
	s.mu.Lock()
	s.pipes = append(s.pipes, pw)
	s.mu.Unlock()
	inv.results <- res

	// The pipe has no buffer: each read of the request body reaches the test
	// before the next one is made.
	_, err := io.Copy(pw, r.Body)
	res.mu.Lock()
	res.trailer = r.Trailer.Clone()
	res.mu.Unlock()
	pw.CloseWithError(err)
	close(res.done)
	if err != nil {
		writeAPIError(w, http.StatusBadRequest, "InvalidResponse", err.Error())
		return
	}
	w.WriteHeader(http.StatusAccepted)
}

func isChunked(r *http.Request) bool {
	for _, te := range r.TransferEncoding {
		if te == "chunked" {
			return true
		}
	}
	return false
}

func (s *Server) invocationError(w http.ResponseWriter, r *http.Request) {
	inv := s.claim(w, r)
	if inv == nil {
		return
	}
	rep, err := readErrorReport(r)
	if err != nil {
		writeAPIError(w, http.StatusBadRequest, "InvalidErrorReport", err.Error())
		return
	}
	done := make(chan struct{})
	close(done)
	inv.results <- &Result{Err: rep, Header: r.Header.Clone(), Body: bytes.NewReader(nil), done: done}
	w.WriteHeader(http.StatusAccepted)
}

func (s *Server) initError(w http.ResponseWriter, r *http.Request) {
	rep, err := readErrorReport(r)
	if err != nil {
		writeAPIError(w, http.StatusBadRequest, "InvalidErrorReport", err.Error())
		return
	}
	s.mu.Lock()
	s.initErrs = append(s.initErrs, *rep)
	s.mu.Unlock()
	w.WriteHeader(http.StatusAccepted)
}

// readErrorReport decodes an error body. A runtime may also name the type in
// the Lambda-Runtime-Function-Error-Type header.
func readErrorReport(r *http.Request) (*ErrorReport, error) {
	b, err := io.ReadAll(io.LimitReader(r.Body, maxErrorBody))
	if err != nil {
		return nil, fmt.Errorf("reading error report: %w", err)
	}
	var rep ErrorReport
	if len(bytes.TrimSpace(b)) > 0 {
		if err := json.Unmarshal(b, &rep); err != nil {
			return nil, fmt.Errorf("decoding error report: %w", err)
		}
	}
	if rep.Type == "" {
		rep.Type = r.Header.Get(TrailerErrorType)
	}
	return &rep, nil
}

func writeAPIError(w http.ResponseWriter, status int, typ, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(ErrorReport{Type: typ, Message: msg})
}
