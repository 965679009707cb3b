package oidc

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
)

// Signature algorithms a Verifier can be allowed to accept. Nothing else is
// supported: "none" and the HMAC family are refused whatever the
// configuration says, because a gateway that verifies with a public key must
// never treat that key as an HMAC secret.
const (
	RS256 = "RS256"
	ES256 = "ES256"
)

// Defaults applied by New for zero Config and Options fields.
const (
	DefaultClockSkew       = 60 * time.Second
	DefaultKeyCacheTTL     = time.Hour
	DefaultRefetchInterval = time.Minute
	DefaultFailureBackoff  = 5 * time.Second
	DefaultMaxStale        = 24 * time.Hour
	DefaultFetchTimeout    = 5 * time.Second
	// DefaultGroupsClaim is the claim RoleMapping reads when it names
	// values but no claim (Okta's groups claim).
	DefaultGroupsClaim = "groups"
)

// ErrNoAudience is New's error for a Config without audiences. There is no
// default: Okta's "api://default" would accept every token the org's default
// authorization server issues, for any application.
var ErrNoAudience = errors.New("oidc: no audience configured: set the audience (aud) of the tokens to accept, " +
	"e.g. the Audience of your Okta authorization server; there is no default, because a shared one such as " +
	"api://default would accept every token of that server, whatever application it was issued for")

// maxClockSkew bounds Config.ClockSkew: a larger tolerance would keep
// expired tokens alive for longer than some IdPs issue them for.
const maxClockSkew = 5 * time.Minute

// Role is the gateway role a token grants; the names are LiteLLM's, so the
// authenticator converts with auth.Role(identity.Role).
type Role string

// Roles a RoleMapping can grant. Tokens that match no mapping get
// RoleInternalUser.
const (
	RoleProxyAdmin       Role = "proxy_admin"
	RoleProxyAdminViewer Role = "proxy_admin_viewer"
	RoleInternalUser     Role = "internal_user"
)

// Config is what an operator sets: from general_settings, or from the
// environment through EnvConfig.
type Config struct {
	// Issuer is the issuer identifier, e.g.
	// https://dev-12345.okta.com/oauth2/default. Tokens' iss and the
	// discovery document's issuer must equal it exactly. It must be https,
	// except on a loopback host (a local IdP in development, tests). With
	// Okta it is a custom authorization server (…/oauth2/default or
	// …/oauth2/<id>): access tokens of the org authorization server are
	// not meant to be validated outside Okta.
	Issuer string
	// Audiences are the accepted aud values; a token is accepted when its
	// aud (a string or an array) contains at least one. At least one is
	// required.
	Audiences []string
	// Algorithms are the accepted alg values, a subset of RS256 and ES256;
	// empty means both.
	Algorithms []string
	// ClockSkew is the tolerance applied to exp, nbf and iat; zero means
	// DefaultClockSkew. At most five minutes.
	ClockSkew time.Duration
	// DiscoveryURL overrides where the discovery document is fetched from;
	// empty means Issuer + "/.well-known/openid-configuration". Okta's
	// custom authorization servers also serve
	// /.well-known/oauth-authorization-server; either works, since both
	// name the same issuer and jwks_uri.
	DiscoveryURL string
	// Roles maps claim values to gateway roles.
	Roles RoleMapping
}

// RoleMapping grants roles from a claim holding the caller's groups (or
// roles, or scopes), like LiteLLM's roles_jwt_field with role_mappings.
// The highest role matched wins; a token matching nothing is an
// internal_user, as in the genai-gateway deployment.
type RoleMapping struct {
	// Claim names the claim to read; a dotted name such as
	// "realm_access.roles" walks nested objects. The claim may be an array
	// of strings or a space-separated string (an OAuth scope claim). Empty
	// means DefaultGroupsClaim when values are listed below.
	Claim string
	// Admin lists claim values that grant proxy_admin.
	Admin []string
	// AdminViewer lists claim values that grant proxy_admin_viewer.
	AdminViewer []string
}

// Options are runtime dependencies and tuning; the zero value (or nil)
// means defaults. For durations, zero or negative means the default unless
// the field says otherwise.
type Options struct {
	// HTTPClient fetches the discovery document and key set; nil means a
	// client of its own with a 10-second timeout. Each fetch is also
	// bounded by FetchTimeout.
	HTTPClient *http.Client
	// Now is the clock for claims and cache ages; nil means time.Now.
	Now func() time.Time
	// Logger receives warnings about key set refreshes (never tokens);
	// nil discards.
	Logger *slog.Logger
	// KeyCacheTTL is how long a fetched key set is used before the next
	// request refreshes it (discovery included); DefaultKeyCacheTTL.
	KeyCacheTTL time.Duration
	// RefetchInterval is the least time between a successful fetch and a
	// refetch caused by a token with an unknown kid, so a flood of tokens
	// with made-up kids costs the IdP at most one fetch per interval per
	// container; DefaultRefetchInterval.
	RefetchInterval time.Duration
	// FailureBackoff is how long after a failed fetch no new fetch is
	// tried; requests meanwhile use the stale key set or fail fast;
	// DefaultFailureBackoff.
	FailureBackoff time.Duration
	// MaxStale is how long past KeyCacheTTL a key set keeps verifying
	// tokens while the IdP cannot be reached, so a short IdP outage does not
	// log everyone out; DefaultMaxStale. Negative means never past the TTL.
	MaxStale time.Duration
	// FetchTimeout bounds one refresh (discovery and key set);
	// DefaultFetchTimeout.
	FetchTimeout time.Duration
}

// EnvConfig builds the configuration from the values of OKTA_ISSUER and
// OKTA_AUDIENCE (a comma-separated list, required with OKTA_ISSUER: New
// refuses a Config without audiences), the variables the genai-gateway
// deployment uses (internal/env reads them). ok is false when the issuer is
// empty: JWT authentication is then off. The result is checked by New, not
// here.
func EnvConfig(issuer, aud string) (cfg Config, ok bool) {
	issuer = strings.TrimSpace(issuer)
	if issuer == "" {
		return Config{}, false
	}
	var auds []string
	for a := range strings.SplitSeq(aud, ",") {
		if a = strings.TrimSpace(a); a != "" {
			auds = append(auds, a)
		}
	}
	return Config{Issuer: issuer, Audiences: auds}, true
}

// resolve fills defaults into a copy of c and validates it.
func (c Config) resolve() (Config, error) {
	if err := checkURL("issuer", c.Issuer); err != nil {
		return c, err
	}
	if c.DiscoveryURL == "" {
		c.DiscoveryURL = strings.TrimSuffix(c.Issuer, "/") + "/.well-known/openid-configuration"
	} else if err := checkURL("discovery URL", c.DiscoveryURL); err != nil {
		return c, err
	}
	c.Audiences = slices.Clone(c.Audiences)
	if len(c.Audiences) == 0 {
		return c, ErrNoAudience
	}
	if slices.Contains(c.Audiences, "") {
		return c, errors.New("oidc: an audience is empty")
	}
	if len(c.Algorithms) == 0 {
		c.Algorithms = []string{RS256, ES256}
	}
	c.Algorithms = slices.Clone(c.Algorithms)
	for _, a := range c.Algorithms {
		if a != RS256 && a != ES256 {
			return c, fmt.Errorf("oidc: algorithm %q is not supported (use %s or %s)", a, RS256, ES256)
		}
	}
	switch {
	case c.ClockSkew == 0:
		c.ClockSkew = DefaultClockSkew
	case c.ClockSkew < 0 || c.ClockSkew > maxClockSkew:
		return c, fmt.Errorf("oidc: clock skew %s is outside 0s..%s", c.ClockSkew, maxClockSkew)
	}
	c.Roles.Admin = slices.Clone(c.Roles.Admin)
	c.Roles.AdminViewer = slices.Clone(c.Roles.AdminViewer)
	if c.Roles.Claim == "" && len(c.Roles.Admin)+len(c.Roles.AdminViewer) > 0 {
		c.Roles.Claim = DefaultGroupsClaim
	}
	return c, nil
}

// checkURL accepts absolute https URLs, and http ones only on a loopback
// host: keys fetched over plain HTTP from elsewhere could be swapped in
// transit, and then any token would verify.
func checkURL(what, raw string) error {
	if raw == "" {
		return fmt.Errorf("oidc: %s is required", what)
	}
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("oidc: %s: %w", what, err)
	}
	if u.Host == "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return fmt.Errorf("oidc: %s %q must be an absolute URL without user info, query or fragment", what, raw)
	}
	switch {
	case u.Scheme == "https":
		return nil
	case u.Scheme == "http" && isLoopback(u.Hostname()):
		return nil
	}
	return fmt.Errorf("oidc: %s %q must use https (http only on a loopback host)", what, raw)
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// resolve fills defaults into a copy of o.
func (o *Options) resolve() Options {
	var r Options
	if o != nil {
		r = *o
	}
	if r.HTTPClient == nil {
		r.HTTPClient = &http.Client{Timeout: 10 * time.Second}
	}
	if r.Now == nil {
		r.Now = time.Now
	}
	if r.Logger == nil {
		r.Logger = slog.New(slog.DiscardHandler)
	}
	if r.KeyCacheTTL <= 0 {
		r.KeyCacheTTL = DefaultKeyCacheTTL
	}
	if r.RefetchInterval <= 0 {
		r.RefetchInterval = DefaultRefetchInterval
	}
	if r.FailureBackoff <= 0 {
		r.FailureBackoff = DefaultFailureBackoff
	}
	switch {
	case r.MaxStale == 0:
		r.MaxStale = DefaultMaxStale
	case r.MaxStale < 0:
		r.MaxStale = 0
	}
	if r.FetchTimeout <= 0 {
		r.FetchTimeout = DefaultFetchTimeout
	}
	return r
}
