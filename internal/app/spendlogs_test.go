package app

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
)

// TestSpendLogSettings runs general_settings' spend-log controls through
// HTTP on both stores:
//   - disable_spend_logs: a call leaves no spend record (/spend/logs stays
//     empty) while the user's spend total in /user/info still grows, as in
//     LiteLLM;
//   - maximum_spend_logs_retention_period: the call's record expires that
//     long after it started.
func TestSpendLogSettings(t *testing.T) {
	tests := []struct {
		name    string
		general string
		check   func(t *testing.T, logs []map[string]any, userSpend float64)
	}{
		{"disable_spend_logs", "disable_spend_logs: true", func(t *testing.T, logs []map[string]any, spend float64) {
			if len(logs) != 0 {
				t.Errorf("/spend/logs with spend logs off: %v", logs)
			}
			if spend <= 0 {
				t.Errorf("/user/info spend = %v with spend logs off, want the call counted", spend)
			}
		}},
		{"maximum_spend_logs_retention_period", "maximum_spend_logs_retention_period: 2d", func(t *testing.T, logs []map[string]any, _ float64) {
			if len(logs) != 1 {
				t.Fatalf("/spend/logs: %v", logs)
			}
			start, err1 := time.Parse(time.RFC3339Nano, logs[0]["start_time"].(string))
			exp, err2 := time.Parse(time.RFC3339Nano, logs[0]["expires_at"].(string))
			if err1 != nil || err2 != nil || exp.Sub(start) != 48*time.Hour {
				t.Errorf("start %v, expires %v: want 48h apart", logs[0]["start_time"], logs[0]["expires_at"])
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			forEachStore(t, func(t *testing.T, newStoreEnv func(*testing.T) map[string]string) {
				path := filepath.Join(t.TempDir(), "config.yaml")
				cfg := "model_list:\n  - model_name: gpt-4o-mini\n    litellm_params: {model: fake/gpt-4o-mini}\n" +
					"general_settings:\n  " + tt.general + "\n"
				if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
					t.Fatal(err)
				}
				gw := startLocalApp(t, newStoreEnv(t), Options{ConfigPaths: []string{path}}).gw
				admin := func(method, path, body string, into any) {
					t.Helper()
					st, b := call(t, gw.URL, method, path, idMaster, body)
					if err := json.Unmarshal([]byte(b), into); st != 200 || err != nil {
						t.Fatalf("%s %s: %d %s", method, path, st, b)
					}
				}
				var user struct {
					Key string `json:"key"`
				}
				admin("POST", "/user/new", `{"user_id":"u","max_budget":10}`, &user)
				c := openai.NewClient(option.WithBaseURL(gw.URL+"/v1/"), option.WithAPIKey(user.Key), option.WithMaxRetries(0))
				var raw *http.Response
				if _, err := c.Chat.Completions.New(context.Background(), openai.ChatCompletionNewParams{
					Model: "gpt-4o-mini", Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("hi")}},
					option.WithResponseInto(&raw)); err != nil {
					t.Fatal(err)
				}
				if cost := raw.Header.Get("X-Litellm-Response-Cost"); cost == "" || cost == "0" {
					t.Errorf("x-litellm-response-cost = %q: the call is still priced", cost)
				}
				var logs []map[string]any
				admin("GET", "/spend/logs", "", &logs)
				var info struct {
					UserInfo struct {
						Spend float64 `json:"spend"`
					} `json:"user_info"`
				}
				admin("GET", "/user/info?user_id=u", "", &info)
				tt.check(t, logs, info.UserInfo.Spend)
			})
		})
	}
}
