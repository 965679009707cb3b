package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws/protocol/eventstream"

	"github.com/tollgate-gw/tollgate/internal/auth"
	"github.com/tollgate-gw/tollgate/internal/llm"
	"github.com/tollgate-gw/tollgate/internal/provider"
	"github.com/tollgate-gw/tollgate/internal/router"
)

// converseModel answers every call with a canned response or chunks, and
// records the requests it got.
type converseModel struct {
	mu        sync.Mutex
	requests  []*llm.Request
	resp      *llm.Response
	chunks    []*llm.Chunk
	streamErr error // returned by Recv after the chunks
}

func (m *converseModel) record(req *llm.Request) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.requests = append(m.requests, req)
}

func (m *converseModel) last(t *testing.T) *llm.Request {
	t.Helper()
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.requests) == 0 {
		t.Fatal("the model was not called")
	}
	return m.requests[len(m.requests)-1]
}

func (m *converseModel) Chat(_ context.Context, req *llm.Request) (*llm.Response, error) {
	m.record(req)
	if m.resp == nil {
		return &llm.Response{Choices: []llm.Choice{{Message: llm.Message{Role: llm.RoleAssistant,
			Content: []llm.Part{{Type: llm.PartText, Text: "ok"}}}, FinishReason: llm.FinishStop}}}, nil
	}
	return m.resp, nil
}

func (m *converseModel) ChatStream(_ context.Context, req *llm.Request) (llm.Stream, error) {
	m.record(req)
	chunks := m.chunks
	if chunks == nil {
		chunks = []*llm.Chunk{{Choices: []llm.ChunkChoice{{Delta: llm.Delta{Content: "ok"}, FinishReason: llm.FinishStop}}}}
	}
	return &failingStream{SliceStream: llm.SliceStream{Chunks: chunks}, err: m.streamErr}, nil
}

// failingStream is a SliceStream that fails with err instead of io.EOF.
type failingStream struct {
	llm.SliceStream
	err error
}

func (s *failingStream) Recv() (*llm.Chunk, error) {
	c, err := s.SliceStream.Recv()
	if err == io.EOF && s.err != nil {
		return nil, s.err
	}
	return c, err
}

// promptStub resolves every prompt ARN to one model and records the ARNs
// it was asked for; ARNs in account 999999999999 have no deployment.
type promptStub struct {
	model provider.ChatModel
	mu    sync.Mutex
	asked []string
}

func (p *promptStub) ResolvePrompt(model string) (*router.Deployment, bool, error) {
	if !strings.Contains(model, ":prompt/") {
		return nil, false, nil
	}
	p.mu.Lock()
	p.asked = append(p.asked, model)
	p.mu.Unlock()
	if strings.Contains(model, ":999999999999:") {
		return nil, true, &provider.Error{Kind: provider.KindNotFound, Status: 404, Message: "no deployment for account 999999999999"}
	}
	return &router.Deployment{ID: "host-1", Group: model, Provider: "bedrock", ModelID: model, Model: p.model}, true, nil
}

func newBedrockServer(t *testing.T, models map[string]provider.ChatModel, prompts PromptResolver, opts ...func(*DataPlaneOptions)) (http.Handler, *bytes.Buffer) {
	t.Helper()
	var deps []*router.Deployment
	for name, m := range models {
		deps = append(deps, &router.Deployment{ID: "dep-" + name, Group: name, Provider: "test", ModelID: name, Model: m})
	}
	mux := http.NewServeMux()
	o := &DataPlaneOptions{Prompts: prompts}
	for _, f := range opts {
		f(o)
	}
	dp := NewDataPlane(router.New(deps, nil), auth.NewMasterKey(key), o)
	dp.Register(mux)
	logs := &bytes.Buffer{}
	return Wrap(mux, slog.New(slog.NewJSONHandler(logs, nil))), logs
}

// converseCall posts body to a raw (already escaped) path.
func converseCall(h http.Handler, method, path, body string, header ...string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(method, "/", strings.NewReader(body))
	r.URL = &url.URL{Path: mustUnescape(path), RawPath: path}
	r.RequestURI = path
	r.Header.Set("Authorization", "Bearer "+key)
	r.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(header); i += 2 {
		if header[i+1] == "" {
			r.Header.Del(header[i])
		} else {
			r.Header.Set(header[i], header[i+1])
		}
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

func mustUnescape(p string) string {
	u, err := url.PathUnescape(p)
	if err != nil {
		panic(err)
	}
	return u
}

const converseBody = `{"messages":[{"role":"user","content":[{"text":"hi"}]}]}`

// TestBedrockRouting: model ids with ':' and '/' reach the handler whole,
// raw or percent-encoded, on both operations; prompt ARNs go to the prompt
// resolver; other paths and methods are refused.
func TestBedrockRouting(t *testing.T) {
	const arn = "arn:aws:bedrock:us-west-2:123456789012:prompt/ABCDEFGHIJ:2"
	const fm = "arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-3-haiku-20240307-v1:0"
	tests := []struct {
		path   string
		model  string // the model id the handler must see
		stream bool
		prompt bool
	}{
		{path: "/bedrock/model/gpt-4o/converse", model: "gpt-4o"},
		{path: "/bedrock/model/gpt-4o/converse-stream", model: "gpt-4o", stream: true},
		{path: "/bedrock/model/meta-llama/Llama-3.2-1B/converse", model: "meta-llama/Llama-3.2-1B"},
		{path: "/bedrock/model/meta-llama%2FLlama-3.2-1B/converse-stream", model: "meta-llama/Llama-3.2-1B", stream: true},
		{path: "/bedrock/model/" + fm + "/converse", model: fm},
		{path: "/bedrock/model/" + url.PathEscape(fm) + "/converse", model: fm},
		{path: "/bedrock/model/" + arn + "/converse", model: arn, prompt: true},
		{path: "/bedrock/model/" + url.PathEscape(arn) + "/converse", model: arn, prompt: true},
		{path: "/bedrock/model/" + strings.ReplaceAll(url.PathEscape(arn), "%2F", "/") + "/converse-stream", model: arn, stream: true, prompt: true},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			m := &converseModel{}
			prompts := &promptStub{model: m}
			h, _ := newBedrockServer(t, map[string]provider.ChatModel{"gpt-4o": m, "meta-llama/Llama-3.2-1B": m, fm: m}, prompts)
			w := converseCall(h, "POST", tt.path, converseBody)
			if w.Code != 200 {
				t.Fatalf("status %d: %s", w.Code, w.Body)
			}
			wantCT := "application/json"
			if tt.stream {
				wantCT = "application/vnd.amazon.eventstream"
			}
			if ct := w.Header().Get("Content-Type"); ct != wantCT {
				t.Errorf("content type %q, want %q", ct, wantCT)
			}
			if req := m.last(t); req.Model != tt.model || req.Stream != tt.stream {
				t.Errorf("handler saw model %q stream %v, want %q %v", req.Model, req.Stream, tt.model, tt.stream)
			}
			if tt.prompt != (len(prompts.asked) == 1 && prompts.asked[0] == tt.model) {
				t.Errorf("prompt resolver asked %v", prompts.asked)
			}
			wantID := "dep-" + tt.model
			if tt.prompt {
				wantID = "host-1"
			}
			if id := w.Header().Get("X-Litellm-Model-Id"); id != wantID {
				t.Errorf("served deployment %q, want %q", id, wantID)
			}
			if w.Header().Get("X-Amzn-Requestid") == "" || w.Header().Get("X-Amzn-Requestid") != w.Header().Get("X-Request-Id") {
				t.Errorf("x-amzn-RequestId %q, X-Request-Id %q", w.Header().Get("X-Amzn-Requestid"), w.Header().Get("X-Request-Id"))
			}
		})
	}
}

// bedrockErr is a Bedrock error response as the SDKs read it.
type bedrockErr struct {
	status  int
	errType string
	message string // a substring of the message
}

func checkBedrockError(t *testing.T, w *httptest.ResponseRecorder, want bedrockErr) {
	t.Helper()
	var body struct{ Message string }
	if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil {
		t.Fatalf("body %q is not Bedrock's error shape: %v", w.Body, err)
	}
	if w.Code != want.status || w.Header().Get("X-Amzn-Errortype") != want.errType ||
		!strings.Contains(body.Message, want.message) || w.Header().Get("Content-Type") != "application/json" {
		t.Fatalf("got %d %s %q, want %d %s containing %q", w.Code, w.Header().Get("X-Amzn-Errortype"), body.Message,
			want.status, want.errType, want.message)
	}
}

// TestBedrockErrors: every failure before a response is answered in
// Bedrock's error shape with the exception the SDKs raise as a type.
func TestBedrockErrors(t *testing.T) {
	tests := []struct {
		name   string
		method string
		path   string
		body   string
		header []string
		want   bedrockErr
	}{
		{name: "unknown model", path: "/bedrock/model/nope/converse", body: converseBody,
			want: bedrockErr{404, "ResourceNotFoundException", `model not found: "nope"`}},
		{name: "prompt without a deployment", path: "/bedrock/model/" + url.PathEscape("arn:aws:bedrock:us-west-2:999999999999:prompt/ABCDEFGHIJ") + "/converse",
			body: converseBody, want: bedrockErr{404, "ResourceNotFoundException", "no deployment for account 999999999999"}},
		{name: "no key", path: "/bedrock/model/m/converse", body: converseBody, header: []string{"Authorization", ""},
			want: bedrockErr{403, "AccessDeniedException", "no API key"}},
		{name: "bad key", path: "/bedrock/model/m/converse", body: converseBody, header: []string{"Authorization", "Bearer sk-wrong"},
			want: bedrockErr{403, "AccessDeniedException", "invalid API key"}},
		{name: "malformed JSON", path: "/bedrock/model/m/converse", body: `{"messages":[`,
			want: bedrockErr{400, "ValidationException", ""}},
		{name: "unknown member", path: "/bedrock/model/m/converse", body: `{"messages":[],"temperature":1}`,
			want: bedrockErr{400, "ValidationException", "temperature: unknown field"}},
		{name: "stream-only member on converse", path: "/bedrock/model/m/converse",
			body: `{"guardrailConfig":{"guardrailIdentifier":"g","guardrailVersion":"1","streamProcessingMode":"async"}}`,
			want: bedrockErr{400, "ValidationException", "streamProcessingMode"}},
		{name: "empty body", path: "/bedrock/model/m/converse", want: bedrockErr{400, "ValidationException", "request body is empty"}},
		{name: "not JSON", path: "/bedrock/model/m/converse", body: "x", header: []string{"Content-Type", "text/plain"},
			want: bedrockErr{400, "ValidationException", "Content-Type text/plain is not supported"}},
		{name: "unknown operation", path: "/bedrock/model/m/invoke", body: `{}`,
			want: bedrockErr{404, "ResourceNotFoundException", "serves Converse and ConverseStream"}},
		{name: "no model id", path: "/bedrock/model/converse", body: converseBody,
			want: bedrockErr{404, "ResourceNotFoundException", "no such operation"}},
		{name: "upstream throttling", path: "/bedrock/model/throttled/converse", body: converseBody,
			want: bedrockErr{429, "ThrottlingException", "slow down"}},
		{name: "the gateway's own failure", path: "/bedrock/model/broken/converse", body: converseBody,
			want: bedrockErr{500, "InternalServerException", "internal error (request id "}},
		{name: "a response Converse cannot carry", path: "/bedrock/model/empty/converse", body: converseBody,
			want: bedrockErr{500, "InternalServerException", "internal error (request id "}},
	}
	throttle := &provider.Error{Kind: provider.KindRateLimit, Provider: "openai", Status: 429, Code: "rate_limit_exceeded",
		Message: "slow down", RetryAfter: 7 * time.Second}
	h, logs := newBedrockServer(t, map[string]provider.ChatModel{"m": &converseModel{}, "throttled": errModel{throttle},
		"broken": errModel{errors.New("store password rejected")}, "empty": &converseModel{resp: &llm.Response{}}}, &promptStub{})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			method := tt.method
			if method == "" {
				method = "POST"
			}
			w := converseCall(h, method, tt.path, tt.body, tt.header...)
			checkBedrockError(t, w, tt.want)
			if strings.Contains(w.Body.String(), "password") || strings.Contains(w.Body.String(), "choices") {
				t.Errorf("internal detail leaked: %s", w.Body)
			}
		})
	}
	w := converseCall(h, "POST", "/bedrock/model/throttled/converse", converseBody)
	if w.Header().Get("Retry-After") != "7" {
		t.Errorf("Retry-After %q", w.Header().Get("Retry-After"))
	}
	// The request log names the route pattern and the exception.
	if !strings.Contains(logs.String(), `"route":"POST /bedrock/model/{modelPath...}"`) ||
		!strings.Contains(logs.String(), `"error_type":"ThrottlingException"`) {
		t.Errorf("log lines lack the route or the exception:\n%s", logs)
	}
	// Other methods get a 405 naming the one allowed.
	w = converseCall(h, "GET", "/bedrock/model/m/converse", "")
	if w.Code != 405 || w.Header().Get("Allow") != "POST" {
		t.Errorf("GET: %d %v", w.Code, w.Header())
	}
}

// errModel fails every call with err.
type errModel struct{ err error }

func (m errModel) Chat(context.Context, *llm.Request) (*llm.Response, error)    { return nil, m.err }
func (m errModel) ChatStream(context.Context, *llm.Request) (llm.Stream, error) { return nil, m.err }

// streamEvents decodes an eventstream body into "event-type" or
// "!exception-type" lines with their payloads.
func streamEvents(t *testing.T, body []byte) []string {
	t.Helper()
	dec := eventstream.NewDecoder()
	r := bytes.NewReader(body)
	var out []string
	for r.Len() > 0 {
		msg, err := dec.Decode(r, nil)
		if err != nil {
			t.Fatalf("decoding the event stream: %v", err)
		}
		name := msg.Headers.Get(":event-type")
		if ex := msg.Headers.Get(":exception-type"); ex != nil {
			name = eventstream.StringValue("!" + ex.String())
		}
		out = append(out, name.String()+" "+string(msg.Payload))
	}
	return out
}

// TestConverseStopReasons: an upstream's native finish reason reaches the
// Converse client when Converse has it (stop_sequence, guardrail_intervened)
// and OpenAI's mapping is used otherwise, on both operations.
func TestConverseStopReasons(t *testing.T) {
	tests := []struct {
		finish, native, want string
	}{
		{llm.FinishStop, "stop_sequence", "stop_sequence"},
		{llm.FinishContentFilter, "guardrail_intervened", "guardrail_intervened"},
		{llm.FinishStop, "", "end_turn"},
		{llm.FinishLength, "", "max_tokens"},
		{llm.FinishContentFilter, "refusal", "content_filtered"}, // not a Converse reason
	}
	for _, tt := range tests {
		m := &converseModel{
			resp: &llm.Response{Choices: []llm.Choice{{Message: llm.Message{Role: llm.RoleAssistant,
				Content: []llm.Part{{Type: llm.PartText, Text: "x"}}}, FinishReason: tt.finish, NativeFinishReason: tt.native}}},
			chunks: []*llm.Chunk{{Choices: []llm.ChunkChoice{{Delta: llm.Delta{Content: "x"}}}},
				{Choices: []llm.ChunkChoice{{FinishReason: tt.finish, NativeFinishReason: tt.native}}}},
		}
		h, _ := newBedrockServer(t, map[string]provider.ChatModel{"m": m}, nil)
		w := converseCall(h, "POST", "/bedrock/model/m/converse", converseBody)
		var out struct{ StopReason string }
		if err := json.Unmarshal(w.Body.Bytes(), &out); err != nil || out.StopReason != tt.want {
			t.Errorf("%s/%s: converse stopReason %q (%s), want %q", tt.finish, tt.native, out.StopReason, w.Body, tt.want)
		}
		w = converseCall(h, "POST", "/bedrock/model/m/converse-stream", converseBody)
		events := streamEvents(t, w.Body.Bytes())
		want := `messageStop {"stopReason":"` + tt.want + `"}`
		if !contains(events, want) {
			t.Errorf("%s/%s: stream events %q lack %s", tt.finish, tt.native, events, want)
		}
	}
}

func contains(list []string, s string) bool {
	for _, e := range list {
		if e == s {
			return true
		}
	}
	return false
}

// TestConverseStreamFailures: a failure after the first chunk ends the
// stream with an exception event of the matching type; chunks Converse
// cannot express end it with a model stream error; a failure before the
// first chunk is an ordinary error response.
func TestConverseStreamFailures(t *testing.T) {
	text := func(s string) *llm.Chunk {
		return &llm.Chunk{Choices: []llm.ChunkChoice{{Delta: llm.Delta{Content: s}}}}
	}
	tool := func(id, args string) *llm.Chunk {
		return &llm.Chunk{Choices: []llm.ChunkChoice{{Delta: llm.Delta{ToolCalls: []llm.ToolCallDelta{{ID: id, Name: "f", Arguments: args}}}}}}
	}
	tests := []struct {
		name   string
		model  *converseModel
		events []string
	}{
		{name: "upstream throttled mid-stream",
			model: &converseModel{chunks: []*llm.Chunk{text("Hel")}, streamErr: &provider.Error{Kind: provider.KindRateLimit, Message: "slow down"}},
			events: []string{`messageStart {"role":"assistant"}`, `contentBlockDelta {"contentBlockIndex":0,"delta":{"text":"Hel"}}`,
				`!throttlingException {"message":"slow down"}`}},
		{name: "connection lost mid-stream",
			model: &converseModel{chunks: []*llm.Chunk{text("Hel")}, streamErr: &provider.Error{Kind: provider.KindUnavailable, Message: "upstream overloaded"}},
			events: []string{`messageStart {"role":"assistant"}`, `contentBlockDelta {"contentBlockIndex":0,"delta":{"text":"Hel"}}`,
				`!serviceUnavailableException {"message":"upstream overloaded"}`}},
		{name: "tool call continued after its block closed",
			model: &converseModel{chunks: []*llm.Chunk{tool("a", `{"x":`), tool("b", `{}`), tool("a", `1}`)}},
			events: []string{`messageStart {"role":"assistant"}`,
				`contentBlockStart {"contentBlockIndex":0,"start":{"toolUse":{"toolUseId":"a","name":"f"}}}`,
				`contentBlockDelta {"contentBlockIndex":0,"delta":{"toolUse":{"input":"{\"x\":"}}}`,
				`contentBlockStop {"contentBlockIndex":0}`,
				`contentBlockStart {"contentBlockIndex":1,"start":{"toolUse":{"toolUseId":"b","name":"f"}}}`,
				`contentBlockDelta {"contentBlockIndex":1,"delta":{"toolUse":{"input":"{}"}}}`,
				`!modelStreamErrorException {"message":"the model's stream cannot be relayed: converse stream: tool call 0 (\"a\") continued after its content block was closed"}`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, logs := newBedrockServer(t, map[string]provider.ChatModel{"m": tt.model}, nil)
			w := converseCall(h, "POST", "/bedrock/model/m/converse-stream", converseBody)
			if w.Code != 200 || !w.Flushed {
				t.Fatalf("status %d flushed %v", w.Code, w.Flushed)
			}
			got := streamEvents(t, w.Body.Bytes())
			if strings.Join(got, "\n") != strings.Join(tt.events, "\n") {
				t.Fatalf("events:\n got %s\nwant %s", strings.Join(got, "\n     "), strings.Join(tt.events, "\n     "))
			}
			if !strings.Contains(logs.String(), `"error_type":`) {
				t.Errorf("mid-stream failure not logged: %s", logs)
			}
		})
	}
	t.Run("before the first chunk", func(t *testing.T) {
		h, _ := newBedrockServer(t, map[string]provider.ChatModel{"m": errModel{&provider.Error{Kind: provider.KindRateLimit, Message: "slow down"}}}, nil)
		checkBedrockError(t, converseCall(h, "POST", "/bedrock/model/m/converse-stream", converseBody),
			bedrockErr{429, "ThrottlingException", "slow down"})
	})
	t.Run("stream ends at once", func(t *testing.T) {
		h, _ := newBedrockServer(t, map[string]provider.ChatModel{"m": &converseModel{chunks: []*llm.Chunk{}}}, nil)
		got := streamEvents(t, converseCall(h, "POST", "/bedrock/model/m/converse-stream", converseBody).Body.Bytes())
		if len(got) != 3 || got[1] != `messageStop {"stopReason":"end_turn"}` {
			t.Fatalf("events %q", got)
		}
	})
}

// TestConverseRequestReachesTheModel: the decoded Converse request, gateway
// controls included, is what the model receives, and usage reaches the log.
func TestConverseRequestReachesTheModel(t *testing.T) {
	m := &converseModel{resp: &llm.Response{Choices: []llm.Choice{{Message: llm.Message{Role: llm.RoleAssistant,
		Content: []llm.Part{{Type: llm.PartText, Text: "x"}}}}}, Usage: &llm.Usage{PromptTokens: 12, CompletionTokens: 3}}}
	h, logs := newBedrockServer(t, map[string]provider.ChatModel{"m": m}, nil)
	w := converseCall(h, "POST", "/bedrock/model/m/converse", `{"messages":[{"role":"user","content":[{"text":"hi"}]}],
		"inferenceConfig":{"maxTokens":50},"requestMetadata":{"team":"a"},
		"additionalModelRequestFields":{"enable_history":true,"session_id":"s-1","top_k":4},"promptVariables":{"v":{"text":"x"}}}`)
	if w.Code != 200 {
		t.Fatalf("%d %s", w.Code, w.Body)
	}
	req := m.last(t)
	if req.Model != "m" || *req.MaxTokens != 50 || string(req.Metadata) != `{"team":"a"}` || !req.Gateway.EnableHistory ||
		req.Gateway.SessionID != "s-1" || string(req.Gateway.PromptVariables) != `{"v":{"text":"x"}}` ||
		len(req.Extra) != 1 || string(req.Extra[0].Value) != `{"top_k":4}` {
		t.Fatalf("model received %+v", req)
	}
	var out struct {
		Usage struct{ InputTokens, OutputTokens int }
	}
	if err := json.Unmarshal(w.Body.Bytes(), &out); err != nil || out.Usage.InputTokens != 12 || out.Usage.OutputTokens != 3 {
		t.Fatalf("usage %s", w.Body)
	}
	if !strings.Contains(logs.String(), `"prompt_tokens":12`) {
		t.Errorf("usage not logged: %s", logs)
	}
}

// TestConverseStreamClientGone: when the SDK client goes away mid-stream,
// the gateway reads on for the usage; a stalled upstream is cut at the
// drain limit and closed, and the call is recorded as client_disconnected.
func TestConverseStreamClientGone(t *testing.T) {
	bs := &blockingStream{cancelled: make(chan struct{}), closed: make(chan struct{})}
	h, logs := newBedrockServer(t, map[string]provider.ChatModel{"slow": &blockingModel{stream: bs}}, nil,
		func(d *DataPlaneOptions) { d.DrainLimit = time.Nanosecond })
	srv := httptest.NewServer(h)
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, "POST", srv.URL+"/bedrock/model/slow/converse-stream", strings.NewReader(converseBody))
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	// Read until the first chunk's text has arrived as an event.
	var got []byte
	buf := make([]byte, 256)
	for !bytes.Contains(got, []byte(`{"text":"first"}`)) {
		n, err := resp.Body.Read(buf)
		got = append(got, buf[:n]...)
		if err != nil {
			t.Fatalf("stream ended before the first event (%q): %v", got, err)
		}
	}
	cancel()
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	<-bs.cancelled
	<-bs.closed
	srv.Close() // waits for the handler, and so for its log line
	if line := logs.String(); !strings.Contains(line, `"outcome":"client_disconnected"`) || !strings.Contains(line, `"usage_estimated":true`) {
		t.Errorf("log line: %s", line)
	}
}
