package bedrock_test

import (
	"context"
	"strings"
	"testing"

	"github.com/tollgate-gw/tollgate/internal/awscred"
	"github.com/tollgate-gw/tollgate/internal/llm"
	"github.com/tollgate-gw/tollgate/internal/provider"
	"github.com/tollgate-gw/tollgate/internal/provider/bedrock"
)

// TestDeploymentRoleEndToEnd drives the adapter as the gateway will: the
// deployment's aws_role_name is assumed with its session name and external
// id, every operation signs with the issued credentials, and the second
// call reuses them.
func TestDeploymentRoleEndToEnd(t *testing.T) {
	h := newHarness(t)
	a := h.adapter(t, awscred.Spec{RoleARN: deptRole, SessionName: "litellm-dept-a", ExternalID: "ext-1", Region: "us-west-2"},
		bedrock.Options{ModelID: claude})
	req := &llm.Request{Messages: []llm.Message{{Role: llm.RoleUser, Content: text("q")}}}
	if _, err := a.Chat(context.Background(), req); err != nil {
		t.Fatal(err)
	}
	s, err := a.ChatStream(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	_ = s.Close()
	if n := h.sts.Count("AssumeRole"); n != 1 {
		t.Fatalf("AssumeRole calls = %d, want 1", n)
	}
	var issued string
	for _, c := range h.sts.Calls() {
		if c.Action == "AssumeRole" {
			if c.RoleARN != deptRole || c.RoleSessionName != "litellm-dept-a" || c.ExternalID != "ext-1" {
				t.Errorf("AssumeRole %+v", c)
			}
			issued = c.IssuedAccessKeyID
		}
	}
	for _, c := range h.bedrock.Calls() {
		if c.AccessKeyID != issued || c.Principal != "arn:aws:sts::222222222222:assumed-role/BedrockAccess/litellm-dept-a" {
			t.Errorf("%s signed by %s (%s), want %s", c.Operation, c.AccessKeyID, c.Principal, issued)
		}
	}
}

// TestDeniedRoleIsAClearClientError: the request fails with an error naming
// the role and STS's reason, and Bedrock is never called.
func TestDeniedRoleIsAClearClientError(t *testing.T) {
	h := newHarness(t)
	a := h.adapter(t, awscred.Spec{RoleARN: deptRole, ExternalID: "wrong-id"}, bedrock.Options{ModelID: claude})
	req := &llm.Request{Messages: []llm.Message{{Role: llm.RoleUser, Content: text("q")}}}
	for _, call := range []func() error{
		func() error { _, err := a.Chat(context.Background(), req); return err },
		func() error { _, err := a.ChatStream(context.Background(), req); return err },
	} {
		err := call()
		pe, ok := provider.AsError(err)
		if !ok || pe.Kind != provider.KindPermission || pe.Status != 403 || pe.Retryable() || pe.Code != "AccessDenied" {
			t.Fatalf("error %#v, want a non-retryable 403 permission error", err)
		}
		for _, want := range []string{deptRole, "AccessDenied", "not authorized to perform: sts:AssumeRole"} {
			if !strings.Contains(pe.Message, want) {
				t.Errorf("message %q lacks %q", pe.Message, want)
			}
		}
	}
	if n := len(h.bedrock.Calls()); n != 0 {
		t.Fatalf("Bedrock received %d calls with a denied role; want none", n)
	}
}
