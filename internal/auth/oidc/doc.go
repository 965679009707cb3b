// Package oidc verifies OpenID Connect / OAuth 2.0 bearer JWTs, such as the
// access tokens of an Okta authorization server, and says who they name.
//
// A Verifier is configured with one issuer and its audiences (Config, from
// general_settings or, through ConfigFromEnv, from OKTA_ISSUER and
// OKTA_AUDIENCE). It finds the issuer's keys through the discovery document
// ({issuer}/.well-known/openid-configuration, whose issuer must equal the
// configured one exactly) and its jwks_uri, and caches the key set on
// itself: main owns the Verifier, so nothing is global. The set is
// refreshed lazily on the request path, never in the background (Lambda
// freezes the container between invocations): after its TTL, and when a
// token names an unknown kid (key rotation), at most once per refetch
// interval and by a single caller while the others wait.
//
// Verification follows RFC 7515, 7517, 7518 and 7519 for compact JWS:
//   - exactly three base64url parts, one spelling per token (no padding,
//     no stray bits, no line breaks);
//   - alg RS256 or ES256 as configured; "none" and HS* always refused, and
//     the key must be of the type the alg needs, so a public key can never
//     be used as an HMAC secret; embedded keys (jwk, jku, x5u, x5c) are
//     ignored and unknown critical headers refused;
//   - kid selects the key; it may be omitted only while the issuer publishes
//     a single key;
//   - iss equal to the issuer, aud containing a configured audience, exp
//     required and in the future, nbf and iat not in the future (all with
//     the clock skew), sub required.
//
// A verified token yields an Identity: sub as the user id, an email, a role
// from the optional claim-to-role mapping (internal_user otherwise, as in
// the genai-gateway deployment) and the raw claims. Failures are *Error
// values whose Kind (ErrExpired, ErrSignature, ...) callers branch on with
// errors.Is, and whose messages are safe to send to the client.
//
// The standard library is enough for this (crypto/rsa, crypto/ecdsa,
// encoding/json); a JWT library would bring algorithms and key sources this
// gateway must refuse anyway.
package oidc
