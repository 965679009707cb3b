package bedrock_test

import (
	"context"
	"net"
	"strings"
	"testing"

	"github.com/tollgate-gw/tollgate/internal/awscred"
	"github.com/tollgate-gw/tollgate/internal/awsfake"
	"github.com/tollgate-gw/tollgate/internal/llm"
	"github.com/tollgate-gw/tollgate/internal/provider"
	"github.com/tollgate-gw/tollgate/internal/provider/bedrock"
)

// TestErrorMapping: each Bedrock exception, sent by the fake as real
// restJson1 errors and parsed by the real SDK, maps to its kind and status;
// throttling is retryable, validation is not.
func TestErrorMapping(t *testing.T) {
	tests := []struct {
		status    int
		code, msg string
		kind      provider.Kind
		httpCode  int
		retryable bool
	}{
		{429, "ThrottlingException", "Too many requests, please wait before trying again.", provider.KindRateLimit, 429, true},
		{400, "ServiceQuotaExceededException", "quota", provider.KindRateLimit, 429, true},
		{400, "ValidationException", "Malformed input request", provider.KindBadRequest, 400, false},
		{400, "ValidationException", "Input is too long for requested model.", provider.KindContextWindow, 400, false},
		{400, "ValidationException", "prompt is too long: 250000 tokens > 200000 maximum", provider.KindContextWindow, 400, false},
		{400, "ValidationException", "This model's maximum context length is 8192 tokens", provider.KindContextWindow, 400, false},
		{400, "ValidationException", "too many total text bytes", provider.KindBadRequest, 400, false},
		{403, "AccessDeniedException", "You don't have access to the model", provider.KindPermission, 403, false},
		{404, "ResourceNotFoundException", "Model use case details have not been submitted", provider.KindNotFound, 404, false},
		{429, "ModelNotReadyException", "Model is not ready", provider.KindUnavailable, 502, true},
		{503, "ServiceUnavailableException", "unavailable", provider.KindUnavailable, 502, true},
		{500, "InternalServerException", "internal", provider.KindUnavailable, 502, true},
		{424, "ModelErrorException", "model error", provider.KindUnavailable, 502, true},
		{408, "ModelTimeoutException", "timed out", provider.KindTimeout, 504, true},
		{403, "UnrecognizedClientException", "bad token", provider.KindAuth, 401, false},
		{418, "SomethingNewException", "teapot", provider.KindUnavailable, 502, true},
		{404, "SomethingElseException", "gone", provider.KindNotFound, 404, false},
	}
	h := newHarness(t)
	a := h.adapter(t, awscred.Spec{}, bedrock.Options{ModelID: claude})
	for _, tt := range tests {
		t.Run(tt.code+"/"+tt.msg, func(t *testing.T) {
			h.bedrock.Reset()
			h.bedrock.Script(claude, awsfake.Reply{Fault: &awsfake.Fault{Status: tt.status, Code: tt.code, Message: tt.msg}})
			_, err := a.Chat(context.Background(), &llm.Request{Messages: []llm.Message{{Role: llm.RoleUser, Content: text("q")}}})
			pe, ok := provider.AsError(err)
			if !ok {
				t.Fatalf("error %v (%T) is not a *provider.Error", err, err)
			}
			if pe.Kind != tt.kind || pe.Status != tt.httpCode || pe.Retryable() != tt.retryable || pe.Provider != "bedrock" {
				t.Errorf("got kind %v status %d retryable %v, want %v %d %v", pe.Kind, pe.Status, pe.Retryable(), tt.kind, tt.httpCode, tt.retryable)
			}
			if !strings.Contains(pe.Message, tt.msg) || pe.Code != tt.code {
				t.Errorf("message %q code %q should carry %q and %q", pe.Message, pe.Code, tt.msg, tt.code)
			}
			if n := len(h.bedrock.Calls()); n != 1 {
				t.Errorf("Bedrock calls = %d, want 1: the router retries, not the SDK", n)
			}
		})
	}
}

func TestConnectionFailureIsUnavailable(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	_ = ln.Close() // nothing listens there now
	dead := newHarness(t).adapterAt(t, "http://"+addr)
	_, err = dead.Chat(context.Background(), &llm.Request{Messages: []llm.Message{{Role: llm.RoleUser, Content: text("q")}}})
	pe, ok := provider.AsError(err)
	if !ok || pe.Kind != provider.KindUnavailable || !pe.Retryable() {
		t.Fatalf("error %v, want retryable unavailable", err)
	}
}

func TestCancelledContextIsReturnedAsIs(t *testing.T) {
	h := newHarness(t)
	a := h.adapter(t, awscred.Spec{}, bedrock.Options{ModelID: claude})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := a.Chat(ctx, &llm.Request{Messages: []llm.Message{{Role: llm.RoleUser, Content: text("q")}}})
	if _, ok := provider.AsError(err); ok || err == nil {
		t.Fatalf("error %v, want the caller's cancellation, not an upstream error", err)
	}
}
