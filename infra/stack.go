package main

import (
	"fmt"
	"strconv"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudfront"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudfrontorigins"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/aws-cdk-go/awscdk/v2/awswafv2"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// TollgateStack is the gateway deployment: functions, tables, secrets,
// config, the REST API, WAF, optional CloudFront, logs, alarms and dashboard.
type TollgateStack struct {
	awscdk.Stack
	Options        Options
	Tables         Tables
	Secrets        secrets
	Config         configSource
	Gateway, Admin function
	FakeLLM        *function
	API            restAPI
	GatewayURL     awslambda.FunctionUrl // nil when functionUrl=false
	RegionalACL    awswafv2.CfnWebACL    // nil when waf=false
	Distribution   awscloudfront.Distribution
}

// NewTollgateStack builds the main stack. It fails (rather than synthesizing
// something half-working) when a build artifact or the config file is
// missing.
func NewTollgateStack(scope constructs.Construct, o Options, props *awscdk.StackProps) (*TollgateStack, error) {
	stack := awscdk.NewStack(scope, jsii.String(o.StackName), props)
	s := &TollgateStack{Stack: stack, Options: o}

	s.Tables = newTables(stack, o)
	s.Secrets = newSecrets(stack, o)
	logs := newLogsBucket(stack)
	var err error
	if s.Config, err = newConfigSource(stack, o, logs); err != nil {
		return nil, err
	}

	// The runtime contract: what functions/gateway and functions/admin read.
	common := map[string]string{
		"TOLLGATE_STORE":                    "dynamodb",
		"TOLLGATE_CONFIG":                   s.Config.URI,
		"TOLLGATE_MASTER_KEY_SECRET_ARN":    *s.Secrets.MasterKey.SecretArn(),
		"TOLLGATE_PROVIDER_KEYS_SECRET_ARN": *s.Secrets.ProviderKeys.SecretArn(),
	}
	for _, t := range s.Tables.All() {
		common[t.Env] = *t.Table.TableName()
	}
	if o.OktaIssuer != "" {
		// The names the gateway reads (oidc.ConfigFromEnv).
		common["OKTA_ISSUER"] = o.OktaIssuer
		common["OKTA_AUDIENCE"] = o.OktaAudience
	}
	gatewayEnv := clone(common)
	gatewayEnv["TOLLGATE_LOGS_BUCKET"] = *logs.BucketName()
	if o.CloudFront {
		gatewayEnv["TOLLGATE_ORIGIN_SECRET_ARN"] = *s.Secrets.Origin.SecretArn()
		gatewayEnv["TOLLGATE_ORIGIN_HEADER"] = OriginHeader
	}
	adminEnv := clone(common)
	adminEnv["TOLLGATE_DISABLE_ADMIN_UI"] = strconv.FormatBool(o.DisableAdminUI)
	adminEnv["TOLLGATE_DISABLE_SWAGGER_PAGE"] = strconv.FormatBool(o.DisableSwaggerPage)

	if s.Gateway, err = newFunction(stack, o, functionSpec{
		id: "Gateway", name: "gateway", description: "Tollgate data plane: OpenAI and Bedrock routes, history, health",
		memoryMB: o.GatewayMemoryMB, timeout: o.GatewayTimeoutSeconds,
		reserved: o.GatewayReservedConcurrency, provisioned: o.GatewayProvisionedConcurrency, env: gatewayEnv,
	}); err != nil {
		return nil, err
	}
	if s.Admin, err = newFunction(stack, o, functionSpec{
		id: "Admin", name: "admin", description: "Tollgate management API, admin UI and OpenAPI page",
		memoryMB: o.AdminMemoryMB, timeout: 29, env: adminEnv,
	}); err != nil {
		return nil, err
	}
	s.grantGateway(logs)
	s.grantAdmin()

	if o.FakeLLM {
		f, err := newFunction(stack, o, functionSpec{
			id: "FakeLLM", name: "fakellm", description: "Tollgate fake LLM for load tests (no AWS access)",
			memoryMB: o.FakeLLMMemoryMB, timeout: 60, env: map[string]string{},
		})
		if err != nil {
			return nil, err
		}
		s.FakeLLM = &f
		// A load-testing target with canned answers: it holds no data and
		// calls nothing, so it is public (suppressed in nag.go).
		u := f.Fn.AddFunctionUrl(&awslambda.FunctionUrlOptions{
			AuthType: awslambda.FunctionUrlAuthType_NONE, InvokeMode: awslambda.InvokeMode_RESPONSE_STREAM,
		})
		output(stack, "FakeLLMUrl", *u.Url(), "fake LLM base URL (load testing)")
	}

	s.API = newRestAPI(stack, o, s.Gateway.Target, s.Admin.Target)
	if o.WAF {
		s.RegionalACL = newWebACL(stack, "RegionalWebAcl", wafRegional, o)
		logWebACL(stack, "RegionalWebAcl", s.RegionalACL, o)
		awswafv2.NewCfnWebACLAssociation(stack, jsii.String("RegionalWebAclAssociation"), &awswafv2.CfnWebACLAssociationProps{
			ResourceArn: s.API.API.DeploymentStage().StageArn(),
			WebAclArn:   s.RegionalACL.AttrArn(),
		})
	}

	if o.FunctionURL {
		// AuthType NONE: the gateway authenticates every request itself
		// (virtual keys, the master key or an Okta JWT, as LiteLLM clients
		// expect in the Authorization header). AWS_IAM would force SigV4 on
		// every OpenAI-compatible client. With cloudFront=true the gateway
		// also rejects requests without the origin secret header.
		s.GatewayURL = s.Gateway.Target.AddFunctionUrl(&awslambda.FunctionUrlOptions{
			AuthType:   awslambda.FunctionUrlAuthType_NONE,
			InvokeMode: awslambda.InvokeMode_RESPONSE_STREAM,
		})
		output(stack, "GatewayFunctionUrl", *s.GatewayURL.Url(), "gateway function URL (direct, streaming)")
	}
	if o.CloudFront {
		s.Distribution = s.newEdge(logs)
	}

	newMonitoring(stack, s)
	s.outputs(logs.BucketName())
	suppressMainStack(s)
	return s, nil
}

// grantGateway gives the gateway exactly what it uses.
func (s *TollgateStack) grantGateway(logs awss3.Bucket) {
	role := s.Gateway.Role
	for _, t := range s.Tables.All() {
		t.Table.GrantReadWriteData(role)
	}
	s.Secrets.MasterKey.GrantRead(role, nil)
	s.Secrets.ProviderKeys.GrantRead(role, nil)
	if s.Secrets.Origin != nil {
		s.Secrets.Origin.GrantRead(role, nil)
	}
	s.Config.grantRead(role)
	// Request logs (the seeds' S3 success/failure callbacks), write-only.
	role.AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:       jsii.String("WriteRequestLogs"),
		Actions:   jsii.Strings("s3:PutObject"),
		Resources: jsii.Strings(*logs.ArnForObjects(jsii.String("requests/*"))),
	}))
	addBedrockInvoke(role, s.Options.BedrockRegions)
	if len(s.Options.DepartmentRoleARNs) > 0 {
		role.AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid:       jsii.String("AssumeDepartmentBedrockRoles"),
			Actions:   jsii.Strings("sts:AssumeRole"),
			Resources: jsii.Strings(s.Options.DepartmentRoleARNs...),
		}))
	}
}

// grantAdmin: tables, secrets and the config; no Bedrock, no STS.
func (s *TollgateStack) grantAdmin() {
	role := s.Admin.Role
	for _, t := range s.Tables.All() {
		t.Table.GrantReadWriteData(role)
	}
	s.Secrets.MasterKey.GrantRead(role, nil)
	s.Secrets.ProviderKeys.GrantRead(role, nil)
	s.Config.grantRead(role)
}

// addBedrockInvoke allows model invocation in this account. Converse and
// ConverseStream have no IAM actions of their own: they are authorized as
// bedrock:InvokeModel and bedrock:InvokeModelWithResponseStream. Foundation
// models are AWS-owned (no account in the ARN); cross-region inference
// profiles route to foundation models in other regions, hence the region
// list (default "*"). Managed prompts and guardrails are this account's own.
func addBedrockInvoke(role awsiam.IRole, regions []string) {
	var models []string
	for _, r := range regions {
		models = append(models,
			fmt.Sprintf("arn:%s:bedrock:%s::foundation-model/*", *awscdk.Aws_PARTITION(), r),
			fmt.Sprintf("arn:%s:bedrock:%s:%s:inference-profile/*", *awscdk.Aws_PARTITION(), r, *awscdk.Aws_ACCOUNT_ID()),
			fmt.Sprintf("arn:%s:bedrock:%s:%s:application-inference-profile/*", *awscdk.Aws_PARTITION(), r, *awscdk.Aws_ACCOUNT_ID()),
		)
	}
	models = append(models, fmt.Sprintf("arn:%s:bedrock:%s:%s:prompt/*", *awscdk.Aws_PARTITION(), *awscdk.Aws_REGION(), *awscdk.Aws_ACCOUNT_ID()))
	role.AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:       jsii.String("BedrockInvoke"),
		Actions:   jsii.Strings("bedrock:InvokeModel", "bedrock:InvokeModelWithResponseStream"),
		Resources: jsii.Strings(models...),
	}))
	role.AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:       jsii.String("BedrockGuardrails"),
		Actions:   jsii.Strings("bedrock:ApplyGuardrail"),
		Resources: jsii.Strings(fmt.Sprintf("arn:%s:bedrock:%s:%s:guardrail/*", *awscdk.Aws_PARTITION(), *awscdk.Aws_REGION(), *awscdk.Aws_ACCOUNT_ID())),
	}))
}

// newEdge puts CloudFront with a global web ACL in front of the function
// URL. CloudFront adds the origin secret header (replacing any a viewer
// sends), and the gateway rejects requests without it, so the URL cannot be
// used around the WAF. Origin access control is not used: it needs viewers to
// sign POST bodies (x-amz-content-sha256), which OpenAI clients do not do.
func (s *TollgateStack) newEdge(logs awss3.Bucket) awscloudfront.Distribution {
	o := s.Options
	aclArn := o.CloudFrontWebACLArn
	if aclArn == "" { // only reached in us-east-1 (see main.go)
		acl := newWebACL(s.Stack, "EdgeWebAcl", wafCloudFront, o)
		logWebACL(s.Stack, "EdgeWebAcl", acl, o)
		aclArn = *acl.AttrArn()
	}
	origin := awscloudfrontorigins.NewFunctionUrlOrigin(s.GatewayURL, &awscloudfrontorigins.FunctionUrlOriginProps{
		CustomHeaders: &map[string]*string{
			// A dynamic reference: CloudFormation resolves it at deploy time.
			OriginHeader: s.Secrets.Origin.SecretValue().UnsafeUnwrap(),
		},
		ReadTimeout:      awscdk.Duration_Seconds(jsii.Number(60)),
		KeepaliveTimeout: awscdk.Duration_Seconds(jsii.Number(60)),
	})
	d := awscloudfront.NewDistribution(s.Stack, jsii.String("Edge"), &awscloudfront.DistributionProps{
		Comment: jsii.String("Tollgate gateway (function URL) behind WAF"),
		DefaultBehavior: &awscloudfront.BehaviorOptions{
			Origin:               origin,
			AllowedMethods:       awscloudfront.AllowedMethods_ALLOW_ALL(),
			CachePolicy:          awscloudfront.CachePolicy_CACHING_DISABLED(),
			OriginRequestPolicy:  awscloudfront.OriginRequestPolicy_ALL_VIEWER_EXCEPT_HOST_HEADER(),
			ViewerProtocolPolicy: awscloudfront.ViewerProtocolPolicy_HTTPS_ONLY,
			Compress:             jsii.Bool(false), // never hold back stream chunks
		},
		WebAclId:      jsii.String(aclArn),
		HttpVersion:   awscloudfront.HttpVersion_HTTP2_AND_3,
		PriceClass:    awscloudfront.PriceClass_PRICE_CLASS_100,
		EnableLogging: jsii.Bool(true),
		LogBucket:     logs,
		LogFilePrefix: jsii.String("cloudfront/"),
	})
	output(s.Stack, "GatewayCloudFrontUrl", "https://"+*d.DistributionDomainName()+"/", "gateway base URL through CloudFront + WAF")
	return d
}

func (s *TollgateStack) outputs(logsBucket *string) {
	output(s.Stack, "GatewayApiUrl", s.API.URL, "gateway base URL (REST API, streaming; OpenAI base_url, Bedrock endpoint_url + /bedrock)")
	output(s.Stack, "ManagementApiUrl", s.API.URL, "management API base URL (/key, /user, /team, /model, /spend, /ui)")
	output(s.Stack, "MasterKeySecretName", *s.Secrets.MasterKey.SecretName(), "Secrets Manager secret holding the master key")
	output(s.Stack, "ProviderKeysSecretName", *s.Secrets.ProviderKeys.SecretName(), "Secrets Manager secret holding provider API keys (JSON)")
	output(s.Stack, "StateTableName", *s.Tables.State.TableName(), "DynamoDB state table")
	output(s.Stack, "SpendTableName", *s.Tables.Spend.TableName(), "DynamoDB spend table")
	output(s.Stack, "CacheTableName", *s.Tables.Cache.TableName(), "DynamoDB cache table")
	output(s.Stack, "ConfigLocation", s.Config.URI, "where the functions read config.yaml (make update-config writes here)")
	output(s.Stack, "GatewayRoleArn", *s.Gateway.Role.RoleArn(), "gateway execution role: the principal department stacks trust")
	output(s.Stack, "LogsBucketName", *logsBucket, "logs bucket")
}

func output(stack awscdk.Stack, id, value, description string) {
	awscdk.NewCfnOutput(stack, jsii.String(id), &awscdk.CfnOutputProps{
		Value: jsii.String(value), Description: jsii.String(description),
	})
}

func clone(m map[string]string) map[string]string {
	c := make(map[string]string, len(m))
	for k, v := range m {
		c[k] = v
	}
	return c
}
