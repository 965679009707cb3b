package openai_test

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/tollgate-gw/tollgate/internal/httpclient"
	"github.com/tollgate-gw/tollgate/internal/llm"
	"github.com/tollgate-gw/tollgate/internal/provider"
	"github.com/tollgate-gw/tollgate/internal/provider/openai"
	"github.com/tollgate-gw/tollgate/internal/provider/openai/openaitest"
	wire "github.com/tollgate-gw/tollgate/internal/wire/openai"
)

const testKey = "sk-test-0123456789abcdef"

// newModel builds an adapter for the fake, filling what the test left out.
func newModel(t *testing.T, srv *openaitest.Server, opts openai.Options) *openai.Model {
	t.Helper()
	if opts.BaseURL == "" {
		opts.BaseURL = srv.URL + "/v1"
	}
	if opts.APIKey == "" {
		opts.APIKey = testKey
	}
	if opts.ModelID == "" {
		opts.ModelID = "gpt-4o-mini"
	}
	client := httpclient.New(nil)
	t.Cleanup(client.CloseIdleConnections)
	m, err := openai.New(client, opts)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// chatRequest decodes a client request the way the HTTP layer does.
func chatRequest(t testing.TB, body string) *llm.Request {
	t.Helper()
	req, err := wire.DecodeChatRequest([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	return req
}

// fields decodes a recorded JSON body's top level.
func fields(t *testing.T, body []byte) map[string]json.RawMessage {
	t.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal(body, &m); err != nil {
		t.Fatalf("upstream got a body that is not a JSON object: %v\n%s", err, body)
	}
	return m
}

func asProviderError(t *testing.T, err error) *provider.Error {
	t.Helper()
	pe, ok := provider.AsError(err)
	if !ok {
		t.Fatalf("error %v (%T) is not a *provider.Error", err, err)
	}
	return pe
}

func TestNewValidates(t *testing.T) {
	client := httpclient.New(nil)
	tests := []struct {
		name    string
		client  *http.Client
		opts    openai.Options
		wantErr []string // substrings; nil means success
	}{
		{name: "openai with key and default base", opts: openai.Options{APIKey: testKey, ModelID: "gpt-4o"}},
		{name: "empty provider means openai", opts: openai.Options{Provider: "", APIKey: testKey, ModelID: "gpt-4o"}},
		{name: "ollama needs no key", opts: openai.Options{Provider: "ollama", ModelID: "llama3"}},
		{name: "hosted_vllm with base and no key", opts: openai.Options{Provider: "hosted_vllm", BaseURL: "http://10.0.0.5:8000/v1", ModelID: "m"}},
		{
			name:    "missing key names the setting and the variable",
			opts:    openai.Options{Provider: "groq", ModelID: "llama3-8b-8192"},
			wantErr: []string{"groq", "litellm_params.api_key", "GROQ_API_KEY"},
		},
		{
			name:    "databricks needs api_base",
			opts:    openai.Options{Provider: "databricks", APIKey: testKey, ModelID: "dbrx"},
			wantErr: []string{"litellm_params.api_base", "DATABRICKS_API_BASE"},
		},
		{
			name:    "base URL with another scheme",
			opts:    openai.Options{BaseURL: "ftp://api.example.com/v1", APIKey: testKey, ModelID: "m"},
			wantErr: []string{"api_base", "http"},
		},
		{
			name:    "base URL without host",
			opts:    openai.Options{BaseURL: "http:///v1", APIKey: testKey, ModelID: "m"},
			wantErr: []string{"no host"},
		},
		{
			name:    "unparseable base URL",
			opts:    openai.Options{BaseURL: "http://[::1", APIKey: testKey, ModelID: "m"},
			wantErr: []string{"api_base"},
		},
		{
			name:    "provider outside the family",
			opts:    openai.Options{Provider: "bedrock", APIKey: testKey, ModelID: "m"},
			wantErr: []string{`"bedrock"`, "not an OpenAI-compatible provider"},
		},
		{
			name:    "unknown provider",
			opts:    openai.Options{Provider: "opnai", APIKey: testKey, ModelID: "m"},
			wantErr: []string{`"opnai"`},
		},
		{
			name:    "empty model id",
			opts:    openai.Options{APIKey: testKey},
			wantErr: []string{"model id", "openai/<model-id>"},
		},
		{
			name:    "negative timeout",
			opts:    openai.Options{APIKey: testKey, ModelID: "m", Timeout: -1},
			wantErr: []string{"timeout"},
		},
		{
			name:    "key with a trailing newline",
			opts:    openai.Options{APIKey: testKey + "\n", ModelID: "m"},
			wantErr: []string{"Authorization", "control character"},
		},
		{
			name:    "extra header with a bad name",
			opts:    openai.Options{APIKey: testKey, ModelID: "m", ExtraHeaders: http.Header{"X Bad": {"v"}}},
			wantErr: []string{`"X Bad"`},
		},
		{
			name:    "nil client",
			client:  nil,
			opts:    openai.Options{APIKey: testKey, ModelID: "m"},
			wantErr: []string{"nil *http.Client"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := client
			if tt.name == "nil client" {
				c = tt.client
			}
			m, err := openai.New(c, tt.opts)
			if tt.wantErr == nil {
				if err != nil || m == nil {
					t.Fatalf("New: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatal("New succeeded; want an error")
			}
			for _, s := range tt.wantErr {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q does not mention %q", err, s)
				}
			}
			if strings.Contains(err.Error(), testKey) {
				t.Errorf("error %q contains the API key", err)
			}
		})
	}
}

// clientRequest is what an OpenAI SDK sends, plus gateway controls and
// provider extras.
const clientRequest = `{
  "model": "my-group",
  "messages": [
    {"role": "system", "content": "You are terse."},
    {"role": "user", "content": [{"type": "text", "text": "What is in this image?"},
      {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgo=", "detail": "low"}}]},
    {"role": "assistant", "content": null, "tool_calls": [{"id": "call_1", "type": "function", "function": {"name": "look", "arguments": "{}"}}]},
    {"role": "tool", "tool_call_id": "call_1", "content": "a cat"}
  ],
  "tools": [{"type": "function", "function": {"name": "look", "parameters": {"type": "object", "properties": {}}}}],
  "tool_choice": "auto",
  "temperature": 0.2,
  "max_tokens": 64,
  "stop": ["\n\n"],
  "seed": 42,
  "user": "u-1",
  "stream": true,
  "stream_options": {"include_usage": true},
  "drop_params": true,
  "tags": ["team-a"],
  "fallbacks": ["backup"],
  "num_retries": 3,
  "metadata": {"tags": ["x"]},
  "top_k": 40,
  "service_tier": "flex",
  "prediction": {"type": "content", "content": "a"}
}`

func TestChatSendsTheRequestAsOpenAIExpectsIt(t *testing.T) {
	srv := openaitest.NewServer(t, openaitest.JSON(http.StatusOK, openaitest.ChatCompletion))
	m := newModel(t, srv, openai.Options{
		ModelID:      "gpt-4o-2024-08-06",
		Organization: "org-42",
		ExtraHeaders: http.Header{"X-Trace": {"abc"}, "authorization": {"Bearer wrong"}},
	})
	req := chatRequest(t, clientRequest)

	resp, err := m.Chat(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	call := srv.Last(t)
	if call.Method != http.MethodPost || call.Path != "/v1/chat/completions" {
		t.Errorf("upstream got %s %s, want POST /v1/chat/completions", call.Method, call.Path)
	}
	for name, want := range map[string]string{
		"Authorization":       "Bearer " + testKey, // the credential wins over ExtraHeaders
		"Openai-Organization": "org-42",
		"Content-Type":        "application/json",
		"X-Trace":             "abc",
	} {
		if got := call.Header.Get(name); got != want {
			t.Errorf("header %s = %q, want %q", name, got, want)
		}
	}
	body := fields(t, call.Body)
	if got := string(body["model"]); got != `"gpt-4o-2024-08-06"` {
		t.Errorf("model = %s, want the deployment's model id", got)
	}
	for _, gone := range []string{"drop_params", "tags", "fallbacks", "num_retries", "stream", "stream_options"} {
		if _, ok := body[gone]; ok {
			t.Errorf("body has %q; gateway fields and the stream flag must not reach a non-streaming call", gone)
		}
	}
	for name, want := range map[string]string{
		"top_k":        "40",
		"service_tier": `"flex"`,
		"prediction":   `{"type": "content", "content": "a"}`,
		"temperature":  "0.2",
		"max_tokens":   "64",
		"seed":         "42",
		"tool_choice":  `"auto"`,
	} {
		if got := string(body[name]); got != want {
			t.Errorf("%s = %s, want %s", name, got, want)
		}
	}
	var msgs []map[string]json.RawMessage
	if err := json.Unmarshal(body["messages"], &msgs); err != nil || len(msgs) != 4 {
		t.Fatalf("messages = %s (%v)", body["messages"], err)
	}
	if !strings.Contains(string(msgs[1]["content"]), "data:image/png;base64,iVBORw0KGgo=") {
		t.Errorf("image part lost: %s", msgs[1]["content"])
	}
	if string(msgs[3]["tool_call_id"]) != `"call_1"` {
		t.Errorf("tool result lost its tool_call_id: %s", msgs[3]["tool_call_id"])
	}
	if req.Model != "my-group" || !req.Stream {
		t.Error("Chat modified the caller's request")
	}

	if len(resp.Choices) != 1 || resp.Choices[0].Message.Text() != "Hello! How can I assist you today?" {
		t.Fatalf("choices = %+v", resp.Choices)
	}
	if resp.Choices[0].FinishReason != "stop" || resp.ID != "chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT" {
		t.Errorf("response = %+v", resp)
	}
	if u := resp.Usage; u == nil || u.PromptTokens != 19 || u.CompletionTokens != 10 || u.TotalTokens != 29 {
		t.Errorf("usage = %+v", resp.Usage)
	}
}

func TestChatToolCallReply(t *testing.T) {
	srv := openaitest.NewServer(t, openaitest.JSON(http.StatusOK, openaitest.ChatCompletionToolCall))
	m := newModel(t, srv, openai.Options{})
	resp, err := m.Chat(context.Background(), chatRequest(t, `{"model":"g","messages":[{"role":"user","content":"weather?"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	c := resp.Choices[0]
	if c.FinishReason != "tool_calls" || len(c.Message.ToolCalls) != 1 {
		t.Fatalf("choice = %+v", c)
	}
	tc := c.Message.ToolCalls[0]
	if tc.ID != "call_abc123" || tc.Name != "get_current_weather" || tc.Arguments != "{\n\"location\": \"Boston, MA\"\n}" {
		t.Errorf("tool call = %+v", tc)
	}
}

func TestBaseURLVariants(t *testing.T) {
	srv := openaitest.NewServer(t, openaitest.JSON(http.StatusOK, openaitest.ChatCompletion))
	tests := []struct{ base, wantPath string }{
		{srv.URL + "/v1", "/v1/chat/completions"},
		{srv.URL + "/v1/", "/v1/chat/completions"},
		{srv.URL, "/chat/completions"},                                          // perplexity's root
		{srv.URL + "/serving-endpoints", "/serving-endpoints/chat/completions"}, // databricks
	}
	for _, tt := range tests {
		m := newModel(t, srv, openai.Options{BaseURL: tt.base})
		if _, err := m.Chat(context.Background(), chatRequest(t, `{"model":"g","messages":[{"role":"user","content":"hi"}]}`)); err != nil {
			t.Fatal(err)
		}
		if got := srv.Last(t).Path; got != tt.wantPath {
			t.Errorf("base %q: path %q, want %q", tt.base, got, tt.wantPath)
		}
	}
}

func TestKeylessProviderSendsNoAuthorization(t *testing.T) {
	srv := openaitest.NewServer(t, openaitest.JSON(http.StatusOK, openaitest.ChatCompletion))
	client := httpclient.New(nil)
	t.Cleanup(client.CloseIdleConnections)
	m, err := openai.New(client, openai.Options{Provider: "ollama_chat", BaseURL: srv.URL + "/v1", ModelID: "llama3.1"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.Chat(context.Background(), chatRequest(t, `{"model":"g","messages":[{"role":"user","content":"hi"}]}`)); err != nil {
		t.Fatal(err)
	}
	if h := srv.Last(t).Header.Get("Authorization"); h != "" {
		t.Errorf("Authorization = %q, want none", h)
	}
}

func TestConcurrentCallsShareTheModel(t *testing.T) {
	srv := openaitest.NewServer(t, openaitest.JSON(http.StatusOK, openaitest.ChatCompletion))
	m := newModel(t, srv, openai.Options{ExtraHeaders: http.Header{"X-A": {"1"}}})
	req := chatRequest(t, `{"model":"g","messages":[{"role":"user","content":"hi"}],"max_tokens":5}`)
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for range 16 {
		wg.Go(func() {
			if _, err := m.Chat(context.Background(), req); err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if n := len(srv.Calls()); n != 16 {
		t.Fatalf("upstream got %d calls, want 16", n)
	}
}

func TestNonStreamingCallsReuseOneConnection(t *testing.T) {
	srv := openaitest.NewServer(t, openaitest.JSON(http.StatusOK, openaitest.ChatCompletion))
	m := newModel(t, srv, openai.Options{})
	req := chatRequest(t, `{"model":"g","messages":[{"role":"user","content":"hi"}]}`)
	for range 5 {
		if _, err := m.Chat(context.Background(), req); err != nil {
			t.Fatal(err)
		}
	}
	if n := srv.Connections(); n != 1 {
		t.Fatalf("5 sequential calls opened %d connections, want 1", n)
	}
}

func TestEmbed(t *testing.T) {
	tests := []struct {
		name    string
		reply   string
		request llm.EmbeddingRequest
		want    [][]float32
		body    map[string]string
	}{
		{
			name:    "float vectors",
			reply:   openaitest.Embeddings,
			request: llm.EmbeddingRequest{Model: "emb", Input: []string{"a", "b"}, Dimensions: ptr(3), Extra: []llm.Field{{Name: "x_custom", Value: json.RawMessage(`true`)}}},
			want:    [][]float32{{0.0023064255, -0.009327292, 0.015797347}, {0.5, -1.25, 3}},
			body:    map[string]string{"model": `"text-embedding-3-small"`, "input": `["a","b"]`, "dimensions": "3", "x_custom": "true"},
		},
		{
			name:    "base64 vectors",
			reply:   openaitest.EmbeddingsBase64,
			request: llm.EmbeddingRequest{Model: "emb", Input: []string{"one"}, SingleInput: true, EncodingFormat: "base64"},
			want:    [][]float32{{1, -2, 0.5}},
			body:    map[string]string{"input": `"one"`, "encoding_format": `"base64"`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := openaitest.NewServer(t, openaitest.JSON(http.StatusOK, tt.reply))
			m := newModel(t, srv, openai.Options{ModelID: "text-embedding-3-small"})
			resp, err := m.Embed(context.Background(), &tt.request)
			if err != nil {
				t.Fatal(err)
			}
			call := srv.Last(t)
			if call.Path != "/v1/embeddings" {
				t.Errorf("path = %q", call.Path)
			}
			body := fields(t, call.Body)
			for k, v := range tt.body {
				if got := string(body[k]); got != v {
					t.Errorf("%s = %s, want %s", k, got, v)
				}
			}
			if len(resp.Vectors) != len(tt.want) {
				t.Fatalf("got %d vectors, want %d", len(resp.Vectors), len(tt.want))
			}
			for i := range tt.want {
				for j := range tt.want[i] {
					if resp.Vectors[i][j] != tt.want[i][j] {
						t.Errorf("vector %d[%d] = %v, want %v", i, j, resp.Vectors[i][j], tt.want[i][j])
					}
				}
			}
			if resp.Usage == nil || resp.Usage.PromptTokens == 0 {
				t.Errorf("usage = %+v", resp.Usage)
			}
		})
	}
}

func TestEmbedRefusesAShortReply(t *testing.T) {
	srv := openaitest.NewServer(t, openaitest.JSON(http.StatusOK, openaitest.EmbeddingsBase64))
	m := newModel(t, srv, openai.Options{})
	_, err := m.Embed(context.Background(), &llm.EmbeddingRequest{Model: "e", Input: []string{"a", "b"}})
	pe := asProviderError(t, err)
	if pe.Kind != provider.KindUnavailable || !strings.Contains(pe.Message, "1 embeddings for 2 inputs") {
		t.Fatalf("error = %+v", pe)
	}
}

func TestGenerateImage(t *testing.T) {
	tests := []struct {
		name  string
		reply string
		check func(t *testing.T, r *llm.ImageResponse)
	}{
		{"url", openaitest.Images, func(t *testing.T, r *llm.ImageResponse) {
			if len(r.Images) != 1 || r.Images[0].URL != "https://example.invalid/img-1.png" || r.Images[0].RevisedPrompt == "" {
				t.Errorf("images = %+v", r.Images)
			}
		}},
		{"b64 with usage", openaitest.ImagesB64, func(t *testing.T, r *llm.ImageResponse) {
			if len(r.Images) != 1 || r.Images[0].B64JSON != "iVBORw0KGgo=" {
				t.Errorf("images = %+v", r.Images)
			}
			if r.Usage == nil || r.Usage.PromptTokens != 50 || r.Usage.CompletionTokens != 4160 {
				t.Errorf("usage = %+v", r.Usage)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := openaitest.NewServer(t, openaitest.JSON(http.StatusOK, tt.reply))
			m := newModel(t, srv, openai.Options{ModelID: "dall-e-3"})
			resp, err := m.GenerateImage(context.Background(), &llm.ImageRequest{Model: "img", Prompt: "an otter", N: ptr(1), Size: "1024x1024"})
			if err != nil {
				t.Fatal(err)
			}
			call := srv.Last(t)
			body := fields(t, call.Body)
			if call.Path != "/v1/images/generations" || string(body["model"]) != `"dall-e-3"` ||
				string(body["prompt"]) != `"an otter"` || string(body["size"]) != `"1024x1024"` {
				t.Errorf("upstream got %s %s", call.Path, call.Body)
			}
			tt.check(t, resp)
		})
	}
}

func TestMaxTokensBecomesMaxCompletionTokensForReasoningModels(t *testing.T) {
	tests := []struct {
		provider, model string
		request         string
		wantMax         string // max_tokens in the body, "" for absent
		wantMaxComp     string
	}{
		{"openai", "o3-mini", `{"model":"g","messages":[{"role":"user","content":"hi"}],"max_tokens":100}`, "", "100"},
		{"openai", "o1", `{"model":"g","messages":[{"role":"user","content":"hi"}],"max_tokens":100}`, "", "100"},
		{"openai", "o4-mini-2025-04-16", `{"model":"g","messages":[{"role":"user","content":"hi"}],"max_tokens":7}`, "", "7"},
		{"openai", "gpt-5-mini", `{"model":"g","messages":[{"role":"user","content":"hi"}],"max_tokens":100}`, "", "100"},
		{"openai", "o3", `{"model":"g","messages":[{"role":"user","content":"hi"}],"max_tokens":100,"max_completion_tokens":50}`, "", "50"},
		{"openai", "o3", `{"model":"g","messages":[{"role":"user","content":"hi"}],"max_completion_tokens":50}`, "", "50"},
		{"openai", "gpt-4o", `{"model":"g","messages":[{"role":"user","content":"hi"}],"max_tokens":100}`, "100", ""},
		{"deepseek", "o1-like", `{"model":"g","messages":[{"role":"user","content":"hi"}],"max_tokens":100}`, "100", ""},
	}
	for _, tt := range tests {
		t.Run(tt.provider+"/"+tt.model, func(t *testing.T) {
			srv := openaitest.NewServer(t, openaitest.JSON(http.StatusOK, openaitest.ChatCompletion))
			m := newModel(t, srv, openai.Options{Provider: tt.provider, ModelID: tt.model})
			req := chatRequest(t, tt.request)
			before := req.MaxTokens
			if _, err := m.Chat(context.Background(), req); err != nil {
				t.Fatal(err)
			}
			body := fields(t, srv.Last(t).Body)
			if got := string(body["max_tokens"]); got != tt.wantMax {
				t.Errorf("max_tokens = %q, want %q", got, tt.wantMax)
			}
			if got := string(body["max_completion_tokens"]); got != tt.wantMaxComp {
				t.Errorf("max_completion_tokens = %q, want %q", got, tt.wantMaxComp)
			}
			if req.MaxTokens != before {
				t.Error("the caller's request was modified")
			}
		})
	}
}

func TestDropParams(t *testing.T) {
	const withLogprobs = `{"model":"g","messages":[{"role":"user","content":"hi"}],"logprobs":true,"top_logprobs":2,"temperature":0.5}`
	tests := []struct {
		name       string
		provider   string
		optsDrop   bool
		request    string
		wantParam  string   // Unsupported param expected; "" means the call goes through
		wantAbsent []string // params that must not reach the upstream
		wantKept   []string // params that must reach it
	}{
		{name: "groq refuses logprobs", provider: "groq", request: withLogprobs, wantParam: "logprobs"},
		{name: "request drop_params drops them", provider: "groq",
			request:    `{"model":"g","messages":[{"role":"user","content":"hi"}],"logprobs":true,"top_logprobs":2,"temperature":0.5,"drop_params":true}`,
			wantAbsent: []string{"logprobs", "top_logprobs", "drop_params"}, wantKept: []string{"temperature"}},
		{name: "deployment drop_params drops them", provider: "groq", optsDrop: true, request: withLogprobs,
			wantAbsent: []string{"logprobs", "top_logprobs"}, wantKept: []string{"temperature"}},
		{name: "request drop_params false overrides the deployment", provider: "groq", optsDrop: true,
			request:   `{"model":"g","messages":[{"role":"user","content":"hi"}],"logit_bias":{"50256":-100},"drop_params":false}`,
			wantParam: "logit_bias"},
		{name: "groq n=2 is refused", provider: "groq", request: `{"model":"g","messages":[{"role":"user","content":"hi"}],"n":2}`, wantParam: "n"},
		{name: "groq n=1 is dropped without asking", provider: "groq",
			request: `{"model":"g","messages":[{"role":"user","content":"hi"}],"n":1}`, wantAbsent: []string{"n"}},
		{name: "logprobs false is dropped without asking", provider: "groq",
			request: `{"model":"g","messages":[{"role":"user","content":"hi"}],"logprobs":false}`, wantAbsent: []string{"logprobs"}},
		{name: "perplexity refuses tools", provider: "perplexity",
			request:   `{"model":"g","messages":[{"role":"user","content":"hi"}],"tools":[{"type":"function","function":{"name":"f"}}]}`,
			wantParam: "tools"},
		{name: "perplexity refuses legacy functions in extras", provider: "perplexity",
			request:   `{"model":"g","messages":[{"role":"user","content":"hi"}],"functions":[{"name":"f"}]}`,
			wantParam: "functions"},
		{name: "perplexity drops tools under drop_params", provider: "perplexity", optsDrop: true,
			request:    `{"model":"g","messages":[{"role":"user","content":"hi"}],"tools":[{"type":"function","function":{"name":"f"}}],"tool_choice":"auto","web_search_options":{"search_context_size":"low"}}`,
			wantAbsent: []string{"tools", "tool_choice"}, wantKept: []string{"web_search_options"}},
		{name: "openai takes them all", provider: "openai", request: withLogprobs,
			wantKept: []string{"logprobs", "top_logprobs", "temperature"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := openaitest.NewServer(t, openaitest.JSON(http.StatusOK, openaitest.ChatCompletion))
			m := newModel(t, srv, openai.Options{Provider: tt.provider, DropParams: tt.optsDrop})
			for _, stream := range []bool{false, true} {
				var err error
				if stream {
					var s llm.Stream
					s, err = m.ChatStream(context.Background(), chatRequest(t, tt.request))
					if err == nil {
						s.Close()
					}
				} else {
					_, err = m.Chat(context.Background(), chatRequest(t, tt.request))
				}
				if tt.wantParam != "" {
					pe := asProviderError(t, err)
					if pe.Kind != provider.KindUnsupported || pe.Param != tt.wantParam || pe.Status != http.StatusBadRequest ||
						pe.Provider != tt.provider || !strings.Contains(pe.Message, "drop_params") {
						t.Fatalf("error = %+v, want Unsupported(%s, %s)", pe, tt.provider, tt.wantParam)
					}
					if n := len(srv.Calls()); n != 0 {
						t.Fatalf("upstream was called %d times for a refused parameter", n)
					}
					continue
				}
				if stream {
					continue // the stream's body is checked in stream_test.go; here only the refusal matters
				}
				if err != nil {
					t.Fatal(err)
				}
				body := fields(t, srv.Last(t).Body)
				for _, p := range tt.wantAbsent {
					if _, ok := body[p]; ok {
						t.Errorf("%s reached the upstream", p)
					}
				}
				for _, p := range tt.wantKept {
					if _, ok := body[p]; !ok {
						t.Errorf("%s did not reach the upstream", p)
					}
				}
			}
		})
	}
}

func TestChatWithCancelledContextSendsNothing(t *testing.T) {
	srv := openaitest.NewServer(t, openaitest.JSON(http.StatusOK, openaitest.ChatCompletion))
	m := newModel(t, srv, openai.Options{})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := m.Chat(ctx, chatRequest(t, `{"model":"g","messages":[{"role":"user","content":"hi"}]}`))
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if _, ok := provider.AsError(err); ok {
		t.Error("a cancelled call is reported as an upstream failure")
	}
}

func ptr[T any](v T) *T { return &v }

func embedRequest() *llm.EmbeddingRequest {
	return &llm.EmbeddingRequest{Model: "emb", Input: []string{"x"}}
}

// TestProviderEndpoints covers the URL and credential rules that depend on
// the provider and the host; a dialer that sends every host to the fake
// lets real upstream host names be used.
func TestProviderEndpoints(t *testing.T) {
	srv := openaitest.NewServer(t, openaitest.JSON(http.StatusOK, openaitest.ChatCompletion))
	addr := strings.TrimPrefix(srv.URL, "http://")
	client := &http.Client{Transport: &http.Transport{
		DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, network, addr)
		},
	}}
	t.Cleanup(client.CloseIdleConnections)
	tests := []struct {
		name       string
		opts       openai.Options
		wantPath   string
		wantQuery  string
		wantHeader [2]string // credential header and value
	}{
		{
			name:     "openai",
			opts:     openai.Options{Provider: "openai", BaseURL: "http://api.openai.com/v1"},
			wantPath: "/v1/chat/completions", wantHeader: [2]string{"Authorization", "Bearer " + testKey},
		},
		{
			name:     "groq",
			opts:     openai.Options{Provider: "groq", BaseURL: "http://api.groq.com/openai/v1"},
			wantPath: "/openai/v1/chat/completions", wantHeader: [2]string{"Authorization", "Bearer " + testKey},
		},
		{
			name:     "azure_ai on Foundry",
			opts:     openai.Options{Provider: "azure_ai", BaseURL: "http://res.services.ai.azure.com", APIVersion: "2024-05-01-preview"},
			wantPath: "/models/chat/completions", wantQuery: "api-version=2024-05-01-preview", wantHeader: [2]string{"Api-Key", testKey},
		},
		{
			name:     "azure_ai on Foundry with /models already",
			opts:     openai.Options{Provider: "azure_ai", BaseURL: "http://res.services.ai.azure.com/models/?api-version=2024-05-01-preview", APIVersion: "ignored"},
			wantPath: "/models/chat/completions", wantQuery: "api-version=2024-05-01-preview", wantHeader: [2]string{"Api-Key", testKey},
		},
		{
			name:     "azure_ai serverless endpoint",
			opts:     openai.Options{Provider: "azure_ai", BaseURL: "http://Mistral-large-xyz.eastus2.models.ai.azure.com"},
			wantPath: "/chat/completions", wantHeader: [2]string{"Authorization", "Bearer " + testKey},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.opts.APIKey, tt.opts.ModelID = testKey, "m"
			m, err := openai.New(client, tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := m.Chat(context.Background(), chatRequest(t, hello)); err != nil {
				t.Fatal(err)
			}
			c := srv.Last(t)
			if c.Path != tt.wantPath || c.Query != tt.wantQuery {
				t.Errorf("upstream got %s?%s, want %s?%s", c.Path, c.Query, tt.wantPath, tt.wantQuery)
			}
			if got := c.Header.Get(tt.wantHeader[0]); got != tt.wantHeader[1] {
				t.Errorf("%s = %q, want %q", tt.wantHeader[0], got, tt.wantHeader[1])
			}
			other := "Api-Key"
			if tt.wantHeader[0] == other {
				other = "Authorization"
			}
			if got := c.Header.Get(other); got != "" {
				t.Errorf("%s = %q; the key must travel in one header only", other, got)
			}
		})
	}
}
