package tenancy

import (
	"slices"

	"github.com/tollgate-gw/tollgate/internal/auth"
)

// Access is how far a role reaches at one endpoint.
type Access uint8

// Levels of access, narrowest first.
const (
	// Deny: the role may not call the endpoint (403).
	Deny Access = iota
	// Own: only the caller's own records: their user, their keys, the
	// teams they belong to, the models they may use.
	Own
	// TeamAdmin: only teams in which the caller's team role is admin (an
	// org_admin of a team's organization counts as its admin).
	TeamAdmin
	// OrgAdmin: only organizations in which the caller's role is
	// org_admin, and their teams.
	OrgAdmin
	// All: every record.
	All
)

func (a Access) String() string {
	return [...]string{"deny", "own", "team_admin", "org_admin", "all"}[a]
}

// Rule is an endpoint's access for each proxy role (LiteLLM's roles).
// Callers with no role (service keys: keys that belong to no user) are
// denied everywhere.
type Rule struct {
	ProxyAdmin         Access
	ProxyAdminViewer   Access
	InternalUser       Access
	InternalUserViewer Access
}

// For returns the access of role under r.
func (r Rule) For(role auth.Role) Access {
	switch role {
	case auth.RoleProxyAdmin:
		return r.ProxyAdmin
	case auth.RoleProxyAdminViewer:
		return r.ProxyAdminViewer
	case auth.RoleInternalUser:
		return r.InternalUser
	case auth.RoleInternalUserViewer:
		return r.InternalUserViewer
	}
	return Deny
}

// Management endpoints.
const (
	EpKeyGenerate   = "/key/generate"
	EpKeyUpdate     = "/key/update"
	EpKeyDelete     = "/key/delete"
	EpKeyInfo       = "/key/info"
	EpKeyList       = "/key/list"
	EpKeyBlock      = "/key/block"
	EpKeyUnblock    = "/key/unblock"
	EpKeyRegenerate = "/key/regenerate"
	EpUserNew       = "/user/new"
	EpUserInfo      = "/user/info"
	EpUserUpdate    = "/user/update"
	EpUserDelete    = "/user/delete"
	EpUserList      = "/user/list"
	EpTeamNew       = "/team/new"
	EpTeamUpdate    = "/team/update"
	EpTeamDelete    = "/team/delete"
	EpTeamInfo      = "/team/info"
	EpTeamList      = "/team/list"
	EpTeamMemberAdd = "/team/member_add"
	EpTeamMemberDel = "/team/member_delete"
	EpTeamMemberUpd = "/team/member_update"
	EpOrgNew        = "/organization/new"
	EpOrgUpdate     = "/organization/update"
	EpOrgDelete     = "/organization/delete"
	EpOrgInfo       = "/organization/info"
	EpOrgList       = "/organization/list"
	EpOrgMemberAdd  = "/organization/member_add"
	EpOrgMemberUpd  = "/organization/member_update"
	EpOrgMemberDel  = "/organization/member_delete"
	EpModelInfo     = "/model/info"
	EpModelInfoV1   = "/v1/model/info"
	EpModelGroup    = "/model_group/info"
	EpSpendLogs     = "/spend/logs"
	EpSpendReport   = "/global/spend/report"
)

// rules is the one table of who may call what. Viewers read; internal
// users manage their own keys and may create their own user record (self
// sign-up, bounded by the admin's defaults); team admins manage their
// team's members; org admins (internal users whose role in an
// organization is org_admin) manage that organization's members and
// teams; everything else is the proxy admin's. It is read-only.
var rules = map[string]Rule{
	//                    proxy_admin  admin_viewer  internal_user  user_viewer
	EpKeyGenerate:   {All, Deny, Own, Deny},
	EpKeyUpdate:     {All, Deny, Own, Deny},
	EpKeyDelete:     {All, Deny, Own, Deny},
	EpKeyInfo:       {All, All, Own, Own},
	EpKeyList:       {All, All, Own, Own},
	EpKeyBlock:      {All, Deny, Deny, Deny},
	EpKeyUnblock:    {All, Deny, Deny, Deny},
	EpKeyRegenerate: {All, Deny, Own, Deny},
	EpUserNew:       {All, Deny, Own, Deny},
	EpUserInfo:      {All, All, Own, Own},
	EpUserUpdate:    {All, Deny, Deny, Deny},
	EpUserDelete:    {All, Deny, Deny, Deny},
	EpUserList:      {All, All, Deny, Deny},
	EpTeamNew:       {All, Deny, OrgAdmin, Deny},
	EpTeamUpdate:    {All, Deny, TeamAdmin, Deny},
	EpTeamDelete:    {All, Deny, OrgAdmin, Deny},
	EpTeamInfo:      {All, All, Own, Own},
	EpTeamList:      {All, All, Own, Own},
	EpTeamMemberAdd: {All, Deny, TeamAdmin, Deny},
	EpTeamMemberDel: {All, Deny, TeamAdmin, Deny},
	EpTeamMemberUpd: {All, Deny, TeamAdmin, Deny},
	EpOrgNew:        {All, Deny, Deny, Deny},
	EpOrgUpdate:     {All, Deny, OrgAdmin, Deny},
	EpOrgDelete:     {All, Deny, Deny, Deny},
	EpOrgInfo:       {All, All, Own, Own},
	EpOrgList:       {All, All, Own, Own},
	EpOrgMemberAdd:  {All, Deny, OrgAdmin, Deny},
	EpOrgMemberUpd:  {All, Deny, OrgAdmin, Deny},
	EpOrgMemberDel:  {All, Deny, OrgAdmin, Deny},
	EpModelInfo:     {All, All, Own, Own},
	EpModelInfoV1:   {All, All, Own, Own},
	EpModelGroup:    {All, All, Own, Own},
	// Spend: admins and viewers see everything, internal users their own.
	EpSpendLogs:   {All, All, Own, Own},
	EpSpendReport: {All, All, Own, Own},
}

// Endpoints lists every management endpoint, sorted.
func Endpoints() []string {
	out := make([]string, 0, len(rules))
	for e := range rules {
		out = append(out, e)
	}
	slices.Sort(out)
	return out
}

// authorizeSelf is authorize for a read of what the calling key may know
// about itself (its own /key/info, the models it may use, its own team):
// every valid key may read that, a service key and a viewer included, as
// with LiteLLM. self says whether this request is such a read; when it is,
// a caller the table denies gets Own, which every reader of the result
// narrows to the key's own records.
func authorizeSelf(p *auth.Principal, endpoint string, self bool) (Access, error) {
	a, err := authorize(p, endpoint)
	if err != nil && self && p != nil && p.Kind == auth.KindKey {
		return Own, nil
	}
	return a, err
}

// authorize applies the table: the caller's access at endpoint, or a 403
// that says why.
func authorize(p *auth.Principal, endpoint string) (Access, error) {
	if p == nil {
		return Deny, forbidden("", "%s needs an authenticated caller", endpoint)
	}
	if p.IsService() {
		return Deny, forbidden("", "this key belongs to no user (a service key) and has no management rights; %s needs a user's key, a JWT or the master key", endpoint)
	}
	r, ok := rules[endpoint]
	if !ok {
		return Deny, forbidden("", "%s has no role rule", endpoint)
	}
	a := r.For(p.Role)
	if a == Deny {
		role := string(p.Role)
		if role == "" {
			role = "no role"
		}
		return Deny, forbidden("", "role %s may not call %s", role, endpoint)
	}
	return a, nil
}
