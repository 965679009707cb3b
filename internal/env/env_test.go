package env

import (
	"errors"
	"fmt"
	"os"
	"reflect"
	"regexp"
	"strings"
	"testing"
)

// TestRead: every variable lands in its field, trimmed; blank counts as
// unset; AWS_LAMBDA_RUNTIME_API sets InLambda.
func TestRead(t *testing.T) {
	vars := map[string]string{
		"TOLLGATE_CONFIG": " s3://b/config.yaml ", "OKTA_ISSUER": "https://idp", "OKTA_AUDIENCE": "api://x",
		"TOLLGATE_MASTER_KEY": "  ", LambdaRuntimeAPI: "127.0.0.1:9001",
	}
	e := Read(func(k string) (string, bool) { v, ok := vars[k]; return v, ok })
	if e.Config != "s3://b/config.yaml" || e.OktaIssuer != "https://idp" || e.OktaAudience != "api://x" || !e.InLambda {
		t.Errorf("Read = %+v", e)
	}
	if e.Has("TOLLGATE_MASTER_KEY") || !e.Has("TOLLGATE_CONFIG") {
		t.Errorf("Has: blank master key %v, config %v", e.Has("TOLLGATE_MASTER_KEY"), e.Has("TOLLGATE_CONFIG"))
	}
	// Each variable sets its own field and no other.
	for _, v := range Vars {
		one := Read(func(k string) (string, bool) { return "x-" + v.Name, k == v.Name })
		one.set = nil
		if reflect.DeepEqual(one, Env{}) {
			t.Errorf("%s sets no field", v.Name)
		}
		for _, w := range Vars {
			if w.Name == v.Name {
				continue
			}
			other := Read(func(k string) (string, bool) { return "x-" + w.Name, k == w.Name })
			other.set = nil
			if reflect.DeepEqual(one, other) {
				t.Errorf("%s and %s set the same field", v.Name, w.Name)
			}
		}
	}
}

func TestCheckLambda(t *testing.T) {
	has := func(names ...string) func(string) bool {
		return func(n string) bool {
			for _, m := range names {
				if m == n {
					return true
				}
			}
			return false
		}
	}
	for _, tc := range []struct {
		name string
		fn   Function
		set  []string
		want []string // requirement groups named in the error
	}{
		{"deployed", Gateway, []string{"TOLLGATE_CONFIG", "TOLLGATE_MASTER_KEY_SECRET_ARN"}, nil},
		{"plain master key", Admin, []string{"TOLLGATE_CONFIG", "TOLLGATE_MASTER_KEY"}, nil},
		{"nothing", Gateway, nil, []string{"config: set TOLLGATE_CONFIG", "master key: set TOLLGATE_MASTER_KEY or TOLLGATE_MASTER_KEY_SECRET_ARN"}},
		{"no master key", Admin, []string{"TOLLGATE_CONFIG"}, []string{"master key"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := CheckLambda(tc.fn, has(tc.set...))
			if len(tc.want) == 0 {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if !errors.Is(err, ErrMissing) {
				t.Fatalf("err = %v, want ErrMissing", err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("%v does not say %q", err, w)
				}
			}
		})
	}
}

// TestREADME: README.md's environment table lists exactly Vars, as
// README renders them; on failure the message holds the table to paste.
func TestREADME(t *testing.T) {
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	readme := string(b)
	want := Table()
	if !strings.Contains(readme, want) {
		t.Errorf("README.md's environment section does not hold the table of internal/env.Vars; paste:\n%s", want)
	}
	// And no variable of ours is documented there that Vars lacks.
	known := map[string]bool{}
	for _, v := range Vars {
		known[v.Name] = true
	}
	for _, m := range regexp.MustCompile("(?m)^\\| `((?:TOLLGATE|OKTA|JWT)_[A-Z_]+)`").FindAllStringSubmatch(readme, -1) {
		if !known[m[1]] {
			t.Errorf("README.md documents %s, which internal/env does not read", m[1])
		}
	}
}

// Table renders Vars as README.md's environment table (header included).
func Table() string {
	var b strings.Builder
	b.WriteString("| variable | functions | meaning | default |\n|---|---|---|---|\n")
	for _, v := range Vars {
		fns := make([]string, len(v.Functions))
		for i, f := range v.Functions {
			fns[i] = string(f)
		}
		meaning := v.Meaning
		if v.LambdaGroup != "" {
			var others []string
			for _, w := range Vars {
				if w.LambdaGroup == v.LambdaGroup && w.Name != v.Name {
					others = append(others, "`"+w.Name+"`")
				}
			}
			if len(others) == 0 {
				meaning += "; required in Lambda"
			} else {
				meaning += "; in Lambda, this or " + strings.Join(others, " or ") + " is required"
			}
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s | %s |\n", v.Name, strings.Join(fns, ", "), meaning, v.Default)
	}
	return b.String()
}
