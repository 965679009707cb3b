package auth

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"net/http"

	"github.com/tollgate-gw/tollgate/internal/auth/oidc"
)

// TokenVerifier verifies OIDC bearer tokens (an *oidc.Verifier).
type TokenVerifier interface {
	Verify(ctx context.Context, token string) (*oidc.Identity, error)
}

// Authenticator is the gateway's authenticator: the master key first (in
// constant time), then an OIDC JWT when one is configured, then a virtual
// key.
type Authenticator struct {
	master *MasterKey
	jwt    TokenVerifier
	keys   *Keys
}

// NewAuthenticator combines the three ways in. jwt and keys may be nil:
// JWTs, or virtual keys, are then refused.
func NewAuthenticator(master *MasterKey, jwt TokenVerifier, keys *Keys) *Authenticator {
	if master == nil {
		master = NewMasterKey("")
	}
	return &Authenticator{master: master, jwt: jwt, keys: keys}
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
// model scope and may name a role the token's claims do not grant.
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
	u, err := a.keys.User(ctx, id.UserID)
	if err != nil {
		return nil, err
	}
	if u != nil {
		if u.Blocked {
			return nil, &RefusedError{Reason: "user " + u.UserID + " is blocked"}
		}
		if p.Role == RoleInternalUser && u.Role != "" {
			p.Role = Role(u.Role)
		}
		p.Scopes = appendScope(p.Scopes, "user", u.Models)
		p.Levels = append(p.Levels, Level{Kind: "user", ID: u.UserID, Limits: &u.Limits})
	}
	return p, nil
}

// matches compares key with the master key in constant time.
func (m *MasterKey) matches(key string) bool {
	d := sha256.Sum256([]byte(key))
	return m.set && subtle.ConstantTimeCompare(d[:], m.digest[:]) == 1
}
