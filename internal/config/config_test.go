package config_test

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/tollgate-gw/tollgate/internal/config"
	"github.com/tollgate-gw/tollgate/internal/period"
)

const (
	testdata = "../../testdata/config"
	compat   = testdata + "/compat/genai-gateway"
	base     = compat + "/default-config-base.yaml"
	details  = compat + "/details-for-models-that-need-additional-manual-config.yaml"
)

// envOf returns options whose environment is exactly vars.
func envOf(vars map[string]string) *config.LoadOptions {
	return &config.LoadOptions{LookupEnv: func(name string) (string, bool) {
		v, ok := vars[name]
		return v, ok
	}}
}

// modelNames decodes the model_name of every model_list entry with a plain
// yaml decode, independently of the package under test.
func modelNames(t *testing.T, files ...string) []string {
	t.Helper()
	var names []string
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var doc struct {
			ModelList []struct {
				ModelName string `yaml:"model_name"`
			} `yaml:"model_list"`
		}
		if err := yaml.Unmarshal(data, &doc); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		for _, m := range doc.ModelList {
			names = append(names, m.ModelName)
		}
	}
	return names
}

// lineOf finds the 1-based line of the first line in file containing s.
func lineOf(t *testing.T, file, s string) int {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	for i, l := range strings.Split(string(data), "\n") {
		if strings.Contains(l, s) {
			return i + 1
		}
	}
	t.Fatalf("%q not in %s", s, file)
	return 0
}

func TestLoadGenAIGatewayConfigs(t *testing.T) {
	tests := []struct {
		name  string
		files []string
	}{
		{"base+us-east-1", []string{base, compat + "/default-config-us-east-1.yaml"}},
		{"base+us-west-2", []string{base, compat + "/default-config-us-west-2.yaml"}},
		{"base+eu-west-1", []string{base, compat + "/default-config-eu-west-1.yaml"}},
		{"base+us-east-1+details", []string{base, compat + "/default-config-us-east-1.yaml", details}},
		{"details only (null model_list)", []string{details}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := config.Load(envOf(nil), tt.files...)
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			want := modelNames(t, tt.files...)
			var got []string
			for _, d := range cfg.ModelList {
				got = append(got, d.ModelName)
				if d.Provider == "" || d.ModelID == "" || len(d.ID) != 16 {
					t.Errorf("%s: provider %q, model id %q, id %q", d.ModelName, d.Provider, d.ModelID, d.ID)
				}
				if !slices.Contains(tt.files, d.File) || d.Line <= 0 {
					t.Errorf("%s: position %s:%d", d.ModelName, d.File, d.Line)
				}
			}
			if !slices.Equal(got, want) {
				t.Fatalf("model names:\n got %d %v\nwant %d %v", len(got), got, len(want), want)
			}
			if !slices.Equal(cfg.Files, tt.files) {
				t.Errorf("Files = %v", cfg.Files)
			}
		})
	}
}

func TestGenAIGatewayBaseSettings(t *testing.T) {
	region := compat + "/default-config-us-east-1.yaml"
	cfg, err := config.Load(envOf(nil), base, region)
	if err != nil {
		t.Fatal(err)
	}
	type key struct {
		path string
		kind config.Status
	}
	want := []struct {
		key
		line    string // text on the notice's line in the base file
		message string // substring of the message
	}{
		{key{"router_settings.redis_host", config.Replaced}, "redis_host:", "os.environ/REDIS_HOST not resolved because the setting is replaced"},
		{key{"router_settings.redis_password", config.Replaced}, "redis_password:", "DynamoDB"},
		{key{"router_settings.enable_pre_call_check", config.Renamed}, "enable_pre_call_check:", "enable_pre_call_checks"},
		{key{"environment_variables.STORE_MODEL_IN_DB", config.NoEffect}, "STORE_MODEL_IN_DB", ""},
		{key{"environment_variables.LITELLM_LOG", config.NoEffect}, "LITELLM_LOG", ""},
		{key{"litellm_settings.debug", config.NoEffect}, "debug: True", ""},
		{key{"litellm_settings.detailed_debug", config.NoEffect}, "detailed_debug", ""},
		{key{"litellm_settings.cache_params.type", config.Replaced}, "type: redis", "Redis is not available in serverless"},
		{key{"litellm_settings.cache_params.host", config.Replaced}, "    host: os.environ/REDIS_HOST", "os.environ/REDIS_HOST not resolved"},
		{key{"litellm_settings.success_callback", config.NotYet}, "success_callback:", "callbacks"},
		{key{"litellm_settings.failure_callback", config.NotYet}, "failure_callback:", ""},
		{key{"litellm_settings.service_callback", config.NotYet}, "service_callback:", ""},
	}
	got := map[key]config.Notice{}
	for _, n := range cfg.Notices {
		got[key{n.Path, n.Kind}] = n
		// The proxy budget is enforced (internal/ratelimit), and routing and
		// the response cache are honoured (internal/router, internal/cache):
		// no notice.
		if n.Path == "litellm_settings.max_budget" || n.Path == "litellm_settings.budget_duration" ||
			n.Path == "router_settings.routing_strategy" || n.Path == "litellm_settings.cache" {
			t.Errorf("unexpected notice for an honoured setting: %+v", n)
		}
	}
	for _, w := range want {
		n, ok := got[w.key]
		if !ok {
			t.Errorf("no %s notice for %s; notices: %v", w.kind, w.path, cfg.Notices)
			continue
		}
		if n.File != base || n.Line != lineOf(t, base, w.line) {
			t.Errorf("%s at %s:%d, want %s:%d", w.path, n.File, n.Line, base, lineOf(t, base, w.line))
		}
		if !strings.Contains(n.Message, w.message) {
			t.Errorf("%s message %q lacks %q", w.path, n.Message, w.message)
		}
	}
	for i := 1; i < len(cfg.Notices); i++ {
		a, b := cfg.Notices[i-1], cfg.Notices[i]
		if a.File == b.File && a.Line > b.Line {
			t.Errorf("notices out of order: %v before %v", a, b)
		}
	}
	// Children of a reported key do not repeat its notice.
	for _, n := range cfg.Notices {
		if strings.HasPrefix(n.Path, "litellm_settings.s3_callback_params.") {
			t.Errorf("child notice repeated: %v", n)
		}
	}

	if p := cfg.LiteLLM.BudgetDuration; p == nil || *p != (period.Period{N: 1, Unit: period.Month}) {
		t.Errorf("budget_duration = %v", p)
	}
	if b := cfg.LiteLLM.MaxBudget; b == nil || *b != 1e9 {
		t.Errorf("max_budget = %v", b)
	}
	if c := cfg.LiteLLM.Cache; c == nil || !*c {
		t.Errorf("cache = %v", c)
	}
	if cfg.LiteLLM.CacheParams.Type != "redis" || cfg.LiteLLM.CacheParams.Host != "" || cfg.LiteLLM.CacheParams.Password.IsSet() {
		t.Errorf("cache_params = %+v (references under replaced keys must stay unresolved)", cfg.LiteLLM.CacheParams)
	}
	if e := cfg.Router.EnablePreCallChecks; e == nil || !*e {
		t.Errorf("enable_pre_call_check was not read as enable_pre_call_checks: %v", e)
	}
	if cfg.Router.RoutingStrategy != "usage-based-routing-v2" || cfg.Router.RedisHost != "" {
		t.Errorf("router = %+v", cfg.Router)
	}
	if !slices.Equal(cfg.LiteLLM.SuccessCallback, []string{"s3"}) {
		t.Errorf("success_callback = %v", cfg.LiteLLM.SuccessCallback)
	}
	if cfg.Env["STORE_MODEL_IN_DB"] != "True" || cfg.Env["LITELLM_LOG"] != "DEBUG" {
		t.Errorf("env = %v", cfg.Env)
	}

	// Providers whose adapters have not shipped are loaded and flagged.
	pending := 0
	for _, d := range cfg.ModelList {
		switch d.Provider {
		case "gemini", "cohere":
			pending++
		}
	}
	flagged := 0
	for _, n := range cfg.Notices {
		if n.Kind == config.NotYet && strings.HasSuffix(n.Path, ".litellm_params.model") && strings.Contains(n.Message, "adapter has not shipped") {
			flagged++
		}
	}
	if pending != 9 || flagged != pending {
		t.Errorf("%d deployments on pending providers, %d flagged; want 9 and 9 (anthropic has shipped)", pending, flagged)
	}

	byName := map[string]config.Deployment{}
	for _, d := range cfg.ModelList {
		byName[d.ModelName] = d
	}
	titan := byName["amazon.titan-embed-text-v1"]
	if titan.File != region || titan.Params.DropParams == nil || !*titan.Params.DropParams {
		t.Errorf("titan embed: %s drop_params %v", titan.File, titan.Params.DropParams)
	}
	jamba := byName["ai21.jamba-1-5-large-v1:0"]
	if jamba.Provider != "bedrock" || jamba.Route != "converse" || jamba.ModelID != "ai21.jamba-1-5-large-v1:0" {
		t.Errorf("jamba: %+v", jamba)
	}
	hf := byName["meta-llama/Llama-3.2-1B"]
	if hf.Provider != "huggingface" || hf.ModelID != "meta-llama/Llama-3.2-1B" || hf.Route != "" {
		t.Errorf("huggingface: %+v", hf)
	}
}

func TestLoadLocalConfig(t *testing.T) {
	cfg, err := config.Load(envOf(nil), testdata+"/local.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Notices) != 0 {
		t.Errorf("local config has notices: %v", cfg.Notices)
	}
	want := modelNames(t, testdata+"/local.yaml")
	if got := cfg.ModelGroups(); !slices.Equal(got, want) {
		t.Fatalf("groups %v, want %v", got, want)
	}
	modes := map[string]string{}
	for _, d := range cfg.ModelList {
		if d.Provider != "fake" {
			t.Errorf("%s served by %s, want fake", d.ModelName, d.Provider)
		}
		modes[d.Info.Mode] = d.ModelName
		if d.ModelName == "fake-stream" {
			p := d.Params
			if p.MockLatency != 200*time.Millisecond || p.MockChunkDelay != 50*time.Millisecond ||
				p.MockStreamChunks == nil || *p.MockStreamChunks != 20 {
				t.Errorf("fake-stream knobs: %v %v %v", p.MockLatency, p.MockChunkDelay, p.MockStreamChunks)
			}
		}
	}
	for _, m := range []string{"chat", "embedding", "image_generation"} {
		if modes[m] == "" {
			t.Errorf("no %s model in local config", m)
		}
	}
	if d := cfg.LiteLLM.DropParams; d == nil || !*d {
		t.Errorf("drop_params = %v", d)
	}
	if cfg.LiteLLM.RequestTimeout != 600*time.Second {
		t.Errorf("request_timeout = %v", cfg.LiteLLM.RequestTimeout)
	}
}

func TestLoadNoFilesAndMissingFile(t *testing.T) {
	if _, err := config.Load(nil); err == nil {
		t.Error("Load with no files succeeded")
	}
	_, err := config.Load(nil, filepath.Join(t.TempDir(), "absent.yaml"))
	if !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v, want os.ErrNotExist", err)
	}
}

func TestNilOptionsUseProcessEnvironment(t *testing.T) {
	t.Setenv("TOLLGATE_CONFIG_TEST_KEY", "sk-from-process")
	src := "model_list:\n  - model_name: m\n    litellm_params:\n      model: openai/gpt-4o\n      api_key: os.environ/TOLLGATE_CONFIG_TEST_KEY\n"
	cfg, err := config.Parse("config.yaml", []byte(src), nil)
	if err != nil {
		t.Fatal(err)
	}
	k := cfg.ModelList[0].Params.APIKey
	if k.Reveal() != "sk-from-process" || k.EnvVar() != "TOLLGATE_CONFIG_TEST_KEY" {
		t.Errorf("api_key = %q from %q", k.Reveal(), k.EnvVar())
	}
	if v, ok := cfg.LookupEnv("TOLLGATE_CONFIG_TEST_KEY"); !ok || v != "sk-from-process" {
		t.Errorf("LookupEnv = %q, %v", v, ok)
	}
}

func TestEnvironmentVariablesSectionResolvesFirst(t *testing.T) {
	src := `
model_list:
  - model_name: m
    litellm_params:
      model: openai/gpt-4o
      api_base: os.environ/MY_BASE
      api_key: os.environ/MY_KEY
environment_variables:
  MY_BASE: https://from-config.example/v1
  MY_KEY: os.environ/REAL_KEY
  FLAG: true
`
	cfg, err := config.Parse("config.yaml", []byte(src), envOf(map[string]string{
		"MY_BASE":  "https://from-process.example/v1",
		"REAL_KEY": "sk-real",
	}))
	if err != nil {
		t.Fatal(err)
	}
	p := cfg.ModelList[0].Params
	if p.APIBase != "https://from-config.example/v1" {
		t.Errorf("api_base = %q: environment_variables must win", p.APIBase)
	}
	if p.APIKey.Reveal() != "sk-real" {
		t.Errorf("api_key = %q", p.APIKey.Reveal())
	}
	if cfg.Env["FLAG"] != "true" {
		t.Errorf("FLAG = %q", cfg.Env["FLAG"])
	}
	if v, ok := cfg.LookupEnv("MY_BASE"); !ok || v != "https://from-config.example/v1" {
		t.Errorf("LookupEnv(MY_BASE) = %q", v)
	}
}
