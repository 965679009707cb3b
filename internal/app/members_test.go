package app

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
)

// TestTeamMembersAsLiteLLM: members by user_id or user_email, one or a
// list, unknown users created and known e-mails resolved; a member's
// max_budget_in_team enforced at admission and changed with
// /team/member_update; team model_aliases honoured; LiteLLM fields Tollgate
// does not act on refused by name. Both stores, in the shapes LiteLLM's
// clients send.
func TestTeamMembersAsLiteLLM(t *testing.T) {
	forEachStore(t, func(t *testing.T, newStoreEnv func(*testing.T) map[string]string) {
		gw := startLocalApp(t, newStoreEnv(t), Options{}).gw
		post := func(path, body string) string {
			t.Helper()
			st, b := call(t, gw.URL, "POST", path, idMaster, body)
			if st != 200 {
				t.Fatalf("%s %s: %d %s", path, body, st, b)
			}
			return b
		}
		get := func(path string) string {
			t.Helper()
			st, b := call(t, gw.URL, "GET", path, idMaster, "")
			if st != 200 {
				t.Fatalf("%s: %d %s", path, st, b)
			}
			return b
		}
		chat := func(key, model string) (*openai.ChatCompletion, error) {
			c := openai.NewClient(option.WithBaseURL(gw.URL+"/v1/"), option.WithAPIKey(key), option.WithMaxRetries(0))
			return c.Chat.Completions.New(context.Background(), openai.ChatCompletionNewParams{
				Model: model, Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("hi")}})
		}

		post("/user/new", `{"user_id":"known","user_email":"Known@example.com","auto_create_key":false}`)
		body := post("/team/new", `{"team_id":"t1","model_aliases":{"my-gpt":"gpt-4o-mini"},"members_with_roles":[
			{"user_email":"known@example.com","role":"admin"},{"user_id":"fresh","role":"user"}],"organization_id":null}`)
		for _, want := range []string{`{"user_id":"known","user_email":"Known@example.com","role":"admin"}`, `{"user_id":"fresh","user_email":null,"role":"user"}`,
			`"model_aliases":{"my-gpt":"gpt-4o-mini"}`} {
			if !strings.Contains(body, want) {
				t.Errorf("/team/new lacks %s: %s", want, body)
			}
		}
		get("/user/info?user_id=fresh") // created as LiteLLM creates unknown members

		// A list of members, one by an e-mail nobody has: created under a
		// new id with that e-mail.
		post("/team/member_add", `{"team_id":"t1","member":[{"user_id":"poor","role":"user"},{"user_email":"new@example.com","role":"user"}],"max_budget_in_team":0}`)
		users := get("/user/list?page_size=100")
		if !strings.Contains(users, `"user_email":"new@example.com"`) || !strings.Contains(users, `"user_id":"poor"`) {
			t.Errorf("member_add did not create its users: %s", users)
		}

		// max_budget_in_team 0: the first call is admitted, the next refused
		// naming the member and the team.
		key := between(post("/key/generate", `{"user_id":"poor","team_id":"t1"}`), `"key":"`, `"`)
		if _, err := chat(key, "gpt-4o-mini"); err != nil {
			t.Fatalf("a zero member budget admits one call: %v", err)
		}
		_, err := chat(key, "gpt-4o-mini")
		var e *openai.Error
		if !errors.As(err, &e) || e.StatusCode != 400 || !strings.Contains(e.Message, "user poor in team t1") {
			t.Fatalf("member budget: %v", err)
		}
		info := get("/team/info?team_id=t1")
		if !strings.Contains(info, `"user_id":"poor","spend":`) || !strings.Contains(info, `"litellm_budget_table":{"max_budget":0,`) {
			t.Errorf("/team/info team_memberships: %s", info)
		}

		// member_update raises it (and makes poor an admin); the key works
		// again at once in this container.
		body = post("/team/member_update", `{"team_id":"t1","user_id":"poor","max_budget_in_team":100,"role":"admin"}`)
		if body != `{"team_id":"t1","user_id":"poor","user_email":null,"max_budget_in_team":100}` {
			t.Errorf("/team/member_update: %s", body)
		}
		if _, err := chat(key, "gpt-4o-mini"); err != nil {
			t.Fatalf("after member_update: %v", err)
		}
		if info := get("/team/info?team_id=t1"); !strings.Contains(info, `{"user_id":"poor","user_email":null,"role":"admin"}`) {
			t.Errorf("role not updated: %s", info)
		}

		// The team's model alias serves its keys.
		fresh := between(post("/key/generate", `{"user_id":"fresh","team_id":"t1"}`), `"key":"`, `"`)
		resp, err := chat(fresh, "my-gpt")
		if err != nil {
			t.Fatalf("team alias: %v", err)
		}
		if resp.Model != "gpt-4o-mini" {
			t.Errorf("team alias served %q", resp.Model)
		}

		// Removing a member by e-mail.
		post("/team/member_delete", `{"team_id":"t1","user_email":"KNOWN@example.com"}`)
		if info := get("/team/info?team_id=t1"); strings.Contains(info, `"user_id":"known"`) {
			t.Errorf("member_delete by e-mail: %s", info)
		}

		// Nothing silently dropped.
		for _, tt := range []struct{ path, body, param string }{
			{"/team/new", `{"team_id":"t2","guardrails":["pii"]}`, "guardrails"},
			{"/team/update", `{"team_id":"t1","router_settings":{"num_retries":2}}`, "router_settings"},
			{"/key/generate", `{"allowed_routes":["/chat/completions"]}`, "allowed_routes"},
			{"/user/new", `{"user_id":"pw","password":"hunter22hunter"}`, "password"},
		} {
			st, b := call(t, gw.URL, "POST", tt.path, idMaster, tt.body)
			if st != 400 || !strings.Contains(b, `"param":"`+tt.param+`"`) || !strings.Contains(b, "not supported by Tollgate") {
				t.Errorf("%s %s: %d %s", tt.path, tt.body, st, b)
			}
		}
		if st, b := call(t, gw.URL, "GET", "/team/info?team_id=t2", idMaster, ""); st != 404 {
			t.Errorf("a refused /team/new wrote the team: %d %s", st, b)
		}
	})
}
