package oidc

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/mail"
	"slices"
	"strings"
	"time"

	gooidc "github.com/coreos/go-oidc/v3/oidc"
	jose "github.com/go-jose/go-jose/v4"
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
//
// go-oidc and go-jose do the security-critical work: parsing the compact JWS,
// checking its alg against the allowed list, verifying the signature with the
// key the kid names, and checking iss, exp and nbf. What is ours: the
// audience list, the clock skew, the required sub, the role mapping and the
// key set's refresh policy (keyCache).
type Verifier struct {
	cfg  Config
	algs []jose.SignatureAlgorithm
	now  func() time.Time
	keys *keyCache
	lib  *gooidc.IDTokenVerifier
}

// New returns a Verifier for cfg. opts may be nil. It fails only on an
// invalid cfg; nothing is fetched until the first Verify.
func New(cfg Config, opts *Options) (*Verifier, error) {
	c, err := cfg.resolve()
	if err != nil {
		return nil, err
	}
	o := opts.resolve()
	v := &Verifier{
		cfg: c,
		now: o.Now,
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
	}
	for _, a := range c.Algorithms {
		v.algs = append(v.algs, jose.SignatureAlgorithm(a))
	}
	v.lib = gooidc.NewVerifier(c.Issuer, (*libKeySet)(v), &gooidc.Config{
		SupportedSigningAlgs: c.Algorithms,
		// The audience is a list, which go-oidc's single ClientID cannot
		// express: checkClaims checks it.
		SkipClientIDCheck: true,
		// go-oidc applies no skew to exp; shifting its clock back by the
		// skew does (nbf has its own five-minute leeway there, and our
		// stricter check in checkClaims).
		Now: func() time.Time { return v.now().Add(-c.ClockSkew) },
	})
	return v, nil
}

// Issuer returns the configured issuer, for logs.
func (v *Verifier) Issuer() string { return v.cfg.Issuer }

// Verify checks token and returns the caller it names. Failures are
// *Error values whose Kind is one of the Err* sentinels.
//
// The claims of the (still unverified) payload are checked before any key
// is looked up: nothing is accepted on their word, since go-oidc checks the
// signature and the claims again, but this way a token that could never pass
// (foreign issuer, expired, wrong audience) cannot make the verifier fetch
// the key set on the strength of a made-up kid.
func (v *Verifier) Verify(ctx context.Context, token string) (*Identity, error) {
	if len(token) > maxTokenLen {
		return nil, fail(ErrMalformed, "token is too long")
	}
	if !IsJWT(token) || !canonical(token) {
		return nil, fail(ErrMalformed, "not a compact JWS (want three base64url parts without padding or stray bits)")
	}
	jws, err := jose.ParseSignedCompact(token, v.algs)
	if err != nil {
		if alg, ok := errors.AsType[*jose.ErrUnexpectedSignatureAlgorithm](err); ok {
			return nil, fail(ErrAlgorithm, v.algReason(string(alg.Got)))
		}
		return nil, fail(ErrMalformed, "not a valid compact JWS")
	}
	payload := jws.UnsafePayloadWithoutVerification()
	var c claims
	if !isObject(payload) || json.Unmarshal(payload, &c) != nil {
		return nil, fail(ErrMalformed, "claims do not decode (bad JSON, or a registered claim of the wrong type)")
	}
	if err := v.checkClaims(&c); err != nil {
		return nil, err
	}
	out := &keyOutcome{}
	if _, err := v.lib.Verify(context.WithValue(ctx, keyOutcomeKey{}, out), token); err != nil {
		if out.err != nil {
			return nil, out.err
		}
		if _, ok := errors.AsType[*gooidc.TokenExpiredError](err); ok {
			return nil, fail(ErrExpired, "")
		}
		// Every other check go-oidc makes was made above already; a
		// disagreement is still a refusal.
		return nil, &Error{Kind: ErrMalformed, Reason: "token refused", Cause: err}
	}
	return &Identity{
		UserID:    c.Sub,
		Email:     emailOf(&c),
		Role:      v.roleOf(payload),
		Issuer:    c.Iss,
		ExpiresAt: c.Exp.Time,
		Claims:    payload,
	}, nil
}

// canonical reports whether every part of a compact JWS decodes under
// strict base64url, so each token has exactly one spelling: go-jose's decoder
// ignores stray trailing bits, and a token a cache or a log knows by its text
// must not have twins that verify too.
func canonical(token string) bool {
	dec := base64.RawURLEncoding.Strict()
	for part := range strings.SplitSeq(token, ".") {
		if _, err := dec.DecodeString(part); err != nil {
			return false
		}
	}
	return true
}

// keyOutcomeKey carries a *keyOutcome through go-oidc to libKeySet: go-oidc
// flattens the key set's error into a string, and callers branch on its
// kind (an unreachable IdP is a 503, not a 401).
type keyOutcomeKey struct{}

type keyOutcome struct{ err *Error }

// libKeySet is the Verifier seen as go-oidc's KeySet: the keys come from
// keyCache, the signature check from go-jose.
type libKeySet Verifier

func (ks *libKeySet) VerifySignature(ctx context.Context, token string) ([]byte, error) {
	v := (*Verifier)(ks)
	out, _ := ctx.Value(keyOutcomeKey{}).(*keyOutcome)
	if out == nil {
		out = &keyOutcome{}
	}
	payload, err := v.verifySignature(ctx, token)
	if err != nil {
		out.err = err
		return nil, err
	}
	return payload, nil
}

func (v *Verifier) verifySignature(ctx context.Context, token string) ([]byte, *Error) {
	jws, err := jose.ParseSignedCompact(token, v.algs)
	if err != nil || len(jws.Signatures) != 1 {
		return nil, fail(ErrMalformed, "not a valid compact JWS")
	}
	h := jws.Signatures[0].Header
	keys, kerr := v.keys.keysFor(ctx, h.KeyID, h.Algorithm)
	if kerr != nil {
		return nil, kerr
	}
	for _, k := range keys {
		payload, err := jws.Verify(k.key)
		if err == nil {
			return payload, nil
		}
		// RFC 7515 §4.1.11: a recipient must refuse critical extensions
		// it does not understand.
		if errors.Is(err, jose.ErrUnsupportedCriticalHeader) {
			return nil, fail(ErrMalformed, "unsupported critical header parameters")
		}
	}
	return nil, fail(ErrSignature, "")
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
