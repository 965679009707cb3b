package bedrock_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http/httptest"
	"reflect"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/tollgate-gw/tollgate/internal/awscred"
	"github.com/tollgate-gw/tollgate/internal/awsfake"
	"github.com/tollgate-gw/tollgate/internal/provider/bedrock"
)

const (
	lambdaRole = "arn:aws:iam::111111111111:role/tollgate-lambda"
	deptRole   = "arn:aws:iam::222222222222:role/BedrockAccess"
	claude     = "us.anthropic.claude-sonnet-4-20250514-v1:0"
)

// harness is a fake AWS (IAM, STS, Bedrock on loopback) and a resolver over
// ambient credentials of the Lambda role, which department roles trust.
type harness struct {
	iam      *awsfake.IAM
	sts      *awsfake.STS
	bedrock  *awsfake.Bedrock
	stsURL   string
	brURL    string
	resolver *awscred.Resolver
}

func newHarness(t testing.TB) *harness {
	t.Helper()
	h := &harness{iam: awsfake.NewIAM(nil)}
	h.iam.AddRole(awsfake.Role{ARN: lambdaRole})
	h.iam.AddRole(awsfake.Role{ARN: deptRole, Trust: []awsfake.Trust{{Principal: lambdaRole, ExternalID: "ext-1"}}})
	ambient := h.iam.NewSession(lambdaRole, "tollgate-lambda", 12*time.Hour)
	h.sts = awsfake.NewSTS(h.iam, nil)
	h.bedrock = awsfake.NewBedrock(h.iam, nil)
	stsSrv, brSrv := httptest.NewServer(h.sts), httptest.NewServer(h.bedrock)
	t.Cleanup(stsSrv.Close)
	t.Cleanup(brSrv.Close)
	h.stsURL, h.brURL = stsSrv.URL, brSrv.URL
	h.resolver = awscred.NewResolver(aws.Config{
		Region:      "us-east-1",
		Credentials: credentials.StaticCredentialsProvider{Value: ambient},
	}, nil)
	t.Cleanup(func() { _ = h.resolver.Close() })
	return h
}

// adapter builds an adapter the way the gateway does: resolve the Spec,
// build the client, build the adapter.
func (h *harness) adapter(t testing.TB, spec awscred.Spec, opts bedrock.Options) *bedrock.Adapter {
	t.Helper()
	spec.BedrockRuntimeEndpoint = h.brURL
	return h.build(t, spec, opts)
}

// adapterAt builds an adapter whose runtime endpoint is elsewhere.
func (h *harness) adapterAt(t testing.TB, endpoint string) *bedrock.Adapter {
	t.Helper()
	return h.build(t, awscred.Spec{BedrockRuntimeEndpoint: endpoint}, bedrock.Options{ModelID: claude})
}

func (h *harness) build(t testing.TB, spec awscred.Spec, opts bedrock.Options) *bedrock.Adapter {
	t.Helper()
	spec.STSEndpoint = h.stsURL
	cfg, err := h.resolver.Config(context.Background(), spec)
	if err != nil {
		t.Fatal(err)
	}
	client := bedrock.NewClient(cfg, &bedrock.ClientOptions{Endpoint: spec.BedrockRuntimeEndpoint})
	if opts.Now == nil {
		opts.Now = func() time.Time { return time.Unix(1700000000, 0) }
	}
	a, err := bedrock.New(client, &opts)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// lastBody returns the JSON body of the last Bedrock call.
func (h *harness) lastBody(t testing.TB) []byte {
	t.Helper()
	calls := h.bedrock.Calls()
	if len(calls) == 0 {
		t.Fatal("no Bedrock call")
	}
	return calls[len(calls)-1].Body
}

// jsonEqual compares JSON documents semantically.
func jsonEqual(t testing.TB, got, want []byte) {
	t.Helper()
	// Numbers compare as written, so a large integer rounded through
	// float64 on the way is caught.
	decode := func(b []byte) (any, error) {
		d := json.NewDecoder(bytes.NewReader(b))
		d.UseNumber()
		var v any
		err := d.Decode(&v)
		return v, err
	}
	g, err := decode(got)
	if err != nil {
		t.Fatalf("got invalid JSON %s: %v", got, err)
	}
	w, err := decode(want)
	if err != nil {
		t.Fatalf("want invalid JSON %s: %v", want, err)
	}
	if !reflect.DeepEqual(g, w) {
		var gb, wb bytes.Buffer
		_ = json.Indent(&gb, got, "", "  ")
		_ = json.Indent(&wb, want, "", "  ")
		t.Errorf("JSON mismatch\n got: %s\nwant: %s", gb.String(), wb.String())
	}
}

func ptr[T any](v T) *T { return &v }
