// Package oidc verifies OpenID Connect / OAuth 2.0 bearer JWTs, such as the
// access tokens of an Okta authorization server, and says who they name.
//
// A Verifier is configured with one issuer and its audiences (Config, from
// general_settings or, through EnvConfig, from OKTA_ISSUER and
// OKTA_AUDIENCE). It finds the issuer's keys through the discovery document
// ({issuer}/.well-known/openid-configuration, whose issuer must equal the
// configured one exactly) and its jwks_uri, and caches the key set on
// itself: main owns the Verifier, so nothing is global. The set is
// refreshed lazily on the request path, never in the background (Lambda
// freezes the container between invocations): after its TTL, and when a
// token names an unknown kid (key rotation), at most once per refetch
// interval and by a single caller while the others wait.
//
// Parsing and verification belong to github.com/coreos/go-oidc/v3 and its
// github.com/go-jose/go-jose/v4, which the ecosystem audits: the compact JWS,
// the alg allow-list (RS256 and ES256 as configured; "none" and HS* never),
// the signature, iss, exp and nbf. This package keeps what is ours:
//   - which published keys are used at all (signature keys of the right type
//     and size; embedded jwk, jku, x5u and x5c headers are never consulted),
//     and when the key set is refetched (keyCache);
//   - the claims checked on the unverified payload first, so an impossible
//     token costs no key fetch: iss equal to the issuer, aud containing one
//     of the configured audiences (the audience is mandatory), exp required,
//     nbf and iat not in the future (all with the clock skew), sub required;
//   - one spelling per token (strict base64url), and the role mapping.
//
// A verified token yields an Identity: sub as the user id, an email, a role
// from the optional claim-to-role mapping (internal_user otherwise, as in
// the genai-gateway deployment) and the raw claims. Failures are *Error
// values whose Kind (ErrExpired, ErrSignature, ...) callers branch on with
// errors.Is, and whose messages are safe to send to the client.
package oidc
