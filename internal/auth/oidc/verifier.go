package oidc

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/mail"
	"slices"
	"strings"
	"time"
)

// Identity is the caller a verified token names.
type Identity struct {
	// UserID is the sub claim; the gateway's user_id.
	UserID string
	// Email is the email claim, else preferred_username when it is an
	// email address (Okta puts the login there), else empty.
	Email string
	// Role comes from Config.Roles; RoleInternalUser when nothing matched.
	Role Role
	// Issuer is the iss claim (the configured issuer).
	Issuer string
	// ExpiresAt is the exp claim; a cache of verified tokens must not
	// outlive it.
	ExpiresAt time.Time
	// Claims is the token's payload, the raw claims JSON, for policies that
	// read other claims (teams, tenant) later.
	Claims json.RawMessage
}

// Verifier verifies bearer JWTs from one issuer. It is safe for concurrent
// use. It holds the issuer's key set, so main builds one and keeps it for
// the life of the process; New does no I/O, the first Verify fetches.
type Verifier struct {
	cfg     Config
	allowRS bool
	allowES bool
	now     func() time.Time
	dec     *base64.Encoding
	keys    *keyCache
}

// New returns a Verifier for cfg. opts may be nil. It fails only on an
// invalid cfg; nothing is fetched until the first Verify.
func New(cfg Config, opts *Options) (*Verifier, error) {
	c, err := cfg.resolve()
	if err != nil {
		return nil, err
	}
	o := opts.resolve()
	return &Verifier{
		cfg:     c,
		allowRS: slices.Contains(c.Algorithms, RS256),
		allowES: slices.Contains(c.Algorithms, ES256),
		now:     o.Now,
		dec:     base64.RawURLEncoding.Strict(),
		keys: &keyCache{
			client:       o.HTTPClient,
			now:          o.Now,
			log:          o.Logger,
			issuer:       c.Issuer,
			discoveryURL: c.DiscoveryURL,
			ttl:          o.KeyCacheTTL,
			minRefetch:   o.RefetchInterval,
			backoff:      o.FailureBackoff,
			maxStale:     o.MaxStale,
			fetchTimeout: o.FetchTimeout,
		},
	}, nil
}

// Issuer returns the configured issuer, for logs.
func (v *Verifier) Issuer() string { return v.cfg.Issuer }

// Verify checks token and returns the caller it names. Failures are
// *Error values whose Kind is one of the Err* sentinels.
//
// The claims are checked before the key is looked up, not after the
// signature: nothing is accepted on their word, and this way a token that
// could never pass (foreign issuer, expired, wrong audience) cannot make
// the verifier fetch the key set on the strength of a made-up kid.
func (v *Verifier) Verify(ctx context.Context, token string) (*Identity, error) {
	t, err := parseJWS(v.dec, token)
	if err != nil {
		return nil, err
	}
	alg := t.header.Alg
	if !(alg == RS256 && v.allowRS || alg == ES256 && v.allowES) {
		return nil, fail(ErrAlgorithm, v.algReason(alg))
	}
	var c claims
	if err := json.Unmarshal(t.payload, &c); err != nil {
		return nil, fail(ErrMalformed, "claims do not decode (bad JSON, or a registered claim of the wrong type)")
	}
	if err := v.checkClaims(&c); err != nil {
		return nil, err
	}
	keys, err := v.keys.keysFor(ctx, t.header.Kid, alg)
	if err != nil {
		return nil, err
	}
	verified := false
	for _, k := range keys {
		if k.verify(alg, t.signed, t.sig) {
			verified = true
			break
		}
	}
	if !verified {
		return nil, fail(ErrSignature, "")
	}
	return &Identity{
		UserID:    c.Sub,
		Email:     emailOf(&c),
		Role:      v.roleOf(t.payload),
		Issuer:    c.Iss,
		ExpiresAt: c.Exp.Time,
		Claims:    t.payload,
	}, nil
}

func (v *Verifier) algReason(alg string) string {
	switch {
	case alg == "none":
		return "unsigned tokens (alg none) are never accepted"
	case strings.HasPrefix(alg, "HS"):
		return "HMAC algorithms are never accepted"
	}
	// Name what is allowed, never the token's own value.
	return "alg must be one of " + strings.Join(v.cfg.Algorithms, ", ")
}

func (v *Verifier) checkClaims(c *claims) error {
	if c.Iss != v.cfg.Issuer {
		return fail(ErrIssuer, "iss is not the configured issuer")
	}
	now, skew := v.now(), v.cfg.ClockSkew
	if c.Exp == nil {
		return fail(ErrMalformed, "token has no exp claim")
	}
	if !now.Before(c.Exp.Add(skew)) {
		return fail(ErrExpired, "")
	}
	if c.Nbf != nil && c.Nbf.After(now.Add(skew)) {
		return fail(ErrNotYetValid, "nbf is in the future")
	}
	if c.Iat != nil && c.Iat.After(now.Add(skew)) {
		return fail(ErrNotYetValid, "iat is in the future")
	}
	if !slices.ContainsFunc(c.Aud, func(a string) bool { return slices.Contains(v.cfg.Audiences, a) }) {
		return fail(ErrAudience, "aud does not contain the configured audience")
	}
	if c.Sub == "" {
		return fail(ErrMalformed, "token has no sub claim")
	}
	return nil
}

func emailOf(c *claims) string {
	if c.Email != "" {
		return c.Email
	}
	if u := c.PreferredUsername; u != "" && strings.Contains(u, "@") {
		if a, err := mail.ParseAddress(u); err == nil && a.Name == "" && a.Address == u {
			return u
		}
	}
	return ""
}

// roleOf applies the role mapping to the verified payload. A claim that is
// absent or of an unexpected type grants nothing rather than failing the
// token: the mapping can only raise a caller above internal_user.
func (v *Verifier) roleOf(payload []byte) Role {
	m := v.cfg.Roles
	if m.Claim == "" {
		return RoleInternalUser
	}
	values := claimValues(payload, m.Claim)
	has := func(want []string) bool {
		return slices.ContainsFunc(values, func(s string) bool { return slices.Contains(want, s) })
	}
	switch {
	case has(m.Admin):
		return RoleProxyAdmin
	case has(m.AdminViewer):
		return RoleProxyAdminViewer
	}
	return RoleInternalUser
}

// claimValues reads the claim at a dotted path as a list of strings: an
// array of strings, or one space-separated string (an OAuth scope claim).
// A top-level claim whose name contains dots is found before the path is
// walked.
func claimValues(payload []byte, path string) []string {
	var obj map[string]json.RawMessage
	if json.Unmarshal(payload, &obj) != nil {
		return nil
	}
	raw, ok := obj[path]
	for rest := path; !ok; {
		name, tail, more := strings.Cut(rest, ".")
		if !more {
			raw, ok = obj[name]
			break
		}
		var next map[string]json.RawMessage
		if json.Unmarshal(obj[name], &next) != nil {
			return nil
		}
		obj, rest = next, tail
	}
	if !ok {
		return nil
	}
	var list []string
	if json.Unmarshal(raw, &list) == nil {
		return list
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return strings.Fields(s)
	}
	return nil
}
