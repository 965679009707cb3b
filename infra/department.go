package main

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// DepartmentStackName is the stack deployed into each department account.
const DepartmentStackName = "TollgateBedrockAccess"

// NewDepartmentStack creates the cross-account Bedrock role a department
// account lends to the gateway (the seeds' per-department LiteLLMBedrockAccess
// role). Its ARN is what a deployment's aws_role_name takes in config.yaml,
// together with aws_external_id. The gateway's role ARN and the external id
// are CloudFormation parameters, so one synthesized template serves every
// department (cdk deploy --parameters, or a StackSet); the gatewayRoleArn and
// externalId options only set their defaults.
//
// IAM resolves the trusted role ARN to the role's unique id when the policy
// is saved: if the gateway stack is deleted and deployed again, redeploy this
// stack too.
func NewDepartmentStack(scope constructs.Construct, o Options, props *awscdk.StackProps) awscdk.Stack {
	stack := awscdk.NewStack(scope, jsii.String(DepartmentStackName), props)
	gatewayRole := awscdk.NewCfnParameter(stack, jsii.String("GatewayRoleArn"), &awscdk.CfnParameterProps{
		Type:                  jsii.String("String"),
		Description:           jsii.String("ARN of the Tollgate gateway execution role (GatewayRoleArn output of the main stack)"),
		AllowedPattern:        jsii.String(`arn:aws[a-z-]*:iam::\d{12}:role/[\w+=,.@/-]+`),
		ConstraintDescription: jsii.String("an IAM role ARN"),
		Default:               optionalDefault(o.DepartmentGatewayRoleARN),
	})
	externalID := awscdk.NewCfnParameter(stack, jsii.String("ExternalId"), &awscdk.CfnParameterProps{
		Type:           jsii.String("String"),
		Description:    jsii.String("External id the gateway presents (aws_external_id in config.yaml)"),
		NoEcho:         jsii.Bool(true),
		MinLength:      jsii.Number(16),
		MaxLength:      jsii.Number(1224),
		AllowedPattern: jsii.String(`[\w+=,.@:/-]+`),
		Default:        optionalDefault(o.DepartmentExternalID),
	})
	role := awsiam.NewRole(stack, jsii.String("BedrockAccessRole"), &awsiam.RoleProps{
		RoleName:    jsii.String(o.DepartmentRoleName),
		Description: jsii.String("Lets the Tollgate gateway invoke Bedrock models in this account"),
		AssumedBy: awsiam.NewArnPrincipal(gatewayRole.ValueAsString()).WithConditions(&map[string]any{
			"StringEquals": map[string]any{"sts:ExternalId": externalID.ValueAsString()},
		}),
		MaxSessionDuration: awscdk.Duration_Hours(jsii.Number(1)),
	})
	// Converse and ConverseStream are authorized as these two actions.
	role.AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:     jsii.String("BedrockInvoke"),
		Actions: jsii.Strings("bedrock:InvokeModel", "bedrock:InvokeModelWithResponseStream"),
		Resources: jsii.Strings(
			"arn:"+*awscdk.Aws_PARTITION()+":bedrock:*::foundation-model/*",
			"arn:"+*awscdk.Aws_PARTITION()+":bedrock:*:"+*awscdk.Aws_ACCOUNT_ID()+":inference-profile/*",
			"arn:"+*awscdk.Aws_PARTITION()+":bedrock:*:"+*awscdk.Aws_ACCOUNT_ID()+":application-inference-profile/*",
		),
	}))
	awscdk.NewCfnOutput(stack, jsii.String("BedrockAccessRoleArn"), &awscdk.CfnOutputProps{
		Value:       role.RoleArn(),
		Description: jsii.String("aws_role_name for this department's deployments in config.yaml"),
	})
	suppressDepartmentStack(stack, role)
	return stack
}

func optionalDefault(v string) *string {
	if v == "" {
		return nil
	}
	return jsii.String(v)
}
