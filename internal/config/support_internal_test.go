package config

import (
	"reflect"
	"strings"
	"testing"

	"github.com/tollgate-gw/tollgate/internal/period"
)

// typedPatterns maps the key path pattern of every typed field reachable
// from t to the field's type.
func typedPatterns(t reflect.Type, prefix string, out map[string]reflect.Type) {
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if tag == "" || tag == "-" {
			continue
		}
		p := joinPattern(prefix, tag)
		out[p] = f.Type
		ft := f.Type
		if ft.Kind() == reflect.Pointer {
			ft = ft.Elem()
		}
		switch ft {
		case reflect.TypeOf(modelList{}):
			typedPatterns(reflect.TypeOf(deploymentDoc{}), p+"[]", out)
			continue
		case reflect.TypeOf(guardrailList{}):
			typedPatterns(reflect.TypeOf(Guardrail{}), p+"[]", out)
			continue
		case reflect.TypeOf(GuardrailMode{}):
			typedPatterns(reflect.TypeOf(guardrailModeMap{}), p, out)
			continue
		case reflect.TypeOf(Secret{}), reflect.TypeOf(period.Period{}), reflect.TypeOf(Fallbacks{}), durationType:
			continue
		}
		switch ft.Kind() {
		case reflect.Struct:
			typedPatterns(ft, p, out)
		case reflect.Slice:
			if ft.Elem().Kind() == reflect.Struct {
				typedPatterns(ft.Elem(), p+"[]", out)
			}
		case reflect.Map:
			out[p+".*"] = ft.Elem()
			if ft.Elem().Kind() == reflect.Struct {
				typedPatterns(ft.Elem(), p+".*", out)
			}
		}
	}
}

func plainEntry(ix *tableIndex, pattern string) (entry, bool) {
	for _, e := range ix.byPattern[pattern] {
		if e.value == "" {
			return e, true
		}
	}
	return entry{}, false
}

// effective resolves an entry's status through inheriting parents.
func effective(t *testing.T, ix *tableIndex, e entry) (Status, string) {
	for e.status == inherit {
		if e.parent == "" {
			t.Errorf("top-level key %s has no status", e.pattern)
			return inherit, ""
		}
		pe, ok := plainEntry(ix, strings.TrimSuffix(e.parent, "[]"))
		if !ok {
			t.Errorf("%s: parent %s is not in the table", e.pattern, e.parent)
			return inherit, ""
		}
		e = pe
	}
	return e.status, e.why
}

func TestSupportTableMatchesTypes(t *testing.T) {
	ix := newTableIndex()
	typed := map[string]reflect.Type{}
	typedPatterns(reflect.TypeOf(document{}), "", typed)
	if len(typed) < 100 {
		t.Fatalf("only %d typed patterns found; the walk is broken", len(typed))
	}
	for p := range typed {
		if _, ok := plainEntry(ix, p); !ok {
			t.Errorf("typed field %s is not in the support table, so it can never be set", p)
		}
	}
	for p, es := range ix.byPattern {
		for _, e := range es {
			if e.status == Honoured {
				if _, ok := typed[p]; !ok {
					t.Errorf("%s is Honoured but has no typed field to carry it", p)
				}
			}
			if e.status == Renamed {
				te, ok := plainEntry(ix, joinPattern(e.parent, e.to))
				if !ok || typed[te.pattern] == nil {
					t.Errorf("%s is renamed to %q, which is not a typed key", p, e.to)
				}
			}
		}
	}
}

func TestSupportTableIsConsistent(t *testing.T) {
	ix := newTableIndex()
	for p, es := range ix.byPattern {
		plains, values := 0, map[string]bool{}
		for _, e := range es {
			if e.value == "" {
				plains++
			} else if values[e.value] {
				t.Errorf("%s: two rows for value %q", p, e.value)
			} else {
				values[e.value] = true
			}
			if e.status != inherit && e.status != Honoured && e.why == "" {
				t.Errorf("%s: status %v without a reason", p, e.status)
			}
			if (e.status == Renamed) != (e.to != "") {
				t.Errorf("%s: Renamed and to must go together", p)
			}
			if e.status == inherit {
				if st, _ := effective(t, ix, e); st == Honoured {
					t.Errorf("%s inherits Honoured; list Honoured keys explicitly so nothing is honoured by accident", p)
				}
			}
			if e.parent != "" {
				if _, ok := plainEntry(ix, strings.TrimSuffix(e.parent, "[]")); !ok {
					t.Errorf("%s hangs under %s, which is not in the table", p, e.parent)
				}
			}
		}
		if plains != 1 {
			t.Errorf("%s has %d unconditional rows, want 1", p, plains)
		}
	}
}

func TestSupportLookup(t *testing.T) {
	ix := newTableIndex()
	tests := []struct {
		parent, key, value string
		want               Status
		wantOK             bool
	}{
		{"model_list[].litellm_params", "api_base", "", Honoured, true},
		{"model_list[].litellm_params", "aws_role_name", "", Honoured, true},
		{"model_list[].litellm_params", "rpm", "", Honoured, true},
		{"model_list[].litellm_params", "max_retries", "", Honoured, true},
		{"model_list[].litellm_params", "itpm", "", NotYet, true},
		{"model_list[].litellm_params", "api_bas", "", 0, false},
		{"litellm_settings.cache_params", "type", "redis", Replaced, true},
		{"litellm_settings.cache_params", "type", "s3", Replaced, true},
		{"environment_variables", "ANYTHING", "", Honoured, true},
		{"environment_variables", "LITELLM_LOG", "", NoEffect, true},
		{"router_settings", "enable_pre_call_check", "", Renamed, true},
		{"", "unknown_section", "", 0, false},
	}
	for _, tt := range tests {
		e, ok := ix.lookup(tt.parent, tt.key, tt.value)
		if ok != tt.wantOK || (ok && e.status != tt.want) {
			t.Errorf("lookup(%q, %q, %q) = %v, %v; want %v, %v", tt.parent, tt.key, tt.value, e.status, ok, tt.want, tt.wantOK)
		}
	}
	e, _ := ix.lookup("litellm_settings.cache_params", "type", "redis")
	if !strings.Contains(e.why, "Redis is not available in serverless") {
		t.Errorf("redis cache reason = %q", e.why)
	}
	for _, k := range ix.keysUnder("environment_variables") {
		if k == "*" {
			t.Error("keysUnder offers * as a suggestion")
		}
	}
}
