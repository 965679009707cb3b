package awscred_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/config"

	"github.com/tollgate-gw/tollgate/internal/awscred"
	"github.com/tollgate-gw/tollgate/internal/awsfake"
)

func assumedARN(role, session string) string {
	acct := strings.Split(role, ":")[4]
	name := role[strings.LastIndex(role, "/")+1:]
	return "arn:aws:sts::" + acct + ":assumed-role/" + name + "/" + session
}

// TestAssumeRoleSignsBedrockCalls is the seed's bug turned into a test:
// aws_role_name must make STS AssumeRole fire, with the configured session
// name and external id, and Bedrock must see the issued credentials — twice,
// from one STS call.
func TestAssumeRoleSignsBedrockCalls(t *testing.T) {
	e := newEnv(t)
	r := e.resolver(t, nil)
	ctx := context.Background()
	cfg, err := r.Config(ctx, e.spec(awscred.Spec{
		Region: "us-west-2", RoleARN: deptARole, SessionName: "litellm-dept-a", ExternalID: extA,
	}))
	if err != nil {
		t.Fatal(err)
	}
	if e.sts.Count("") != 0 {
		t.Fatalf("Config called STS %d times; it must stay lazy", e.sts.Count(""))
	}
	for range 2 {
		if err := e.converse(ctx, cfg); err != nil {
			t.Fatal(err)
		}
	}
	var assume []awsfake.STSCall
	for _, c := range e.sts.Calls() {
		if c.Action == "AssumeRole" {
			assume = append(assume, c)
		}
		if c.AccessKeyID != e.ambient.AccessKeyID || c.Region != "us-west-2" {
			t.Errorf("STS %s signed by %s in %s; want the ambient key in us-west-2", c.Action, c.AccessKeyID, c.Region)
		}
	}
	if len(assume) != 1 {
		t.Fatalf("AssumeRole calls = %d, want 1: %+v", len(assume), e.sts.Calls())
	}
	a := assume[0]
	if a.RoleARN != deptARole || a.RoleSessionName != "litellm-dept-a" || a.ExternalID != extA {
		t.Errorf("AssumeRole(%s, %s, %s), want (%s, litellm-dept-a, %s)", a.RoleARN, a.RoleSessionName, a.ExternalID, deptARole, extA)
	}
	calls := e.bedrock.Calls()
	if len(calls) != 2 {
		t.Fatalf("bedrock calls = %d, want 2", len(calls))
	}
	for _, c := range calls {
		if c.AccessKeyID != a.IssuedAccessKeyID || c.ErrorCode != "" {
			t.Errorf("bedrock call signed by %s (error %q), want the key STS issued, %s", c.AccessKeyID, c.ErrorCode, a.IssuedAccessKeyID)
		}
		if want := assumedARN(deptARole, "litellm-dept-a"); c.Principal != want {
			t.Errorf("bedrock principal %s, want %s", c.Principal, want)
		}
		if c.Region != "us-west-2" {
			t.Errorf("bedrock signing region %s, want us-west-2", c.Region)
		}
	}
}

func TestTwoDeploymentsUseTheirOwnRoles(t *testing.T) {
	e := newEnv(t)
	r := e.resolver(t, &awscred.Options{GatewayName: "tollgate prod"})
	ctx := context.Background()
	cfgA, err := r.Config(ctx, e.spec(awscred.Spec{RoleARN: deptARole, ExternalID: extA}))
	if err != nil {
		t.Fatal(err)
	}
	cfgB, err := r.Config(ctx, e.spec(awscred.Spec{RoleARN: deptBRole}))
	if err != nil {
		t.Fatal(err)
	}
	order := []string{deptARole, deptBRole, deptARole, deptBRole}
	for i, role := range order {
		cfg := cfgA
		if role == deptBRole {
			cfg = cfgB
		}
		if err := e.converse(ctx, cfg); err != nil {
			t.Fatalf("call %d: %v", i, err)
		}
	}
	if n := e.sts.Count("AssumeRole"); n != 2 {
		t.Fatalf("AssumeRole calls = %d, want one per role", n)
	}
	for i, c := range e.bedrock.Calls() {
		if want := assumedARN(order[i], "tollgate-prod"); c.Principal != want {
			t.Errorf("call %d signed as %s, want %s", i, c.Principal, want)
		}
	}
}

func TestDeniedRoleFailsWithoutCallingBedrock(t *testing.T) {
	tests := []struct {
		name     string
		spec     awscred.Spec
		wantCode string
	}{
		{"wrong external id", awscred.Spec{RoleARN: deptARole, ExternalID: "not-the-id"}, "AccessDenied"},
		{"missing external id", awscred.Spec{RoleARN: deptARole}, "AccessDenied"},
		{"untrusted role", awscred.Spec{RoleARN: "arn:aws:iam::444444444444:role/Nobody"}, "AccessDenied"},
		{"bad web identity token", awscred.Spec{RoleARN: irsaRole, WebIdentityToken: "forged"}, "InvalidIdentityToken"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			r := e.resolver(t, nil)
			cfg, err := r.Config(context.Background(), e.spec(tt.spec))
			if err != nil {
				t.Fatal(err)
			}
			err = e.converse(context.Background(), cfg)
			var ce *awscred.Error
			if !errors.As(err, &ce) {
				t.Fatalf("error %v (%T) does not carry *awscred.Error", err, err)
			}
			if ce.Code != tt.wantCode || ce.RoleARN != tt.spec.RoleARN {
				t.Errorf("code %q role %q, want %q %q", ce.Code, ce.RoleARN, tt.wantCode, tt.spec.RoleARN)
			}
			if msg := ce.Error(); !strings.Contains(msg, tt.spec.RoleARN) || !strings.Contains(msg, tt.wantCode) {
				t.Errorf("message %q should name the role and the reason", msg)
			}
			if n := len(e.bedrock.Calls()); n != 0 {
				t.Errorf("bedrock received %d calls after STS refused; want none", n)
			}
		})
	}
}

func TestExplicitKeysSignTheSTSCall(t *testing.T) {
	e := newEnv(t)
	r := e.resolver(t, nil)
	cfg, err := r.Config(context.Background(), e.spec(awscred.Spec{
		AccessKeyID: e.user.AccessKeyID, SecretAccessKey: e.user.SecretAccessKey,
		RoleARN: deptARole, ExternalID: extA,
	}))
	if err != nil {
		t.Fatal(err)
	}
	if err := e.converse(context.Background(), cfg); err != nil {
		t.Fatal(err)
	}
	calls := e.sts.Calls()
	// Long-term keys are a user's: no GetCallerIdentity is needed.
	if len(calls) != 1 || calls[0].Action != "AssumeRole" || calls[0].Principal != userARN {
		t.Fatalf("STS calls %+v, want one AssumeRole signed by %s", calls, userARN)
	}
	if got := e.bedrock.Calls()[0].AccessKeyID; got != calls[0].IssuedAccessKeyID {
		t.Errorf("bedrock signed by %s, want %s", got, calls[0].IssuedAccessKeyID)
	}
}

func TestExplicitKeysWithoutRole(t *testing.T) {
	e := newEnv(t)
	r := e.resolver(t, nil)
	cfg, err := r.Config(context.Background(), e.spec(awscred.Spec{
		AccessKeyID: e.user.AccessKeyID, SecretAccessKey: e.user.SecretAccessKey,
	}))
	if err != nil {
		t.Fatal(err)
	}
	if err := e.converse(context.Background(), cfg); err != nil {
		t.Fatal(err)
	}
	if e.sts.Count("") != 0 || e.bedrock.Calls()[0].Principal != userARN {
		t.Errorf("sts calls %d, bedrock principal %s; want 0 and %s", e.sts.Count(""), e.bedrock.Calls()[0].Principal, userARN)
	}
}

func irsaEnv(file, role string) func(string) string {
	return func(k string) string {
		switch k {
		case "AWS_WEB_IDENTITY_TOKEN_FILE":
			return file
		case "AWS_ROLE_ARN":
			return role
		}
		return ""
	}
}

func writeToken(t *testing.T) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(p, []byte(irsaToken+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestWebIdentityThenChainedAssumeRole(t *testing.T) {
	e := newEnv(t)
	r := e.resolver(t, &awscred.Options{Getenv: irsaEnv(writeToken(t), irsaRole)})
	cfg, err := r.Config(context.Background(), e.spec(awscred.Spec{RoleARN: deptARole, ExternalID: extA, SessionName: "dept-a"}))
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if err := e.converse(context.Background(), cfg); err != nil {
			t.Fatal(err)
		}
	}
	calls := e.sts.Calls()
	if len(calls) != 2 {
		t.Fatalf("STS calls %+v, want web identity then AssumeRole", calls)
	}
	web, chained := calls[0], calls[1]
	if web.Action != "AssumeRoleWithWebIdentity" || web.RoleARN != irsaRole || web.WebIdentityToken != irsaToken || web.AccessKeyID != "" {
		t.Errorf("first call %+v, want an unsigned AssumeRoleWithWebIdentity for %s with the file's token", web, irsaRole)
	}
	if chained.Action != "AssumeRole" || chained.AccessKeyID != web.IssuedAccessKeyID || chained.RoleARN != deptARole {
		t.Errorf("second call %+v, want AssumeRole %s signed by the IRSA key %s", chained, deptARole, web.IssuedAccessKeyID)
	}
	for _, c := range e.bedrock.Calls() {
		if c.AccessKeyID != chained.IssuedAccessKeyID {
			t.Errorf("bedrock signed by %s, want the chained key %s", c.AccessKeyID, chained.IssuedAccessKeyID)
		}
	}
}

func TestSpecWebIdentityToken(t *testing.T) {
	e := newEnv(t)
	r := e.resolver(t, nil)
	cfg, err := r.Config(context.Background(), e.spec(awscred.Spec{RoleARN: irsaRole, WebIdentityToken: irsaToken}))
	if err != nil {
		t.Fatal(err)
	}
	if err := e.converse(context.Background(), cfg); err != nil {
		t.Fatal(err)
	}
	calls := e.sts.Calls()
	if len(calls) != 1 || calls[0].Action != "AssumeRoleWithWebIdentity" || calls[0].RoleSessionName != "tollgate" {
		t.Fatalf("STS calls %+v, want one AssumeRoleWithWebIdentity with the default session name", calls)
	}
	if got := e.bedrock.Calls()[0].AccessKeyID; got != calls[0].IssuedAccessKeyID {
		t.Errorf("bedrock signed by %s, want %s", got, calls[0].IssuedAccessKeyID)
	}
}

// TestNoAssumeWhenSourceIsTargetRole covers both ways of knowing the source
// identity: IRSA's AWS_ROLE_ARN (even spelled without the role path, as an
// assumed-role ARN would be) and GetCallerIdentity for ambient credentials.
func TestNoAssumeWhenSourceIsTargetRole(t *testing.T) {
	t.Run("IRSA AWS_ROLE_ARN", func(t *testing.T) {
		e := newEnv(t)
		r := e.resolver(t, &awscred.Options{Getenv: irsaEnv(writeToken(t), irsaRole)})
		target := "arn:aws:iam::111111111111:role/tollgate-irsa" // same role, no path
		cfg, err := r.Config(context.Background(), e.spec(awscred.Spec{RoleARN: target}))
		if err != nil {
			t.Fatal(err)
		}
		if err := e.converse(context.Background(), cfg); err != nil {
			t.Fatal(err)
		}
		if n := e.sts.Count("AssumeRole"); n != 0 {
			t.Errorf("AssumeRole called %d times for the role the pod already is", n)
		}
		if n := e.sts.Count("AssumeRoleWithWebIdentity"); n != 1 {
			t.Errorf("web identity calls = %d, want 1", n)
		}
		if p := e.bedrock.Calls()[0].Principal; !strings.Contains(p, ":assumed-role/tollgate-irsa/") {
			t.Errorf("bedrock principal %s, want the IRSA role", p)
		}
	})
	t.Run("caller identity", func(t *testing.T) {
		e := newEnv(t)
		r := e.resolver(t, nil)
		cfg, err := r.Config(context.Background(), e.spec(awscred.Spec{RoleARN: lambdaRole}))
		if err != nil {
			t.Fatal(err)
		}
		for range 2 {
			if err := e.converse(context.Background(), cfg); err != nil {
				t.Fatal(err)
			}
		}
		if n := e.sts.Count("AssumeRole"); n != 0 {
			t.Errorf("AssumeRole called %d times for the role the function already is", n)
		}
		if n := e.sts.Count("GetCallerIdentity"); n != 1 {
			t.Errorf("GetCallerIdentity calls = %d, want 1", n)
		}
		for _, c := range e.bedrock.Calls() {
			if c.AccessKeyID != e.ambient.AccessKeyID {
				t.Errorf("bedrock signed by %s, want the ambient key", c.AccessKeyID)
			}
		}
	})
}

func TestProfileSource(t *testing.T) {
	e := newEnv(t)
	dir := t.TempDir()
	creds := filepath.Join(dir, "credentials")
	body := "[dept]\naws_access_key_id = " + e.user.AccessKeyID + "\naws_secret_access_key = " + e.user.SecretAccessKey + "\n"
	if err := os.WriteFile(creds, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	r := e.resolver(t, &awscred.Options{
		SharedCredentialsFiles: []string{creds},
		SharedConfigFiles:      []string{filepath.Join(dir, "config")},
	})
	cfg, err := r.Config(context.Background(), e.spec(awscred.Spec{Profile: "dept", RoleARN: deptARole, ExternalID: extA}))
	if err != nil {
		t.Fatal(err)
	}
	if err := e.converse(context.Background(), cfg); err != nil {
		t.Fatal(err)
	}
	for _, c := range e.sts.Calls() {
		if c.Principal != userARN {
			t.Errorf("STS %s signed by %s, want the profile's user", c.Action, c.Principal)
		}
	}
	if n := e.sts.Count("AssumeRole"); n != 1 {
		t.Errorf("AssumeRole calls = %d, want 1", n)
	}
	if _, err := r.Config(context.Background(), e.spec(awscred.Spec{Profile: "missing"})); !errors.Is(err, awscred.ErrInvalidSpec) {
		t.Errorf("missing profile: error %v, want ErrInvalidSpec", err)
	}
}

// TestEndpointFromEnvironment: without aws_sts_endpoint, the SDK's
// AWS_ENDPOINT_URL_STS still routes STS calls.
func TestEndpointFromEnvironment(t *testing.T) {
	e := newEnv(t)
	t.Setenv("AWS_ENDPOINT_URL_STS", e.stsURL)
	t.Setenv("AWS_ACCESS_KEY_ID", e.ambient.AccessKeyID)
	t.Setenv("AWS_SECRET_ACCESS_KEY", e.ambient.SecretAccessKey)
	t.Setenv("AWS_SESSION_TOKEN", e.ambient.SessionToken)
	t.Setenv("AWS_REGION", "eu-west-1")
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(t.TempDir(), "none"))
	base, err := config.LoadDefaultConfig(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	r := awscred.NewResolver(base, nil)
	cfg, err := r.Config(context.Background(), awscred.Spec{RoleARN: deptBRole})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.converse(context.Background(), cfg); err != nil {
		t.Fatal(err)
	}
	if n := e.sts.Count("AssumeRole"); n != 1 {
		t.Fatalf("AssumeRole calls through AWS_ENDPOINT_URL_STS = %d, want 1", n)
	}
	if c := e.bedrock.Calls()[0]; c.Region != "eu-west-1" || !strings.Contains(c.Principal, "BedrockAccess") {
		t.Errorf("bedrock call %s in %s, want the dept B role in eu-west-1", c.Principal, c.Region)
	}
}

func TestDebugLogNamesIdentitiesNotSecrets(t *testing.T) {
	e := newEnv(t)
	var buf bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	r := e.resolver(t, &awscred.Options{Logger: log})
	cfg, err := r.Config(context.Background(), e.spec(awscred.Spec{RoleARN: deptARole, ExternalID: extA}))
	if err != nil {
		t.Fatal(err)
	}
	if err := e.converse(context.Background(), cfg); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, want := range []string{"assumed AWS role", deptARole, assumedARN(lambdaRole, "tollgate-lambda"), assumedARN(deptARole, "tollgate")} {
		if !strings.Contains(out, want) {
			t.Errorf("debug log lacks %q:\n%s", want, out)
		}
	}
	issued := e.sts.Calls()[1].IssuedAccessKeyID
	for _, secret := range []string{e.ambient.SecretAccessKey, e.ambient.SessionToken, "secret-" + issued, "token-" + issued, extA} {
		if strings.Contains(out, secret) {
			t.Errorf("debug log leaks %q", secret)
		}
	}
}

// TestBurstOfFirstRequests: 200 concurrent first requests make one STS call
// and all sign with the one set of credentials it returned.
func TestBurstOfFirstRequests(t *testing.T) {
	e := newEnv(t)
	r := e.resolver(t, nil)
	cfg, err := r.Config(context.Background(), e.spec(awscred.Spec{
		AccessKeyID: e.user.AccessKeyID, SecretAccessKey: e.user.SecretAccessKey, RoleARN: deptARole, ExternalID: extA,
	}))
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 200)
	for range 200 {
		wg.Go(func() { errs <- e.converse(context.Background(), cfg) })
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if n := e.sts.Count(""); n != 1 {
		t.Fatalf("STS calls = %d for 200 concurrent first requests, want 1", n)
	}
	issued := e.sts.Calls()[0].IssuedAccessKeyID
	calls := e.bedrock.Calls()
	if len(calls) != 200 {
		t.Fatalf("bedrock calls = %d, want 200", len(calls))
	}
	for _, c := range calls {
		if c.AccessKeyID != issued {
			t.Fatalf("a call signed by %s, want %s", c.AccessKeyID, issued)
		}
	}
}
