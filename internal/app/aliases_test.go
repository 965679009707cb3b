package app

import (
	"strings"
	"testing"
)

// TestKeyAliases: a key's aliases serve a request for the alias as the
// aliased model, which is what access, routing and the response name; an
// alias cannot reach a model the key's user may not use, and an alias to a
// model that does not exist says so.
func TestKeyAliases(t *testing.T) {
	h := newHistoryApp(t, map[string]string{"TOLLGATE_STORE": "embedded", "TOLLGATE_DATA_DIR": t.TempDir()}, nil)
	status, body := h.post(t, idMaster, "/user/new", `{"user_id":"limited","models":["gpt-4o-mini"]}`)
	if status != 200 {
		t.Fatalf("/user/new: %d %s", status, body)
	}
	key := func(owner, aliases string) string {
		t.Helper()
		status, body := h.post(t, idMaster, "/key/generate", `{"user_id":"`+owner+`","aliases":`+aliases+`}`)
		if status != 200 {
			t.Fatalf("/key/generate: %d %s", status, body)
		}
		return between(body, `"key":"`, `"`)
	}
	open := key("u1", `{"my-model":"gpt-4o-mini","fast":"claude-3-haiku","ghost":"no-such-model"}`)
	limited := key("limited", `{"sneaky":"claude-3-haiku","ok":"gpt-4o-mini"}`)
	chat := func(key, model string) (int, string) {
		return h.post(t, key, "/v1/chat/completions", `{"model":"`+model+`","messages":[{"role":"user","content":"hi"}]}`)
	}
	cases := []struct {
		name, key, model string
		status           int
		want             string
	}{
		{"alias to an allowed model", open, "my-model", 200, `"model":"gpt-4o-mini"`},
		{"alias to another provider", open, "fast", 200, `"object":"chat.completion"`},
		{"a name that is no alias", open, "gpt-4o-mini", 200, `"model":"gpt-4o-mini"`},
		{"alias to a missing model", open, "ghost", 404, `your key's alias \"ghost\": model not found: \"no-such-model\"`},
		{"alias around the user's model list", limited, "sneaky", 403, `claude-3-haiku`},
		{"alias within the user's model list", limited, "ok", 200, `"model":"gpt-4o-mini"`},
		{"another key's alias means nothing", limited, "my-model", 404, `my-model`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			status, body := chat(c.key, c.model)
			if status != c.status || !strings.Contains(body, c.want) {
				t.Fatalf("%s as %s: %d %s; want %d with %s", c.model, c.name, status, body, c.status, c.want)
			}
		})
	}
}
