package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/tollgate-gw/tollgate/internal/auth"
	"github.com/tollgate-gw/tollgate/internal/provider"
	brwire "github.com/tollgate-gw/tollgate/internal/wire/bedrock"
)

// TestBedrockErrorClassification: every failure is named, once, as the
// Bedrock exception it is answered with. The adapter rows are the ones
// wire/bedrock asserted before the classification moved here.
func TestBedrockErrorClassification(t *testing.T) {
	tests := []struct {
		name      string
		err       error
		status    int
		errorType string
		message   string
	}{
		{"decode error", &brwire.DecodeError{Field: "messages[0].role", Message: "is required"},
			400, "ValidationException", "messages[0].role: is required"},
		{"bad request", &provider.Error{Kind: provider.KindBadRequest, Provider: "openai", Message: "bad"},
			400, "ValidationException", "bad"},
		{"context window", fmt.Errorf("calling: %w", &provider.Error{Kind: provider.KindContextWindow, Message: "Input is too long for requested model."}),
			400, "ValidationException", "Input is too long for requested model."},
		{"unsupported", provider.Unsupported("openai", "top_k"),
			400, "ValidationException", provider.Unsupported("openai", "top_k").Message},
		{"auth", &provider.Error{Kind: provider.KindAuth, Message: "invalid key"},
			403, "AccessDeniedException", "invalid key"},
		{"permission", &provider.Error{Kind: provider.KindPermission, Message: "no access"},
			403, "AccessDeniedException", "no access"},
		{"not found", &provider.Error{Kind: provider.KindNotFound, Message: "no such model"},
			404, "ResourceNotFoundException", "no such model"},
		{"rate limit", &provider.Error{Kind: provider.KindRateLimit, Message: "slow down", RetryAfter: 1500 * time.Millisecond},
			429, "ThrottlingException", "slow down"},
		{"timeout", &provider.Error{Kind: provider.KindTimeout, Message: "too slow"},
			408, "ModelTimeoutException", "too slow"},
		{"unavailable", &provider.Error{Kind: provider.KindUnavailable, Message: "upstream 502"},
			503, "ServiceUnavailableException", "upstream 502"},
		{"unknown kind", &provider.Error{Message: "odd"},
			500, "InternalServerException", "odd"},
		{"empty message", &provider.Error{Kind: provider.KindRateLimit},
			429, "ThrottlingException", "rate_limit"},
		{"bedrock upstream exception passes through", &provider.Error{Kind: provider.KindUnavailable, Provider: "bedrock",
			Type: "ModelErrorException", Message: "model failed"},
			424, "ModelErrorException", "model failed"},
		{"bedrock not ready by code", &provider.Error{Kind: provider.KindRateLimit, Code: "ModelNotReadyException", Message: "warming"},
			429, "ModelNotReadyException", "warming"},
		{"bedrock quota", &provider.Error{Kind: provider.KindBadRequest, Type: "ServiceQuotaExceededException", Message: "quota"},
			400, "ServiceQuotaExceededException", "quota"},
		{"OpenAI error type is not an exception name", &provider.Error{Kind: provider.KindBadRequest, Type: "invalid_request_error", Message: "x"},
			400, "ValidationException", "x"},
		{"bad key", auth.ErrInvalidKey,
			403, "AccessDeniedException", auth.ErrInvalidKey.Error()},
		{"the gateway's own fault", errors.New("dial tcp 10.0.0.7:443: secret detail"),
			500, "InternalServerException", "internal error (request id req-1)"},
		{"client closed", fmt.Errorf("reading: %w", context.Canceled),
			400, "ValidationException", "client closed the request"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, typ, body := brwire.ErrorFor(bedrockError(tt.err, "req-1"))
			wantBody, _ := json.Marshal(map[string]string{"message": tt.message})
			if status != tt.status || typ != tt.errorType || string(body) != string(wantBody) {
				t.Fatalf("got %d %s %s, want %d %s %s", status, typ, body, tt.status, tt.errorType, wantBody)
			}
		})
	}
	rec := httptest.NewRecorder()
	brwire.WriteError(rec, bedrockError(&provider.Error{Kind: provider.KindRateLimit, Message: "slow down", RetryAfter: 1500 * time.Millisecond}, ""))
	if rec.Code != http.StatusTooManyRequests || rec.Header().Get("Retry-After") != "2" {
		t.Fatalf("got %d, Retry-After %q", rec.Code, rec.Header().Get("Retry-After"))
	}
}
