package app

import (
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// strictConfig serves a custom-priced fake model with no output limit
// (custom) and one with model_info.max_output_tokens (capped).
const strictConfig = `model_list:
  - model_name: custom
    litellm_params:
      model: fake/custom
      input_cost_per_token: 0.000001
      output_cost_per_token: 0.000002
  - model_name: capped
    litellm_params:
      model: fake/capped
      input_cost_per_token: 0.000001
      output_cost_per_token: 0.000002
    model_info:
      max_output_tokens: 60
`

// TestStrictBudgetNeverOvershoots: in strict budget mode a key's spend
// never passes its budget, whatever the request looks like: a chunked body
// (no Content-Length), n choices, no max_tokens on a model with an output
// limit. A call whose output nothing bounds is refused with a 400 that says
// what to set, and costs nothing. On both stores.
func TestStrictBudgetNeverOvershoots(t *testing.T) {
	cfg := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(cfg, []byte(strictConfig), 0o600); err != nil {
		t.Fatal(err)
	}
	forEachStore(t, func(t *testing.T, newStoreEnv func(*testing.T) map[string]string) {
		env := newStoreEnv(t)
		env["TOLLGATE_BUDGET_MODE"] = "strict"
		gw := startLocalApp(t, env, Options{ConfigPaths: []string{cfg}}).gw
		const budget = 0.01
		_, body := call(t, gw.URL, "POST", "/key/generate", idMaster, `{"max_budget":0.01}`)
		key := between(body, `"key":"`, `"`)
		if key == "" {
			t.Fatalf("/key/generate: %s", body)
		}
		// chunked sends a chat request without Content-Length.
		chunked := func(body string) (int, string) {
			t.Helper()
			req, err := http.NewRequest("POST", gw.URL+"/v1/chat/completions", io.NopCloser(strings.NewReader(body)))
			if err != nil {
				t.Fatal(err)
			}
			req.ContentLength = -1
			req.Header.Set("Authorization", "Bearer "+key)
			req.Header.Set("Content-Type", "application/json")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			return resp.StatusCode, string(b)
		}
		prompt := strings.Repeat("tollgate ", 250)

		st, body := chunked(`{"model":"custom","messages":[{"role":"user","content":"` + prompt + `"}]}`)
		if st != 400 || !strings.Contains(body, "max_tokens_required") || !strings.Contains(body, "set max_tokens or max_completion_tokens") {
			t.Fatalf("unbounded call in strict mode: %d %s", st, body)
		}
		admitted := 0
		for i := range 60 {
			body := `{"model":"custom","n":4,"max_tokens":100,"messages":[{"role":"user","content":"` + prompt + `"}]}`
			if i%2 == 1 {
				body = `{"model":"capped","n":3,"messages":[{"role":"user","content":"` + prompt + `"}]}`
			}
			st, b := chunked(body)
			if st == 400 && strings.Contains(b, "budget_exceeded") {
				break
			}
			if st != 200 {
				t.Fatalf("call %d: %d %s", i, st, b)
			}
			admitted++
		}
		if admitted < 2 {
			t.Fatalf("only %d calls admitted on a budget of %g", admitted, budget)
		}
		spent, records := keySpend(t, gw.URL, key)
		if records != admitted || spent > budget || spent < budget/2 {
			t.Fatalf("%d calls admitted, %d records, spent %g of a strict budget of %g", admitted, records, spent, budget)
		}
	})
}

// keySpend sums a key's spend records, as /spend/logs shows them to the
// admin, and counts them.
func keySpend(t *testing.T, url, key string) (float64, int) {
	t.Helper()
	st, body := call(t, url, "GET", "/spend/logs?api_key="+key, idMaster, "")
	var logs []struct {
		Spend float64 `json:"spend"`
	}
	if err := json.Unmarshal([]byte(body), &logs); st != 200 || err != nil {
		t.Fatalf("/spend/logs: %d %s", st, body)
	}
	sum := 0.0
	for _, l := range logs {
		sum += l.Spend
	}
	return sum, len(logs)
}
