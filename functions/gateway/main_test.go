package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tollgate-gw/tollgate/internal/app"
)

const localConfig = "../../testdata/config/local.yaml"

// TestCheck runs `gateway -check` in process.
func TestCheck(t *testing.T) {
	dir := t.TempDir()
	extra := filepath.Join(dir, "extra.yaml")
	writeFile(t, extra, "model_list:\n  - model_name: extra-model\n    litellm_params:\n      model: fake/extra\n")
	broken := filepath.Join(dir, "broken.yaml")
	writeFile(t, broken, "model_list:\n  - model_name: x\n    litellm_params:\n      model: fake/x\n      no_such_param_at_all: 1\n    no_such_key: 2\n")
	tests := []struct {
		name       string
		args       []string
		wantStatus int
		wantOut    []string // substrings of stdout
		wantErr    []string // substrings of stderr
	}{{
		name:       "local config",
		args:       []string{"-check", localConfig},
		wantStatus: 0,
		wantOut:    []string{"MODEL NAME", "gpt-4o-mini", "fake-stream", "no notices"},
	}, {
		name:       "comma-separated files are merged",
		args:       []string{"-check", localConfig + "," + extra},
		wantStatus: 0,
		wantOut:    []string{"gpt-4o-mini", "extra-model"},
	}, {
		name:       "repeated flag merges too",
		args:       []string{"-check", localConfig, "-check", extra},
		wantStatus: 0,
		wantOut:    []string{"gpt-4o-mini", "extra-model"},
	}, {
		name:       "missing file",
		args:       []string{"-check", filepath.Join(dir, "missing.yaml")},
		wantStatus: 1,
		wantErr:    []string{"missing.yaml"},
	}, {
		name:       "invalid config names the file and line",
		args:       []string{"-check", broken},
		wantStatus: 1,
		wantErr:    []string{"broken.yaml:", "no_such_key"},
	}, {
		name:       "empty file list",
		args:       []string{"-check", " , "},
		wantStatus: 2,
		wantErr:    []string{"no file named"},
	}, {
		name:       "stray argument",
		args:       []string{"serve"},
		wantStatus: 2,
		wantErr:    []string{`unexpected argument "serve"`, "-check FILE"},
	}, {
		name:       "unknown flag",
		args:       []string{"-chek", localConfig},
		wantStatus: 2,
		wantErr:    []string{"flag provided but not defined: -chek"},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			status := run(tt.args, &stdout, &stderr, func(string) string { return "" })
			if status != tt.wantStatus {
				t.Errorf("exit status %d, want %d\nstdout:\n%s\nstderr:\n%s", status, tt.wantStatus, &stdout, &stderr)
			}
			for _, want := range tt.wantOut {
				if !strings.Contains(stdout.String(), want) {
					t.Errorf("stdout lacks %q:\n%s", want, &stdout)
				}
			}
			for _, want := range tt.wantErr {
				if !strings.Contains(stderr.String(), want) {
					t.Errorf("stderr lacks %q:\n%s", want, &stderr)
				}
			}
			if tt.wantStatus != 0 && stdout.Len() > 0 {
				t.Errorf("a failed check printed a table:\n%s", &stdout)
			}
		})
	}
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestAppOptions: under Lambda the gateway serves the data plane and
// settles before each handler returns; outside it, every route group, as a
// long-lived server whose background settles App.Close drains.
func TestAppOptions(t *testing.T) {
	for _, c := range []struct {
		inLambda  bool
		longLived bool
		groups    app.Groups
	}{
		{inLambda: true, longLived: false, groups: app.GroupDataPlane},
		{inLambda: false, longLived: true, groups: 0},
	} {
		o := appOptions(nil, c.inLambda)
		if o.LongLived != c.longLived || o.Groups != c.groups {
			t.Errorf("in Lambda %v: LongLived %v, Groups %v; want %v, %v", c.inLambda, o.LongLived, o.Groups, c.longLived, c.groups)
		}
	}
}
