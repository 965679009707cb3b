package store

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// Organization is an organization (LiteLLM's): it owns teams, and its
// limits bound theirs, as a team's bound its keys. Members is filled by
// GetOrganization.
type Organization struct {
	OrganizationID string `json:"organization_id"`
	Alias          string `json:"organization_alias,omitempty"`
	Limits
	Metadata json.RawMessage `json:"metadata,omitempty"`
	// Blocked stops every call of the organization's keys.
	Blocked   bool      `json:"blocked,omitempty"`
	CreatedBy string    `json:"created_by,omitempty"`
	UpdatedBy string    `json:"updated_by,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
	// Members are stored as their own items (PutOrgMember); GetOrganization
	// fills this in and CreateOrganization/UpdateOrganization ignore it.
	Members []OrgMember `json:"-"`
	Version int64       `json:"-"`
}

// OrgMember is a user's membership of an organization.
type OrgMember struct {
	OrganizationID string `json:"organization_id"`
	UserID         string `json:"user_id"`
	// Role is the role within the organization: org_admin, internal_user
	// or internal_user_viewer (LiteLLM's roles within an organization).
	Role string `json:"user_role"`
	// MaxBudgetInOrg caps the member's spend through the organization's
	// keys (LiteLLM's max_budget_in_organization), in the organization's
	// budget period.
	MaxBudgetInOrg *float64  `json:"max_budget_in_organization,omitempty"`
	AddedAt        time.Time `json:"created_at"`
	UpdatedAt      time.Time `json:"updated_at"`
}

// OrgRoles are the roles a member may have within an organization.
var OrgRoles = []string{"org_admin", "internal_user", "internal_user_viewer"}

// Member returns the membership of userID, or nil.
func (o *Organization) Member(userID string) *OrgMember {
	for i := range o.Members {
		if o.Members[i].UserID == userID {
			return &o.Members[i]
		}
	}
	return nil
}

// For returns the limits that apply to member m within the organization
// (nil when none do): their max_budget_in_organization, in the
// organization's budget period.
func (o *Organization) For(m *OrgMember) *Limits {
	if m == nil || m.MaxBudgetInOrg == nil {
		return nil
	}
	return &Limits{MaxBudget: m.MaxBudgetInOrg, BudgetDuration: o.BudgetDuration}
}

func (o *Organization) validate() error {
	if err := checkID("organization_id", o.OrganizationID); err != nil {
		return err
	}
	if len(o.Metadata) > 0 && !json.Valid(o.Metadata) {
		return invalid("metadata is not valid JSON")
	}
	return o.Limits.Validate()
}

func (o *Organization) item() (*Item, error) {
	doc, err := encode(o)
	if err != nil {
		return nil, err
	}
	it := &Item{Table: StateTable, PK: pkOrg(o.OrganizationID), SK: skOrg, Version: o.Version, Doc: doc}
	it.Index[0] = IndexKey{PK: gsiOrgs, SK: o.OrganizationID}
	return it, nil
}

func orgFromItem(it *Item) (*Organization, error) {
	var o Organization
	if err := decode(it, &o); err != nil {
		return nil, err
	}
	o.Version = it.Version
	return &o, nil
}

// CreateOrganization stores a new organization; ErrConflict if the id is
// taken.
func (s *Store) CreateOrganization(ctx context.Context, o *Organization) error {
	if err := o.validate(); err != nil {
		return fmt.Errorf("creating organization: %w", err)
	}
	now := s.now().UTC()
	n := *o
	n.Version, n.CreatedAt, n.UpdatedAt, n.Members = 1, now, now, nil
	it, err := n.item()
	if err != nil {
		return fmt.Errorf("creating organization: %w", err)
	}
	if err := s.write(ctx, &Write{Kind: WritePut, Item: it, Cond: Cond{Kind: CondAbsent}}); err != nil {
		return fmt.Errorf("creating organization %s: %w", o.OrganizationID, err)
	}
	*o = n
	return nil
}

// GetOrganization returns the organization with its members (one query),
// or ErrNotFound.
func (s *Store) GetOrganization(ctx context.Context, id string) (*Organization, error) {
	if err := checkID("organization_id", id); err != nil {
		return nil, fmt.Errorf("getting organization: %w", err)
	}
	items, err := s.queryAll(ctx, Query{Table: StateTable, PK: pkOrg(id)})
	if err != nil {
		return nil, fmt.Errorf("getting organization %s: %w", id, err)
	}
	var org *Organization
	var members []OrgMember
	for _, it := range items {
		switch {
		case it.SK == skOrg:
			if org, err = orgFromItem(it); err != nil {
				return nil, err
			}
		case strings.HasPrefix(it.SK, memberPrefx):
			var m OrgMember
			if err := decode(it, &m); err != nil {
				return nil, err
			}
			members = append(members, m)
		}
	}
	if org == nil {
		return nil, fmt.Errorf("getting organization %s: %w", id, ErrNotFound)
	}
	org.Members = members
	return org, nil
}

// UpdateOrganization replaces an organization's own fields (not its
// members); o.Version must be the version read.
func (s *Store) UpdateOrganization(ctx context.Context, o *Organization) error {
	if err := o.validate(); err != nil {
		return fmt.Errorf("updating organization: %w", err)
	}
	n := *o
	n.Version, n.UpdatedAt = o.Version+1, s.now().UTC()
	it, err := n.item()
	if err != nil {
		return fmt.Errorf("updating organization: %w", err)
	}
	if err := s.write(ctx, &Write{Kind: WritePut, Item: it, Cond: Cond{Kind: CondVersion, Version: o.Version}}); err != nil {
		return fmt.Errorf("updating organization %s: %w", o.OrganizationID, err)
	}
	*o = n
	return nil
}

// DeleteOrganization deletes an organization and its memberships (version
// 0: any version). Its teams and keys are the caller's to move or delete
// first.
func (s *Store) DeleteOrganization(ctx context.Context, id string, version int64) error {
	o, err := s.GetOrganization(ctx, id)
	if err != nil {
		return fmt.Errorf("deleting organization: %w", err)
	}
	if version > 0 && o.Version != version {
		return fmt.Errorf("deleting organization %s: version %d, not %d: %w", id, o.Version, version, ErrConflict)
	}
	users := make([]string, len(o.Members))
	for i, m := range o.Members {
		users[i] = m.UserID
	}
	return s.deleteWithMembers(ctx, pkOrg(id), skOrg, users, version)
}

// deleteWithMembers deletes a team's or an organization's membership
// items, in batches, then the record itself with its condition last, so a
// failed delete leaves the record in place.
func (s *Store) deleteWithMembers(ctx context.Context, pk, sk string, users []string, version int64) error {
	const batch = 50
	for i := 0; i < len(users); i += batch {
		var ws []*Write
		for _, u := range users[i:min(i+batch, len(users))] {
			ws = append(ws, &Write{Kind: WriteDelete, Item: &Item{Table: StateTable, PK: pk, SK: skMember(u)}})
		}
		if err := s.write(ctx, ws...); err != nil {
			return fmt.Errorf("deleting %s members: %w", pk, err)
		}
	}
	cond := Cond{Kind: CondLive}
	if version > 0 {
		cond = Cond{Kind: CondVersion, Version: version}
	}
	if err := s.write(ctx, &Write{Kind: WriteDelete, Item: &Item{Table: StateTable, PK: pk, SK: sk}, Cond: cond}); err != nil {
		return fmt.Errorf("deleting %s: %w", pk, err)
	}
	return nil
}

// ListOrganizations lists organizations by id (without members).
func (s *Store) ListOrganizations(ctx context.Context, p Page) ([]*Organization, string, error) {
	items, next, err := s.query(ctx, Query{Table: StateTable, Index: 1, PK: gsiOrgs}, p)
	if err != nil {
		return nil, "", fmt.Errorf("listing organizations: %w", err)
	}
	out := make([]*Organization, 0, len(items))
	for _, it := range items {
		o, err := orgFromItem(it)
		if err != nil {
			return nil, "", err
		}
		out = append(out, o)
	}
	return out, next, nil
}

func validOrgRole(role string) bool {
	for _, r := range OrgRoles {
		if r == role {
			return true
		}
	}
	return false
}

// PutOrgMember adds a member or replaces their membership, in one
// transaction that also checks the organization exists (ErrNotFound if
// not).
func (s *Store) PutOrgMember(ctx context.Context, m OrgMember) error {
	if err := checkID("organization_id", m.OrganizationID); err != nil {
		return fmt.Errorf("adding organization member: %w", err)
	}
	if err := checkID("user_id", m.UserID); err != nil {
		return fmt.Errorf("adding organization member: %w", err)
	}
	if !validOrgRole(m.Role) {
		return fmt.Errorf("adding organization member: %w", invalid("organization role %q: want %s", m.Role, strings.Join(OrgRoles, ", ")))
	}
	if err := checkMoney("max_budget_in_organization", m.MaxBudgetInOrg); err != nil {
		return fmt.Errorf("adding organization member: %w", err)
	}
	now := s.now().UTC()
	if m.AddedAt.IsZero() {
		m.AddedAt = now
	}
	m.UpdatedAt = now
	doc, err := encode(m)
	if err != nil {
		return err
	}
	it := &Item{Table: StateTable, PK: pkOrg(m.OrganizationID), SK: skMember(m.UserID), Doc: doc}
	it.Index[0] = IndexKey{PK: gsiUserOrgs(m.UserID), SK: m.OrganizationID}
	err = s.write(ctx,
		&Write{Kind: WriteCheck, Item: &Item{Table: StateTable, PK: pkOrg(m.OrganizationID), SK: skOrg}, Cond: Cond{Kind: CondLive}},
		&Write{Kind: WritePut, Item: it})
	if err != nil {
		return fmt.Errorf("adding %s to organization %s: %w", m.UserID, m.OrganizationID, err)
	}
	return nil
}

// RemoveOrgMember removes a membership; ErrNotFound if there was none.
func (s *Store) RemoveOrgMember(ctx context.Context, orgID, userID string) error {
	err := s.write(ctx, &Write{Kind: WriteDelete, Item: &Item{Table: StateTable, PK: pkOrg(orgID), SK: skMember(userID)}, Cond: Cond{Kind: CondLive}})
	if err != nil {
		return fmt.Errorf("removing %s from organization %s: %w", userID, orgID, err)
	}
	return nil
}

// UserOrgs returns the user's organization memberships, by organization
// id.
func (s *Store) UserOrgs(ctx context.Context, userID string) ([]OrgMember, error) {
	if err := checkID("user_id", userID); err != nil {
		return nil, fmt.Errorf("listing organizations of user: %w", err)
	}
	items, err := s.queryAll(ctx, Query{Table: StateTable, Index: 1, PK: gsiUserOrgs(userID)})
	if err != nil {
		return nil, fmt.Errorf("listing organizations of user %s: %w", userID, err)
	}
	out := make([]OrgMember, 0, len(items))
	for _, it := range items {
		var m OrgMember
		if err := decode(it, &m); err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, nil
}
