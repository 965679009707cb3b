package app

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
)

// TestLegacyCompletions: the OpenAI SDK's legacy completions (JSON and
// streamed) through /v1/completions, bridged to chat, with a virtual key
// whose limits and model list apply as on chat.
func TestLegacyCompletions(t *testing.T) {
	forEachStore(t, testLegacyCompletions)
}

// TestBatchCompletion: model "a,b" on chat completions answers with the
// list of each model's completion, each call checked and billed as its own.
func TestBatchCompletion(t *testing.T) {
	a := startLocalApp(t, storeBackends[0].env(t), Options{})
	st, body := call(t, a.gw.URL, "POST", "/key/generate", idMaster, `{"models":["gpt-4o-mini","fake-echo"]}`)
	if st != 200 {
		t.Fatalf("/key/generate: %d %s", st, body)
	}
	key := between(body, `"key":"`, `"`)
	msgs := `"messages":[{"role":"user","content":"hi"}]`
	st, body = call(t, a.gw.URL, "POST", "/v1/chat/completions", key, `{"model":"gpt-4o-mini, fake-echo",`+msgs+`}`)
	if st != 200 || !strings.HasPrefix(body, `[{`) || strings.Count(body, `"object":"chat.completion"`) != 2 ||
		!strings.Contains(body, `"model":"gpt-4o-mini"`) || !strings.Contains(body, "Hello from Tollgate's fake provider.") {
		t.Errorf("batch: %d %s", st, body)
	}
	// Each call of the batch has a request id of its own, which names its
	// spend record and its leases (the calls used to share the batch's).
	st, body = call(t, a.gw.URL, "GET", "/spend/logs?api_key="+key, idMaster, "")
	var logs []struct {
		RequestID string `json:"request_id"`
	}
	if err := json.Unmarshal([]byte(body), &logs); st != 200 || err != nil || len(logs) != 2 || logs[0].RequestID == logs[1].RequestID {
		t.Errorf("a batch of 2 models: spend records %d %s", st, body)
	}
	for _, tt := range []struct{ body, want string }{
		{`{"model":"gpt-4o-mini,claude-3-haiku",` + msgs + `}`, `"code":"model_not_allowed"`},
		{`{"model":"gpt-4o-mini,fake-echo","stream":true,` + msgs + `}`, `"param":"stream"`},
	} {
		if st, body := call(t, a.gw.URL, "POST", "/v1/chat/completions", key, tt.body); st < 400 || !strings.Contains(body, tt.want) {
			t.Errorf("%s: %d %s", tt.body, st, body)
		}
	}
	if st, body := call(t, a.gw.URL, "POST", "/v1/embeddings", key, `{"model":"a,b","input":"x"}`); st != 400 || !strings.Contains(body, "batch completion") {
		t.Errorf("embeddings with a model list: %d %s", st, body)
	}
}

func testLegacyCompletions(t *testing.T, newStoreEnv func(*testing.T) map[string]string) {
	a := startLocalApp(t, newStoreEnv(t), Options{})
	st, body := call(t, a.gw.URL, "POST", "/key/generate", idMaster, `{"models":["gpt-4o-mini","fake-stream"]}`)
	if st != 200 {
		t.Fatalf("/key/generate: %d %s", st, body)
	}
	key := between(body, `"key":"`, `"`)
	c := openai.NewClient(option.WithBaseURL(a.gw.URL+"/v1/"), option.WithAPIKey(key), option.WithMaxRetries(0))
	ctx := context.Background()
	resp, err := c.Completions.New(ctx, openai.CompletionNewParams{Model: "gpt-4o-mini",
		Prompt: openai.CompletionNewParamsPromptUnion{OfString: openai.String("Say hi")}, MaxTokens: openai.Int(20)})
	if err != nil {
		t.Fatal(err)
	}
	if resp.Object != "text_completion" || len(resp.Choices) != 1 || resp.Choices[0].Text == "" || resp.Usage.TotalTokens == 0 {
		t.Errorf("completion: %+v", resp)
	}

	stream := c.Completions.NewStreaming(ctx, openai.CompletionNewParams{Model: "fake-stream",
		Prompt: openai.CompletionNewParamsPromptUnion{OfString: openai.String("Say hi")}})
	var text strings.Builder
	n := 0
	for stream.Next() {
		ch := stream.Current()
		if ch.Object != "text_completion" {
			t.Errorf("chunk object %q", ch.Object)
		}
		for _, c := range ch.Choices {
			text.WriteString(c.Text)
		}
		n++
	}
	if err := stream.Err(); err != nil || n < 2 || text.Len() == 0 {
		t.Errorf("stream: %d chunks, %q, %v", n, text.String(), err)
	}

	for _, tt := range []struct{ body, want string }{
		{`{"model":"claude-3-haiku","prompt":"hi"}`, `"code":"model_not_allowed"`},
		{`{"model":"gpt-4o-mini","prompt":"hi","echo":true}`, `"param":"echo"`},
		{`{"model":"gpt-4o-mini","prompt":["a","b"]}`, `"param":"prompt"`},
		{`{"model":"gpt-4o-mini"}`, `"param":"prompt"`},
	} {
		st, body := call(t, a.gw.URL, "POST", "/completions", key, tt.body)
		if st < 400 || !strings.Contains(body, tt.want) {
			t.Errorf("%s: %d %s", tt.body, st, body)
		}
	}
}

// TestModelListOptions: /v1/models honours LiteLLM's query options or
// refuses them by name.
func TestModelListOptions(t *testing.T) {
	extra := filepath.Join(t.TempDir(), "groups.yaml")
	if err := os.WriteFile(extra, []byte("model_list:\n  - model_name: grouped-echo\n    litellm_params: {model: fake/echo}\n    model_info: {access_groups: [cheap]}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	a := startLocalApp(t, storeBackends[0].env(t), Options{ConfigPaths: []string{localConfig, extra}})
	for _, tt := range []struct {
		query    string
		status   int
		want     string
		unwanted string
	}{
		{"", 200, `"id":"grouped-echo"`, `"id":"cheap"`},
		{"?include_model_access_groups=true", 200, `"id":"cheap"`, ""},
		{"?only_model_access_groups=true", 200, `{"object":"list","data":[{"id":"cheap"`, "grouped-echo"},
		{"?return_wildcard_routes=false&include_metadata=false", 200, `"id":"grouped-echo"`, ""},
		{"?return_wildcard_routes=true", 200, `"id":"grouped-echo"`, ""},
		{"?return_wildcard_routes=yes", 400, `"param":"return_wildcard_routes"`, ""},
		{"?team_id=t1", 400, `"param":"team_id"`, ""},
		{"?only_model_access_groups=maybe", 400, `"param":"only_model_access_groups"`, ""},
	} {
		st, body := call(t, a.gw.URL, "GET", "/v1/models"+tt.query, idMaster, "")
		if st != tt.status || !strings.Contains(body, tt.want) || (tt.unwanted != "" && strings.Contains(body, tt.unwanted)) {
			t.Errorf("/v1/models%s: %d %s", tt.query, st, body)
		}
	}
}

// TestProxyBudgetUserAndModerations: LiteLLM's litellm-proxy-budget user
// shows the proxy-wide budget and its spend (changed in the config, not
// through /user/update); /v1/moderations answers as LiteLLM does for a
// model it cannot route, and 501 for one no Tollgate adapter can moderate.
func TestProxyBudgetUserAndModerations(t *testing.T) {
	extra := filepath.Join(t.TempDir(), "budget.yaml")
	if err := os.WriteFile(extra, []byte("litellm_settings:\n  max_budget: 100\n  budget_duration: 30d\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	forEachStore(t, func(t *testing.T, newStoreEnv func(*testing.T) map[string]string) {
		a := startLocalApp(t, newStoreEnv(t), Options{ConfigPaths: []string{localConfig, extra}})
		st, body := call(t, a.gw.URL, "POST", "/key/generate", idMaster, `{}`)
		if st != 200 {
			t.Fatalf("/key/generate: %d %s", st, body)
		}
		key := between(body, `"key":"`, `"`)
		if st, body := chat(t, a.gw.URL, key, "gpt-4o-mini"); st != 200 {
			t.Fatalf("chat: %d %s", st, body)
		}
		st, body = call(t, a.gw.URL, "GET", "/user/info?user_id=litellm-proxy-budget", idMaster, "")
		if st != 200 || !strings.Contains(body, `"max_budget":100`) || !strings.Contains(body, `"budget_duration":"30d"`) ||
			strings.Contains(body, `"spend":0,`) || !strings.Contains(body, `"budget_reset_at":"`) {
			t.Errorf("proxy budget user: %d %s", st, body)
		}
		for _, path := range []string{"/user/update", "/user/new"} {
			if st, body := call(t, a.gw.URL, "POST", path, idMaster, `{"user_id":"litellm-proxy-budget","max_budget":5}`); st != 400 || !strings.Contains(body, "max_budget") {
				t.Errorf("%s of the proxy budget user: %d %s", path, st, body)
			}
		}
		for _, tt := range []struct {
			body   string
			status int
			want   string
		}{
			{`{"input":"hello","model":"omni-moderation-latest"}`, 400, "Invalid model name passed in model="},
			{`{"input":"hello"}`, 400, "Invalid model name"},
			{`{"input":"hello","model":"gpt-4o-mini"}`, 501, "moderation is not available"},
			{`{"model":"gpt-4o-mini"}`, 400, `"param":"input"`},
		} {
			if st, body := call(t, a.gw.URL, "POST", "/v1/moderations", key, tt.body); st != tt.status || !strings.Contains(body, tt.want) {
				t.Errorf("/v1/moderations %s: %d %s", tt.body, st, body)
			}
		}
	})
}

// TestRoutesList: GET /routes lists every route of the deployment (both
// functions'), grouped by path, for any valid key.
func TestRoutesList(t *testing.T) {
	a := startLocalApp(t, storeBackends[0].env(t), Options{})
	st, body := call(t, a.gw.URL, "POST", "/key/generate", idMaster, `{}`)
	if st != 200 {
		t.Fatalf("/key/generate: %d %s", st, body)
	}
	key := between(body, `"key":"`, `"`)
	st, body = call(t, a.gw.URL, "GET", "/routes", key, "")
	for _, want := range []string{`{"path":"/v1/chat/completions","methods":["POST"],"name":"v1_chat_completions"}`,
		`"path":"/openai/deployments/{deployment}/chat/completions"`, `"path":"/team/member_update"`, `"path":"/routes"`} {
		if st != 200 || !strings.Contains(body, want) {
			t.Errorf("/routes lacks %s: %d %s", want, st, body)
		}
	}
	if st, _ := call(t, a.gw.URL, "GET", "/routes", "", ""); st != 401 {
		t.Errorf("/routes without a key: %d", st)
	}
}
