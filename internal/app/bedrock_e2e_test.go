package app_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"

	"github.com/tollgate-gw/tollgate/internal/app"
	"github.com/tollgate-gw/tollgate/internal/awsfake"
)

const (
	gatewayUser = "arn:aws:iam::111111111111:user/tollgate"
	roleDeptA   = "arn:aws:iam::222222222222:role/TollgateBedrockAccess"
	roleDeptB   = "arn:aws:iam::333333333333:role/TollgateBedrockAccess"
	roleClosed  = "arn:aws:iam::444444444444:role/TollgateBedrockAccess"
)

// TestBedrockCrossAccountThroughGateway is the seeds' per-department setup
// end to end: each deployment's aws_role_name is assumed (with its session
// name and external id) and its Bedrock calls are signed by that role —
// the setting a widely used gateway silently dropped.
func TestBedrockCrossAccountThroughGateway(t *testing.T) {
	iam := awsfake.NewIAM(time.Now)
	user := iam.AddUser(gatewayUser)
	iam.AddRole(awsfake.Role{ARN: roleDeptA, Trust: []awsfake.Trust{{Principal: gatewayUser, ExternalID: "ext-a"}}})
	iam.AddRole(awsfake.Role{ARN: roleDeptB, Trust: []awsfake.Trust{{Principal: gatewayUser, ExternalID: "ext-b"}}})
	iam.AddRole(awsfake.Role{ARN: roleClosed}) // trusts nobody
	sts := awsfake.NewSTS(iam, nil)
	br := awsfake.NewBedrock(iam, nil)
	stsSrv, brSrv := httptest.NewServer(sts), httptest.NewServer(br)
	t.Cleanup(func() { stsSrv.Close(); brSrv.Close() })

	// The ambient identity (the Lambda execution role in AWS) is the user.
	t.Setenv("AWS_ACCESS_KEY_ID", user.AccessKeyID)
	t.Setenv("AWS_SECRET_ACCESS_KEY", user.SecretAccessKey)
	t.Setenv("AWS_SESSION_TOKEN", "")
	t.Setenv("AWS_REGION", "us-east-1")
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")

	dep := func(name, role, session, ext string) string {
		return `
  - model_name: ` + name + `
    litellm_params:
      model: bedrock/us.anthropic.claude-sonnet-4-6
      aws_region_name: us-west-2
      aws_role_name: ` + role + `
      aws_session_name: ` + session + `
      aws_external_id: ` + ext + `
      aws_sts_endpoint: ` + stsSrv.URL + `
      aws_bedrock_runtime_endpoint: ` + brSrv.URL
	}
	cfg := "model_list:" + dep("claude-dept-a", roleDeptA, "tollgate-dept-a", "ext-a") +
		dep("claude-dept-b", roleDeptB, "tollgate-dept-b", "ext-b") +
		dep("claude-closed", roleClosed, "tollgate-closed", "ext-c") + "\n"
	path := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	dataDir := t.TempDir()
	a, err := app.New(context.Background(), app.Options{
		ConfigPaths: []string{path},
		LookupEnv: func(k string) (string, bool) {
			if k == "TOLLGATE_DATA_DIR" { // not the package directory, shared by every test
				return dataDir, true
			}
			if k == "TOLLGATE_MASTER_KEY" {
				return masterKey, true
			}
			return os.LookupEnv(k)
		},
		Logger: slog.New(slog.NewJSONHandler(io.Discard, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	gw := httptest.NewServer(a.Handler)
	t.Cleanup(func() { gw.Close(); a.Close() })
	client := openai.NewClient(option.WithBaseURL(gw.URL+"/v1/"), option.WithAPIKey(masterKey), option.WithMaxRetries(0))
	ctx := context.Background()
	ask := func(model string) (*openai.ChatCompletion, error) {
		return client.Chat.Completions.New(ctx, openai.ChatCompletionNewParams{
			Model: model, Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("hello")},
		})
	}

	for i := 0; i < 2; i++ {
		resp, err := ask("claude-dept-a")
		if err != nil {
			t.Fatal(err)
		}
		if resp.Choices[0].Message.Content != "ok" {
			t.Fatalf("reply %+v", resp)
		}
	}
	stream := client.Chat.Completions.NewStreaming(ctx, openai.ChatCompletionNewParams{
		Model: "claude-dept-b", Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("hello")},
	})
	var text strings.Builder
	for stream.Next() {
		for _, c := range stream.Current().Choices {
			text.WriteString(c.Delta.Content)
		}
	}
	if err := stream.Err(); err != nil || text.String() != "ok" {
		t.Fatalf("stream %q %v", text.String(), err)
	}

	// One AssumeRole per role, signed by the gateway's own identity, with
	// the configured session name and external id.
	var assumed []awsfake.STSCall
	for _, c := range sts.Calls() {
		if c.Action == "AssumeRole" {
			assumed = append(assumed, c)
		}
	}
	if len(assumed) != 2 {
		t.Fatalf("AssumeRole calls %+v", assumed)
	}
	for _, c := range assumed {
		want := map[string][2]string{roleDeptA: {"tollgate-dept-a", "ext-a"}, roleDeptB: {"tollgate-dept-b", "ext-b"}}[c.RoleARN]
		if c.Principal != gatewayUser || c.RoleSessionName != want[0] || c.ExternalID != want[1] || c.ErrorCode != "" {
			t.Fatalf("AssumeRole %+v", c)
		}
	}
	// Every Bedrock call is signed by the role of its deployment, in the
	// deployment's region.
	calls := br.Calls()
	if len(calls) != 3 {
		t.Fatalf("bedrock calls %d", len(calls))
	}
	for i, c := range calls {
		wantAccount := "222222222222" // dept A's two calls, then dept B's stream
		if i == 2 {
			wantAccount = "333333333333"
		}
		if !strings.HasPrefix(c.Principal, "arn:aws:sts::"+wantAccount+":assumed-role/TollgateBedrockAccess/") {
			t.Fatalf("call %d (%s) signed by %s", i, c.Operation, c.Principal)
		}
		if c.Region != "us-west-2" || c.ModelID != "us.anthropic.claude-sonnet-4-6" {
			t.Fatalf("call %d region %s model %s", i, c.Region, c.ModelID)
		}
	}

	// A role that does not trust the gateway fails clearly, and Bedrock is
	// never called with other credentials.
	_, err = ask("claude-closed")
	var apiErr *openai.Error
	if !errors.As(err, &apiErr) || apiErr.StatusCode != 403 || !strings.Contains(apiErr.Message, roleClosed) {
		t.Fatalf("closed role: %v", err)
	}
	if n := len(br.Calls()); n != 3 {
		t.Fatalf("bedrock called %d times after a denied AssumeRole", n)
	}
}
