package tenancy

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strings"

	"github.com/tollgate-gw/tollgate/internal/auth"
	"github.com/tollgate-gw/tollgate/internal/store"
)

// getTeam reads a team, answering 404 with its name.
func (s *Service) getTeam(ctx context.Context, id string) (*store.Team, error) {
	if id == "" {
		return nil, invalid("team_id", "team_id is required")
	}
	t, err := s.st.GetTeam(ctx, id)
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return nil, notFoundErr("team %s not found", quote(id))
		}
		return nil, storeErr("reading team "+id, err)
	}
	return t, nil
}

// teamAccess refuses a caller whose access does not reach team t: Own
// needs membership, TeamAdmin the team role admin.
func teamAccess(p *auth.Principal, a Access, t *store.Team) error {
	role := memberRole(t, p.UserID)
	switch {
	case a == All:
		return nil
	case a == OrgAdmin:
		return forbidden("team_id", "you are not an org_admin of team %s's organization", quote(t.TeamID))
	case a == TeamAdmin && role != "admin":
		return forbidden("team_id", "you are not an admin of team %s", quote(t.TeamID))
	case a == Own && role == "":
		return forbidden("team_id", "you are not a member of team %s", quote(t.TeamID))
	}
	return nil
}

// teamReach is teamAccess with organizations: an org_admin of the team's
// organization reaches the team as a proxy admin would (All), within the
// organization's bounds, which every change of the team is checked
// against whoever makes it.
func (s *Service) teamReach(ctx context.Context, p *auth.Principal, a Access, t *store.Team) (Access, error) {
	if a == All {
		return All, nil
	}
	if t.OrganizationID != "" && (a == OrgAdmin || a == TeamAdmin || a == Own) {
		ok, err := s.isOrgAdmin(ctx, p, t.OrganizationID)
		if err != nil {
			return Deny, err
		}
		if ok {
			return All, nil
		}
	}
	return a, teamAccess(p, a, t)
}

// teamOrg checks a team's organization when the team has one: it exists
// and bounds the team's limits. With admin set, the caller must be its
// org_admin (a caller other than a proxy admin naming the organization).
func (s *Service) teamOrg(ctx context.Context, p *auth.Principal, admin bool, t *store.Team) error {
	if t.OrganizationID == "" {
		return nil
	}
	o, err := s.getOrg(ctx, t.OrganizationID)
	if err != nil {
		return err
	}
	if admin && orgRole(o, p.UserID) != "org_admin" {
		return forbidden("organization_id", "you are not an org_admin of organization %s", quote(o.OrganizationID))
	}
	return s.checkBounds(&t.Limits, orgBound(o))
}

// teamView renders t with its members' e-mails, as LiteLLM's Member
// carries them (management reads: one user read per member).
func (s *Service) teamView(ctx context.Context, t *store.Team) TeamView {
	v := teamView(t)
	for i := range v.MembersWithRoles {
		m := &v.MembersWithRoles[i]
		if u, err := s.st.GetUser(ctx, m.UserID); err == nil {
			m.UserEmail = strPtr(u.Email)
		}
	}
	return v
}

func checkMembers(ms []MemberInput) error {
	for _, m := range ms {
		if m.UserID == "" && m.UserEmail == "" {
			return invalid("member.user_id", "every member needs a user_id or a user_email")
		}
		if m.Role != "" && m.Role != "admin" && m.Role != "user" {
			return invalid("member.role", "member role %s: want admin or user", quote(m.Role))
		}
	}
	return nil
}

// resolveMembers turns members named by user_id or user_email into
// memberships of team teamID (resolveUsers). It returns the memberships
// and the users it created, so a caller that fails later can remove them.
func (s *Service) resolveMembers(ctx context.Context, teamID string, ms []MemberInput, budget *float64) ([]store.Member, []string, error) {
	if err := checkMembers(ms); err != nil {
		return nil, nil, err
	}
	users, created, err := s.resolveUsers(ctx, ms)
	if err != nil {
		return nil, nil, err
	}
	out := make([]store.Member, 0, len(users))
	for i, u := range users {
		sm := memberOf(teamID, MemberInput{UserID: u.UserID, Role: ms[i].Role})
		sm.MaxBudgetInTeam = budget
		out = append(out, sm)
	}
	return out, created, nil
}

// resolveUsers finds the users that members name, as LiteLLM does for
// teams and organizations: a known e-mail resolves to its user, and a user
// that does not exist yet (an unknown id, or an unknown e-mail under a new
// id) is created with the defaults for new internal users. It returns the
// users, one per member, and the ids of those it created; on failure it
// removes those.
func (s *Service) resolveUsers(ctx context.Context, ms []MemberInput) ([]*store.User, []string, error) {
	var out []*store.User
	var created []string
	undo := func() {
		for _, id := range created {
			_ = s.st.DeleteUser(ctx, id, 0)
		}
	}
	for _, m := range ms {
		if m.UserID == "" && m.UserEmail == "" {
			undo()
			return nil, nil, invalid("member.user_id", "every member needs a user_id or a user_email")
		}
		u, err := s.findMember(ctx, m)
		if err != nil {
			undo()
			return nil, nil, err
		}
		if u == nil {
			u = s.newUser(m.UserID)
			if u.UserID == "" {
				u.UserID = newID()
			}
			u.Email = m.UserEmail
			if err := s.st.CreateUser(ctx, u); err != nil && !errors.Is(err, store.ErrConflict) {
				undo()
				return nil, nil, storeErr("creating user "+u.UserID, err)
			} else if err == nil {
				created = append(created, u.UserID)
			}
		}
		out = append(out, u)
	}
	return out, created, nil
}

// findMember returns the user a member names (by id, else by e-mail), or
// nil when there is none. A member named by both must name one user.
func (s *Service) findMember(ctx context.Context, m MemberInput) (*store.User, error) {
	if m.UserID != "" {
		u, err := s.st.GetUser(ctx, m.UserID)
		switch {
		case errors.Is(err, store.ErrNotFound):
			return nil, nil
		case err != nil:
			return nil, storeErr("reading user "+m.UserID, err)
		}
		if m.UserEmail != "" && u.Email != "" && !strings.EqualFold(u.Email, m.UserEmail) {
			return nil, invalid("member.user_email", "user %s has the e-mail %s, not %s", quote(m.UserID), quote(u.Email), quote(m.UserEmail))
		}
		return u, nil
	}
	return s.userByEmail(ctx, m.UserEmail)
}

// userByEmail finds the user with an e-mail (case-insensitively), or nil.
// Users have no e-mail index: this pages through them, which is fine for
// the management calls that name members by e-mail, never on a model call.
func (s *Service) userByEmail(ctx context.Context, email string) (*store.User, error) {
	pg := store.Page{Limit: 1000}
	for {
		us, next, err := s.st.ListUsers(ctx, pg)
		if err != nil {
			return nil, storeErr("looking up user_email "+email, err)
		}
		for _, u := range us {
			if u.Email != "" && strings.EqualFold(u.Email, email) {
				return u, nil
			}
		}
		if next == "" {
			return nil, nil
		}
		pg.Cursor = next
	}
}

func memberOf(teamID string, m MemberInput) store.Member {
	role := m.Role
	if role == "" {
		role = "user"
	}
	return store.Member{TeamID: teamID, UserID: m.UserID, Role: role}
}

// NewTeam serves /team/new.
func (s *Service) NewTeam(ctx context.Context, p *auth.Principal, req *TeamRequest) (*TeamView, error) {
	a, err := authorize(p, OpTeamNew)
	if err != nil {
		return nil, err
	}
	t := &store.Team{TeamID: deref(req.TeamID), Alias: deref(req.TeamAlias), OrganizationID: deref(req.OrganizationID)}
	if a == OrgAdmin && t.OrganizationID == "" {
		return nil, forbidden("organization_id", "only a proxy admin may create a team outside an organization; an org_admin names their organization in organization_id")
	}
	if t.TeamID == "" {
		t.TeamID = newID()
	}
	req.LimitsInput.apply(&t.Limits)
	if err := checkLimits(&t.Limits); err != nil {
		return nil, err
	}
	md, err := checkMetadata(req.Metadata)
	if err != nil {
		return nil, err
	}
	t.Metadata = md
	if req.Blocked != nil {
		t.Blocked = *req.Blocked
	}
	if err := req.applyTeam(t); err != nil {
		return nil, err
	}
	if err := checkMembers(req.MembersWithRoles); err != nil {
		return nil, err
	}
	if err := s.teamOrg(ctx, p, a != All, t); err != nil {
		return nil, err
	}
	if _, err := s.st.GetTeam(ctx, t.TeamID); err == nil {
		return nil, &Error{Kind: ErrConflict, Field: "team_id", Message: "team " + quote(t.TeamID) + " already exists"}
	}
	members, created, err := s.resolveMembers(ctx, t.TeamID, req.MembersWithRoles, nil)
	if err != nil {
		return nil, err
	}
	undoUsers := func() {
		for _, id := range created {
			_ = s.st.DeleteUser(ctx, id, 0)
		}
	}
	if err := s.st.CreateTeam(ctx, t); err != nil {
		undoUsers()
		if errors.Is(err, store.ErrConflict) {
			return nil, &Error{Kind: ErrConflict, Field: "team_id", Message: "team " + quote(t.TeamID) + " already exists", Err: err}
		}
		return nil, storeErr("creating team", err)
	}
	for _, sm := range members {
		if err := s.st.PutTeamMember(ctx, sm); err != nil {
			_ = s.st.DeleteTeam(ctx, t.TeamID, 0)
			undoUsers()
			return nil, storeErr("adding member "+sm.UserID, err)
		}
		t.Members = append(t.Members, sm)
	}
	v := s.teamView(ctx, t)
	return &v, nil
}

// applyTeam copies the team-only fields of a request (model aliases and
// the per-member limits) onto t.
func (req *TeamRequest) applyTeam(t *store.Team) error {
	if req.ModelAliases != nil {
		t.ModelAliases = req.ModelAliases
	}
	ml := &t.MemberLimits
	if req.TeamMemberBudget != nil {
		ml.MaxBudget = req.TeamMemberBudget
	}
	if req.TeamMemberBudgetDuration != nil {
		ml.BudgetDuration = *req.TeamMemberBudgetDuration
	}
	if req.TeamMemberRPMLimit != nil {
		ml.RPMLimit = req.TeamMemberRPMLimit
	}
	if req.TeamMemberTPMLimit != nil {
		ml.TPMLimit = req.TeamMemberTPMLimit
	}
	if req.TeamMemberKeyDuration != nil {
		ml.KeyDuration = *req.TeamMemberKeyDuration
	}
	return nil
}

// setsMemberLimits reports whether the request changes a member limit.
func (req *TeamRequest) setsMemberLimits() bool {
	return req.TeamMemberBudget != nil || req.TeamMemberBudgetDuration != nil || req.TeamMemberRPMLimit != nil ||
		req.TeamMemberTPMLimit != nil || req.TeamMemberKeyDuration != nil
}

// UpdateTeam serves /team/update. A team admin may change the alias and
// metadata; models, budgets, limits and blocking are the proxy admin's.
func (s *Service) UpdateTeam(ctx context.Context, p *auth.Principal, req *TeamRequest) (*TeamView, error) {
	a, err := authorize(p, OpTeamUpdate)
	if err != nil {
		return nil, err
	}
	t, err := s.getTeam(ctx, deref(req.TeamID))
	if err != nil {
		return nil, err
	}
	base := a
	if a, err = s.teamReach(ctx, p, a, t); err != nil {
		return nil, err
	}
	moved := req.OrganizationID != nil && *req.OrganizationID != t.OrganizationID
	if moved {
		// Moving a team between organizations: a proxy admin, or an
		// org_admin of both; taking it out of its organization would free
		// it from the organization's bounds, which only a proxy admin may.
		switch {
		case base == All:
		case a != All:
			return nil, forbidden("organization_id", "only a proxy admin or an org_admin of team %s's organization may move it", quote(t.TeamID))
		case *req.OrganizationID == "":
			return nil, forbidden("organization_id", "only a proxy admin may take team %s out of organization %s", quote(t.TeamID), quote(t.OrganizationID))
		case t.OrganizationID == "":
			return nil, forbidden("organization_id", "only a proxy admin may put team %s, which is in no organization, into one", quote(t.TeamID))
		}
		t.OrganizationID = *req.OrganizationID
	}
	if a != All {
		switch {
		case req.Models != nil:
			return nil, forbidden("models", "only a proxy admin may change a team's models")
		case req.LimitsInput.setsLimits():
			return nil, forbidden("max_budget", "only a proxy admin may change a team's budgets and limits")
		case req.Blocked != nil:
			return nil, forbidden("blocked", "only a proxy admin may block a team")
		case req.MembersWithRoles != nil:
			return nil, forbidden("members_with_roles", "change members with /team/member_add and /team/member_delete")
		case req.setsMemberLimits():
			return nil, forbidden("team_member_budget", "only a proxy admin may change a team's member budgets and limits")
		case req.ModelAliases != nil:
			return nil, forbidden("model_aliases", "only a proxy admin may change a team's model_aliases")
		}
	}
	if len(req.MembersWithRoles) > 0 {
		return nil, invalid("members_with_roles", "/team/update does not replace members; use /team/member_add, /team/member_update and /team/member_delete")
	}
	if err := req.applyTeam(t); err != nil {
		return nil, err
	}
	if req.TeamAlias != nil {
		t.Alias = *req.TeamAlias
	}
	req.LimitsInput.apply(&t.Limits)
	if err := checkLimits(&t.Limits); err != nil {
		return nil, err
	}
	if err := s.teamOrg(ctx, p, moved && base != All, t); err != nil {
		return nil, err
	}
	if req.Metadata != nil {
		md, err := checkMetadata(req.Metadata)
		if err != nil {
			return nil, err
		}
		t.Metadata = md
	}
	if req.Blocked != nil {
		t.Blocked = *req.Blocked
	}
	members := t.Members
	if err := s.st.UpdateTeam(ctx, t); err != nil {
		return nil, storeErr("updating team "+t.TeamID, err)
	}
	t.Members = members
	s.inv.InvalidateTeam(t.TeamID)
	v := s.teamView(ctx, t)
	return &v, nil
}

// DeleteTeamsRequest is /team/delete's body.
type DeleteTeamsRequest struct {
	TeamIDs []string `json:"team_ids"`
}

// DeleteTeamsResponse is /team/delete's answer.
type DeleteTeamsResponse struct {
	DeletedTeams []string `json:"deleted_teams"`
}

// DeleteTeams serves /team/delete: every team must exist; each team's keys
// go first, then the team with its memberships.
func (s *Service) DeleteTeams(ctx context.Context, p *auth.Principal, req *DeleteTeamsRequest) (*DeleteTeamsResponse, error) {
	a, err := authorize(p, OpTeamDelete)
	if err != nil {
		return nil, err
	}
	if len(req.TeamIDs) == 0 {
		return nil, invalid("team_ids", "team_ids is required: a list of team ids to delete")
	}
	for _, id := range req.TeamIDs {
		t, err := s.getTeam(ctx, id)
		if err != nil {
			return nil, err
		}
		if _, err := s.teamReach(ctx, p, a, t); err != nil {
			return nil, err
		}
	}
	for _, id := range req.TeamIDs {
		keys, err := s.allKeys(ctx, store.KeyFilter{TeamID: id})
		if err != nil {
			return nil, err
		}
		for _, k := range keys {
			if err := s.st.DeleteKey(ctx, k.Hash, 0); err != nil && !errors.Is(err, store.ErrNotFound) {
				return nil, storeErr("deleting a key of team "+id, err)
			}
			s.inv.InvalidateKey(k.Hash)
		}
		if err := s.st.DeleteTeam(ctx, id, 0); err != nil && !errors.Is(err, store.ErrNotFound) {
			return nil, storeErr("deleting team "+id, err)
		}
		s.inv.InvalidateTeam(id)
	}
	return &DeleteTeamsResponse{DeletedTeams: req.TeamIDs}, nil
}

// TeamInfoResponse is /team/info's answer.
type TeamInfoResponse struct {
	TeamID   string    `json:"team_id"`
	TeamInfo TeamView  `json:"team_info"`
	Keys     []KeyView `json:"keys"`
	// TeamMemberships are the members' budgets within the team and their
	// spend against them (LiteLLM's team_memberships).
	TeamMemberships []TeamMembership `json:"team_memberships"`
}

// TeamMembership is one member's budget and spend within a team.
type TeamMembership struct {
	TeamID             string       `json:"team_id"`
	UserID             string       `json:"user_id"`
	Spend              float64      `json:"spend"`
	BudgetID           *string      `json:"budget_id"`
	LiteLLMBudgetTable *MemberLimit `json:"litellm_budget_table"`
}

// MemberLimit is a member's budget within a team (LiteLLM's budget table
// fields).
type MemberLimit struct {
	MaxBudget      *float64 `json:"max_budget"`
	BudgetDuration *string  `json:"budget_duration"`
	TPMLimit       *int64   `json:"tpm_limit"`
	RPMLimit       *int64   `json:"rpm_limit"`
}

// TeamInfo serves /team/info?team_id=…. Members who are not team admins
// see only their own keys of the team.
func (s *Service) TeamInfo(ctx context.Context, p *auth.Principal, teamID string) (*TeamInfoResponse, error) {
	if teamID == "" && p != nil {
		teamID = p.TeamID
	}
	// A key may always read its own team, as LiteLLM lets it.
	self := p != nil && p.Kind == auth.KindKey && p.TeamID != "" && teamID == p.TeamID
	a, err := authorizeSelf(p, OpTeamInfo, self)
	if err != nil {
		return nil, err
	}
	t, err := s.getTeam(ctx, teamID)
	if err != nil {
		return nil, err
	}
	if !self {
		if a, err = s.teamReach(ctx, p, a, t); err != nil {
			return nil, err
		}
	}
	keys, err := s.allKeys(ctx, store.KeyFilter{TeamID: teamID})
	if err != nil {
		return nil, err
	}
	out := &TeamInfoResponse{TeamID: teamID, Keys: []KeyView{}}
	if out.TeamInfo, err = s.spentTeamView(ctx, t); err != nil {
		return nil, err
	}
	seeAll := a == All || (p.UserID != "" && memberRole(t, p.UserID) == "admin")
	out.TeamMemberships = []TeamMembership{}
	for i := range t.Members {
		m := &t.Members[i]
		if !seeAll && m.UserID != p.UserID {
			continue
		}
		tm, err := s.teamMembership(ctx, t, m)
		if err != nil {
			return nil, err
		}
		out.TeamMemberships = append(out.TeamMemberships, tm)
	}
	for _, k := range keys {
		if seeAll || (p.UserID != "" && k.UserID == p.UserID) || (p.KeyHash != "" && k.Hash == p.KeyHash) {
			out.Keys = append(out.Keys, keyView(k, ""))
		}
	}
	return out, nil
}

// ListTeams serves /team/list: every team for admins and viewers, the
// caller's teams for others.
func (s *Service) ListTeams(ctx context.Context, p *auth.Principal) ([]TeamView, error) {
	a, err := authorize(p, OpTeamList)
	if err != nil {
		return nil, err
	}
	out := []TeamView{}
	if a == Own {
		ms, err := s.st.UserTeams(ctx, p.UserID)
		if err != nil {
			return nil, storeErr("listing your teams", err)
		}
		seen := map[string]bool{}
		for _, m := range ms {
			t, err := s.st.GetTeam(ctx, m.TeamID)
			if err != nil {
				continue // deleted meanwhile
			}
			v, err := s.spentTeamView(ctx, t)
			if err != nil {
				return nil, err
			}
			seen[t.TeamID] = true
			out = append(out, v)
		}
		// An org admin also sees every team of their organizations.
		admin, err := s.adminOrgs(ctx, p.UserID)
		if err != nil || len(admin) == 0 {
			return out, err
		}
		all, err := s.allTeams(ctx)
		if err != nil {
			return nil, err
		}
		for _, t := range all {
			if seen[t.TeamID] || !admin[t.OrganizationID] {
				continue
			}
			full, err := s.st.GetTeam(ctx, t.TeamID) // with its members
			if err != nil {
				continue
			}
			v, err := s.spentTeamView(ctx, full)
			if err != nil {
				return nil, err
			}
			out = append(out, v)
		}
		return out, nil
	}
	pg := store.Page{Limit: 1000}
	for {
		ts, next, err := s.st.ListTeams(ctx, pg)
		if err != nil {
			return nil, storeErr("listing teams", err)
		}
		for _, t := range ts {
			v, err := s.spentTeamView(ctx, t)
			if err != nil {
				return nil, err
			}
			out = append(out, v)
		}
		if next == "" {
			return out, nil
		}
		pg.Cursor = next
	}
}

// Members is one member or a list of them: LiteLLM's member_add takes
// both.
type Members []MemberInput

// UnmarshalJSON accepts an object or an array of objects.
func (m *Members) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '{' {
		var one MemberInput
		if err := json.Unmarshal(b, &one); err != nil {
			return err
		}
		*m = Members{one}
		return nil
	}
	var many []MemberInput
	if err := json.Unmarshal(b, &many); err != nil {
		return err
	}
	*m = many
	return nil
}

// MemberRequest is the body of /team/member_add, /team/member_update and
// /team/member_delete (LiteLLM's TeamMemberAddRequest,
// TeamMemberUpdateRequest and TeamMemberDeleteRequest).
type MemberRequest struct {
	TeamID string  `json:"team_id"`
	Member Members `json:"member"`
	// UserID or UserEmail name the member to update or remove.
	UserID    string `json:"user_id"`
	UserEmail string `json:"user_email"`
	// MaxBudgetInTeam caps each added (or the updated) member's spend
	// through the team's keys.
	MaxBudgetInTeam *float64 `json:"max_budget_in_team"`
	// Role is the updated member's new team role (/team/member_update).
	Role *string `json:"role"`
}

// teamMembership is member m's budget within team t and their spend
// against it.
func (s *Service) teamMembership(ctx context.Context, t *store.Team, m *store.Member) (TeamMembership, error) {
	tm := TeamMembership{TeamID: t.TeamID, UserID: m.UserID}
	if l := t.For(m); l != nil {
		tm.LiteLLMBudgetTable = &MemberLimit{MaxBudget: l.MaxBudget, BudgetDuration: strPtr(l.BudgetDuration), TPMLimit: l.TPMLimit, RPMLimit: l.RPMLimit}
		var err error
		if tm.Spend, _, err = s.levelSpend(ctx, auth.LevelTeamMember, auth.MemberLevelID(t.TeamID, m.UserID), l.BudgetDuration); err != nil {
			return tm, err
		}
	}
	return tm, nil
}

// AddMembersResponse is /team/member_add's answer (LiteLLM's
// TeamAddMemberResponse): the team, with the added users and their
// memberships.
type AddMembersResponse struct {
	TeamView
	UpdatedUsers           []UserView       `json:"updated_users"`
	UpdatedTeamMemberships []TeamMembership `json:"updated_team_memberships"`
}

// AddMembers serves /team/member_add: members by user_id or user_email,
// one or a list; unknown users are created.
func (s *Service) AddMembers(ctx context.Context, p *auth.Principal, req *MemberRequest) (*AddMembersResponse, error) {
	t, err := s.teamFor(ctx, p, OpTeamMemberAdd, req.TeamID)
	if err != nil {
		return nil, err
	}
	if len(req.Member) == 0 {
		return nil, invalid("member", "member is required: {\"user_id\": …, \"role\": \"user\"} or a list of them")
	}
	if err := checkMemberBudget(t, req.MaxBudgetInTeam); err != nil {
		return nil, err
	}
	members, created, err := s.resolveMembers(ctx, t.TeamID, req.Member, req.MaxBudgetInTeam)
	if err != nil {
		return nil, err
	}
	for _, sm := range members {
		if err := s.st.PutTeamMember(ctx, sm); err != nil {
			for _, id := range created {
				_ = s.st.DeleteUser(ctx, id, 0)
			}
			return nil, storeErr("adding member "+sm.UserID, err)
		}
	}
	s.inv.InvalidateTeam(t.TeamID)
	t, err = s.getTeam(ctx, t.TeamID)
	if err != nil {
		return nil, err
	}
	out := &AddMembersResponse{TeamView: s.teamView(ctx, t), UpdatedUsers: []UserView{}, UpdatedTeamMemberships: []TeamMembership{}}
	for _, sm := range members {
		if u, err := s.st.GetUser(ctx, sm.UserID); err == nil {
			out.UpdatedUsers = append(out.UpdatedUsers, userView(u, nil))
		}
		if m := t.Member(sm.UserID); m != nil {
			tm, err := s.teamMembership(ctx, t, m)
			if err != nil {
				return nil, err
			}
			out.UpdatedTeamMemberships = append(out.UpdatedTeamMemberships, tm)
		}
	}
	return out, nil
}

// teamFor authorizes p for op on team teamID and reads the team.
func (s *Service) teamFor(ctx context.Context, p *auth.Principal, op Op, teamID string) (*store.Team, error) {
	a, err := authorize(p, op)
	if err != nil {
		return nil, err
	}
	t, err := s.getTeam(ctx, teamID)
	if err != nil {
		return nil, err
	}
	if _, err := s.teamReach(ctx, p, a, t); err != nil {
		return nil, err
	}
	return t, nil
}

// checkMemberBudget refuses a member budget above the team's own budget:
// it could never be reached.
func checkMemberBudget(t *store.Team, b *float64) error {
	if b == nil {
		return nil
	}
	if *b < 0 {
		return invalid("max_budget_in_team", "max_budget_in_team is %s; it must be 0 or more", money(*b))
	}
	if t.MaxBudget != nil && *b > *t.MaxBudget {
		return invalid("max_budget_in_team", "max_budget_in_team %s exceeds team %s's max_budget %s", money(*b), quote(t.TeamID), money(*t.MaxBudget))
	}
	return nil
}

// memberTarget returns the user id a member_update or member_delete
// names: user_id, else the user with user_email, else the one member of
// "member".
func (s *Service) memberTarget(ctx context.Context, t *store.Team, req *MemberRequest) (string, error) {
	id, email := req.UserID, req.UserEmail
	if id == "" && email == "" && len(req.Member) == 1 {
		id, email = req.Member[0].UserID, req.Member[0].UserEmail
	}
	if id == "" && email != "" {
		u, err := s.userByEmail(ctx, email)
		if err != nil {
			return "", err
		}
		if u == nil {
			return "", notFoundErr("no user has the e-mail %s", quote(email))
		}
		id = u.UserID
	}
	if id == "" {
		return "", invalid("user_id", "user_id or user_email is required: the member to change")
	}
	if memberRole(t, id) == "" {
		return "", notFoundErr("user %s is not a member of team %s", quote(id), quote(t.TeamID))
	}
	return id, nil
}

// MemberUpdateResponse is /team/member_update's answer (LiteLLM's
// TeamMemberUpdateResponse).
type MemberUpdateResponse struct {
	TeamID          string   `json:"team_id"`
	UserID          string   `json:"user_id"`
	UserEmail       *string  `json:"user_email"`
	MaxBudgetInTeam *float64 `json:"max_budget_in_team"`
}

// UpdateMember serves /team/member_update: a member's team role and
// max_budget_in_team.
func (s *Service) UpdateMember(ctx context.Context, p *auth.Principal, req *MemberRequest) (*MemberUpdateResponse, error) {
	t, err := s.teamFor(ctx, p, OpTeamMemberUpd, req.TeamID)
	if err != nil {
		return nil, err
	}
	id, err := s.memberTarget(ctx, t, req)
	if err != nil {
		return nil, err
	}
	m := *t.Member(id)
	if req.Role != nil {
		if *req.Role != "admin" && *req.Role != "user" {
			return nil, invalid("role", "role %s: want admin or user", quote(*req.Role))
		}
		m.Role = *req.Role
	}
	if req.MaxBudgetInTeam != nil {
		if err := checkMemberBudget(t, req.MaxBudgetInTeam); err != nil {
			return nil, err
		}
		m.MaxBudgetInTeam = req.MaxBudgetInTeam
	}
	if err := s.st.PutTeamMember(ctx, m); err != nil {
		return nil, storeErr("updating member "+id, err)
	}
	s.inv.InvalidateTeam(t.TeamID)
	out := &MemberUpdateResponse{TeamID: t.TeamID, UserID: id, MaxBudgetInTeam: m.MaxBudgetInTeam}
	if u, err := s.st.GetUser(ctx, id); err == nil {
		out.UserEmail = strPtr(u.Email)
	}
	return out, nil
}

// DeleteMember serves /team/member_delete.
func (s *Service) DeleteMember(ctx context.Context, p *auth.Principal, req *MemberRequest) (*TeamView, error) {
	t, err := s.teamFor(ctx, p, OpTeamMemberDel, req.TeamID)
	if err != nil {
		return nil, err
	}
	userID, err := s.memberTarget(ctx, t, req)
	if err != nil {
		return nil, err
	}
	if err := s.st.RemoveTeamMember(ctx, t.TeamID, userID); err != nil {
		return nil, storeErr("removing member "+userID, err)
	}
	s.inv.InvalidateTeam(t.TeamID)
	t, err = s.getTeam(ctx, t.TeamID)
	if err != nil {
		return nil, err
	}
	v := s.teamView(ctx, t)
	return &v, nil
}
