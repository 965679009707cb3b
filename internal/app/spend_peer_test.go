package app

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
)

// TestUserRPMAndTPMThroughTheGateway runs the peer scenarios of a user's
// rpm and tpm limits through HTTP with the official OpenAI SDK, on both
// stores: every key of a user with rpm_limit 2 shares two requests a
// minute (the third is a 429 naming the user); a user with tpm_limit 1 is
// admitted once (the estimate fits) and refused once the actual tokens are
// counted. Admitted answers carry x-ratelimit-remaining-requests where the
// store reports it, soft budgets are flagged, and the calls show up in
// /spend/logs, /global/spend/report and /user/info.
func TestUserRPMAndTPMThroughTheGateway(t *testing.T) {
	forEachStore(t, func(t *testing.T, newStoreEnv func(*testing.T) map[string]string) {
		env := newStoreEnv(t)
		env["TOLLGATE_MASTER_KEY"] = idMaster
		gw := startLocalApp(t, env, Options{}).gw
		api := func(method, path, key, body string) (int, string) {
			t.Helper()
			return call(t, gw.URL, method, path, key, body)
		}
		post := func(path, body string) string {
			t.Helper()
			st, b := api("POST", path, idMaster, body)
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
		refused := func(err error, want string) *openai.Error {
			t.Helper()
			var e *openai.Error
			if !errors.As(err, &e) || e.StatusCode != http.StatusTooManyRequests || e.Type != "rate_limit_error" {
				t.Fatalf("want a 429 rate_limit_error, got %v", err)
			}
			if !strings.Contains(e.Message, want) || e.Response.Header.Get("Retry-After") == "" {
				t.Errorf("429 message %q lacks %q, or no Retry-After: %v", e.Message, want, e.Response.Header)
			}
			return e
		}

		// User rpm: two keys of one user share the user's two requests.
		userKey := between(post("/user/new", `{"user_id":"rpm-user","rpm_limit":2}`), `"key":"`, `"`)
		second := between(post("/key/generate", `{"user_id":"rpm-user"}`), `"key":"`, `"`)
		for i, k := range []string{userKey, second} {
			resp, err := chat(k)
			if err != nil {
				t.Fatalf("call %d: %v", i, err)
			}
			if resp.Header.Get("X-Ratelimit-Limit-Requests") != "2" {
				t.Errorf("call %d: x-ratelimit-limit-requests = %q", i, resp.Header.Get("X-Ratelimit-Limit-Requests"))
			}
			// One counter item: every store reports what remains.
			if got, want := resp.Header.Get("X-Ratelimit-Remaining-Requests"), []string{"1", "0"}[i]; got != want {
				t.Errorf("call %d: x-ratelimit-remaining-requests = %q, want %q", i, got, want)
			}
		}
		refused(func() error { _, err := chat(userKey); return err }(), "user rpm-user")

		// soft_budget 0: allowed, and flagged once anything was spent.
		softKey := between(post("/user/new", `{"user_id":"soft-user","soft_budget":0}`), `"key":"`, `"`)
		for i, want := range []string{"", "true", "true"} {
			resp, err := chat(softKey)
			if err != nil {
				t.Fatalf("soft budget call %d: %v", i, err)
			}
			if got := resp.Header.Get("X-Litellm-Soft-Budget-Exceeded"); got != want {
				t.Errorf("soft budget call %d: flag %q, want %q", i, got, want)
			}
		}

		// User tpm: the estimate of the first call fits in 1; its actual
		// tokens do not leave room for a second.
		tpmKey := between(post("/user/new", `{"user_id":"tpm-user","tpm_limit":1}`), `"key":"`, `"`)
		if _, err := chat(tpmKey); err != nil {
			t.Fatalf("tpm: first call: %v", err)
		}
		e := refused(func() error { _, err := chat(tpmKey); return err }(), "user tpm-user")
		if e.Response.Header.Get("X-Ratelimit-Limit-Tokens") != "1" || e.Response.Header.Get("X-Ratelimit-Remaining-Tokens") != "0" {
			t.Errorf("tpm 429 headers: %v", e.Response.Header)
		}

		// The spend shows up: the user's own logs, the admin's report, and
		// /user/info.
		st, body := api("GET", "/spend/logs", userKey, "")
		var logs []map[string]any
		if err := json.Unmarshal([]byte(body), &logs); st != 200 || err != nil || len(logs) != 2 {
			t.Fatalf("/spend/logs as rpm-user: %d %s", st, body)
		}
		for _, l := range logs {
			if l["user"] != "rpm-user" || l["model_group"] != "gpt-4o-mini" || l["status"] != "success" {
				t.Errorf("spend record %v", l)
			}
		}
		st, body = api("GET", "/global/spend/report?group_by=model", idMaster, "")
		if st != 200 || !strings.Contains(body, `"model":"gpt-4o-mini"`) || !strings.Contains(body, `"total_requests":6`) {
			t.Errorf("/global/spend/report: %d %s", st, body)
		}
		st, body = api("GET", "/user/info?user_id=rpm-user", userKey, "")
		var info struct {
			UserInfo struct {
				Spend float64 `json:"spend"`
			} `json:"user_info"`
		}
		if err := json.Unmarshal([]byte(body), &info); st != 200 || err != nil || info.UserInfo.Spend <= 0 {
			t.Errorf("/user/info spend: %d %s", st, body)
		}
		if st, body = api("GET", "/spend/logs?user_id=tpm-user", userKey, ""); st != 403 {
			t.Errorf("another user's spend logs: %d %s", st, body)
		}

		// The Bedrock interface is admitted and settled like chat: a model
		// rpm of 1 answers the second Converse with a throttling error.
		brKey := between(post("/key/generate", `{"model_rpm_limit":{"gpt-4o-mini":1}}`), `"key":"`, `"`)
		converse := func() *http.Response {
			req, _ := http.NewRequest("POST", gw.URL+"/bedrock/model/gpt-4o-mini/converse",
				strings.NewReader(`{"messages":[{"role":"user","content":[{"text":"hi"}]}]}`))
			req.Header.Set("Authorization", "Bearer "+brKey)
			req.Header.Set("Content-Type", "application/json")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			return resp
		}
		if resp := converse(); resp.StatusCode != 200 || resp.Header.Get("X-Litellm-Response-Cost") == "" ||
			resp.Header.Get("X-Ratelimit-Remaining-Requests") != "0" {
			t.Errorf("converse: %d %v", resp.StatusCode, resp.Header)
		}
		if resp := converse(); resp.StatusCode != 429 || resp.Header.Get("X-Amzn-Errortype") == "" || resp.Header.Get("Retry-After") == "" {
			t.Errorf("converse over the limit: %d %v", resp.StatusCode, resp.Header)
		}
		st, body = api("GET", "/spend/logs?api_key="+brKey, idMaster, "")
		if st != 200 || strings.Count(body, `"request_id"`) != 1 {
			t.Errorf("converse spend record: %d %s", st, body)
		}
	})
}
