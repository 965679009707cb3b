package httpapi_test

// End-to-end tests of chat history: the official OpenAI Go SDK and the
// aws-sdk-go-v2 bedrockruntime client against the data plane over TLS,
// with the embedded store, virtual keys from that store, and a loopback
// OpenAI upstream that records what it was sent.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/document"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/types"
	"github.com/aws/smithy-go/auth/bearer"
	smithyhttp "github.com/aws/smithy-go/transport/http"
	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"

	"github.com/tollgate-gw/tollgate/internal/auth"
	"github.com/tollgate-gw/tollgate/internal/awsfake"
	"github.com/tollgate-gw/tollgate/internal/history"
	"github.com/tollgate-gw/tollgate/internal/httpapi"
	oaiprov "github.com/tollgate-gw/tollgate/internal/provider/openai"
	"github.com/tollgate-gw/tollgate/internal/provider/openai/openaitest"
	"github.com/tollgate-gw/tollgate/internal/router"
	"github.com/tollgate-gw/tollgate/internal/store"
	"github.com/tollgate-gw/tollgate/internal/store/embedded"
)

const histMaster = "sk-history-master"

// histUpstream answers like OpenAI: "answer <n>" where n is the number of
// messages it was sent, plainly or streamed; the model "breaks" streams
// "partial" and then fails.
func histUpstream(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Model    string            `json:"model"`
		Stream   bool              `json:"stream"`
		Messages []json.RawMessage `json:"messages"`
	}
	body, _ := io.ReadAll(r.Body)
	_ = json.Unmarshal(body, &req)
	answer := fmt.Sprintf("answer %d", len(req.Messages))
	chunk := func(delta, finish string) string {
		f := "null"
		if finish != "" {
			f = `"` + finish + `"`
		}
		return `{"id":"s","object":"chat.completion.chunk","created":1,"model":"` + req.Model + `","choices":[{"index":0,"delta":` + delta + `,"finish_reason":` + f + `}]}`
	}
	switch {
	case req.Model == "breaks":
		openaitest.SSE(chunk(`{"role":"assistant","content":"partial"}`, ""), `{"error":{"message":"upstream overloaded","type":"server_error"}}`)(w, r)
	case req.Stream:
		openaitest.SSE(
			chunk(`{"role":"assistant","content":""}`, ""),
			chunk(`{"content":"`+answer[:3]+`"}`, ""),
			chunk(`{"content":"`+answer[3:]+`"}`, ""),
			chunk(`{}`, "stop"),
			`{"id":"s","object":"chat.completion.chunk","created":1,"model":"`+req.Model+`","choices":[],"usage":{"prompt_tokens":3,"completion_tokens":2,"total_tokens":5}}`,
			`[DONE]`)(w, r)
	default:
		openaitest.JSON(200, `{"id":"c","object":"chat.completion","created":1,"model":"`+req.Model+`","choices":[{"index":0,"message":{"role":"assistant","content":"`+answer+`"},"finish_reason":"stop"}],"usage":{"prompt_tokens":3,"completion_tokens":2,"total_tokens":5}}`)(w, r)
	}
}

type histGateway struct {
	srv     *httptest.Server
	handler http.Handler
	up      *openaitest.Server
	keyA    string // two virtual keys of one user
	keyB    string
}

// histOwner is the owner rule the app wires (internal/app/history.go):
// "master" for the master key, the key's hash for a virtual key.
func histOwner(ctx context.Context) (history.Owner, bool) {
	p := auth.FromContext(ctx)
	switch {
	case p == nil:
		return history.Owner{}, false
	case p.Kind == auth.KindMaster:
		return history.Owner{ID: "master"}, true
	case p.KeyHash != "":
		return history.Owner{ID: p.KeyHash, UserID: p.UserID}, true
	}
	return history.Owner{}, false
}

func newHistGateway(t *testing.T, withHistory bool) *histGateway {
	t.Helper()
	st, err := embedded.Open(t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	g := &histGateway{up: openaitest.NewServer(t, histUpstream), keyA: auth.NewKey(), keyB: auth.NewKey()}
	for _, k := range []string{g.keyA, g.keyB} {
		if err := st.CreateKey(context.Background(), &store.Key{Hash: store.HashKey(k)}); err != nil {
			t.Fatal(err)
		}
	}
	var deps []*router.Deployment
	for _, name := range []string{"gpt-4o", "breaks"} {
		m, err := oaiprov.New(http.DefaultClient, oaiprov.Options{BaseURL: g.up.URL + "/v1", APIKey: "sk-up", ModelID: name,
			Timeout: time.Minute, StreamTimeout: time.Minute})
		if err != nil {
			t.Fatal(err)
		}
		deps = append(deps, &router.Deployment{ID: "dep-" + name, Group: name, Provider: "openai", ModelID: name, Model: m})
	}
	o := &httpapi.DataPlaneOptions{}
	if withHistory {
		o.History = &httpapi.History{Service: history.New(st, nil), Owner: histOwner}
	}
	dp := httpapi.NewDataPlane(router.New(deps, nil), auth.NewAuthenticator(auth.NewMasterKey(histMaster), nil, auth.NewKeys(st, nil), nil), o)
	mux := http.NewServeMux()
	dp.Register(mux)
	g.handler = httpapi.Wrap(mux, slog.New(slog.NewJSONHandler(io.Discard, nil)))
	g.srv = httptest.NewTLSServer(g.handler)
	t.Cleanup(g.srv.Close)
	return g
}

func (g *histGateway) client(key string) openai.Client {
	return openai.NewClient(option.WithBaseURL(g.srv.URL+"/v1/"), option.WithAPIKey(key),
		option.WithMaxRetries(0), option.WithHTTPClient(g.srv.Client()))
}

func (g *histGateway) bedrock(key string) *bedrockruntime.Client {
	return bedrockruntime.New(bedrockruntime.Options{
		Region:                  "us-west-2",
		BaseEndpoint:            aws.String(g.srv.URL + "/bedrock"),
		BearerAuthTokenProvider: bearer.StaticTokenProvider{Token: bearer.Token{Value: key}},
		AuthSchemePreference:    []string{"httpBearerAuth"},
		RetryMaxAttempts:        1,
		HTTPClient:              awsfake.OwnBodyClient{Client: g.srv.Client()},
	})
}

// post sends a JSON body to a history endpoint and returns the status and
// the body.
func (g *histGateway) post(t *testing.T, path, key, body string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest("POST", g.srv.URL+path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Content-Type", "application/json")
	resp, err := g.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// sentTexts returns the "role:content" of each message the upstream got in
// its last call.
func (g *histGateway) sentTexts(t *testing.T) []string {
	t.Helper()
	var msgs []struct {
		Role    string `json:"role"`
		Content string `json:"content"`
	}
	last := g.up.Last(t)
	if err := json.Unmarshal(last.Field("messages"), &msgs); err != nil {
		t.Fatal(err)
	}
	out := make([]string, len(msgs))
	for i, m := range msgs {
		out[i] = m.Role + ":" + m.Content
	}
	return out
}

func userMsg(s string) []openai.ChatCompletionMessageParamUnion {
	return []openai.ChatCompletionMessageParamUnion{openai.UserMessage(s)}
}

// sessionOf reads the top-level session_id the SDK keeps as an extra field.
func sessionOf(t *testing.T, raw string) string {
	t.Helper()
	var v struct {
		SessionID string `json:"session_id"`
	}
	if err := json.Unmarshal([]byte(raw), &v); err != nil || v.SessionID == "" {
		t.Fatalf("no session_id in %s (%v)", raw, err)
	}
	return v.SessionID
}

// chatHistory reads /chat-history as "role:content" strings, with
// " (incomplete)" on cut replies.
func (g *histGateway) chatHistory(t *testing.T, key, id string) []string {
	t.Helper()
	code, body := g.post(t, "/chat-history", key, `{"session_id":"`+id+`"}`)
	if code != 200 {
		t.Fatalf("/chat-history: %d %s", code, body)
	}
	var v struct {
		Messages []struct {
			Role       string `json:"role"`
			Content    string `json:"content"`
			Incomplete bool   `json:"incomplete"`
		} `json:"messages"`
	}
	if err := json.Unmarshal([]byte(body), &v); err != nil {
		t.Fatal(err)
	}
	out := []string{}
	for _, m := range v.Messages {
		s := m.Role + ":" + m.Content
		if m.Incomplete {
			s += " (incomplete)"
		}
		out = append(out, s)
	}
	return out
}

func eq(t *testing.T, what string, got, want any) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s:\n got %v\nwant %v", what, got, want)
	}
}

// TestHistoryOpenAI: a session started without streaming and continued
// with streaming (and the reverse); the upstream sees the conversation;
// /chat-history and /session-ids return it.
func TestHistoryOpenAI(t *testing.T) {
	ctx := context.Background()
	for _, c := range []struct {
		name                 string
		streamFirst, stream2 bool
	}{
		{"plain then stream", false, true},
		{"stream then plain", true, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			g := newHistGateway(t, true)
			cl := g.client(histMaster)
			turn := func(text string, stream bool, opts ...option.RequestOption) (reply, session string) {
				t.Helper()
				params := openai.ChatCompletionNewParams{Model: "gpt-4o", Messages: userMsg(text)}
				if !stream {
					resp, err := cl.Chat.Completions.New(ctx, params, opts...)
					if err != nil {
						t.Fatal(err)
					}
					sid := ""
					if f, ok := resp.JSON.ExtraFields["session_id"]; ok {
						_ = json.Unmarshal([]byte(f.Raw()), &sid)
					}
					return resp.Choices[0].Message.Content, sid
				}
				s := cl.Chat.Completions.NewStreaming(ctx, params, opts...)
				var b strings.Builder
				sid, first := "", true
				for s.Next() {
					ch := s.Current()
					if first {
						if f, ok := ch.JSON.ExtraFields["session_id"]; ok {
							_ = json.Unmarshal([]byte(f.Raw()), &sid)
						}
						first = false
					} else if _, ok := ch.JSON.ExtraFields["session_id"]; ok {
						t.Error("session_id on a chunk after the first")
					}
					if len(ch.Choices) > 0 {
						b.WriteString(ch.Choices[0].Delta.Content)
					}
				}
				if err := s.Err(); err != nil {
					t.Fatal(err)
				}
				return b.String(), sid
			}
			r1, sid := turn("first question", c.streamFirst, option.WithJSONSet("enable_history", true))
			if sid == "" {
				t.Fatal("no session_id returned")
			}
			eq(t, "first reply", r1, "answer 1")
			eq(t, "first upstream call", g.sentTexts(t), []string{"user:first question"})
			if last := g.up.Last(t); last.Field("enable_history") != nil {
				f := last.Field("enable_history")
				t.Errorf("enable_history was sent upstream: %s", f)
			}

			r2, sid2 := turn("second question", c.stream2, option.WithJSONSet("session_id", sid))
			eq(t, "second reply", r2, "answer 3")
			eq(t, "session_id on the continued turn", sid2, sid)
			eq(t, "second upstream call", g.sentTexts(t), []string{"user:first question", "assistant:answer 1", "user:second question"})

			eq(t, "/chat-history", g.chatHistory(t, histMaster, sid),
				[]string{"user:first question", "assistant:answer 1", "user:second question", "assistant:answer 3"})
			code, body := g.post(t, "/session-ids", histMaster, `{}`)
			eq(t, "/session-ids", fmt.Sprint(code, " ", body), fmt.Sprintf(`200 {"session_ids":["%s"]}`, sid))
		})
	}
}

// TestHistoryNotFound: another key, an unknown id, a malformed id: 404 on
// every path, the same answer whether the session exists or not, and no
// session is created.
func TestHistoryNotFound(t *testing.T) {
	ctx := context.Background()
	g := newHistGateway(t, true)
	clA := g.client(g.keyA)
	resp, err := clA.Chat.Completions.New(ctx, openai.ChatCompletionNewParams{Model: "gpt-4o", Messages: userMsg("mine")},
		option.WithJSONSet("enable_history", true))
	if err != nil {
		t.Fatal(err)
	}
	owned := sessionOf(t, resp.RawJSON())
	calls := len(g.up.Calls())
	for _, c := range []struct {
		name, key, id string
	}{
		{"another key", g.keyB, owned},
		{"the master key", histMaster, owned},
		{"unknown id", g.keyA, "0123456789abcdef0123456789abcdef"},
		{"malformed id", g.keyA, "not#an-id"},
	} {
		t.Run(c.name, func(t *testing.T) {
			cl := g.client(c.key)
			_, err := cl.Chat.Completions.New(ctx, openai.ChatCompletionNewParams{Model: "gpt-4o", Messages: userMsg("peek")},
				option.WithJSONSet("session_id", c.id))
			var apiErr *openai.Error
			if !errors.As(err, &apiErr) || apiErr.StatusCode != 404 || apiErr.Code != "session_not_found" || apiErr.Param != "session_id" {
				t.Fatalf("chat: %v, want a 404 session_not_found", err)
			}
			code, body := g.post(t, "/chat-history", c.key, `{"session_id":"`+c.id+`"}`)
			if code != 404 || !strings.Contains(body, `"session_not_found"`) || strings.Contains(body, "mine") {
				t.Errorf("/chat-history: %d %s", code, body)
			}
			code, body = g.post(t, "/bedrock/chat-history", c.key, `{"session_id":"`+c.id+`"}`)
			if code != 404 || strings.Contains(body, "mine") {
				t.Errorf("/bedrock/chat-history: %d %s", code, body)
			}
		})
	}
	if n := len(g.up.Calls()); n != calls {
		t.Errorf("the upstream was called %d more times for refused sessions", n-calls)
	}
	for _, c := range []struct{ key, want string }{
		{g.keyA, `{"session_ids":["` + owned + `"]}`},
		{g.keyB, `{"session_ids":[]}`},
		{histMaster, `{"session_ids":[]}`},
	} {
		if code, body := g.post(t, "/session-ids", c.key, ``); code != 200 || body != c.want {
			t.Errorf("/session-ids: %d %s, want %s", code, body, c.want)
		}
	}
}

// TestHistoryConcurrentTurns: 20 turns at once on one session, through
// HTTP, lose no message.
func TestHistoryConcurrentTurns(t *testing.T) {
	ctx := context.Background()
	g := newHistGateway(t, true)
	cl := g.client(histMaster)
	resp, err := cl.Chat.Completions.New(ctx, openai.ChatCompletionNewParams{Model: "gpt-4o", Messages: userMsg("start")},
		option.WithJSONSet("enable_history", true))
	if err != nil {
		t.Fatal(err)
	}
	sid := sessionOf(t, resp.RawJSON())
	const n = 20
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := cl.Chat.Completions.New(ctx, openai.ChatCompletionNewParams{Model: "gpt-4o", Messages: userMsg(fmt.Sprint("q", i))},
				option.WithJSONSet("session_id", sid))
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	got := g.chatHistory(t, histMaster, sid)
	if len(got) != 2+2*n {
		t.Fatalf("%d messages stored, want %d: %v", len(got), 2+2*n, got)
	}
	questions := map[string]bool{}
	for i := 2; i < len(got); i += 2 {
		if !strings.HasPrefix(got[i], "user:q") || !strings.HasPrefix(got[i+1], "assistant:answer ") {
			t.Errorf("messages %d, %d: %q, %q", i, i+1, got[i], got[i+1])
		}
		questions[got[i]] = true
	}
	if len(questions) != n {
		t.Errorf("%d distinct questions stored, want %d", len(questions), n)
	}
}

// TestHistoryStreamCut: a stream that fails mid-way, or whose client goes
// away, is stored with its reply marked incomplete; the next turn gets the
// partial text as context.
func TestHistoryStreamCut(t *testing.T) {
	ctx := context.Background()
	t.Run("upstream fails mid-stream", func(t *testing.T) {
		g := newHistGateway(t, true)
		cl := g.client(histMaster)
		s := cl.Chat.Completions.NewStreaming(ctx, openai.ChatCompletionNewParams{Model: "breaks", Messages: userMsg("go")},
			option.WithJSONSet("enable_history", true))
		sid := ""
		for s.Next() {
			if sid == "" {
				sid = sessionOf(t, s.Current().RawJSON())
			}
		}
		if s.Err() == nil {
			t.Fatal("the stream did not fail")
		}
		eq(t, "/chat-history", g.chatHistory(t, histMaster, sid), []string{"user:go", "assistant:partial (incomplete)"})
		if _, err := cl.Chat.Completions.New(ctx, openai.ChatCompletionNewParams{Model: "gpt-4o", Messages: userMsg("again")},
			option.WithJSONSet("session_id", sid)); err != nil {
			t.Fatal(err)
		}
		eq(t, "next upstream call", g.sentTexts(t), []string{"user:go", "assistant:partial", "user:again"})
	})
	t.Run("client goes away", func(t *testing.T) {
		g := newHistGateway(t, true)
		req := httptest.NewRequest("POST", "/v1/chat/completions",
			strings.NewReader(`{"model":"gpt-4o","stream":true,"enable_history":true,"messages":[{"role":"user","content":"go"}]}`))
		req.Header.Set("Authorization", "Bearer "+histMaster)
		w := &deadAfter{header: http.Header{}, writes: 2} // the role chunk and "ans" arrive
		g.handler.ServeHTTP(w, req)
		sid := sessionOf(t, strings.TrimPrefix(strings.SplitN(w.body.String(), "\n", 2)[0], "data: "))
		eq(t, "/chat-history", g.chatHistory(t, histMaster, sid), []string{"user:go", "assistant:ans (incomplete)"})
	})
	t.Run("completed stream is complete", func(t *testing.T) {
		g := newHistGateway(t, true)
		cl := g.client(histMaster)
		s := cl.Chat.Completions.NewStreaming(ctx, openai.ChatCompletionNewParams{Model: "gpt-4o", Messages: userMsg("go")},
			option.WithJSONSet("enable_history", true))
		sid := ""
		for s.Next() {
			if sid == "" {
				sid = sessionOf(t, s.Current().RawJSON())
			}
		}
		if err := s.Err(); err != nil {
			t.Fatal(err)
		}
		eq(t, "/chat-history", g.chatHistory(t, histMaster, sid), []string{"user:go", "assistant:answer 1"})
	})
}

// deadAfter is a client connection that accepts a number of writes, then
// fails every later one.
type deadAfter struct {
	header http.Header
	body   bytes.Buffer
	writes int
}

func (w *deadAfter) Header() http.Header { return w.header }
func (w *deadAfter) WriteHeader(int)     {}
func (w *deadAfter) Write(p []byte) (int, error) {
	if w.writes == 0 {
		return 0, errors.New("connection reset by peer")
	}
	w.writes--
	return w.body.Write(p)
}

// TestHistoryBedrock: the Converse interface with the real SDK: the
// session id in the x-session-id header, continued through
// additionalModelRequestFields, streamed and not, and read back from
// /bedrock/chat-history in Converse's format.
func TestHistoryBedrock(t *testing.T) {
	ctx := context.Background()
	g := newHistGateway(t, true)
	br := g.bedrock(histMaster)
	sessionHeader := func(md any) string {
		t.Helper()
		raw, ok := md.(*smithyhttp.Response)
		if !ok {
			t.Fatalf("no raw response: %T", md)
		}
		return raw.Header.Get("X-Session-Id")
	}
	fields := func(m map[string]any) document.Interface { return document.NewLazyDocument(m) }

	out, err := br.Converse(ctx, &bedrockruntime.ConverseInput{ModelId: aws.String("gpt-4o"),
		System:                       []types.SystemContentBlock{&types.SystemContentBlockMemberText{Value: "be brief"}},
		Messages:                     []types.Message{{Role: types.ConversationRoleUser, Content: []types.ContentBlock{&types.ContentBlockMemberText{Value: "hello"}}}},
		AdditionalModelRequestFields: fields(map[string]any{"enable_history": true})})
	if err != nil {
		t.Fatal(err)
	}
	sid := sessionHeader(awsmiddleware.GetRawResponse(out.ResultMetadata))
	if sid == "" {
		t.Fatal("no x-session-id header")
	}
	eq(t, "first reply", out.Output.(*types.ConverseOutputMemberMessage).Value.Content[0].(*types.ContentBlockMemberText).Value, "answer 2")

	st, err := br.ConverseStream(ctx, &bedrockruntime.ConverseStreamInput{ModelId: aws.String("gpt-4o"),
		Messages:                     []types.Message{{Role: types.ConversationRoleUser, Content: []types.ContentBlock{&types.ContentBlockMemberText{Value: "more"}}}},
		AdditionalModelRequestFields: fields(map[string]any{"session_id": sid})})
	if err != nil {
		t.Fatal(err)
	}
	eq(t, "x-session-id on the stream", sessionHeader(awsmiddleware.GetRawResponse(st.ResultMetadata)), sid)
	var text strings.Builder
	stream := st.GetStream()
	for ev := range stream.Events() {
		if d, ok := ev.(*types.ConverseStreamOutputMemberContentBlockDelta); ok {
			text.WriteString(d.Value.Delta.(*types.ContentBlockDeltaMemberText).Value)
		}
	}
	if err := stream.Close(); err != nil {
		t.Fatal(err)
	}
	eq(t, "streamed reply", text.String(), "answer 4")
	eq(t, "upstream saw", g.sentTexts(t), []string{"system:be brief", "user:hello", "assistant:answer 2", "user:more"})
	if last := g.up.Last(t); last.Field("session_id") != nil {
		f := last.Field("session_id")
		t.Errorf("session_id was sent upstream: %s", f)
	}

	code, body := g.post(t, "/bedrock/chat-history", histMaster, `{"session_id":"`+sid+`"}`)
	var conv struct {
		Messages json.RawMessage `json:"messages"`
		System   json.RawMessage `json:"system"`
	}
	if code != 200 || json.Unmarshal([]byte(body), &conv) != nil {
		t.Fatalf("/bedrock/chat-history: %d %s", code, body)
	}
	eq(t, "system", string(conv.System), `[{"text":"be brief"}]`)
	eq(t, "messages", string(conv.Messages), `[{"role":"user","content":[{"text":"hello"}]},{"role":"assistant","content":[{"text":"answer 2"}]},`+
		`{"role":"user","content":[{"text":"more"}]},{"role":"assistant","content":[{"text":"answer 4"}]}]`)

	_, err = g.bedrock(g.keyB).Converse(ctx, &bedrockruntime.ConverseInput{ModelId: aws.String("gpt-4o"),
		Messages:                     []types.Message{{Role: types.ConversationRoleUser, Content: []types.ContentBlock{&types.ContentBlockMemberText{Value: "peek"}}}},
		AdditionalModelRequestFields: fields(map[string]any{"session_id": sid})})
	var nf *types.ResourceNotFoundException
	if !errors.As(err, &nf) {
		t.Errorf("another key continuing the session: %v, want ResourceNotFoundException", err)
	}
}

// TestHistoryEndpointErrors: bad bodies, no key, and a gateway without
// history.
func TestHistoryEndpointErrors(t *testing.T) {
	g := newHistGateway(t, true)
	off := newHistGateway(t, false)
	for _, c := range []struct {
		name, path, key, body string
		gw                    *histGateway
		code                  int
		has                   string
	}{
		{"no session_id", "/chat-history", histMaster, `{}`, g, 400, "session_id is required"},
		{"not JSON", "/chat-history", histMaster, `[1]`, g, 400, "session_id"},
		{"no key", "/chat-history", "", `{"session_id":"x"}`, g, 401, "invalid_api_key"},
		{"bedrock without session_id", "/bedrock/chat-history", histMaster, `{}`, g, 400, "session_id is required"},
		{"bedrock no key", "/bedrock/chat-history", "wrong", `{"session_id":"x"}`, g, 403, "invalid API key"},
		{"history off: endpoint", "/session-ids", histMaster, `{}`, off, 501, "history_unavailable"},
	} {
		t.Run(c.name, func(t *testing.T) {
			code, body := c.gw.post(t, c.path, c.key, c.body)
			if code != c.code || !strings.Contains(body, c.has) {
				t.Errorf("%d %s, want %d with %q", code, body, c.code, c.has)
			}
		})
	}
	// A gateway without history serves chat as before, history fields
	// ignored.
	code, body := off.post(t, "/v1/chat/completions", histMaster,
		`{"model":"gpt-4o","enable_history":true,"messages":[{"role":"user","content":"x"}]}`)
	if code != 200 || strings.Contains(body, "session_id") {
		t.Errorf("chat on a gateway without history: %d %s", code, body)
	}
}
