package openai_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/tollgate-gw/tollgate/internal/provider"
	"github.com/tollgate-gw/tollgate/internal/provider/openai"
	"github.com/tollgate-gw/tollgate/internal/provider/openai/openaitest"
)

// upstreamErrors are error replies as OpenAI and compatible servers send them.
var upstreamErrors = []struct {
	name    string
	status  int
	headers []string
	body    string
	want    provider.Error // Kind, Status, Code, Type, Param, RetryAfter; Message as a substring
}{
	{
		name: "400 invalid parameter", status: 400,
		body: `{"error":{"message":"Invalid 'temperature': decimal above maximum value. Expected a value <= 2, but got 200 instead.","type":"invalid_request_error","param":"temperature","code":"decimal_above_max_value"}}`,
		want: provider.Error{Kind: provider.KindBadRequest, Status: 400, Type: "invalid_request_error", Param: "temperature", Code: "decimal_above_max_value", Message: "Invalid 'temperature'"},
	},
	{
		name: "400 context length by code", status: 400,
		body: `{"error":{"message":"This model's maximum context length is 128000 tokens. However, your messages resulted in 130123 tokens. Please reduce the length of the messages.","type":"invalid_request_error","param":"messages","code":"context_length_exceeded"}}`,
		want: provider.Error{Kind: provider.KindContextWindow, Status: 400, Type: "invalid_request_error", Param: "messages", Code: "context_length_exceeded", Message: "maximum context length"},
	},
	{
		name: "400 context length by message (vLLM)", status: 400,
		body: `{"object":"error","message":"This model's maximum context length is 4096 tokens. However, you requested 5000 tokens (4000 in the messages, 1000 in the completion). Please reduce the length of the messages or completion.","type":"BadRequestError","param":null,"code":400}`,
		want: provider.Error{Kind: provider.KindContextWindow, Status: 400, Type: "BadRequestError", Code: "400", Message: "maximum context length is 4096"},
	},
	{
		name: "400 context length by message (llama.cpp)", status: 400,
		body: `{"error":{"code":400,"message":"the request exceeds the available context size, try increasing it","type":"exceed_context_size_error"}}`,
		want: provider.Error{Kind: provider.KindContextWindow, Status: 400, Type: "exceed_context_size_error", Code: "400", Message: "available context size"},
	},
	{
		name: "400 user too long is not a context error", status: 400,
		body: `{"error":{"message":"Invalid 'user': string too long. Expected a string with maximum length 64, but got a string with length 100 instead.","type":"invalid_request_error","param":"user","code":"string_above_max_length"}}`,
		want: provider.Error{Kind: provider.KindBadRequest, Status: 400, Type: "invalid_request_error", Param: "user", Code: "string_above_max_length", Message: "Invalid 'user'"},
	},
	{
		name: "400 content policy", status: 400,
		body: `{"error":{"message":"Your request was rejected as a result of our safety system. Your prompt may contain text that is not allowed by our safety system.","type":"invalid_request_error","param":null,"code":"content_policy_violation"}}`,
		want: provider.Error{Kind: provider.KindContentPolicy, Status: 400, Type: "invalid_request_error", Code: "content_policy_violation", Message: "safety system"},
	},
	{
		name: "401 with the key echoed", status: 401,
		body: `{"error":{"message":"Incorrect API key provided: ` + testKey + `. You can find your API key at https://platform.openai.com/account/api-keys.","type":"invalid_request_error","param":null,"code":"invalid_api_key"}}`,
		want: provider.Error{Kind: provider.KindAuth, Status: 401, Type: "invalid_request_error", Code: "invalid_api_key", Message: "Incorrect API key provided: [redacted]."},
	},
	{
		name: "403 region", status: 403,
		body: `{"error":{"code":"unsupported_country_region_territory","message":"Country, region, or territory not supported","param":null,"type":"request_forbidden"}}`,
		want: provider.Error{Kind: provider.KindPermission, Status: 403, Type: "request_forbidden", Code: "unsupported_country_region_territory", Message: "not supported"},
	},
	{
		name: "404 model", status: 404,
		body: `{"error":{"message":"The model 'gpt-9' does not exist or you do not have access to it.","type":"invalid_request_error","param":null,"code":"model_not_found"}}`,
		want: provider.Error{Kind: provider.KindNotFound, Status: 404, Type: "invalid_request_error", Code: "model_not_found", Message: "does not exist"},
	},
	{
		name: "422 validation (FastAPI detail)", status: 422,
		body: `{"detail":"messages: field required"}`,
		want: provider.Error{Kind: provider.KindBadRequest, Status: 422, Message: "messages: field required"},
	},
	{
		name: "429 with Retry-After seconds", status: 429, headers: []string{"Retry-After", "7"},
		body: `{"error":{"message":"Rate limit reached for gpt-4o in organization org-x on tokens per min (TPM): Limit 30000, Used 29000, Requested 2000.","type":"tokens","param":null,"code":"rate_limit_exceeded"}}`,
		want: provider.Error{Kind: provider.KindRateLimit, Status: 429, Type: "tokens", Code: "rate_limit_exceeded", RetryAfter: 7 * time.Second, Message: "Rate limit reached"},
	},
	{
		name: "429 with retry-after-ms", status: 429, headers: []string{"Retry-After", "2", "retry-after-ms", "1500"},
		body: `{"error":{"message":"You exceeded your current quota","type":"insufficient_quota","param":null,"code":"insufficient_quota"}}`,
		want: provider.Error{Kind: provider.KindRateLimit, Status: 429, Type: "insufficient_quota", Code: "insufficient_quota", RetryAfter: 1500 * time.Millisecond, Message: "quota"},
	},
	{
		name: "500", status: 500,
		body: `{"error":{"message":"The server had an error while processing your request. Sorry about that!","type":"server_error","param":null,"code":null}}`,
		want: provider.Error{Kind: provider.KindUnavailable, Status: 500, Type: "server_error", Message: "The server had an error"},
	},
	{
		name: "502 from a proxy, HTML", status: 502,
		body: `<html><head><title>502 Bad Gateway</title></head><body>cloudflare</body></html>`,
		want: provider.Error{Kind: provider.KindUnavailable, Status: 502, Message: "502 Bad Gateway"},
	},
	{
		name: "503 with Retry-After", status: 503, headers: []string{"Retry-After", "2"},
		body: `{"error":{"message":"The engine is currently overloaded, please try again later","type":"server_error","param":null,"code":null}}`,
		want: provider.Error{Kind: provider.KindUnavailable, Status: 503, Type: "server_error", RetryAfter: 2 * time.Second, Message: "overloaded"},
	},
	{
		name: "503 with an empty body", status: 503,
		want: provider.Error{Kind: provider.KindUnavailable, Status: 503, Message: "upstream error: 503 Service Unavailable"},
	},
	{
		name: "504 from the upstream's own gateway", status: 504,
		body: `{"error":{"message":"Gateway timeout.","type":"cf_gateway_timeout","param":null,"code":504}}`,
		want: provider.Error{Kind: provider.KindTimeout, Status: 504, Type: "cf_gateway_timeout", Code: "504", Message: "Gateway timeout"},
	},
	{
		name: "302 redirect", status: 302, headers: []string{"Location", "https://login.example.com/"},
		want: provider.Error{Kind: provider.KindUnavailable, Status: 502, Message: "check the deployment's api_base"},
	},
}

func TestUpstreamErrors(t *testing.T) {
	for _, tt := range upstreamErrors {
		t.Run(tt.name, func(t *testing.T) {
			srv := openaitest.NewServer(t, openaitest.JSON(tt.status, tt.body, tt.headers...))
			m := newModel(t, srv, openai.Options{Provider: "openai"})
			_, chatErr := m.Chat(context.Background(), chatRequest(t, hello))
			_, streamErr := m.ChatStream(context.Background(), chatRequest(t, hello))
			_, embedErr := m.Embed(context.Background(), embedRequest())
			for i, err := range []error{chatErr, streamErr, embedErr} {
				pe := asProviderError(t, err)
				w := tt.want
				if pe.Kind != w.Kind || pe.Status != w.Status || pe.Code != w.Code || pe.Type != w.Type ||
					pe.Param != w.Param || pe.RetryAfter != w.RetryAfter || pe.Provider != "openai" {
					t.Errorf("call %d: got %+v\nwant %+v", i, *pe, w)
				}
				if !strings.Contains(pe.Message, w.Message) {
					t.Errorf("call %d: message %q does not contain %q", i, pe.Message, w.Message)
				}
				if strings.Contains(pe.Error(), testKey) {
					t.Errorf("call %d: the error shows the API key: %q", i, pe.Error())
				}
			}
		})
	}
}

func TestMalformedSuccess(t *testing.T) {
	tests := []struct {
		name, body string
		want       provider.Kind
	}{
		{"not JSON", `<html>maintenance</html>`, provider.KindUnavailable},
		{"no choices", `{"id":"x","object":"chat.completion"}`, provider.KindUnavailable},
		{"error object with 200", `{"error":{"message":"Input validation error: inputs tokens + max_new_tokens must be <= 4096","type":"invalid_request_error"}}`, provider.KindBadRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := openaitest.NewServer(t, openaitest.JSON(http.StatusOK, tt.body))
			m := newModel(t, srv, openai.Options{})
			_, err := m.Chat(context.Background(), chatRequest(t, hello))
			if pe := asProviderError(t, err); pe.Kind != tt.want {
				t.Fatalf("error = %+v, want kind %v", pe, tt.want)
			}
		})
	}
}
