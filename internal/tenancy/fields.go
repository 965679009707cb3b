package tenancy

// Nothing is silently dropped: every field of LiteLLM's management request
// models is either honoured (a field of the request type the endpoint
// decodes into) or listed here with the reason Tollgate does not act on
// it. The HTTP layer refuses a listed field with a 400 naming it unless
// its value asks for nothing (null, or LiteLLM's default: false, 0, "",
// [] or {}), so a typed client that sends every field at its default
// still works. A field in neither place is unknown and refused too.

const (
	whyOrgMember  = "add users to organizations with /organization/member_add"
	whyGuardrails = "guardrails are not available in Tollgate yet"
	whyPolicies   = "policies and prompts are not available in Tollgate"
	whyObjPerm    = "object permissions (MCP servers, vector stores, agents) are not available in Tollgate"
	whyRoutes     = "per-key route restrictions are not available in Tollgate; every key may call the model routes"
	whyRouter     = "per-key and per-team router settings are not available in Tollgate; use router_settings in config.yaml"
	whyRateType   = "rate limit types (guaranteed or best-effort throughput) are not available in Tollgate; limits are always enforced"
	whySpend      = "spend is counted by Tollgate from the calls made; it cannot be set"
	whyBudgetID   = "shared budget ids (/budget/*) are not available in Tollgate; set max_budget on the key, user or team"
	whyAccessGrp  = "access group ids are not available in Tollgate; name access groups in models (model_info.access_groups)"
	whyEmail      = "Tollgate sends no e-mail"
	whyRotate     = "automatic key rotation is not available in Tollgate; rotate with /key/regenerate"
	whyAgent      = "agents and projects are not available in Tollgate"
	whyCache      = "per-key cache controls are not available in Tollgate"
	whyConfig     = "per-key config and permissions are not available in Tollgate"
	whyFiles      = "files and batches are not available in Tollgate"
	whyPassword   = "Tollgate has no passwords: users sign in with a key or an OIDC token"
)

// keyFields are GenerateKeyRequest's, UpdateKeyRequest's and
// RegenerateKeyRequest's fields that Tollgate does not honour.
var keyFields = map[string]string{
	"spend":                        whySpend,
	"agent_id":                     whyAgent,
	"project_id":                   whyAgent,
	"allowed_cache_controls":       whyCache,
	"config":                       whyConfig,
	"permissions":                  whyConfig,
	"guardrails":                   whyGuardrails,
	"policies":                     whyPolicies,
	"prompts":                      whyPolicies,
	"object_permission":            whyObjPerm,
	"budget_id":                    whyBudgetID,
	"enforced_params":              "enforced request parameters are not available in Tollgate",
	"allowed_routes":               whyRoutes,
	"allowed_passthrough_routes":   whyRoutes,
	"allowed_vector_store_indexes": whyObjPerm,
	"rpm_limit_type":               whyRateType,
	"tpm_limit_type":               whyRateType,
	"router_settings":              whyRouter,
	"access_group_ids":             whyAccessGrp,
	"send_invite_email":            whyEmail,
	"key_type":                     "key types are not available in Tollgate: every key may call the model routes and, by its user's role, the management API",
	"auto_rotate":                  whyRotate,
	"rotation_interval":            whyRotate,
	"temp_budget_increase":         "temporary budget increases are not available in Tollgate; raise max_budget with /key/update",
	"temp_budget_expiry":           "temporary budget increases are not available in Tollgate; raise max_budget with /key/update",
	"new_key":                      "Tollgate makes every key itself (256 random bits); a chosen key value is not accepted",
	"new_master_key":               "the master key is set in the deployment (TOLLGATE_MASTER_KEY or its secret), not through the API",
	"grace_period":                 "the old key stops at once on /key/regenerate; a grace period is not available in Tollgate",
}

// userFields are NewUserRequest's and UpdateUserRequest's fields that
// Tollgate does not honour.
var userFields = map[string]string{
	"spend":                  whySpend,
	"team_id":                "a user's teams are set with teams (/user/new) or /team/member_add",
	"agent_id":               whyAgent,
	"allowed_cache_controls": whyCache,
	"config":                 whyConfig,
	"permissions":            whyConfig,
	"guardrails":             whyGuardrails,
	"policies":               whyPolicies,
	"prompts":                whyPolicies,
	"aliases":                "model aliases belong to keys (aliases) and teams (model_aliases), not to users",
	"object_permission":      whyObjPerm,
	"send_invite_email":      whyEmail,
	"sso_user_id":            "Tollgate's user id is the OIDC token's subject; a separate SSO user id is not available",
	"organizations":          whyOrgMember,
	"password":               whyPassword,
}

// teamFields are NewTeamRequest's and UpdateTeamRequest's fields that
// Tollgate does not honour.
var teamFields = map[string]string{
	"admins":                              "name team admins in members_with_roles with role admin",
	"members":                             "name members in members_with_roles",
	"team_member_permissions":             "team member permissions are not available in Tollgate; team admins manage members and keys",
	"router_settings":                     whyRouter,
	"access_group_ids":                    whyAccessGrp,
	"tags":                                "team tags are not available in Tollgate",
	"guardrails":                          whyGuardrails,
	"policies":                            whyPolicies,
	"prompts":                             whyPolicies,
	"object_permission":                   whyObjPerm,
	"allowed_passthrough_routes":          whyRoutes,
	"secret_manager_settings":             "per-team secret managers are not available in Tollgate",
	"rpm_limit_type":                      whyRateType,
	"tpm_limit_type":                      whyRateType,
	"allowed_vector_store_indexes":        whyObjPerm,
	"enforced_batch_output_expires_after": whyFiles,
	"enforced_file_expires_after":         whyFiles,
	"spend":                               whySpend,
}

// orgFields are NewOrganizationRequest's and
// LiteLLM_OrganizationTableUpdate's fields that Tollgate does not honour.
var orgFields = map[string]string{
	"budget_id":         whyBudgetID,
	"object_permission": whyObjPerm,
	"spend":             whySpend,
	"updated_by":        "updated_by is set by Tollgate to the caller",
}

// unhonoured maps each management operation that takes a body to the
// LiteLLM fields it does not honour.
var unhonoured = map[Op]map[string]string{
	OpKeyGenerate:   keyFields,
	OpKeyUpdate:     keyFields,
	OpKeyRegenerate: keyFields,
	OpUserNew:       userFields,
	OpUserUpdate:    userFields,
	OpTeamNew:       teamFields,
	OpTeamUpdate:    teamFields,
	OpOrgNew:        orgFields,
	OpOrgUpdate:     orgFields,
}

// Unhonoured returns why Tollgate does not act on a LiteLLM request field
// of op, or false when the field is not one of those.
func Unhonoured(op Op, field string) (string, bool) {
	why, ok := unhonoured[op][field]
	return why, ok
}

// UnhonouredFields lists the fields of op that Tollgate does not
// honour (for the documentation and the tests).
func UnhonouredFields(op Op) []string {
	out := make([]string, 0, len(unhonoured[op]))
	for f := range unhonoured[op] {
		out = append(out, f)
	}
	return out
}
