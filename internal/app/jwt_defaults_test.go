package app

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// jwtDefaultsApp starts a gateway with JWT auth on and extra YAML merged over
// the local config: a priced model and whatever litellm_settings the test
// gives.
func jwtDefaultsApp(t *testing.T, env map[string]string, litellmSettings string) (*localApp, *loopbackIdP) {
	t.Helper()
	idp := newLoopbackIdP(t)
	extra := filepath.Join(t.TempDir(), "jwt-defaults.yaml")
	yaml := `model_list:
  - model_name: priced-echo
    litellm_params:
      model: fake/echo
      mock_response: "ok"
      input_cost_per_token: 0.001
      output_cost_per_token: 0.001
general_settings:
  enable_jwt_auth: true
` + litellmSettings
	if err := os.WriteFile(extra, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	env["OKTA_ISSUER"] = idp.url
	env["OKTA_AUDIENCE"] = "tollgate-test"
	return startLocalApp(t, env, Options{ConfigPaths: []string{localConfig, extra}}), idp
}

// TestJWTCallerWithoutUserRecordIsBudgeted: a JWT caller with no user record
// is held to default_internal_user_params and max_internal_user_budget:
// only the default models, and refused once the budget is spent. (It used to
// get every model without a budget: 20 of 20 calls passed a budget of $0.05.)
func TestJWTCallerWithoutUserRecordIsBudgeted(t *testing.T) {
	forEachStore(t, func(t *testing.T, newStoreEnv func(*testing.T) map[string]string) {
		a, idp := jwtDefaultsApp(t, newStoreEnv(t), `litellm_settings:
  max_internal_user_budget: 0.05
  default_internal_user_params:
    models: ["priced-echo"]
`)
		tok := idp.token(t, map[string]any{"sub": "newcomer", "aud": "tollgate-test"})
		if st, body := chat(t, a.gw.URL, tok, "gpt-4o-mini"); st != 403 || !strings.Contains(body, "not allowed for this user") {
			t.Errorf("a model beyond the default models: %d %s", st, body)
		}
		served := 0
		for range 20 {
			st, body := chat(t, a.gw.URL, tok, "priced-echo")
			if st == 200 {
				served++
				continue
			}
			if st != 400 || !strings.Contains(body, "budget_exceeded") {
				t.Fatalf("call %d: %d %s, want 200 or a budget refusal", served+1, st, body)
			}
			break
		}
		// Each call costs about $0.01 (a few tokens at $0.001 each).
		if served == 0 || served >= 20 {
			t.Fatalf("%d of 20 calls served on a $0.05 budget", served)
		}
	})
}

// TestJWTCallerWithoutDefaultsMayOnlySignUp: with no budgeted defaults, a JWT
// caller without a user record may call no model; creating its user (self
// sign-up) lets it in on the very next request, although the "no user"
// lookup was cached a moment before.
func TestJWTCallerWithoutDefaultsMayOnlySignUp(t *testing.T) {
	a, idp := jwtDefaultsApp(t, map[string]string{"TOLLGATE_STORE": "embedded", "TOLLGATE_DATA_DIR": t.TempDir(),
		"TOLLGATE_KEY_CACHE_TTL": "1h"}, "")
	tok := idp.token(t, map[string]any{"sub": "walk-in", "aud": "tollgate-test"})
	st, body := chat(t, a.gw.URL, tok, "fake-echo")
	if st != 403 || !strings.Contains(body, "no user record") || !strings.Contains(body, "/user/new") {
		t.Fatalf("chat without a user record or defaults: %d %s", st, body)
	}
	if st, body := call(t, a.gw.URL, "POST", "/user/new", tok, `{"max_budget":1}`); st != 200 {
		t.Fatalf("self sign-up: %d %s", st, body)
	}
	if st, body := chat(t, a.gw.URL, tok, "fake-echo"); st != 200 {
		t.Fatalf("chat right after sign-up: %d %s", st, body)
	}
}
