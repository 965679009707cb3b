package main

import (
	"slices"
	"testing"
)

// TestBedrockRegionsOf: regions come from the deployments (default: the
// stack's), model ARNs and inference-profile geographies; department-role
// deployments are the department's business; an environment-given region
// is reported as unknown.
func TestBedrockRegionsOf(t *testing.T) {
	for _, tc := range []struct {
		name, config     string
		regions, unknown []string
	}{
		{"stack region", "model_list:\n  - model_name: a\n    litellm_params: {model: bedrock/amazon.titan-embed-text-v2:0}\n",
			[]string{"${Token[AWS.Region]}"}, nil},
		{"named region and geography", "model_list:\n  - model_name: a\n    litellm_params: {model: bedrock/converse/eu.anthropic.claude, aws_region_name: eu-west-1}\n",
			[]string{"eu-*", "eu-west-1"}, nil},
		{"arn", "model_list:\n  - model_name: a\n    litellm_params: {model: 'bedrock/arn:aws:bedrock:us-west-2:123456789012:application-inference-profile/x', aws_region_name: us-east-1}\n",
			[]string{"us-east-1", "us-west-2"}, nil},
		{"department role", "model_list:\n  - model_name: a\n    litellm_params: {model: bedrock/us.x, aws_region_name: us-west-2, aws_role_name: 'arn:aws:iam::111122223333:role/R'}\n",
			nil, nil},
		{"environment", "model_list:\n  - model_name: a\n    litellm_params: {model: bedrock/x, aws_region_name: os.environ/REGION}\n",
			nil, []string{"a (os.environ/REGION)"}},
		{"not bedrock", "model_list:\n  - model_name: a\n    litellm_params: {model: openai/gpt-4o}\n", nil, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			regions, unknown, err := bedrockRegionsOf([]byte(tc.config), "${Token[AWS.Region]}")
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(regions, tc.regions) || !slices.Equal(unknown, tc.unknown) {
				t.Errorf("regions %v unknown %v, want %v %v", regions, unknown, tc.regions, tc.unknown)
			}
		})
	}
}
