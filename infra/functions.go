package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// function is one deployed Lambda function with the pieces tests and other
// constructs need.
type function struct {
	Fn   awslambda.Function
	Role awsiam.Role
	Logs awslogs.LogGroup
	// Target is what fronts invoke: the "live" alias when provisioned
	// concurrency is on, else the function itself.
	Target awslambda.IFunction
}

type functionSpec struct {
	id, name    string // construct id; functions/<name> and build/<name>-<arch>.zip
	description string
	memoryMB    int
	timeout     int // seconds
	reserved    int // 0: unreserved
	provisioned int // 0: none
	env         map[string]string
	network     *functionNetwork // nil: outside any VPC
}

// functionNetwork places functions in a VPC (lambdaSubnetIds).
type functionNetwork struct {
	vpc     awsec2.IVpc
	subnets []awsec2.ISubnet
	groups  []awsec2.ISecurityGroup
}

// newFunctionNetwork returns nil unless lambdaSubnetIds is set. It uses the
// given security groups or creates one allowing only HTTPS out (DynamoDB,
// S3, Secrets Manager, Bedrock, STS and the providers are all HTTPS), and
// adds DynamoDB and S3 gateway endpoints to vpcRouteTableIds, so that the
// store and the config never leave the VPC.
func newFunctionNetwork(scope constructs.Construct, o Options) *functionNetwork {
	if len(o.LambdaSubnetIDs) == 0 {
		return nil
	}
	n := &functionNetwork{vpc: awsec2.Vpc_FromVpcAttributes(scope, jsii.String("FunctionVpc"), &awsec2.VpcAttributes{
		VpcId: jsii.String(o.VpcID), AvailabilityZones: awscdk.Fn_GetAzs(nil),
	})}
	for i, id := range o.LambdaSubnetIDs {
		n.subnets = append(n.subnets, awsec2.Subnet_FromSubnetId(scope, jsii.Sprintf("FunctionSubnet%d", i), jsii.String(id)))
	}
	for i, id := range o.LambdaSecurityGroupIDs {
		n.groups = append(n.groups, awsec2.SecurityGroup_FromSecurityGroupId(scope, jsii.Sprintf("FunctionSecurityGroup%d", i), jsii.String(id), nil))
	}
	if len(n.groups) == 0 {
		sg := awsec2.NewSecurityGroup(scope, jsii.String("FunctionSecurityGroup"), &awsec2.SecurityGroupProps{
			Vpc: n.vpc, Description: jsii.String("Tollgate functions: HTTPS out only"), AllowAllOutbound: jsii.Bool(false),
		})
		sg.AddEgressRule(awsec2.Peer_AnyIpv4(), awsec2.Port_Tcp(jsii.Number(443)), jsii.String("HTTPS to AWS APIs and providers"), nil)
		n.groups = append(n.groups, sg)
	}
	if len(o.VpcRouteTableIDs) > 0 {
		for _, svc := range []string{"dynamodb", "s3"} {
			awsec2.NewCfnVPCEndpoint(scope, jsii.String(strings.ToUpper(svc[:1])+svc[1:]+"GatewayEndpoint"), &awsec2.CfnVPCEndpointProps{
				VpcId:           jsii.String(o.VpcID),
				ServiceName:     awscdk.Fn_Join(jsii.String(""), &[]*string{jsii.String("com.amazonaws."), awscdk.Aws_REGION(), jsii.String("." + svc)}),
				VpcEndpointType: jsii.String("Gateway"),
				RouteTableIds:   anys(o.VpcRouteTableIDs...),
			})
		}
	}
	return n
}

// artifactPath is where the root `make build` leaves a function's zip.
func artifactPath(o Options, name string) string {
	arch := "arm64"
	if o.Architecture == "x86_64" {
		arch = "amd64"
	}
	return filepath.Join(o.ArtifactDir, fmt.Sprintf("%s-%s.zip", name, arch))
}

// newFunction creates a provided.al2023 function from its build artifact,
// with its own role (no managed policies: the role may write to its own log
// group and nothing else until the caller grants more) and its own log group.
func newFunction(scope constructs.Construct, o Options, s functionSpec) (function, error) {
	zip := artifactPath(o, s.name)
	if _, err := os.Stat(zip); err != nil {
		return function{}, fmt.Errorf("function %s: artifact %s: %w (run `make build` at the repository root, or set artifactDir)", s.name, zip, err)
	}
	logs := awslogs.NewLogGroup(scope, jsii.String(s.id+"Logs"), &awslogs.LogGroupProps{
		Retention:     retention(o),
		RemovalPolicy: awscdk.RemovalPolicy_DESTROY,
	})
	role := awsiam.NewRole(scope, jsii.String(s.id+"Role"), &awsiam.RoleProps{
		AssumedBy:   awsiam.NewServicePrincipal(jsii.String("lambda.amazonaws.com"), nil),
		Description: jsii.String("Tollgate " + s.name + " function"),
	})
	role.AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:       jsii.String("OwnLogGroup"),
		Actions:   jsii.Strings("logs:CreateLogStream", "logs:PutLogEvents"),
		Resources: jsii.Strings(*logs.LogGroupArn()),
	}))
	arch := awslambda.Architecture_ARM_64()
	if o.Architecture == "x86_64" {
		arch = awslambda.Architecture_X86_64()
	}
	env := map[string]*string{}
	for k, v := range s.env {
		env[k] = jsii.String(v)
	}
	props := &awslambda.FunctionProps{
		Description:   jsii.String(s.description),
		Runtime:       awslambda.Runtime_PROVIDED_AL2023(),
		Handler:       jsii.String("bootstrap"),
		Architecture:  arch,
		Code:          awslambda.Code_FromAsset(jsii.String(zip), nil),
		MemorySize:    jsii.Number(s.memoryMB),
		Timeout:       awscdk.Duration_Seconds(jsii.Number(s.timeout)),
		Role:          role,
		LogGroup:      logs,
		LoggingFormat: awslambda.LoggingFormat_JSON,
		Environment:   &env,
		// No retries on async failure: these functions are only invoked
		// synchronously by their fronts.
		RetryAttempts: jsii.Number(0),
	}
	if s.reserved > 0 {
		props.ReservedConcurrentExecutions = jsii.Number(s.reserved)
	}
	if n := s.network; n != nil {
		// CDK adds AWSLambdaVPCAccessExecutionRole for the network
		// interfaces (suppressed in nag.go).
		props.Vpc = n.vpc
		props.VpcSubnets = &awsec2.SubnetSelection{Subnets: &n.subnets}
		props.SecurityGroups = &n.groups
	}
	if o.Tracing {
		// Adds xray:PutTraceSegments/PutTelemetryRecords on "*": X-Ray has no
		// resource-level permissions (suppressed in nag.go).
		props.Tracing = awslambda.Tracing_ACTIVE
	}
	fn := awslambda.NewFunction(scope, jsii.String(s.id), props)
	f := function{Fn: fn, Role: role, Logs: logs, Target: fn}
	if s.provisioned > 0 {
		f.Target = awslambda.NewAlias(scope, jsii.String(s.id+"Live"), &awslambda.AliasProps{
			AliasName:                       jsii.String("live"),
			Version:                         fn.CurrentVersion(),
			ProvisionedConcurrentExecutions: jsii.Number(s.provisioned),
		})
	}
	return f, nil
}

// retentionByDays maps CloudWatch Logs retention periods to the CDK enum.
var retentionByDays = map[int]awslogs.RetentionDays{
	1: awslogs.RetentionDays_ONE_DAY, 3: awslogs.RetentionDays_THREE_DAYS, 5: awslogs.RetentionDays_FIVE_DAYS,
	7: awslogs.RetentionDays_ONE_WEEK, 14: awslogs.RetentionDays_TWO_WEEKS, 30: awslogs.RetentionDays_ONE_MONTH,
	60: awslogs.RetentionDays_TWO_MONTHS, 90: awslogs.RetentionDays_THREE_MONTHS, 120: awslogs.RetentionDays_FOUR_MONTHS,
	150: awslogs.RetentionDays_FIVE_MONTHS, 180: awslogs.RetentionDays_SIX_MONTHS, 365: awslogs.RetentionDays_ONE_YEAR,
	400: awslogs.RetentionDays_THIRTEEN_MONTHS, 545: awslogs.RetentionDays_EIGHTEEN_MONTHS, 731: awslogs.RetentionDays_TWO_YEARS,
	1096: awslogs.RetentionDays_THREE_YEARS, 1827: awslogs.RetentionDays_FIVE_YEARS, 2192: awslogs.RetentionDays_SIX_YEARS,
	2557: awslogs.RetentionDays_SEVEN_YEARS, 2922: awslogs.RetentionDays_EIGHT_YEARS, 3288: awslogs.RetentionDays_NINE_YEARS,
	3653: awslogs.RetentionDays_TEN_YEARS,
}

// retention is the log retention Options asks for (validated in LoadOptions).
func retention(o Options) awslogs.RetentionDays { return retentionByDays[o.LogRetentionDays] }
