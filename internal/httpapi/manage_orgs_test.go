package httpapi_test

import (
	"net/http"
	"strings"
	"testing"
)

// TestOrganizationIsolation: org admins manage their own organization
// only, nobody gives a team or key more than its organization allows, and
// an organization that still owns teams or keys is not deleted. Each row
// acts as alice (org_admin of acme), carol (a plain member of acme) or
// the master key, and must get the status with a message naming the
// problem; rows run in order, the allowed ones last.
func TestOrganizationIsolation(t *testing.T) {
	m := newMgmt(t)
	alice := m.newUser("alice", "internal_user", "")
	carol := m.newUser("carol", "internal_user", "")
	m.newUser("dave", "internal_user", "")
	m.must(mgmtMaster, "POST", "/organization/new", `{"organization_id":"acme","organization_alias":"Acme","models":["gpt-4o","cheap"],"max_budget":100,"tpm_limit":1000}`)
	m.must(mgmtMaster, "POST", "/organization/new", `{"organization_id":"globex","organization_alias":"Globex"}`)
	m.must(mgmtMaster, "POST", "/organization/member_add", `{"organization_id":"acme","member":[{"user_id":"alice","role":"org_admin"},{"user_id":"carol","role":"internal_user"}]}`)
	m.must(mgmtMaster, "POST", "/organization/member_add", `{"organization_id":"globex","member":{"user_id":"dave","role":"org_admin"}}`)
	m.must(mgmtMaster, "POST", "/team/new", `{"team_id":"acme-eng","organization_id":"acme","members_with_roles":[{"user_id":"carol"}]}`)
	m.must(mgmtMaster, "POST", "/team/new", `{"team_id":"globex-ops","organization_id":"globex"}`)
	m.must(mgmtMaster, "POST", "/team/new", `{"team_id":"free","max_budget":500}`)
	carolOrgKey := m.must(carol, "POST", "/key/generate", `{"organization_id":"acme"}`)["key"].(string)

	tests := []row{
		{"team in another organization", alice, "POST", "/team/new", `{"team_id":"x1","organization_id":"globex"}`, 403, `not an org_admin of organization "globex"`, "organization_id", nil},
		{"team outside any organization", alice, "POST", "/team/new", `{"team_id":"x2"}`, 403, "only a proxy admin may create a team outside", "organization_id", nil},
		{"team beyond the organization's models", alice, "POST", "/team/new", `{"team_id":"x3","organization_id":"acme","models":["claude"]}`, 403, `model "claude" is beyond organization "acme"'s models`, "models", nil},
		{"team beyond the organization's budget", alice, "POST", "/team/new", `{"team_id":"x4","organization_id":"acme","max_budget":500}`, 403, `max_budget 500 exceeds organization "acme"'s max_budget 100`, "max_budget", nil},
		{"team beyond the organization's models, even for an admin", mgmtMaster, "POST", "/team/new", `{"team_id":"x5","organization_id":"acme","models":["claude"]}`, 403, `organization "acme"'s models`, "models", nil},
		{"team in a missing organization", mgmtMaster, "POST", "/team/new", `{"team_id":"x6","organization_id":"nope"}`, 404, `organization "nope" not found`, "organization_id", nil},
		{"update another organization's team", alice, "POST", "/team/update", `{"team_id":"globex-ops","team_alias":"mine"}`, 403, "not an admin of team", "team_id", nil},
		{"delete another organization's team", alice, "POST", "/team/delete", `{"team_ids":["globex-ops"]}`, 403, "org_admin", "team_id", nil},
		{"members of another organization's team", alice, "POST", "/team/member_add", `{"team_id":"globex-ops","member":{"user_id":"alice"}}`, 403, "not an admin of team", "team_id", nil},
		{"members of another organization", alice, "POST", "/organization/member_add", `{"organization_id":"globex","member":{"user_id":"alice","role":"org_admin"}}`, 403, `not an org_admin of organization "globex"`, "organization_id", nil},
		{"read another organization", alice, "GET", "/organization/info?organization_id=globex", "", 403, `not a member of organization "globex"`, "organization_id", nil},
		{"update another organization", alice, "PATCH", "/organization/update", `{"organization_id":"globex","organization_alias":"mine"}`, 403, "org_admin", "organization_id", nil},
		{"raise her organization's budget", alice, "PATCH", "/organization/update", `{"organization_id":"acme","max_budget":1000}`, 403, "only a proxy admin may change an organization's budgets", "max_budget", nil},
		{"widen her organization's models", alice, "PATCH", "/organization/update", `{"organization_id":"acme","models":[]}`, 403, "only a proxy admin may change an organization's models", "models", nil},
		{"unblock her organization", alice, "PATCH", "/organization/update", `{"organization_id":"acme","blocked":false}`, 403, "only a proxy admin may block", "blocked", nil},
		{"raise her team's budget beyond the organization's", alice, "POST", "/team/update", `{"team_id":"acme-eng","max_budget":101}`, 403, `organization "acme"'s max_budget 100`, "max_budget", nil},
		{"move her team to an organization she does not administer", alice, "POST", "/team/update", `{"team_id":"acme-eng","organization_id":"globex"}`, 403, `not an org_admin of organization "globex"`, "organization_id", nil},
		{"take her team out of its organization", alice, "POST", "/team/update", `{"team_id":"acme-eng","organization_id":""}`, 403, "only a proxy admin may take team", "organization_id", nil},
		{"delete an organization", alice, "DELETE", "/organization/delete", `{"organization_ids":["acme"]}`, 403, "may not call /organization/delete", "", nil},
		{"create an organization", alice, "POST", "/organization/new", `{"organization_alias":"mine"}`, 403, "may not call /organization/new", "", nil},
		{"a member budget beyond the organization's", alice, "POST", "/organization/member_add", `{"organization_id":"acme","member":{"user_id":"eve","role":"internal_user"},"max_budget_in_organization":200}`, 400, "exceeds organization", "max_budget_in_organization", nil},
		{"a team role in an organization", alice, "POST", "/organization/member_add", `{"organization_id":"acme","member":{"user_id":"eve","role":"admin"}}`, 400, "want one of org_admin, internal_user, internal_user_viewer", "member.role", nil},
		{"a member without a role", alice, "POST", "/organization/member_add", `{"organization_id":"acme","member":{"user_id":"eve"}}`, 400, "role is required", "member.role", nil},
		{"a plain member administers", carol, "PATCH", "/organization/update", `{"organization_id":"acme","organization_alias":"mine"}`, 403, `not an org_admin of organization "acme"`, "organization_id", nil},
		{"a plain member creates a team", carol, "POST", "/team/new", `{"team_id":"x7","organization_id":"acme"}`, 403, `not an org_admin of organization "acme"`, "organization_id", nil},
		{"a plain member adds members", carol, "POST", "/organization/member_add", `{"organization_id":"acme","member":{"user_id":"carol","role":"org_admin"}}`, 403, "org_admin", "organization_id", nil},
		{"a key in an organization she is not in", carol, "POST", "/key/generate", `{"organization_id":"globex"}`, 403, `not a member of organization "globex"`, "organization_id", nil},
		{"a key beyond her organization's models", carol, "POST", "/key/generate", `{"organization_id":"acme","models":["claude"]}`, 403, `organization "acme"'s models`, "models", nil},
		{"a key beyond her organization's tpm", carol, "POST", "/key/generate", `{"organization_id":"acme","tpm_limit":5000}`, 403, `organization "acme"'s tpm_limit 1000`, "tpm_limit", nil},
		{"take her key out of its organization", carol, "POST", "/key/update", `{"key":"` + carolOrgKey + `","organization_id":""}`, 403, `out of organization "acme"`, "organization_id", nil},
		{"a team key naming another organization", mgmtMaster, "POST", "/key/generate", `{"team_id":"acme-eng","organization_id":"globex"}`, 400, `team "acme-eng" belongs to organization "acme"`, "organization_id", nil},
		{"a team key beyond its organization's models", mgmtMaster, "POST", "/key/generate", `{"team_id":"acme-eng","models":["claude"]}`, 403, `organization "acme"'s models`, "models", nil},
		{"delete an organization that has teams", mgmtMaster, "DELETE", "/organization/delete", `{"organization_ids":["globex","acme"]}`, 409, `organization "globex" still has teams globex-ops`, "organization_ids", nil},
		{"move a team whose budget the organization cannot hold", mgmtMaster, "POST", "/team/update", `{"team_id":"free","organization_id":"acme"}`, 403, `max_budget 500 exceeds organization "acme"'s max_budget 100`, "max_budget", nil},

		// Allowed counterparts, within the bounds.
		{"her organization's alias", alice, "PATCH", "/organization/update", `{"organization_id":"acme","organization_alias":"Acme Corp","metadata":{"cost_center":"42"}}`, 200, "", "", nil},
		{"a team in her organization", alice, "POST", "/team/new", `{"team_id":"acme-ml","organization_id":"acme","models":["gpt-4o"],"max_budget":50}`, 200, "", "", nil},
		{"her team's budget within the organization's", alice, "POST", "/team/update", `{"team_id":"acme-eng","max_budget":60,"models":["cheap"]}`, 200, "", "", nil},
		{"members of her organization's team", alice, "POST", "/team/member_add", `{"team_id":"acme-eng","member":{"user_id":"alice","role":"admin"}}`, 200, "", "", nil},
		{"a member of her organization", alice, "POST", "/organization/member_add", `{"organization_id":"acme","member":{"user_email":"eve@example.com","role":"internal_user"},"max_budget_in_organization":10}`, 200, "", "", nil},
		{"the older POST form of info", carol, "POST", "/organization/info", `{"organizations":["acme"]}`, 200, "", "", nil},
		{"a proxy admin moves a team", mgmtMaster, "POST", "/team/update", `{"team_id":"globex-ops","organization_id":"acme"}`, 200, "", "", nil},
		{"her organization's team, deleted", alice, "POST", "/team/delete", `{"team_ids":["acme-ml"]}`, 200, "", "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { m.check(t, tt) })
	}

	t.Run("refused requests wrote nothing", func(t *testing.T) {
		m.t = t
		for _, id := range []string{"x1", "x2", "x3", "x4", "x5", "x6", "x7"} {
			if st, _ := m.call(mgmtMaster, "GET", "/team/info?team_id="+id, ""); st != http.StatusNotFound {
				t.Errorf("team %s exists after a refused /team/new", id)
			}
		}
		info := m.must(mgmtMaster, "GET", "/organization/info?organization_id=globex", "")
		if info["organization_alias"] != "Globex" {
			t.Errorf("globex changed: %v", info)
		}
		if st, _ := m.call(mgmtMaster, "GET", "/organization/info?organization_id=acme", ""); st != 200 {
			t.Error("a refused delete of two organizations deleted acme")
		}
	})

	t.Run("an org admin lists only her organizations", func(t *testing.T) {
		m.t = t
		st, out := m.call(alice, "GET", "/organization/list", "")
		list, _ := out["_raw"].(string)
		if st != 200 || !strings.Contains(list, `"organization_id":"acme"`) || strings.Contains(list, `"organization_id":"globex"`) {
			t.Errorf("alice's /organization/list: %d %s", st, list)
		}
	})

	t.Run("an org admin lists her organization's teams, a member only hers", func(t *testing.T) {
		m.t = t
		for _, c := range []struct {
			key       string
			want, not []string
		}{
			{alice, []string{`"team_id":"acme-eng"`, `"team_id":"globex-ops"`}, []string{`"team_id":"free"`}},
			{carol, []string{`"team_id":"acme-eng"`}, []string{`"team_id":"globex-ops"`, `"team_id":"free"`}},
		} {
			st, out := m.call(c.key, "GET", "/team/list", "")
			list, _ := out["_raw"].(string)
			for _, w := range c.want {
				if st != 200 || !strings.Contains(list, w) {
					t.Errorf("/team/list lacks %s: %d %s", w, st, list)
				}
			}
			for _, n := range c.not {
				if strings.Contains(list, n) {
					t.Errorf("/team/list shows %s: %s", n, list)
				}
			}
		}
	})

	t.Run("info in LiteLLM's shape", func(t *testing.T) {
		m.t = t
		info := m.must(carol, "GET", "/organization/info?organization_id=acme", "")
		for _, f := range []string{"organization_id", "organization_alias", "budget_id", "spend", "metadata", "models", "created_by",
			"updated_by", "users", "litellm_budget_table", "object_permission", "object_permission_id", "members", "teams",
			"created_at", "updated_at"} {
			if _, ok := info[f]; !ok {
				t.Errorf("/organization/info lacks %s: %v", f, info)
			}
		}
		if bt := info["litellm_budget_table"].(map[string]any); bt["max_budget"] != 100.0 || bt["tpm_limit"] != 1000.0 {
			t.Errorf("litellm_budget_table %v", bt)
		}
		var eve map[string]any
		for _, mm := range info["members"].([]any) {
			if mm.(map[string]any)["user_email"] == "eve@example.com" {
				eve = mm.(map[string]any)
			}
		}
		if eve == nil || eve["user_role"] != "internal_user" || eve["litellm_budget_table"].(map[string]any)["max_budget"] != 10.0 {
			t.Errorf("eve's membership: %v in %v", eve, info["members"])
		}
		teams := map[string]bool{}
		for _, tm := range info["teams"].([]any) {
			teams[tm.(map[string]any)["team_id"].(string)] = true
		}
		if !teams["acme-eng"] || !teams["globex-ops"] || len(teams) != 2 {
			t.Errorf("acme's teams: %v", teams)
		}
	})

	t.Run("a key reads its own organization", func(t *testing.T) {
		m.t = t
		key := m.must(mgmtMaster, "POST", "/key/generate", `{"team_id":"acme-eng"}`)["key"].(string)
		if out := m.must(key, "GET", "/organization/info", ""); out["organization_id"] != "acme" {
			t.Errorf("a service key of acme-eng reads %v", out["organization_id"])
		}
		if st, _ := m.call(key, "GET", "/organization/info?organization_id=globex", ""); st != 403 {
			t.Errorf("a service key reads another organization: %d", st)
		}
		if info := m.must(mgmtMaster, "GET", "/key/info?key="+key, "")["info"].(map[string]any); info["organization_id"] != "acme" || info["org_id"] != "acme" {
			t.Errorf("/key/info of a team key: organization_id %v, org_id %v", info["organization_id"], info["org_id"])
		}
	})

	t.Run("an emptied organization is deleted, with its memberships", func(t *testing.T) {
		m.t = t
		m.must(mgmtMaster, "POST", "/team/delete", `{"team_ids":["acme-eng","globex-ops"]}`)
		if st, out := m.call(mgmtMaster, "DELETE", "/organization/delete", `{"organization_ids":["acme"]}`); st != 409 || !strings.Contains(errMessage(out), "key(s) of its own") {
			t.Fatalf("acme still owns carol's key: %d %v", st, out)
		}
		m.must(mgmtMaster, "POST", "/key/delete", `{"keys":["`+carolOrgKey+`"]}`)
		st, out := m.call(mgmtMaster, "DELETE", "/organization/delete", `{"organization_ids":["acme"]}`)
		if raw, _ := out["_raw"].(string); st != 200 || !strings.Contains(raw, `"organization_id":"acme"`) {
			t.Fatalf("delete: %d %v", st, out)
		}
		if st, _ := m.call(alice, "GET", "/organization/list", ""); st != 200 {
			t.Fatalf("list after delete: %d", st)
		}
		if _, out := m.call(alice, "GET", "/organization/list", ""); out["_raw"] != "[]" {
			t.Errorf("alice is still a member of a deleted organization: %v", out)
		}
	})
}
