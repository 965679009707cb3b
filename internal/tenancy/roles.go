package tenancy

import (
	"slices"

	"github.com/tollgate-gw/tollgate/internal/auth"
)

// Access is how far a role reaches in one operation.
type Access uint8

// Levels of access, narrowest first.
const (
	// Deny: the role may not call the operation (403).
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

// Rule is an operation's access for each proxy role (LiteLLM's roles).
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

// Op names a management operation: what the role table rules on and the
// service's errors name. httpapi maps each route LiteLLM serves it on to
// it (manage.go), and names the route in the errors the caller sees
// (Error.Named).
type Op string

// Management operations.
const (
	OpKeyGenerate   Op = "key.generate"
	OpKeyUpdate     Op = "key.update"
	OpKeyDelete     Op = "key.delete"
	OpKeyInfo       Op = "key.info"
	OpKeyList       Op = "key.list"
	OpKeyBlock      Op = "key.block"
	OpKeyUnblock    Op = "key.unblock"
	OpKeyRegenerate Op = "key.regenerate"
	OpUserNew       Op = "user.new"
	OpUserInfo      Op = "user.info"
	OpUserUpdate    Op = "user.update"
	OpUserDelete    Op = "user.delete"
	OpUserList      Op = "user.list"
	OpTeamNew       Op = "team.new"
	OpTeamUpdate    Op = "team.update"
	OpTeamDelete    Op = "team.delete"
	OpTeamInfo      Op = "team.info"
	OpTeamList      Op = "team.list"
	OpTeamMemberAdd Op = "team.member_add"
	OpTeamMemberDel Op = "team.member_delete"
	OpTeamMemberUpd Op = "team.member_update"
	OpOrgNew        Op = "organization.new"
	OpOrgUpdate     Op = "organization.update"
	OpOrgDelete     Op = "organization.delete"
	OpOrgInfo       Op = "organization.info"
	OpOrgList       Op = "organization.list"
	OpOrgMemberAdd  Op = "organization.member_add"
	OpOrgMemberUpd  Op = "organization.member_update"
	OpOrgMemberDel  Op = "organization.member_delete"
	OpModelInfo     Op = "model.info"
	OpModelGroup    Op = "model_group.info"
	OpModelNew      Op = "model.new"
	OpModelUpdate   Op = "model.update"
	OpModelDelete   Op = "model.delete"
	OpSpendLogs     Op = "spend.logs"
	OpSpendReport   Op = "spend.report"
)

// rules is the one table of who may call what. Viewers read; internal
// users manage their own keys and may create their own user record (self
// sign-up, bounded by the admin's defaults); team admins manage their
// team's members; org admins (internal users whose role in an
// organization is org_admin) manage that organization's members and
// teams; everything else is the proxy admin's. It is read-only.
var rules = map[Op]Rule{
	//                    proxy_admin  admin_viewer  internal_user  user_viewer
	OpKeyGenerate:   {All, Deny, Own, Deny},
	OpKeyUpdate:     {All, Deny, Own, Deny},
	OpKeyDelete:     {All, Deny, Own, Deny},
	OpKeyInfo:       {All, All, Own, Own},
	OpKeyList:       {All, All, Own, Own},
	OpKeyBlock:      {All, Deny, Deny, Deny},
	OpKeyUnblock:    {All, Deny, Deny, Deny},
	OpKeyRegenerate: {All, Deny, Own, Deny},
	OpUserNew:       {All, Deny, Own, Deny},
	OpUserInfo:      {All, All, Own, Own},
	OpUserUpdate:    {All, Deny, Deny, Deny},
	OpUserDelete:    {All, Deny, Deny, Deny},
	OpUserList:      {All, All, Deny, Deny},
	OpTeamNew:       {All, Deny, OrgAdmin, Deny},
	OpTeamUpdate:    {All, Deny, TeamAdmin, Deny},
	OpTeamDelete:    {All, Deny, OrgAdmin, Deny},
	OpTeamInfo:      {All, All, Own, Own},
	OpTeamList:      {All, All, Own, Own},
	OpTeamMemberAdd: {All, Deny, TeamAdmin, Deny},
	OpTeamMemberDel: {All, Deny, TeamAdmin, Deny},
	OpTeamMemberUpd: {All, Deny, TeamAdmin, Deny},
	OpOrgNew:        {All, Deny, Deny, Deny},
	OpOrgUpdate:     {All, Deny, OrgAdmin, Deny},
	OpOrgDelete:     {All, Deny, Deny, Deny},
	OpOrgInfo:       {All, All, Own, Own},
	OpOrgList:       {All, All, Own, Own},
	OpOrgMemberAdd:  {All, Deny, OrgAdmin, Deny},
	OpOrgMemberUpd:  {All, Deny, OrgAdmin, Deny},
	OpOrgMemberDel:  {All, Deny, OrgAdmin, Deny},
	OpModelInfo:     {All, All, Own, Own},
	OpModelGroup:    {All, All, Own, Own},
	OpModelNew:      {All, Deny, Deny, Deny},
	OpModelUpdate:   {All, Deny, Deny, Deny},
	OpModelDelete:   {All, Deny, Deny, Deny},
	// Spend: admins and viewers see everything, internal users their own.
	OpSpendLogs:   {All, All, Own, Own},
	OpSpendReport: {All, All, Own, Own},
}

// Ops lists every management operation, sorted.
func Ops() []Op {
	out := make([]Op, 0, len(rules))
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
func authorizeSelf(p *auth.Principal, op Op, self bool) (Access, error) {
	a, err := authorize(p, op)
	if err != nil && self && p != nil && p.Kind == auth.KindKey {
		return Own, nil
	}
	return a, err
}

// authorize applies the table: the caller's access to op, or a 403 that
// says why, naming op (Error.Named renames it).
func authorize(p *auth.Principal, op Op) (Access, error) {
	if p == nil {
		return Deny, denied(op, func(name string) string { return name + " needs an authenticated caller" })
	}
	if p.IsService() {
		return Deny, denied(op, func(name string) string {
			return "this key belongs to no user (a service key) and has no management rights; " + name + " needs a user's key, a JWT or the master key"
		})
	}
	r, ok := rules[op]
	if !ok {
		return Deny, denied(op, func(name string) string { return name + " has no role rule" })
	}
	a := r.For(p.Role)
	if a == Deny {
		role := string(p.Role)
		if role == "" {
			role = "no role"
		}
		return Deny, denied(op, func(name string) string { return "role " + role + " may not call " + name })
	}
	return a, nil
}
