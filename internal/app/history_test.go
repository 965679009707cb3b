package app

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"

	"github.com/tollgate-gw/tollgate/internal/auth"
	"github.com/tollgate-gw/tollgate/internal/history"
)

// historyApp is the whole app (local config, the store storeEnv selects)
// with two keys of one user, made through the management API.
type historyApp struct {
	url        string
	key1, key2 string
}

func newHistoryApp(t *testing.T, storeEnv, extraEnv map[string]string) *historyApp {
	t.Helper()
	env := map[string]string{}
	for k, v := range storeEnv {
		env[k] = v
	}
	for k, v := range extraEnv {
		env[k] = v
	}
	h := &historyApp{url: startLocalApp(t, env, Options{}).gw.URL}
	status, body := h.post(t, idMaster, "/user/new", `{"user_id":"u1"}`)
	if status != 200 {
		t.Fatalf("/user/new: %d %s", status, body)
	}
	h.key1 = between(body, `"key":"`, `"`)
	if status, body = h.post(t, h.key1, "/key/generate", `{}`); status != 200 {
		t.Fatalf("/key/generate: %d %s", status, body)
	}
	h.key2 = between(body, `"key":"`, `"`)
	return h
}

func (h *historyApp) post(t *testing.T, key, path, body string) (int, string) {
	t.Helper()
	return call(t, h.url, "POST", path, key, body)
}

// chat runs one turn with the OpenAI SDK and returns the session id the
// response carries.
func (h *historyApp) chat(t *testing.T, key, text string, opt option.RequestOption) (string, error) {
	t.Helper()
	c := openai.NewClient(option.WithBaseURL(h.url+"/v1/"), option.WithAPIKey(key), option.WithMaxRetries(0))
	resp, err := c.Chat.Completions.New(context.Background(), openai.ChatCompletionNewParams{Model: "fake-echo",
		Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage(text)}}, opt)
	if err != nil {
		return "", err
	}
	var v struct {
		SessionID string `json:"session_id"`
	}
	_ = json.Unmarshal([]byte(resp.RawJSON()), &v)
	return v.SessionID, nil
}

func notFound(err error) bool {
	var e *openai.Error
	return errors.As(err, &e) && e.StatusCode == 404 && e.Code == "session_not_found"
}

// TestHistoryThroughTheApp: the app wires chat history over its store; a
// session belongs to the key that made it, or, with
// TOLLGATE_HISTORY_USER_SESSIONS, to the key's user. It runs against each
// store backend.
func TestHistoryThroughTheApp(t *testing.T) {
	forEachStore(t, testHistoryThroughTheApp)
}

func testHistoryThroughTheApp(t *testing.T, newStoreEnv func(*testing.T) map[string]string) {
	t.Run("per key", func(t *testing.T) {
		h := newHistoryApp(t, newStoreEnv(t), nil)
		sid, err := h.chat(t, h.key1, "one", option.WithJSONSet("enable_history", true))
		if err != nil || sid == "" {
			t.Fatalf("starting a session: %q, %v", sid, err)
		}
		if again, err := h.chat(t, h.key1, "two", option.WithJSONSet("session_id", sid)); err != nil || again != sid {
			t.Fatalf("continuing: %q, %v", again, err)
		}
		status, body := h.post(t, h.key1, "/chat-history", `{"session_id":"`+sid+`"}`)
		var hist struct {
			Messages []struct{ Role, Content string } `json:"messages"`
		}
		if status != 200 || json.Unmarshal([]byte(body), &hist) != nil || len(hist.Messages) != 4 ||
			hist.Messages[0].Content != "one" || hist.Messages[2].Content != "two" || hist.Messages[3].Role != "assistant" {
			t.Fatalf("/chat-history: %d %s", status, body)
		}
		for _, key := range []string{h.key2, idMaster} {
			if _, err := h.chat(t, key, "peek", option.WithJSONSet("session_id", sid)); !notFound(err) {
				t.Errorf("another key continuing: %v, want 404", err)
			}
		}
		for key, want := range map[string]string{h.key1: `{"session_ids":["` + sid + `"]}`, h.key2: `{"session_ids":[]}`} {
			if status, body := h.post(t, key, "/session-ids", `{}`); status != 200 || body != want {
				t.Errorf("/session-ids: %d %s, want %s", status, body, want)
			}
		}
	})
	t.Run("shared by the user's keys", func(t *testing.T) {
		h := newHistoryApp(t, newStoreEnv(t), map[string]string{envHistoryUserSessions: "true"})
		sid, err := h.chat(t, h.key1, "one", option.WithJSONSet("enable_history", true))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := h.chat(t, h.key2, "two", option.WithJSONSet("session_id", sid)); err != nil {
			t.Errorf("the user's other key: %v", err)
		}
		if _, err := h.chat(t, idMaster, "peek", option.WithJSONSet("session_id", sid)); !notFound(err) {
			t.Errorf("the master key: %v, want 404", err)
		}
		if status, body := h.post(t, h.key2, "/session-ids", ``); status != 200 || body != `{"session_ids":["`+sid+`"]}` {
			t.Errorf("/session-ids for the other key: %d %s", status, body)
		}
	})
}

func TestHistoryOwner(t *testing.T) {
	cases := []struct {
		name   string
		p      *auth.Principal
		share  bool
		want   history.Owner
		wantOK bool
	}{
		{"no principal", nil, false, history.Owner{}, false},
		{"master", &auth.Principal{Kind: auth.KindMaster}, false, history.Owner{ID: "master"}, true},
		{"master, shared", &auth.Principal{Kind: auth.KindMaster}, true, history.Owner{ID: "master"}, true},
		{"key", &auth.Principal{Kind: auth.KindKey, KeyHash: "h1", UserID: "u1"}, false, history.Owner{ID: "h1", UserID: "u1"}, true},
		{"key, shared", &auth.Principal{Kind: auth.KindKey, KeyHash: "h1", UserID: "u1"}, true, history.Owner{ID: "user:u1", UserID: "u1"}, true},
		{"service key, shared", &auth.Principal{Kind: auth.KindKey, KeyHash: "h2"}, true, history.Owner{ID: "h2"}, true},
		{"key without hash", &auth.Principal{Kind: auth.KindKey}, false, history.Owner{}, false},
		{"jwt", &auth.Principal{Kind: auth.KindJWT, UserID: "sub-1"}, false, history.Owner{ID: "user:sub-1", UserID: "sub-1"}, true},
		{"jwt without sub", &auth.Principal{Kind: auth.KindJWT}, false, history.Owner{}, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ctx := context.Background()
			if c.p != nil {
				ctx = auth.WithPrincipal(ctx, c.p)
			}
			got, ok := historyOwner(c.share)(ctx)
			if got != c.want || ok != c.wantOK {
				t.Errorf("got %+v, %v; want %+v, %v", got, ok, c.want, c.wantOK)
			}
		})
	}
}

func TestHistoryTTL(t *testing.T) {
	cases := []struct {
		in      string
		want    time.Duration
		wantErr bool
	}{
		{"", history.DefaultTTL, false},
		{"off", -1, false},
		{"720h", 720 * time.Hour, false},
		{"7d", 7 * 24 * time.Hour, false},
		{"0", 0, true},
		{"-1h", 0, true},
		{"0d", 0, true},
		{"soon", 0, true},
		{"1.5d", 0, true},
	}
	for _, c := range cases {
		got, err := historyTTL(c.in)
		if (err != nil) != c.wantErr || got != c.want {
			t.Errorf("historyTTL(%q) = %v, %v; want %v, error %v", c.in, got, err, c.want, c.wantErr)
		}
	}
}

// TestHistoryBadEnvironment: a bad history setting stops the start, naming
// the variable.
func TestHistoryBadEnvironment(t *testing.T) {
	for k, v := range map[string]string{envHistoryTTL: "soon", envHistoryUserSessions: "maybe"} {
		env := map[string]string{"TOLLGATE_MASTER_KEY": idMaster, "TOLLGATE_DATA_DIR": t.TempDir(), k: v}
		_, err := New(context.Background(), Options{
			ConfigPaths: []string{filepath.Join("..", "..", DefaultLocalConfig)},
			LookupEnv:   func(k string) (string, bool) { v, ok := env[k]; return v, ok },
			Logger:      slog.New(slog.NewJSONHandler(io.Discard, nil)),
		})
		if err == nil || !strings.Contains(err.Error(), k) {
			t.Errorf("%s=%s: %v, want an error naming it", k, v, err)
		}
	}
}
