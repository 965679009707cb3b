package auth

import (
	"context"
	"errors"
	"fmt"
)

// Kind is how a principal authenticated.
type Kind uint8

// Kinds of principal.
const (
	// KindMaster is the master key.
	KindMaster Kind = iota + 1
	// KindKey is a virtual key ("sk-…").
	KindKey
	// KindJWT is an OIDC bearer token.
	KindJWT
)

func (k Kind) String() string {
	switch k {
	case KindMaster:
		return "master_key"
	case KindKey:
		return "virtual_key"
	case KindJWT:
		return "jwt"
	}
	return "unknown"
}

// Scope is one level's model list (key, user or team) with the level's
// name, so a refusal can say which level refused.
type Scope struct {
	// Level is "key", "user" or "team".
	Level string
	// Models are names, access groups and wildcards; never empty (an empty
	// list restricts nothing and is not a scope) unless Refused is set.
	Models []string
	// Refused, when set, means this level admits no model at all, and
	// says why and what to do.
	Refused string
}

// IsAdmin reports whether p may manage everything.
func (p *Principal) IsAdmin() bool { return p != nil && p.Role == RoleProxyAdmin }

// IsService reports whether p is a key that belongs to no user: it may call
// models but has no management rights.
func (p *Principal) IsService() bool { return p != nil && p.Kind == KindKey && p.UserID == "" }

type principalKey struct{}

// WithPrincipal returns ctx carrying p, so handlers and access checks after
// authentication read it without another lookup.
func WithPrincipal(ctx context.Context, p *Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// FromContext returns the principal WithPrincipal stored, or nil.
func FromContext(ctx context.Context) *Principal {
	p, _ := ctx.Value(principalKey{}).(*Principal)
	return p
}

// ErrUnavailable means credentials could not be checked right now (the key
// store or the identity provider is down); the HTTP layer answers 503 and
// the client may retry.
var ErrUnavailable = errors.New("authentication is temporarily unavailable")

// RefusedError is a credential that was recognised and refused for a
// reason the caller may know (blocked, expired, a bad token). It matches
// ErrInvalidKey, so the HTTP layer answers 401 with its message.
type RefusedError struct {
	// Reason says why, e.g. "key sk-...abcd is blocked".
	Reason string
	// Err is the underlying cause (an oidc.Error), if any.
	Err error
}

func (e *RefusedError) Error() string { return fmt.Sprintf("%s: %s", ErrInvalidKey, e.Reason) }

// Is makes a RefusedError match ErrInvalidKey.
func (e *RefusedError) Is(target error) bool { return target == ErrInvalidKey }

// Unwrap returns the cause.
func (e *RefusedError) Unwrap() error { return e.Err }
