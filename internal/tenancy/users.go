package tenancy

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"github.com/tollgate-gw/tollgate/internal/auth"
	"github.com/tollgate-gw/tollgate/internal/ratelimit"
	"github.com/tollgate-gw/tollgate/internal/store"
)

// newUser is a user record with the admin's defaults for internal users.
func (s *Service) newUser(id string) *store.User {
	u := &store.User{UserID: id, Role: string(auth.RoleInternalUser)}
	if s.defaults.Role != "" {
		u.Role = s.defaults.Role
	}
	u.Limits = s.defaults.Limits
	u.Models = slices.Clone(u.Models)
	return u
}

// NewUser serves /user/new: it creates the user and, unless
// auto_create_key is false, a key for them, and echoes every field.
//
// An internal user (typically an Okta JWT user) may create only their own
// record (self sign-up): user_id is their token's sub, the role is
// internal_user, and the budget may not exceed the admin's default for
// new users (litellm_settings.max_internal_user_budget) nor change its
// period; they cannot put themselves in teams.
func (s *Service) NewUser(ctx context.Context, p *auth.Principal, req *UserRequest) (*NewUserResponse, error) {
	a, err := authorize(p, OpUserNew)
	if err != nil {
		return nil, err
	}
	u := s.newUser(deref(req.UserID))
	if req.UserEmail != nil {
		u.Email = *req.UserEmail
	}
	if req.UserRole != nil {
		u.Role = *req.UserRole
	}
	if a == Own {
		if err := s.checkSelfSignup(p, req, u); err != nil {
			return nil, err
		}
	} else if u.UserID == "" {
		u.UserID = newID()
	}
	if u.UserID == ProxyBudgetUser {
		return nil, invalid("user_id", "%s is reserved for the proxy-wide budget (litellm_settings.max_budget)", ProxyBudgetUser)
	}
	u.Alias = deref(req.UserAlias)
	req.LimitsInput.apply(&u.Limits)
	if err := checkLimits(&u.Limits); err != nil {
		return nil, err
	}
	if a == Own {
		def := s.defaults.Limits
		if err := s.checkBounds(&u.Limits, bound{who: "the admin's default for new users'", l: def}); err != nil {
			return nil, err
		}
	}
	if md, err := checkMetadata(req.Metadata); err != nil {
		return nil, err
	} else {
		u.Metadata = md
	}
	if req.Blocked != nil {
		u.Blocked = *req.Blocked
	}
	var key *store.Key
	if req.AutoCreateKey == nil || *req.AutoCreateKey {
		key = &store.Key{UserID: u.UserID, KeyAlias: deref(req.KeyAlias), CreatedBy: p.ID}
		if d := deref(req.Duration); d != "" {
			exp, err := expiry(d, s.now())
			if err != nil {
				return nil, err
			}
			key.Duration, key.Expires = d, exp
		}
	}
	for _, ut := range req.Teams {
		t, err := s.st.GetTeam(ctx, ut.TeamID)
		if err != nil {
			if errors.Is(err, store.ErrNotFound) {
				return nil, &Error{Kind: ErrNotFound, Field: "teams", Message: "team " + quote(ut.TeamID) + " does not exist", Err: err}
			}
			return nil, storeErr("reading team "+ut.TeamID, err)
		}
		if ut.Role != "" && ut.Role != "admin" && ut.Role != "user" {
			return nil, invalid("teams.user_role", "team role %s: want admin or user", quote(ut.Role))
		}
		if err := checkMemberBudget(t, ut.MaxBudgetInTeam); err != nil {
			return nil, err
		}
	}

	if err := s.st.CreateUser(ctx, u); err != nil {
		if errors.Is(err, store.ErrConflict) {
			return nil, &Error{Kind: ErrConflict, Field: "user_id", Message: "user " + quote(u.UserID) + " already exists", Err: err}
		}
		return nil, storeErr("creating user", err)
	}
	// A JWT caller's "no user record" lookup is cached: drop it, so the new
	// record (and its limits) apply from the next request on.
	s.inv.InvalidateUser(u.UserID)
	undo := func() {
		for _, t := range req.Teams {
			_ = s.st.RemoveTeamMember(ctx, t.TeamID, u.UserID)
		}
		_ = s.st.DeleteUser(ctx, u.UserID, 0)
	}
	teamIDs := make([]string, 0, len(req.Teams))
	for _, t := range req.Teams {
		m := memberOf(t.TeamID, MemberInput{UserID: u.UserID, Role: t.Role})
		m.MaxBudgetInTeam = t.MaxBudgetInTeam
		if err := s.st.PutTeamMember(ctx, m); err != nil {
			undo()
			return nil, storeErr("adding user to team "+t.TeamID, err)
		}
		s.inv.InvalidateTeam(t.TeamID)
		teamIDs = append(teamIDs, t.TeamID)
	}
	out := &NewUserResponse{UserView: userView(u, teamIDs), Aliases: map[string]string{}, keyUnset: unsetKey()}
	if key != nil {
		plaintext, err := s.createKey(ctx, key)
		if err != nil {
			undo()
			return nil, err
		}
		out.Key, out.KeyName, out.Token, out.TokenID = plaintext, &key.KeyName, &key.Hash, &key.Hash
		out.KeyAlias, out.Duration, out.Expires = strPtr(key.KeyAlias), strPtr(key.Duration), key.Expires
		out.CreatedBy = strPtr(key.CreatedBy)
	}
	return out, nil
}

// ProxyBudgetUser is the user id under which LiteLLM shows the proxy-wide
// budget; Tollgate keeps that budget in the config and shows it under the
// same id.
const ProxyBudgetUser = "litellm-proxy-budget"

// proxyBudgetInfo is /user/info for ProxyBudgetUser: the proxy budget
// and the spend of its current period, as LiteLLM shows them.
func (s *Service) proxyBudgetInfo(ctx context.Context) (*UserInfoResponse, error) {
	v := UserView{UserID: ProxyBudgetUser, UserRole: string(auth.RoleProxyAdmin), LimitsView: limitsView(store.Limits{
		MaxBudget: s.proxy.MaxBudget, BudgetDuration: s.proxy.BudgetDuration}), Metadata: json.RawMessage("{}"), Teams: []string{}}
	counter, reset := ratelimit.ProxyBudgetPeriod(s.proxy.BudgetDuration, s.now())
	c, err := s.st.GetCounter(ctx, counter)
	if err != nil {
		return nil, storeErr("reading the proxy's spend", err)
	}
	v.Spend = ratelimit.SpendOf(c.Values)
	if !reset.IsZero() {
		v.BudgetResetAt = &reset
	}
	return &UserInfoResponse{UserID: ProxyBudgetUser, UserInfo: v, Keys: []KeyView{}, Teams: []TeamView{}}, nil
}

// checkSelfSignup bounds what a user may set when creating themselves.
func (s *Service) checkSelfSignup(p *auth.Principal, req *UserRequest, u *store.User) error {
	if p.UserID == "" {
		return forbidden("user_id", "only a caller with a user identity (a JWT) may create their own user")
	}
	if u.UserID == "" {
		u.UserID = p.UserID
	} else if u.UserID != p.UserID {
		return forbidden("user_id", "you may create only your own user (%s), not %s", quote(p.UserID), quote(u.UserID))
	}
	if u.Role != string(auth.RoleInternalUser) {
		return forbidden("user_role", "you may not give yourself the role %s; ask a proxy admin", u.Role)
	}
	if req.UserEmail == nil {
		u.Email = p.Email
	} else if p.Email != "" && *req.UserEmail != p.Email {
		return forbidden("user_email", "user_email must be your token's email %s", quote(p.Email))
	}
	if len(req.Teams) > 0 {
		return forbidden("teams", "you may not add yourself to teams; a team admin adds members with /team/member_add")
	}
	if req.BudgetDuration != nil && *req.BudgetDuration != s.defaults.Limits.BudgetDuration {
		return forbidden("budget_duration", "budget_duration is set by the admin (%s) for new users", quote(s.defaults.Limits.BudgetDuration))
	}
	if req.Blocked != nil {
		return forbidden("blocked", "only a proxy admin may block users")
	}
	return nil
}

// newID returns a random UUID (v4), as LiteLLM's generated user ids.
func newID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

// UserInfoResponse is /user/info's answer.
type UserInfoResponse struct {
	UserID   string     `json:"user_id"`
	UserInfo UserView   `json:"user_info"`
	Keys     []KeyView  `json:"keys"`
	Teams    []TeamView `json:"teams"`
}

// UserInfo serves /user/info?user_id=…; without user_id it describes the
// caller.
func (s *Service) UserInfo(ctx context.Context, p *auth.Principal, userID string) (*UserInfoResponse, error) {
	a, err := authorize(p, OpUserInfo)
	if err != nil {
		return nil, err
	}
	if userID == "" {
		userID = p.UserID
	}
	if userID == "" {
		return nil, invalid("user_id", "user_id is required")
	}
	if a == Own && userID != p.UserID {
		return nil, forbidden("user_id", "you may not read another user (user_id %s)", quote(userID))
	}
	if userID == ProxyBudgetUser {
		return s.proxyBudgetInfo(ctx)
	}
	u, err := s.st.GetUser(ctx, userID)
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return nil, notFoundErr("user %s not found", quote(userID))
		}
		return nil, storeErr("reading user", err)
	}
	keys, err := s.allKeys(ctx, store.KeyFilter{UserID: userID})
	if err != nil {
		return nil, err
	}
	ms, err := s.st.UserTeams(ctx, userID)
	if err != nil {
		return nil, storeErr("listing the user's teams", err)
	}
	out := &UserInfoResponse{UserID: userID, Keys: []KeyView{}, Teams: []TeamView{}}
	var teamIDs []string
	for _, m := range ms {
		teamIDs = append(teamIDs, m.TeamID)
		if t, err := s.st.GetTeam(ctx, m.TeamID); err == nil {
			v, err := s.spentTeamView(ctx, t)
			if err != nil {
				return nil, err
			}
			out.Teams = append(out.Teams, v)
		}
	}
	out.UserInfo = userView(u, teamIDs)
	if out.UserInfo.OrganizationMemberships, err = s.userOrgMemberships(ctx, userID); err != nil {
		return nil, err
	}
	if out.UserInfo.Spend, out.UserInfo.BudgetResetAt, err = s.levelSpend(ctx, "user", userID, u.BudgetDuration); err != nil {
		return nil, err
	}
	for _, k := range keys {
		out.Keys = append(out.Keys, keyView(k, ""))
	}
	return out, nil
}

// userOrgMemberships are the user's memberships of organizations.
func (s *Service) userOrgMemberships(ctx context.Context, userID string) ([]OrgMembership, error) {
	ms, err := s.st.UserOrgs(ctx, userID)
	if err != nil {
		return nil, storeErr("listing the user's organizations", err)
	}
	out := []OrgMembership{}
	for i := range ms {
		o, err := s.st.GetOrganization(ctx, ms[i].OrganizationID)
		if err != nil {
			continue // deleted meanwhile
		}
		m, err := s.orgMembership(ctx, o, &ms[i])
		if err != nil {
			return nil, err
		}
		out = append(out, *m)
	}
	return out, nil
}

// UpdateUser serves /user/update (proxy admins).
func (s *Service) UpdateUser(ctx context.Context, p *auth.Principal, req *UserRequest) (*UserView, error) {
	if _, err := authorize(p, OpUserUpdate); err != nil {
		return nil, err
	}
	id := deref(req.UserID)
	if id == "" {
		return nil, invalid("user_id", "user_id is required")
	}
	if id == ProxyBudgetUser {
		return nil, invalid("user_id", "%s is the proxy-wide budget, set by litellm_settings.max_budget and budget_duration in config.yaml; change it there (a changed config is picked up without a restart)", ProxyBudgetUser)
	}
	u, err := s.st.GetUser(ctx, id)
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return nil, notFoundErr("user %s not found", quote(id))
		}
		return nil, storeErr("reading user", err)
	}
	if req.UserEmail != nil {
		u.Email = *req.UserEmail
	}
	if req.UserRole != nil {
		u.Role = *req.UserRole
	}
	if req.UserAlias != nil {
		u.Alias = *req.UserAlias
	}
	req.LimitsInput.apply(&u.Limits)
	if err := checkLimits(&u.Limits); err != nil {
		return nil, err
	}
	if req.Metadata != nil {
		md, err := checkMetadata(req.Metadata)
		if err != nil {
			return nil, err
		}
		u.Metadata = md
	}
	if req.Blocked != nil {
		u.Blocked = *req.Blocked
	}
	if err := s.st.UpdateUser(ctx, u); err != nil {
		return nil, storeErr("updating user "+id, err)
	}
	s.inv.InvalidateUser(id)
	v := userView(u, nil)
	return &v, nil
}

// DeleteUsersRequest is /user/delete's body.
type DeleteUsersRequest struct {
	UserIDs []string `json:"user_ids"`
}

// DeleteUsersResponse is /user/delete's answer.
type DeleteUsersResponse struct {
	DeletedUsers []string `json:"deleted_users"`
}

// DeleteUsers serves /user/delete: every user must exist; each user's keys
// and memberships go first, then the user.
func (s *Service) DeleteUsers(ctx context.Context, p *auth.Principal, req *DeleteUsersRequest) (*DeleteUsersResponse, error) {
	if _, err := authorize(p, OpUserDelete); err != nil {
		return nil, err
	}
	if len(req.UserIDs) == 0 {
		return nil, invalid("user_ids", "user_ids is required: a list of user ids to delete")
	}
	for _, id := range req.UserIDs {
		if _, err := s.st.GetUser(ctx, id); err != nil {
			if errors.Is(err, store.ErrNotFound) {
				return nil, &Error{Kind: ErrNotFound, Field: "user_ids", Message: "user " + quote(id) + " not found; nothing was deleted", Err: err}
			}
			return nil, storeErr("reading user "+id, err)
		}
	}
	for _, id := range req.UserIDs {
		keys, err := s.allKeys(ctx, store.KeyFilter{UserID: id})
		if err != nil {
			return nil, err
		}
		for _, k := range keys {
			if err := s.st.DeleteKey(ctx, k.Hash, 0); err != nil && !errors.Is(err, store.ErrNotFound) {
				return nil, storeErr("deleting a key of user "+id, err)
			}
			s.inv.InvalidateKey(k.Hash)
		}
		ms, err := s.st.UserTeams(ctx, id)
		if err != nil {
			return nil, storeErr("listing the teams of user "+id, err)
		}
		for _, m := range ms {
			if err := s.st.RemoveTeamMember(ctx, m.TeamID, id); err != nil && !errors.Is(err, store.ErrNotFound) {
				return nil, storeErr("removing user "+id+" from team "+m.TeamID, err)
			}
			s.inv.InvalidateTeam(m.TeamID)
		}
		oms, err := s.st.UserOrgs(ctx, id)
		if err != nil {
			return nil, storeErr("listing the organizations of user "+id, err)
		}
		for _, m := range oms {
			if err := s.st.RemoveOrgMember(ctx, m.OrganizationID, id); err != nil && !errors.Is(err, store.ErrNotFound) {
				return nil, storeErr("removing user "+id+" from organization "+m.OrganizationID, err)
			}
			s.inv.InvalidateOrg(m.OrganizationID)
		}
		if err := s.st.DeleteUser(ctx, id, 0); err != nil && !errors.Is(err, store.ErrNotFound) {
			return nil, storeErr("deleting user "+id, err)
		}
		s.inv.InvalidateUser(id)
	}
	return &DeleteUsersResponse{DeletedUsers: req.UserIDs}, nil
}

// UserListResponse is /user/list's answer.
type UserListResponse struct {
	Users      []UserView `json:"users"`
	Total      int        `json:"total"`
	Page       int        `json:"page"`
	PageSize   int        `json:"page_size"`
	TotalPages int        `json:"total_pages"`
}

// ListUsers serves /user/list.
func (s *Service) ListUsers(ctx context.Context, p *auth.Principal, page, size int) (*UserListResponse, error) {
	if _, err := authorize(p, OpUserList); err != nil {
		return nil, err
	}
	var all []*store.User
	pg := store.Page{Limit: 1000}
	for {
		us, next, err := s.st.ListUsers(ctx, pg)
		if err != nil {
			return nil, storeErr("listing users", err)
		}
		all = append(all, us...)
		if next == "" {
			break
		}
		pg.Cursor = next
	}
	start, end, pageN, pages := paginate(len(all), page, size)
	out := &UserListResponse{Users: make([]UserView, 0, end-start), Total: len(all), Page: pageN, PageSize: end - start, TotalPages: pages}
	for _, u := range all[start:end] {
		out.Users = append(out.Users, userView(u, nil))
	}
	return out, nil
}
