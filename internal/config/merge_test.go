package config_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tollgate-gw/tollgate/internal/config"
)

// writeFiles writes each document to its own file and returns the paths.
func writeFiles(t *testing.T, docs ...string) []string {
	t.Helper()
	dir := t.TempDir()
	paths := make([]string, len(docs))
	for i, d := range docs {
		paths[i] = filepath.Join(dir, []string{"base.yaml", "region.yaml", "extra.yaml"}[i])
		if err := os.WriteFile(paths[i], []byte(d), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return paths
}

func TestMergeFiles(t *testing.T) {
	files := writeFiles(t,
		doc(
			"model_list:",
			"  - model_name: a",
			"    litellm_params: {model: fake/a, timeout: 10}",
			"litellm_settings:",
			"  drop_params: true",
			"  request_timeout: 30",
			"  success_callback: [s3]",
			"router_settings:",
			"  num_retries: 2",
			"  model_group_alias:",
			"    alias-a: a",
			"general_settings:",
			"  max_request_size_mb: 4",
		),
		doc(
			"model_list:",
			"  - model_name: b",
			"    litellm_params: {model: fake/b}",
			"litellm_settings:",
			"  request_timeout: 60",
			"  success_callback: [langfuse]",
			"  drop_params:",
			"router_settings:",
			"  model_group_alias:",
			"    alias-b: b",
		),
		doc("model_list:"),
	)
	cfg, err := config.Load(envOf(nil), files...)
	if err != nil {
		t.Fatal(err)
	}
	if got := cfg.ModelGroups(); !slices.Equal(got, []string{"a", "b"}) {
		t.Errorf("model_list not concatenated: %v", got)
	}
	if cfg.ModelList[0].File != files[0] || cfg.ModelList[0].Line != 2 ||
		cfg.ModelList[1].File != files[1] || cfg.ModelList[1].Line != 2 {
		t.Errorf("positions: %s:%d, %s:%d", cfg.ModelList[0].File, cfg.ModelList[0].Line, cfg.ModelList[1].File, cfg.ModelList[1].Line)
	}
	if cfg.LiteLLM.RequestTimeout != 60*time.Second {
		t.Errorf("later file must win: request_timeout = %v", cfg.LiteLLM.RequestTimeout)
	}
	if d := cfg.LiteLLM.DropParams; d == nil || !*d {
		t.Errorf("a null in a later file must not erase: drop_params = %v", d)
	}
	if !slices.Equal(cfg.LiteLLM.SuccessCallback, []string{"s3", "langfuse"}) {
		t.Errorf("lists must concatenate: %v", cfg.LiteLLM.SuccessCallback)
	}
	if n := cfg.Router.NumRetries; n == nil || *n != 2 {
		t.Errorf("keys only in the first file survive: num_retries = %v", n)
	}
	if len(cfg.Router.ModelGroupAlias) != 2 {
		t.Errorf("mappings must deep-merge: %v", cfg.Router.ModelGroupAlias)
	}
	if m := cfg.General.MaxRequestSizeMB; m == nil || *m != 4 {
		t.Errorf("max_request_size_mb = %v", m)
	}
	for _, n := range cfg.Notices {
		if n.Path == "litellm_settings.success_callback" && n.File != files[0] {
			t.Errorf("notice for the merged list points at %s, want the first file", n.File)
		}
		if n.Path == "router_settings.model_group_alias" && n.File != files[0] {
			t.Errorf("notice for the merged mapping points at %s", n.File)
		}
	}
}

func TestMergedErrorsPointAtTheirFile(t *testing.T) {
	files := writeFiles(t,
		doc(
			"model_list:",
			"  - model_name: a",
			"    litellm_params: {model: fake/a}",
			"  - model_name: b",
			"    litellm_params: {model: fake/b}",
		),
		doc(
			"# region file",
			"model_list:",
			"  - model_name: c",
			"    litellm_params:",
			"      model: fake/c",
			"      tmeout: 5",
			"litellm_settings:",
			"  fallbacks: [{c: [zz]}]",
		),
	)
	_, err := config.Load(envOf(nil), files...)
	var e *config.Error
	if !errors.As(err, &e) || len(e.Problems) != 2 {
		t.Fatalf("want 2 problems, got %v", err)
	}
	p := e.Problems[0]
	if p.File != files[1] || p.Line != 6 || p.Path != "model_list[0].litellm_params.tmeout" {
		t.Errorf("unknown key reported at %s:%d %s; want the region file's own index", p.File, p.Line, p.Path)
	}
	p = e.Problems[1]
	if p.File != files[1] || p.Line != 8 || p.Path != "litellm_settings.fallbacks[0]" {
		t.Errorf("fallback reported at %s:%d %s", p.File, p.Line, p.Path)
	}
}

func TestAnchorsAndMergeKeys(t *testing.T) {
	src := doc(
		"x-defaults: &defaults",
		"  model: fake/shared",
		"  timeout: 5",
		"model_list:",
		"  - model_name: a",
		"    litellm_params:",
		"      <<: *defaults",
		"      timeout: 9",
		"  - model_name: b",
		"    litellm_params: *defaults",
	)
	// x-defaults is not a LiteLLM key: LiteLLM ignores it, so Tollgate
	// refuses it rather than guess.
	_, err := config.Parse("config.yaml", []byte(src), envOf(nil))
	if !errors.Is(err, config.ErrUnknownKey) {
		t.Fatalf("want unknown key for x-defaults, got %v", err)
	}

	src = doc(
		"model_list:",
		"  - model_name: a",
		"    litellm_params: &defaults",
		"      model: fake/shared",
		"      timeout: 5",
		"  - model_name: b",
		"    litellm_params:",
		"      <<: *defaults",
		"      timeout: 9",
		"  - model_name: c",
		"    litellm_params:",
		"      <<: [{rpm: 1}, *defaults]",
		"      tpm: 3",
	)
	cfg, err := config.Parse("config.yaml", []byte(src), envOf(nil))
	if err != nil {
		t.Fatal(err)
	}
	a, b, c := cfg.ModelList[0].Params, cfg.ModelList[1].Params, cfg.ModelList[2].Params
	if a.Timeout != 5*time.Second || b.Timeout != 9*time.Second || b.Model != "fake/shared" {
		t.Errorf("merge key: a=%v b=%v %q", a.Timeout, b.Timeout, b.Model)
	}
	if c.Model != "fake/shared" || c.RPM == nil || *c.RPM != 1 || c.TPM == nil || *c.TPM != 3 {
		t.Errorf("merge list: %+v", c)
	}
}

func TestAliasBombIsRefused(t *testing.T) {
	src := doc(
		"a: &a [x, x, x, x, x, x, x, x, x, x]",
		"b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]",
		"c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]",
		"d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]",
		"e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]",
		"f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]",
		"litellm_settings:",
		"  success_callback: *f",
	)
	_, err := config.Parse("config.yaml", []byte(src), envOf(nil))
	if !errors.Is(err, config.ErrSyntax) {
		t.Fatalf("want ErrSyntax for an alias bomb, got %v", err)
	}
}

func TestSelfReferentialAlias(t *testing.T) {
	_, err := config.Parse("config.yaml", []byte("litellm_settings: &a\n  x: *a\n"), envOf(nil))
	var e *config.Error
	if !errors.As(err, &e) || !errors.Is(err, config.ErrSyntax) || e.Problems[0].Line != 2 {
		t.Fatalf("want ErrSyntax at line 2, got %v", err)
	}
}

func TestMergeKeyChainIsBounded(t *testing.T) {
	var b strings.Builder
	b.WriteString("x0: &m0 {k0: 0}\n")
	for i := 1; i < 3000; i++ {
		fmt.Fprintf(&b, "x%d: &m%d {<<: *m%d, k%d: %d}\n", i, i, i-1, i, i)
	}
	_, err := config.Parse("config.yaml", []byte(b.String()), envOf(nil))
	if !errors.Is(err, config.ErrSyntax) || !strings.Contains(err.Error(), "refusing to load") {
		t.Fatalf("want the expansion refused, got %.200v", err)
	}
}
