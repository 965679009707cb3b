package main

import (
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudfront"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudfrontorigins"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsdynamodb"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
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
	GatewayURL     awslambda.FunctionUrl // nil unless functionUrl or cloudFront
	AlarmTopic     awssns.Topic
	RegionalACL    awswafv2.CfnWebACL // nil when waf=false
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
	regions, err := s.bedrockRegions()
	if err != nil {
		return nil, err
	}
	net := newFunctionNetwork(stack, o)

	if s.Gateway, err = newFunction(stack, o, functionSpec{
		id: "Gateway", name: "gateway", description: "Tollgate data plane: OpenAI and Bedrock routes, history, health",
		memoryMB: o.GatewayMemoryMB, timeout: o.GatewayTimeoutSeconds,
		reserved: o.GatewayReservedConcurrency, provisioned: o.GatewayProvisionedConcurrency,
		env: s.functionEnv("gateway"), network: net,
	}); err != nil {
		return nil, err
	}
	if s.Admin, err = newFunction(stack, o, functionSpec{
		id: "Admin", name: "admin", description: "Tollgate management API",
		memoryMB: o.AdminMemoryMB, timeout: 29, reserved: o.AdminReservedConcurrency,
		env: s.functionEnv("admin"), network: net,
	}); err != nil {
		return nil, err
	}
	s.grantGateway(regions)
	s.grantAdmin()

	if o.FakeLLM {
		f, err := newFunction(stack, o, functionSpec{
			id: "FakeLLM", name: "fakellm", description: "Tollgate fake LLM for load tests (no AWS access)",
			memoryMB: o.FakeLLMMemoryMB, timeout: 60, reserved: o.FakeLLMReservedConcurrency, env: s.functionEnv("fakellm"),
		})
		if err != nil {
			return nil, err
		}
		s.FakeLLM = &f
		// A load-testing target with canned answers: it holds no data and
		// calls nothing, so it is public (suppressed in nag.go); its
		// reserved concurrency bounds what it can cost.
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

	if o.FunctionURL || o.CloudFront {
		// AuthType NONE: the gateway authenticates every request itself
		// (virtual keys, the master key or an Okta JWT, as LiteLLM clients
		// expect in the Authorization header). AWS_IAM would force SigV4 on
		// every OpenAI-compatible client. Behind CloudFront the gateway
		// rejects requests without the origin secret header, so the URL is
		// CloudFront's alone.
		s.GatewayURL = s.Gateway.Target.AddFunctionUrl(&awslambda.FunctionUrlOptions{
			AuthType:   awslambda.FunctionUrlAuthType_NONE,
			InvokeMode: awslambda.InvokeMode_RESPONSE_STREAM,
		})
	}
	if o.FunctionURL {
		awscdk.Annotations_Of(s.GatewayURL).AddWarningV2(jsii.String("tollgate:bare-function-url"), jsii.String(BareFunctionURLWarning))
		fmt.Fprintln(os.Stderr, "tollgate infra: warning: "+BareFunctionURLWarning)
		output(stack, "GatewayFunctionUrl", *s.GatewayURL.Url(), "gateway function URL (direct, streaming; bypasses the WAF)")
	}
	if o.CloudFront {
		s.Distribution = s.newEdge()
	}

	s.AlarmTopic = newMonitoring(stack, s)
	s.outputs(logs.BucketName())
	suppressMainStack(s)
	return s, nil
}

// BareFunctionURLWarning is printed when functionUrl=true.
const BareFunctionURLWarning = "functionUrl=true: the gateway's function URL is public and bypasses the WAF, the stage " +
	"throttling and the API access logs; only the function's reserved concurrency bounds it. Prefer the REST API, " +
	"or cloudFront=true, which puts the URL behind CloudFront and its web ACL."

// functionEnv is the environment of one function: the variables its code
// reads (internal/env; the contract test checks every one against
// `<function> -env`), nothing else.
func (s *TollgateStack) functionEnv(fn string) map[string]string {
	if fn == "fakellm" {
		return map[string]string{}
	}
	env := map[string]string{
		"TOLLGATE_STORE":                    "dynamodb",
		"TOLLGATE_CONFIG":                   s.Config.URI,
		"TOLLGATE_MASTER_KEY_SECRET_ARN":    *s.Secrets.MasterKey.SecretArn(),
		"TOLLGATE_PROVIDER_KEYS_SECRET_ARN": *s.Secrets.ProviderKeys.SecretArn(),
	}
	for _, t := range s.Tables.All() {
		env[t.Env] = *t.Table.TableName()
	}
	if o := s.Options; o.OktaIssuer != "" {
		env["OKTA_ISSUER"] = o.OktaIssuer
		env["OKTA_AUDIENCE"] = o.OktaAudience
	}
	if fn == "gateway" && s.Secrets.Origin != nil {
		env["TOLLGATE_ORIGIN_SECRET_ARN"] = *s.Secrets.Origin.SecretArn()
		env["TOLLGATE_ORIGIN_HEADER"] = OriginHeader
	}
	return env
}

// storeActions are the DynamoDB actions internal/store/dynamo calls:
// GetItem, Query, PutItem, UpdateItem, DeleteItem and TransactWriteItems,
// whose parts need their own actions (ConditionCheckItem among them). No
// Scan, no batch calls, no stream reads, no DescribeTable: nothing calls
// them. storeReadActions are its reads.
var (
	storeActions = []string{"dynamodb:GetItem", "dynamodb:Query", "dynamodb:PutItem", "dynamodb:UpdateItem",
		"dynamodb:DeleteItem", "dynamodb:ConditionCheckItem", "dynamodb:TransactWriteItems"}
	storeReadActions = []string{"dynamodb:GetItem", "dynamodb:Query"}
)

// grantTable allows actions on t and its indexes, and the key use they
// need when t is encrypted with a customer managed key.
func grantTable(role awsiam.IRole, t awsdynamodb.ITable, key awskms.IKey, actions []string) {
	t.Grant(role, *jsii.Strings(actions...)...)
	if key == nil {
		return
	}
	if slices.Equal(actions, storeReadActions) {
		key.GrantDecrypt(role)
	} else {
		key.GrantEncryptDecrypt(role)
	}
}

// grantGateway gives the gateway exactly what it uses: the store on all
// three tables (keys, limits, spend records, cache, history), its secrets,
// the config, Bedrock in regions and the department roles.
func (s *TollgateStack) grantGateway(regions []string) {
	role := s.Gateway.Role
	for _, t := range s.Tables.All() {
		grantTable(role, t.Table, s.Tables.Key, storeActions)
	}
	s.Secrets.MasterKey.GrantRead(role, nil)
	s.Secrets.ProviderKeys.GrantRead(role, nil)
	if s.Secrets.Origin != nil {
		s.Secrets.Origin.GrantRead(role, nil)
	}
	s.Config.grantRead(role)
	addBedrockInvoke(role, regions)
	if len(s.Options.DepartmentRoleARNs) > 0 {
		role.AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid:       jsii.String("AssumeDepartmentBedrockRoles"),
			Actions:   jsii.Strings("sts:AssumeRole"),
			Resources: jsii.Strings(s.Options.DepartmentRoleARNs...),
		}))
	}
}

// grantAdmin: the store on the state table (keys, users, teams), reads of
// the spend table (spend logs and reports), the master key (and the
// provider keys, which the config it validates may reference) and the
// config. No cache table, no Bedrock, no STS.
func (s *TollgateStack) grantAdmin() {
	role := s.Admin.Role
	grantTable(role, s.Tables.State, s.Tables.Key, storeActions)
	grantTable(role, s.Tables.Spend, s.Tables.Key, storeReadActions)
	s.Secrets.MasterKey.GrantRead(role, nil)
	s.Secrets.ProviderKeys.GrantRead(role, nil)
	s.Config.grantRead(role)
}

// bedrockRegions are the regions the gateway may invoke Bedrock in: the
// bedrockRegions option when set, else those config.yaml names.
func (s *TollgateStack) bedrockRegions() ([]string, error) {
	if len(s.Options.BedrockRegions) > 0 {
		return s.Options.BedrockRegions, nil
	}
	body, err := os.ReadFile(s.Options.ConfigFile)
	if err != nil {
		return nil, fmt.Errorf("config file: %w (set configFile)", err)
	}
	regions, unknown, err := bedrockRegionsOf(body, *awscdk.Aws_REGION())
	if err != nil {
		return nil, fmt.Errorf("config file %s: %w", s.Options.ConfigFile, err)
	}
	if len(unknown) > 0 {
		msg := fmt.Sprintf("Bedrock may be invoked in any region: config.yaml takes the region of %s from the "+
			"environment, which is unknown at synth; set bedrockRegions to limit it", strings.Join(unknown, ", "))
		awscdk.Annotations_Of(s.Stack).AddWarningV2(jsii.String("tollgate:bedrock-regions"), jsii.String(msg))
		return []string{"*"}, nil
	}
	return regions, nil
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
func (s *TollgateStack) newEdge() awscloudfront.Distribution {
	o := s.Options
	aclArn := o.CloudFrontWebACLArn
	if aclArn == "" { // only reached in us-east-1 (see main.go)
		acl := newWebACL(s.Stack, "EdgeWebAcl", wafCloudFront, o)
		logWebACL(s.Stack, "EdgeWebAcl", acl, o)
		aclArn = *acl.AttrArn()
	}
	origin := awscloudfrontorigins.NewFunctionUrlOrigin(s.GatewayURL, &awscloudfrontorigins.FunctionUrlOriginProps{
		CustomHeaders: &map[string]*string{
			// A dynamic reference to the "current" member: CloudFormation
			// resolves it at deploy time; `make -C infra rotate-origin-secret`
			// updates the distribution and the secret together.
			OriginHeader: s.Secrets.Origin.SecretValueFromJson(jsii.String("current")).UnsafeUnwrap(),
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
		WebAclId:    jsii.String(aclArn),
		HttpVersion: awscloudfront.HttpVersion_HTTP2_AND_3,
		PriceClass:  awscloudfront.PriceClass_PRICE_CLASS_100,
		// No CloudFront standard logging: it writes with ACLs, which the
		// logs bucket disables. The web ACL logs every request it sees
		// (logWebACL), and the gateway logs every call.
	})
	output(s.Stack, "GatewayCloudFrontUrl", "https://"+*d.DistributionDomainName()+"/", "gateway base URL through CloudFront + WAF")
	// For make -C infra rotate-origin-secret.
	output(s.Stack, "DistributionId", *d.DistributionId(), "CloudFront distribution in front of the gateway")
	output(s.Stack, "OriginSecretName", *s.Secrets.Origin.SecretName(), "Secrets Manager secret holding the origin secret")
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
