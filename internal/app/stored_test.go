package app

import (
	"encoding/json"
	"log/slog"
	"maps"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tollgate-gw/tollgate/internal/clocktest"
	"github.com/tollgate-gw/tollgate/internal/provider/openai/openaitest"
)

// TestStoredModels: with store_model_in_db, a proxy admin adds a model
// through /model/new, calls it, renames it through /model/update and
// deletes it through /model/delete, on both stores; the instance that
// made each change serves it at once. Others are refused (403), a
// plaintext credential is refused naming the field with nothing stored,
// the file's models cannot be shadowed, changed or deleted, and with
// store_model_in_db off the routes say to set it.
func TestStoredModels(t *testing.T) {
	up := openaitest.NewServer(t, openaitest.JSON(200, `{"id":"c1","object":"chat.completion","created":1,"model":"up-model","choices":[{"index":0,"message":{"role":"assistant","content":"hi"},"finish_reason":"stop"}],"usage":{"prompt_tokens":3,"completion_tokens":1,"total_tokens":4}}`))
	writeConfig := func(t *testing.T, storeModels bool) string { return storedConfig(t, up.URL, storeModels) }
	chat := storedChat
	price := storedPrice
	forEachStore(t, func(t *testing.T, newStoreEnv func(*testing.T) map[string]string) {
		env := newStoreEnv(t)
		env["UP_KEY"] = "sk-upstream-from-env"
		a := startLocalApp(t, env, Options{ConfigPaths: []string{writeConfig(t, true)}})
		do := func(method, path, key, body string, want int) string {
			t.Helper()
			st, b := call(t, a.gw.URL, method, path, key, body)
			if st != want {
				t.Fatalf("%s %s %s: %d %s, want %d", method, path, body, st, b, want)
			}
			return b
		}
		stored := `{"model_name":"stored","litellm_params":{"model":"openai/up-model","api_base":"` + up.URL + `/v1","api_key":"os.environ/UP_KEY",` + price + `},"model_info":{"id":"s-1"}}`

		var key struct {
			Key string `json:"key"`
		}
		if err := json.Unmarshal([]byte(do("POST", "/key/generate", idMaster, `{}`, 200)), &key); err != nil {
			t.Fatal(err)
		}
		for _, r := range []struct{ method, path, body string }{
			{"POST", "/model/new", stored}, {"POST", "/model/update", `{"model_info":{"id":"s-1"},"model_name":"x"}`}, {"POST", "/model/delete", `{"id":"file-1"}`},
		} {
			if b := do(r.method, r.path, key.Key, r.body, 403); !strings.Contains(b, r.path) {
				t.Errorf("%s refusal does not name the route: %s", r.path, b)
			}
		}

		// A plaintext credential is refused, naming the field, and nothing
		// is stored or served.
		plain := strings.Replace(stored, "os.environ/UP_KEY", "sk-plaintext-123", 1)
		b := do("POST", "/model/new", idMaster, plain, 400)
		if !strings.Contains(b, "litellm_params.api_key") || !strings.Contains(b, "os.environ/") || strings.Contains(b, "sk-plaintext-123") {
			t.Fatalf("plaintext refusal: %s", b)
		}
		if _, err := a.rt.identity.store.GetModel(t.Context(), "s-1"); err == nil {
			t.Fatal("a refused model was stored")
		}
		// What the config refuses is refused with its message.
		b = do("POST", "/model/new", idMaster, strings.Replace(stored, "openai/up-model", "opanai/up-model", 1), 400)
		if !strings.Contains(b, `litellm_params.model: unknown provider \"opanai\"; did you mean \"openai\"?`) {
			t.Fatalf("config refusal: %s", b)
		}
		// The file's ids are the file's.
		do("POST", "/model/new", idMaster, strings.Replace(stored, `"s-1"`, `"file-1"`, 1), 409)
		do("POST", "/model/update", idMaster, `{"model_info":{"id":"file-1"},"model_name":"x"}`, 400)
		do("POST", "/model/delete", idMaster, `{"id":"file-1"}`, 400)
		do("POST", "/v1/chat/completions", idMaster, chat("stored"), 404)

		b = do("POST", "/model/new", idMaster, stored, 200)
		var view struct {
			ModelID   string          `json:"model_id"`
			ModelName string          `json:"model_name"`
			Params    json.RawMessage `json:"litellm_params"`
		}
		if err := json.Unmarshal([]byte(b), &view); err != nil || view.ModelID != "s-1" || view.ModelName != "stored" || strings.Contains(b, "sk-upstream-from-env") {
			t.Fatalf("/model/new = %s (%v)", b, err)
		}
		do("POST", "/model/new", idMaster, stored, 409)

		do("POST", "/v1/chat/completions", idMaster, chat("stored"), 200)
		last := up.Last(t)
		if got := last.Header.Get("Authorization"); got != "Bearer sk-upstream-from-env" || string(last.Field("model")) != `"up-model"` {
			t.Fatalf("upstream got Authorization %q, model %s", got, last.Field("model"))
		}
		if b := do("GET", "/v1/models", idMaster, "", 200); !strings.Contains(b, `"stored"`) || !strings.Contains(b, `"filed"`) {
			t.Fatalf("/v1/models = %s", b)
		}
		if b := do("GET", "/model/info", idMaster, "", 200); !strings.Contains(b, `"s-1"`) || strings.Contains(b, "sk-upstream-from-env") {
			t.Fatalf("/model/info = %s", b)
		}

		do("PATCH", "/model/update", idMaster, `{"model_info":{"id":"s-1"},"model_name":"renamed","litellm_params":{"rpm":100}}`, 200)
		do("POST", "/v1/chat/completions", idMaster, chat("renamed"), 200)
		do("POST", "/v1/chat/completions", idMaster, chat("stored"), 404)
		do("POST", "/model/update", idMaster, `{"model_info":{"id":"s-1"},"litellm_params":{"api_key":"sk-plaintext-123"}}`, 400)
		do("POST", "/model/update", idMaster, `{"model_info":{"id":"nope"},"model_name":"x"}`, 404)
		m, err := a.rt.identity.store.GetModel(t.Context(), "s-1")
		if err != nil || m.ModelName != "renamed" || strings.Contains(string(m.Params), "sk-plaintext-123") || !strings.Contains(string(m.Params), `"rpm":100`) {
			t.Fatalf("stored after updates: %+v %v", m, err)
		}

		if b := do("POST", "/model/delete", idMaster, `{"id":"s-1"}`, 200); !strings.Contains(b, "Model: s-1 deleted successfully") {
			t.Fatalf("/model/delete = %s", b)
		}
		do("POST", "/v1/chat/completions", idMaster, chat("renamed"), 404)
		do("POST", "/model/delete", idMaster, `{"id":"s-1"}`, 404)
		do("POST", "/v1/chat/completions", idMaster, chat("filed"), 200)
	})

	t.Run("off", func(t *testing.T) {
		a := startLocalApp(t, map[string]string{"TOLLGATE_DATA_DIR": t.TempDir(), "UP_KEY": "k"}, Options{ConfigPaths: []string{writeConfig(t, false)}})
		st, b := call(t, a.gw.URL, "POST", "/model/new", idMaster, `{"model_name":"x","litellm_params":{"model":"openai/x"}}`)
		if st != 400 || !strings.Contains(b, "store_model_in_db: true") {
			t.Fatalf("/model/new with store_model_in_db off: %d %s", st, b)
		}
	})
}

// storedPrice prices the stored test models (litellm_params).
const storedPrice = `"input_cost_per_token":0.000001,"output_cost_per_token":0.000002`

// storedConfig writes a config with one model, file-1 ("filed"), served by
// the upstream at upURL, and store_model_in_db as asked.
func storedConfig(t *testing.T, upURL string, storeModels bool) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "config.yaml")
	cfg := "model_list:\n  - model_name: filed\n    litellm_params: {model: openai/file-model, api_base: " + upURL + "/v1, api_key: os.environ/UP_KEY, " +
		strings.ReplaceAll(storedPrice, ":", ": ") + "}\n    model_info: {id: file-1}\n"
	if storeModels {
		cfg += "general_settings:\n  store_model_in_db: true\n"
	}
	if err := os.WriteFile(p, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func storedChat(model string) string {
	return `{"model":"` + model + `","messages":[{"role":"user","content":"hello"}]}`
}

// TestStoredModelsReachOtherInstances: a model stored through one instance
// (the admin function) is served by another within its config reload
// interval, and not before: that instance lists the stored models once
// per interval, not per request. A local config read once (no
// TOLLGATE_CONFIG_TTL) still has its stored models checked, at the default
// interval.
func TestStoredModelsReachOtherInstances(t *testing.T) {
	up := openaitest.NewServer(t, openaitest.JSON(200, `{"id":"c1","object":"chat.completion","created":1,"model":"up-model","choices":[{"index":0,"message":{"role":"assistant","content":"hi"},"finish_reason":"stop"}],"usage":{"prompt_tokens":3,"completion_tokens":1,"total_tokens":4}}`))
	cfgPath := storedConfig(t, up.URL, true)
	for _, ttl := range []string{"30s", ""} {
		t.Run("TOLLGATE_CONFIG_TTL="+ttl, func(t *testing.T) { storedModelsReachOthers(t, up, cfgPath, ttl) })
	}
}

// storedModelsReachOthers is TestStoredModelsReachOtherInstances with the
// second instance's TOLLGATE_CONFIG_TTL ("" unset); either way the interval
// is 30 s.
func storedModelsReachOthers(t *testing.T, up *openaitest.Server, cfgPath, ttl string) {
	env := dynamoEnv(t)
	env["UP_KEY"], env["TOLLGATE_MASTER_KEY"] = "sk-upstream-from-env", idMaster
	admin := startLocalApp(t, maps.Clone(env), Options{ConfigPaths: []string{cfgPath}})

	if ttl != "" {
		env["TOLLGATE_CONFIG_TTL"] = ttl
	}
	clock := clocktest.New(time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC))
	gw, err := start(t.Context(), Options{ConfigPaths: []string{cfgPath}, Logger: slog.New(slog.DiscardHandler),
		LookupEnv: func(k string) (string, bool) { v, ok := env[k]; return v, ok }}, clock.Now)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(gw.Handler)
	t.Cleanup(func() { srv.Close(); _ = gw.Close() })

	expect := func(url, method, path, body string, want int) {
		t.Helper()
		if st, b := call(t, url, method, path, idMaster, body); st != want {
			t.Fatalf("%s %s %s: %d %s, want %d", method, path, body, st, b, want)
		}
	}
	expect(admin.gw.URL, "POST", "/model/new", `{"model_name":"stored","litellm_params":{"model":"openai/up-model","api_base":"`+up.URL+`/v1","api_key":"os.environ/UP_KEY",`+storedPrice+`},"model_info":{"id":"s-1"}}`, 200)
	expect(admin.gw.URL, "POST", "/v1/chat/completions", storedChat("stored"), 200)
	clock.Advance(29 * time.Second)
	expect(srv.URL, "POST", "/v1/chat/completions", storedChat("stored"), 404)
	clock.Advance(time.Second)
	expect(srv.URL, "POST", "/v1/chat/completions", storedChat("stored"), 200)

	expect(admin.gw.URL, "POST", "/model/delete", `{"id":"s-1"}`, 200)
	expect(srv.URL, "POST", "/v1/chat/completions", storedChat("stored"), 200)
	clock.Advance(30 * time.Second)
	expect(srv.URL, "POST", "/v1/chat/completions", storedChat("stored"), 404)
	expect(srv.URL, "POST", "/v1/chat/completions", storedChat("filed"), 200)
}

// TestStoredModelLeftOutIsReported: a stored model that no longer loads (an
// environment variable it names is gone) is left out so that it cannot stop
// the file's models from serving, and /health/readiness says so: it used to
// drop out of /model/info and /v1/models with only a log line.
func TestStoredModelLeftOutIsReported(t *testing.T) {
	up := openaitest.NewServer(t, openaitest.JSON(200, `{"id":"c1","object":"chat.completion","created":1,"model":"file-model","choices":[{"index":0,"message":{"role":"assistant","content":"hi"},"finish_reason":"stop"}],"usage":{"prompt_tokens":3,"completion_tokens":1,"total_tokens":4}}`))
	cfgPath := storedConfig(t, up.URL, true)
	forEachStore(t, func(t *testing.T, newStoreEnv func(*testing.T) map[string]string) {
		env := newStoreEnv(t)
		env["UP_KEY"] = "sk-upstream-from-env"
		env["GONE_KEY"] = "sk-gone-soon"
		first := startLocalApp(t, env, Options{ConfigPaths: []string{cfgPath}})
		stored := `{"model_name":"stored","litellm_params":{"model":"openai/up-model","api_base":"` + up.URL + `/v1","api_key":"os.environ/GONE_KEY",` + storedPrice + `},"model_info":{"id":"s-gone"}}`
		if st, b := call(t, first.gw.URL, "POST", "/model/new", idMaster, stored); st != 200 {
			t.Fatalf("/model/new: %d %s", st, b)
		}
		if err := first.stop(); err != nil {
			t.Fatal(err)
		}

		later := make(map[string]string, len(env))
		for k, v := range env {
			if k != "GONE_KEY" {
				later[k] = v
			}
		}
		second := startLocalApp(t, later, Options{ConfigPaths: []string{cfgPath}})
		st, b := call(t, second.gw.URL, "GET", "/health/readiness", "", "")
		var ready struct {
			Status      string   `json:"status"`
			Deployments int      `json:"deployments"`
			Serving     int      `json:"serving_deployments"`
			Reasons     []string `json:"reasons"`
			Unavailable []struct {
				Model, Deployment, Reason string
			} `json:"unavailable_deployments"`
		}
		if err := json.Unmarshal([]byte(b), &ready); err != nil {
			t.Fatalf("readiness %d %s: %v", st, b, err)
		}
		if st != 200 || ready.Status != "degraded" || ready.Deployments != 2 || ready.Serving != 1 ||
			len(ready.Unavailable) != 1 || ready.Unavailable[0].Deployment != "s-gone" || ready.Unavailable[0].Model != "stored" ||
			!strings.Contains(ready.Unavailable[0].Reason, "GONE_KEY") || len(ready.Reasons) == 0 {
			t.Fatalf("readiness %d %s: want degraded, 2 deployments of which 1 serves, s-gone unavailable naming GONE_KEY", st, b)
		}
		if st, b := call(t, second.gw.URL, "POST", "/v1/chat/completions", idMaster, storedChat("filed")); st != 200 {
			t.Fatalf("the file's model stopped serving: %d %s", st, b)
		}
	})
}
