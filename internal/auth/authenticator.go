package auth

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"net/http"

	"github.com/tollgate-gw/tollgate/internal/auth/oidc"
	"github.com/tollgate-gw/tollgate/internal/store"
)

// TokenVerifier verifies OIDC bearer tokens (an *oidc.Verifier).
type TokenVerifier interface {
	Verify(ctx context.Context, token string) (*oidc.Identity, error)
}

// Authenticator is the gateway's authenticator: the master key first (in
// constant time), then an OIDC JWT when one is configured, then a virtual
// key.
type Authenticator struct {
	master   *MasterKey
	jwt      TokenVerifier
	keys     *Keys
	defaults *UserDefaults
}

// UserDefaults hold a JWT caller who has no user record yet
// (litellm_settings.default_internal_user_params with
// max_internal_user_budget): its models, budget and rate limits apply under
// the caller's user id, so the budget counts from the first call.
type UserDefaults struct {
	Role   Role
	Limits store.Limits
}

// NewAuthenticator combines the three ways in. jwt and keys may be nil:
// JWTs, or virtual keys, are then refused. defaults may be nil, or have no
// budget: a JWT caller without a user record then may call no model (it may
// still create its own user), since nothing would bound its spend.
func NewAuthenticator(master *MasterKey, jwt TokenVerifier, keys *Keys, defaults *UserDefaults) *Authenticator {
	if master == nil {
		master = NewMasterKey("")
	}
	if defaults != nil && defaults.Limits.MaxBudget == nil {
		defaults = nil
	}
	return &Authenticator{master: master, jwt: jwt, keys: keys, defaults: defaults}
}

// Authenticate turns the request's credential into a principal.
func (a *Authenticator) Authenticate(ctx context.Context, r *http.Request) (*Principal, error) {
	key := KeyFromRequest(r)
	if key == "" {
		return nil, ErrMissingKey
	}
	if a.master.matches(key) {
		return &Principal{ID: "master", Role: RoleProxyAdmin, Kind: KindMaster}, nil
	}
	if oidc.IsJWT(key) {
		return a.token(ctx, key)
	}
	if a.keys == nil || !LooksLikeKey(key) {
		return nil, ErrInvalidKey
	}
	return a.keys.Principal(ctx, key)
}

// token authenticates a JWT. A user record, when the user exists, adds its
// model scope and limits and may name a role the token's claims do not
// grant. Without one, the defaults for new users hold the caller; with no
// budgeted defaults, it may call no model: never unlimited models without a
// budget.
func (a *Authenticator) token(ctx context.Context, token string) (*Principal, error) {
	if a.jwt == nil {
		return nil, &RefusedError{Reason: "JWT authentication is not configured on this gateway"}
	}
	id, err := a.jwt.Verify(ctx, token)
	if err != nil {
		if errors.Is(err, oidc.ErrIdPUnavailable) {
			return nil, unavailable("verifying the token", err)
		}
		return nil, &RefusedError{Reason: err.Error(), Err: err}
	}
	p := &Principal{ID: "jwt:" + id.UserID, Role: Role(id.Role), Kind: KindJWT, UserID: id.UserID, Email: id.Email}
	if a.keys == nil {
		return p, nil
	}
	u, personal, err := a.keys.User(ctx, id.UserID)
	if err != nil {
		return nil, err
	}
	if u == nil {
		if d := a.defaults; d != nil {
			if p.Role == RoleInternalUser && d.Role != "" {
				p.Role = d.Role
			}
			p.Scopes = appendScope(p.Scopes, "user", d.Limits.Models)
			p.Levels = append(p.Levels, Level{Kind: "user", ID: id.UserID, Limits: &d.Limits})
		} else if !p.IsAdmin() {
			p.Scopes = append(p.Scopes, Scope{Level: "user", Refused: "user " + id.UserID +
				" has no user record on this gateway and no default budget applies: create it with /user/new, " +
				"or have an admin set litellm_settings.max_internal_user_budget or default_internal_user_params.max_budget"})
		}
		return p, nil
	}
	if u.Blocked {
		return nil, &RefusedError{Reason: "user " + u.UserID + " is blocked"}
	}
	if p.Role == RoleInternalUser && u.Role != "" {
		p.Role = Role(u.Role)
	}
	p.Scopes = append(p.Scopes, personal...)
	p.Levels = append(p.Levels, Level{Kind: "user", ID: u.UserID, Limits: &u.Limits})
	return p, nil
}

// matches compares key with the master key (and, during a rotation, the
// previous one) in constant time: every digest is compared, no early exit.
func (m *MasterKey) matches(key string) bool {
	d := sha256.Sum256([]byte(key))
	match := 0
	for _, want := range m.digests {
		match |= subtle.ConstantTimeCompare(d[:], want[:])
	}
	return match == 1
}
