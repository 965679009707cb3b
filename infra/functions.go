package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/aws/aws-cdk-go/awscdk/v2"
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
