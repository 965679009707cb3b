package main

import (
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/cxapi"
)

// TestNagAwsSolutions: every stack of every configuration passes the cdk-nag
// AwsSolutions pack; accepted findings are suppressed, with reasons, in
// nag.go.
func TestNagAwsSolutions(t *testing.T) {
	for name := range configurations {
		s := synth(t, name)
		for _, stack := range []awscdk.Stack{s.stacks.Main.Stack, s.stacks.Department} {
			for _, f := range nagFindings(s.app, stack) {
				t.Errorf("%s/%s: %s", name, *stack.StackName(), f)
			}
		}
	}
}

// nagFindings returns the AwsSolutions errors and warnings cdk-nag recorded
// on stack. They are read from the assembly synth already produced (App.Synth
// returns it without synthesizing again): assertions.Annotations_FromStack
// synthesizes the whole app anew on every call, which made this test three
// times as slow as every other test of the module together.
func nagFindings(app awscdk.App, stack awscdk.Stack) []string {
	var out []string
	for _, m := range *app.Synth(nil).GetStackArtifact(stack.ArtifactId()).Messages() {
		if m.Level != cxapi.SynthesisMessageLevel_ERROR && m.Level != cxapi.SynthesisMessageLevel_WARNING {
			continue
		}
		data := fmt.Sprint(m.Entry.Data)
		if strings.Contains(data, "AwsSolutions-") {
			out = append(out, fmt.Sprintf("nag %s at %s: %s", strings.ToLower(string(m.Level)), *m.Id, data))
		}
	}
	return out
}
