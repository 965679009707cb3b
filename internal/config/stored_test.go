package config_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/tollgate-gw/tollgate/internal/config"
)

func TestParseDeployment(t *testing.T) {
	cfg, err := config.Parse("config.yaml", []byte("environment_variables:\n  FROM_FILE: file-key\nmodel_list: []\n"),
		envOf(map[string]string{"OPENAI_KEY": "sk-env", "AWS_SECRET": "secret"}))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, doc string
		wantErr   error
		wantIn    string // in the message
		check     func(t *testing.T, d config.Deployment)
	}{
		{name: "env reference", doc: `{"model_name":"gpt","litellm_params":{"model":"openai/gpt-4o","api_key":"os.environ/OPENAI_KEY","rpm":10},"model_info":{"id":"m-1"}}`,
			check: func(t *testing.T, d config.Deployment) {
				if d.ModelName != "gpt" || d.Provider != "openai" || d.ModelID != "gpt-4o" || d.ID != "m-1" ||
					d.Params.APIKey.Reveal() != "sk-env" || d.Params.APIKey.EnvVar() != "OPENAI_KEY" || *d.Params.RPM != 10 || d.File != "model m-1" {
					t.Fatalf("deployment = %+v", d)
				}
			}},
		{name: "environment_variables section", doc: `{"model_name":"gpt","litellm_params":{"model":"openai/gpt-4o","api_key":"os.environ/FROM_FILE"}}`,
			check: func(t *testing.T, d config.Deployment) {
				if d.Params.APIKey.Reveal() != "file-key" {
					t.Fatalf("api_key = %q", d.Params.APIKey.Reveal())
				}
			}},
		{name: "whitespace and escapes", doc: "{\n\t\"model_name\" : \"g\\u00e9 \\/ x\",\n\t\"litellm_params\": {\"model\": \"openai/gpt-4o\"}\n}",
			check: func(t *testing.T, d config.Deployment) {
				if d.ModelName != "gé / x" {
					t.Fatalf("model_name = %q", d.ModelName)
				}
			}},
		{name: "plaintext api_key", doc: `{"model_name":"gpt","litellm_params":{"model":"openai/gpt-4o","api_key":"sk-live-123"}}`,
			wantErr: config.ErrPlaintextSecret, wantIn: "litellm_params.api_key: a stored model's credentials must be environment references"},
		{name: "plaintext aws secret", doc: `{"model_name":"c","litellm_params":{"model":"bedrock/anthropic.claude-3","aws_region_name":"us-east-1","aws_access_key_id":"AKIA","aws_secret_access_key":"s3cr3t"}}`,
			wantErr: config.ErrPlaintextSecret, wantIn: "litellm_params.aws_secret_access_key"},
		{name: "aws secret by reference", doc: `{"model_name":"c","litellm_params":{"model":"bedrock/anthropic.claude-3","aws_region_name":"us-east-1","aws_access_key_id":"AKIA","aws_secret_access_key":"os.environ/AWS_SECRET"}}`,
			check: func(t *testing.T, d config.Deployment) {
				if d.Params.AWSSecretAccessKey.Reveal() != "secret" {
					t.Fatalf("aws_secret_access_key not resolved")
				}
			}},
		{name: "unset variable", doc: `{"model_name":"gpt","litellm_params":{"model":"openai/gpt-4o","api_key":"os.environ/NOPE"}}`,
			wantErr: config.ErrMissingEnv, wantIn: "litellm_params.api_key: environment variable NOPE is not set"},
		{name: "unknown provider", doc: `{"model_name":"gpt","litellm_params":{"model":"opanai/gpt-4o"}}`,
			wantErr: config.ErrUnknownProvider, wantIn: `did you mean "openai"`},
		{name: "unknown key", doc: `{"model_name":"gpt","litellm_params":{"model":"openai/gpt-4o","temprature":1}}`,
			wantErr: config.ErrUnknownKey, wantIn: "temprature"},
		{name: "no model_name", doc: `{"litellm_params":{"model":"openai/gpt-4o"}}`, wantErr: config.ErrInvalid, wantIn: "model_name"},
		{name: "not JSON", doc: `{"model_name":`, wantErr: config.ErrSyntax, wantIn: "not valid JSON"},
		{name: "not an object", doc: `[1,2]`, wantErr: config.ErrType, wantIn: "expected a model"},
		{name: "emoji by surrogates", doc: `{"model_name":"\ud83d\ude00","litellm_params":{"model":"openai/gpt-4o"}}`,
			check: func(t *testing.T, d config.Deployment) {
				if d.ModelName != "\U0001F600" {
					t.Fatalf("model_name = %q", d.ModelName)
				}
			}},
		{name: "duplicate key", doc: `{"model_name":"a","model_name":"b","litellm_params":{"model":"openai/gpt-4o"}}`, wantErr: config.ErrDuplicate},
		{name: "two values", doc: `{"model_name":"a","litellm_params":{"model":"openai/gpt-4o"}} {}`, wantErr: config.ErrSyntax},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := cfg.ParseDeployment("model m-1", []byte(tt.doc))
			if tt.wantErr == nil {
				if err != nil {
					t.Fatal(err)
				}
				tt.check(t, d)
				return
			}
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if !strings.Contains(err.Error(), tt.wantIn) || strings.Contains(err.Error(), "model_list[0]") {
				t.Fatalf("message %q: want it to contain %q and not the wrapping path", err, tt.wantIn)
			}
			if strings.Contains(err.Error(), "sk-live-123") || strings.Contains(err.Error(), "s3cr3t") {
				t.Fatalf("message echoes the credential: %q", err)
			}
		})
	}
}

func FuzzParseDeployment(f *testing.F) {
	f.Add([]byte(`{"model_name":"gpt","litellm_params":{"model":"openai/gpt-4o","api_key":"os.environ/K"}}`))
	f.Add([]byte(`{"model_name":"gpt","litellm_params":{"model":"openai/gpt-4o","api_key":"x"}}`))
	f.Add([]byte(`[]`))
	cfg, err := config.Parse("c.yaml", []byte("model_list: []\n"), envOf(map[string]string{"K": "v"}))
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, doc []byte) {
		d, err := cfg.ParseDeployment("m", doc)
		if err == nil && (d.ModelName == "" || d.Provider == "") {
			t.Fatalf("accepted %q as %+v", doc, d)
		}
		if err == nil && d.Params.APIKey.IsSet() && d.Params.APIKey.EnvVar() == "" {
			t.Fatalf("accepted a plaintext api_key: %q", doc)
		}
	})
}

// TestEmptyModelRefused: a model_list entry whose litellm_params.model is
// given but empty used to load as a deployment without a provider.
func TestEmptyModelRefused(t *testing.T) {
	for _, v := range []string{`""`, `''`} {
		_, err := config.Parse("c.yaml", []byte("model_list:\n  - model_name: a\n    litellm_params:\n      model: "+v+"\n"), envOf(nil))
		if !errors.Is(err, config.ErrInvalid) || !strings.Contains(err.Error(), "c.yaml:4: model_list[0].litellm_params.model: model is empty") {
			t.Errorf("model: %s: err = %v", v, err)
		}
	}
}
