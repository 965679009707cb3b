package runtimeapitest_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tollgate-gw/tollgate/internal/lambdafront/runtimeapitest"
)

// runtimeClient plays the part of a custom runtime, speaking plain HTTP.
type runtimeClient struct {
	t    *testing.T
	base string
}

func (c runtimeClient) next() (id string, header http.Header, event string) {
	c.t.Helper()
	resp, err := http.Get(c.base + "/invocation/next")
	if err != nil {
		c.t.Fatalf("GET next: %v", err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		c.t.Fatalf("GET next: %d %s %v", resp.StatusCode, b, err)
	}
	return resp.Header.Get("Lambda-Runtime-Aws-Request-Id"), resp.Header, string(b)
}

func (c runtimeClient) post(path string, body io.Reader, trailer http.Header, header http.Header) int {
	c.t.Helper()
	req, err := http.NewRequest(http.MethodPost, c.base+path, body)
	if err != nil {
		c.t.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	req.Trailer = trailer
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatalf("POST %s: %v", path, err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

func newServer(t *testing.T) (*runtimeapitest.Server, runtimeClient) {
	s := runtimeapitest.NewServer()
	t.Cleanup(s.Close)
	return s, runtimeClient{t: t, base: "http://" + s.Addr() + "/2018-06-01/runtime"}
}

func TestNextCarriesInvocation(t *testing.T) {
	s, rt := newServer(t)
	before := time.Now()
	inv := s.Invoke([]byte(`{"hello":"world"}`), &runtimeapitest.InvokeOptions{Timeout: time.Hour, TraceID: "Root=1-abc"})
	id, h, event := rt.next()
	<-inv.Taken()
	if id != inv.ID || event != `{"hello":"world"}` {
		t.Errorf("next gave id %q event %q, want %q and the queued event", id, event, inv.ID)
	}
	ms, err := strconv.ParseInt(h.Get("Lambda-Runtime-Deadline-Ms"), 10, 64)
	if err != nil || time.UnixMilli(ms).Before(before.Add(time.Hour-time.Second)) {
		t.Errorf("deadline header %q is not an hour ahead", h.Get("Lambda-Runtime-Deadline-Ms"))
	}
	if got := h.Get("Lambda-Runtime-Invoked-Function-Arn"); got != runtimeapitest.DefaultFunctionARN {
		t.Errorf("function ARN %q", got)
	}
	if got := h.Get("Lambda-Runtime-Trace-Id"); got != "Root=1-abc" {
		t.Errorf("trace ID %q", got)
	}
}

// TestStreamedResponse checks that the test sees each chunk before the
// runtime sends the next, and the error trailers after the last.
func TestStreamedResponse(t *testing.T) {
	s, rt := newServer(t)
	inv := s.Invoke([]byte(`{}`), nil)
	id, _, _ := rt.next()

	pr, pw := io.Pipe()
	errBody := base64.StdEncoding.EncodeToString([]byte(`{"errorType":"PanicError","errorMessage":"boom"}`))
	trailer := http.Header{runtimeapitest.TrailerErrorType: nil, runtimeapitest.TrailerErrorBody: nil}
	status := make(chan int, 1)
	go func() {
		status <- rt.post("/invocation/"+id+"/response", pr, trailer, http.Header{
			"Content-Type":                    {"application/vnd.awslambda.http-integration-response"},
			runtimeapitest.HeaderResponseMode: {"streaming"},
		})
	}()

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	res, err := inv.Result(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !res.Chunked || res.ResponseMode != "streaming" {
		t.Errorf("Chunked %v, ResponseMode %q", res.Chunked, res.ResponseMode)
	}
	for _, chunk := range []string{"first", "second"} {
		// The runtime has not finished its request, yet the chunk is readable.
		wrote := make(chan error, 1)
		go func() { _, err := io.WriteString(pw, chunk); wrote <- err }()
		got := make([]byte, len(chunk))
		if _, err := io.ReadFull(res.Body, got); err != nil || string(got) != chunk {
			t.Fatalf("read %q, %v; want %q", got, err, chunk)
		}
		if err := <-wrote; err != nil {
			t.Fatal(err)
		}
		select {
		case <-res.Done():
			t.Fatal("invocation ended while the runtime was still sending")
		default:
		}
	}
	trailer.Set(runtimeapitest.TrailerErrorType, "PanicError")
	trailer.Set(runtimeapitest.TrailerErrorBody, errBody)
	pw.Close()
	if rest, err := io.ReadAll(res.Body); err != nil || len(rest) != 0 {
		t.Fatalf("after the last chunk: %q, %v", rest, err)
	}
	<-res.Done()
	rep, err := res.StreamError()
	if err != nil || rep == nil || rep.Type != "PanicError" || rep.Message != "boom" {
		t.Errorf("StreamError() = %+v, %v", rep, err)
	}
	if got := <-status; got != http.StatusAccepted {
		t.Errorf("response POST answered %d, want 202", got)
	}
	if got := rt.post("/invocation/"+id+"/response", strings.NewReader("again"), nil, nil); got != http.StatusBadRequest {
		t.Errorf("second answer got %d, want 400", got)
	}
}

func TestErrors(t *testing.T) {
	s, rt := newServer(t)
	inv := s.Invoke([]byte(`{}`), nil)
	id, _, _ := rt.next()
	report := `{"errorType":"PanicError","errorMessage":"boom","stackTrace":[]}`
	if got := rt.post("/invocation/"+id+"/error", strings.NewReader(report), nil, nil); got != http.StatusAccepted {
		t.Fatalf("error POST answered %d", got)
	}
	res, err := inv.Result(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if res.Err == nil || res.Err.Type != "PanicError" || res.Err.Message != "boom" || string(res.Err.StackTrace) != "[]" {
		t.Errorf("Err = %+v", res.Err)
	}
	if got := rt.post("/invocation/unknown/response", strings.NewReader("x"), nil, nil); got != http.StatusBadRequest {
		t.Errorf("unknown ID got %d, want 400", got)
	}
	if got := rt.post("/invocation/"+id+"/error", strings.NewReader("not json"), nil, nil); got != http.StatusBadRequest {
		t.Errorf("answer after error got %d, want 400", got)
	}
	if got := rt.post("/init/error", strings.NewReader(`{"errorMessage":"no config"}`), nil,
		http.Header{runtimeapitest.TrailerErrorType: {"Runtime.ConfigError"}}); got != http.StatusAccepted {
		t.Errorf("init error POST answered %d", got)
	}
	want, _ := json.Marshal([]runtimeapitest.ErrorReport{{Type: "Runtime.ConfigError", Message: "no config"}})
	if got, _ := json.Marshal(s.InitErrors()); string(got) != string(want) {
		t.Errorf("InitErrors() = %s, want %s", got, want)
	}
}

// TestCloseUnblocks checks that Close ends a response nobody reads and a
// runtime waiting for work.
func TestCloseUnblocks(t *testing.T) {
	s, rt := newServer(t)
	inv := s.Invoke([]byte(`{}`), nil)
	id, _, _ := rt.next()
	pr, pw := io.Pipe()
	posted := make(chan struct{})
	go func() {
		defer close(posted)
		req, _ := http.NewRequest(http.MethodPost, rt.base+"/invocation/"+id+"/response", pr)
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
		}
	}()
	go func() { _, _ = io.WriteString(pw, "never read") }()
	res, err := inv.Result(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	waiting := make(chan int, 1)
	go func() {
		resp, err := http.Get(rt.base + "/invocation/next")
		if err != nil {
			waiting <- 0
			return
		}
		resp.Body.Close()
		waiting <- resp.StatusCode
	}()
	s.Close()
	pw.Close()
	<-posted
	if _, err := io.ReadAll(res.Body); err != runtimeapitest.ErrClosed {
		t.Errorf("reading after Close: %v, want ErrClosed", err)
	}
	if got := <-waiting; got == http.StatusOK {
		t.Errorf("next answered 200 after Close")
	}
}

func TestSplitStream(t *testing.T) {
	const nul8 = "\x00\x00\x00\x00\x00\x00\x00\x00"
	tests := []struct {
		name, in, status, contentType, cookie, body string
		wantErr                                     bool
	}{
		{name: "function URL", in: `{"statusCode":201,"headers":{"Content-Type":"text/event-stream"},"cookies":["a=1"]}` + nul8 + "data: 1\n\n",
			status: "201", contentType: "text/event-stream", cookie: "a=1", body: "data: 1\n\n"},
		{name: "REST", in: `{"statusCode":200,"multiValueHeaders":{"Content-Type":["application/json"],"X":["a","b"]}}` + nul8 + "{}",
			status: "200", contentType: "application/json", body: "{}"},
		{name: "NUL bytes in the body stay", in: `{"statusCode":200}` + nul8 + nul8, status: "200", body: nul8},
		{name: "no delimiter", in: `{"statusCode":200}`, wantErr: true},
		{name: "prelude not JSON", in: `{"statusCode":` + nul8, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, body, err := runtimeapitest.SplitStream([]byte(tt.in))
			if tt.wantErr {
				if err == nil {
					t.Errorf("SplitStream accepted %q", tt.in)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if strconv.Itoa(p.StatusCode) != tt.status || p.Header("Content-Type") != tt.contentType ||
				strings.Join(p.Cookies, ";") != tt.cookie || string(body) != tt.body {
				t.Errorf("got %+v, body %q", p, body)
			}
		})
	}
}
