package awsfake_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"

	"github.com/tollgate-gw/tollgate/internal/awsfake"
)

const (
	user = "arn:aws:iam::111111111111:user/alice"
	role = "arn:aws:iam::222222222222:role/path/Target"
)

func stsClient(url string, c aws.Credentials, hc aws.HTTPClient) *sts.Client {
	return sts.New(sts.Options{Region: "us-east-1", BaseEndpoint: aws.String(url), HTTPClient: hc,
		Credentials: credentials.StaticCredentialsProvider{Value: c}, RetryMaxAttempts: 1})
}

func converse(url string, c aws.Credentials) error {
	client := bedrockruntime.New(bedrockruntime.Options{Region: "us-east-1", BaseEndpoint: aws.String(url),
		Credentials: credentials.StaticCredentialsProvider{Value: c}, RetryMaxAttempts: 1})
	_, err := client.Converse(context.Background(), &bedrockruntime.ConverseInput{
		ModelId:  aws.String("m"),
		Messages: []types.Message{{Role: "user", Content: []types.ContentBlock{&types.ContentBlockMemberText{Value: "x"}}}},
	})
	return err
}

func code(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

// TestSTSSpeaksQuery: the real STS client parses the fake's answers and
// errors, and the fake enforces trust, external ids and session names.
func TestSTSSpeaksQuery(t *testing.T) {
	iam := awsfake.NewIAM(nil)
	alice := iam.AddUser(user)
	iam.AddRole(awsfake.Role{ARN: role, Trust: []awsfake.Trust{{Principal: user, ExternalID: "ext-42"}}})
	fake := awsfake.NewSTS(iam, nil)
	srv := httptest.NewServer(fake)
	defer srv.Close()
	client := stsClient(srv.URL, alice, nil)
	ctx := context.Background()

	who, err := client.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil || aws.ToString(who.Arn) != user || aws.ToString(who.Account) != "111111111111" {
		t.Fatalf("GetCallerIdentity = %+v, %v", who, err)
	}
	out, err := client.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(role), RoleSessionName: aws.String("s-1"), ExternalId: aws.String("ext-42")})
	if err != nil {
		t.Fatal(err)
	}
	if got := aws.ToString(out.AssumedRoleUser.Arn); got != "arn:aws:sts::222222222222:assumed-role/Target/s-1" {
		t.Errorf("assumed ARN %s", got)
	}
	if p, _ := iam.Principal(aws.ToString(out.Credentials.AccessKeyId)); p != aws.ToString(out.AssumedRoleUser.Arn) {
		t.Errorf("issued key belongs to %s", p)
	}
	denied := []struct {
		in   sts.AssumeRoleInput
		code string
	}{
		{sts.AssumeRoleInput{RoleArn: aws.String(role), RoleSessionName: aws.String("s-1")}, "AccessDenied"},
		{sts.AssumeRoleInput{RoleArn: aws.String(role), RoleSessionName: aws.String("s-1"), ExternalId: aws.String("other")}, "AccessDenied"},
		{sts.AssumeRoleInput{RoleArn: aws.String(role), RoleSessionName: aws.String("bad name"), ExternalId: aws.String("ext-42")}, "ValidationError"},
	}
	for _, d := range denied {
		if _, err := client.AssumeRole(ctx, &d.in); code(err) != d.code {
			t.Errorf("AssumeRole(%+v): %v, want %s", d.in, err, d.code)
		}
	}
	// A session may not assume its own role unless trusted, as in AWS.
	sess := credsOf(out)
	if _, err := stsClient(srv.URL, sess, nil).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(role),
		RoleSessionName: aws.String("again")}); code(err) != "AccessDenied" {
		t.Errorf("self-assume: %v, want AccessDenied", err)
	}
	if n := fake.Count("AssumeRole"); n != 5 {
		t.Errorf("recorded %d AssumeRole calls, want 5", n)
	}
}

func credsOf(out *sts.AssumeRoleOutput) aws.Credentials {
	return aws.Credentials{AccessKeyID: aws.ToString(out.Credentials.AccessKeyId),
		SecretAccessKey: aws.ToString(out.Credentials.SecretAccessKey), SessionToken: aws.ToString(out.Credentials.SessionToken)}
}

// TestSignatureVerification: the fakes check SigV4 against the issued
// secret, the session token and expiry, so "signed by" means signed by.
func TestSignatureVerification(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	iam := awsfake.NewIAM(func() time.Time { return now })
	alice := iam.AddUser(user)
	sess := iam.NewSession(role, "s", time.Hour)
	fake := awsfake.NewBedrock(iam, nil)
	srv := httptest.NewServer(fake)
	defer srv.Close()

	wrongSecret := alice
	wrongSecret.SecretAccessKey = "guess"
	wrongToken := sess
	wrongToken.SessionToken = "forged"
	tests := []struct {
		name  string
		creds aws.Credentials
		code  string
	}{
		{"user key", alice, ""},
		{"session key", sess, ""},
		{"wrong secret", wrongSecret, "InvalidSignatureException"},
		{"forged session token", wrongToken, "UnrecognizedClientException"},
		{"unknown key", aws.Credentials{AccessKeyID: "AKIANOBODY", SecretAccessKey: "x"}, "UnrecognizedClientException"},
	}
	for _, tt := range tests {
		if err := converse(srv.URL, tt.creds); code(err) != tt.code {
			t.Errorf("%s: %v, want %q", tt.name, err, tt.code)
		}
	}
	now = now.Add(2 * time.Hour)
	if err := converse(srv.URL, sess); code(err) != "ExpiredTokenException" {
		t.Errorf("expired session: %v, want ExpiredTokenException", err)
	}
	calls := fake.Calls()
	if len(calls) != 6 || calls[0].Principal != user || calls[1].Principal != "arn:aws:sts::222222222222:assumed-role/Target/s" {
		t.Errorf("recorded %+v", calls)
	}
}

// TestTamperedBody: a body changed after signing fails verification.
func TestTamperedBody(t *testing.T) {
	iam := awsfake.NewIAM(nil)
	alice := iam.AddUser(user)
	fake := awsfake.NewBedrock(iam, nil)
	tamper := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var buf bytes.Buffer
		_, _ = buf.ReadFrom(r.Body)
		b := bytes.Replace(buf.Bytes(), []byte(`"x"`), []byte(`"y"`), 1)
		r.Body = http.NoBody
		r2 := r.Clone(r.Context())
		r2.Body = io.NopCloser(bytes.NewReader(b))
		fake.ServeHTTP(w, r2)
	})
	srv := httptest.NewServer(tamper)
	defer srv.Close()
	if err := converse(srv.URL, alice); code(err) != "InvalidSignatureException" {
		t.Fatalf("tampered body: %v, want InvalidSignatureException", err)
	}
}

// TestInProcessClient: the in-process transport serves the same fake.
func TestInProcessClient(t *testing.T) {
	iam := awsfake.NewIAM(nil)
	alice := iam.AddUser(user)
	fake := awsfake.NewSTS(iam, nil)
	client := stsClient("https://sts.fake.test", alice, awsfake.InProcessClient(fake))
	out, err := client.GetCallerIdentity(context.Background(), &sts.GetCallerIdentityInput{})
	if err != nil || aws.ToString(out.Arn) != user {
		t.Fatalf("GetCallerIdentity = %v, %v", out, err)
	}
}
