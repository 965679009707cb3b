package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
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
	withConfig := filepath.Join(dir, "cwd")
	if err := os.Mkdir(withConfig, 0o700); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(withConfig, "config.yaml"), "model_list:\n  - model_name: cwd-model\n    litellm_params:\n      model: fake/cwd\n")
	broken := filepath.Join(dir, "broken.yaml")
	writeFile(t, broken, "model_list:\n  - model_name: x\n    litellm_params:\n      model: fake/x\n      no_such_param_at_all: 1\n    no_such_key: 2\n")
	tests := []struct {
		name       string
		args       []string
		env        map[string]string // the environment (none when nil)
		dir        string            // the working directory, when set
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
		name:       "files after the flag",
		args:       []string{"-check", localConfig, extra},
		wantStatus: 0,
		wantOut:    []string{"gpt-4o-mini", "extra-model"},
	}, {
		name:       "no file: TOLLGATE_CONFIG",
		args:       []string{"-check"},
		env:        map[string]string{"TOLLGATE_CONFIG": extra},
		wantStatus: 0,
		wantOut:    []string{"extra-model"},
		wantErr:    []string{"checking " + extra + ", the config the gateway would serve"},
	}, {
		name:       "no file: ./config.yaml",
		args:       []string{"-check"},
		dir:        withConfig,
		wantStatus: 0,
		wantOut:    []string{"cwd-model"},
		wantErr:    []string{"checking config.yaml"},
	}, {
		name:       "no file and no config",
		args:       []string{"-check"},
		dir:        dir,
		wantStatus: 1,
		wantErr:    []string{"no config"},
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
		wantErr:    []string{`unexpected argument "serve"`, "-check [FILE...]"},
	}, {
		name:       "unknown flag",
		args:       []string{"-chek", localConfig},
		wantStatus: 2,
		wantErr:    []string{"flag provided but not defined: -chek"},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			if tt.dir != "" {
				t.Chdir(tt.dir)
			}
			status := run(tt.args, &stdout, &stderr, func(k string) string { return tt.env[k] })
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

// TestStartFailure: a config that does not load stops the gateway with
// status 1; for a person (a terminal, or TOLLGATE_LOG_FORMAT=text) as one
// problem a line, for a log collector as one JSON record.
func TestStartFailure(t *testing.T) {
	dir := t.TempDir()
	broken := filepath.Join(dir, "broken.yaml")
	writeFile(t, broken, "model_list:\n  - model_name: x\n    litellm_params:\n      model: fake/x\n      api_bas: y\n\t- model_name: z\n")
	unknown := filepath.Join(dir, "unknown.yaml")
	writeFile(t, unknown, "model_list:\n  - model_name: x\n    litellm_params:\n      model: fake/x\n      api_bas: y\n  - model_nam: z\n")
	tests := []struct {
		name, file, format string
		want               []string // patterns of whole lines of stderr, in order
	}{
		{"a tab, for a person", broken, "text", []string{
			`gateway: the config does not load:`,
			`  ` + regexp.QuoteMeta(broken) + `:6: .*: this line is indented with a tab, and YAML does not allow tabs for indentation; indent with spaces`,
		}},
		{"unknown keys, for a person", unknown, "text", []string{
			`gateway: the config does not load \(4 problems\):`,
			`  ` + regexp.QuoteMeta(unknown) + `:5: model_list\[0\]\.litellm_params\.api_bas: unknown key; did you mean "api_base"\?`,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := map[string]string{"TOLLGATE_CONFIG": tt.file, "TOLLGATE_LOG_FORMAT": tt.format, "TOLLGATE_DATA_DIR": t.TempDir()}
			var stdout, stderr bytes.Buffer
			if status := run(nil, &stdout, &stderr, func(k string) string { return env[k] }); status != 1 {
				t.Fatalf("exit status %d, want 1\n%s", status, &stderr)
			}
			lines := strings.Split(stderr.String(), "\n")
			at := 0
			for _, l := range lines {
				if at < len(tt.want) && regexp.MustCompile("^"+tt.want[at]+"$").MatchString(l) {
					at++
				}
				if strings.HasPrefix(l, "{") {
					t.Errorf("a JSON line for a person: %s", l)
				}
			}
			if at < len(tt.want) {
				t.Errorf("stderr lacks line %q:\n%s", tt.want[at], &stderr)
			}
		})
	}
	t.Run("for a log collector", func(t *testing.T) {
		env := map[string]string{"TOLLGATE_CONFIG": unknown, "TOLLGATE_LOG_FORMAT": "json", "TOLLGATE_DATA_DIR": t.TempDir()}
		var stdout, stderr bytes.Buffer
		if status := run(nil, &stdout, &stderr, func(k string) string { return env[k] }); status != 1 {
			t.Fatalf("exit status %d, want 1\n%s", status, &stderr)
		}
		var last map[string]any
		for _, l := range strings.Split(strings.TrimSpace(stderr.String()), "\n") {
			if err := json.Unmarshal([]byte(l), &last); err != nil {
				t.Fatalf("not a JSON line: %q", l)
			}
		}
		if last["level"] != "ERROR" || !strings.Contains(last["error"].(string), "api_bas") {
			t.Errorf("last record %v", last)
		}
	})
	t.Run("an unknown format", func(t *testing.T) {
		var stdout, stderr bytes.Buffer
		env := map[string]string{"TOLLGATE_LOG_FORMAT": "yaml"}
		if status := run(nil, &stdout, &stderr, func(k string) string { return env[k] }); status != 2 || !strings.Contains(stderr.String(), "want json or text") {
			t.Errorf("exit status %d: %s", status, &stderr)
		}
	})
}
