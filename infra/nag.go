package main

// Every cdk-nag AwsSolutions finding Tollgate accepts is suppressed here, on
// the narrowest construct (and, for IAM5, the exact wildcard resources), with
// the reason. nag_test.go fails on any unsuppressed finding.

import (
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"
)

type suppression struct {
	id, reason string
	appliesTo  []string // exact findings, or /regex/ patterns
}

func suppress(c constructs.IConstruct, children bool, ss ...suppression) {
	var list []*cdknag.NagPackSuppression
	for _, s := range ss {
		p := &cdknag.NagPackSuppression{Id: jsii.String(s.id), Reason: jsii.String(s.reason)}
		if len(s.appliesTo) > 0 {
			var at []any
			for _, a := range s.appliesTo {
				if strings.HasPrefix(a, "/") {
					at = append(at, &cdknag.RegexAppliesTo{Regex: jsii.String(a)})
				} else {
					at = append(at, a)
				}
			}
			p.AppliesTo = &at
		}
		list = append(list, p)
	}
	cdknag.NagSuppressions_AddResourceSuppressions(c, &list, jsii.Bool(children))
}

// Wildcard resources the function roles hold, as cdk-nag renders them.
var (
	// DynamoDB grants cover the tables' indexes: "<table ARN>/index/*".
	tableIndexWildcard = `/^Resource::<(State|Spend|Cache)Table[0-9A-F]+\.Arn>\/index\/\*$/`
	// The same for adopted tables, whose ARNs are built from their names.
	adoptedTableIndexWildcard = `/^Resource::arn:<AWS::Partition>:dynamodb:<AWS::Region>:<AWS::AccountId>:table\/[\w.-]+\/index\/\*$/`
	// Bedrock model, inference-profile, prompt and guardrail ARNs (see
	// addBedrockInvoke): models are chosen in config.yaml at run time, which
	// can change without a redeploy, so the role cannot list them; the
	// regions (possibly a geography such as us-*) are config.yaml's.
	bedrockWildcard = `/^Resource::arn:<AWS::Partition>:bedrock:(\*|[a-z0-9*-]+|<AWS::Region>):(<AWS::AccountId>)?:(foundation-model|inference-profile|application-inference-profile|prompt|guardrail)\/\*$/`
	// KMS grants for a customer managed table key.
	kmsActionWildcard = `/^Action::kms:(ReEncrypt|GenerateDataKey)\*$/`
)

func suppressMainStack(s *TollgateStack) {
	o := s.Options
	roleReasons := []suppression{{
		id: "AwsSolutions-IAM5",
		reason: "Wildcards are confined to: the table indexes (<table>/index/*) of Tollgate's own tables; " +
			"Bedrock models and inference profiles, which config.yaml selects at run time, in the regions it names; " +
			"KMS ReEncrypt*/GenerateDataKey* on the table key; and X-Ray PutTraceSegments/PutTelemetryRecords and " +
			"the VPC network-interface actions, which support no resource-level permissions.",
		appliesTo: []string{tableIndexWildcard, bedrockWildcard, kmsActionWildcard, "Resource::*"},
	}}
	if o.ExistingStateTable != "" {
		roleReasons[0].appliesTo = append(roleReasons[0].appliesTo, adoptedTableIndexWildcard)
	}
	if len(o.LambdaSubnetIDs) > 0 {
		roleReasons = append(roleReasons, suppression{
			id: "AwsSolutions-IAM4", reason: "Functions in a VPC need AWSLambdaVPCAccessExecutionRole to manage their " +
				"network interfaces (the actions take no resource-level permissions); CDK attaches it.",
			appliesTo: []string{"Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole"},
		})
	}
	suppress(s.Gateway.Role, true, roleReasons...)
	suppress(s.Admin.Role, true, roleReasons...)

	suppress(s.API.API, true,
		suppression{id: "AwsSolutions-APIG4", reason: "Methods are open at API Gateway on purpose: the functions " +
			"authenticate every request (LiteLLM-style virtual keys, the master key or an Okta JWT in the " +
			"Authorization header) against DynamoDB, which an API Gateway authorizer would only duplicate."},
		suppression{id: "AwsSolutions-COG4", reason: "No Cognito: authentication is Tollgate's own keys and Okta JWTs (see APIG4)."},
		suppression{id: "AwsSolutions-APIG2", reason: "Bodies are validated by the handlers, which answer in " +
			"the OpenAI/Bedrock error format clients parse; API Gateway validation would answer in its own format."},
	)
	if !o.WAF {
		suppress(s.API.API, true, suppression{id: "AwsSolutions-APIG3", reason: "The operator deployed with waf=false."})
	}
	suppress(s.API.API, true, suppression{
		id: "AwsSolutions-IAM4", reason: "The account-wide API Gateway CloudWatch role uses the AWS managed " +
			"AmazonAPIGatewayPushToCloudWatchLogs policy, which API Gateway's execution logging requires.",
		appliesTo: []string{"Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs"},
	})

	rotation := suppression{id: "AwsSolutions-SMG4", reason: "Rotation-ready, not auto-rotated: functions " +
		"re-read secrets after a short cache, so a new value (put-secret-value or a rotation function the " +
		"operator attaches) takes effect without a deploy. Rotating the master key logs every admin out and " +
		"provider keys are rotated at the provider, so the schedule is the operator's decision."}
	suppress(s.Secrets.MasterKey, false, rotation)
	suppress(s.Secrets.ProviderKeys, false, rotation)
	if s.Secrets.Origin != nil {
		suppress(s.Secrets.Origin, false, rotation)
	}

	for _, c := range *s.Stack.Node().Children() {
		id := *c.Node().Id()
		switch {
		case id == "LogsBucket":
			suppress(c, false, suppression{id: "AwsSolutions-S1", reason: "This is the access-log destination; logging it into itself would loop."})
		case strings.HasPrefix(id, "Custom::CDKBucketDeployment"):
			// The CDK-provided function behind BucketDeployment.
			suppress(c, true,
				suppression{id: "AwsSolutions-IAM4", reason: "CDK's BucketDeployment provider function uses AWSLambdaBasicExecutionRole for its logs.",
					appliesTo: []string{"Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"}},
				suppression{id: "AwsSolutions-IAM5", reason: "CDK's BucketDeployment copies the config asset from the " +
					"CDK assets bucket into the config bucket; its grants are CDK's (s3:GetObject*, s3:List*, " +
					"s3:DeleteObject*, s3:Abort* on those two buckets)."},
				suppression{id: "AwsSolutions-L1", reason: "The runtime of CDK's BucketDeployment provider function is chosen by aws-cdk-lib."},
			)
		}
	}
	suppress(s.AlarmTopic, false, suppression{id: "AwsSolutions-SNS2", reason: "Alarm notifications carry alarm " +
		"names and states, no data; CloudWatch cannot publish to a topic encrypted with the AWS managed SNS key, and a " +
		"customer managed key would cost more than the topic. Publishing requires TLS (EnforceSSL)."})
	if s.FakeLLM != nil {
		suppress(s.FakeLLM.Role, true, suppression{id: "AwsSolutions-IAM5", reason: "X-Ray has no resource-level permissions.", appliesTo: []string{"Resource::*"}})
	}
	if s.Distribution != nil {
		suppress(s.Distribution, true,
			suppression{id: "AwsSolutions-CFR3", reason: "CloudFront standard logging writes with S3 ACLs, which the " +
				"logs bucket disables; the global web ACL logs every request to CloudWatch Logs (credentials redacted), " +
				"and the gateway logs every call."},
			suppression{id: "AwsSolutions-CFR1", reason: "An API gateway for a company's users: no country restriction by default; add one in the web ACL if needed."},
			suppression{id: "AwsSolutions-CFR4", reason: "Uses the *.cloudfront.net certificate, whose minimum protocol CloudFront fixes; the origin leg is TLS 1.2."},
		)
	}
}

func suppressDepartmentStack(stack awscdk.Stack, role awsiam.Role) {
	suppress(role, true, suppression{
		id: "AwsSolutions-IAM5", reason: "The gateway chooses models in config.yaml at run time; the role allows " +
			"only invocation, of foundation models (any region, for cross-region inference profiles) and of this " +
			"account's inference profiles.",
		appliesTo: []string{bedrockWildcard},
	})
}
