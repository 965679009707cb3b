package store

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// Team is a team with its limits; Members is filled by GetTeam.
type Team struct {
	TeamID string `json:"team_id"`
	Alias  string `json:"team_alias,omitempty"`
	// OrganizationID is the organization the team belongs to ("": none);
	// its limits bound the team's, and its spend includes the team's.
	OrganizationID string `json:"organization_id,omitempty"`
	Limits
	Metadata json.RawMessage `json:"metadata,omitempty"`
	Blocked  bool            `json:"blocked,omitempty"`
	// Priority is the team's default request priority.
	Priority *int `json:"priority,omitempty"`
	// ModelAliases serve a request for a name on the left as the model on
	// the right, for every key of the team (a key's own aliases win).
	ModelAliases map[string]string `json:"model_aliases,omitempty"`
	// MemberLimits apply to each member within the team (LiteLLM's
	// team_member_budget, team_member_budget_duration,
	// team_member_rpm_limit, team_member_tpm_limit); a member's own
	// MaxBudgetInTeam takes the place of the budget.
	MemberLimits MemberLimits `json:"member_limits,omitzero"`
	CreatedAt    time.Time    `json:"created_at"`
	UpdatedAt    time.Time    `json:"updated_at"`
	// Members are stored as their own items (PutTeamMember); GetTeam fills
	// this in and CreateTeam/UpdateTeam ignore it.
	Members []Member `json:"-"`
	Version int64    `json:"-"`
}

// Member is a user's membership of a team.
type Member struct {
	TeamID string `json:"team_id"`
	UserID string `json:"user_id"`
	// Role is the team role: "admin" or "user".
	Role string `json:"role"`
	// MaxBudgetInTeam caps the member's spend through the team's keys
	// (LiteLLM's max_budget_in_team), in the team's member budget period.
	MaxBudgetInTeam *float64  `json:"max_budget_in_team,omitempty"`
	AddedAt         time.Time `json:"added_at"`
}

// MemberLimits are a team's limits for each of its members.
type MemberLimits struct {
	MaxBudget      *float64 `json:"max_budget,omitempty"`
	BudgetDuration string   `json:"budget_duration,omitempty"`
	RPMLimit       *int64   `json:"rpm_limit,omitempty"`
	TPMLimit       *int64   `json:"tpm_limit,omitempty"`
	// KeyDuration is the lifetime of keys a member creates for the team
	// when they name none (team_member_key_duration).
	KeyDuration string `json:"key_duration,omitempty"`
}

// For returns the limits that apply to member m within team t (nil when
// none do): the team's member limits, with m's own budget in place of
// the team's default.
func (t *Team) For(m *Member) *Limits {
	ml := t.MemberLimits
	budget := ml.MaxBudget
	if m != nil && m.MaxBudgetInTeam != nil {
		budget = m.MaxBudgetInTeam
	}
	if budget == nil && ml.RPMLimit == nil && ml.TPMLimit == nil {
		return nil
	}
	return &Limits{MaxBudget: budget, BudgetDuration: ml.BudgetDuration, RPMLimit: ml.RPMLimit, TPMLimit: ml.TPMLimit}
}

// Member returns the membership of userID, or nil.
func (t *Team) Member(userID string) *Member {
	for i := range t.Members {
		if t.Members[i].UserID == userID {
			return &t.Members[i]
		}
	}
	return nil
}

func (t *Team) validate() error {
	if err := checkID("team_id", t.TeamID); err != nil {
		return err
	}
	if err := checkOptionalID("organization_id", t.OrganizationID); err != nil {
		return err
	}
	if len(t.Metadata) > 0 && !json.Valid(t.Metadata) {
		return invalid("metadata is not valid JSON")
	}
	ml := t.MemberLimits
	if err := checkMoney("team_member_budget", ml.MaxBudget); err != nil {
		return err
	}
	if err := checkPeriod("team_member_budget_duration", ml.BudgetDuration); err != nil {
		return err
	}
	if err := checkPeriod("team_member_key_duration", ml.KeyDuration); err != nil {
		return err
	}
	for name, v := range map[string]*int64{"team_member_rpm_limit": ml.RPMLimit, "team_member_tpm_limit": ml.TPMLimit} {
		if v != nil && *v < 0 {
			return invalid("%s is %d; it must be 0 or more", name, *v)
		}
	}
	for alias, model := range t.ModelAliases {
		if alias == "" || model == "" {
			return invalid("model_aliases: %q → %q: both the alias and the model are needed", alias, model)
		}
	}
	return t.Limits.Validate()
}

func (t *Team) item() (*Item, error) {
	doc, err := encode(t)
	if err != nil {
		return nil, err
	}
	it := &Item{Table: StateTable, PK: pkTeam(t.TeamID), SK: skTeam, Version: t.Version, Doc: doc}
	it.Index[0] = IndexKey{PK: gsiTeams, SK: t.TeamID}
	return it, nil
}

func teamFromItem(it *Item) (*Team, error) {
	var t Team
	if err := decode(it, &t); err != nil {
		return nil, err
	}
	t.Version = it.Version
	return &t, nil
}

// CreateTeam stores a new team; ErrConflict if the id is taken.
func (s *Store) CreateTeam(ctx context.Context, t *Team) error {
	if err := t.validate(); err != nil {
		return fmt.Errorf("creating team: %w", err)
	}
	now := s.now().UTC()
	n := *t
	n.Version, n.CreatedAt, n.UpdatedAt, n.Members = 1, now, now, nil
	it, err := n.item()
	if err != nil {
		return fmt.Errorf("creating team: %w", err)
	}
	if err := s.write(ctx, withOrgCheck(n.OrganizationID, &Write{Kind: WritePut, Item: it, Cond: Cond{Kind: CondAbsent}})...); err != nil {
		return fmt.Errorf("creating team %s: %w", t.TeamID, err)
	}
	*t = n
	return nil
}

// GetTeam returns the team with its members (one query), or ErrNotFound.
func (s *Store) GetTeam(ctx context.Context, id string) (*Team, error) {
	if err := checkID("team_id", id); err != nil {
		return nil, fmt.Errorf("getting team: %w", err)
	}
	items, err := s.queryAll(ctx, Query{Table: StateTable, PK: pkTeam(id)})
	if err != nil {
		return nil, fmt.Errorf("getting team %s: %w", id, err)
	}
	var team *Team
	var members []Member
	for _, it := range items {
		switch {
		case it.SK == skTeam:
			if team, err = teamFromItem(it); err != nil {
				return nil, err
			}
		case strings.HasPrefix(it.SK, memberPrefx):
			var m Member
			if err := decode(it, &m); err != nil {
				return nil, err
			}
			members = append(members, m)
		}
	}
	if team == nil {
		return nil, fmt.Errorf("getting team %s: %w", id, ErrNotFound)
	}
	team.Members = members
	return team, nil
}

// UpdateTeam replaces a team's own fields (not its members); t.Version must
// be the version read.
func (s *Store) UpdateTeam(ctx context.Context, t *Team) error {
	if err := t.validate(); err != nil {
		return fmt.Errorf("updating team: %w", err)
	}
	n := *t
	n.Version, n.UpdatedAt = t.Version+1, s.now().UTC()
	it, err := n.item()
	if err != nil {
		return fmt.Errorf("updating team: %w", err)
	}
	if err := s.write(ctx, withOrgCheck(n.OrganizationID, &Write{Kind: WritePut, Item: it, Cond: Cond{Kind: CondVersion, Version: t.Version}})...); err != nil {
		return fmt.Errorf("updating team %s: %w", t.TeamID, err)
	}
	*t = n
	return nil
}

// DeleteTeam deletes a team and its memberships (version 0: any version).
// Keys of the team are the caller's to update or delete.
func (s *Store) DeleteTeam(ctx context.Context, id string, version int64) error {
	t, err := s.GetTeam(ctx, id)
	if err != nil {
		return fmt.Errorf("deleting team: %w", err)
	}
	if version > 0 && t.Version != version {
		return fmt.Errorf("deleting team %s: version %d, not %d: %w", id, t.Version, version, ErrConflict)
	}
	users := make([]string, len(t.Members))
	for i, m := range t.Members {
		users[i] = m.UserID
	}
	return s.deleteWithMembers(ctx, pkTeam(id), skTeam, users, version)
}

// withOrgCheck adds to w a check that organization orgID exists, when one
// is named: a record never joins an organization that is not there (a
// missing one fails as ErrNotFound).
func withOrgCheck(orgID string, w ...*Write) []*Write {
	if orgID == "" {
		return w
	}
	return append(w, &Write{Kind: WriteCheck, Item: &Item{Table: StateTable, PK: pkOrg(orgID), SK: skOrg}, Cond: Cond{Kind: CondLive}})
}

// ListTeams lists teams by id (without members).
func (s *Store) ListTeams(ctx context.Context, p Page) ([]*Team, string, error) {
	items, next, err := s.query(ctx, Query{Table: StateTable, Index: 1, PK: gsiTeams}, p)
	if err != nil {
		return nil, "", fmt.Errorf("listing teams: %w", err)
	}
	out := make([]*Team, 0, len(items))
	for _, it := range items {
		t, err := teamFromItem(it)
		if err != nil {
			return nil, "", err
		}
		out = append(out, t)
	}
	return out, next, nil
}

// PutTeamMember adds a member or changes their role, in one transaction
// that also checks the team exists (ErrNotFound if not).
func (s *Store) PutTeamMember(ctx context.Context, m Member) error {
	if err := checkID("team_id", m.TeamID); err != nil {
		return fmt.Errorf("adding team member: %w", err)
	}
	if err := checkID("user_id", m.UserID); err != nil {
		return fmt.Errorf("adding team member: %w", err)
	}
	if m.Role != "admin" && m.Role != "user" {
		return fmt.Errorf("adding team member: %w", invalid("team role %q: want admin or user", m.Role))
	}
	if err := checkMoney("max_budget_in_team", m.MaxBudgetInTeam); err != nil {
		return fmt.Errorf("adding team member: %w", err)
	}
	if m.AddedAt.IsZero() {
		m.AddedAt = s.now().UTC()
	}
	doc, err := encode(m)
	if err != nil {
		return err
	}
	it := &Item{Table: StateTable, PK: pkTeam(m.TeamID), SK: skMember(m.UserID), Doc: doc}
	it.Index[0] = IndexKey{PK: gsiUserTeams(m.UserID), SK: m.TeamID}
	err = s.write(ctx,
		&Write{Kind: WriteCheck, Item: &Item{Table: StateTable, PK: pkTeam(m.TeamID), SK: skTeam}, Cond: Cond{Kind: CondLive}},
		&Write{Kind: WritePut, Item: it})
	if err != nil {
		return fmt.Errorf("adding %s to team %s: %w", m.UserID, m.TeamID, err)
	}
	return nil
}

// RemoveTeamMember removes a membership; ErrNotFound if there was none.
func (s *Store) RemoveTeamMember(ctx context.Context, teamID, userID string) error {
	err := s.write(ctx, &Write{Kind: WriteDelete, Item: &Item{Table: StateTable, PK: pkTeam(teamID), SK: skMember(userID)}, Cond: Cond{Kind: CondLive}})
	if err != nil {
		return fmt.Errorf("removing %s from team %s: %w", userID, teamID, err)
	}
	return nil
}

// UserTeams returns the user's memberships, by team id.
func (s *Store) UserTeams(ctx context.Context, userID string) ([]Member, error) {
	if err := checkID("user_id", userID); err != nil {
		return nil, fmt.Errorf("listing teams of user: %w", err)
	}
	items, err := s.queryAll(ctx, Query{Table: StateTable, Index: 1, PK: gsiUserTeams(userID)})
	if err != nil {
		return nil, fmt.Errorf("listing teams of user %s: %w", userID, err)
	}
	out := make([]Member, 0, len(items))
	for _, it := range items {
		var m Member
		if err := decode(it, &m); err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, nil
}
