package config_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/tollgate-gw/tollgate/internal/config"
)

// doc joins lines into a YAML document, so a case's line numbers can be read
// off its position in the list (the first line is line 1).
func doc(lines ...string) string { return strings.Join(lines, "\n") + "\n" }

type wantProblem struct {
	class error
	line  int
	path  string
	msg   string // substring of the message
}

func TestParseErrors(t *testing.T) {
	model := func(params ...string) []string {
		out := []string{"model_list:", "  - model_name: m", "    litellm_params:"}
		for _, p := range params {
			out = append(out, "      "+p)
		}
		return out
	}
	tests := []struct {
		name string
		src  string
		env  map[string]string
		want []wantProblem
	}{
		// Unknown keys, with suggestions, at every level.
		{"unknown top-level key", doc("model_lst: []"),
			nil, []wantProblem{{config.ErrUnknownKey, 1, "model_lst", `did you mean "model_list"?`}}},
		{"unknown key in a model_list entry", doc("model_list:", "  - model_nam: m", "    litellm_params:", "      model: fake/x"),
			nil, []wantProblem{
				{config.ErrUnknownKey, 2, "model_list[0].model_nam", `did you mean "model_name"?`},
				{config.ErrInvalid, 2, "model_list[0].model_name", "required"},
			}},
		{"unknown key in litellm_params", doc(model("model: openai/gpt-4o", "api_bas: https://x")...),
			nil, []wantProblem{{config.ErrUnknownKey, 5, "model_list[0].litellm_params.api_bas", `did you mean "api_base"?`}}},
		{"unknown key in model_info", doc(append(model("model: fake/x"), "    model_info:", "      max_input_token: 5")...),
			nil, []wantProblem{{config.ErrUnknownKey, 6, "model_list[0].model_info.max_input_token", `did you mean "max_input_tokens"?`}}},
		{"unknown key in litellm_settings", doc("litellm_settings:", "  drop_param: true"),
			nil, []wantProblem{{config.ErrUnknownKey, 2, "litellm_settings.drop_param", `did you mean "drop_params"?`}}},
		{"unknown key in cache_params", doc("litellm_settings:", "  cache_params:", "    hots: localhost"),
			nil, []wantProblem{{config.ErrUnknownKey, 3, "litellm_settings.cache_params.hots", `did you mean "host"?`}}},
		{"unknown key in router_settings", doc("router_settings:", "  routing_stratgy: least-busy"),
			nil, []wantProblem{{config.ErrUnknownKey, 2, "router_settings.routing_stratgy", `did you mean "routing_strategy"?`}}},
		{"unknown key in retry_policy", doc("router_settings:", "  retry_policy:", "    TimeoutErrorRetrys: 2"),
			nil, []wantProblem{{config.ErrUnknownKey, 3, "router_settings.retry_policy.TimeoutErrorRetrys", `did you mean "TimeoutErrorRetries"?`}}},
		{"unknown key in general_settings", doc("general_settings:", "  master_kye: sk-1"),
			nil, []wantProblem{{config.ErrUnknownKey, 2, "general_settings.master_kye", `did you mean "master_key"?`}}},
		{"unknown key in guardrail params", doc("guardrails:", "  - guardrail_name: g", "    litellm_params:", "      guardrail: bedrock", "      guardrailIdentifer: abc"),
			nil, []wantProblem{{config.ErrUnknownKey, 5, "guardrails[0].litellm_params.guardrailIdentifer", `did you mean "guardrailIdentifier"?`}}},
		{"case-only difference", doc(model("model: openai/gpt-4o", "API_BASE: https://x")...),
			nil, []wantProblem{{config.ErrUnknownKey, 5, "model_list[0].litellm_params.API_BASE", `did you mean "api_base"?`}}},
		{"unknown key without a close match", doc("general_settings:", "  zzzzzzzzzz: 1"),
			nil, []wantProblem{{config.ErrUnknownKey, 2, "general_settings.zzzzzzzzzz", "unknown key"}}},

		// Wrong types.
		{"string where an integer is needed", doc(model("model: openai/gpt-4o", "rpm: abc")...),
			nil, []wantProblem{{config.ErrType, 5, "model_list[0].litellm_params.rpm", `expected an integer, got string "abc"`}}},
		{"list where seconds are needed", doc(model("model: openai/gpt-4o", "timeout: [1]")...),
			nil, []wantProblem{{config.ErrType, 5, "model_list[0].litellm_params.timeout", "expected a number of seconds, got a list"}}},
		{"word where a boolean is needed", doc(model("model: openai/gpt-4o", "drop_params: maybe")...),
			nil, []wantProblem{{config.ErrType, 5, "model_list[0].litellm_params.drop_params", "expected true or false"}}},
		{"boolean where a string is needed", doc(model("model: openai/gpt-4o", "api_base: true")...),
			nil, []wantProblem{{config.ErrType, 5, "model_list[0].litellm_params.api_base", "expected a string, got boolean true"}}},
		{"scalar where a list is needed", doc(model("model: openai/gpt-4o", "tags: prod")...),
			nil, []wantProblem{{config.ErrType, 5, "model_list[0].litellm_params.tags", "expected a list"}}},
		{"mapping where model_list is needed", doc("model_list:", "  model_name: m"),
			nil, []wantProblem{{config.ErrType, 2, "model_list", "expected a list of models, got a mapping"}}},
		{"scalar model_list entry", doc("model_list:", "  - gpt-4o"),
			nil, []wantProblem{{config.ErrType, 2, "model_list[0]", "expected a model"}}},
		{"bad value from the environment", doc(model("model: openai/gpt-4o", "timeout: os.environ/T")...),
			map[string]string{"T": "soon"}, []wantProblem{{config.ErrType, 5, "model_list[0].litellm_params.timeout", `"soon" from os.environ/T`}}},
		{"infinite number", doc("litellm_settings:", "  request_timeout: .inf"),
			nil, []wantProblem{{config.ErrType, 2, "litellm_settings.request_timeout", "expected a number of seconds"}}},
		{"custom tag", doc(model("model: openai/gpt-4o", "api_key: !Ref MyKey")...),
			nil, []wantProblem{{config.ErrType, 5, "model_list[0].litellm_params.api_key", "tag !Ref"}}},
		{"wrong type of environment_variables", doc("environment_variables:", "  A: [1]"),
			nil, []wantProblem{{config.ErrType, 2, "environment_variables.A", "expected a scalar value, got a list"}}},

		// Environment references.
		{"missing variable under a honoured key", doc(model("model: openai/gpt-4o", "api_key: os.environ/OPENAI_KEY_PROD")...),
			nil, []wantProblem{{config.ErrMissingEnv, 5, "model_list[0].litellm_params.api_key", "OPENAI_KEY_PROD is not set"}}},
		{"missing variable in the model string", doc(model("model: os.environ/MODEL")...),
			nil, []wantProblem{{config.ErrMissingEnv, 4, "model_list[0].litellm_params.model", "MODEL"}}},
		{"missing master key variable", doc("general_settings:", "  master_key: os.environ/LITELLM_MASTER_KEY"),
			nil, []wantProblem{{config.ErrMissingEnv, 2, "general_settings.master_key", "LITELLM_MASTER_KEY"}}},
		{"empty variable name", doc(model("model: openai/gpt-4o", "api_key: os.environ/")...),
			nil, []wantProblem{{config.ErrInvalid, 5, "model_list[0].litellm_params.api_key", "variable name"}}},

		// Providers.
		{"unknown provider", doc(model("model: bedrok/anthropic.claude-3")...),
			nil, []wantProblem{{config.ErrUnknownProvider, 4, "model_list[0].litellm_params.model", `unknown provider "bedrok"; did you mean "bedrock"?`}}},
		{"no provider prefix", doc(model("model: gpt-4o")...),
			nil, []wantProblem{{config.ErrUnknownProvider, 4, "model_list[0].litellm_params.model", "no provider prefix"}}},
		{"unknown custom_llm_provider", doc(model("model: my-model", "custom_llm_provider: opnai")...),
			nil, []wantProblem{{config.ErrUnknownProvider, 5, "model_list[0].litellm_params.custom_llm_provider", `did you mean "openai"?`}}},
		{"no model id", doc(model("model: bedrock/converse/")...),
			nil, []wantProblem{{config.ErrInvalid, 4, "model_list[0].litellm_params.model", "no model id"}}},
		{"api_base required", doc(model("model: azure/my-gpt4", "api_key: k")...),
			nil, []wantProblem{{config.ErrInvalid, 3, "model_list[0].litellm_params.api_base", "required for provider azure (or set AZURE_API_BASE)"}}},

		// AWS credentials.
		{"access key without secret", doc(model("model: bedrock/amazon.nova-pro-v1:0", "aws_access_key_id: AKIAEXAMPLE")...),
			nil, []wantProblem{{config.ErrInvalid, 5, "model_list[0].litellm_params.aws_access_key_id", "without aws_secret_access_key"}}},
		{"secret without access key", doc(model("model: bedrock/amazon.nova-pro-v1:0", "aws_secret_access_key: s3cr3t")...),
			nil, []wantProblem{{config.ErrInvalid, 5, "model_list[0].litellm_params.aws_secret_access_key", "without aws_access_key_id"}}},
		{"session token alone", doc(model("model: bedrock/amazon.nova-pro-v1:0", "aws_session_token: tok")...),
			nil, []wantProblem{{config.ErrInvalid, 5, "model_list[0].litellm_params.aws_session_token", "needs aws_access_key_id"}}},
		{"session name without role", doc(model("model: bedrock/amazon.nova-pro-v1:0", "aws_session_name: s")...),
			nil, []wantProblem{{config.ErrInvalid, 5, "model_list[0].litellm_params.aws_session_name", "without aws_role_name"}}},
		{"external id without role", doc(model("model: bedrock/amazon.nova-pro-v1:0", "aws_external_id: e")...),
			nil, []wantProblem{{config.ErrInvalid, 5, "model_list[0].litellm_params.aws_external_id", "without aws_role_name"}}},

		// Duplicates.
		{"duplicate model_info.id", doc(
			"model_list:",
			"  - model_name: a",
			"    litellm_params: {model: fake/a}",
			"    model_info: {id: dep-1}",
			"  - model_name: b",
			"    litellm_params: {model: fake/b}",
			"    model_info:",
			"      id: dep-1"),
			nil, []wantProblem{{config.ErrDuplicate, 8, "model_list[1].model_info.id", `"dep-1" is already used by model_list[0] (config.yaml:2)`}}},
		{"identical deployments", doc(
			"model_list:",
			"  - model_name: a",
			"    litellm_params: {model: fake/a}",
			"  - model_name: a",
			"    litellm_params: {model: fake/a}"),
			nil, []wantProblem{{config.ErrDuplicate, 4, "model_list[1]", "identical to model_list[0]"}}},
		{"duplicate key in a mapping", doc("litellm_settings:", "  drop_params: true", "  drop_params: false"),
			nil, []wantProblem{{config.ErrDuplicate, 3, "", `key "drop_params" is given twice (first at line 2)`}}},
		{"duplicate key does not stop decoding", doc("litellm_settings:", "  drop_params: true", "  drop_params: false", "  num_retires: 1"),
			nil, []wantProblem{
				{config.ErrDuplicate, 3, "", `key "drop_params" is given twice`},
				{config.ErrUnknownKey, 4, "litellm_settings.num_retires", `did you mean "num_retries"?`},
			}},
		{"both spellings of enable_pre_call_checks", doc("router_settings:", "  enable_pre_call_checks: true", "  enable_pre_call_check: true"),
			nil, []wantProblem{{config.ErrDuplicate, 3, "router_settings.enable_pre_call_check", "keep one"}}},

		// Durations and ranges.
		{"bad duration unit", doc("litellm_settings:", "  budget_duration: 30x"),
			nil, []wantProblem{{config.ErrInvalid, 2, "litellm_settings.budget_duration", `unknown unit "x"`}}},
		{"duration without unit", doc("litellm_settings:", "  internal_user_budget_duration: 30"),
			nil, []wantProblem{{config.ErrInvalid, 2, "litellm_settings.internal_user_budget_duration", "no unit"}}},
		{"negative rpm", doc(model("model: fake/x", "rpm: -1")...),
			nil, []wantProblem{{config.ErrInvalid, 5, "model_list[0].litellm_params.rpm", "must not be negative"}}},
		{"negative weight", doc(model("model: fake/x", "weight: -0.5")...),
			nil, []wantProblem{{config.ErrInvalid, 5, "model_list[0].litellm_params.weight", "must not be negative"}}},
		{"zero timeout", doc(model("model: fake/x", "timeout: 0")...),
			nil, []wantProblem{{config.ErrInvalid, 5, "model_list[0].litellm_params.timeout", "greater than 0"}}},
		{"zero request timeout", doc("litellm_settings:", "  request_timeout: 0"),
			nil, []wantProblem{{config.ErrInvalid, 2, "litellm_settings.request_timeout", "greater than 0"}}},
		{"unknown mode", doc(append(model("model: fake/x"), "    model_info:", "      mode: embeding")...),
			nil, []wantProblem{{config.ErrInvalid, 6, "model_list[0].model_info.mode", `did you mean "embedding"?`}}},

		// Fallbacks.
		{"fallback to a missing group", doc(append(model("model: fake/x"), "litellm_settings:", "  fallbacks: [{m: [claude]}]")...),
			nil, []wantProblem{{config.ErrInvalid, 6, "litellm_settings.fallbacks[0]", `model group "claude" does not exist`}}},
		{"fallback from a missing group", doc(append(model("model: fake/x"), "router_settings:", "  context_window_fallbacks:", "    - mm: [m]")...),
			nil, []wantProblem{{config.ErrInvalid, 7, "router_settings.context_window_fallbacks[0]", `"mm" does not exist; did you mean "m"?`}}},
		{"default fallback missing", doc(append(model("model: fake/x"), "router_settings:", "  default_fallbacks: [m, gone]")...),
			nil, []wantProblem{{config.ErrInvalid, 6, "router_settings.default_fallbacks[1]", `"gone" does not exist`}}},
		{"fallback entry with two keys", doc(append(model("model: fake/x"), "router_settings:", "  fallbacks:", "    - {m: [m], n: [m]}")...),
			nil, []wantProblem{{config.ErrType, 7, "router_settings.fallbacks[0]", "several keys"}}},
		{"alias to a missing group", doc(append(model("model: fake/x"), "router_settings:", "  model_group_alias:", "    gpt-4: gpt-5")...),
			nil, []wantProblem{{config.ErrInvalid, 7, "router_settings.model_group_alias.gpt-4", `"gpt-5" does not exist`}}},

		// Required keys.
		{"missing model", doc("model_list:", "  - model_name: m", "    litellm_params:", "      api_base: https://x"),
			nil, []wantProblem{{config.ErrInvalid, 4, "model_list[0].litellm_params.model", "required"}}},
		{"missing litellm_params", doc("model_list:", "  - model_name: m"),
			nil, []wantProblem{{config.ErrInvalid, 2, "model_list[0].litellm_params", "required"}}},
		{"guardrail without integration", doc("guardrails:", "  - guardrail_name: g"),
			nil, []wantProblem{{config.ErrInvalid, 2, "guardrails[0].litellm_params.guardrail", "required"}}},

		// YAML syntax and shape.
		{"syntax error", doc("model_list:", "  - model_name: m", "   bad: [unclosed"),
			nil, []wantProblem{{config.ErrSyntax, 3, "", ""}}},
		{"top level is a list", doc("- a", "- b"),
			nil, []wantProblem{{config.ErrSyntax, 1, "", "top level must be a mapping"}}},
		{"two documents", doc("model_list: []", "---", "model_list: []"),
			nil, []wantProblem{{config.ErrSyntax, 2, "", "second YAML document"}}},
		{"unknown alias", doc("model_list:", "  - *nope"),
			nil, []wantProblem{{config.ErrSyntax, 2, "", "unknown anchor"}}},
		{"invalid UTF-8", "model_list: []\nx: \xff\n",
			nil, []wantProblem{{config.ErrSyntax, 2, "", "invalid UTF-8"}}},
		{"control character", "model_list: []\n\x01\n",
			nil, []wantProblem{{config.ErrSyntax, 2, "", "control character"}}},
		{"tab indentation", "model_list:\n\t- model_name: m\n",
			nil, []wantProblem{{config.ErrSyntax, 2, "", "YAML does not allow tabs for indentation"}}},
		{"tab after spaces", doc("model_list:", "  - model_name: m", "    litellm_params:", "  \t  model: fake/m"),
			nil, []wantProblem{{config.ErrSyntax, 4, "", "YAML does not allow tabs for indentation"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := config.Parse("config.yaml", []byte(tt.src), envOf(tt.env))
			if err == nil {
				t.Fatalf("no error; config %+v", cfg)
			}
			if cfg != nil {
				t.Error("config returned with an error")
			}
			var e *config.Error
			if !errors.As(err, &e) {
				t.Fatalf("error %T is not *config.Error: %v", err, err)
			}
			if len(e.Problems) != len(tt.want) {
				t.Fatalf("got %d problems, want %d:\n%v", len(e.Problems), len(tt.want), err)
			}
			for i, w := range tt.want {
				p := e.Problems[i]
				if !errors.Is(p, w.class) || !errors.Is(err, w.class) {
					t.Errorf("problem %d: %v is not %v", i, p, w.class)
				}
				if p.File != "config.yaml" || p.Line != w.line || p.Path != w.path {
					t.Errorf("problem %d at %s:%d %q, want config.yaml:%d %q (%v)", i, p.File, p.Line, p.Path, w.line, w.path, p)
				}
				if !strings.Contains(p.Error(), w.msg) {
					t.Errorf("problem %d: %q lacks %q", i, p.Error(), w.msg)
				}
			}
		})
	}
}

func TestProblemFormat(t *testing.T) {
	src := doc(
		"model_list:",
		"  - model_name: a",
		"    litellm_params: {model: fake/a}",
		"  - model_name: b",
		"    litellm_params: {model: fake/b}",
		"  - model_name: c",
		"    litellm_params: {model: fake/c}",
		"  - model_name: d",
		"    litellm_params:",
		"      model: openai/gpt-4o",
		"      api_bas: https://example.com",
		"      rpm: lots",
	)
	_, err := config.Parse("config.yaml", []byte(src), envOf(nil))
	want := `config.yaml:11: model_list[3].litellm_params.api_bas: unknown key; did you mean "api_base"?` + "\n" +
		`config.yaml:12: model_list[3].litellm_params.rpm: expected an integer, got string "lots"`
	if err == nil || err.Error() != want {
		t.Errorf("error:\n%v\nwant:\n%s", err, want)
	}
}

func TestAllProblemsReportedInOrder(t *testing.T) {
	src := doc(
		"router_settings:",
		"  num_retires: 2",
		"model_list:",
		"  - model_name: m",
		"    litellm_params:",
		"      model: nope/x",
		"      api_key: os.environ/MISSING_ONE",
		"      aws_session_name: s",
		"general_settings:",
		"  master_key: os.environ/MISSING_TWO",
	)
	_, err := config.Parse("config.yaml", []byte(src), envOf(nil))
	var e *config.Error
	if !errors.As(err, &e) {
		t.Fatalf("%v", err)
	}
	var lines []int
	for _, p := range e.Problems {
		lines = append(lines, p.Line)
	}
	want := []int{2, 6, 7, 8, 10}
	if len(lines) != len(want) {
		t.Fatalf("problem lines %v, want %v:\n%v", lines, want, err)
	}
	for i := range want {
		if lines[i] != want[i] {
			t.Fatalf("problem lines %v, want %v:\n%v", lines, want, err)
		}
	}
	for _, class := range []error{config.ErrUnknownKey, config.ErrUnknownProvider, config.ErrMissingEnv, config.ErrInvalid} {
		if !errors.Is(err, class) {
			t.Errorf("error does not match %v", class)
		}
	}
	if errors.Is(err, config.ErrType) {
		t.Error("error matches ErrType though no problem is a type error")
	}
}
