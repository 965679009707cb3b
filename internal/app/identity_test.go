package app

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"

	"github.com/tollgate-gw/tollgate/internal/auth"
	"github.com/tollgate-gw/tollgate/internal/store"
)

const idMaster = "sk-identity-test-master"

// TestVirtualKeysThroughTheGateway drives the whole app (local config,
// embedded store in a temp dir): keys made through the management API are
// used with the official OpenAI SDK.
func TestVirtualKeysThroughTheGateway(t *testing.T) {
	env := map[string]string{"TOLLGATE_MASTER_KEY": idMaster, "TOLLGATE_DATA_DIR": t.TempDir()}
	a, err := New(context.Background(), Options{
		ConfigPaths: []string{filepath.Join("..", "..", DefaultLocalConfig)},
		LookupEnv:   func(k string) (string, bool) { v, ok := env[k]; return v, ok },
		Logger:      slog.New(slog.NewJSONHandler(io.Discard, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	gw := httptest.NewServer(a.Handler)
	t.Cleanup(gw.Close)

	post := func(key, path, body string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest("POST", gw.URL+path, strings.NewReader(body))
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
	status, body := post(idMaster, "/user/new", `{"user_id":"u1","models":["gpt-4o-mini","fake-echo"],"max_parallel_requests":3,"model_tpm_limit":{"fake-echo":100}}`)
	if status != 200 || !strings.Contains(body, `"max_parallel_requests":3`) || !strings.Contains(body, `"model_tpm_limit":{"fake-echo":100}`) {
		t.Fatalf("/user/new: %d %s", status, body)
	}
	key := between(body, `"key":"`, `"`)
	client := func(k string) openai.Client {
		return openai.NewClient(option.WithBaseURL(gw.URL+"/v1/"), option.WithAPIKey(k), option.WithMaxRetries(0))
	}
	chat := func(k, model string) error {
		c := client(k)
		_, err := c.Chat.Completions.New(context.Background(), openai.ChatCompletionNewParams{
			Model: model, Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("hi")}})
		return err
	}
	apiErr := func(err error) *openai.Error {
		t.Helper()
		var e *openai.Error
		if !errors.As(err, &e) {
			t.Fatalf("want an API error, got %v", err)
		}
		return e
	}

	if err := chat(key, "fake-echo"); err != nil {
		t.Fatalf("a generated key: %v", err)
	}
	c := client(key)
	page, err := c.Models.List(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, m := range page.Data {
		ids = append(ids, m.ID)
	}
	if slices.Sort(ids); !slices.Equal(ids, []string{"fake-echo", "gpt-4o-mini"}) {
		t.Errorf("/v1/models for the key: %v", ids)
	}
	if e := apiErr(chat(key, "claude-3-haiku")); e.StatusCode != 403 || !strings.Contains(e.Message, `"claude-3-haiku"`) {
		t.Errorf("model outside the key's user: %d %q", e.StatusCode, e.Message)
	}

	// A key narrower than its user: the narrowest list wins.
	status, body = post(key, "/key/generate", `{"models":["gpt-4o-mini"]}`)
	if status != 200 {
		t.Fatalf("/key/generate: %d %s", status, body)
	}
	narrow := between(body, `"key":"`, `"`)
	if e := apiErr(chat(narrow, "fake-echo")); e.StatusCode != 403 || !strings.Contains(e.Message, `"fake-echo" is not allowed for this key`) {
		t.Errorf("model outside the key's own list: %d %q", e.StatusCode, e.Message)
	}
	if err := chat(narrow, "gpt-4o-mini"); err != nil {
		t.Errorf("narrow key on its model: %v", err)
	}

	// Blocking takes effect at once in this container (the cache entry of
	// the warm key is dropped), and unblocking too.
	if status, body = post(idMaster, "/key/block", `{"key":"`+key+`"}`); status != 200 {
		t.Fatalf("/key/block: %d %s", status, body)
	}
	if e := apiErr(chat(key, "fake-echo")); e.StatusCode != 401 || !strings.Contains(e.Message, "is blocked") {
		t.Errorf("blocked key: %d %q", e.StatusCode, e.Message)
	}
	if status, body = post(idMaster, "/key/unblock", `{"key":"`+key+`"}`); status != 200 {
		t.Fatalf("/key/unblock: %d %s", status, body)
	}
	if err := chat(key, "fake-echo"); err != nil {
		t.Errorf("unblocked key: %v", err)
	}

	// An expired key, planted with an end in the past.
	st, err := a.rt.identity.store.get(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	expired := auth.NewKey()
	past := time.Now().Add(-time.Hour)
	if err := st.CreateKey(context.Background(), &store.Key{Hash: store.HashKey(expired), KeyName: store.KeyName(expired), UserID: "u1", Expires: &past}); err != nil {
		t.Fatal(err)
	}
	if e := apiErr(chat(expired, "fake-echo")); e.StatusCode != 401 || !strings.Contains(e.Message, "expired at") {
		t.Errorf("expired key: %d %q", e.StatusCode, e.Message)
	}

	// Regenerating: the old plaintext stops at once, the new one works.
	status, body = post(key, "/key/regenerate", `{"key":"`+key+`"}`)
	if status != 200 {
		t.Fatalf("/key/regenerate: %d %s", status, body)
	}
	if e := apiErr(chat(key, "fake-echo")); e.StatusCode != 401 {
		t.Errorf("old plaintext after regenerate: %d", e.StatusCode)
	}
	if err := chat(between(body, `"key":"`, `"`), "fake-echo"); err != nil {
		t.Errorf("regenerated key: %v", err)
	}

	// /model/info shows deployments without secrets; a key that is not a
	// key at all never reaches the store.
	req, _ := http.NewRequest("GET", gw.URL+"/v1/model/info", nil)
	req.Header.Set("Authorization", "Bearer "+idMaster)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(b), `"model_name":"gpt-4o-mini"`) || strings.Contains(string(b), "api_key") {
		t.Errorf("/v1/model/info: %d %s", resp.StatusCode, b)
	}
	if e := apiErr(chat("sk-not-a-real-key", "fake-echo")); e.StatusCode != 401 {
		t.Errorf("junk key: %d", e.StatusCode)
	}
}

func between(s, from, to string) string {
	_, rest, ok := strings.Cut(s, from)
	if !ok {
		return ""
	}
	v, _, _ := strings.Cut(rest, to)
	return v
}
