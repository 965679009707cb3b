package awscall_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/aws/smithy-go"

	"github.com/tollgate-gw/tollgate/internal/awscall"
	"github.com/tollgate-gw/tollgate/internal/awsfake"
)

const (
	principal = "arn:aws:iam::111111111111:user/gateway"
	secretARN = "arn:aws:secretsmanager:us-east-1:111111111111:secret:tollgate/master-AbCdEf"
)

// isolate keeps the machine's AWS configuration out of a test.
func isolate(t *testing.T) {
	t.Helper()
	for _, k := range []string{"AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_SSM", "AWS_ENDPOINT_URL_SECRETS_MANAGER",
		"AWS_USE_FIPS_ENDPOINT", "AWS_USE_DUALSTACK_ENDPOINT", "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "AWS_PROFILE", "AWS_MAX_ATTEMPTS"} {
		t.Setenv(k, "") // restored after the test
		os.Unsetenv(k)  // the SDK tells an empty variable from a missing one
	}
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	t.Setenv("AWS_REGION", "us-east-1")
}

// world is a fake SSM and Secrets Manager that verify SigV4 against one
// IAM, reached through the SDK's own endpoint variables, and the ambient
// configuration config.LoadDefaultConfig reads from the environment.
type world struct {
	iam *awsfake.IAM
	ssm *awsfake.SSM
	sm  *awsfake.SecretsManager
	cfg aws.Config
}

func newWorld(t *testing.T) *world {
	t.Helper()
	isolate(t)
	w := &world{iam: awsfake.NewIAM(nil)}
	w.ssm = awsfake.NewSSM(w.iam, &awsfake.SSMOptions{Latency: -1})
	w.sm = awsfake.NewSecretsManager(w.iam, &awsfake.SecretsManagerOptions{Latency: -1})
	for name, h := range map[string]http.Handler{"SSM": w.ssm, "SECRETS_MANAGER": w.sm} {
		srv := httptest.NewServer(h)
		t.Cleanup(srv.Close)
		t.Setenv("AWS_ENDPOINT_URL_"+name, srv.URL)
	}
	c := w.iam.AddUser(principal)
	t.Setenv("AWS_ACCESS_KEY_ID", c.AccessKeyID)
	t.Setenv("AWS_SECRET_ACCESS_KEY", c.SecretAccessKey)
	var err error
	if w.cfg, err = config.LoadDefaultConfig(context.Background()); err != nil {
		t.Fatal(err)
	}
	return w
}

func (w *world) client(t *testing.T, svc awscall.Service) *awscall.Client {
	t.Helper()
	c, err := awscall.New(context.Background(), w.cfg, svc)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

type getParameterOut struct {
	Parameter struct {
		Name    string
		Value   string
		Version int64
	}
}

func TestCalls(t *testing.T) {
	w := newWorld(t)
	w.ssm.PutParameter("/tollgate/config.yaml", "SecureString", "model_list: []")
	w.sm.PutSecretString(secretARN, `{"master_key":"sk-1"}`)
	ssmc, smc := w.client(t, awscall.SSM), w.client(t, awscall.SecretsManager)
	ctx := context.Background()

	var p getParameterOut
	if err := ssmc.Call(ctx, "GetParameter", map[string]any{"Name": "/tollgate/config.yaml", "WithDecryption": true}, &p); err != nil {
		t.Fatal(err)
	}
	if p.Parameter.Value != "model_list: []" || p.Parameter.Version != 1 {
		t.Errorf("GetParameter = %+v", p)
	}
	calls := w.ssm.Calls()
	if len(calls) != 1 || calls[0].Principal != principal || calls[0].Region != "us-east-1" || !calls[0].WithDecryption {
		t.Errorf("the fake saw %+v, want one signed call by %s in us-east-1 with decryption", calls, principal)
	}

	var s struct{ SecretString, VersionId string }
	if err := smc.Call(ctx, "GetSecretValue", map[string]string{"SecretId": secretARN}, &s); err != nil {
		t.Fatal(err)
	}
	if s.SecretString != `{"master_key":"sk-1"}` || s.VersionId == "" {
		t.Errorf("GetSecretValue = %+v", s)
	}
}

// TestBinarySecret: SecretBinary travels base64-encoded, as []byte decodes.
func TestBinarySecret(t *testing.T) {
	w := newWorld(t)
	w.sm.PutSecretBinary(secretARN, []byte{0, 1, 0xfe})
	var s struct{ SecretBinary []byte }
	if err := w.client(t, awscall.SecretsManager).Call(context.Background(), "GetSecretValue", map[string]string{"SecretId": secretARN}, &s); err != nil {
		t.Fatal(err)
	}
	if string(s.SecretBinary) != "\x00\x01\xfe" {
		t.Errorf("SecretBinary = %q", s.SecretBinary)
	}
}

func TestErrors(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	tests := []struct {
		name     string
		call     func() error
		code     string
		status   int
		calls    func() int
		wantSeen int
	}{
		{
			name: "missing parameter",
			call: func() error {
				return w.client(t, awscall.SSM).Call(ctx, "GetParameter", map[string]any{"Name": "/missing"}, &getParameterOut{})
			},
			code: "ParameterNotFound", status: 400, calls: func() int { return w.ssm.Count("GetParameter") }, wantSeen: 1,
		},
		{
			name: "missing secret",
			call: func() error {
				return w.client(t, awscall.SecretsManager).Call(ctx, "GetSecretValue", map[string]string{"SecretId": "nope"}, &struct{}{})
			},
			code: "ResourceNotFoundException", status: 400, calls: func() int { return w.sm.Count("GetSecretValue", "") }, wantSeen: 1,
		},
		{
			name: "unknown access key",
			call: func() error {
				cfg := w.cfg.Copy()
				cfg.Credentials = credentials.NewStaticCredentialsProvider("AKIAUNKNOWN000000000", "secret", "")
				c, err := awscall.New(ctx, cfg, awscall.SSM)
				if err != nil {
					t.Fatal(err)
				}
				return c.Call(ctx, "GetParameter", map[string]any{"Name": "/x"}, nil)
			},
			code: "UnrecognizedClientException", status: 403, calls: func() int { return 0 }, wantSeen: 0,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := tt.calls()
			err := tt.call()
			var ae smithy.APIError
			var e *awscall.Error
			if !errors.As(err, &ae) || ae.ErrorCode() != tt.code || !errors.As(err, &e) || e.StatusCode != tt.status {
				t.Fatalf("err = %v, want %s with status %d", err, tt.code, tt.status)
			}
			if ae.ErrorFault() != smithy.FaultClient {
				t.Errorf("fault %v, want the client's", ae.ErrorFault())
			}
			if !strings.HasPrefix(err.Error(), "operation error ") || !strings.Contains(err.Error(), tt.code) {
				t.Errorf("message %q does not name the operation and the code", err)
			}
			if n := tt.calls() - before; n != tt.wantSeen {
				t.Errorf("%d calls reached the service, want %d (a client error is not retried)", n, tt.wantSeen)
			}
		})
	}
}

// TestRetries: a 5xx answer is retried by the SDK's retryer, as the SDK's
// clients retry it; AWS_MAX_ATTEMPTS=1 turns that off.
func TestRetries(t *testing.T) {
	for _, tt := range []struct {
		maxAttempts string
		wantErr     bool
		wantCalls   int
	}{
		{maxAttempts: "", wantCalls: 2},
		{maxAttempts: "1", wantErr: true, wantCalls: 1},
	} {
		t.Run("AWS_MAX_ATTEMPTS="+tt.maxAttempts, func(t *testing.T) {
			w := newWorld(t)
			if tt.maxAttempts != "" {
				t.Setenv("AWS_MAX_ATTEMPTS", tt.maxAttempts)
				var err error
				if w.cfg, err = config.LoadDefaultConfig(context.Background()); err != nil {
					t.Fatal(err)
				}
			}
			w.sm.PutSecretString(secretARN, "v")
			w.sm.FailNext(secretARN, nil)
			c := w.client(t, awscall.SecretsManager)
			err := c.Call(context.Background(), "GetSecretValue", map[string]string{"SecretId": secretARN}, &struct{}{})
			if (err != nil) != tt.wantErr || w.sm.Count("GetSecretValue", "") != tt.wantCalls {
				t.Fatalf("err %v after %d calls, want error %v after %d", err, w.sm.Count("GetSecretValue", ""), tt.wantErr, tt.wantCalls)
			}
			var ae smithy.APIError
			if err != nil && (!errors.As(err, &ae) || ae.ErrorCode() != "InternalServiceError" || ae.ErrorFault() != smithy.FaultServer) {
				t.Errorf("err = %v, want InternalServiceError, the server's fault", err)
			}
		})
	}
}

// TestCancel: a caller that gives up gets its context's error.
func TestCancel(t *testing.T) {
	w := newWorld(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := w.client(t, awscall.SSM).Call(ctx, "GetParameter", map[string]any{"Name": "/x"}, nil)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
}

// TestPublicEndpoints: without a configured endpoint, the client calls the
// host the SDK's own endpoint rules give for the region and flags.
func TestPublicEndpoints(t *testing.T) {
	ctx := context.Background()
	regions := []string{"us-east-1", "eu-west-3", "ap-southeast-5", "cn-north-1", "us-gov-west-1", "ca-west-1"}
	for _, region := range regions {
		for _, fips := range []bool{false, true} {
			for _, dual := range []bool{false, true} {
				for _, svc := range []awscall.Service{awscall.SSM, awscall.SecretsManager} {
					c, err := awscall.New(ctx, ambient(t, region, fips, dual), svc)
					if err != nil {
						t.Fatalf("%s %s fips=%v dual=%v: %v", svc.Name, region, fips, dual, err)
					}
					want := sdkEndpoint(t, svc, region, fips, dual)
					if c.Endpoint() != want {
						t.Errorf("%s %s fips=%v dual=%v: endpoint %s, the SDK's rules give %s", svc.Name, region, fips, dual, c.Endpoint(), want)
					}
				}
			}
		}
	}
}

// ambient is the configuration config.LoadDefaultConfig reads from an
// environment that names only region and the endpoint flags.
func ambient(t *testing.T, region string, fips, dual bool) aws.Config {
	t.Helper()
	isolate(t)
	t.Setenv("AWS_REGION", region)
	t.Setenv("AWS_USE_FIPS_ENDPOINT", boolString(fips))
	t.Setenv("AWS_USE_DUALSTACK_ENDPOINT", boolString(dual))
	cfg, err := config.LoadDefaultConfig(context.Background(), config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider("AKID", "SECRET", "")))
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// sdkEndpoint asks the SDK's endpoint rules for the service's endpoint.
func sdkEndpoint(t *testing.T, svc awscall.Service, region string, fips, dual bool) string {
	t.Helper()
	ctx := context.Background()
	var uri string
	switch svc.SDKID {
	case "SSM":
		e, err := ssm.NewDefaultEndpointResolverV2().ResolveEndpoint(ctx, ssm.EndpointParameters{Region: aws.String(region), UseFIPS: aws.Bool(fips), UseDualStack: aws.Bool(dual)})
		if err != nil {
			t.Fatal(err)
		}
		uri = e.URI.String()
	case "Secrets Manager":
		e, err := secretsmanager.NewDefaultEndpointResolverV2().ResolveEndpoint(ctx, secretsmanager.EndpointParameters{Region: aws.String(region), UseFIPS: aws.Bool(fips), UseDualStack: aws.Bool(dual)})
		if err != nil {
			t.Fatal(err)
		}
		uri = e.URI.String()
	}
	return uri
}

func boolString(b bool) string {
	if b {
		return "true"
	}
	return "false"
}

// TestConfiguredEndpoints: the SDK's precedence between the service's own
// variable, the global one and the ignore switch.
func TestConfiguredEndpoints(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name string
		env  map[string]string
		want string
	}{
		{name: "own variable", env: map[string]string{"AWS_ENDPOINT_URL_SECRETS_MANAGER": "http://127.0.0.1:1/"}, want: "http://127.0.0.1:1"},
		{name: "global variable", env: map[string]string{"AWS_ENDPOINT_URL": "http://127.0.0.1:2"}, want: "http://127.0.0.1:2"},
		{name: "own wins", env: map[string]string{"AWS_ENDPOINT_URL": "http://127.0.0.1:2", "AWS_ENDPOINT_URL_SECRETS_MANAGER": "http://127.0.0.1:1"}, want: "http://127.0.0.1:1"},
		{name: "ignored", env: map[string]string{"AWS_ENDPOINT_URL_SECRETS_MANAGER": "http://127.0.0.1:1", "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS": "true"},
			want: "https://secretsmanager.us-east-1.amazonaws.com"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			isolate(t)
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			cfg, err := config.LoadDefaultConfig(ctx, config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider("AKID", "SECRET", "")))
			if err != nil {
				t.Fatal(err)
			}
			c, err := awscall.New(ctx, cfg, awscall.SecretsManager)
			if err != nil {
				t.Fatal(err)
			}
			if c.Endpoint() != tt.want {
				t.Errorf("endpoint %s, want %s", c.Endpoint(), tt.want)
			}
		})
	}
}

// TestRefused: what the client cannot honour is refused when it is made,
// naming what to set.
func TestRefused(t *testing.T) {
	ctx := context.Background()
	creds := credentials.NewStaticCredentialsProvider("AKID", "SECRET", "")
	tests := []struct {
		name string
		cfg  aws.Config
		want string
	}{
		{name: "no region", cfg: aws.Config{Credentials: creds}, want: "AWS_REGION"},
		{name: "no credentials", cfg: aws.Config{Region: "us-east-1"}, want: "no AWS credentials"},
		{name: "isolated partition", cfg: aws.Config{Region: "us-iso-east-1", Credentials: creds}, want: "AWS_ENDPOINT_URL_SSM"},
		{name: "bad region", cfg: aws.Config{Region: "us-east-1/x", Credentials: creds}, want: "not a valid region"},
		{name: "bad endpoint", cfg: aws.Config{Region: "us-east-1", Credentials: creds, BaseEndpoint: aws.String("localhost:4566")}, want: "http(s)://"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			isolate(t)
			if _, err := awscall.New(ctx, tt.cfg, awscall.SSM); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want one naming %q", err, tt.want)
			}
		})
	}
}
