// Command infra is Tollgate's AWS CDK app: `cdk synth` / `cdk deploy` run it
// (cdk.json: "app": "go run ."). See infra/README.md for the options and the
// stacks it defines.
package main

import (
	"fmt"
	"maps"
	"os"
	"slices"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"
)

func main() {
	defer jsii.Close()
	app := awscdk.NewApp(nil)
	o, err := LoadOptions(contextLookup(func(k string) any { return app.Node().TryGetContext(jsii.String(k)) }), os.LookupEnv)
	if err != nil {
		fmt.Fprintf(os.Stderr, "tollgate infra: invalid options:\n%v\n", err)
		os.Exit(1)
	}
	if err := Build(app, o); err != nil {
		fmt.Fprintf(os.Stderr, "tollgate infra: %v\n", err)
		os.Exit(1)
	}
	app.Synth(nil)
}

// Stacks are what Build adds to an app.
type Stacks struct {
	Main       *TollgateStack // nil when only the edge WAF stack can be built yet
	Department awscdk.Stack
	EdgeWaf    awscdk.Stack // nil unless cloudFront=true outside us-east-1 without cloudFrontWebAclArn
}

// Build adds Tollgate's stacks to app and the cdk-nag AwsSolutions checks to
// all of them.
func Build(app awscdk.App, o Options) error {
	_, err := BuildStacks(app, o)
	return err
}

// BuildStacks is Build returning the stacks (for tests).
func BuildStacks(app awscdk.App, o Options) (Stacks, error) {
	var st Stacks
	env := &awscdk.Environment{}
	if o.Account != "" {
		env.Account = jsii.String(o.Account)
	}
	if o.Region != "" {
		env.Region = jsii.String(o.Region)
	}
	props := &awscdk.StackProps{
		Env:         env,
		Description: jsii.String("Tollgate: serverless multi-provider LLM gateway"),
	}
	if o.CloudFront && o.CloudFrontWebACLArn == "" && o.Region != "us-east-1" {
		// A CLOUDFRONT-scope web ACL can only live in us-east-1: deploy it
		// first, then pass its ARN.
		st.EdgeWaf = NewEdgeWafStack(app, o)
		fmt.Fprintf(os.Stderr, "tollgate infra: cloudFront=true outside us-east-1: deploy %s first, then set cloudFrontWebAclArn to its WebAclArn output; %s is not synthesized until then\n",
			*st.EdgeWaf.StackName(), o.StackName)
	} else {
		main, err := NewTollgateStack(app, o, props)
		if err != nil {
			return st, err
		}
		st.Main = main
	}
	st.Department = NewDepartmentStack(app, o, &awscdk.StackProps{
		Description: jsii.String("Tollgate: cross-account Bedrock access role (deploy into each department account)"),
		// It has no assets, so it needs no `cdk bootstrap` in the department
		// account: `cdk deploy` it directly, or use its template in
		// cdk.out as a CloudFormation StackSet across an organization.
		Synthesizer: awscdk.NewBootstraplessSynthesizer(&awscdk.BootstraplessSynthesizerProps{}),
	})
	for _, k := range slices.Sorted(maps.Keys(o.Tags)) {
		awscdk.Tags_Of(app).Add(jsii.String(k), jsii.String(o.Tags[k]), nil)
	}
	awscdk.Aspects_Of(app).Add(cdknag.NewAwsSolutionsChecks(&cdknag.NagPackProps{Verbose: jsii.Bool(true)}), nil)
	return st, nil
}

// NewEdgeWafStack creates the global (CLOUDFRONT) web ACL in us-east-1.
func NewEdgeWafStack(app awscdk.App, o Options) awscdk.Stack {
	env := &awscdk.Environment{Region: jsii.String("us-east-1")}
	if o.Account != "" {
		env.Account = jsii.String(o.Account)
	}
	stack := awscdk.NewStack(app, jsii.String(o.StackName+"EdgeWaf"), &awscdk.StackProps{
		Env:         env,
		Description: jsii.String("Tollgate: global web ACL for the CloudFront front"),
	})
	acl := newWebACL(stack, "EdgeWebAcl", wafCloudFront, o)
	logWebACL(stack, "EdgeWebAcl", acl, o)
	awscdk.NewCfnOutput(stack, jsii.String("WebAclArn"), &awscdk.CfnOutputProps{
		Value: acl.AttrArn(), Description: jsii.String("pass as cloudFrontWebAclArn to the main stack"),
	})
	return stack
}
