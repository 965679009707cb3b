package awscred_test

import (
	"context"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/types"

	"github.com/tollgate-gw/tollgate/internal/awscred"
	"github.com/tollgate-gw/tollgate/internal/awsfake"
)

// The accounts of the tests: the gateway runs in 111111111111 as the Lambda
// role below; departments A and B own Bedrock access in their own accounts.
const (
	lambdaRole = "arn:aws:iam::111111111111:role/service-role/tollgate-lambda"
	deptARole  = "arn:aws:iam::222222222222:role/BedrockAccess"
	deptBRole  = "arn:aws:iam::333333333333:role/BedrockAccess"
	irsaRole   = "arn:aws:iam::111111111111:role/eks/tollgate-irsa"
	userARN    = "arn:aws:iam::111111111111:user/ci-deployer"
	model      = "us.anthropic.claude-sonnet-4-20250514-v1:0"
	extA       = "dept-a-external-id"
	irsaToken  = "eyJhbGciOiJSUzI1NiJ9.irsa-token"
)

// env is one set of fakes: an IAM with the roles above, STS and Bedrock on
// loopback, and ambient credentials standing for the Lambda execution role.
type env struct {
	iam     *awsfake.IAM
	sts     *awsfake.STS
	stsURL  string
	bedrock *awsfake.Bedrock
	brURL   string
	ambient aws.Credentials
	user    aws.Credentials
}

func newEnv(t testing.TB) *env {
	t.Helper()
	e := &env{iam: awsfake.NewIAM(nil)}
	e.user = e.iam.AddUser(userARN)
	e.iam.AddRole(awsfake.Role{ARN: lambdaRole})
	e.iam.AddRole(awsfake.Role{ARN: deptARole, Trust: []awsfake.Trust{
		{Principal: lambdaRole, ExternalID: extA},
		{Principal: userARN, ExternalID: extA},
		{Principal: irsaRole, ExternalID: extA},
	}})
	e.iam.AddRole(awsfake.Role{ARN: deptBRole, Trust: []awsfake.Trust{{Principal: lambdaRole}}})
	e.iam.AddRole(awsfake.Role{ARN: irsaRole, WebIdentityTokens: []string{irsaToken}})
	e.ambient = e.iam.NewSession(lambdaRole, "tollgate-lambda", 12*time.Hour)
	e.sts = awsfake.NewSTS(e.iam, nil)
	e.bedrock = awsfake.NewBedrock(e.iam, nil)
	stsSrv := httptest.NewServer(e.sts)
	brSrv := httptest.NewServer(e.bedrock)
	t.Cleanup(stsSrv.Close)
	t.Cleanup(brSrv.Close)
	e.stsURL, e.brURL = stsSrv.URL, brSrv.URL
	return e
}

// base is the ambient configuration a Lambda function would load.
func (e *env) base() aws.Config {
	return aws.Config{
		Region:      "us-east-1",
		Credentials: credentials.StaticCredentialsProvider{Value: e.ambient},
	}
}

func (e *env) resolver(t testing.TB, opts *awscred.Options) *awscred.Resolver {
	t.Helper()
	r := awscred.NewResolver(e.base(), opts)
	t.Cleanup(func() { _ = r.Close() })
	return r
}

// spec returns a Spec pointing at the fakes.
func (e *env) spec(s awscred.Spec) awscred.Spec {
	s.STSEndpoint = e.stsURL
	s.BedrockRuntimeEndpoint = e.brURL
	return s
}

// converse makes one real Converse call with a client built from cfg.
func (e *env) converse(ctx context.Context, cfg aws.Config) error {
	client := bedrockruntime.NewFromConfig(cfg, func(o *bedrockruntime.Options) {
		o.BaseEndpoint = aws.String(e.brURL)
		o.RetryMaxAttempts = 1
	})
	_, err := client.Converse(ctx, &bedrockruntime.ConverseInput{
		ModelId: aws.String(model),
		Messages: []types.Message{{
			Role:    types.ConversationRoleUser,
			Content: []types.ContentBlock{&types.ContentBlockMemberText{Value: "hi"}},
		}},
	})
	return err
}
