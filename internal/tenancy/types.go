package tenancy

import (
	"bytes"
	"encoding/json"
	"fmt"
	"time"

	"github.com/tollgate-gw/tollgate/internal/period"
	"github.com/tollgate-gw/tollgate/internal/store"
)

// LimitsInput are the limit fields of a key, user or team request
// (LiteLLM's names). A nil field is not set (on create) or unchanged (on
// update).
type LimitsInput struct {
	Models              []string                     `json:"models"`
	MaxBudget           *float64                     `json:"max_budget"`
	BudgetDuration      *string                      `json:"budget_duration"`
	SoftBudget          *float64                     `json:"soft_budget"`
	ModelMaxBudget      map[string]store.ModelBudget `json:"model_max_budget"`
	TPMLimit            *int64                       `json:"tpm_limit"`
	RPMLimit            *int64                       `json:"rpm_limit"`
	MaxParallelRequests *int64                       `json:"max_parallel_requests"`
	ModelRPMLimit       map[string]int64             `json:"model_rpm_limit"`
	ModelTPMLimit       map[string]int64             `json:"model_tpm_limit"`
}

// apply copies the fields that are set onto l.
func (in *LimitsInput) apply(l *store.Limits) {
	if in.Models != nil {
		l.Models = in.Models
	}
	if in.MaxBudget != nil {
		l.MaxBudget = in.MaxBudget
	}
	if in.BudgetDuration != nil {
		l.BudgetDuration = *in.BudgetDuration
	}
	if in.SoftBudget != nil {
		l.SoftBudget = in.SoftBudget
	}
	if in.ModelMaxBudget != nil {
		l.ModelMaxBudget = in.ModelMaxBudget
	}
	if in.TPMLimit != nil {
		l.TPMLimit = in.TPMLimit
	}
	if in.RPMLimit != nil {
		l.RPMLimit = in.RPMLimit
	}
	if in.MaxParallelRequests != nil {
		l.MaxParallelRequests = in.MaxParallelRequests
	}
	if in.ModelRPMLimit != nil {
		l.ModelRPMLimit = in.ModelRPMLimit
	}
	if in.ModelTPMLimit != nil {
		l.ModelTPMLimit = in.ModelTPMLimit
	}
}

// setsLimits reports whether the input changes any limit (models aside).
func (in *LimitsInput) setsLimits() bool {
	return in.MaxBudget != nil || in.BudgetDuration != nil || in.SoftBudget != nil || in.ModelMaxBudget != nil ||
		in.TPMLimit != nil || in.RPMLimit != nil || in.MaxParallelRequests != nil || in.ModelRPMLimit != nil || in.ModelTPMLimit != nil
}

// checkLimits validates limits before anything is written: the store's
// own rules (no negative amounts, periods that parse), answered as 400s
// that name the field.
func checkLimits(l *store.Limits) error {
	if err := l.Validate(); err != nil {
		return &Error{Kind: ErrInvalid, Message: err.Error(), Err: err}
	}
	return nil
}

// checkMetadata accepts a JSON object (or nothing) and returns it with
// null dropped.
func checkMetadata(raw json.RawMessage) (json.RawMessage, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	if raw[0] != '{' || !json.Valid(raw) {
		return nil, invalid("metadata", "metadata must be a JSON object")
	}
	return raw, nil
}

// expiry turns a key duration ("30d", "1mo") into its end.
func expiry(duration string, now time.Time) (*time.Time, error) {
	p, err := period.Parse(duration)
	if err != nil {
		return nil, invalid("duration", "duration: %v", err)
	}
	t := p.Next(now).UTC()
	return &t, nil
}

// LimitsView echoes every limit, unset ones as null, as LiteLLM's
// responses do.
type LimitsView struct {
	Models              []string                     `json:"models"`
	MaxBudget           *float64                     `json:"max_budget"`
	BudgetDuration      *string                      `json:"budget_duration"`
	SoftBudget          *float64                     `json:"soft_budget"`
	ModelMaxBudget      map[string]store.ModelBudget `json:"model_max_budget"`
	TPMLimit            *int64                       `json:"tpm_limit"`
	RPMLimit            *int64                       `json:"rpm_limit"`
	MaxParallelRequests *int64                       `json:"max_parallel_requests"`
	ModelRPMLimit       map[string]int64             `json:"model_rpm_limit"`
	ModelTPMLimit       map[string]int64             `json:"model_tpm_limit"`
}

func limitsView(l store.Limits) LimitsView {
	v := LimitsView{Models: l.Models, MaxBudget: l.MaxBudget, SoftBudget: l.SoftBudget, ModelMaxBudget: l.ModelMaxBudget,
		TPMLimit: l.TPMLimit, RPMLimit: l.RPMLimit, MaxParallelRequests: l.MaxParallelRequests,
		ModelRPMLimit: l.ModelRPMLimit, ModelTPMLimit: l.ModelTPMLimit}
	if v.Models == nil {
		v.Models = []string{}
	}
	if v.ModelMaxBudget == nil {
		v.ModelMaxBudget = map[string]store.ModelBudget{}
	}
	if l.BudgetDuration != "" {
		d := l.BudgetDuration
		v.BudgetDuration = &d
	}
	return v
}

// KeyRequest is the body of /key/generate, /key/update and
// /key/regenerate.
type KeyRequest struct {
	// Key names the key to update or regenerate: its plaintext or its
	// hash (LiteLLM's token).
	Key      string  `json:"key"`
	KeyAlias *string `json:"key_alias"`
	UserID   *string `json:"user_id"`
	TeamID   *string `json:"team_id"`
	// OrganizationID puts a key without a team in an organization; a team
	// key belongs to its team's organization, which this may only repeat.
	OrganizationID *string `json:"organization_id"`
	LimitsInput
	Duration *string           `json:"duration"`
	Metadata json.RawMessage   `json:"metadata"`
	Blocked  *bool             `json:"blocked"`
	Aliases  map[string]string `json:"aliases"`
	Tags     []string          `json:"tags"`
}

// KeyView is a key as responses show it. Key (the plaintext) is set only
// in the response that creates it.
type KeyView struct {
	Key      string  `json:"key,omitempty"`
	KeyName  string  `json:"key_name"`
	Token    string  `json:"token"`
	TokenID  string  `json:"token_id"`
	KeyAlias *string `json:"key_alias"`
	UserID   *string `json:"user_id"`
	TeamID   *string `json:"team_id"`
	// OrganizationID is the key's organization (its own, or its team's);
	// OrgID repeats it under the name LiteLLM's key records use.
	OrganizationID *string `json:"organization_id"`
	OrgID          *string `json:"org_id"`
	LimitsView
	Duration   *string           `json:"duration"`
	Expires    *time.Time        `json:"expires"`
	Metadata   json.RawMessage   `json:"metadata"`
	Blocked    bool              `json:"blocked"`
	Guardrails []string          `json:"guardrails"`
	Aliases    map[string]string `json:"aliases"`
	Tags       []string          `json:"tags"`
	Spend      float64           `json:"spend"`
	// BudgetResetAt is when the current budget period ends (/key/info).
	BudgetResetAt *time.Time `json:"budget_reset_at"`
	CreatedBy     *string    `json:"created_by"`
	CreatedAt     time.Time  `json:"created_at"`
	UpdatedAt     time.Time  `json:"updated_at"`
	keyUnset
}

// keyUnset are the fields of LiteLLM's key records (GenerateKeyResponse,
// LiteLLM_VerificationToken) that Tollgate has nothing for (it refuses
// them in requests, fields.go): answered as LiteLLM answers a key that
// does not set them, so typed clients find every field.
type keyUnset struct {
	AllowedCacheControls []string        `json:"allowed_cache_controls"`
	Config               json.RawMessage `json:"config"`
	Permissions          json.RawMessage `json:"permissions"`
	ModelSpend           json.RawMessage `json:"model_spend"`
	BudgetID             *string         `json:"budget_id"`
	EnforcedParams       []string        `json:"enforced_params"`
	AllowedRoutes        []string        `json:"allowed_routes"`
	KeyType              *string         `json:"key_type"`
	ProjectID            *string         `json:"project_id"`
	LiteLLMBudgetTable   json.RawMessage `json:"litellm_budget_table"`
	UpdatedBy            *string         `json:"updated_by"`
	SoftBudgetCooldown   bool            `json:"soft_budget_cooldown"`
	ObjectPermissionID   *string         `json:"object_permission_id"`
	ObjectPermission     json.RawMessage `json:"object_permission"`
}

var emptyObject = json.RawMessage("{}")

func unsetKey() keyUnset {
	return keyUnset{AllowedCacheControls: []string{}, Config: emptyObject, Permissions: emptyObject, ModelSpend: emptyObject,
		AllowedRoutes: []string{}}
}

// teamUnset are LiteLLM_TeamTable's fields Tollgate has nothing for.
type teamUnset struct {
	// Admins and Members are LiteLLM's older member lists; members are
	// in members_with_roles.
	Admins                []string        `json:"admins"`
	Members               []string        `json:"members"`
	TeamMemberPermissions []string        `json:"team_member_permissions"`
	ModelID               *int            `json:"model_id"`
	LiteLLMModelTable     json.RawMessage `json:"litellm_model_table"`
	ObjectPermissionID    *string         `json:"object_permission_id"`
	ObjectPermission      json.RawMessage `json:"object_permission"`
}

// userUnset are LiteLLM_UserTable's fields Tollgate has nothing for.
type userUnset struct {
	ModelSpend       json.RawMessage `json:"model_spend"`
	SSOUserID        *string         `json:"sso_user_id"`
	ObjectPermission json.RawMessage `json:"object_permission"`
}

func strPtr(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func keyView(k *store.Key, plaintext string) KeyView {
	v := KeyView{Key: plaintext, KeyName: k.KeyName, Token: k.Hash, TokenID: k.Hash, KeyAlias: strPtr(k.KeyAlias),
		UserID: strPtr(k.UserID), TeamID: strPtr(k.TeamID), OrganizationID: strPtr(k.OrganizationID), OrgID: strPtr(k.OrganizationID),
		LimitsView: limitsView(k.Limits), Duration: strPtr(k.Duration),
		Expires: k.Expires, Metadata: k.Metadata, Blocked: k.Blocked, Guardrails: k.Guardrails, Aliases: k.Aliases,
		Tags: k.Tags, CreatedBy: strPtr(k.CreatedBy), CreatedAt: k.CreatedAt, UpdatedAt: k.UpdatedAt, keyUnset: unsetKey()}
	if v.Metadata == nil {
		v.Metadata = json.RawMessage("{}")
	}
	if v.Aliases == nil {
		v.Aliases = map[string]string{}
	}
	return v
}

// UserRequest is the body of /user/new and /user/update.
type UserRequest struct {
	UserID    *string `json:"user_id"`
	UserEmail *string `json:"user_email"`
	UserRole  *string `json:"user_role"`
	UserAlias *string `json:"user_alias"`
	LimitsInput
	Metadata json.RawMessage `json:"metadata"`
	Blocked  *bool           `json:"blocked"`
	// Teams adds the new user to these teams as a member (/user/new).
	Teams UserTeams `json:"teams"`
	// AutoCreateKey: /user/new makes a key unless this is false.
	AutoCreateKey *bool `json:"auto_create_key"`
	// KeyAlias and Duration describe that key.
	KeyAlias *string `json:"key_alias"`
	Duration *string `json:"duration"`
}

// UserTeam is a team /user/new puts the user in, with their role and
// budget there (LiteLLM's NewUserRequestTeam).
type UserTeam struct {
	TeamID          string   `json:"team_id"`
	MaxBudgetInTeam *float64 `json:"max_budget_in_team"`
	Role            string   `json:"user_role"`
}

// UserTeams is /user/new's teams: team ids, or UserTeam objects.
type UserTeams []UserTeam

// UnmarshalJSON accepts a list of team ids or of {team_id,
// max_budget_in_team, user_role} objects, mixed.
func (ts *UserTeams) UnmarshalJSON(b []byte) error {
	var raw []json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	out := make(UserTeams, 0, len(raw))
	for _, r := range raw {
		var t UserTeam
		if err := json.Unmarshal(r, &t.TeamID); err != nil {
			if err := json.Unmarshal(r, &t); err != nil {
				return err
			}
		}
		out = append(out, t)
	}
	*ts = out
	return nil
}

// UserView is a user as responses show it.
type UserView struct {
	UserID    string  `json:"user_id"`
	UserEmail *string `json:"user_email"`
	UserRole  string  `json:"user_role"`
	UserAlias *string `json:"user_alias"`
	LimitsView
	Metadata json.RawMessage `json:"metadata"`
	Blocked  bool            `json:"blocked"`
	Teams    []string        `json:"teams"`
	Spend    float64         `json:"spend"`
	// BudgetResetAt is when the current budget period ends (/user/info).
	BudgetResetAt *time.Time `json:"budget_reset_at"`
	CreatedAt     time.Time  `json:"created_at"`
	UpdatedAt     time.Time  `json:"updated_at"`
	// OrganizationMemberships are the user's organizations (/user/info;
	// null elsewhere).
	OrganizationMemberships []OrgMembership `json:"organization_memberships"`
	userUnset
}

func userView(u *store.User, teams []string) UserView {
	v := UserView{UserID: u.UserID, UserEmail: strPtr(u.Email), UserRole: u.Role, UserAlias: strPtr(u.Alias),
		LimitsView: limitsView(u.Limits), Metadata: u.Metadata, Blocked: u.Blocked, Teams: teams,
		CreatedAt: u.CreatedAt, UpdatedAt: u.UpdatedAt, userUnset: userUnset{ModelSpend: emptyObject}}
	if v.Metadata == nil {
		v.Metadata = json.RawMessage("{}")
	}
	if v.Teams == nil {
		v.Teams = []string{}
	}
	return v
}

// NewUserResponse is /user/new's body: the user's fields and limits, all
// echoed back (max_parallel_requests, model_rpm_limit and model_tpm_limit
// included), with the new key.
type NewUserResponse struct {
	Key      string     `json:"key,omitempty"`
	KeyName  *string    `json:"key_name"`
	Token    *string    `json:"token"`
	TokenID  *string    `json:"token_id"`
	KeyAlias *string    `json:"key_alias"`
	Duration *string    `json:"duration"`
	Expires  *time.Time `json:"expires"`
	TeamID   *string    `json:"team_id"`
	UserView
	// The rest of GenerateKeyResponse, as LiteLLM answers a key that sets
	// none of it.
	Guardrails     []string          `json:"guardrails"`
	Aliases        map[string]string `json:"aliases"`
	Tags           []string          `json:"tags"`
	OrganizationID *string           `json:"organization_id"`
	CreatedBy      *string           `json:"created_by"`
	keyUnset
}

// TeamRequest is the body of /team/new and /team/update.
type TeamRequest struct {
	TeamID    *string `json:"team_id"`
	TeamAlias *string `json:"team_alias"`
	// OrganizationID puts the team in an organization ("" takes it out).
	OrganizationID *string `json:"organization_id"`
	LimitsInput
	Metadata         json.RawMessage `json:"metadata"`
	Blocked          *bool           `json:"blocked"`
	MembersWithRoles []MemberInput   `json:"members_with_roles"`
	// ModelAliases serve a request for the alias as the model, for every
	// key of the team.
	ModelAliases map[string]string `json:"model_aliases"`
	TeamMemberLimits
}

// TeamMemberLimits are the limits of each member within a team, in
// requests (nil: unchanged) and responses (null: unset).
type TeamMemberLimits struct {
	TeamMemberBudget         *float64 `json:"team_member_budget"`
	TeamMemberBudgetDuration *string  `json:"team_member_budget_duration"`
	TeamMemberRPMLimit       *int64   `json:"team_member_rpm_limit"`
	TeamMemberTPMLimit       *int64   `json:"team_member_tpm_limit"`
	TeamMemberKeyDuration    *string  `json:"team_member_key_duration"`
}

// MemberInput is a team member as requests name them: by user_id or
// user_email.
type MemberInput struct {
	UserID    string `json:"user_id"`
	UserEmail string `json:"user_email"`
	// Role is "admin" or "user" (default "user").
	Role string `json:"role"`
}

// TeamView is a team as responses show it.
type TeamView struct {
	TeamID         string  `json:"team_id"`
	TeamAlias      *string `json:"team_alias"`
	OrganizationID *string `json:"organization_id"`
	LimitsView
	Metadata         json.RawMessage   `json:"metadata"`
	Blocked          bool              `json:"blocked"`
	MembersWithRoles []MemberView      `json:"members_with_roles"`
	ModelAliases     map[string]string `json:"model_aliases"`
	TeamMemberLimits
	// Spend is the team's spend in its current budget period; filled in
	// by /team/info, /team/list and /user/info (spentTeamView).
	Spend float64 `json:"spend"`
	// BudgetResetAt is when the current budget period ends.
	BudgetResetAt *time.Time `json:"budget_reset_at"`
	CreatedAt     time.Time  `json:"created_at"`
	UpdatedAt     time.Time  `json:"updated_at"`
	teamUnset
}

// MemberView is a member in responses (LiteLLM's Member).
type MemberView struct {
	UserID    string  `json:"user_id"`
	UserEmail *string `json:"user_email"`
	Role      string  `json:"role"`
}

func teamView(t *store.Team) TeamView {
	ml := t.MemberLimits
	v := TeamView{TeamID: t.TeamID, TeamAlias: strPtr(t.Alias), OrganizationID: strPtr(t.OrganizationID), LimitsView: limitsView(t.Limits), Metadata: t.Metadata,
		Blocked: t.Blocked, MembersWithRoles: []MemberView{}, ModelAliases: t.ModelAliases,
		TeamMemberLimits: TeamMemberLimits{TeamMemberBudget: ml.MaxBudget, TeamMemberBudgetDuration: strPtr(ml.BudgetDuration),
			TeamMemberRPMLimit: ml.RPMLimit, TeamMemberTPMLimit: ml.TPMLimit, TeamMemberKeyDuration: strPtr(ml.KeyDuration)},
		CreatedAt: t.CreatedAt, UpdatedAt: t.UpdatedAt, teamUnset: teamUnset{Admins: []string{}, Members: []string{}}}
	if v.ModelAliases == nil {
		v.ModelAliases = map[string]string{}
	}
	for _, m := range t.Members {
		v.MembersWithRoles = append(v.MembersWithRoles, MemberView{UserID: m.UserID, Role: m.Role})
	}
	if v.Metadata == nil {
		v.Metadata = json.RawMessage("{}")
	}
	return v
}

// money formats an amount for messages.
func money(v float64) string { return fmt.Sprintf("%g", v) }
