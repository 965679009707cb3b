package config_test

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tollgate-gw/tollgate/internal/config"
)

// FuzzParse feeds arbitrary text to Parse: it must never panic, every
// problem must name the file and a line or key path, and every config that
// loads must print.
func FuzzParse(f *testing.F) {
	seeds, err := filepath.Glob(testdata + "/*.yaml")
	if err != nil {
		f.Fatal(err)
	}
	more, err := filepath.Glob(compat + "/*.yaml")
	if err != nil {
		f.Fatal(err)
	}
	for _, path := range append(seeds, more...) {
		data, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	for _, s := range []string{
		"model_list:\n  - model_name: m\n    litellm_params: {model: bedrock/converse/x, aws_role_name: r, aws_session_name: s}\n",
		"a: &a [*a]\n",
		"model_list: [{model_name: a, litellm_params: {model: fake/a}}]\nrouter_settings: {fallbacks: [{a: [b]}], model_group_alias: {x: {model: a, hidden: true}}}\n",
		"environment_variables: {K: os.environ/SET_K}\ngeneral_settings: {master_key: os.environ/K}\n",
		"litellm_settings:\n  <<: {drop_params: true}\n  budget_duration: 1mo\n",
		"guardrails:\n  - guardrail_name: g\n    litellm_params: {guardrail: bedrock, mode: {tags: {a: pre_call}}}\n",
	} {
		f.Add([]byte(s))
	}
	opts := &config.LoadOptions{LookupEnv: func(name string) (string, bool) {
		if strings.HasPrefix(name, "SET_") {
			return "value-of-" + name, true
		}
		return "", false
	}}
	classes := []error{config.ErrSyntax, config.ErrUnknownKey, config.ErrDuplicate, config.ErrType,
		config.ErrMissingEnv, config.ErrUnknownProvider, config.ErrInvalid}
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := config.Parse("fuzz.yaml", data, opts)
		if err != nil {
			if cfg != nil {
				t.Fatal("config returned with an error")
			}
			var e *config.Error
			if !errors.As(err, &e) || len(e.Problems) == 0 {
				t.Fatalf("error is not a *config.Error with problems: %v", err)
			}
			for _, p := range e.Problems {
				if p.File != "fuzz.yaml" || (p.Line <= 0 && p.Path == "") {
					t.Fatalf("problem names no position or key path: %q (%s:%d %q)", p.Error(), p.File, p.Line, p.Path)
				}
				if !strings.HasPrefix(p.Error(), "fuzz.yaml") {
					t.Fatalf("problem message does not start with the file: %q", p.Error())
				}
				classified := false
				for _, c := range classes {
					classified = classified || errors.Is(p, c)
				}
				if !classified {
					t.Fatalf("problem matches no sentinel: %v", p)
				}
			}
			return
		}
		for _, n := range cfg.Notices {
			if n.File != "fuzz.yaml" || n.Line <= 0 || n.Path == "" {
				t.Fatalf("notice without position: %+v", n)
			}
		}
		for _, d := range cfg.ModelList {
			if d.Provider == "" || d.ModelID == "" || d.ID == "" || d.Line <= 0 {
				t.Fatalf("incomplete deployment: %+v", d)
			}
		}
		if err := cfg.WriteTable(io.Discard); err != nil {
			t.Fatal(err)
		}
		if err := cfg.Validate(); err != nil {
			t.Fatalf("a loaded config fails Validate: %v", err)
		}
	})
}
