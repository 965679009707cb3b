package oidc

import "errors"

// Kinds of verification failure. Verify returns an *Error whose Kind is one
// of these, so callers branch with errors.Is. Every kind but
// ErrIdPUnavailable means the token is bad (answer 401); ErrIdPUnavailable
// means the token could not be checked (answer 503 and let the client retry).
var (
	// ErrMalformed: not a compact JWS, bad base64 or JSON, a required claim
	// (exp, sub) missing, a claim of the wrong type, or an unsupported
	// critical header.
	ErrMalformed = errors.New("malformed token")
	// ErrSignature: the signature does not verify with the issuer's key.
	ErrSignature = errors.New("invalid token signature")
	// ErrExpired: exp has passed (beyond the clock skew).
	ErrExpired = errors.New("token expired")
	// ErrNotYetValid: nbf or iat lies in the future (beyond the clock skew).
	ErrNotYetValid = errors.New("token not yet valid")
	// ErrIssuer: iss is not the configured issuer.
	ErrIssuer = errors.New("token issuer not accepted")
	// ErrAudience: aud does not contain a configured audience.
	ErrAudience = errors.New("token audience not accepted")
	// ErrAlgorithm: alg is not allowed (none and HS* never are), or the key
	// the token names is not of the type its alg needs.
	ErrAlgorithm = errors.New("token algorithm not accepted")
	// ErrUnknownKey: the issuer publishes no key with the token's kid, even
	// after a refetch (or a refetch was not allowed yet), or the token has no
	// kid and the issuer publishes several keys.
	ErrUnknownKey = errors.New("token signed by an unknown key")
	// ErrIdPUnavailable: the issuer's discovery document or key set could
	// not be fetched or was unusable, and no cached key could stand in.
	ErrIdPUnavailable = errors.New("identity provider unavailable")
)

// Error is a verification failure. Its message is safe to return to the
// client: it never contains the token, any value taken from it, or details
// of the identity provider's failure. Cause carries those details for logs.
type Error struct {
	// Kind is one of the Err* sentinels above.
	Kind error
	// Reason is a short client-safe explanation, e.g. "token has no sub
	// claim"; it may be empty.
	Reason string
	// Cause is the internal error behind an ErrIdPUnavailable or
	// ErrUnknownKey (a fetch failure, a context error); it may be nil and is
	// never part of Error().
	Cause error
}

func (e *Error) Error() string {
	if e.Reason == "" {
		return e.Kind.Error()
	}
	return e.Kind.Error() + ": " + e.Reason
}

// Unwrap lets errors.Is match both the Kind and the Cause (so a cancelled
// request is also context.Canceled).
func (e *Error) Unwrap() []error {
	if e.Cause == nil {
		return []error{e.Kind}
	}
	return []error{e.Kind, e.Cause}
}

func fail(kind error, reason string) *Error {
	return &Error{Kind: kind, Reason: reason}
}
