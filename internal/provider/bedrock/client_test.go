package bedrock_test

import (
	"context"
	"net/http/httptest"
	"path/filepath"
	"testing"

	"github.com/aws/aws-sdk-go-v2/config"

	"github.com/tollgate-gw/tollgate/internal/awscred"
	"github.com/tollgate-gw/tollgate/internal/llm"
	"github.com/tollgate-gw/tollgate/internal/provider/bedrock"
)

// TestNewClientEnvironment: without aws_bedrock_runtime_endpoint the SDK's
// AWS_ENDPOINT_URL_BEDROCK_RUNTIME routes the call, and an ambient
// AWS_BEARER_TOKEN_BEDROCK does not replace the deployment's role.
func TestNewClientEnvironment(t *testing.T) {
	h := newHarness(t)
	t.Setenv("AWS_ENDPOINT_URL_BEDROCK_RUNTIME", h.brURL)
	t.Setenv("AWS_BEARER_TOKEN_BEDROCK", "ambient-api-key")
	t.Setenv("AWS_REGION", "us-east-1")
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(t.TempDir(), "none"))
	base, err := config.LoadDefaultConfig(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	// Keep the ambient credentials of the harness, take the environment's
	// endpoint configuration.
	cfg, err := h.resolver.Config(context.Background(), awscred.Spec{RoleARN: deptRole, ExternalID: "ext-1", STSEndpoint: h.stsURL})
	if err != nil {
		t.Fatal(err)
	}
	cfg.ConfigSources = base.ConfigSources
	a, err := bedrock.New(bedrock.NewClient(cfg, nil), &bedrock.Options{ModelID: claude})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Chat(context.Background(), &llm.Request{Messages: []llm.Message{{Role: llm.RoleUser, Content: text("q")}}}); err != nil {
		t.Fatal(err)
	}
	calls := h.bedrock.Calls()
	if len(calls) != 1 || calls[0].Principal != "arn:aws:sts::222222222222:assumed-role/BedrockAccess/tollgate" {
		t.Fatalf("calls %+v, want one SigV4 call as the deployment's role", calls)
	}
}

// TestNewClientAPIKey: an explicit Bedrock API key is sent as a bearer token
// (over TLS: the SDK refuses to send bearer tokens in the clear).
func TestNewClientAPIKey(t *testing.T) {
	h := newHarness(t)
	tlsSrv := httptest.NewTLSServer(h.bedrock)
	defer tlsSrv.Close()
	cfg, err := h.resolver.Config(context.Background(), awscred.Spec{})
	if err != nil {
		t.Fatal(err)
	}
	cfg.HTTPClient = tlsSrv.Client()
	a, err := bedrock.New(bedrock.NewClient(cfg, &bedrock.ClientOptions{Endpoint: tlsSrv.URL, APIKey: "bedrock-api-key"}),
		&bedrock.Options{ModelID: claude})
	if err != nil {
		t.Fatal(err)
	}
	_, _ = a.Chat(context.Background(), &llm.Request{Messages: []llm.Message{{Role: llm.RoleUser, Content: text("q")}}})
	calls := h.bedrock.Calls()
	if len(calls) != 1 || calls[0].Header.Get("Authorization") != "Bearer bedrock-api-key" {
		t.Fatalf("calls %+v, want one bearer-authenticated call", calls)
	}
}

func TestNewRejectsBadOptions(t *testing.T) {
	h := newHarness(t)
	cfg, _ := h.resolver.Config(context.Background(), awscred.Spec{})
	client := bedrock.NewClient(cfg, nil)
	for _, o := range []*bedrock.Options{nil, {}, {ModelID: "m", Route: "chat"}} {
		if _, err := bedrock.New(client, o); err == nil {
			t.Errorf("New(%+v) accepted", o)
		}
	}
	if _, err := bedrock.New(nil, &bedrock.Options{ModelID: "m"}); err == nil {
		t.Error("New(nil client) accepted")
	}
}
