package app

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
)

// TestBudgetsAndLimitsThroughTheGateway runs the peer scenarios through
// HTTP with the official OpenAI SDK, on both stores: a zero-budget user
// admits one call then refuses with 400 budget_exceeded; a per-model rpm of
// 1 refuses the second call with 429, Retry-After and x-ratelimit headers;
// a team budget refuses a user whose own budget is ample; every answer
// carries x-litellm-response-cost.
func TestBudgetsAndLimitsThroughTheGateway(t *testing.T) {
	forEachStore(t, func(t *testing.T, newStoreEnv func(*testing.T) map[string]string) {
		env := newStoreEnv(t)
		env["TOLLGATE_MASTER_KEY"] = idMaster
		gw := startLocalApp(t, env, Options{}).gw
		post := func(path, body string) string {
			t.Helper()
			st, b := call(t, gw.URL, "POST", path, idMaster, body)
			if st != 200 {
				t.Fatalf("%s: %d %s", path, st, b)
			}
			return b
		}
		chat := func(key string) (*http.Response, error) {
			var raw *http.Response
			c := openai.NewClient(option.WithBaseURL(gw.URL+"/v1/"), option.WithAPIKey(key), option.WithMaxRetries(0))
			_, err := c.Chat.Completions.New(context.Background(), openai.ChatCompletionNewParams{
				Model: "gpt-4o-mini", Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("hi")}},
				option.WithResponseInto(&raw))
			return raw, err
		}
		refusal := func(err error, status int, typ string) *openai.Error {
			t.Helper()
			var e *openai.Error
			if !errors.As(err, &e) || e.StatusCode != status || e.Type != typ {
				t.Fatalf("want %d %s, got %v", status, typ, err)
			}
			return e
		}

		// Zero-budget user.
		key := between(post("/user/new", `{"user_id":"broke","max_budget":0}`), `"key":"`, `"`)
		resp, err := chat(key)
		if err != nil {
			t.Fatalf("a zero budget admits the first call: %v", err)
		}
		if c := resp.Header.Get("X-Litellm-Response-Cost"); c == "" || c == "0" {
			t.Errorf("x-litellm-response-cost = %q", c)
		}
		e := refusal(func() error { _, err := chat(key); return err }(), 400, "budget_exceeded")
		if !strings.Contains(e.Message, "user broke") || !strings.Contains(e.Message, "max budget 0 USD") {
			t.Errorf("budget message: %q", e.Message)
		}

		// Per-model rpm of 1.
		key = between(post("/key/generate", `{"model_rpm_limit":{"gpt-4o-mini":1}}`), `"key":"`, `"`)
		if resp, err = chat(key); err != nil {
			t.Fatal(err)
		}
		if resp.Header.Get("X-Ratelimit-Limit-Requests") != "1" || resp.Header.Get("X-Ratelimit-Reset-Requests") == "" {
			t.Errorf("x-ratelimit headers: %v", resp.Header)
		}
		e = refusal(func() error { _, err := chat(key); return err }(), 429, "rate_limit_error")
		if e.Response.Header.Get("Retry-After") == "" || e.Response.Header.Get("X-Ratelimit-Remaining-Requests") != "0" {
			t.Errorf("429 headers: %v", e.Response.Header)
		}

		// A team budget overrides a user's ample one.
		post("/team/new", `{"team_id":"t-poor","max_budget":0}`)
		post("/user/new", `{"user_id":"rich","max_budget":100}`)
		key = between(post("/key/generate", `{"user_id":"rich","team_id":"t-poor"}`), `"key":"`, `"`)
		if _, err := chat(key); err != nil {
			t.Fatal(err)
		}
		e = refusal(func() error { _, err := chat(key); return err }(), 400, "budget_exceeded")
		if !strings.Contains(e.Message, "team t-poor") {
			t.Errorf("team budget message: %q", e.Message)
		}
	})
}
