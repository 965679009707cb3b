package httpapi_test

import (
	"encoding/json"
	"slices"
	"testing"
)

// litellmResponseFields are the fields of LiteLLM's management response
// models (litellm/proxy/_types.py), per response: a typed client generated
// from LiteLLM's OpenAPI document reads each, so each is in Tollgate's
// answer, null or LiteLLM's default where Tollgate has nothing to say.
var litellmResponseFields = map[string][]string{
	// GenerateKeyResponse: GenerateRequestBase, KeyRequestBase and its own.
	"key": {"key_alias", "duration", "models", "spend", "max_budget", "user_id", "team_id", "max_parallel_requests",
		"metadata", "tpm_limit", "rpm_limit", "budget_duration", "allowed_cache_controls", "config", "permissions",
		"model_max_budget", "model_rpm_limit", "model_tpm_limit", "guardrails", "blocked", "aliases", "object_permission",
		"key", "budget_id", "tags", "enforced_params", "allowed_routes", "key_name", "key_type", "expires", "token_id",
		"organization_id", "project_id", "litellm_budget_table", "token", "created_by", "updated_by", "created_at",
		"updated_at"},
	// LiteLLM_VerificationToken (/key/info's info).
	"key_info": {"token", "key_name", "key_alias", "spend", "max_budget", "expires", "models", "aliases", "config",
		"user_id", "team_id", "max_parallel_requests", "metadata", "tpm_limit", "rpm_limit", "budget_duration",
		"budget_reset_at", "allowed_cache_controls", "allowed_routes", "permissions", "model_spend", "model_max_budget",
		"soft_budget_cooldown", "blocked", "litellm_budget_table", "org_id", "created_at", "created_by", "updated_at",
		"updated_by", "object_permission_id", "object_permission"},
	// LiteLLM_TeamTable.
	"team": {"team_alias", "team_id", "organization_id", "admins", "members", "members_with_roles", "team_member_permissions",
		"metadata", "tpm_limit", "rpm_limit", "max_budget", "budget_duration", "models", "blocked", "spend",
		"max_parallel_requests", "budget_reset_at", "model_id", "litellm_model_table", "object_permission_id",
		"updated_at", "created_at", "object_permission"},
	// TeamAddMemberResponse's own fields (beside LiteLLM_TeamTable's).
	"team_add_member": {"updated_users", "updated_team_memberships"},
	// NewUserResponse's own fields (beside GenerateKeyResponse's).
	"new_user": {"user_email", "user_role", "user_alias", "teams"},
	// LiteLLM_TeamMembership.
	"team_membership": {"user_id", "team_id", "budget_id", "spend", "litellm_budget_table"},
	// Member.
	"member": {"user_id", "user_email", "role"},
	// LiteLLM_UserTable.
	"user": {"user_id", "max_budget", "spend", "model_max_budget", "model_spend", "user_email", "user_alias", "models",
		"tpm_limit", "rpm_limit", "user_role", "organization_memberships", "teams", "sso_user_id", "budget_duration",
		"budget_reset_at", "metadata", "created_at", "updated_at", "object_permission"},
	// LiteLLM_OrganizationTableWithMembers.
	"organization": {"organization_id", "organization_alias", "budget_id", "spend", "metadata", "models", "created_by",
		"updated_by", "users", "litellm_budget_table", "object_permission", "object_permission_id", "members", "teams",
		"created_at", "updated_at"},
	// LiteLLM_OrganizationMembershipTable.
	"organization_membership": {"user_id", "organization_id", "user_role", "spend", "budget_id", "created_at",
		"updated_at", "user", "litellm_budget_table"},
}

// TestManagementResponsesCarryLiteLLMFields walks every field of LiteLLM's
// management response models in the answers of the routes that return
// them.
func TestManagementResponsesCarryLiteLLMFields(t *testing.T) {
	m := newMgmt(t)
	m.newUser("rita", "internal_user", `,"user_email":"rita@example.com"`)
	m.must(mgmtMaster, "POST", "/organization/new", `{"organization_id":"o","organization_alias":"O"}`)
	m.must(mgmtMaster, "POST", "/organization/member_add", `{"organization_id":"o","member":{"user_id":"rita","role":"internal_user"},"max_budget_in_organization":1}`)
	team := m.must(mgmtMaster, "POST", "/team/new", `{"team_id":"t","organization_id":"o","members_with_roles":[{"user_id":"rita"}]}`)
	key := m.must(mgmtMaster, "POST", "/key/generate", `{"user_id":"rita","team_id":"t"}`)
	keyInfo := m.must(mgmtMaster, "GET", "/key/info?key="+key["key"].(string), "")
	newUser := m.must(mgmtMaster, "POST", "/user/new", `{"user_id":"sam"}`)
	added := m.must(mgmtMaster, "POST", "/team/member_add", `{"team_id":"t","member":{"user_id":"sam"},"max_budget_in_team":1}`)
	teamInfo := m.must(mgmtMaster, "GET", "/team/info?team_id=t", "")
	userInfo := m.must(mgmtMaster, "GET", "/user/info?user_id=rita", "")
	org := m.must(mgmtMaster, "GET", "/organization/info?organization_id=o", "")
	obj := func(v any) map[string]any { return v.(map[string]any) }
	first := func(v any) map[string]any { return obj(v.([]any)[0]) }

	for _, tt := range []struct {
		name, model string
		body        map[string]any
	}{
		{"/key/generate", "key", key},
		{"/key/info info", "key_info", obj(keyInfo["info"])},
		{"/user/new", "key", newUser},
		{"/user/new", "new_user", newUser},
		{"/team/member_add", "team", added},
		{"/team/member_add", "team_add_member", added},
		{"/team/member_add updated_users", "user", first(added["updated_users"])},
		{"/team/member_add updated_team_memberships", "team_membership", first(added["updated_team_memberships"])},
		{"/team/new", "team", team},
		{"/team/new members_with_roles", "member", first(team["members_with_roles"])},
		{"/team/info team_info", "team", obj(teamInfo["team_info"])},
		{"/team/info team_memberships", "team_membership", first(teamInfo["team_memberships"])},
		{"/user/info user_info", "user", obj(userInfo["user_info"])},
		{"/user/info teams", "team", first(userInfo["teams"])},
		{"/organization/info", "organization", org},
		{"/organization/info members", "organization_membership", first(org["members"])},
		{"/organization/info teams", "team", first(org["teams"])},
	} {
		t.Run(tt.name, func(t *testing.T) {
			for _, f := range litellmResponseFields[tt.model] {
				if _, ok := tt.body[f]; !ok {
					b, _ := json.Marshal(tt.body)
					t.Errorf("%s lacks %s (LiteLLM's %s model has it): %s", tt.name, f, tt.model, b)
				}
			}
		})
	}
	if !slices.Contains([]any{"rita@example.com"}, first(team["members_with_roles"])["user_email"]) {
		t.Errorf("a member's user_email: %v", team["members_with_roles"])
	}
}
