package auth

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/hashicorp/golang-lru/v2/expirable"
	"golang.org/x/sync/singleflight"

	"github.com/tollgate-gw/tollgate/internal/store"
)

// keyPrefix starts every virtual key, as LiteLLM's do.
const keyPrefix = "sk-"

// keyBytes is the entropy of a virtual key: 256 bits.
const keyBytes = 32

// keyLen is the length of a generated key: the prefix and 32 bytes in
// unpadded base64url.
var keyLen = len(keyPrefix) + base64.RawURLEncoding.EncodedLen(keyBytes)

// NewKey returns a new virtual key: "sk-" and 256 random bits from
// crypto/rand, base64url-encoded. Only its hash (store.HashKey) is stored.
func NewKey() string {
	var b [keyBytes]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go ≥ 1.24)
	return keyPrefix + base64.RawURLEncoding.EncodeToString(b[:])
}

// LooksLikeKey reports whether s has the shape NewKey produces. Anything
// else cannot be a virtual key, so it is refused without a store lookup:
// junk credentials never cost a database read.
func LooksLikeKey(s string) bool {
	if len(s) != keyLen || s[:len(keyPrefix)] != keyPrefix {
		return false
	}
	for i := len(keyPrefix); i < len(s); i++ {
		c := s[i]
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// DefaultKeyCacheTTL is how long a warm container trusts a key lookup.
const DefaultKeyCacheTTL = 5 * time.Second

// defaultMaxEntries bounds the cache of lookups that found a key or user;
// lookups that found nothing have their own, smaller cache, so a flood of
// made-up keys can evict only other made-up keys.
const defaultMaxEntries = 10000

// KeysOptions tune Keys; nil or zero fields mean defaults.
type KeysOptions struct {
	// TTL is how long a lookup (found or not) is reused; DefaultKeyCacheTTL
	// when zero, no caching when negative.
	TTL time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// MaxEntries bounds the cache of found keys and users (default 10000);
	// a quarter of it bounds the cache of lookups that found nothing.
	MaxEntries int
}

// Keys authenticates virtual keys against the store, with a warm-container
// cache of lookups (the key with its user and team): a bounded LRU whose
// entries expire after the TTL, and one store read for concurrent misses of
// the same key.
//
// Consistency: a change made through this container (update, delete,
// block, user or team changes) invalidates the affected entries at once,
// including a lookup in flight at that moment, whose (possibly stale)
// result is then returned to its callers but not cached. A change made in
// another container (another Lambda instance) is seen here when the entry
// expires, so a revoked or blocked key is refused everywhere within TTL
// (default 5 s) of the change.
type Keys struct {
	st  *store.Store
	ttl time.Duration
	now func() time.Time

	found   *expirable.LRU[string, *keyEntry] // by key hash; "user:"+id for JWT users
	missing *expirable.LRU[string, *keyEntry] // lookups that found nothing
	flight  singleflight.Group

	// mu orders invalidations against the storing of loaded entries:
	// gen counts invalidations, and a load stores its entry only if none
	// happened since it started.
	mu  sync.Mutex
	gen uint64
}

// keyEntry is a cached lookup. The records are shared and read-only.
type keyEntry struct {
	key  *store.Key
	user *store.User
	team *store.Team
	// member are the limits of the key's user within its team (the
	// member's max_budget_in_team, the team's team_member_* limits); nil
	// when none apply.
	member *store.Limits
	// org is the key's organization: its own, or its team's.
	org *store.Organization
	// orgMember are the limits of the key's user within the organization
	// (max_budget_in_organization); nil when none apply.
	orgMember *store.Limits
	// aliases are the key's aliases over its team's model_aliases.
	aliases map[string]string
	// personal is the user's model scope with a personal key (or a JWT):
	// see personalScope.
	personal []Scope
	err      error // a refusal (not found, user gone), cached like a hit
	until    time.Time
}

// NewKeys returns a key authenticator over st.
func NewKeys(st *store.Store, opts *KeysOptions) *Keys {
	k := &Keys{st: st, ttl: DefaultKeyCacheTTL, now: time.Now}
	size := defaultMaxEntries
	if opts != nil {
		if opts.TTL != 0 {
			k.ttl = opts.TTL
		}
		if opts.Now != nil {
			k.now = opts.Now
		}
		if opts.MaxEntries > 0 {
			size = opts.MaxEntries
		}
	}
	if k.ttl > 0 {
		k.found = expirable.NewLRU[string, *keyEntry](size, nil, k.ttl)
		k.missing = expirable.NewLRU[string, *keyEntry](max(1, size/4), nil, k.ttl)
	}
	return k
}

// Principal authenticates a virtual key's plaintext.
func (k *Keys) Principal(ctx context.Context, plaintext string) (*Principal, error) {
	hash := store.HashKey(plaintext)
	e, err := k.lookup(ctx, hash, func(ctx context.Context) (*keyEntry, error) { return k.loadKey(ctx, hash) })
	if err != nil {
		return nil, err
	}
	key := e.key
	name := key.KeyName
	if name == "" {
		name = "key " + store.KeyNameOfHash(hash)
	}
	if key.Blocked {
		return nil, &RefusedError{Reason: name + " is blocked"}
	}
	if key.Expires != nil && !k.now().Before(*key.Expires) {
		return nil, &RefusedError{Reason: fmt.Sprintf("%s expired at %s", name, key.Expires.UTC().Format(time.RFC3339))}
	}
	if e.user != nil && e.user.Blocked {
		return nil, &RefusedError{Reason: "the key's user " + e.user.UserID + " is blocked"}
	}
	if e.team != nil && e.team.Blocked {
		return nil, &RefusedError{Reason: "the key's team " + e.team.TeamID + " is blocked"}
	}
	if e.org != nil && e.org.Blocked {
		return nil, &RefusedError{Reason: "the key's organization " + e.org.OrganizationID + " is blocked"}
	}
	p := &Principal{ID: "key:" + store.KeyNameOfHash(hash), Kind: KindKey, UserID: key.UserID, TeamID: key.TeamID, KeyHash: hash,
		Aliases: e.aliases}
	if key.UserID != "" {
		p.Role = RoleInternalUser
		if e.user != nil && e.user.Role != "" {
			p.Role = Role(e.user.Role)
		}
	}
	p.Levels = make([]Level, 0, e.levels())
	p.Scopes = appendScope(p.Scopes, "key", key.Models)
	p.Levels = append(p.Levels, Level{Kind: "key", ID: hash, Limits: &key.Limits})
	if e.user != nil {
		if key.TeamID == "" {
			p.Scopes = append(p.Scopes, e.personal...)
		} else if !slices.Contains(e.user.Models, NoDefaultModels) {
			p.Scopes = appendScope(p.Scopes, "user", e.user.Models)
		}
		p.Levels = append(p.Levels, Level{Kind: "user", ID: e.user.UserID, Limits: &e.user.Limits})
	}
	if e.team != nil {
		p.Scopes = appendScope(p.Scopes, "team", e.team.Models)
		p.Levels = append(p.Levels, Level{Kind: "team", ID: e.team.TeamID, Limits: &e.team.Limits})
		if e.member != nil {
			p.Levels = append(p.Levels, Level{Kind: LevelTeamMember, ID: MemberLevelID(e.team.TeamID, key.UserID), Limits: e.member})
		}
	}
	if e.org != nil {
		// The organization bounds its teams as a team bounds its keys: its
		// models are one more scope, its budget and limits one more level
		// whose counters every call of its keys adds to.
		p.OrgID = e.org.OrganizationID
		p.Scopes = appendScope(p.Scopes, LevelOrganization, e.org.Models)
		p.Levels = append(p.Levels, Level{Kind: LevelOrganization, ID: e.org.OrganizationID, Limits: &e.org.Limits})
		if e.orgMember != nil {
			p.Levels = append(p.Levels, Level{Kind: LevelOrgMember, ID: MemberLevelID(e.org.OrganizationID, key.UserID), Limits: e.orgMember})
		}
	}
	return p, nil
}

// User returns the user record of a JWT caller (nil when they have not
// been created yet) and its model scopes as a caller without a team key
// (personalScope), through the same cache.
func (k *Keys) User(ctx context.Context, id string) (*store.User, []Scope, error) {
	e, err := k.lookup(ctx, "user:"+id, func(ctx context.Context) (*keyEntry, error) {
		u, err := k.st.GetUser(ctx, id)
		switch {
		case errors.Is(err, store.ErrNotFound):
			return &keyEntry{}, nil
		case err != nil:
			return nil, unavailable("looking up user", err)
		}
		e := &keyEntry{user: u}
		if e.personal, err = k.personalScope(ctx, u); err != nil {
			return nil, err
		}
		return e, nil
	})
	if err != nil {
		return nil, nil, err
	}
	return e.user, e.personal, nil
}

// NoDefaultModels in a user's models (LiteLLM's no-default-models) means
// the user may call models only through team keys.
const NoDefaultModels = "no-default-models"

// personalScope is the model scope of u with a personal key (a key with no
// team) or a JWT:
//   - the user's own models when it lists any ("all-proxy-models" or "*"
//     lifting every restriction explicitly);
//   - none at all with no-default-models;
//   - with an empty list, the union of the models of the user's teams when
//     every one of them restricts models: a team's restriction must not be
//     escaped by minting a personal key. A user in no team, or in a team
//     that allows every model, is not restricted.
func (k *Keys) personalScope(ctx context.Context, u *store.User) ([]Scope, error) {
	switch {
	case slices.Contains(u.Models, NoDefaultModels):
		return []Scope{{Level: "user", Refused: "user " + u.UserID +
			" has no-default-models: only team keys may call models"}}, nil
	case len(u.Models) > 0:
		return []Scope{{Level: "user", Models: u.Models}}, nil
	}
	ms, err := k.st.UserTeams(ctx, u.UserID)
	if err != nil {
		return nil, unavailable("listing the user's teams", err)
	}
	var union []string
	for _, m := range ms {
		t, err := k.st.GetTeam(ctx, m.TeamID)
		switch {
		case errors.Is(err, store.ErrNotFound):
			continue
		case err != nil:
			return nil, unavailable("looking up the user's team "+m.TeamID, err)
		case len(t.Models) == 0:
			return nil, nil
		}
		for _, name := range t.Models {
			if !slices.Contains(union, name) {
				union = append(union, name)
			}
		}
	}
	if len(union) == 0 {
		return nil, nil
	}
	return []Scope{{Level: "user", Models: union}}, nil
}

func appendScope(s []Scope, level string, models []string) []Scope {
	if len(models) == 0 {
		return s
	}
	return append(s, Scope{Level: level, Models: models})
}

// lookup returns the cached entry for id or loads it. Refusals are cached
// too (in the cache of misses when nothing was found); store failures are
// not.
func (k *Keys) lookup(ctx context.Context, id string, load func(context.Context) (*keyEntry, error)) (*keyEntry, error) {
	if k.found == nil {
		e, err := load(ctx)
		if err != nil {
			return nil, err
		}
		return e, e.err
	}
	now := k.now()
	if e := k.cached(id, now); e != nil {
		return e, e.err
	}
	k.mu.Lock()
	gen := k.gen
	k.mu.Unlock()
	// The generation is part of the flight's name: a caller that arrives
	// after an invalidation starts a fresh read rather than joining one
	// that may have read the old record.
	v, err, _ := k.flight.Do(id+"\x00"+strconv.FormatUint(gen, 10), func() (any, error) {
		// A flight that has just finished may have cached it between
		// the check above and this one.
		if e := k.cached(id, now); e != nil {
			return e, nil
		}
		e, err := load(context.WithoutCancel(ctx))
		if err != nil {
			return nil, err
		}
		e.until = now.Add(k.ttl)
		k.mu.Lock()
		if k.gen == gen {
			if e.key == nil && e.user == nil {
				k.missing.Add(id, e)
			} else {
				k.found.Add(id, e)
			}
		}
		k.mu.Unlock()
		return e, nil
	})
	if err != nil {
		return nil, err
	}
	e := v.(*keyEntry)
	return e, e.err
}

func (k *Keys) loadKey(ctx context.Context, hash string) (*keyEntry, error) {
	key, err := k.st.GetKey(ctx, hash)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return &keyEntry{err: ErrInvalidKey}, nil
	case err != nil:
		return nil, unavailable("looking up key", err)
	}
	e := &keyEntry{key: key, aliases: key.Aliases}
	if key.UserID != "" {
		u, err := k.st.GetUser(ctx, key.UserID)
		switch {
		case errors.Is(err, store.ErrNotFound):
			return &keyEntry{err: &RefusedError{Reason: "the key's user " + key.UserID + " no longer exists"}}, nil
		case err != nil:
			return nil, unavailable("looking up the key's user", err)
		}
		e.user = u
		if key.TeamID == "" {
			if e.personal, err = k.personalScope(ctx, u); err != nil {
				return nil, err
			}
		}
	}
	if key.TeamID != "" {
		t, err := k.st.GetTeam(ctx, key.TeamID)
		switch {
		case errors.Is(err, store.ErrNotFound):
			return &keyEntry{err: &RefusedError{Reason: "the key's team " + key.TeamID + " no longer exists"}}, nil
		case err != nil:
			return nil, unavailable("looking up the key's team", err)
		}
		e.team = t
		if key.UserID != "" {
			e.member = t.For(t.Member(key.UserID))
		}
		if len(t.ModelAliases) > 0 {
			e.aliases = make(map[string]string, len(t.ModelAliases)+len(key.Aliases))
			maps.Copy(e.aliases, t.ModelAliases)
			maps.Copy(e.aliases, key.Aliases)
		}
	}
	orgID := key.OrganizationID
	if e.team != nil {
		orgID = e.team.OrganizationID // a team key belongs to its team's organization
	}
	if orgID != "" {
		o, err := k.st.GetOrganization(ctx, orgID)
		switch {
		case errors.Is(err, store.ErrNotFound):
			// Fail closed: the organization's budget cannot be checked.
			return &keyEntry{err: &RefusedError{Reason: "the key's organization " + orgID + " no longer exists"}}, nil
		case err != nil:
			return nil, unavailable("looking up the key's organization", err)
		}
		e.org = o
		if key.UserID != "" {
			e.orgMember = o.For(o.Member(key.UserID))
		}
	}
	return e, nil
}

// levels counts the levels a principal of e has, so its slice is made
// once.
func (e *keyEntry) levels() int {
	n := 1
	for _, ok := range [...]bool{e.user != nil, e.team != nil, e.member != nil, e.org != nil, e.orgMember != nil} {
		if ok {
			n++
		}
	}
	return n
}

// Level kinds beyond "key", "user" and "team".
const (
	// LevelTeamMember is the Level.Kind of a user's limits within a team.
	LevelTeamMember = "team_member"
	// LevelOrganization is the Level.Kind (and Scope.Level) of an
	// organization's limits.
	LevelOrganization = "organization"
	// LevelOrgMember is the Level.Kind of a user's limits within an
	// organization.
	LevelOrgMember = "organization_member"
)

// MemberLevelID is the Level.ID of user userID's limits in team or
// organization groupID (ids never contain '#').
func MemberLevelID(groupID, userID string) string { return groupID + "#" + userID }

func unavailable(what string, err error) error {
	return fmt.Errorf("%w: %s: %w", ErrUnavailable, what, err)
}

// InvalidateKey drops the cached lookup of a key (after an update, block
// or delete in this container).
func (k *Keys) InvalidateKey(hash string) {
	k.invalidate(func(id string, _ *keyEntry) bool { return id == hash })
}

// InvalidateUser drops every cached lookup that involves the user.
func (k *Keys) InvalidateUser(id string) {
	k.invalidate(func(cid string, e *keyEntry) bool {
		return cid == "user:"+id || (e.key != nil && e.key.UserID == id)
	})
}

// InvalidateTeam drops every cached lookup that involves the team: its
// keys, and the personal keys and JWT lookups of users without models of
// their own, whose scope depends on their teams' models and memberships.
func (k *Keys) InvalidateTeam(id string) {
	k.invalidate(func(_ string, e *keyEntry) bool {
		return (e.key != nil && e.key.TeamID == id) ||
			(e.user != nil && len(e.user.Models) == 0 && (e.key == nil || e.key.TeamID == ""))
	})
}

// InvalidateOrg drops every cached lookup whose key belongs to the
// organization (through its team or itself).
func (k *Keys) InvalidateOrg(id string) {
	k.invalidate(func(_ string, e *keyEntry) bool { return e.org != nil && e.org.OrganizationID == id })
}

// cached returns the live cached entry for id, or nil.
func (k *Keys) cached(id string, now time.Time) *keyEntry {
	for _, c := range [...]*expirable.LRU[string, *keyEntry]{k.found, k.missing} {
		if e, ok := c.Get(id); ok && now.Before(e.until) {
			return e
		}
	}
	return nil
}

// invalidate drops the entries drop selects and stops every lookup in
// flight from caching what it read.
func (k *Keys) invalidate(drop func(id string, e *keyEntry) bool) {
	if k.found == nil {
		return
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	k.gen++
	for _, c := range [...]*expirable.LRU[string, *keyEntry]{k.found, k.missing} {
		for _, id := range c.Keys() {
			if e, ok := c.Peek(id); ok && drop(id, e) {
				c.Remove(id)
			}
		}
	}
}
