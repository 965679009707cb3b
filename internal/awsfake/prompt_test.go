package awsfake_test

import (
	"context"
	"errors"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/types"
	"github.com/aws/smithy-go"

	"github.com/tollgate-gw/tollgate/internal/awsfake"
)

// TestPromptCalls: the fake runs a managed prompt as Bedrock does, and
// refuses what Bedrock refuses: another region, another account, the
// members a prompt defines, and variables that are not exactly the
// template's placeholders.
func TestPromptCalls(t *testing.T) {
	const arn = "arn:aws:bedrock:us-west-2:111111111111:prompt/PRMPT00001"
	iam := awsfake.NewIAM(nil)
	alice := iam.AddUser(user)                  // account 111111111111
	bob := iam.NewSession(role, "s", time.Hour) // account 222222222222
	fake := awsfake.NewBedrock(iam, nil)
	fake.AddPrompt(awsfake.Prompt{ARN: arn, Template: "A {{tone}} poem about {{ topic }}; more {{tone}}."})
	srv := httptest.NewServer(fake)
	defer srv.Close()
	vars := func(kv ...string) map[string]types.PromptVariableValues {
		m := map[string]types.PromptVariableValues{}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = &types.PromptVariableValuesMemberText{Value: kv[i+1]}
		}
		return m
	}
	tests := []struct {
		name    string
		region  string
		creds   aws.Credentials
		in      bedrockruntime.ConverseInput
		code    string
		message string
		reply   string
	}{
		{name: "runs", in: bedrockruntime.ConverseInput{ModelId: aws.String(arn + ":3"), PromptVariables: vars("tone", "sad", "topic", "rain")},
			reply: "A sad poem about rain; more sad."},
		{name: "missing variable", in: bedrockruntime.ConverseInput{ModelId: aws.String(arn), PromptVariables: vars("topic", "rain")},
			code: "ValidationException", message: awsfake.VariablesMessage([]string{"topic"}, []string{"tone", "topic"})},
		{name: "extra variable", in: bedrockruntime.ConverseInput{ModelId: aws.String(arn), PromptVariables: vars("tone", "a", "topic", "b", "x", "c")},
			code: "ValidationException", message: awsfake.VariablesMessage([]string{"tone", "topic", "x"}, []string{"tone", "topic"})},
		{name: "system beside a prompt", in: bedrockruntime.ConverseInput{ModelId: aws.String(arn), PromptVariables: vars("tone", "a", "topic", "b"),
			System: []types.SystemContentBlock{&types.SystemContentBlockMemberText{Value: "x"}}}, code: "ValidationException"},
		{name: "inference config beside a prompt", in: bedrockruntime.ConverseInput{ModelId: aws.String(arn), PromptVariables: vars("tone", "a", "topic", "b"),
			InferenceConfig: &types.InferenceConfiguration{MaxTokens: aws.Int32(5)}}, code: "ValidationException"},
		{name: "unknown prompt", in: bedrockruntime.ConverseInput{ModelId: aws.String("arn:aws:bedrock:us-west-2:111111111111:prompt/NOPE000000")},
			code: "ResourceNotFoundException"},
		{name: "another region", region: "us-east-1", in: bedrockruntime.ConverseInput{ModelId: aws.String(arn), PromptVariables: vars("tone", "a", "topic", "b")},
			code: "ResourceNotFoundException"},
		{name: "another account", creds: bob, in: bedrockruntime.ConverseInput{ModelId: aws.String(arn), PromptVariables: vars("tone", "a", "topic", "b")},
			code: "AccessDeniedException", message: "User: arn:aws:sts::222222222222:assumed-role/Target/s is not authorized to perform: bedrock:InvokeModel on resource: " + arn},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			region, creds := tt.region, tt.creds
			if region == "" {
				region = "us-west-2"
			}
			if creds.AccessKeyID == "" {
				creds = alice
			}
			client := bedrockruntime.New(bedrockruntime.Options{Region: region, BaseEndpoint: aws.String(srv.URL),
				Credentials: credentials.StaticCredentialsProvider{Value: creds}, RetryMaxAttempts: 1})
			out, err := client.Converse(context.Background(), &tt.in)
			if tt.code != "" {
				var ae smithy.APIError
				if code(err) != tt.code || (tt.message != "" && (!errors.As(err, &ae) || ae.ErrorMessage() != tt.message)) {
					t.Fatalf("error %v, want %s %q", err, tt.code, tt.message)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			msg := out.Output.(*types.ConverseOutputMemberMessage).Value
			if got := msg.Content[0].(*types.ContentBlockMemberText).Value; got != tt.reply {
				t.Fatalf("reply %q, want %q", got, tt.reply)
			}
		})
	}
}
