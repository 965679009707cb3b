package main

import (
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/aws-cdk-go/awscdk/v2/cxapi"
	"github.com/aws/jsii-runtime-go"
)

// TestNagAwsSolutions: every stack of every configuration passes the cdk-nag
// AwsSolutions pack; accepted findings are suppressed, with reasons, in
// nag.go.
func TestNagAwsSolutions(t *testing.T) {
	for name := range configurations {
		s := synth(t, name)
		for _, stack := range []awscdk.Stack{s.stacks.Main.Stack, s.stacks.Department} {
			a := assertions.Annotations_FromStack(stack)
			match := assertions.Match_StringLikeRegexp(jsii.String("AwsSolutions-.*"))
			for kind, found := range map[string]*[]*cxapi.SynthesisMessage{
				"error":   a.FindError(jsii.String("*"), match),
				"warning": a.FindWarning(jsii.String("*"), match),
			} {
				for _, m := range *found {
					t.Errorf("%s/%s: nag %s at %s: %v", name, *stack.StackName(), kind, *m.Id, m.Entry.Data)
				}
			}
		}
	}
}
