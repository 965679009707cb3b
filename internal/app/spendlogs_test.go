package app

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
)

// TestDisableSpendLogs: with general_settings.disable_spend_logs a call
// leaves no spend record (/spend/logs stays empty) while the user's spend
// total in /user/info still grows, as in LiteLLM.
func TestDisableSpendLogs(t *testing.T) {
	forEachStore(t, func(t *testing.T, newStoreEnv func(*testing.T) map[string]string) {
		path := filepath.Join(t.TempDir(), "config.yaml")
		cfg := "model_list:\n  - model_name: gpt-4o-mini\n    litellm_params: {model: fake/gpt-4o-mini}\n" +
			"general_settings:\n  disable_spend_logs: true\n"
		if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
			t.Fatal(err)
		}
		gw := startLocalApp(t, newStoreEnv(t), Options{ConfigPaths: []string{path}}).gw
		call := func(method, path, key, body string) (int, string) {
			t.Helper()
			req, _ := http.NewRequest(method, gw.URL+path, strings.NewReader(body))
			req.Header.Set("Authorization", "Bearer "+key)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			return resp.StatusCode, string(b)
		}
		st, body := call("POST", "/user/new", idMaster, `{"user_id":"quiet","max_budget":10}`)
		if st != 200 {
			t.Fatalf("/user/new: %d %s", st, body)
		}
		key := between(body, `"key":"`, `"`)
		c := openai.NewClient(option.WithBaseURL(gw.URL+"/v1/"), option.WithAPIKey(key), option.WithMaxRetries(0))
		var raw *http.Response
		if _, err := c.Chat.Completions.New(context.Background(), openai.ChatCompletionNewParams{
			Model: "gpt-4o-mini", Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("hi")}},
			option.WithResponseInto(&raw)); err != nil {
			t.Fatal(err)
		}
		if cost := raw.Header.Get("X-Litellm-Response-Cost"); cost == "" || cost == "0" {
			t.Errorf("x-litellm-response-cost = %q: the call is still priced", cost)
		}

		st, body = call("GET", "/spend/logs", idMaster, "")
		var logs []map[string]any
		if err := json.Unmarshal([]byte(body), &logs); st != 200 || err != nil || len(logs) != 0 {
			t.Errorf("/spend/logs with spend logs off: %d %s", st, body)
		}
		st, body = call("GET", "/user/info?user_id=quiet", idMaster, "")
		var info struct {
			UserInfo struct {
				Spend float64 `json:"spend"`
			} `json:"user_info"`
		}
		if err := json.Unmarshal([]byte(body), &info); st != 200 || err != nil || info.UserInfo.Spend <= 0 {
			t.Errorf("/user/info spend with spend logs off: %d %s", st, body)
		}
	})
}
