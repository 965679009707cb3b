// Package auth turns a request's credentials into a Principal.
//
// Three credentials are accepted (Authenticator): the master key, an OIDC
// JWT from the configured issuer, and a virtual key from the store (Keys).
// Keys are compared as SHA-256 digests in
// constant time, so neither their content nor their length leaks through
// timing, and a key is never logged.
package auth

import (
	"context"
	"crypto/sha256"
	"errors"
	"net/http"
	"strings"

	"github.com/tollgate-gw/tollgate/internal/store"
)

// Role is what a principal may do; names follow LiteLLM's.
type Role string

// Roles.
const (
	RoleProxyAdmin         Role = "proxy_admin"
	RoleProxyAdminViewer   Role = "proxy_admin_viewer"
	RoleInternalUser       Role = "internal_user"
	RoleInternalUserViewer Role = "internal_user_viewer"
)

// Principal is an authenticated caller.
type Principal struct {
	// ID identifies the caller in logs without revealing the key
	// ("master" for the master key).
	ID   string
	Role Role
	// Kind is how the caller authenticated.
	Kind Kind
	// UserID is the user the caller acts as: the key's owner or the JWT's
	// sub; empty for the master key and for service keys.
	UserID string
	// Email is the JWT's email claim, when there is one.
	Email string
	// TeamID is the key's team, if any.
	TeamID string
	// OrgID is the key's organization (its own, or its team's), if any.
	OrgID string
	// KeyHash is store.HashKey of the virtual key (never the plaintext).
	KeyHash string
	// Scopes are the model lists that must each allow a model (key, user,
	// team; empty lists are left out): the narrowest wins.
	Scopes []Scope
	// Levels are the budgets and rate limits of the key, its user and its
	// team as loaded with the key (shared, read-only), so admission needs
	// no extra lookup.
	Levels []Level
	// Aliases are the key's model aliases (LiteLLM's key "aliases"): a
	// request for a name on the left is served as the model on the right
	// (shared, read-only).
	Aliases map[string]string
}

// ModelFor returns the model a request for name is served as: the key's
// alias for it, else name itself.
func (p *Principal) ModelFor(name string) string {
	if p != nil {
		if m, ok := p.Aliases[name]; ok && m != "" {
			return m
		}
	}
	return name
}

// Level is one level's limits: Kind is "key", "user", "team",
// LevelTeamMember, LevelOrganization or LevelOrgMember; ID the key hash,
// user, team or organization id, or MemberLevelID.
type Level struct {
	Kind   string
	ID     string
	Limits *store.Limits
}

// Errors returned by Authenticate; the HTTP layer maps both to 401.
var (
	ErrMissingKey = errors.New("no API key: send it as 'Authorization: Bearer <key>'")
	ErrInvalidKey = errors.New("invalid API key")
)

// MasterKey authenticates the master key.
type MasterKey struct {
	digests [][sha256.Size]byte
}

// NewMasterKey returns an authenticator for key and, during a master-key
// rotation, the previous keys, which are accepted as well until the
// rotation ends. Empty keys authenticate nobody.
func NewMasterKey(key string, previous ...string) *MasterKey {
	m := &MasterKey{}
	for _, k := range append([]string{key}, previous...) {
		if k != "" {
			m.digests = append(m.digests, sha256.Sum256([]byte(k)))
		}
	}
	return m
}

// Authenticate checks the request's key.
func (m *MasterKey) Authenticate(_ context.Context, r *http.Request) (*Principal, error) {
	key := KeyFromRequest(r)
	if key == "" {
		return nil, ErrMissingKey
	}
	if !m.matches(key) {
		return nil, ErrInvalidKey
	}
	return &Principal{ID: "master", Role: RoleProxyAdmin, Kind: KindMaster}, nil
}

// KeyFromRequest returns the API key a client sent, from the headers the
// OpenAI, Azure and Anthropic SDKs use: "Authorization: Bearer <key>",
// "api-key" and "x-api-key".
func KeyFromRequest(r *http.Request) string {
	if h := r.Header.Get("Authorization"); h != "" {
		if len(h) > 7 && strings.EqualFold(h[:7], "bearer ") {
			return strings.TrimSpace(h[7:])
		}
		return strings.TrimSpace(h)
	}
	if h := r.Header.Get("Api-Key"); h != "" {
		return strings.TrimSpace(h)
	}
	return strings.TrimSpace(r.Header.Get("X-Api-Key"))
}
