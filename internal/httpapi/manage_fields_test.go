package httpapi_test

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/tollgate-gw/tollgate/internal/httpapi"
	"github.com/tollgate-gw/tollgate/internal/tenancy"
)

// litellmFields are the fields of LiteLLM's management request models
// (litellm/proxy/_types.py: GenerateKeyRequest, UpdateKeyRequest and
// RegenerateKeyRequest over KeyRequestBase and GenerateRequestBase;
// NewUserRequest, UpdateUserRequest; NewTeamRequest, UpdateTeamRequest;
// TeamMemberAddRequest, TeamMemberUpdateRequest, TeamMemberDeleteRequest;
// NewOrganizationRequest, LiteLLM_OrganizationTableUpdate,
// OrganizationMemberAddRequest, OrganizationMemberUpdateRequest,
// OrganizationMemberDeleteRequest), per Tollgate endpoint.
var litellmFields = map[string][]string{
	"/key/generate": slices.Concat(keyBaseFields, []string{"soft_budget", "send_invite_email", "key_type", "auto_rotate", "rotation_interval",
		"organization_id", "project_id"}),
	"/key/update": slices.Concat(keyBaseFields, []string{"temp_budget_increase", "temp_budget_expiry", "auto_rotate", "rotation_interval",
		"organization_id"}),
	"/key/regenerate": slices.Concat(keyBaseFields, []string{"soft_budget", "send_invite_email", "key_type", "auto_rotate", "rotation_interval",
		"organization_id", "project_id", "new_key", "new_master_key", "grace_period"}),
	"/user/new": slices.Concat(generateBaseFields, []string{"user_email", "user_alias", "user_role", "teams", "auto_create_key",
		"send_invite_email", "sso_user_id", "organizations", "password"}),
	"/user/update": slices.Concat(generateBaseFields, []string{"password", "user_alias", "user_role", "user_email"}),
	"/team/new": slices.Concat(teamBaseFields, []string{"model_aliases", "tags", "guardrails", "policies", "prompts", "object_permission",
		"allowed_passthrough_routes", "secret_manager_settings", "model_rpm_limit", "rpm_limit_type", "tpm_limit_type",
		"model_tpm_limit", "team_member_budget", "team_member_rpm_limit", "team_member_tpm_limit", "team_member_key_duration",
		"team_member_budget_duration", "allowed_vector_store_indexes", "enforced_batch_output_expires_after",
		"enforced_file_expires_after"}),
	"/team/update": {"team_id", "team_alias", "organization_id", "metadata", "tpm_limit", "rpm_limit", "max_budget",
		"soft_budget", "models", "blocked", "budget_duration", "tags", "model_aliases", "guardrails", "policies",
		"object_permission", "team_member_budget", "team_member_budget_duration", "team_member_rpm_limit",
		"team_member_tpm_limit", "team_member_key_duration", "allowed_passthrough_routes", "secret_manager_settings",
		"prompts", "model_rpm_limit", "model_tpm_limit", "allowed_vector_store_indexes",
		"enforced_batch_output_expires_after", "enforced_file_expires_after", "router_settings", "access_group_ids"},
	"/team/member_add":    {"member", "team_id", "max_budget_in_team"},
	"/team/member_update": {"user_id", "user_email", "team_id", "max_budget_in_team", "role"},
	"/team/member_delete": {"user_id", "user_email", "team_id"},
	"/organization/new": {"budget_id", "soft_budget", "max_budget", "max_parallel_requests", "tpm_limit", "rpm_limit",
		"model_max_budget", "budget_duration", "organization_id", "organization_alias", "models", "metadata", "object_permission"},
	"/organization/update": {"organization_id", "organization_alias", "budget_id", "spend", "metadata", "models", "updated_by",
		"object_permission"},
	"/organization/member_add":    {"organization_id", "member", "max_budget_in_organization"},
	"/organization/member_update": {"user_id", "user_email", "organization_id", "max_budget_in_organization", "role"},
	"/organization/member_delete": {"user_id", "user_email", "organization_id"},
}

var generateBaseFields = []string{"key_alias", "duration", "models", "spend", "max_budget", "user_id", "team_id", "agent_id",
	"max_parallel_requests", "metadata", "tpm_limit", "rpm_limit", "budget_duration", "allowed_cache_controls", "config",
	"permissions", "model_max_budget", "model_rpm_limit", "model_tpm_limit", "guardrails", "policies", "prompts", "blocked",
	"aliases", "object_permission"}

var keyBaseFields = slices.Concat(generateBaseFields, []string{"key", "budget_id", "tags", "enforced_params", "allowed_routes",
	"allowed_passthrough_routes", "allowed_vector_store_indexes", "rpm_limit_type", "tpm_limit_type", "router_settings",
	"access_group_ids"})

var teamBaseFields = []string{"team_alias", "team_id", "organization_id", "admins", "members", "members_with_roles",
	"team_member_permissions", "metadata", "tpm_limit", "rpm_limit", "max_budget", "soft_budget", "budget_duration", "models",
	"blocked", "router_settings", "access_group_ids"}

// TestManagementFieldsHonouredOrRefused walks every field of LiteLLM's
// management request models: each is honoured (decoded and acted on:
// whatever the service answers, it is never refused as unsupported or
// unknown) or refused with a 400 that names it and says why, never
// accepted and dropped. The same field at LiteLLM's default (null, [],
// {}, 0, false) asks for nothing and is accepted, as typed clients send
// every field. Fields LiteLLM does not have are refused as unknown.
func TestManagementFieldsHonouredOrRefused(t *testing.T) {
	m := newMgmt(t)
	m.must(mgmtMaster, "POST", "/team/new", `{"team_id":"t-fields"}`)
	m.newUser("u-fields", "internal_user", "")
	m.must(mgmtMaster, "POST", "/organization/new", `{"organization_id":"o-fields","organization_alias":"fields"}`)
	var all []string
	for _, fields := range litellmFields {
		all = append(all, fields...)
	}
	for endpoint, fields := range litellmFields {
		refused := tenancy.UnhonouredFields(opOf(t, endpoint))
		for _, f := range refused {
			if !slices.Contains(all, f) {
				t.Errorf("%s: %s is listed as not honoured but is no LiteLLM field", endpoint, f)
			}
		}
		for _, f := range fields {
			t.Run(endpoint+"/"+f, func(t *testing.T) {
				m.t = t
				ids := fieldIDs(endpoint, f)
				status, out := m.call(mgmtMaster, "POST", endpoint, `{`+ids+`"`+f+`":"x-set"}`)
				msg := errMessage(out)
				if slices.Contains(refused, f) {
					if status != http.StatusBadRequest || errParam(out) != f || !strings.Contains(msg, "not supported by Tollgate: ") {
						t.Errorf("not honoured, so refused naming it: got %d %v", status, out)
					}
					if status, out := m.call(mgmtMaster, "POST", endpoint, `{`+ids+`"`+f+`":null}`); errParam(out) == f {
						t.Errorf("null asks for nothing, yet refused: %d %v", status, out)
					}
					return
				}
				if strings.Contains(msg, "not supported") || strings.Contains(msg, "unknown field") {
					t.Errorf("honoured field refused: %d %v", status, out)
				}
			})
		}
	}
	for _, tt := range []struct{ endpoint, body, param, msg string }{
		{"/team/new", `{"team_aliass":"x"}`, "team_aliass", "did you mean team_alias?"},
		{"/key/generate", `{"max_budgte":1}`, "max_budgte", "did you mean max_budget?"},
		{"/team/member_add", `{"team_id":"t-fields","member":{"user_id":"u-fields"},"budget":1}`, "budget", "unknown field budget"},
	} {
		t.Run("unknown "+tt.param, func(t *testing.T) {
			m.t = t
			status, out := m.call(mgmtMaster, "POST", tt.endpoint, tt.body)
			if status != 400 || errParam(out) != tt.param || !strings.Contains(errMessage(out), tt.msg) {
				t.Errorf("got %d %v", status, out)
			}
		})
	}
	t.Run("a typed client's defaults", func(t *testing.T) {
		m.t = t
		m.must(mgmtMaster, "POST", "/key/generate", `{"models":[],"spend":0,"metadata":{},"allowed_cache_controls":[],"config":{},
			"permissions":{},"model_max_budget":{},"aliases":{},"key_type":"default","auto_rotate":false,"guardrails":null,
			"organization_id":null,"send_invite_email":null}`)
		m.must(mgmtMaster, "POST", "/team/new", `{"admins":[],"members":[],"members_with_roles":[],"models":[],"blocked":false,
			"organization_id":null,"tags":null}`)
		m.must(mgmtMaster, "POST", "/organization/new", `{"organization_alias":"typed","models":[],"budget_id":null,"metadata":null,
			"object_permission":null,"max_budget":null,"soft_budget":null,"model_max_budget":null}`)
	})
}

// fieldIDs are the ids a request to endpoint needs beside the field under
// test (so the request reaches the service).
func fieldIDs(endpoint, field string) string {
	var ids []string
	add := func(name, v string) {
		if name != field {
			ids = append(ids, `"`+name+`":"`+v+`",`)
		}
	}
	switch endpoint {
	case "/user/update":
		add("user_id", "u-fields")
	case "/team/update", "/team/member_add", "/team/member_delete", "/team/member_update":
		add("team_id", "t-fields")
	case "/organization/update", "/organization/member_add", "/organization/member_delete", "/organization/member_update":
		add("organization_id", "o-fields")
	}
	return strings.Join(ids, "")
}

// TestManagementErrorsSpeakLiteLLM: management errors carry LiteLLM's
// ProxyException type and the status as their code, as clients written
// against LiteLLM's management API expect.
func TestManagementErrorsSpeakLiteLLM(t *testing.T) {
	m := newMgmt(t)
	user := m.newUser("eve", "internal_user", "")
	for _, tt := range []struct {
		name, key, method, path, body string
		status                        int
		typ                           string
	}{
		{"bad input", mgmtMaster, "POST", "/key/generate", `{"max_budget":"lots"}`, 400, "bad_request_error"},
		{"no key", "", "GET", "/key/info", "", 401, "auth_error"},
		{"bad key", "sk-nope", "GET", "/key/info", "", 401, "auth_error"},
		{"forbidden", user, "POST", "/team/new", `{}`, 403, "auth_error"},
		{"not found", mgmtMaster, "GET", "/team/info?team_id=nobody", "", 404, "not_found_error"},
		{"conflict", mgmtMaster, "POST", "/user/new", `{"user_id":"eve"}`, 409, "bad_request_error"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			m.t = t
			status, out := m.call(tt.key, tt.method, tt.path, tt.body)
			e, _ := out["error"].(map[string]any)
			if status != tt.status || e["type"] != tt.typ || e["code"] != strconv.Itoa(tt.status) {
				t.Errorf("got %d %v", status, out)
			}
		})
	}
}

// opOf is the management operation served at path.
func opOf(t *testing.T, path string) tenancy.Op {
	t.Helper()
	for _, op := range tenancy.Ops() {
		if slices.Contains(httpapi.ManagementPaths(op), path) {
			return op
		}
	}
	t.Fatalf("no management operation is served at %s", path)
	return ""
}
