package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"github.com/openai/openai-go/v3/shared"

	"github.com/tollgate-gw/tollgate/internal/app"
	"github.com/tollgate-gw/tollgate/internal/provider/openai/openaitest"
)

const masterKey = "sk-test-master"

// upstream answers like OpenAI (and Azure, under /openai/deployments/...),
// scripted by the upstream model id the gateway sends.
func upstream(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	var req struct {
		Model    string `json:"model"`
		Stream   bool   `json:"stream"`
		Messages []struct {
			Role    string `json:"role"`
			Content any    `json:"content"`
		} `json:"messages"`
		Tools []json.RawMessage `json:"tools"`
	}
	_ = json.Unmarshal(body, &req)
	switch {
	case strings.HasSuffix(r.URL.Path, "/embeddings"):
		openaitest.JSON(200, `{"object":"list","data":[{"object":"embedding","index":0,"embedding":[0.1,0.2]},{"object":"embedding","index":1,"embedding":[0.3,0.4]}],"model":"`+req.Model+`","usage":{"prompt_tokens":4,"total_tokens":4}}`)(w, r)
		return
	case strings.HasSuffix(r.URL.Path, "/images/generations"):
		openaitest.JSON(200, `{"created":1700000000,"data":[{"b64_json":"aW1n","revised_prompt":"a cat, drawn"}]}`)(w, r)
		return
	case strings.Contains(r.URL.Path, "/openai/deployments/"):
		if r.Header.Get("Api-Key") != "azure-secret" || r.URL.Query().Get("api-version") != "2024-10-21" {
			openaitest.JSON(401, `{"error":{"code":"401","message":"Access denied due to invalid subscription key."}}`)(w, r)
			return
		}
	}
	if got := r.Header.Get("Authorization"); !strings.Contains(r.URL.Path, "/openai/deployments/") && got != "Bearer sk-upstream" {
		openaitest.JSON(401, `{"error":{"message":"bad upstream key","type":"invalid_request_error","code":"invalid_api_key"}}`)(w, r)
		return
	}
	last := req.Messages[len(req.Messages)-1]
	switch {
	case req.Model == "rate-limited":
		openaitest.JSON(429, `{"error":{"message":"Rate limit reached","type":"requests","code":"rate_limit_exceeded"}}`, "Retry-After", "7")(w, r)
	case req.Model == "breaks-midstream":
		openaitest.SSE(
			`{"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"role":"assistant","content":"Hel"},"finish_reason":null}]}`,
			`{"error":{"message":"upstream overloaded","type":"server_error"}}`,
		)(w, r)
	case len(req.Tools) > 0 && last.Role == "user":
		openaitest.JSON(200, `{"id":"c1","object":"chat.completion","created":1,"model":"gpt-4o-2024-08-06","choices":[{"index":0,"message":{"role":"assistant","content":null,"tool_calls":[{"id":"call_1","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Paris\"}"}}]},"finish_reason":"tool_calls"}],"usage":{"prompt_tokens":20,"completion_tokens":5,"total_tokens":25}}`)(w, r)
	case last.Role == "tool":
		openaitest.JSON(200, `{"id":"c2","object":"chat.completion","created":1,"model":"gpt-4o-2024-08-06","choices":[{"index":0,"message":{"role":"assistant","content":"It is sunny in Paris."},"finish_reason":"stop"}],"usage":{"prompt_tokens":30,"completion_tokens":6,"total_tokens":36}}`)(w, r)
	case req.Stream:
		openaitest.SSE(
			`{"id":"s","object":"chat.completion.chunk","created":1,"model":"gpt-4o-2024-08-06","choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}]}`,
			`{"id":"s","object":"chat.completion.chunk","created":1,"model":"gpt-4o-2024-08-06","choices":[{"index":0,"delta":{"content":"Hello"},"finish_reason":null}]}`,
			`{"id":"s","object":"chat.completion.chunk","created":1,"model":"gpt-4o-2024-08-06","choices":[{"index":0,"delta":{"content":" there"},"finish_reason":null}]}`,
			`{"id":"s","object":"chat.completion.chunk","created":1,"model":"gpt-4o-2024-08-06","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}`,
			`{"id":"s","object":"chat.completion.chunk","created":1,"model":"gpt-4o-2024-08-06","choices":[],"usage":{"prompt_tokens":9,"completion_tokens":2,"total_tokens":11}}`,
			`[DONE]`,
		)(w, r)
	default:
		openaitest.JSON(200, `{"id":"c0","object":"chat.completion","created":1,"model":"gpt-4o-2024-08-06","choices":[{"index":0,"message":{"role":"assistant","content":"Hello there"},"finish_reason":"stop"}],"usage":{"prompt_tokens":9,"completion_tokens":2,"total_tokens":11}}`)(w, r)
	}
}

// logSink collects log output; waitFor blocks until a line containing a
// string has been written. The request log line is written after the
// handler returns, which can be after the client has read the response.
type logSink struct {
	mu   sync.Mutex
	cond *sync.Cond
	buf  bytes.Buffer
}

func newLogSink() *logSink {
	s := &logSink{}
	s.cond = sync.NewCond(&s.mu)
	return s
}

func (s *logSink) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.cond.Broadcast()
	return s.buf.Write(p)
}

// waitFor returns the log so far once it contains substr; the test's own
// timeout bounds the wait.
func (s *logSink) waitFor(substr string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	for !strings.Contains(s.buf.String(), substr) {
		s.cond.Wait()
	}
	return s.buf.String()
}

type harness struct {
	gw       *httptest.Server
	up       *openaitest.Server
	client   openai.Client
	logs     *logSink
	app      *app.App
	upstream string
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	up := openaitest.NewServer(t, upstream)
	cfg := `
model_list:
  - model_name: gpt-4o
    litellm_params: {model: openai/gpt-4o, api_base: "` + up.URL + `/v1", api_key: os.environ/UP_KEY}
  - model_name: azure-gpt
    litellm_params: {model: azure/my-deployment, api_base: "` + up.URL + `", api_key: azure-secret, api_version: "2024-10-21"}
  - model_name: limited
    litellm_params: {model: openai/rate-limited, api_base: "` + up.URL + `/v1", api_key: sk-upstream, num_retries: 0} # or the router honours Retry-After: 7 twice
  - model_name: flaky
    litellm_params: {model: openai/breaks-midstream, api_base: "` + up.URL + `/v1", api_key: sk-upstream}
  - model_name: text-embedding-3-small
    litellm_params: {model: openai/text-embedding-3-small, api_base: "` + up.URL + `/v1", api_key: sk-upstream}
    model_info: {mode: embedding}
  - model_name: dall-e-3
    litellm_params: {model: openai/dall-e-3, api_base: "` + up.URL + `/v1", api_key: sk-upstream}
    model_info: {mode: image_generation}
  - model_name: meta-llama/Llama-3.2-1B
    litellm_params: {model: fake/llama}
  - model_name: gemini-direct
    litellm_params: {model: gemini/gemini-1.5-flash, api_key: x}
  - model_name: groq-no-key
    litellm_params: {model: groq/llama-3.1-8b-instant}
general_settings:
  max_request_size_mb: 0.01
`
	path := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"UP_KEY": "sk-upstream", "TOLLGATE_MASTER_KEY": masterKey, "TOLLGATE_DATA_DIR": t.TempDir()}
	logs := newLogSink()
	a, err := app.New(context.Background(), app.Options{
		ConfigPaths: []string{path},
		LookupEnv:   func(k string) (string, bool) { v, ok := env[k]; return v, ok },
		Logger:      slog.New(slog.NewJSONHandler(logs, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	gw := httptest.NewServer(a.Handler)
	t.Cleanup(func() { gw.Close(); a.Close() })
	client := openai.NewClient(option.WithBaseURL(gw.URL+"/v1/"), option.WithAPIKey(masterKey), option.WithMaxRetries(0))
	return &harness{gw: gw, up: up, client: client, logs: logs, app: a, upstream: up.URL}
}

func TestChatCompletion(t *testing.T) {
	h := newHarness(t)
	var raw *http.Response
	resp, err := h.client.Chat.Completions.New(context.Background(), openai.ChatCompletionNewParams{
		Model:       "gpt-4o",
		Messages:    []openai.ChatCompletionMessageParamUnion{openai.SystemMessage("be brief"), openai.UserMessage("hi")},
		Temperature: openai.Float(0.2),
		Seed:        openai.Int(7),
	}, option.WithResponseInto(&raw), option.WithHeader("X-Request-Id", "trace-123"))
	if err != nil {
		t.Fatal(err)
	}
	if got := resp.Choices[0].Message.Content; got != "Hello there" || resp.Usage.TotalTokens != 11 {
		t.Fatalf("response %+v", resp)
	}
	if raw.Header.Get("X-Request-Id") != "trace-123" || raw.Header.Get("X-Tollgate-Deployment") != "openai/gpt-4o" ||
		raw.Header.Get("X-Litellm-Model-Id") == "" || raw.Header.Get("X-Litellm-Overhead-Duration-Ms") == "" {
		t.Fatalf("headers %v", raw.Header)
	}
	call := h.up.Last(t)
	if string(call.Field("model")) != `"gpt-4o"` || string(call.Field("seed")) != "7" || call.Header.Get("Authorization") != "Bearer sk-upstream" {
		t.Fatalf("upstream got %s %v", call.Body, call.Header)
	}
	logs := h.logs.waitFor(`"request_id":"trace-123"`)
	if strings.Contains(logs, masterKey) || strings.Contains(logs, "sk-upstream") {
		t.Fatal("a key appeared in the logs")
	}
}

func TestChatStreaming(t *testing.T) {
	for _, includeUsage := range []bool{true, false} {
		h := newHarness(t)
		params := openai.ChatCompletionNewParams{
			Model:    "gpt-4o",
			Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("hi")},
		}
		if includeUsage {
			params.StreamOptions = openai.ChatCompletionStreamOptionsParam{IncludeUsage: openai.Bool(true)}
		}
		stream := h.client.Chat.Completions.NewStreaming(context.Background(), params)
		var acc openai.ChatCompletionAccumulator
		chunks, usageChunks := 0, 0
		for stream.Next() {
			c := stream.Current()
			acc.AddChunk(c)
			chunks++
			if c.Usage.TotalTokens > 0 {
				usageChunks++
			}
		}
		if err := stream.Err(); err != nil {
			t.Fatal(err)
		}
		if got := acc.Choices[0].Message.Content; got != "Hello there" {
			t.Fatalf("content %q", got)
		}
		wantUsage := 0
		if includeUsage {
			wantUsage = 1
		}
		if usageChunks != wantUsage {
			t.Fatalf("include_usage=%v: %d usage chunks", includeUsage, usageChunks)
		}
		// The gateway always asks the upstream for usage, to account for it.
		last := h.up.Last(t)
		if got := string(last.Field("stream_options")); got != `{"include_usage":true}` {
			t.Fatalf("upstream stream_options = %s", got)
		}
		h.logs.waitFor(`"completion_tokens":2`) // usage is logged even when the client did not ask for it
	}
}

func TestToolCallRoundTrip(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	params := openai.ChatCompletionNewParams{
		Model:    "gpt-4o",
		Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("weather in Paris?")},
		Tools: []openai.ChatCompletionToolUnionParam{openai.ChatCompletionFunctionTool(shared.FunctionDefinitionParam{
			Name:       "get_weather",
			Parameters: shared.FunctionParameters{"type": "object", "properties": map[string]any{"city": map[string]any{"type": "string"}}},
		})},
	}
	first, err := h.client.Chat.Completions.New(ctx, params)
	if err != nil {
		t.Fatal(err)
	}
	tc := first.Choices[0].Message.ToolCalls
	if first.Choices[0].FinishReason != "tool_calls" || len(tc) != 1 || tc[0].Function.Name != "get_weather" || tc[0].Function.Arguments != `{"city":"Paris"}` {
		t.Fatalf("first turn %+v", first.Choices[0])
	}
	params.Messages = append(params.Messages, first.Choices[0].Message.ToParam(), openai.ToolMessage(`{"sky":"clear"}`, tc[0].ID))
	second, err := h.client.Chat.Completions.New(ctx, params)
	if err != nil {
		t.Fatal(err)
	}
	if second.Choices[0].Message.Content != "It is sunny in Paris." {
		t.Fatalf("second turn %+v", second.Choices[0])
	}
	var sent struct {
		Messages []map[string]json.RawMessage `json:"messages"`
	}
	_ = json.Unmarshal(h.up.Last(t).Body, &sent)
	if len(sent.Messages) != 3 || string(sent.Messages[2]["tool_call_id"]) != `"call_1"` || !bytes.Contains(sent.Messages[1]["tool_calls"], []byte("get_weather")) {
		t.Fatalf("upstream second turn %s", h.up.Last(t).Body)
	}
}

func TestEmbeddingsImagesModels(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	emb, err := h.client.Embeddings.New(ctx, openai.EmbeddingNewParams{
		Model: "text-embedding-3-small",
		Input: openai.EmbeddingNewParamsInputUnion{OfArrayOfStrings: []string{"a", "b"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	// The SDK asks for base64 by default and decodes it itself.
	if len(emb.Data) != 2 || len(emb.Data[1].Embedding) != 2 || emb.Data[1].Embedding[0] < 0.29 || emb.Usage.PromptTokens != 4 {
		t.Fatalf("embeddings %+v", emb)
	}
	img, err := h.client.Images.Generate(ctx, openai.ImageGenerateParams{Model: "dall-e-3", Prompt: "a cat"})
	if err != nil {
		t.Fatal(err)
	}
	if len(img.Data) != 1 || img.Data[0].B64JSON != "aW1n" || img.Data[0].RevisedPrompt != "a cat, drawn" {
		t.Fatalf("images %+v", img)
	}
	page, err := h.client.Models.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, m := range page.Data {
		ids = append(ids, m.ID)
	}
	want := "gpt-4o azure-gpt limited flaky text-embedding-3-small dall-e-3 meta-llama/Llama-3.2-1B gemini-direct groq-no-key"
	if strings.Join(ids, " ") != want {
		t.Fatalf("models %v", ids)
	}
	m, err := h.client.Models.Get(ctx, "meta-llama/Llama-3.2-1B")
	if err != nil || m.ID != "meta-llama/Llama-3.2-1B" || m.OwnedBy != "fake" {
		t.Fatalf("model get %+v %v", m, err)
	}
	// The built-in fake model answers without any upstream.
	fake, err := h.client.Chat.Completions.New(ctx, openai.ChatCompletionNewParams{
		Model: "meta-llama/Llama-3.2-1B", Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("ping")},
	})
	if err != nil || !strings.Contains(fake.Choices[0].Message.Content, "ping") {
		t.Fatalf("fake %+v %v", fake, err)
	}
}

func TestAzure(t *testing.T) {
	h := newHarness(t)
	resp, err := h.client.Chat.Completions.New(context.Background(), openai.ChatCompletionNewParams{
		Model: "azure-gpt", Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("hi")},
	})
	if err != nil {
		t.Fatal(err)
	}
	call := h.up.Last(t)
	if resp.Choices[0].Message.Content != "Hello there" || call.Path != "/openai/deployments/my-deployment/chat/completions" || call.Header.Get("Authorization") != "" {
		t.Fatalf("azure call %s %v", call.Path, call.Header)
	}
}

func TestSDKErrors(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	msgs := []openai.ChatCompletionMessageParamUnion{openai.UserMessage("hi")}
	tests := []struct {
		name   string
		client openai.Client
		model  string
		status int
		code   string
		typ    string // the error's type, when the row is about it
	}{
		{"wrong key", openai.NewClient(option.WithBaseURL(h.gw.URL+"/v1/"), option.WithAPIKey("sk-wrong"), option.WithMaxRetries(0)), "gpt-4o", 401, "invalid_api_key", "authentication_error"},
		{"unknown model", h.client, "gpt-5-nope", 404, "model_not_found", "invalid_request_error"},
		{"upstream rate limit", h.client, "limited", 429, "rate_limit_exceeded", ""},
		{"provider not yet available", h.client, "gemini-direct", 501, "provider_not_available", "not_implemented"},
		{"deployment without key", h.client, "groq-no-key", 503, "deployment_unavailable", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var raw *http.Response
			_, err := tt.client.Chat.Completions.New(ctx, openai.ChatCompletionNewParams{Model: tt.model, Messages: msgs}, option.WithResponseInto(&raw))
			var apiErr *openai.Error
			if !errors.As(err, &apiErr) {
				t.Fatalf("err = %v", err)
			}
			if apiErr.StatusCode != tt.status || apiErr.Code != tt.code || apiErr.Message == "" || (tt.typ != "" && apiErr.Type != tt.typ) {
				t.Fatalf("got %d %q %q %q", apiErr.StatusCode, apiErr.Code, apiErr.Type, apiErr.Message)
			}
			if tt.status == 429 && raw.Header.Get("Retry-After") != "7" {
				t.Fatalf("Retry-After = %q", raw.Header.Get("Retry-After"))
			}
		})
	}
}

func TestMidStreamFailure(t *testing.T) {
	h := newHarness(t)
	stream := h.client.Chat.Completions.NewStreaming(context.Background(), openai.ChatCompletionNewParams{
		Model: "flaky", Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("hi")},
	})
	n := 0
	for stream.Next() {
		n++
	}
	err := stream.Err()
	if n != 1 || err == nil || !strings.Contains(err.Error(), "upstream overloaded") {
		t.Fatalf("chunks=%d err=%v", n, err)
	}
}

func TestBadRequests(t *testing.T) {
	h := newHarness(t)
	tests := []struct {
		name, method, path, ctype, body string
		status                          int
		param, contains                 string
	}{
		{"malformed JSON", "POST", "/v1/chat/completions", "application/json", "{\"model\": \"gpt-4o\",\n \"messages\": [}", 400, "", "line 2, column"},
		{"missing messages", "POST", "/v1/chat/completions", "application/json", `{"model":"gpt-4o"}`, 400, "messages", "required"},
		{"missing model", "POST", "/chat/completions", "application/json", `{"messages":[{"role":"user","content":"x"}]}`, 400, "model", "required"},
		{"too large", "POST", "/v1/chat/completions", "application/json", `{"model":"gpt-4o","messages":[{"role":"user","content":"` + strings.Repeat("x", 20000) + `"}]}`, 413, "", "limit"},
		{"wrong content type", "POST", "/v1/chat/completions", "application/x-www-form-urlencoded", `model=gpt-4o`, 415, "", "application/json"},
		{"wrong method", "GET", "/v1/chat/completions", "", "", 405, "", "use POST"},
		{"unknown path", "GET", "/v1/nothing", "", "", 404, "", "no route"},
		{"empty body", "POST", "/v1/embeddings", "application/json", "", 400, "", "empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest(tt.method, h.gw.URL+tt.path, strings.NewReader(tt.body))
			req.Header.Set("Authorization", "Bearer "+masterKey)
			if tt.ctype != "" {
				req.Header.Set("Content-Type", tt.ctype)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var body struct {
				Error struct {
					Message string  `json:"message"`
					Type    string  `json:"type"`
					Param   *string `json:"param"`
				} `json:"error"`
			}
			if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
				t.Fatalf("body is not OpenAI error JSON: %v", err)
			}
			param := ""
			if body.Error.Param != nil {
				param = *body.Error.Param
			}
			if resp.StatusCode != tt.status || param != tt.param || !strings.Contains(body.Error.Message, tt.contains) || body.Error.Type == "" {
				t.Fatalf("got %d param=%q %+v", resp.StatusCode, param, body.Error)
			}
			if tt.status == 405 && resp.Header.Get("Allow") != "POST" {
				t.Fatalf("Allow = %q", resp.Header.Get("Allow"))
			}
		})
	}
}

func TestHealth(t *testing.T) {
	h := newHarness(t)
	for _, path := range []string{"/health/liveliness", "/health/readiness"} {
		resp, err := http.Get(h.gw.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("%s: %d %s", path, resp.StatusCode, body)
		}
		if path == "/health/readiness" {
			var r struct {
				Status         string   `json:"status"`
				LiteLLMVersion string   `json:"litellm_version"`
				Reasons        []string `json:"reasons"`
				Models         int      `json:"models"`
				Serving        int      `json:"serving_deployments"`
				Unavailable    []struct {
					Model, Reason string
				} `json:"unavailable_deployments"`
			}
			// Of 9 deployments, groq-no-key has no key and gemini-direct's
			// provider has not shipped: degraded, with both reasons.
			if err := json.Unmarshal(body, &r); err != nil || r.Models != 9 || r.Serving != 7 || len(r.Unavailable) != 1 || r.Unavailable[0].Model != "groq-no-key" ||
				!strings.Contains(r.Unavailable[0].Reason, "GROQ_API_KEY") || r.Status != "degraded" || len(r.Reasons) != 3 || r.LiteLLMVersion != app.Version {
				t.Fatalf("readiness %s", body)
			}
		}
	}
}
