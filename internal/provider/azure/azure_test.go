package azure_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/tollgate-gw/tollgate/internal/httpclient"
	"github.com/tollgate-gw/tollgate/internal/llm"
	"github.com/tollgate-gw/tollgate/internal/provider"
	"github.com/tollgate-gw/tollgate/internal/provider/azure"
	"github.com/tollgate-gw/tollgate/internal/provider/openai/openaitest"
	wire "github.com/tollgate-gw/tollgate/internal/wire/openai"
)

const (
	testKey    = "0123456789abcdef0123456789abcdef"
	apiVersion = "2024-10-21"
)

func newModel(t *testing.T, srv *openaitest.Server, opts azure.Options) *azure.Model {
	t.Helper()
	if opts.BaseURL == "" {
		opts.BaseURL = srv.URL + "/"
	}
	if opts.Deployment == "" {
		opts.Deployment = "gpt-4o-prod"
	}
	if opts.APIVersion == "" {
		opts.APIVersion = apiVersion
	}
	if opts.APIKey == "" {
		opts.APIKey = testKey
	}
	client := httpclient.New(nil)
	t.Cleanup(client.CloseIdleConnections)
	m, err := azure.New(client, opts)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func chatRequest(t *testing.T, body string) *llm.Request {
	t.Helper()
	req, err := wire.DecodeChatRequest([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	return req
}

const hello = `{"model":"g","messages":[{"role":"user","content":"hi"}]}`

func fields(t *testing.T, body []byte) map[string]json.RawMessage {
	t.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal(body, &m); err != nil {
		t.Fatalf("body is not a JSON object: %v\n%s", err, body)
	}
	return m
}

func TestNewValidates(t *testing.T) {
	valid := azure.Options{BaseURL: "https://res.openai.azure.com/", Deployment: "d", APIVersion: apiVersion, APIKey: testKey}
	tests := []struct {
		name    string
		edit    func(o *azure.Options)
		wantErr []string
	}{
		{name: "valid", edit: func(*azure.Options) {}},
		{name: "no base", edit: func(o *azure.Options) { o.BaseURL = "" }, wantErr: []string{"litellm_params.api_base", "AZURE_API_BASE"}},
		{name: "base without scheme", edit: func(o *azure.Options) { o.BaseURL = "res.openai.azure.com" }, wantErr: []string{"api_base"}},
		{name: "base with a query", edit: func(o *azure.Options) { o.BaseURL = "https://res.openai.azure.com/?api-version=1" }, wantErr: []string{"api_version"}},
		{name: "no deployment", edit: func(o *azure.Options) { o.Deployment = "" }, wantErr: []string{"azure/<deployment-name>"}},
		{name: "no api version", edit: func(o *azure.Options) { o.APIVersion = "" }, wantErr: []string{"litellm_params.api_version", "AZURE_API_VERSION"}},
		{name: "no key", edit: func(o *azure.Options) { o.APIKey = "" }, wantErr: []string{"litellm_params.api_key", "AZURE_API_KEY", "AZURE_OPENAI_API_KEY"}},
		{name: "key with a trailing newline", edit: func(o *azure.Options) { o.APIKey = testKey + "\r\n" }, wantErr: []string{"Api-Key", "control character"}},
		{name: "negative timeout", edit: func(o *azure.Options) { o.StreamTimeout = -time.Second }, wantErr: []string{"timeout"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := valid
			tt.edit(&o)
			_, err := azure.New(httpclient.New(nil), o)
			if tt.wantErr == nil {
				if err != nil {
					t.Fatal(err)
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
				t.Errorf("error %q contains the key", err)
			}
		})
	}
}

func TestURLs(t *testing.T) {
	srv := openaitest.NewServer(t, func(w http.ResponseWriter, r *http.Request) {
		switch {
		case strings.HasSuffix(r.URL.Path, "/embeddings"):
			openaitest.JSON(http.StatusOK, openaitest.Embeddings)(w, r)
		case strings.HasSuffix(r.URL.Path, "/images/generations"):
			openaitest.JSON(http.StatusOK, openaitest.Images)(w, r)
		default:
			openaitest.JSON(http.StatusOK, openaitest.ChatCompletion)(w, r)
		}
	})
	tests := []struct {
		name, base, deployment, wantPrefix string
	}{
		{"resource root", srv.URL + "/", "gpt-4o-prod", "/openai/deployments/gpt-4o-prod"},
		{"no trailing slash", srv.URL, "gpt-4o-prod", "/openai/deployments/gpt-4o-prod"},
		{"base already ends in /openai", srv.URL + "/openai/", "gpt-4o-prod", "/openai/deployments/gpt-4o-prod"},
		{"API management prefix", srv.URL + "/apim/oai-eu", "gpt-4o-prod", "/apim/oai-eu/openai/deployments/gpt-4o-prod"},
		{"deployment name with dots", srv.URL, "gpt-4.1.mini_v2", "/openai/deployments/gpt-4.1.mini_v2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := newModel(t, srv, azure.Options{BaseURL: tt.base, Deployment: tt.deployment})
			ctx := context.Background()
			if _, err := m.Chat(ctx, chatRequest(t, hello)); err != nil {
				t.Fatal(err)
			}
			if _, err := m.Embed(ctx, &llm.EmbeddingRequest{Model: "e", Input: []string{"a", "b"}}); err != nil {
				t.Fatal(err)
			}
			if _, err := m.GenerateImage(ctx, &llm.ImageRequest{Model: "i", Prompt: "otter"}); err != nil {
				t.Fatal(err)
			}
			calls := srv.Calls()[len(srv.Calls())-3:]
			for i, op := range []string{"/chat/completions", "/embeddings", "/images/generations"} {
				c := calls[i]
				if c.Path != tt.wantPrefix+op || c.Query != "api-version="+apiVersion {
					t.Errorf("%s: upstream got %s?%s, want %s%s?api-version=%s", op, c.Path, c.Query, tt.wantPrefix, op, apiVersion)
				}
				if c.Header.Get("Api-Key") != testKey {
					t.Errorf("%s: api-key header = %q", op, c.Header.Get("Api-Key"))
				}
				if a := c.Header.Get("Authorization"); a != "" {
					t.Errorf("%s: Authorization = %q; Azure keys go in api-key", op, a)
				}
				if got := string(fields(t, c.Body)["model"]); got != `"`+tt.deployment+`"` {
					t.Errorf("%s: model = %s", op, got)
				}
			}
		})
	}
}

func TestChatRequestAsSent(t *testing.T) {
	srv := openaitest.NewServer(t, openaitest.JSON(http.StatusOK, openaitest.ChatCompletion))
	m := newModel(t, srv, azure.Options{ExtraHeaders: http.Header{"X-Ms-Client-Request-Id": {"r-1"}, "api-key": {"not this"}}})
	req := chatRequest(t, `{"model":"g","messages":[{"role":"user","content":"hi"}],"max_tokens":9,"tags":["a"],"data_sources":[{"type":"azure_search"}]}`)
	resp, err := m.Chat(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	call := srv.Last(t)
	if call.Header.Get("Api-Key") != testKey || call.Header.Get("X-Ms-Client-Request-Id") != "r-1" {
		t.Errorf("headers = %v", call.Header)
	}
	body := fields(t, call.Body)
	if _, ok := body["tags"]; ok {
		t.Error("gateway field tags reached Azure")
	}
	if string(body["data_sources"]) != `[{"type":"azure_search"}]` || string(body["max_tokens"]) != "9" {
		t.Errorf("body = %s", call.Body)
	}
	if resp.Choices[0].Message.Text() != "Hello! How can I assist you today?" {
		t.Errorf("response = %+v", resp)
	}
}

func TestReasoningDeploymentGetsMaxCompletionTokens(t *testing.T) {
	srv := openaitest.NewServer(t, openaitest.JSON(http.StatusOK, openaitest.ChatCompletion))
	m := newModel(t, srv, azure.Options{Deployment: "o3-mini"})
	if _, err := m.Chat(context.Background(), chatRequest(t, `{"model":"g","messages":[{"role":"user","content":"hi"}],"max_tokens":100}`)); err != nil {
		t.Fatal(err)
	}
	body := fields(t, srv.Last(t).Body)
	if _, ok := body["max_tokens"]; ok || string(body["max_completion_tokens"]) != "100" {
		t.Errorf("body = %s", srv.Last(t).Body)
	}
}

func TestStream(t *testing.T) {
	srv := openaitest.NewServer(t, openaitest.SSE(openaitest.AzureStreamText...))
	m := newModel(t, srv, azure.Options{StreamTimeout: time.Minute})
	s, err := m.ChatStream(context.Background(), chatRequest(t, `{"model":"g","messages":[{"role":"user","content":"hi"}],"stream":true}`))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var chunks []*llm.Chunk
	for {
		c, err := s.Recv()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		chunks = append(chunks, c)
	}
	body := fields(t, srv.Last(t).Body)
	if string(body["stream_options"]) != `{"include_usage":true}` {
		t.Errorf("stream_options = %s", body["stream_options"])
	}
	// The leading prompt_filter_results chunk carries nothing to forward.
	if len(chunks) != 4 {
		t.Fatalf("got %d chunks, want 4 (role, text, finish, usage)", len(chunks))
	}
	if chunks[1].Choices[0].Delta.Content != "Hi" || chunks[2].Choices[0].FinishReason != "stop" {
		t.Errorf("chunks = %+v %+v", chunks[1], chunks[2])
	}
	if u := chunks[3].Usage; u == nil || u.TotalTokens != 9 {
		t.Errorf("usage = %+v", chunks[3].Usage)
	}
}

func TestAzureErrors(t *testing.T) {
	tests := []struct {
		name    string
		status  int
		headers []string
		body    string
		want    provider.Error
	}{
		{
			name: "429 with retry-after and retry-after-ms", status: 429, headers: []string{"Retry-After", "6", "retry-after-ms", "5800"},
			body: `{"error":{"code":"429","message":"Requests to the ChatCompletions_Create Operation under Azure OpenAI API version 2024-10-21 have exceeded token rate limit of your current OpenAI S0 pricing tier. Please retry after 6 seconds."}}`,
			want: provider.Error{Kind: provider.KindRateLimit, Status: 429, Code: "429", RetryAfter: 5800 * time.Millisecond, Message: "exceeded token rate limit"},
		},
		{
			name: "429 with Retry-After only", status: 429, headers: []string{"Retry-After", "6"},
			body: `{"error":{"code":"429","message":"Rate limit is exceeded. Try again in 6 seconds."}}`,
			want: provider.Error{Kind: provider.KindRateLimit, Status: 429, Code: "429", RetryAfter: 6 * time.Second, Message: "Rate limit"},
		},
		{
			name: "prompt content filter", status: 400,
			body: `{"error":{"message":"The response was filtered due to the prompt triggering Azure OpenAI's content management policy. Please modify your prompt and retry.","type":null,"param":"prompt","code":"content_filter","status":400,"innererror":{"code":"ResponsibleAIPolicyViolation","content_filter_result":{"hate":{"filtered":false,"severity":"safe"},"jailbreak":{"filtered":true,"detected":true},"self_harm":{"filtered":false,"severity":"safe"},"sexual":{"filtered":false,"severity":"safe"},"violence":{"filtered":false,"severity":"safe"}}}}}`,
			want: provider.Error{Kind: provider.KindContentPolicy, Status: 400, Code: "content_filter", Param: "prompt", Message: "content management policy"},
		},
		{
			name: "image content filter (inner_error)", status: 400,
			body: `{"error":{"code":"contentFilter","inner_error":{"code":"ResponsibleAIPolicyViolation","content_filter_results":{"sexual":{"filtered":true,"severity":"high"},"violence":{"filtered":false,"severity":"safe"}}},"message":"Your request was rejected as a result of our safety system. Your prompt may contain text that is not allowed by our safety system."}}`,
			want: provider.Error{Kind: provider.KindContentPolicy, Status: 400, Code: "contentFilter", Message: "safety system"},
		},
		{
			name: "content filter verdict under another outer code", status: 400,
			body: `{"error":{"code":"BadRequest","message":"The request was blocked.","innererror":{"code":"ResponsibleAIPolicyViolation","content_filter_result":{"jailbreak":{"filtered":true,"detected":true}}}}}`,
			want: provider.Error{Kind: provider.KindContentPolicy, Status: 400, Code: "BadRequest", Message: "blocked"},
		},
		{
			name: "deployment not found", status: 404,
			body: `{"error":{"code":"DeploymentNotFound","message":"The API deployment for this resource does not exist. If you created the deployment within the last 5 minutes, please wait a moment and try again."}}`,
			want: provider.Error{Kind: provider.KindNotFound, Status: 404, Code: "DeploymentNotFound", Message: "does not exist"},
		},
		{
			name: "bad key", status: 401,
			body: `{"error":{"code":"401","message":"Access denied due to invalid subscription key or wrong API endpoint. Make sure to provide a valid key for an active subscription and use a correct regional API endpoint for your resource."}}`,
			want: provider.Error{Kind: provider.KindAuth, Status: 401, Code: "401", Message: "Access denied"},
		},
		{
			name: "bad Entra token (bare shape)", status: 401,
			body: `{"statusCode":401,"message":"Unauthorized. Access token is missing, invalid, audience is incorrect (https://cognitiveservices.azure.com), or have expired."}`,
			want: provider.Error{Kind: provider.KindAuth, Status: 401, Message: "Access token is missing"},
		},
		{
			name: "context length", status: 400,
			body: `{"error":{"message":"This model's maximum context length is 8192 tokens. However, your messages resulted in 9000 tokens. Please reduce the length of the messages.","type":"invalid_request_error","param":"messages","code":"context_length_exceeded","status":400}}`,
			want: provider.Error{Kind: provider.KindContextWindow, Status: 400, Code: "context_length_exceeded", Type: "invalid_request_error", Param: "messages", Message: "maximum context length"},
		},
		{
			name: "unsupported api-version", status: 404,
			body: `{"error":{"code":"404","message":"Resource not found"}}`,
			want: provider.Error{Kind: provider.KindNotFound, Status: 404, Code: "404", Message: "Resource not found"},
		},
		{
			name: "service busy", status: 503, headers: []string{"Retry-After", "10"},
			body: `{"error":{"code":"ServiceUnavailable","message":"The service is temporarily unable to process your request. Please try again later."}}`,
			want: provider.Error{Kind: provider.KindUnavailable, Status: 503, Code: "ServiceUnavailable", RetryAfter: 10 * time.Second, Message: "temporarily unable"},
		},
		{
			name: "internal error", status: 500,
			body: `{"error":{"code":"InternalServerError","message":"The server had an error while processing your request. Sorry about that!"}}`,
			want: provider.Error{Kind: provider.KindUnavailable, Status: 500, Code: "InternalServerError", Message: "The server had an error"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := openaitest.NewServer(t, openaitest.JSON(tt.status, tt.body, tt.headers...))
			m := newModel(t, srv, azure.Options{})
			_, chatErr := m.Chat(context.Background(), chatRequest(t, hello))
			_, streamErr := m.ChatStream(context.Background(), chatRequest(t, hello))
			_, imageErr := m.GenerateImage(context.Background(), &llm.ImageRequest{Model: "i", Prompt: "p"})
			for i, err := range []error{chatErr, streamErr, imageErr} {
				pe, ok := provider.AsError(err)
				if !ok {
					t.Fatalf("call %d: %v is not a *provider.Error", i, err)
				}
				w := tt.want
				if pe.Kind != w.Kind || pe.Status != w.Status || pe.Code != w.Code || pe.Type != w.Type ||
					pe.Param != w.Param || pe.RetryAfter != w.RetryAfter || pe.Provider != "azure" {
					t.Errorf("call %d: got %+v\nwant %+v", i, *pe, w)
				}
				if !strings.Contains(pe.Message, w.Message) {
					t.Errorf("call %d: message %q does not contain %q", i, pe.Message, w.Message)
				}
			}
		})
	}
}

func TestContentFilterMidStream(t *testing.T) {
	srv := openaitest.NewServer(t, openaitest.SSE(
		openaitest.AzureStreamText[0], openaitest.AzureStreamText[1],
		`{"error":{"message":"The response was filtered due to the prompt triggering Azure OpenAI's content management policy.","type":null,"param":"prompt","code":"content_filter","status":400}}`,
	))
	m := newModel(t, srv, azure.Options{})
	s, err := m.ChatStream(context.Background(), chatRequest(t, hello))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.Recv(); err != nil {
		t.Fatal(err)
	}
	_, err = s.Recv()
	pe, ok := provider.AsError(err)
	if !ok || pe.Kind != provider.KindContentPolicy || pe.Status != http.StatusBadRequest {
		t.Fatalf("err = %v, want a content-policy error", err)
	}
}

func TestEmbeddingsBase64(t *testing.T) {
	srv := openaitest.NewServer(t, openaitest.JSON(http.StatusOK, openaitest.EmbeddingsBase64))
	m := newModel(t, srv, azure.Options{Deployment: "text-embedding-3-small"})
	resp, err := m.Embed(context.Background(), &llm.EmbeddingRequest{Model: "e", Input: []string{"x"}, EncodingFormat: "base64"})
	if err != nil {
		t.Fatal(err)
	}
	if v := resp.Vectors[0]; len(v) != 3 || v[0] != 1 || v[1] != -2 || v[2] != 0.5 {
		t.Fatalf("vector = %v", resp.Vectors[0])
	}
	if got := string(fields(t, srv.Last(t).Body)["encoding_format"]); got != `"base64"` {
		t.Errorf("encoding_format = %s", got)
	}
}
