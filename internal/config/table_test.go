package config_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/tollgate-gw/tollgate/internal/config"
)

func TestWriteTable(t *testing.T) {
	secrets := map[string]string{
		"LITERAL":    "sk-literal-000111",
		"FROM_ENV":   "sk-env-222333",
		"AWS_SECRET": "aws-secret-444555",
		"MASTER":     "sk-master-666777",
		"REDIS":      "redis-pass-888999",
	}
	src := doc(
		"model_list:",
		"  - model_name: literal-key",
		"    litellm_params:",
		"      model: openai/gpt-4o",
		"      api_key: "+secrets["LITERAL"],
		"      tags: [prod, eu]",
		"  - model_name: env-key",
		"    litellm_params:",
		"      model: openai/gpt-4o-mini",
		"      api_key: os.environ/OPENAI_API_KEY",
		"  - model_name: catalog-env",
		"    litellm_params:",
		"      model: groq/llama3-8b-8192",
		"  - model_name: claude",
		"    litellm_params:",
		"      model: bedrock/converse/anthropic.claude-3-5-sonnet-20240620-v1:0",
		"      aws_region_name: eu-west-1",
		"      aws_role_name: arn:aws:iam::123456789012:role/Bedrock",
		"      aws_session_name: tollgate",
		"  - model_name: keys",
		"    litellm_params:",
		"      model: bedrock/amazon.nova-pro-v1:0",
		"      aws_access_key_id: AKIAEXAMPLE",
		"      aws_secret_access_key: "+secrets["AWS_SECRET"],
		"  - model_name: fake",
		"    litellm_params:",
		"      model: fake/echo",
		"  - model_name: azure",
		"    litellm_params:",
		"      model: azure/my-deployment",
		"      api_version: '2024-10-21'",
		"general_settings:",
		"  master_key: "+secrets["MASTER"],
		"router_settings:",
		"  redis_password: "+secrets["REDIS"],
		"  routing_strategy: least-busy",
	)
	cfg, err := config.Parse("config.yaml", []byte(src), envOf(map[string]string{
		"OPENAI_API_KEY": secrets["FROM_ENV"],
		"GROQ_API_KEY":   "gsk-groq-101010",
		"AZURE_API_BASE": "https://example.openai.azure.com",
	}))
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := cfg.WriteTable(&out); err != nil {
		t.Fatal(err)
	}
	text := out.String()
	for name, s := range secrets {
		if strings.Contains(text, s) {
			t.Errorf("table prints secret %s:\n%s", name, text)
		}
	}
	if strings.Contains(text, "gsk-groq") {
		t.Errorf("table prints an environment key:\n%s", text)
	}
	lines := strings.Split(strings.TrimRight(text, "\n"), "\n")
	header := lines[0]
	columns := []string{"MODEL NAME", "PROVIDER", "MODEL ID", "API BASE", "API KEY", "REGION", "TAGS"}
	for _, c := range columns {
		if !strings.Contains(header, c) {
			t.Fatalf("header %q lacks %s", header, c)
		}
	}
	keyCol := strings.Index(header, "API KEY")
	rows := map[string]string{}
	for _, l := range lines[1:8] {
		if len(l) <= keyCol || l[keyCol-1] != ' ' {
			t.Errorf("row not aligned with the header: %q", l)
			continue
		}
		rows[strings.Fields(l)[0]] = l
	}
	want := map[string][]string{
		"literal-key": {"openai", "gpt-4o", "(default)", "api_key", "prod,eu"},
		"env-key":     {"env OPENAI_API_KEY"},
		"catalog-env": {"groq", "env GROQ_API_KEY"},
		"claude":      {"bedrock (converse)", "anthropic.claude-3-5-sonnet-20240620-v1:0", "aws role arn:aws:iam::123456789012:role/Bedrock", "eu-west-1"},
		"keys":        {"aws access key", "(default)"},
		"fake":        {"(none)"},
		"azure":       {"env AZURE_API_BASE"},
	}
	for name, parts := range want {
		row, ok := rows[name]
		if !ok {
			t.Errorf("no row for %s:\n%s", name, text)
			continue
		}
		for _, p := range parts {
			if !strings.Contains(row, p) {
				t.Errorf("row %s lacks %q: %q", name, p, row)
			}
		}
		if strings.HasPrefix(row[keyCol:], " ") {
			t.Errorf("row %s: API KEY column does not start under its header: %q", name, row)
		}
	}
	if !strings.Contains(text, "1 notice:") || !strings.Contains(text, "config.yaml:35: router_settings.redis_password: replaced:") {
		t.Errorf("notices missing:\n%s", text)
	}
}

func TestWriteTableEmptyAndWriteError(t *testing.T) {
	cfg, err := config.Parse("empty.yaml", nil, envOf(nil))
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := cfg.WriteTable(&out); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "(no models)") || !strings.Contains(out.String(), "no notices") {
		t.Errorf("empty table:\n%s", out.String())
	}
	if err := cfg.WriteTable(failWriter{}); !errors.Is(err, errWrite) {
		t.Errorf("write error = %v, want it wrapped", err)
	}
}

var errWrite = errors.New("disk full")

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errWrite }
