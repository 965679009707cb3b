package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"
)

// User is an internal user (LiteLLM's user fields).
type User struct {
	UserID string `json:"user_id"`
	Email  string `json:"user_email,omitempty"`
	// Role is the user's proxy role: proxy_admin, proxy_admin_viewer,
	// internal_user or internal_user_viewer.
	Role  string `json:"user_role,omitempty"`
	Alias string `json:"user_alias,omitempty"`
	Limits
	Metadata  json.RawMessage `json:"metadata,omitempty"`
	Blocked   bool            `json:"blocked,omitempty"`
	CreatedAt time.Time       `json:"created_at"`
	UpdatedAt time.Time       `json:"updated_at"`
	Version   int64           `json:"-"`
}

// UserRoles are the proxy roles a User may have.
var userRoles = map[string]bool{"proxy_admin": true, "proxy_admin_viewer": true, "internal_user": true, "internal_user_viewer": true}

func (u *User) validate() error {
	if err := checkID("user_id", u.UserID); err != nil {
		return err
	}
	if u.Role != "" && !userRoles[u.Role] {
		return invalid("user_role %q: want proxy_admin, proxy_admin_viewer, internal_user or internal_user_viewer", u.Role)
	}
	if len(u.Metadata) > 0 && !json.Valid(u.Metadata) {
		return invalid("metadata is not valid JSON")
	}
	return u.Limits.Validate()
}

func (u *User) item() (*Item, error) {
	doc, err := encode(u)
	if err != nil {
		return nil, err
	}
	it := &Item{Table: StateTable, PK: pkUser(u.UserID), SK: skUser, Version: u.Version, Doc: doc}
	it.Index[0] = IndexKey{PK: gsiUsers, SK: u.UserID}
	return it, nil
}

func userFromItem(it *Item) (*User, error) {
	var u User
	if err := decode(it, &u); err != nil {
		return nil, err
	}
	u.Version = it.Version
	return &u, nil
}

// CreateUser stores a new user; ErrConflict if the id is taken.
func (s *Store) CreateUser(ctx context.Context, u *User) error {
	if err := u.validate(); err != nil {
		return fmt.Errorf("creating user: %w", err)
	}
	now := s.now().UTC()
	n := *u
	n.Version, n.CreatedAt, n.UpdatedAt = 1, now, now
	it, err := n.item()
	if err != nil {
		return fmt.Errorf("creating user: %w", err)
	}
	if err := s.write(ctx, &Write{Kind: WritePut, Item: it, Cond: Cond{Kind: CondAbsent}}); err != nil {
		return fmt.Errorf("creating user %s: %w", u.UserID, err)
	}
	*u = n
	return nil
}

// GetUser returns the user, or ErrNotFound.
func (s *Store) GetUser(ctx context.Context, id string) (*User, error) {
	it, err := s.get(ctx, StateTable, pkUser(id), skUser)
	if err != nil {
		return nil, fmt.Errorf("getting user %s: %w", id, err)
	}
	return userFromItem(it)
}

// UpdateUser replaces a user; u.Version must be the version read (see
// UpdateKey).
func (s *Store) UpdateUser(ctx context.Context, u *User) error {
	if err := u.validate(); err != nil {
		return fmt.Errorf("updating user: %w", err)
	}
	n := *u
	n.Version, n.UpdatedAt = u.Version+1, s.now().UTC()
	it, err := n.item()
	if err != nil {
		return fmt.Errorf("updating user: %w", err)
	}
	if err := s.write(ctx, &Write{Kind: WritePut, Item: it, Cond: Cond{Kind: CondVersion, Version: u.Version}}); err != nil {
		return fmt.Errorf("updating user %s: %w", u.UserID, err)
	}
	*u = n
	return nil
}

// DeleteUser deletes a user (version 0: any version). The user's keys and
// team memberships are the caller's to delete (ListKeys, UserTeams).
func (s *Store) DeleteUser(ctx context.Context, id string, version int64) error {
	cond := Cond{Kind: CondLive}
	if version > 0 {
		cond = Cond{Kind: CondVersion, Version: version}
	}
	if err := s.write(ctx, &Write{Kind: WriteDelete, Item: &Item{Table: StateTable, PK: pkUser(id), SK: skUser}, Cond: cond}); err != nil {
		return fmt.Errorf("deleting user %s: %w", id, err)
	}
	return nil
}

// ListUsers lists users by id.
func (s *Store) ListUsers(ctx context.Context, p Page) ([]*User, string, error) {
	items, next, err := s.query(ctx, Query{Table: StateTable, Index: 1, PK: gsiUsers}, p)
	if err != nil {
		return nil, "", fmt.Errorf("listing users: %w", err)
	}
	out := make([]*User, 0, len(items))
	for _, it := range items {
		u, err := userFromItem(it)
		if err != nil {
			return nil, "", err
		}
		out = append(out, u)
	}
	return out, next, nil
}
