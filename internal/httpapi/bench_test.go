package httpapi_test

// Benchmarks of the gateway's hot path, run by `make bench` (see
// docs/performance.md for the figures and how to read them).
//
//   - BenchmarkChat: one non-streaming chat completion through the whole
//     handler tree (middleware, auth, body read, decode, route, the adapter,
//     encode, log line), against the built-in fake at zero latency, against
//     the real OpenAI adapter over an in-memory transport, and over loopback
//     TCP with a "direct" sub-benchmark as the floor to subtract.
//   - BenchmarkApp: the same request through the handler tree exactly as
//     internal/app assembles it from testdata/bench/loadtest.yaml (identity,
//     admission, spend accounting, the embedded store in a temporary
//     directory), against a loopback upstream: what local mode pays.
//   - BenchmarkChatStream: a streamed completion relayed chunk by chunk;
//     besides the per-request figures it reports ns/chunk, B/chunk and
//     allocs/chunk (per event written to the client, [DONE] excluded).
//   - BenchmarkServed: the same request end to end over loopback TCP,
//     client → server → upstream, for the upstream alone ("direct"), a bare
//     httputil.ReverseProxy hop ("refproxy", the floor of ../shared/bench)
//     and Tollgate: the in-process counterpart of the load test, and the
//     benchmark to take CPU profiles from (-cpuprofile).
//   - BenchmarkStages: the same steps one at a time, to see where a
//     request's time and allocations go.
//
// The writer is a reusable sink rather than an httptest.ResponseRecorder, so
// the figures are the gateway's own cost, not the recorder's buffer growth;
// each benchmark checks its first response with a real recorder.

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tollgate-gw/tollgate/internal/app"
	"github.com/tollgate-gw/tollgate/internal/auth"
	"github.com/tollgate-gw/tollgate/internal/httpapi"
	"github.com/tollgate-gw/tollgate/internal/httpclient"
	"github.com/tollgate-gw/tollgate/internal/provider"
	"github.com/tollgate-gw/tollgate/internal/provider/fake"
	"github.com/tollgate-gw/tollgate/internal/provider/openai"
	"github.com/tollgate-gw/tollgate/internal/provider/openai/openaitest"
	"github.com/tollgate-gw/tollgate/internal/router"
	oai "github.com/tollgate-gw/tollgate/internal/wire/openai"
)

const benchKey = "sk-bench-master-key"

// benchBody is the request the shared load harness (bench/run.sh) sends.
const benchBody = `{"model":"gpt-4o-mini","messages":[{"role":"system","content":"You are a helpful assistant."},` +
	`{"role":"user","content":"Say hello and tell me a short fact about benchmarks."}],"max_tokens":64,"temperature":0.2}`

var benchStreamBody = strings.Replace(benchBody, `{`, `{"stream":true,"stream_options":{"include_usage":true},`, 1)

// newGateway assembles the data plane the way internal/app does, with one
// deployment "gpt-4o-mini" served by m and the request log going to
// io.Discard through the production JSON handler.
func newGateway(m provider.ChatModel, providerName string) http.Handler {
	rt := router.New([]*router.Deployment{{
		ID: "bench-deployment", Group: "gpt-4o-mini", Provider: providerName, ModelID: "gpt-4o-mini", Model: m,
	}}, nil)
	dp := httpapi.NewDataPlane(rt, auth.NewMasterKey(benchKey), &httpapi.DataPlaneOptions{Created: time.Unix(1700000000, 0)})
	mux := http.NewServeMux()
	dp.Register(mux)
	return httpapi.Wrap(mux, slog.New(slog.NewJSONHandler(io.Discard, nil)))
}

// reqBody is a request body that can be rewound, so one *http.Request serves
// every iteration (the server, not the gateway, allocates requests).
type reqBody struct{ bytes.Reader }

func (*reqBody) Close() error { return nil }

type benchRequest struct {
	r    *http.Request
	body *reqBody
	data []byte
}

func newBenchRequest(body string) *benchRequest {
	br := &benchRequest{body: &reqBody{}, data: []byte(body)}
	br.r = httptest.NewRequest(http.MethodPost, "/v1/chat/completions", nil)
	br.r.Header.Set("Authorization", "Bearer "+benchKey)
	br.r.Header.Set("Content-Type", "application/json")
	br.r.ContentLength = int64(len(body))
	return br
}

// next rewinds the body and returns the request.
func (br *benchRequest) next() *http.Request {
	br.body.Reset(br.data)
	br.r.Body = br.body
	return br.r
}

// sink is a ResponseWriter that keeps only what the benchmarks check. It
// can flush, like the real server's writer.
type sink struct {
	h      http.Header
	status int
	bytes  int
	writes int
}

func newSink() *sink { return &sink{h: make(http.Header, 16)} }

func (s *sink) reset() {
	clear(s.h)
	s.status, s.bytes, s.writes = 0, 0, 0
}

func (s *sink) Header() http.Header { return s.h }
func (s *sink) WriteHeader(code int) {
	if s.status == 0 {
		s.status = code
	}
}
func (s *sink) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	s.bytes += len(b)
	s.writes++
	return len(b), nil
}
func (s *sink) Flush() {}

// check serves one request through a real recorder and fails unless it is
// a 200 with wantInBody in it; it returns the body.
func check(b *testing.B, h http.Handler, br *benchRequest, wantInBody string) string {
	b.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, br.next())
	if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), wantInBody) {
		b.Fatalf("status %d, body %.300s; want 200 containing %q", rec.Code, rec.Body, wantInBody)
	}
	return rec.Body.String()
}

// serveLoop runs the request through h for the benchmark's iterations.
func serveLoop(b *testing.B, h http.Handler, br *benchRequest) *sink {
	w := newSink()
	b.ReportAllocs()
	b.SetBytes(int64(len(br.data)))
	for b.Loop() {
		w.reset()
		h.ServeHTTP(w, br.next())
		if w.status != http.StatusOK {
			b.Fatalf("status %d", w.status)
		}
	}
	return w
}

// memTransport answers every request from memory: the reply bytes with the
// given content type, after reading the request body as a server would.
type memTransport struct {
	reply  []byte
	header http.Header
	stream bool
}

func newMemTransport(contentType string, reply []byte) *memTransport {
	return &memTransport{reply: reply, header: http.Header{"Content-Type": {contentType}}, stream: contentType == "text/event-stream"}
}

func (t *memTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Body != nil {
		_, _ = io.Copy(io.Discard, r.Body)
		r.Body.Close()
	}
	n := int64(len(t.reply))
	if t.stream {
		n = -1 // chunked, as real streams are
	}
	return &http.Response{
		StatusCode: http.StatusOK, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header: t.header, ContentLength: n, Request: r,
		Body: io.NopCloser(bytes.NewReader(t.reply)),
	}, nil
}

func newOpenAI(b *testing.B, client *http.Client, base string) *openai.Model {
	b.Helper()
	m, err := openai.New(client, openai.Options{BaseURL: base, APIKey: "sk-upstream", ModelID: "gpt-4o-mini",
		Timeout: time.Minute, StreamTimeout: time.Minute})
	if err != nil {
		b.Fatal(err)
	}
	return m
}

// converseBenchBody is benchBody as a Converse call.
const converseBenchBody = `{"system":[{"text":"You are a helpful assistant."}],` +
	`"messages":[{"role":"user","content":[{"text":"Say hello and tell me a short fact about benchmarks."}]}],` +
	`"inferenceConfig":{"maxTokens":64,"temperature":0.2}}`

// BenchmarkConverse is BenchmarkChat/fake's call as a Bedrock Converse call
// (/bedrock/model/{modelId}/converse): the Converse codec's share of a
// request's CPU.
func BenchmarkConverse(b *testing.B) {
	h := newGateway(fake.New(fake.Options{}), "fake")
	br := newBenchRequest(converseBenchBody)
	br.r.URL.Path = "/bedrock/model/gpt-4o-mini/converse"
	br.r.RequestURI = br.r.URL.Path
	check(b, h, br, `"stopReason"`)
	serveLoop(b, h, br)
}

// BenchmarkChat is one non-streaming chat completion through the full
// handler tree.
func BenchmarkChat(b *testing.B) {
	b.Run("fake", func(b *testing.B) {
		h := newGateway(fake.New(fake.Options{}), "fake")
		br := newBenchRequest(benchBody)
		check(b, h, br, `"chat.completion"`)
		serveLoop(b, h, br)
	})
	b.Run("openai-inmem", func(b *testing.B) {
		client := &http.Client{Transport: newMemTransport("application/json", []byte(openaitest.ChatCompletion))}
		h := newGateway(newOpenAI(b, client, "http://upstream.invalid/v1"), "openai")
		br := newBenchRequest(benchBody)
		check(b, h, br, `"chat.completion"`)
		serveLoop(b, h, br)
	})

	// Over loopback TCP: "gateway" is the handler tree calling a local
	// upstream through the shared transport; "direct" is the same upstream
	// call alone (same client, body and reply), the floor to subtract.
	reply := []byte(openaitest.ChatCompletion)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Length", strconv.Itoa(len(reply)))
		_, _ = w.Write(reply)
	}))
	defer srv.Close()
	client := httpclient.New(nil)
	defer client.CloseIdleConnections()
	b.Run("openai-loopback/gateway", func(b *testing.B) {
		h := newGateway(newOpenAI(b, client, srv.URL+"/v1"), "openai")
		br := newBenchRequest(benchBody)
		check(b, h, br, `"chat.completion"`)
		serveLoop(b, h, br)
	})
	b.Run("openai-loopback/direct", func(b *testing.B) {
		body := []byte(benchBody)
		ctx := context.Background()
		b.ReportAllocs()
		b.SetBytes(int64(len(body)))
		for b.Loop() {
			hr, _ := http.NewRequestWithContext(ctx, http.MethodPost, srv.URL+"/v1/chat/completions", bytes.NewReader(body))
			hr.Header.Set("Authorization", "Bearer sk-upstream")
			hr.Header.Set("Content-Type", "application/json")
			resp, err := client.Do(hr)
			if err != nil {
				b.Fatal(err)
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
	})
}

// BenchmarkApp serves the chat request through the handler tree that
// app.New assembles from testdata/bench/loadtest.yaml, with the embedded
// store in a temporary directory and the upstream on loopback. Compare with
// BenchmarkChat/openai-loopback/gateway: the difference is what identity,
// admission, accounting and the store add per request.
func BenchmarkApp(b *testing.B) {
	b.Run("serial", func(b *testing.B) {
		a := benchApp(b, false)
		br := newBenchRequest(benchBody)
		check(b, a.Handler, br, `"chat.completion"`)
		serveLoop(b, a.Handler, br)
	})
	// As the local gateway runs under load: 8 requests at once per CPU,
	// settles after the response (app.Options.LongLived), sharing commits.
	b.Run("parallel", func(b *testing.B) {
		a := benchApp(b, true)
		check(b, a.Handler, newBenchRequest(benchBody), `"chat.completion"`)
		b.ReportAllocs()
		b.SetParallelism(8)
		b.RunParallel(func(pb *testing.PB) {
			br, w := newBenchRequest(benchBody), newSink()
			for pb.Next() {
				w.reset()
				a.Handler.ServeHTTP(w, br.next())
				if w.status != http.StatusOK {
					b.Errorf("status %d", w.status)
					return
				}
			}
		})
	})
}

// benchApp assembles the app from testdata/bench/loadtest.yaml over an
// upstream on loopback and an embedded store in a temporary directory.
func benchApp(b *testing.B, longLived bool) *app.App {
	reply := []byte(openaitest.ChatCompletion)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Length", strconv.Itoa(len(reply)))
		_, _ = w.Write(reply)
	}))
	b.Cleanup(srv.Close)
	env := map[string]string{
		"TOLLGATE_MASTER_KEY":     benchKey,
		"TOLLGATE_DATA_DIR":       b.TempDir(),
		"TOLLGATE_BENCH_UPSTREAM": srv.URL + "/v1",
	}
	a, err := app.New(context.Background(), app.Options{
		ConfigPaths: []string{"../../testdata/bench/loadtest.yaml"},
		LookupEnv:   func(k string) (string, bool) { v, ok := env[k]; return v, ok },
		Logger:      slog.New(slog.NewJSONHandler(io.Discard, nil)),
		LongLived:   longLived,
	})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { a.Close() })
	return a
}

// sseStream is an upstream SSE body: a role chunk, n content chunks, a
// finish chunk, a usage chunk and [DONE], in OpenAI's exact shapes.
func sseStream(n int) []byte {
	var buf bytes.Buffer
	ev := func(s string) { buf.WriteString("data: " + s + "\n\n") }
	ev(openaitest.StreamText[0])
	for range n {
		ev(openaitest.StreamText[1])
	}
	ev(openaitest.StreamText[3])
	ev(openaitest.StreamText[4])
	ev(oai.Done)
	return buf.Bytes()
}

// streamLoop relays one stream per iteration and reports the cost per
// event written to the client ([DONE] excluded).
func streamLoop(b *testing.B, h http.Handler, br *benchRequest) {
	w := newSink()
	events := 0
	var m0, m1 runtime.MemStats
	runtime.ReadMemStats(&m0)
	b.ReportAllocs()
	b.SetBytes(int64(len(br.data)))
	for b.Loop() {
		w.reset()
		h.ServeHTTP(w, br.next())
		if w.status != http.StatusOK {
			b.Fatalf("status %d", w.status)
		}
		events += w.writes - 1
	}
	runtime.ReadMemStats(&m1)
	if events > 0 {
		ev := float64(events)
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/ev, "ns/chunk")
		b.ReportMetric(float64(m1.Mallocs-m0.Mallocs)/ev, "allocs/chunk")
		b.ReportMetric(float64(m1.TotalAlloc-m0.TotalAlloc)/ev, "B/chunk")
		b.ReportMetric(float64(events)/float64(b.N), "chunks/op")
	}
}

// BenchmarkChatStream relays streamed completions of 8 and 64 content
// chunks (plus role, finish and usage chunks). The difference between the
// two sizes is the marginal cost of a chunk; the ns/chunk metric of the
// larger one is close to it.
func BenchmarkChatStream(b *testing.B) {
	for _, n := range []int{8, 64} {
		name := "chunks=" + strconv.Itoa(n)
		b.Run("fake/"+name, func(b *testing.B) {
			h := newGateway(fake.New(fake.Options{StreamChunks: n}), "fake")
			br := newBenchRequest(benchStreamBody)
			check(b, h, br, "data: [DONE]")
			streamLoop(b, h, br)
		})
		b.Run("openai-inmem/"+name, func(b *testing.B) {
			client := &http.Client{Transport: newMemTransport("text/event-stream", sseStream(n))}
			h := newGateway(newOpenAI(b, client, "http://upstream.invalid/v1"), "openai")
			br := newBenchRequest(benchStreamBody)
			check(b, h, br, "data: [DONE]")
			streamLoop(b, h, br)
		})
	}

	// Over loopback TCP, with the upstream writing and flushing each event
	// as a real one does; "direct" reads the same stream without the
	// gateway (same client), the floor to subtract.
	const n = 64
	payload := sseStream(n)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "text/event-stream")
		rc := http.NewResponseController(w)
		for rest := payload; len(rest) > 0; {
			i := bytes.Index(rest, []byte("\n\n")) + 2
			_, _ = w.Write(rest[:i])
			_ = rc.Flush()
			rest = rest[i:]
		}
	}))
	defer srv.Close()
	client := httpclient.New(nil)
	defer client.CloseIdleConnections()
	b.Run("openai-loopback/chunks=64/gateway", func(b *testing.B) {
		h := newGateway(newOpenAI(b, client, srv.URL+"/v1"), "openai")
		br := newBenchRequest(benchStreamBody)
		check(b, h, br, "data: [DONE]")
		streamLoop(b, h, br)
	})
	b.Run("openai-loopback/chunks=64/direct", func(b *testing.B) {
		body := []byte(benchStreamBody)
		ctx := context.Background()
		events := 0
		b.ReportAllocs()
		for b.Loop() {
			hr, _ := http.NewRequestWithContext(ctx, http.MethodPost, srv.URL+"/v1/chat/completions", bytes.NewReader(body))
			hr.Header.Set("Authorization", "Bearer sk-upstream")
			hr.Header.Set("Content-Type", "application/json")
			resp, err := client.Do(hr)
			if err != nil {
				b.Fatal(err)
			}
			sc := bufio.NewScanner(resp.Body)
			for sc.Scan() {
				if len(sc.Bytes()) > 0 && !bytes.Equal(sc.Bytes(), []byte("data: [DONE]")) {
					events++
				}
			}
			resp.Body.Close()
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(events), "ns/chunk")
	})
}

// BenchmarkStages times each step of the hot path on its own, with the
// request and reply the benchmarks above use.
func BenchmarkStages(b *testing.B) {
	body := []byte(benchBody)
	b.Run("decode-request", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := oai.DecodeChatRequest(body); err != nil {
				b.Fatal(err)
			}
		}
	})
	rt := router.New([]*router.Deployment{{ID: "d", Group: "gpt-4o-mini", Provider: "fake", ModelID: "gpt-4o-mini"}}, nil)
	b.Run("route", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := rt.Pick("gpt-4o-mini"); err != nil {
				b.Fatal(err)
			}
		}
	})
	req, err := oai.DecodeChatRequest(body)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("encode-upstream-request", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_ = oai.EncodeChatRequest(req, oai.RequestOptions{Model: "gpt-4o-mini"})
		}
	})
	reply := []byte(openaitest.ChatCompletion)
	b.Run("decode-upstream-response", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := oai.DecodeChatResponse(reply); err != nil {
				b.Fatal(err)
			}
		}
	})
	resp, err := oai.DecodeChatResponse(reply)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("encode-response", func(b *testing.B) {
		buf := make([]byte, 0, 1024)
		b.ReportAllocs()
		for b.Loop() {
			buf = oai.AppendChatResponse(buf[:0], resp, nil)
		}
	})
	// A stream decodes its chunks with one ChunkDecoder, which reuses the
	// strings every chunk repeats.
	chunk := []byte(openaitest.StreamText[1])
	b.Run("decode-upstream-chunk", func(b *testing.B) {
		var d oai.ChunkDecoder
		b.ReportAllocs()
		for b.Loop() {
			if _, err := d.Decode(chunk); err != nil {
				b.Fatal(err)
			}
		}
	})
	c, err := oai.DecodeChunk(chunk)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("encode-chunk-event", func(b *testing.B) {
		buf := make([]byte, 0, 1024)
		b.ReportAllocs()
		for b.Loop() {
			buf = oai.AppendChunkEvent(buf[:0], c, nil)
		}
	})
	// The handler tree minus the model: an unknown model is decoded, routed
	// and answered with a 404 by the same middleware and auth.
	b.Run("middleware+auth+decode(404)", func(b *testing.B) {
		h := newGateway(fake.New(fake.Options{}), "fake")
		br := newBenchRequest(strings.Replace(benchBody, "gpt-4o-mini", "no-such-model", 1))
		w := newSink()
		b.ReportAllocs()
		for b.Loop() {
			w.reset()
			h.ServeHTTP(w, br.next())
			if w.status != http.StatusNotFound {
				b.Fatalf("status %d", w.status)
			}
		}
	})
}

// BenchmarkServed sends the chat request over loopback TCP through a real
// net/http server, for three setups that share one upstream: the upstream
// alone, a bare httputil.ReverseProxy hop in front of it (a copy of
// ../shared/bench/refproxy: reads the body, then proxies, flushing every
// write) and Tollgate's handler tree. Client, servers and upstream share
// the process, so compare the three with each other, not with the load
// test.
func BenchmarkServed(b *testing.B) {
	reply := []byte(openaitest.ChatCompletion)
	sse := sseStream(20)
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if bytes.Contains(body, []byte(`"stream":true`)) {
			w.Header().Set("Content-Type", "text/event-stream")
			rc := http.NewResponseController(w)
			for rest := sse; len(rest) > 0; {
				i := bytes.Index(rest, []byte("\n\n")) + 2
				_, _ = w.Write(rest[:i])
				_ = rc.Flush()
				rest = rest[i:]
			}
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Length", strconv.Itoa(len(reply)))
		_, _ = w.Write(reply)
	}))
	defer upstream.Close()
	upClient := httpclient.New(nil)
	defer upClient.CloseIdleConnections()

	u, _ := url.Parse(upstream.URL)
	rp := &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(u)
			pr.Out.Header.Set("Authorization", "Bearer sk-upstream")
		},
		Transport:     &http.Transport{MaxIdleConns: 1024, MaxIdleConnsPerHost: 1024, IdleConnTimeout: 90 * time.Second},
		FlushInterval: -1,
	}
	refproxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(io.LimitReader(r.Body, 16<<20))
		if err != nil {
			http.Error(w, "bad request body", http.StatusBadRequest)
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		r.ContentLength = int64(len(body))
		rp.ServeHTTP(w, r)
	}))
	defer refproxy.Close()
	gateway := httptest.NewServer(newGateway(newOpenAI(b, upClient, upstream.URL+"/v1"), "openai"))
	defer gateway.Close()

	client := httpclient.New(nil)
	defer client.CloseIdleConnections()
	for _, mode := range []struct {
		name string
		body string
	}{{"chat", benchBody}, {"stream-20", benchStreamBody}} {
		for _, tt := range []struct{ name, url string }{
			{"direct", upstream.URL}, {"refproxy", refproxy.URL}, {"tollgate", gateway.URL},
		} {
			b.Run(mode.name+"/"+tt.name, func(b *testing.B) {
				body := []byte(mode.body)
				ctx := context.Background()
				b.ReportAllocs()
				for b.Loop() {
					hr, _ := http.NewRequestWithContext(ctx, http.MethodPost, tt.url+"/v1/chat/completions", bytes.NewReader(body))
					hr.Header.Set("Authorization", "Bearer "+benchKey)
					hr.Header.Set("Content-Type", "application/json")
					resp, err := client.Do(hr)
					if err != nil {
						b.Fatal(err)
					}
					_, _ = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if resp.StatusCode != http.StatusOK {
						b.Fatalf("status %d", resp.StatusCode)
					}
				}
			})
		}
	}
}
