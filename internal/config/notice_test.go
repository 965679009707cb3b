package config_test

import (
	"strings"
	"testing"

	"github.com/tollgate-gw/tollgate/internal/config"
)

func noticeAt(cfg *config.Config, path string) (config.Notice, bool) {
	for _, n := range cfg.Notices {
		if n.Path == path {
			return n, true
		}
	}
	return config.Notice{}, false
}

func TestNotices(t *testing.T) {
	src := doc(
		"model_list:",
		"  - model_name: m",
		"    litellm_params:",
		"      model: fake/m",
		"      max_parallel_requests: os.environ/RPM_LIMIT",
		"      tpm: os.environ/TPM_LIMIT",
		"litellm_settings:",
		"  set_verbose: os.environ/VERBOSE",
		"  cache_params:",
		"    ttl: 60",
		"    type: local",
		"router_settings:",
		"  redis_host: redis.internal",
		"guardrails:",
		"  - guardrail_name: g",
		"    litellm_params:",
		"      guardrail: bedrock",
		"      mode: [pre_call, post_call]",
		"      api_key: os.environ/GUARD_KEY",
		"      guardrailIdentifier: abc",
		"      guardrailVersion: 1",
		"general_settings:",
		"  custom_auth: my_module.auth",
	)
	cfg, err := config.Parse("config.yaml", []byte(src), envOf(map[string]string{"TPM_LIMIT": "5000", "VERBOSE": "true"}))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		path string
		kind config.Status
		line int
		msg  string
	}{
		{"model_list[0].litellm_params.max_parallel_requests", config.NotYet, 5, "os.environ/RPM_LIMIT is not set"},
		{"litellm_settings.set_verbose", config.NoEffect, 8, "os.environ/VERBOSE not resolved because the setting has no effect"},
		{"litellm_settings.cache_params.type", config.Replaced, 11, "DynamoDB"},
		{"router_settings.redis_host", config.Replaced, 13, "DynamoDB"},
		{"guardrails", config.NotYet, 14, "os.environ/GUARD_KEY is not set"},
		{"general_settings.custom_auth", config.NoEffect, 23, "Python"},
	}
	for _, tt := range tests {
		n, ok := noticeAt(cfg, tt.path)
		if !ok {
			t.Errorf("no notice for %s in %v", tt.path, cfg.Notices)
			continue
		}
		if n.Kind != tt.kind || n.Line != tt.line || n.File != "config.yaml" || !strings.Contains(n.Message, tt.msg) {
			t.Errorf("%s: got %v", tt.path, n)
		}
	}
	if len(cfg.Notices) != len(tests) {
		t.Errorf("got %d notices, want %d (children must not repeat their parent's): %v", len(cfg.Notices), len(tests), cfg.Notices)
	}
	p := cfg.ModelList[0].Params
	if p.RPM != nil || p.TPM == nil || *p.TPM != 5000 {
		t.Errorf("rpm %v tpm %v: unset references stay unset, set ones resolve", p.RPM, p.TPM)
	}
	if cfg.LiteLLM.SetVerbose != nil {
		t.Errorf("no-effect reference was resolved: %v", *cfg.LiteLLM.SetVerbose)
	}
	if cfg.Router.RedisHost != "redis.internal" {
		t.Errorf("literal values under replaced keys are kept: %q", cfg.Router.RedisHost)
	}
	g := cfg.Guardrails[0]
	if g.Name != "g" || g.Params.Guardrail != "bedrock" || g.Params.GuardrailVersion != "1" ||
		len(g.Params.Mode.Events) != 2 || g.Line != 15 || g.File != "config.yaml" {
		t.Errorf("guardrail = %+v", g)
	}
	for i := 1; i < len(cfg.Notices); i++ {
		if cfg.Notices[i-1].Line > cfg.Notices[i].Line {
			t.Errorf("notices not sorted by line: %v", cfg.Notices)
		}
	}
}

func TestGuardrailModeForms(t *testing.T) {
	src := doc(
		"guardrails:",
		"  - guardrail_name: one",
		"    litellm_params: {guardrail: aporia, mode: during_call}",
		"  - guardrail_name: tagged",
		"    litellm_params:",
		"      guardrail: presidio",
		"      mode:",
		"        tags: {beta: pre_call}",
		"        default: post_call",
	)
	cfg, err := config.Parse("config.yaml", []byte(src), envOf(nil))
	if err != nil {
		t.Fatal(err)
	}
	if m := cfg.Guardrails[0].Params.Mode; len(m.Events) != 1 || m.Events[0] != "during_call" {
		t.Errorf("scalar mode = %+v", m)
	}
	if m := cfg.Guardrails[1].Params.Mode; m.ByTag["beta"] != "pre_call" || m.Default != "post_call" {
		t.Errorf("mapping mode = %+v", m)
	}
}

// TestPriceAndSpendNotices: per-token prices and base_model in
// litellm_params are read (no notice); the price kinds, budgets and
// spend-log controls that are not say what Tollgate does instead.
func TestPriceAndSpendNotices(t *testing.T) {
	src := doc(
		"model_list:",
		"  - model_name: m",
		"    litellm_params:",
		"      model: fake/m",
		"      input_cost_per_token: 0.000001",
		"      output_cost_per_token: 0.000002",
		"      base_model: gpt-4o",
		"      input_cost_per_second: 0.01",
		"      max_budget: 10",
		"litellm_settings:",
		"  cost_discount_config: {openai: 0.1}",
		"router_settings:",
		"  provider_budget_config: {openai: {budget_limit: 10, time_period: 1d}}",
		"general_settings:",
		"  disable_spend_logs: true",
		"  disable_spend_updates: true",
	)
	cfg, err := config.Parse("config.yaml", []byte(src), envOf(nil))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct{ path, msg string }{
		{"model_list[0].litellm_params.input_cost_per_second", "only per-token input and output prices"},
		{"model_list[0].litellm_params.max_budget", "per-deployment and per-provider budgets are not enforced"},
		{"litellm_settings.cost_discount_config", "discounts are not applied"},
		{"router_settings.provider_budget_config", "per-deployment and per-provider budgets are not enforced"},
		{"general_settings.disable_spend_updates", "a spend record is written per call"},
	}
	for _, tt := range tests {
		n, ok := noticeAt(cfg, tt.path)
		if !ok || n.Kind != config.NotYet || !strings.Contains(n.Message, tt.msg) {
			t.Errorf("%s: got %v (found %v), want a not-yet notice saying %q", tt.path, n, ok, tt.msg)
		}
	}
	if len(cfg.Notices) != len(tests) {
		t.Errorf("got %d notices, want %d: %v", len(cfg.Notices), len(tests), cfg.Notices)
	}
}

// TestSpendLogsRetention: the retention period is read (no notice) in
// LiteLLM's duration format; the cleanup interval has no effect and says
// why; a bad period refuses the config naming the key.
func TestSpendLogsRetention(t *testing.T) {
	src := doc(
		"model_list:",
		"  - model_name: m",
		"    litellm_params: {model: fake/m}",
		"general_settings:",
		"  maximum_spend_logs_retention_period: 7d",
		"  maximum_spend_logs_retention_interval: 1d",
	)
	cfg, err := config.Parse("config.yaml", []byte(src), envOf(nil))
	if err != nil {
		t.Fatal(err)
	}
	if p := cfg.General.SpendLogsRetention; p == nil || p.String() != "7d" {
		t.Errorf("retention = %v, want 7d", p)
	}
	n, ok := noticeAt(cfg, "general_settings.maximum_spend_logs_retention_interval")
	if !ok || n.Kind != config.NoEffect || !strings.Contains(n.Message, "TTL") {
		t.Errorf("interval notice: %v (found %v)", n, ok)
	}
	if len(cfg.Notices) != 1 {
		t.Errorf("notices: %v", cfg.Notices)
	}
	_, err = config.Parse("config.yaml", []byte(strings.Replace(src, "7d", "7x", 1)), envOf(nil))
	if err == nil || !strings.Contains(err.Error(), "general_settings.maximum_spend_logs_retention_period") || !strings.Contains(err.Error(), `unknown unit "x"`) {
		t.Errorf("bad period: %v", err)
	}
}
