package httpapi_test

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestManagementIsolation is the genai-gateway peer suite's isolation and
// escalation rules: each row acts as user alice (internal_user with
// max_budget 10, tpm 1000, models gpt-4o and the "cheap" access group) or
// her service key, on records that are not hers or beyond her limits, and
// must get the status with a message naming the problem. Rows that must
// leave records untouched say which.
func TestManagementIsolation(t *testing.T) {
	m := newMgmt(t)
	alice := m.newUser("alice", "internal_user", `,"max_budget":10,"tpm_limit":1000,"models":["gpt-4o","cheap"]`)
	bob := m.newUser("bob", "internal_user", "")
	bobKey2 := m.must(bob, "POST", "/key/generate", `{}`)["key"].(string)
	aliceKey2 := m.must(alice, "POST", "/key/generate", `{}`)["key"].(string)
	service := m.must(mgmtMaster, "POST", "/key/generate", `{"models":["gpt-4o"]}`)["key"].(string)
	m.must(mgmtMaster, "POST", "/team/new", `{"team_id":"red","models":["gpt-4o-mini"],"tpm_limit":500,"members_with_roles":[{"user_id":"alice","role":"user"}]}`)
	m.must(mgmtMaster, "POST", "/team/new", `{"team_id":"blue"}`)
	aliceRedKey := m.must(alice, "POST", "/key/generate", `{"team_id":"red"}`)["key"].(string)

	tests := []row{
		{"generate for another user", alice, "POST", "/key/generate", `{"user_id":"bob"}`, 403, "another user", "user_id", nil},
		{"update another user's key", alice, "POST", "/key/update", `{"key":"` + bobKey2 + `","max_budget":1}`, 403, "belongs to another user", "key", nil},
		{"give own key to another user", alice, "POST", "/key/update", `{"key":"` + aliceKey2 + `","user_id":"bob"}`, 403, "another user", "user_id", nil},
		{"list another user's keys", alice, "GET", "/key/list?user_id=bob", "", 403, "another user's keys", "user_id", nil},
		{"read another user's key", alice, "GET", "/key/info?key=" + bobKey2, "", 403, "belongs to another user", "key", nil},
		{"delete another user's key, with her own", alice, "POST", "/key/delete", `{"keys":["` + aliceKey2 + `","` + bobKey2 + `"]}`, 403, "belongs to another user", "key",
			[]string{aliceKey2, bobKey2}},
		{"regenerate another user's key", alice, "POST", "/key/regenerate", `{"key":"` + bobKey2 + `"}`, 403, "belongs to another user", "key", []string{bobKey2}},
		{"budget beyond her own", alice, "POST", "/key/generate", `{"max_budget":20}`, 403, "max_budget 20 exceeds your user's max_budget 10", "max_budget", nil},
		{"soft budget beyond her own", alice, "POST", "/key/generate", `{"soft_budget":11}`, 403, "soft_budget", "soft_budget", nil},
		{"tpm beyond her own", alice, "POST", "/key/generate", `{"tpm_limit":5000}`, 403, "tpm_limit 5000 exceeds", "tpm_limit", nil},
		{"per-model tpm beyond her own", alice, "POST", "/key/generate", `{"model_tpm_limit":{"gpt-4o":2000}}`, 403, "model_tpm_limit", "model_tpm_limit", nil},
		{"model beyond her own", alice, "POST", "/key/generate", `{"models":["claude"]}`, 403, `model "claude" is beyond your user's models`, "models", nil},
		{"wildcard beyond her own", alice, "POST", "/key/generate", `{"models":["*"]}`, 403, `model "*"`, "models", nil},
		{"provider wildcard beyond her own", alice, "POST", "/key/generate", `{"models":["bedrock/*"]}`, 403, `"bedrock/*"`, "models", nil},
		{"raise own key's budget by update", alice, "POST", "/key/update", `{"key":"` + aliceKey2 + `","max_budget":50}`, 403, "max_budget", "max_budget", nil},
		{"take her team key out of its team", alice, "POST", "/key/update", `{"key":"` + aliceRedKey + `","team_id":""}`, 403,
			`out of team "red"`, "team_id", nil},
		{"move her team key to a team she is not in", alice, "POST", "/key/update", `{"key":"` + aliceRedKey + `","team_id":"blue"}`, 403,
			`not a member of team "blue"`, "team_id", nil},
		{"move her personal key into a team she is not in", alice, "POST", "/key/update", `{"key":"` + aliceKey2 + `","team_id":"blue"}`, 403,
			`not a member of team "blue"`, "team_id", nil},
		{"unblock by update", alice, "POST", "/key/update", `{"key":"` + aliceKey2 + `","blocked":true}`, 403, "proxy admin", "blocked", nil},
		{"team she is not in", alice, "POST", "/key/generate", `{"team_id":"blue"}`, 403, `not a member of team "blue"`, "team_id", nil},
		{"team key beyond the team's models", alice, "POST", "/key/generate", `{"team_id":"red","models":["gpt-4o"]}`, 403, `team "red"'s models`, "models", nil},
		{"team key beyond the team's tpm", alice, "POST", "/key/generate", `{"team_id":"red","tpm_limit":800}`, 403, `team "red"'s tpm_limit 500`, "tpm_limit", nil},
		{"team key beyond the team's models, even for an admin", mgmtMaster, "POST", "/key/generate", `{"team_id":"red","models":["claude"]}`, 403, `team "red"'s models`, "models", nil},
		{"team list of a team she does not administer", alice, "GET", "/key/list?team_id=red", "", 403, "not its admin", "team_id", nil},
		{"service key generates", service, "POST", "/key/generate", `{}`, 403, "service key", "", nil},
		{"service key lists", service, "GET", "/key/list", "", 403, "service key", "", nil},
		{"service key reads another key", service, "GET", "/key/info?key=" + aliceKey2, "", 403, "service key", "", nil},
		{"service key reads a team", service, "GET", "/team/info?team_id=red", "", 403, "service key", "", nil},
		{"self sign-up of an existing user", alice, "POST", "/user/new", `{}`, 409, "already exists", "user_id", nil},
		{"create another user", alice, "POST", "/user/new", `{"user_id":"mallory"}`, 403, "only your own user", "user_id", nil},

		// Allowed counterparts: within her bounds.
		{"within her bounds", alice, "POST", "/key/generate", `{"max_budget":5,"tpm_limit":500,"models":["gpt-4o-mini"],"model_tpm_limit":{"gpt-4o":900}}`, 200, "", "", nil},
		{"team key within the team", alice, "POST", "/key/generate", `{"team_id":"red","models":["gpt-4o-mini"],"tpm_limit":400}`, 200, "", "", nil},
		{"list her own", alice, "GET", "/key/list", "", 200, "", "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { m.check(t, tt) })
	}

	t.Run("her team key is still in its team", func(t *testing.T) {
		m.t = t
		out := m.must(mgmtMaster, "GET", "/key/info?key="+aliceRedKey, "")
		if team := out["info"].(map[string]any)["team_id"]; team != "red" {
			t.Errorf("team_id %v after refused updates, want red", team)
		}
	})
	t.Run("an admin may take a key out of its team", func(t *testing.T) {
		m.t = t
		m.must(mgmtMaster, "POST", "/key/update", `{"key":"`+aliceRedKey+`","team_id":""}`)
	})

	t.Run("her own listing shows only her keys", func(t *testing.T) {
		m.t = t
		out := m.must(alice, "GET", "/key/list?return_full_object=true&size=100", "")
		for _, k := range out["keys"].([]any) {
			if uid := k.(map[string]any)["user_id"]; uid != "alice" {
				t.Errorf("alice sees a key of %v", uid)
			}
		}
	})
}

// TestDeleteUserDeletesKeys: deleting a user deletes their keys (which
// then no longer authenticate) and their memberships.
func TestDeleteUserDeletesKeys(t *testing.T) {
	m := newMgmt(t)
	carol := m.newUser("carol", "internal_user", "")
	k2 := m.must(carol, "POST", "/key/generate", `{}`)["key"].(string)
	m.must(mgmtMaster, "POST", "/team/new", `{"team_id":"green","members_with_roles":[{"user_id":"carol"}]}`)
	m.must(carol, "GET", "/user/info", "") // warms the key cache

	if st, out := m.call(mgmtMaster, "POST", "/user/delete", `{"user_ids":["carol","nobody"]}`); st != 404 || !strings.Contains(errMessage(out), "nothing was deleted") {
		t.Fatalf("delete with an unknown user: %d %v", st, out)
	}
	if !m.keyExists(carol) {
		t.Fatal("a refused delete removed a key")
	}
	m.must(mgmtMaster, "POST", "/user/delete", `{"user_ids":["carol"]}`)
	for _, k := range []string{carol, k2} {
		if m.keyExists(k) {
			t.Errorf("key %s survived its user", k[:8])
		}
		if st, _ := m.call(k, "GET", "/user/info", ""); st != http.StatusUnauthorized {
			t.Errorf("deleted user's key: status %d, want 401", st)
		}
	}
	team := m.must(mgmtMaster, "GET", "/team/info?team_id=green", "")
	if ms := team["team_info"].(map[string]any)["members_with_roles"].([]any); len(ms) != 0 {
		t.Errorf("carol is still a member: %v", ms)
	}
}

// TestOIDCUsers: a JWT user creates their own user and keys, bounded by
// the admin's defaults (max_budget 100, budget_duration 1mo).
func TestOIDCUsers(t *testing.T) {
	m := newMgmt(t)
	tok := m.issuer.token(t, "dana@example.com", "dana@example.com", time.Now().Add(time.Hour))

	refused := []struct {
		name, body, msg, param string
	}{
		{"budget above the default", `{"max_budget":1000000}`, "exceeds the admin's default", "max_budget"},
		{"another budget period", `{"budget_duration":"1s"}`, "budget_duration", "budget_duration"},
		{"admin role", `{"user_role":"proxy_admin"}`, "proxy_admin", "user_role"},
		{"someone else", `{"user_id":"eve@example.com"}`, "only your own user", "user_id"},
		{"joins a team", `{"teams":["x"]}`, "teams", "teams"},
	}
	for _, tt := range refused {
		t.Run(tt.name, func(t *testing.T) {
			m.t = t
			st, out := m.call(tok, "POST", "/user/new", tt.body)
			if st != 403 || !strings.Contains(errMessage(out), tt.msg) || errParam(out) != tt.param {
				t.Errorf("got %d %v", st, out)
			}
		})
	}
	m.t = t
	out := m.must(tok, "POST", "/user/new", `{"tpm_limit":100,"max_parallel_requests":2,"model_rpm_limit":{"gpt-4o":1}}`)
	if out["user_id"] != "dana@example.com" || out["user_email"] != "dana@example.com" || out["user_role"] != "internal_user" ||
		out["max_budget"] != 100.0 || out["budget_duration"] != "1mo" || out["tpm_limit"] != 100.0 || out["max_parallel_requests"] != 2.0 ||
		out["model_rpm_limit"].(map[string]any)["gpt-4o"] != 1.0 || !strings.HasPrefix(out["key"].(string), "sk-") {
		t.Errorf("self sign-up: %v", out)
	}
	k := m.must(tok, "POST", "/key/generate", `{"user_id":"dana@example.com"}`)
	if k["user_id"] != "dana@example.com" || !strings.HasPrefix(k["key"].(string), "sk-") || k["key_name"] == "" || k["token_id"] == "" {
		t.Errorf("jwt key: %v", k)
	}
	// The key works, and acts as her.
	info := m.must(k["key"].(string), "GET", "/user/info", "")
	if info["user_id"] != "dana@example.com" || len(info["keys"].([]any)) != 2 {
		t.Errorf("user/info with her key: %v", info)
	}
	if st, out := m.call(tok, "POST", "/key/generate", `{"user_id":"bob"}`); st != 403 {
		t.Errorf("jwt key for another user: %d %v", st, out)
	}
	if st, out := m.call(tok, "POST", "/key/generate", `{"max_budget":500}`); st != 403 || errParam(out) != "max_budget" {
		t.Errorf("jwt key above her budget: %d %v", st, out)
	}
	// A JWT user with no record yet cannot make keys.
	fresh := m.issuer.token(t, "frank", "", time.Now().Add(time.Hour))
	if st, out := m.call(fresh, "POST", "/key/generate", `{}`); st != 404 || !strings.Contains(errMessage(out), "/user/new") {
		t.Errorf("key before sign-up: %d %v", st, out)
	}
	for name, bad := range map[string]string{
		"expired":  m.issuer.token(t, "dana@example.com", "", time.Now().Add(-time.Hour)),
		"tampered": tok[:len(tok)-4] + "AAAA",
	} {
		st, out := m.call(bad, "GET", "/user/info", "")
		if st != 401 || errMessage(out) == "" {
			t.Errorf("%s token: %d %v", name, st, out)
		}
	}
}

// TestManagementValidation: bad input is a 400 that names the field, and
// writes nothing.
func TestManagementValidation(t *testing.T) {
	m := newMgmt(t)
	tests := []struct {
		name, path, body, msg, param string
	}{
		{"bad duration", "/key/generate", `{"duration":"10 parsecs"}`, "duration", "duration"},
		{"bad budget duration", "/key/generate", `{"budget_duration":"7x"}`, "budget_duration", ""},
		{"negative tpm", "/key/generate", `{"tpm_limit":-1}`, "tpm_limit is -1", ""},
		{"negative budget", "/user/new", `{"user_id":"v1","max_budget":-5}`, "max_budget", ""},
		{"negative per-model rpm", "/team/new", `{"team_id":"v2","model_rpm_limit":{"gpt-4o":-1}}`, "model_rpm_limit", ""},
		{"budget as text", "/key/generate", `{"max_budget":"lots"}`, "max_budget", "max_budget"},
		{"metadata not an object", "/key/generate", `{"metadata":[1]}`, "metadata", "metadata"},
		{"not JSON", "/key/generate", `{"models":`, "not valid JSON", ""},
		{"bad user role", "/user/new", `{"user_id":"v3","user_role":"root"}`, "user_role", ""},
		{"bad member role", "/team/new", `{"team_id":"v4","members_with_roles":[{"user_id":"x","role":"owner"}]}`, "owner", "member.role"},
		{"key required", "/key/update", `{}`, "key is required", "key"},
		{"keys required", "/key/delete", `{}`, "keys is required", "keys"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m.t = t
			st, out := m.call(mgmtMaster, "POST", tt.path, tt.body)
			if st != 400 || !strings.Contains(errMessage(out), tt.msg) || (tt.param != "" && errParam(out) != tt.param) {
				t.Errorf("got %d %v", st, out)
			}
		})
	}
	m.t = t
	for _, path := range []string{"/user/info?user_id=v1", "/user/info?user_id=v3", "/team/info?team_id=v2", "/team/info?team_id=v4"} {
		if st, _ := m.call(mgmtMaster, "GET", path, ""); st != 404 {
			t.Errorf("%s: a refused create left a record (status %d)", path, st)
		}
	}
	if out := m.must(mgmtMaster, "GET", "/key/list", ""); out["total_count"] != 0.0 {
		t.Errorf("refused creates left keys: %v", out)
	}
	if st, _ := m.call(mgmtMaster, "GET", "/key/list?page=0", ""); st != 400 {
		t.Errorf("page=0: %d", st)
	}
	if st, _ := m.call("", "GET", "/key/list", ""); st != 401 {
		t.Errorf("no key: %d", st)
	}
	if st, _ := m.call(mgmtMaster, "GET", "/key/generate", ""); st != 405 {
		t.Errorf("GET /key/generate: %d", st)
	}
}
