package tenancy

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tollgate-gw/tollgate/internal/auth"
	"github.com/tollgate-gw/tollgate/internal/store"
)

// Organizations, as LiteLLM's proxy has them: an organization owns teams
// (and keys without a team), and its models, budget and limits bound
// theirs as a team's bound its keys. The bound holds twice: when a team or
// key is created or changed (checkBounds), and on every call, where the
// organization is one more scope and one more budget level of the key
// (auth.LevelOrganization), so spend rolls up to it in the same
// conditional write that checks the team's budget.
//
// Proxy admins manage every organization. An org admin (an internal user
// whose role in the organization is org_admin) manages that
// organization's members, its alias and metadata, and its teams; its
// budget, limits and models are the proxy admin's.

// OrgRequest is the body of /organization/new and /organization/update
// (LiteLLM's NewOrganizationRequest and LiteLLM_OrganizationTableUpdate).
type OrgRequest struct {
	OrganizationID    *string `json:"organization_id"`
	OrganizationAlias *string `json:"organization_alias"`
	LimitsInput
	Metadata json.RawMessage `json:"metadata"`
	Blocked  *bool           `json:"blocked"`
}

// OrgView is an organization as responses show it (LiteLLM's
// LiteLLM_OrganizationTableWithMembers).
type OrgView struct {
	OrganizationID    string  `json:"organization_id"`
	OrganizationAlias *string `json:"organization_alias"`
	// BudgetID is the organization's own id: its budget is its own, not a
	// shared /budget/* record.
	BudgetID string `json:"budget_id"`
	LimitsView
	// LiteLLMBudgetTable repeats the budget and limits where LiteLLM
	// keeps them.
	LiteLLMBudgetTable BudgetTable     `json:"litellm_budget_table"`
	Spend              float64         `json:"spend"`
	BudgetResetAt      *time.Time      `json:"budget_reset_at"`
	Metadata           json.RawMessage `json:"metadata"`
	Blocked            bool            `json:"blocked"`
	CreatedBy          string          `json:"created_by"`
	UpdatedBy          string          `json:"updated_by"`
	// Users, ObjectPermission and ObjectPermissionID are always null, as
	// LiteLLM answers for an organization without them.
	Users              []UserView      `json:"users"`
	ObjectPermission   json.RawMessage `json:"object_permission"`
	ObjectPermissionID *string         `json:"object_permission_id"`
	Members            []OrgMembership `json:"members"`
	Teams              []TeamView      `json:"teams"`
	CreatedAt          time.Time       `json:"created_at"`
	UpdatedAt          time.Time       `json:"updated_at"`
}

// BudgetTable is LiteLLM's LiteLLM_BudgetTable: a budget and its limits.
type BudgetTable struct {
	BudgetID            *string                      `json:"budget_id"`
	SoftBudget          *float64                     `json:"soft_budget"`
	MaxBudget           *float64                     `json:"max_budget"`
	MaxParallelRequests *int64                       `json:"max_parallel_requests"`
	TPMLimit            *int64                       `json:"tpm_limit"`
	RPMLimit            *int64                       `json:"rpm_limit"`
	ModelMaxBudget      map[string]store.ModelBudget `json:"model_max_budget"`
	BudgetDuration      *string                      `json:"budget_duration"`
}

// OrgMembership is a member of an organization (LiteLLM's
// LiteLLM_OrganizationMembershipTable), with the member's e-mail.
type OrgMembership struct {
	UserID         string  `json:"user_id"`
	UserEmail      *string `json:"user_email"`
	OrganizationID string  `json:"organization_id"`
	UserRole       string  `json:"user_role"`
	// Spend is the member's spend through the organization's keys in the
	// current period, when they have a max_budget_in_organization.
	Spend              float64      `json:"spend"`
	BudgetID           *string      `json:"budget_id"`
	LiteLLMBudgetTable *BudgetTable `json:"litellm_budget_table"`
	// User is the member's user record's id and e-mail (LiteLLM's
	// optional user).
	User      *OrgUser  `json:"user"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// OrgUser is the user of a membership.
type OrgUser struct {
	UserID    string  `json:"user_id"`
	UserEmail *string `json:"user_email"`
}

func budgetTable(l store.Limits, id string) BudgetTable {
	return BudgetTable{BudgetID: strPtr(id), SoftBudget: l.SoftBudget, MaxBudget: l.MaxBudget, MaxParallelRequests: l.MaxParallelRequests,
		TPMLimit: l.TPMLimit, RPMLimit: l.RPMLimit, ModelMaxBudget: l.ModelMaxBudget, BudgetDuration: strPtr(l.BudgetDuration)}
}

// getOrg reads an organization, answering 404 with its name.
func (s *Service) getOrg(ctx context.Context, id string) (*store.Organization, error) {
	if id == "" {
		return nil, invalid("organization_id", "organization_id is required")
	}
	o, err := s.st.GetOrganization(ctx, id)
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return nil, &Error{Kind: ErrNotFound, Field: "organization_id", Message: "organization " + quote(id) + " not found", Err: err}
		}
		return nil, storeErr("reading organization "+id, err)
	}
	return o, nil
}

func orgRole(o *store.Organization, userID string) string {
	if userID == "" {
		return ""
	}
	if m := o.Member(userID); m != nil {
		return m.Role
	}
	return ""
}

// orgAccess refuses a caller whose access does not reach organization o:
// Own needs membership, OrgAdmin the role org_admin there.
func orgAccess(p *auth.Principal, a Access, o *store.Organization) error {
	role := orgRole(o, p.UserID)
	switch {
	case a == All:
		return nil
	case a == OrgAdmin && role != "org_admin":
		return forbidden("organization_id", "you are not an org_admin of organization %s", quote(o.OrganizationID))
	case role == "":
		return forbidden("organization_id", "you are not a member of organization %s", quote(o.OrganizationID))
	}
	return nil
}

// orgFor authorizes p for op on organization id and reads it.
func (s *Service) orgFor(ctx context.Context, p *auth.Principal, op Op, id string) (*store.Organization, Access, error) {
	a, err := authorize(p, op)
	if err != nil {
		return nil, Deny, err
	}
	o, err := s.getOrg(ctx, id)
	if err != nil {
		return nil, Deny, err
	}
	if err := orgAccess(p, a, o); err != nil {
		return nil, Deny, err
	}
	return o, a, nil
}

// orgBound is the bound an organization puts on its teams and keys.
func orgBound(o *store.Organization) bound {
	return bound{who: "organization " + quote(o.OrganizationID) + "'s", l: o.Limits}
}

// NewOrg serves /organization/new (proxy admins).
func (s *Service) NewOrg(ctx context.Context, p *auth.Principal, req *OrgRequest) (*OrgView, error) {
	if _, err := authorize(p, OpOrgNew); err != nil {
		return nil, err
	}
	if req.OrganizationAlias == nil || *req.OrganizationAlias == "" {
		return nil, invalid("organization_alias", "organization_alias is required: the organization's name")
	}
	o := &store.Organization{OrganizationID: deref(req.OrganizationID), Alias: *req.OrganizationAlias, CreatedBy: actor(p), UpdatedBy: actor(p)}
	if o.OrganizationID == "" {
		o.OrganizationID = newID()
	}
	if err := s.fillOrg(o, req); err != nil {
		return nil, err
	}
	if err := s.st.CreateOrganization(ctx, o); err != nil {
		if errors.Is(err, store.ErrConflict) {
			return nil, &Error{Kind: ErrConflict, Field: "organization_id", Message: "organization " + quote(o.OrganizationID) + " already exists", Err: err}
		}
		return nil, storeErr("creating organization", err)
	}
	return s.orgView(ctx, o, nil)
}

// actor names the caller in created_by and updated_by: their user id, or
// LiteLLM's name for the master key.
func actor(p *auth.Principal) string {
	if p.UserID != "" {
		return p.UserID
	}
	return "default_user_id"
}

// fillOrg applies a request's limits, metadata and blocking to o and
// validates them, before anything is written.
func (s *Service) fillOrg(o *store.Organization, req *OrgRequest) error {
	req.LimitsInput.apply(&o.Limits)
	if err := checkLimits(&o.Limits); err != nil {
		return err
	}
	if req.Metadata != nil {
		md, err := checkMetadata(req.Metadata)
		if err != nil {
			return err
		}
		o.Metadata = md
	}
	if req.Blocked != nil {
		o.Blocked = *req.Blocked
	}
	return nil
}

// UpdateOrg serves /organization/update. An org admin may change the
// alias and metadata; models, budgets, limits and blocking are the proxy
// admin's.
func (s *Service) UpdateOrg(ctx context.Context, p *auth.Principal, req *OrgRequest) (*OrgView, error) {
	o, a, err := s.orgFor(ctx, p, OpOrgUpdate, deref(req.OrganizationID))
	if err != nil {
		return nil, err
	}
	if a != All {
		switch {
		case req.Models != nil:
			return nil, forbidden("models", "only a proxy admin may change an organization's models")
		case req.LimitsInput.setsLimits():
			return nil, forbidden("max_budget", "only a proxy admin may change an organization's budgets and limits")
		case req.Blocked != nil:
			return nil, forbidden("blocked", "only a proxy admin may block an organization")
		}
	}
	if req.OrganizationAlias != nil {
		o.Alias = *req.OrganizationAlias
	}
	if err := s.fillOrg(o, req); err != nil {
		return nil, err
	}
	o.UpdatedBy = actor(p)
	members := o.Members
	if err := s.st.UpdateOrganization(ctx, o); err != nil {
		return nil, storeErr("updating organization "+o.OrganizationID, err)
	}
	o.Members = members
	s.inv.InvalidateOrg(o.OrganizationID)
	teams, err := s.orgTeams(ctx, o.OrganizationID)
	if err != nil {
		return nil, err
	}
	return s.orgView(ctx, o, teams)
}

// DeleteOrgsRequest is /organization/delete's body.
type DeleteOrgsRequest struct {
	OrganizationIDs []string `json:"organization_ids"`
}

// DeleteOrgs serves /organization/delete (proxy admins) and answers the
// deleted organizations. An organization that still has teams or keys is
// not deleted: LiteLLM deletes them with it, which would revoke every key
// of every team at once; Tollgate refuses, naming them, and nothing is
// deleted.
func (s *Service) DeleteOrgs(ctx context.Context, p *auth.Principal, req *DeleteOrgsRequest) ([]OrgView, error) {
	if _, err := authorize(p, OpOrgDelete); err != nil {
		return nil, err
	}
	if len(req.OrganizationIDs) == 0 {
		return nil, invalid("organization_ids", "organization_ids is required: a list of organization ids to delete")
	}
	orgs := make([]*store.Organization, 0, len(req.OrganizationIDs))
	for _, id := range req.OrganizationIDs {
		o, err := s.getOrg(ctx, id)
		if err != nil {
			return nil, err
		}
		teams, err := s.orgTeams(ctx, id)
		if err != nil {
			return nil, err
		}
		if len(teams) > 0 {
			ids := make([]string, len(teams))
			for i, t := range teams {
				ids[i] = t.TeamID
			}
			return nil, &Error{Kind: ErrConflict, Field: "organization_ids", Message: "organization " + quote(id) + " still has teams " +
				strings.Join(ids, ", ") + "; move them to another organization (/team/update with organization_id) or delete them " +
				"(/team/delete) first; nothing was deleted"}
		}
		keys, err := s.orgKeys(ctx, id)
		if err != nil {
			return nil, err
		}
		if len(keys) > 0 {
			return nil, &Error{Kind: ErrConflict, Field: "organization_ids", Message: "organization " + quote(id) + " still has " +
				strconv.Itoa(len(keys)) + " key(s) of its own, e.g. " + keyName(keys[0]) + "; delete them (/key/delete) or move them " +
				"(/key/update with organization_id) first; nothing was deleted"}
		}
		orgs = append(orgs, o)
	}
	out := make([]OrgView, 0, len(orgs))
	for _, o := range orgs {
		v, err := s.orgView(ctx, o, nil)
		if err != nil {
			return nil, err
		}
		if err := s.st.DeleteOrganization(ctx, o.OrganizationID, o.Version); err != nil {
			return nil, storeErr("deleting organization "+o.OrganizationID, err)
		}
		s.inv.InvalidateOrg(o.OrganizationID)
		out = append(out, *v)
	}
	return out, nil
}

// OrgInfo serves GET /organization/info?organization_id=…: members and
// org admins read their organization; every key reads its own.
func (s *Service) OrgInfo(ctx context.Context, p *auth.Principal, id string) (*OrgView, error) {
	if id == "" && p != nil {
		id = p.OrgID
	}
	self := p != nil && p.Kind == auth.KindKey && p.OrgID != "" && id == p.OrgID
	a, err := authorizeSelf(p, OpOrgInfo, self)
	if err != nil {
		return nil, err
	}
	o, err := s.getOrg(ctx, id)
	if err != nil {
		return nil, err
	}
	if !self {
		if err := orgAccess(p, a, o); err != nil {
			return nil, err
		}
	}
	teams, err := s.orgTeams(ctx, id)
	if err != nil {
		return nil, err
	}
	return s.orgView(ctx, o, teams)
}

// OrgInfoMany serves LiteLLM's older POST /organization/info
// {"organizations": [...]}: a list.
func (s *Service) OrgInfoMany(ctx context.Context, p *auth.Principal, req *OrgInfoRequest) ([]OrgView, error) {
	if len(req.Organizations) == 0 {
		return nil, invalid("organizations", "organizations is required: a list of organization ids")
	}
	out := make([]OrgView, 0, len(req.Organizations))
	for _, id := range req.Organizations {
		v, err := s.OrgInfo(ctx, p, id)
		if err != nil {
			return nil, err
		}
		out = append(out, *v)
	}
	return out, nil
}

// OrgInfoRequest is the body of the POST form of /organization/info.
type OrgInfoRequest struct {
	Organizations []string `json:"organizations"`
}

// ListOrgs serves /organization/list: every organization for admins and
// viewers, the caller's own for others.
func (s *Service) ListOrgs(ctx context.Context, p *auth.Principal) ([]OrgView, error) {
	a, err := authorize(p, OpOrgList)
	if err != nil {
		return nil, err
	}
	var orgs []*store.Organization
	if a == All {
		pg := store.Page{Limit: 1000}
		for {
			os, next, err := s.st.ListOrganizations(ctx, pg)
			if err != nil {
				return nil, storeErr("listing organizations", err)
			}
			for _, o := range os {
				// A listed organization comes without members.
				if full, err := s.st.GetOrganization(ctx, o.OrganizationID); err == nil {
					orgs = append(orgs, full)
				}
			}
			if next == "" {
				break
			}
			pg.Cursor = next
		}
	} else {
		ms, err := s.st.UserOrgs(ctx, p.UserID)
		if err != nil {
			return nil, storeErr("listing your organizations", err)
		}
		for _, m := range ms {
			if o, err := s.st.GetOrganization(ctx, m.OrganizationID); err == nil {
				orgs = append(orgs, o)
			}
		}
	}
	all, err := s.allTeams(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]OrgView, 0, len(orgs))
	for _, o := range orgs {
		var teams []*store.Team
		for _, t := range all {
			if t.OrganizationID == o.OrganizationID {
				teams = append(teams, t)
			}
		}
		v, err := s.orgView(ctx, o, teams)
		if err != nil {
			return nil, err
		}
		out = append(out, *v)
	}
	return out, nil
}

// orgView renders o with its spend, members and teams.
func (s *Service) orgView(ctx context.Context, o *store.Organization, teams []*store.Team) (*OrgView, error) {
	v := &OrgView{OrganizationID: o.OrganizationID, OrganizationAlias: strPtr(o.Alias), BudgetID: o.OrganizationID,
		LimitsView: limitsView(o.Limits), LiteLLMBudgetTable: budgetTable(o.Limits, o.OrganizationID), Metadata: o.Metadata,
		Blocked: o.Blocked, CreatedBy: o.CreatedBy, UpdatedBy: o.UpdatedBy, Members: []OrgMembership{}, Teams: []TeamView{},
		CreatedAt: o.CreatedAt, UpdatedAt: o.UpdatedAt}
	if v.Metadata == nil {
		v.Metadata = json.RawMessage("{}")
	}
	var err error
	if v.Spend, v.BudgetResetAt, err = s.levelSpend(ctx, auth.LevelOrganization, o.OrganizationID, o.BudgetDuration); err != nil {
		return nil, err
	}
	for i := range o.Members {
		m, err := s.orgMembership(ctx, o, &o.Members[i])
		if err != nil {
			return nil, err
		}
		v.Members = append(v.Members, *m)
	}
	for _, t := range teams {
		tv, err := s.spentTeamView(ctx, t)
		if err != nil {
			return nil, err
		}
		v.Teams = append(v.Teams, tv)
	}
	return v, nil
}

// orgMembership renders a member with their e-mail and, when they have a
// budget in the organization, its spend.
func (s *Service) orgMembership(ctx context.Context, o *store.Organization, m *store.OrgMember) (*OrgMembership, error) {
	out := &OrgMembership{UserID: m.UserID, OrganizationID: o.OrganizationID, UserRole: m.Role, CreatedAt: m.AddedAt, UpdatedAt: m.UpdatedAt,
		User: &OrgUser{UserID: m.UserID}}
	if u, err := s.st.GetUser(ctx, m.UserID); err == nil {
		out.UserEmail = strPtr(u.Email)
		out.User.UserEmail = out.UserEmail
	} else if !errors.Is(err, store.ErrNotFound) {
		return nil, storeErr("reading user "+m.UserID, err)
	}
	if l := o.For(m); l != nil {
		bt := budgetTable(*l, "")
		out.LiteLLMBudgetTable = &bt
		var err error
		if out.Spend, _, err = s.levelSpend(ctx, auth.LevelOrgMember, auth.MemberLevelID(o.OrganizationID, m.UserID), l.BudgetDuration); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// allTeams lists every team (the teams of organizations are found by
// their organization_id: management reads only, never on a model call).
func (s *Service) allTeams(ctx context.Context) ([]*store.Team, error) {
	var all []*store.Team
	pg := store.Page{Limit: 1000}
	for {
		ts, next, err := s.st.ListTeams(ctx, pg)
		if err != nil {
			return nil, storeErr("listing teams", err)
		}
		all = append(all, ts...)
		if next == "" {
			return all, nil
		}
		pg.Cursor = next
	}
}

// orgTeams are the teams of organization id.
func (s *Service) orgTeams(ctx context.Context, id string) ([]*store.Team, error) {
	all, err := s.allTeams(ctx)
	if err != nil {
		return nil, err
	}
	return slices.DeleteFunc(all, func(t *store.Team) bool { return t.OrganizationID != id }), nil
}

// orgKeys are the keys that belong to organization id themselves (not
// through a team).
func (s *Service) orgKeys(ctx context.Context, id string) ([]*store.Key, error) {
	all, err := s.allKeys(ctx, store.KeyFilter{})
	if err != nil {
		return nil, err
	}
	return slices.DeleteFunc(all, func(k *store.Key) bool { return k.OrganizationID != id }), nil
}

// OrgMemberRequest is the body of /organization/member_add,
// /organization/member_update and /organization/member_delete (LiteLLM's
// OrganizationMemberAddRequest, OrganizationMemberUpdateRequest and
// OrganizationMemberDeleteRequest).
type OrgMemberRequest struct {
	OrganizationID string  `json:"organization_id"`
	Member         Members `json:"member"`
	// UserID or UserEmail name the member to update or remove.
	UserID    string `json:"user_id"`
	UserEmail string `json:"user_email"`
	// MaxBudgetInOrg caps each added (or the updated) member's spend
	// through the organization's keys.
	MaxBudgetInOrg *float64 `json:"max_budget_in_organization"`
	// Role is the updated member's new role (/organization/member_update).
	Role *string `json:"role"`
}

// OrgAddMemberResponse is /organization/member_add's answer (LiteLLM's
// OrganizationAddMemberResponse).
type OrgAddMemberResponse struct {
	OrganizationID                string          `json:"organization_id"`
	UpdatedUsers                  []UserView      `json:"updated_users"`
	UpdatedOrganizationMembership []OrgMembership `json:"updated_organization_memberships"`
}

func checkOrgRole(field, role string) error {
	if !slices.Contains(store.OrgRoles, role) {
		if role == "" {
			return invalid(field, "role is required: one of %s", strings.Join(store.OrgRoles, ", "))
		}
		return invalid(field, "role %s: want one of %s", quote(role), strings.Join(store.OrgRoles, ", "))
	}
	return nil
}

// checkOrgMemberBudget refuses a member budget above the organization's
// own budget: it could never be reached.
func checkOrgMemberBudget(o *store.Organization, b *float64) error {
	if b == nil {
		return nil
	}
	if *b < 0 {
		return invalid("max_budget_in_organization", "max_budget_in_organization is %s; it must be 0 or more", money(*b))
	}
	if o.MaxBudget != nil && *b > *o.MaxBudget {
		return invalid("max_budget_in_organization", "max_budget_in_organization %s exceeds organization %s's max_budget %s",
			money(*b), quote(o.OrganizationID), money(*o.MaxBudget))
	}
	return nil
}

// AddOrgMembers serves /organization/member_add: members by user_id or
// user_email, one or a list, each with a role; unknown users are created.
func (s *Service) AddOrgMembers(ctx context.Context, p *auth.Principal, req *OrgMemberRequest) (*OrgAddMemberResponse, error) {
	o, _, err := s.orgFor(ctx, p, OpOrgMemberAdd, req.OrganizationID)
	if err != nil {
		return nil, err
	}
	if len(req.Member) == 0 {
		return nil, invalid("member", "member is required: {\"user_id\": …, \"role\": \"internal_user\"} or a list of them")
	}
	for _, m := range req.Member {
		if err := checkOrgRole("member.role", m.Role); err != nil {
			return nil, err
		}
	}
	if err := checkOrgMemberBudget(o, req.MaxBudgetInOrg); err != nil {
		return nil, err
	}
	users, created, err := s.resolveUsers(ctx, req.Member)
	if err != nil {
		return nil, err
	}
	out := &OrgAddMemberResponse{OrganizationID: o.OrganizationID, UpdatedUsers: []UserView{}, UpdatedOrganizationMembership: []OrgMembership{}}
	for i, u := range users {
		m := store.OrgMember{OrganizationID: o.OrganizationID, UserID: u.UserID, Role: req.Member[i].Role, MaxBudgetInOrg: req.MaxBudgetInOrg}
		if old := o.Member(u.UserID); old != nil {
			m.AddedAt = old.AddedAt
		}
		if err := s.st.PutOrgMember(ctx, m); err != nil {
			for _, id := range created {
				_ = s.st.DeleteUser(ctx, id, 0)
			}
			return nil, storeErr("adding member "+u.UserID, err)
		}
		out.UpdatedUsers = append(out.UpdatedUsers, userView(u, nil))
	}
	s.inv.InvalidateOrg(o.OrganizationID)
	if o, err = s.getOrg(ctx, o.OrganizationID); err != nil {
		return nil, err
	}
	for _, u := range users {
		if m := o.Member(u.UserID); m != nil {
			mv, err := s.orgMembership(ctx, o, m)
			if err != nil {
				return nil, err
			}
			out.UpdatedOrganizationMembership = append(out.UpdatedOrganizationMembership, *mv)
		}
	}
	return out, nil
}

// orgMemberTarget returns the member a member_update or member_delete
// names: user_id, else the user with user_email.
func (s *Service) orgMemberTarget(ctx context.Context, o *store.Organization, req *OrgMemberRequest) (*store.OrgMember, error) {
	id := req.UserID
	if id == "" && req.UserEmail != "" {
		u, err := s.userByEmail(ctx, req.UserEmail)
		if err != nil {
			return nil, err
		}
		if u == nil {
			return nil, notFoundErr("no user has the e-mail %s", quote(req.UserEmail))
		}
		id = u.UserID
	}
	if id == "" {
		return nil, invalid("user_id", "user_id or user_email is required: the member to change")
	}
	m := o.Member(id)
	if m == nil {
		return nil, notFoundErr("user %s is not a member of organization %s", quote(id), quote(o.OrganizationID))
	}
	return m, nil
}

// UpdateOrgMember serves /organization/member_update: a member's role
// and max_budget_in_organization.
func (s *Service) UpdateOrgMember(ctx context.Context, p *auth.Principal, req *OrgMemberRequest) (*OrgMembership, error) {
	o, _, err := s.orgFor(ctx, p, OpOrgMemberUpd, req.OrganizationID)
	if err != nil {
		return nil, err
	}
	target, err := s.orgMemberTarget(ctx, o, req)
	if err != nil {
		return nil, err
	}
	m := *target
	if req.Role != nil {
		if err := checkOrgRole("role", *req.Role); err != nil {
			return nil, err
		}
		m.Role = *req.Role
	}
	if req.MaxBudgetInOrg != nil {
		if err := checkOrgMemberBudget(o, req.MaxBudgetInOrg); err != nil {
			return nil, err
		}
		m.MaxBudgetInOrg = req.MaxBudgetInOrg
	}
	if err := s.st.PutOrgMember(ctx, m); err != nil {
		return nil, storeErr("updating member "+m.UserID, err)
	}
	s.inv.InvalidateOrg(o.OrganizationID)
	*target = m
	return s.orgMembership(ctx, o, target)
}

// DeleteOrgMember serves /organization/member_delete and answers the
// removed membership.
func (s *Service) DeleteOrgMember(ctx context.Context, p *auth.Principal, req *OrgMemberRequest) (*OrgMembership, error) {
	o, _, err := s.orgFor(ctx, p, OpOrgMemberDel, req.OrganizationID)
	if err != nil {
		return nil, err
	}
	m, err := s.orgMemberTarget(ctx, o, req)
	if err != nil {
		return nil, err
	}
	out, err := s.orgMembership(ctx, o, m)
	if err != nil {
		return nil, err
	}
	if err := s.st.RemoveOrgMember(ctx, o.OrganizationID, m.UserID); err != nil {
		return nil, storeErr("removing member "+m.UserID, err)
	}
	s.inv.InvalidateOrg(o.OrganizationID)
	return out, nil
}

// adminOrgs are the organizations in which user id is an org_admin.
func (s *Service) adminOrgs(ctx context.Context, id string) (map[string]bool, error) {
	if id == "" {
		return nil, nil
	}
	ms, err := s.st.UserOrgs(ctx, id)
	if err != nil {
		return nil, storeErr("listing your organizations", err)
	}
	out := map[string]bool{}
	for _, m := range ms {
		if m.Role == "org_admin" {
			out[m.OrganizationID] = true
		}
	}
	return out, nil
}

// isOrgAdmin reports whether p is an org_admin of organization id.
func (s *Service) isOrgAdmin(ctx context.Context, p *auth.Principal, id string) (bool, error) {
	if p == nil || p.UserID == "" || id == "" {
		return false, nil
	}
	o, err := s.st.GetOrganization(ctx, id)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return false, nil
	case err != nil:
		return false, storeErr("reading organization "+id, err)
	}
	return orgRole(o, p.UserID) == "org_admin", nil
}
