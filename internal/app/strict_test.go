package app

import (
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tollgate-gw/tollgate/internal/provider/openai/openaitest"
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

// TestStrictBudgetReservesTheDearestFallback: a call is priced as the
// deployment that serves it, so strict mode reserves the dearest one the
// router may move to. "flaky" (cheap) always fails and falls back to
// "pricey": on a budget that covers flaky's reservation but not pricey's,
// the call is refused before any upstream is called, where it used to be
// admitted at flaky's price and served by pricey past the budget. A key
// that may not use pricey cannot fall back to it, so only flaky's price
// is reserved. On both stores.
func TestStrictBudgetReservesTheDearestFallback(t *testing.T) {
	forEachStore(t, func(t *testing.T, newStoreEnv func(*testing.T) map[string]string) {
		env := newStoreEnv(t)
		env["TOLLGATE_BUDGET_MODE"] = "strict"
		e := newBillingEnv(t, env)
		e.acts["strict"] = func(w http.ResponseWriter, r *http.Request, model string) {
			if model == "flaky-model" {
				openaitest.JSON(503, `{"error":{"message":"down","type":"server_error"}}`)(w, r)
				return
			}
			openaitest.JSON(200, chatJSON(model, "served by "+model, 10, 100))(w, r)
		}
		// 100 output tokens reserve 0.0002 USD on flaky, 0.003 on pricey.
		const budget = 0.001
		body := `{"model":"flaky","max_tokens":100,"messages":[{"role":"user","content":"strict"}]}`

		key := e.newKey(`{"max_budget":` + jsonFloat(budget) + `}`)
		resp, b := e.post(key, "strict-1", body, 0)
		if resp.StatusCode != 400 || !strings.Contains(b, "budget_exceeded") {
			t.Fatalf("a call that may fall back past the budget: %d %s", resp.StatusCode, b)
		}
		if n := len(e.up.Calls()); n != 0 {
			t.Fatalf("%d upstream calls for a refused call", n)
		}
		if spent, records := keySpend(t, e.url, key); spent > budget || records != 0 {
			t.Fatalf("spent %g over %d records on a strict budget of %g", spent, records, budget)
		}

		only := e.newKey(`{"max_budget":` + jsonFloat(budget) + `,"models":["flaky"]}`)
		if resp, b = e.post(only, "strict-2", body, 0); resp.StatusCode != 503 || strings.Contains(b, "served by") {
			t.Fatalf("a key that cannot fall back: %d %s", resp.StatusCode, b)
		}
	})
}
