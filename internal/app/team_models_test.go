package app

import (
	"strings"
	"testing"
)

// TestPersonalKeysKeepTeamModelRestrictions: a user with no models of their
// own, in teams that restrict models, may use with a personal key only the
// union of those teams' models; all-proxy-models on the user lifts that, and
// no-default-models leaves only team keys. Joining a team that allows every
// model lifts it at once, although the key's lookup is cached.
func TestPersonalKeysKeepTeamModelRestrictions(t *testing.T) {
	forEachStore(t, func(t *testing.T, newStoreEnv func(*testing.T) map[string]string) {
		env := newStoreEnv(t)
		env["TOLLGATE_KEY_CACHE_TTL"] = "1h"
		a := startLocalApp(t, env, Options{})
		admin := func(path, body string) string {
			t.Helper()
			st, out := call(t, a.gw.URL, "POST", path, idMaster, body)
			if st != 200 {
				t.Fatalf("%s: %d %s", path, st, out)
			}
			return out
		}
		keyOf := func(out string) string { return between(out, `"key":"`, `"`) }
		admin("/team/new", `{"team_id":"red","models":["gpt-4o-mini"]}`)
		admin("/team/new", `{"team_id":"blue","models":["fake-echo"]}`)
		admin("/team/new", `{"team_id":"open"}`)
		bob := keyOf(admin("/user/new", `{"user_id":"bob","teams":["red","blue"]}`))
		carol := keyOf(admin("/user/new", `{"user_id":"carol","teams":["red"],"models":["all-proxy-models"]}`))
		dave := keyOf(admin("/user/new", `{"user_id":"dave","teams":["red"],"models":["no-default-models"]}`))
		daveTeam := keyOf(admin("/key/generate", `{"user_id":"dave","team_id":"red"}`))
		erin := keyOf(admin("/user/new", `{"user_id":"erin"}`))

		tests := []struct {
			name, key, model string
			status           int
			msg              string
		}{
			{"a model of one of his teams", bob, "gpt-4o-mini", 200, ""},
			{"a model of his other team", bob, "fake-echo", 200, ""},
			{"a model of none of his teams", bob, "claude-3-haiku", 403, "is not allowed for this user"},
			{"all-proxy-models lifts it", carol, "claude-3-haiku", 200, ""},
			{"no-default-models: no personal key", dave, "gpt-4o-mini", 403, "only team keys"},
			{"no-default-models: the team key", daveTeam, "gpt-4o-mini", 200, ""},
			{"in no team: unrestricted", erin, "claude-3-haiku", 200, ""},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				st, out := chat(t, a.gw.URL, tt.key, tt.model)
				if st != tt.status || !strings.Contains(out, tt.msg) {
					t.Errorf("%s with %s: %d %s, want %d with %q", tt.key[:8], tt.model, st, out, tt.status, tt.msg)
				}
			})
		}
		admin("/team/member_add", `{"team_id":"open","member":[{"user_id":"bob","role":"user"}]}`)
		if st, out := chat(t, a.gw.URL, bob, "claude-3-haiku"); st != 200 {
			t.Errorf("after joining a team that allows every model: %d %s", st, out)
		}
	})
}
