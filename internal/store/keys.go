package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"
)

// Key is a virtual key. The plaintext ("sk-…") is never stored: the key is
// found by the SHA-256 hash of its plaintext (HashKey).
type Key struct {
	// Hash is HashKey(plaintext): the key's id (LiteLLM's "token").
	Hash string `json:"token"`
	// KeyName is the abbreviated display form ("sk-...abcd").
	KeyName  string `json:"key_name,omitempty"`
	KeyAlias string `json:"key_alias,omitempty"`
	// UserID owns the key; "" is a service key that belongs to no user.
	UserID string `json:"user_id,omitempty"`
	TeamID string `json:"team_id,omitempty"`
	// OrganizationID is the organization of a key without a team (a team
	// key belongs to its team's organization); its limits bound the key.
	OrganizationID string `json:"organization_id,omitempty"`
	Limits
	// Duration is the lifetime the key was created with ("30d"); Expires
	// is the instant it ends (nil: never).
	Duration   string            `json:"duration,omitempty"`
	Expires    *time.Time        `json:"expires,omitempty"`
	Metadata   json.RawMessage   `json:"metadata,omitempty"`
	Blocked    bool              `json:"blocked,omitempty"`
	Guardrails []string          `json:"guardrails,omitempty"`
	Aliases    map[string]string `json:"aliases,omitempty"`
	Tags       []string          `json:"tags,omitempty"`
	// Priority is the default request priority (lower is more important).
	Priority  *int      `json:"priority,omitempty"`
	CreatedBy string    `json:"created_by,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
	// Version is the record's version; Update needs the version read.
	Version int64 `json:"-"`
}

// HashKey returns the id under which a key's plaintext is stored: the hex
// SHA-256 of the plaintext.
func HashKey(plaintext string) string {
	sum := sha256.Sum256([]byte(plaintext))
	return hex.EncodeToString(sum[:])
}

// KeyName abbreviates a plaintext key for display ("sk-...abcd"), as
// LiteLLM's key_name does.
func KeyName(plaintext string) string {
	if len(plaintext) <= 7 {
		return "sk-..."
	}
	return "sk-..." + plaintext[len(plaintext)-4:]
}

func (k *Key) validate() error {
	if len(k.Hash) != sha256.Size*2 {
		return invalid("key hash %q is not a hex SHA-256", k.Hash)
	}
	if _, err := hex.DecodeString(k.Hash); err != nil {
		return invalid("key hash %q is not a hex SHA-256", k.Hash)
	}
	if err := checkOptionalID("user_id", k.UserID); err != nil {
		return err
	}
	if err := checkOptionalID("team_id", k.TeamID); err != nil {
		return err
	}
	if err := checkOptionalID("organization_id", k.OrganizationID); err != nil {
		return err
	}
	if k.Duration != "" {
		if err := checkPeriod("duration", k.Duration); err != nil {
			return err
		}
	}
	if len(k.Metadata) > 0 && !json.Valid(k.Metadata) {
		return invalid("metadata is not valid JSON")
	}
	return k.Limits.Validate()
}

// keyWrites are the items of a key: the key itself and, when it has a
// team, the copy that lists it under the team.
func (k *Key) items() ([]*Item, error) {
	doc, err := encode(k)
	if err != nil {
		return nil, err
	}
	main := &Item{Table: StateTable, PK: pkKey(k.Hash), SK: skKey, Version: k.Version, Doc: doc}
	main.Index[0] = IndexKey{PK: gsiKeys, SK: gsiOwnerKeys(k.UserID) + k.Hash}
	items := []*Item{main}
	if k.TeamID != "" {
		byTeam := &Item{Table: StateTable, PK: pkKey(k.Hash), SK: skKeyTeam, Version: k.Version, Doc: doc}
		byTeam.Index[0] = IndexKey{PK: gsiKeys, SK: gsiTeamKeys(k.TeamID) + k.Hash}
		items = append(items, byTeam)
	}
	return items, nil
}

func keyFromItem(it *Item) (*Key, error) {
	var k Key
	if err := decode(it, &k); err != nil {
		return nil, err
	}
	k.Version = it.Version
	return &k, nil
}

// CreateKey stores a new key; ErrConflict if the hash is taken. It sets
// Version, CreatedAt and UpdatedAt.
func (s *Store) CreateKey(ctx context.Context, k *Key) error {
	if err := k.validate(); err != nil {
		return fmt.Errorf("creating key: %w", err)
	}
	now := s.now().UTC()
	n := *k
	n.Version, n.CreatedAt, n.UpdatedAt = 1, now, now
	items, err := n.items()
	if err != nil {
		return fmt.Errorf("creating key: %w", err)
	}
	ws := []*Write{{Kind: WritePut, Item: items[0], Cond: Cond{Kind: CondAbsent}}}
	for _, it := range items[1:] {
		ws = append(ws, &Write{Kind: WritePut, Item: it})
	}
	if err := s.write(ctx, withOrgCheck(n.OrganizationID, ws...)...); err != nil {
		return fmt.Errorf("creating key %s: %w", KeyNameOfHash(k.Hash), err)
	}
	*k = n
	return nil
}

// KeyNameOfHash is a short form of a key hash for messages and logs.
func KeyNameOfHash(hash string) string {
	if len(hash) > 12 {
		return hash[:12]
	}
	return hash
}

// GetKey returns the key with the hash, or ErrNotFound.
func (s *Store) GetKey(ctx context.Context, hash string) (*Key, error) {
	it, err := s.get(ctx, StateTable, pkKey(hash), skKey)
	if err != nil {
		return nil, fmt.Errorf("getting key %s: %w", KeyNameOfHash(hash), err)
	}
	return keyFromItem(it)
}

// UpdateKey replaces a key (one conditional write). k.Version must be the
// version read, and CreatedAt is kept as read; on success Version is the
// new version. ErrConflict if the key changed since it was read,
// ErrNotFound if it is gone.
func (s *Store) UpdateKey(ctx context.Context, k *Key) error {
	if err := k.validate(); err != nil {
		return fmt.Errorf("updating key: %w", err)
	}
	n := *k
	n.Version, n.UpdatedAt = k.Version+1, s.now().UTC()
	items, err := n.items()
	if err != nil {
		return fmt.Errorf("updating key: %w", err)
	}
	ws := []*Write{{Kind: WritePut, Item: items[0], Cond: Cond{Kind: CondVersion, Version: k.Version}}}
	if len(items) > 1 {
		ws = append(ws, &Write{Kind: WritePut, Item: items[1]})
	} else {
		// The key may have had a team before: drop its team listing.
		ws = append(ws, &Write{Kind: WriteDelete, Item: &Item{Table: StateTable, PK: pkKey(k.Hash), SK: skKeyTeam}})
	}
	if err := s.write(ctx, withOrgCheck(n.OrganizationID, ws...)...); err != nil {
		return fmt.Errorf("updating key %s: %w", KeyNameOfHash(k.Hash), err)
	}
	*k = n
	return nil
}

// DeleteKey deletes a key. With version > 0 it deletes only that version
// (ErrConflict otherwise); with 0 it deletes whatever is there. ErrNotFound
// if there is no such key.
func (s *Store) DeleteKey(ctx context.Context, hash string, version int64) error {
	cond := Cond{Kind: CondLive}
	if version > 0 {
		cond = Cond{Kind: CondVersion, Version: version}
	}
	err := s.write(ctx,
		&Write{Kind: WriteDelete, Item: &Item{Table: StateTable, PK: pkKey(hash), SK: skKey}, Cond: cond},
		&Write{Kind: WriteDelete, Item: &Item{Table: StateTable, PK: pkKey(hash), SK: skKeyTeam}})
	if err != nil {
		return fmt.Errorf("deleting key %s: %w", KeyNameOfHash(hash), err)
	}
	return nil
}

// KeyFilter selects keys to list. At most one of UserID and TeamID may be
// set; neither lists every key.
type KeyFilter struct {
	UserID string
	TeamID string
}

// ListKeys lists keys in a stable order (by user, then hash; or by hash
// within a team).
func (s *Store) ListKeys(ctx context.Context, f KeyFilter, p Page) ([]*Key, string, error) {
	q := Query{Table: StateTable, Index: 1, PK: gsiKeys, Prefix: "OWNER#"}
	switch {
	case f.UserID != "" && f.TeamID != "":
		return nil, "", fmt.Errorf("listing keys: %w", invalid("filter by user or by team, not both"))
	case f.UserID != "":
		if err := checkID("user_id", f.UserID); err != nil {
			return nil, "", fmt.Errorf("listing keys: %w", err)
		}
		q.Prefix = gsiOwnerKeys(f.UserID)
	case f.TeamID != "":
		if err := checkID("team_id", f.TeamID); err != nil {
			return nil, "", fmt.Errorf("listing keys: %w", err)
		}
		q.Prefix = gsiTeamKeys(f.TeamID)
	}
	items, next, err := s.query(ctx, q, p)
	if err != nil {
		return nil, "", fmt.Errorf("listing keys: %w", err)
	}
	keys := make([]*Key, 0, len(items))
	for _, it := range items {
		k, err := keyFromItem(it)
		if err != nil {
			return nil, "", err
		}
		keys = append(keys, k)
	}
	return keys, next, nil
}
