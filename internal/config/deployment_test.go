package config_test

import (
	"regexp"
	"testing"
	"time"

	"github.com/tollgate-gw/tollgate/internal/config"
)

func deploymentOf(t *testing.T, env map[string]string, lines ...string) config.Deployment {
	t.Helper()
	src := doc(append([]string{"model_list:", "  - model_name: m", "    litellm_params:"}, lines...)...)
	cfg, err := config.Parse("config.yaml", []byte(src), envOf(env))
	if err != nil {
		t.Fatal(err)
	}
	return cfg.ModelList[0]
}

func TestDeploymentID(t *testing.T) {
	hex16 := regexp.MustCompile(`^[0-9a-f]{16}$`)
	a := deploymentOf(t, nil, "      model: openai/gpt-4o", "      api_base: https://a.example/v1", "      api_key: sk-one", "      tags: [x, y]")
	reordered := deploymentOf(t, nil, "      tags:", "        - x", "        - y", "      api_key: sk-two", "      api_base: https://a.example/v1", "      model: openai/gpt-4o")
	otherBase := deploymentOf(t, nil, "      model: openai/gpt-4o", "      api_base: https://b.example/v1", "      api_key: sk-one", "      tags: [x, y]")
	explicit := deploymentOf(t, nil, "      model: openai/gpt-4o", "    model_info:", "      id: my-deployment")
	if !hex16.MatchString(a.ID) {
		t.Fatalf("ID %q is not 16 hex digits", a.ID)
	}
	if a.ID != reordered.ID {
		t.Errorf("ID depends on key order or on the secret: %s vs %s", a.ID, reordered.ID)
	}
	if a.ID == otherBase.ID {
		t.Error("ID ignores api_base")
	}
	if explicit.ID != "my-deployment" {
		t.Errorf("explicit id = %q", explicit.ID)
	}
}

func TestModelStrings(t *testing.T) {
	tests := []struct {
		lines                  []string
		provider, route, model string
	}{
		{[]string{"      model: bedrock/invoke/anthropic.claude-v2"}, "bedrock", "invoke", "anthropic.claude-v2"},
		{[]string{"      model: bedrock/converse/us.anthropic.claude-3-7-sonnet-20250219-v1:0"}, "bedrock", "converse", "us.anthropic.claude-3-7-sonnet-20250219-v1:0"},
		{[]string{"      model: bedrock/arn:aws:bedrock:us-east-1:123:inference-profile/x"}, "bedrock", "", "arn:aws:bedrock:us-east-1:123:inference-profile/x"},
		{[]string{"      model: openai/converse/x"}, "openai", "", "converse/x"},
		{[]string{"      model: my-finetune", "      custom_llm_provider: openai"}, "openai", "", "my-finetune"},
		{[]string{"      model: hosted_vllm/llama", "      custom_llm_provider: hosted_vllm", "      api_base: http://127.0.0.1:8000"}, "hosted_vllm", "", "llama"},
	}
	for _, tt := range tests {
		d := deploymentOf(t, nil, tt.lines...)
		if d.Provider != tt.provider || d.Route != tt.route || d.ModelID != tt.model {
			t.Errorf("%v: got %s %q %s", tt.lines, d.Provider, d.Route, d.ModelID)
		}
	}
}

func TestLenientScalars(t *testing.T) {
	d := deploymentOf(t, map[string]string{"TIMEOUT": "2.5", "RPM": "7"},
		"      model: bedrock/amazon.nova-pro-v1:0",
		"      region_name: eu-central-1",
		"      api_version: 2024-02-01",
		"      drop_params: yes",
		"      tpm: \"100\"",
		"      max_retries: 3.0",
		"      weight: 2",
		"      timeout: os.environ/TIMEOUT",
		"      rpm: os.environ/RPM",
		"      stream_timeout: 1.5",
	)
	p := d.Params
	if p.AWSRegionName != "eu-central-1" {
		t.Errorf("region_name not copied to aws_region_name for bedrock: %q", p.AWSRegionName)
	}
	if p.APIVersion != "2024-02-01" {
		t.Errorf("unquoted date api_version = %q", p.APIVersion)
	}
	if p.DropParams == nil || !*p.DropParams {
		t.Errorf("drop_params: yes = %v", p.DropParams)
	}
	if p.TPM == nil || *p.TPM != 100 || p.MaxRetries == nil || *p.MaxRetries != 3 || p.RPM == nil || *p.RPM != 7 {
		t.Errorf("tpm %v max_retries %v rpm %v", p.TPM, p.MaxRetries, p.RPM)
	}
	if p.Weight == nil || *p.Weight != 2 {
		t.Errorf("weight = %v", p.Weight)
	}
	if p.Timeout != 2500*time.Millisecond || p.StreamTimeout != 1500*time.Millisecond {
		t.Errorf("timeout %v stream_timeout %v", p.Timeout, p.StreamTimeout)
	}
}
