package tenancy

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"

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
	case a == TeamAdmin && role != "admin":
		return forbidden("team_id", "you are not an admin of team %s", quote(t.TeamID))
	case a == Own && role == "":
		return forbidden("team_id", "you are not a member of team %s", quote(t.TeamID))
	}
	return nil
}

func checkMembers(ms []MemberInput) error {
	for _, m := range ms {
		if m.UserID == "" {
			return invalid("member.user_id", "every member needs a user_id")
		}
		if m.Role != "" && m.Role != "admin" && m.Role != "user" {
			return invalid("member.role", "member role %s: want admin or user", quote(m.Role))
		}
	}
	return nil
}

func (s *Service) requireUsers(ctx context.Context, ms []MemberInput) error {
	for _, m := range ms {
		if _, err := s.st.GetUser(ctx, m.UserID); err != nil {
			if errors.Is(err, store.ErrNotFound) {
				return &Error{Kind: ErrNotFound, Field: "member.user_id", Message: "user " + quote(m.UserID) + " does not exist; create it with /user/new", Err: err}
			}
			return storeErr("reading user "+m.UserID, err)
		}
	}
	return nil
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
	if _, err := authorize(p, EpTeamNew); err != nil {
		return nil, err
	}
	t := &store.Team{TeamID: deref(req.TeamID), Alias: deref(req.TeamAlias)}
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
	if err := checkMembers(req.MembersWithRoles); err != nil {
		return nil, err
	}
	if err := s.requireUsers(ctx, req.MembersWithRoles); err != nil {
		return nil, err
	}
	if err := s.st.CreateTeam(ctx, t); err != nil {
		if errors.Is(err, store.ErrConflict) {
			return nil, &Error{Kind: ErrConflict, Field: "team_id", Message: "team " + quote(t.TeamID) + " already exists", Err: err}
		}
		return nil, storeErr("creating team", err)
	}
	for _, m := range req.MembersWithRoles {
		sm := memberOf(t.TeamID, m)
		if err := s.st.PutTeamMember(ctx, sm); err != nil {
			_ = s.st.DeleteTeam(ctx, t.TeamID, 0)
			return nil, storeErr("adding member "+m.UserID, err)
		}
		t.Members = append(t.Members, sm)
	}
	v := teamView(t)
	return &v, nil
}

// UpdateTeam serves /team/update. A team admin may change the alias and
// metadata; models, budgets, limits and blocking are the proxy admin's.
func (s *Service) UpdateTeam(ctx context.Context, p *auth.Principal, req *TeamRequest) (*TeamView, error) {
	a, err := authorize(p, EpTeamUpdate)
	if err != nil {
		return nil, err
	}
	t, err := s.getTeam(ctx, deref(req.TeamID))
	if err != nil {
		return nil, err
	}
	if err := teamAccess(p, a, t); err != nil {
		return nil, err
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
		}
	}
	if req.TeamAlias != nil {
		t.Alias = *req.TeamAlias
	}
	req.LimitsInput.apply(&t.Limits)
	if err := checkLimits(&t.Limits); err != nil {
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
	v := teamView(t)
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
	if _, err := authorize(p, EpTeamDelete); err != nil {
		return nil, err
	}
	if len(req.TeamIDs) == 0 {
		return nil, invalid("team_ids", "team_ids is required: a list of team ids to delete")
	}
	for _, id := range req.TeamIDs {
		if _, err := s.getTeam(ctx, id); err != nil {
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
}

// TeamInfo serves /team/info?team_id=…. Members who are not team admins
// see only their own keys of the team.
func (s *Service) TeamInfo(ctx context.Context, p *auth.Principal, teamID string) (*TeamInfoResponse, error) {
	a, err := authorize(p, EpTeamInfo)
	if err != nil {
		return nil, err
	}
	t, err := s.getTeam(ctx, teamID)
	if err != nil {
		return nil, err
	}
	if err := teamAccess(p, a, t); err != nil {
		return nil, err
	}
	keys, err := s.allKeys(ctx, store.KeyFilter{TeamID: teamID})
	if err != nil {
		return nil, err
	}
	out := &TeamInfoResponse{TeamID: teamID, Keys: []KeyView{}}
	if out.TeamInfo, err = s.spentTeamView(ctx, t); err != nil {
		return nil, err
	}
	seeAll := a == All || memberRole(t, p.UserID) == "admin"
	for _, k := range keys {
		if seeAll || k.UserID == p.UserID {
			out.Keys = append(out.Keys, keyView(k, ""))
		}
	}
	return out, nil
}

// ListTeams serves /team/list: every team for admins and viewers, the
// caller's teams for others.
func (s *Service) ListTeams(ctx context.Context, p *auth.Principal) ([]TeamView, error) {
	a, err := authorize(p, EpTeamList)
	if err != nil {
		return nil, err
	}
	out := []TeamView{}
	if a == Own {
		ms, err := s.st.UserTeams(ctx, p.UserID)
		if err != nil {
			return nil, storeErr("listing your teams", err)
		}
		for _, m := range ms {
			t, err := s.st.GetTeam(ctx, m.TeamID)
			if err != nil {
				continue // deleted meanwhile
			}
			v, err := s.spentTeamView(ctx, t)
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

// MemberRequest is the body of /team/member_add and /team/member_delete.
type MemberRequest struct {
	TeamID string  `json:"team_id"`
	Member Members `json:"member"`
	// UserID names the member to remove (/team/member_delete).
	UserID string `json:"user_id"`
}

// AddMembers serves /team/member_add.
func (s *Service) AddMembers(ctx context.Context, p *auth.Principal, req *MemberRequest) (*TeamView, error) {
	a, err := authorize(p, EpTeamMemberAdd)
	if err != nil {
		return nil, err
	}
	t, err := s.getTeam(ctx, req.TeamID)
	if err != nil {
		return nil, err
	}
	if err := teamAccess(p, a, t); err != nil {
		return nil, err
	}
	if len(req.Member) == 0 {
		return nil, invalid("member", "member is required: {\"user_id\": …, \"role\": \"user\"}")
	}
	if err := checkMembers(req.Member); err != nil {
		return nil, err
	}
	if err := s.requireUsers(ctx, req.Member); err != nil {
		return nil, err
	}
	for _, m := range req.Member {
		if err := s.st.PutTeamMember(ctx, memberOf(t.TeamID, m)); err != nil {
			return nil, storeErr("adding member "+m.UserID, err)
		}
	}
	s.inv.InvalidateTeam(t.TeamID)
	t, err = s.getTeam(ctx, t.TeamID)
	if err != nil {
		return nil, err
	}
	v := teamView(t)
	return &v, nil
}

// DeleteMember serves /team/member_delete.
func (s *Service) DeleteMember(ctx context.Context, p *auth.Principal, req *MemberRequest) (*TeamView, error) {
	a, err := authorize(p, EpTeamMemberDel)
	if err != nil {
		return nil, err
	}
	t, err := s.getTeam(ctx, req.TeamID)
	if err != nil {
		return nil, err
	}
	if err := teamAccess(p, a, t); err != nil {
		return nil, err
	}
	userID := req.UserID
	if userID == "" && len(req.Member) == 1 {
		userID = req.Member[0].UserID
	}
	if userID == "" {
		return nil, invalid("user_id", "user_id is required: the member to remove")
	}
	if memberRole(t, userID) == "" {
		return nil, notFoundErr("user %s is not a member of team %s", quote(userID), quote(t.TeamID))
	}
	if err := s.st.RemoveTeamMember(ctx, t.TeamID, userID); err != nil {
		return nil, storeErr("removing member "+userID, err)
	}
	s.inv.InvalidateTeam(t.TeamID)
	t, err = s.getTeam(ctx, t.TeamID)
	if err != nil {
		return nil, err
	}
	v := teamView(t)
	return &v, nil
}
