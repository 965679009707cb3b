package oidc_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/tollgate-gw/tollgate/internal/auth/oidc"
)

// verifyCase is one token and what Verify must make of it.
type verifyCase struct {
	name  string
	token func(t testing.TB, e *env) string
	want  error // nil: verifies
	check func(t *testing.T, e *env, id *oidc.Identity)
}

// edited signs the env's valid claims with s after edit.
func edited(s func(e *env) signer, edit func(h, c map[string]any)) func(testing.TB, *env) string {
	return func(t testing.TB, e *env) string { return e.token(t, s(e), edit) }
}

func rsaOf(e *env) signer { return e.rsa }
func ecOf(e *env) signer  { return e.ec }

// replacePart swaps part i of a valid RS256 token for raw.
func replacePart(i int, raw string) func(testing.TB, *env) string {
	return func(t testing.TB, e *env) string {
		parts := strings.Split(e.token(t, e.rsa, nil), ".")
		parts[i] = raw
		return strings.Join(parts, ".")
	}
}

func enc(s string) string { return b64.EncodeToString([]byte(s)) }

// nonCanonical re-spells the last base64 character of s with a non-zero
// unused bit: the same bytes under a second spelling.
func nonCanonical(s string) string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	i := strings.IndexByte(alphabet, s[len(s)-1])
	return s[:len(s)-1] + string(alphabet[i|1])
}

func verifyCases() []verifyCase {
	return []verifyCase{
		{name: "RS256", token: edited(rsaOf, nil), check: func(t *testing.T, e *env, id *oidc.Identity) {
			want := oidc.Identity{UserID: "00u1abcd", Email: "alice@example.com", Role: oidc.RoleInternalUser,
				Issuer: e.issuer, ExpiresAt: e.now().Add(time.Hour).Truncate(time.Second)}
			if id.UserID != want.UserID || id.Email != want.Email || id.Role != want.Role ||
				id.Issuer != want.Issuer || !id.ExpiresAt.Equal(want.ExpiresAt) {
				t.Errorf("identity = %+v, want %+v", *id, want)
			}
			var c map[string]any
			if err := json.Unmarshal(id.Claims, &c); err != nil || c["sub"] != "00u1abcd" {
				t.Errorf("Claims = %s (%v), want the payload", id.Claims, err)
			}
		}},
		{name: "ES256", token: edited(ecOf, nil), check: func(t *testing.T, _ *env, id *oidc.Identity) {
			if id.UserID != "00u1abcd" {
				t.Errorf("UserID = %q", id.UserID)
			}
		}},
		{name: "aud array holding the audience", token: edited(rsaOf, func(_, c map[string]any) {
			c["aud"] = []string{"other", audience}
		})},
		{name: "exp within the skew", token: edited(rsaOf, func(_, c map[string]any) {
			c["exp"] = c["iat"].(int64) - 59
		})},
		{name: "nbf and iat within the skew", token: edited(rsaOf, func(_, c map[string]any) {
			c["nbf"] = c["iat"].(int64) + 59
			c["iat"] = c["iat"].(int64) + 59
		})},
		{name: "fractional dates", token: edited(rsaOf, func(_, c map[string]any) {
			c["exp"] = float64(c["exp"].(int64)) + 0.5
			c["iat"] = float64(c["iat"].(int64)) - 0.25
		})},
		{name: "no nbf, no iat", token: edited(rsaOf, func(_, c map[string]any) {
			delete(c, "nbf")
			delete(c, "iat")
		})},
		{name: "email from preferred_username", token: edited(rsaOf, func(_, c map[string]any) {
			delete(c, "email")
			c["preferred_username"] = "bob@example.com"
		}), check: func(t *testing.T, _ *env, id *oidc.Identity) {
			if id.Email != "bob@example.com" {
				t.Errorf("Email = %q, want bob@example.com", id.Email)
			}
		}},
		{name: "preferred_username that is no email", token: edited(rsaOf, func(_, c map[string]any) {
			delete(c, "email")
			c["preferred_username"] = "Bob <bob@example.com>"
		}), check: func(t *testing.T, _ *env, id *oidc.Identity) {
			if id.Email != "" {
				t.Errorf("Email = %q, want none", id.Email)
			}
		}},

		// Signatures.
		{name: "signed by another RSA key under the published kid", want: oidc.ErrSignature,
			token: func(t testing.TB, e *env) string { return e.token(t, rsaSigner(e.rsa.kid, "rsa-b"), nil) }},
		{name: "signed by another EC key under the published kid", want: oidc.ErrSignature,
			token: func(t testing.TB, e *env) string { return e.token(t, ecSigner(e.ec.kid, "ec-b"), nil) }},
		{name: "payload swapped after signing", want: oidc.ErrSignature, token: func(t testing.TB, e *env) string {
			good := strings.Split(e.token(t, e.rsa, nil), ".")
			evil := strings.Split(e.token(t, e.rsa, func(_, c map[string]any) { c["sub"] = "admin" }), ".")
			return good[0] + "." + evil[1] + "." + good[2]
		}},
		{name: "ES256 signature truncated", want: oidc.ErrSignature, token: func(t testing.TB, e *env) string {
			p := strings.Split(e.token(t, e.ec, nil), ".")
			sig, err := b64.DecodeString(p[2])
			if err != nil {
				t.Fatal(err)
			}
			return p[0] + "." + p[1] + "." + b64.EncodeToString(sig[:63])
		}},
		{name: "empty RS256 signature", want: oidc.ErrSignature, token: replacePart(2, "")},

		// Registered claims.
		{name: "wrong issuer", want: oidc.ErrIssuer, token: edited(rsaOf, func(_, c map[string]any) {
			c["iss"] = "https://evil.example.com/oauth2/default"
		})},
		{name: "issuer with an extra slash", want: oidc.ErrIssuer, token: edited(rsaOf, func(_, c map[string]any) {
			c["iss"] = c["iss"].(string) + "/"
		})},
		{name: "no issuer", want: oidc.ErrIssuer, token: edited(rsaOf, func(_, c map[string]any) { delete(c, "iss") })},
		{name: "wrong audience", want: oidc.ErrAudience, token: edited(rsaOf, func(_, c map[string]any) { c["aud"] = "api://other" })},
		{name: "aud array without the audience", want: oidc.ErrAudience, token: edited(rsaOf, func(_, c map[string]any) {
			c["aud"] = []string{"a", "b"}
		})},
		{name: "no audience", want: oidc.ErrAudience, token: edited(rsaOf, func(_, c map[string]any) { delete(c, "aud") })},
		{name: "expired", want: oidc.ErrExpired, token: edited(rsaOf, func(_, c map[string]any) {
			c["exp"] = c["iat"].(int64) - 61
		})},
		{name: "expired exactly the skew ago", want: oidc.ErrExpired, token: edited(rsaOf, func(_, c map[string]any) {
			c["exp"] = c["iat"].(int64) - 60
		})},
		{name: "nbf in the future", want: oidc.ErrNotYetValid, token: edited(rsaOf, func(_, c map[string]any) {
			c["nbf"] = c["iat"].(int64) + 61
		})},
		{name: "iat in the future", want: oidc.ErrNotYetValid, token: edited(rsaOf, func(_, c map[string]any) {
			c["iat"] = c["iat"].(int64) + 61
		})},
		{name: "no exp", want: oidc.ErrMalformed, token: edited(rsaOf, func(_, c map[string]any) { delete(c, "exp") })},
		{name: "no sub", want: oidc.ErrMalformed, token: edited(rsaOf, func(_, c map[string]any) { delete(c, "sub") })},
		{name: "empty sub", want: oidc.ErrMalformed, token: edited(rsaOf, func(_, c map[string]any) { c["sub"] = "" })},
		{name: "exp as a string", want: oidc.ErrMalformed, token: edited(rsaOf, func(_, c map[string]any) {
			c["exp"] = "2099999999"
		})},
		{name: "exp beyond year 9999", want: oidc.ErrMalformed, token: edited(rsaOf, func(_, c map[string]any) { c["exp"] = 1e20 })},
		{name: "negative nbf", want: oidc.ErrMalformed, token: edited(rsaOf, func(_, c map[string]any) { c["nbf"] = -1 })},
		{name: "aud as a number", want: oidc.ErrMalformed, token: edited(rsaOf, func(_, c map[string]any) { c["aud"] = 7 })},
		{name: "sub as a number", want: oidc.ErrMalformed, token: edited(rsaOf, func(_, c map[string]any) { c["sub"] = 7 })},

		// Algorithms and keys.
		{name: "alg none, unsigned", want: oidc.ErrAlgorithm, token: func(t testing.TB, e *env) string {
			return sign(t, nil, nil, map[string]any{"alg": "none", "typ": "JWT"}, e.claims())
		}},
		{name: "alg none with a valid RS256 signature", want: oidc.ErrAlgorithm, token: func(t testing.TB, e *env) string {
			good := strings.Split(e.token(t, e.rsa, nil), ".")
			return enc(`{"alg":"none","kid":"rsa-1"}`) + "." + good[1] + "." + good[2]
		}},
		{name: "alg NONE", want: oidc.ErrAlgorithm, token: replacePart(0, enc(`{"alg":"NONE"}`))},
		{name: "HS256 keyed with the RSA public key", want: oidc.ErrAlgorithm, token: func(t testing.TB, e *env) string {
			return sign(t, nil, rsaPublicPEM(t, e.rsa), map[string]any{"alg": "HS256", "kid": e.rsa.kid}, e.claims())
		}},
		{name: "HS256 keyed with the RSA modulus", want: oidc.ErrAlgorithm, token: func(t testing.TB, e *env) string {
			n := e.rsa.jwk()["n"].(string)
			return sign(t, nil, []byte(n), map[string]any{"alg": "HS256", "kid": e.rsa.kid}, e.claims())
		}},
		{name: "ES256 header naming the RSA key", want: oidc.ErrAlgorithm, token: func(t testing.TB, e *env) string {
			return e.token(t, signer{kid: e.rsa.kid, alg: "ES256", key: e.ec.key}, nil)
		}},
		{name: "RS256 header naming the EC key", want: oidc.ErrAlgorithm, token: func(t testing.TB, e *env) string {
			return e.token(t, signer{kid: e.ec.kid, alg: "RS256", key: e.rsa.key}, nil)
		}},
		{name: "RS512", want: oidc.ErrAlgorithm, token: replacePart(0, enc(`{"alg":"RS512","kid":"rsa-1"}`))},
		{name: "unknown kid", want: oidc.ErrUnknownKey, token: func(t testing.TB, e *env) string {
			return e.token(t, rsaSigner("rsa-unpublished", "rsa-c"), nil)
		}},
		{name: "no kid while two keys are published", want: oidc.ErrUnknownKey, token: edited(rsaOf, func(h, _ map[string]any) {
			delete(h, "kid")
		})},

		// Shape and encoding.
		{name: "empty", want: oidc.ErrMalformed, token: func(testing.TB, *env) string { return "" }},
		{name: "two parts", want: oidc.ErrMalformed, token: func(t testing.TB, e *env) string {
			p := strings.Split(e.token(t, e.rsa, nil), ".")
			return p[0] + "." + p[1]
		}},
		{name: "four parts", want: oidc.ErrMalformed, token: func(t testing.TB, e *env) string {
			return e.token(t, e.rsa, nil) + ".e30"
		}},
		{name: "five parts (JWE)", want: oidc.ErrMalformed, token: func(t testing.TB, e *env) string {
			return e.token(t, e.rsa, nil) + ".e30.e30"
		}},
		{name: "empty header", want: oidc.ErrMalformed, token: replacePart(0, "")},
		{name: "header not base64url", want: oidc.ErrMalformed, token: replacePart(0, "eyJhbGciOi*")},
		{name: "padded header", want: oidc.ErrMalformed, token: replacePart(0, enc(`{"alg":"RS256","kid":"rsa-1"}`)+"==")},
		{name: "standard base64 alphabet", want: oidc.ErrMalformed, token: replacePart(0, "eyJ+/w")},
		{name: "line break inside the signature", want: oidc.ErrMalformed, token: func(t testing.TB, e *env) string {
			tok := e.token(t, e.rsa, nil)
			return tok[:len(tok)-10] + "\n" + tok[len(tok)-10:]
		}},
		{name: "non-canonical signature encoding", want: oidc.ErrMalformed, token: func(t testing.TB, e *env) string {
			return nonCanonical(e.token(t, e.rsa, nil))
		}},
		{name: "header not JSON", want: oidc.ErrMalformed, token: replacePart(0, enc(`{"alg":"RS256",`))},
		{name: "header a JSON array", want: oidc.ErrMalformed, token: replacePart(0, enc(`["RS256"]`))},
		{name: "header without alg", want: oidc.ErrAlgorithm, token: replacePart(0, enc(`{"kid":"rsa-1"}`))},
		{name: "alg not a string", want: oidc.ErrAlgorithm, token: replacePart(0, enc(`{"alg":256}`))},
		// go-jose understands b64 (RFC 7797): the signature then covers the
		// raw payload, which this token's does not.
		{name: "critical header", want: oidc.ErrSignature, token: edited(rsaOf, func(h, _ map[string]any) {
			h["crit"] = []string{"b64"}
			h["b64"] = false
		})},
		{name: "unknown critical header", want: oidc.ErrMalformed, token: edited(rsaOf, func(h, _ map[string]any) {
			h["crit"] = []string{"exp"}
			h["exp"] = 1
		})},
		{name: "payload not JSON", want: oidc.ErrMalformed, token: replacePart(1, enc(`{"sub":`))},
		{name: "payload with trailing data", want: oidc.ErrMalformed, token: replacePart(1, enc(`{"sub":"x"}x`))},
		{name: "payload a JSON array", want: oidc.ErrMalformed, token: replacePart(1, enc(`[{"sub":"x"}]`))},
		{name: "payload null", want: oidc.ErrMalformed, token: replacePart(1, enc(`null`))},
		{name: "payload not base64url", want: oidc.ErrMalformed, token: replacePart(1, "e30*")},
		{name: "oversized", want: oidc.ErrMalformed, token: func(t testing.TB, e *env) string {
			return e.token(t, e.rsa, func(_, c map[string]any) { c["pad"] = strings.Repeat("x", 70<<10) })
		}},
	}
}

// TestVerify: each token against a warm verifier whose IdP publishes one
// RSA and one EC key. Failures carry the right kind as a *oidc.Error, and
// their messages repeat nothing from the token.
func TestVerify(t *testing.T) {
	e := newLoopbackEnv(t, nil, nil)
	if _, err := e.verifier.Verify(context.Background(), e.token(t, e.rsa, nil)); err != nil {
		t.Fatalf("warming up: %v", err)
	}
	for _, tc := range verifyCases() {
		t.Run(tc.name, func(t *testing.T) {
			tok := tc.token(t, e)
			id, err := e.verifier.Verify(context.Background(), tok)
			if tc.want == nil {
				if err != nil {
					t.Fatalf("Verify: %v", err)
				}
				if tc.check != nil {
					tc.check(t, e, id)
				}
				return
			}
			if !errors.Is(err, tc.want) {
				t.Fatalf("Verify = %v, %v; want %v", id, err, tc.want)
			}
			var ve *oidc.Error
			if !errors.As(err, &ve) {
				t.Fatalf("error %T is not an *oidc.Error", err)
			}
			assertNoEcho(t, err, tok)
			t.Log(err)
		})
	}
	if d, k := e.idp.hits(); d != 1 || k != 1 {
		t.Errorf("IdP hits: discovery %d, key set %d; want 1 and 1 (unknown kids must not refetch within the interval)", d, k)
	}
}

// assertNoEcho fails when err's message repeats a part of the token or the
// subject it names.
func assertNoEcho(t *testing.T, err error, tok string) {
	t.Helper()
	msg := err.Error()
	for p := range strings.SplitSeq(tok, ".") {
		if len(p) >= 8 && strings.Contains(msg, p) {
			t.Errorf("error %q repeats a token part", msg)
		}
	}
	if strings.Contains(msg, "00u1abcd") || strings.Contains(msg, "evil") {
		t.Errorf("error %q repeats a claim", msg)
	}
}

// TestAllowedAlgorithms: an algorithm left out of the configuration is
// refused even though the IdP publishes a key for it.
func TestAllowedAlgorithms(t *testing.T) {
	e := newLoopbackEnv(t, func(c *oidc.Config) { c.Algorithms = []string{oidc.RS256} }, nil)
	if _, err := e.verifier.Verify(context.Background(), e.token(t, e.rsa, nil)); err != nil {
		t.Fatalf("RS256: %v", err)
	}
	_, err := e.verifier.Verify(context.Background(), e.token(t, e.ec, nil))
	if !errors.Is(err, oidc.ErrAlgorithm) {
		t.Fatalf("ES256 with only RS256 allowed: %v, want ErrAlgorithm", err)
	}
	if !strings.Contains(err.Error(), "RS256") {
		t.Errorf("message %q should name the allowed algorithms", err)
	}
}

// TestKidOptionalWithOneKey: a token without kid verifies while the issuer
// publishes a single key, whose type must still match the alg.
func TestKidOptionalWithOneKey(t *testing.T) {
	e := newLoopbackEnv(t, nil, nil)
	e.idp.publish(e.rsa)
	noKid := func(h, _ map[string]any) { delete(h, "kid") }
	if _, err := e.verifier.Verify(context.Background(), e.token(t, e.rsa, noKid)); err != nil {
		t.Fatalf("RS256 without kid: %v", err)
	}
	if _, err := e.verifier.Verify(context.Background(), e.token(t, e.ec, noKid)); !errors.Is(err, oidc.ErrAlgorithm) {
		t.Fatalf("ES256 without kid against the lone RSA key: %v, want ErrAlgorithm", err)
	}
}

// TestSeveralAudiences: any configured audience is enough.
func TestSeveralAudiences(t *testing.T) {
	e := newLoopbackEnv(t, func(c *oidc.Config) { c.Audiences = []string{"api://gateway", audience} }, nil)
	for _, aud := range []any{"api://gateway", audience, []string{"x", "api://gateway"}} {
		tok := e.token(t, e.ec, func(_, c map[string]any) { c["aud"] = aud })
		if _, err := e.verifier.Verify(context.Background(), tok); err != nil {
			t.Errorf("aud %v: %v", aud, err)
		}
	}
}

// TestRoleMapping: the configured claim grants proxy_admin or
// proxy_admin_viewer; the highest match wins and anything else, including
// a claim of an unexpected type, leaves the caller an internal_user.
func TestRoleMapping(t *testing.T) {
	groups := oidc.RoleMapping{Claim: "groups", Admin: []string{"gw-admins"}, AdminViewer: []string{"gw-viewers"}}
	tests := []struct {
		name    string
		mapping oidc.RoleMapping
		claims  map[string]any
		want    oidc.Role
	}{
		{"admin group", groups, map[string]any{"groups": []string{"Everyone", "gw-admins"}}, oidc.RoleProxyAdmin},
		{"viewer group", groups, map[string]any{"groups": []string{"gw-viewers"}}, oidc.RoleProxyAdminViewer},
		{"both: admin wins", groups, map[string]any{"groups": []string{"gw-viewers", "gw-admins"}}, oidc.RoleProxyAdmin},
		{"no matching group", groups, map[string]any{"groups": []string{"Everyone"}}, oidc.RoleInternalUser},
		{"case matters", groups, map[string]any{"groups": []string{"GW-ADMINS"}}, oidc.RoleInternalUser},
		{"no groups claim", groups, nil, oidc.RoleInternalUser},
		{"groups of the wrong type", groups, map[string]any{"groups": map[string]any{"gw-admins": true}}, oidc.RoleInternalUser},
		{"default claim is groups", oidc.RoleMapping{Admin: []string{"gw-admins"}},
			map[string]any{"groups": []string{"gw-admins"}}, oidc.RoleProxyAdmin},
		{"no mapping configured", oidc.RoleMapping{}, map[string]any{"groups": []string{"gw-admins"}}, oidc.RoleInternalUser},
		{"space-separated scope claim", oidc.RoleMapping{Claim: "scope", Admin: []string{"litellm_proxy_admin"}},
			map[string]any{"scope": "openid litellm_proxy_admin email"}, oidc.RoleProxyAdmin},
		{"Okta scp array", oidc.RoleMapping{Claim: "scp", AdminViewer: []string{"gateway.read"}},
			map[string]any{"scp": []string{"openid", "gateway.read"}}, oidc.RoleProxyAdminViewer},
		{"nested claim", oidc.RoleMapping{Claim: "realm_access.roles", Admin: []string{"admin"}},
			map[string]any{"realm_access": map[string]any{"roles": []string{"admin"}}}, oidc.RoleProxyAdmin},
		{"dotted top-level claim name", oidc.RoleMapping{Claim: "https://example.com/roles", Admin: []string{"admin"}},
			map[string]any{"https://example.com/roles": []string{"admin"}}, oidc.RoleProxyAdmin},
		{"nested path through a non-object", oidc.RoleMapping{Claim: "realm_access.roles", Admin: []string{"admin"}},
			map[string]any{"realm_access": "admin"}, oidc.RoleInternalUser},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newInProcessEnv(t, func(c *oidc.Config) { c.Roles = tc.mapping }, nil)
			tok := e.token(t, e.rsa, func(_, c map[string]any) {
				for k, v := range tc.claims {
					c[k] = v
				}
			})
			id, err := e.verifier.Verify(context.Background(), tok)
			if err != nil {
				t.Fatalf("Verify: %v", err)
			}
			if id.Role != tc.want {
				t.Errorf("Role = %q, want %q", id.Role, tc.want)
			}
		})
	}
}

// TestIsJWT: the cheap shape check separates JWTs from virtual keys and
// junk without decoding.
func TestIsJWT(t *testing.T) {
	e := newInProcessEnv(t, nil, nil)
	tests := []struct {
		token string
		want  bool
	}{
		{e.token(t, e.rsa, nil), true},
		{e.token(t, e.ec, nil), true},
		{enc(`{"alg":"none"}`) + "." + enc(`{}`) + ".", true}, // refused by Verify, with a reason
		{"sk-1234567890abcdef", false},
		{"sk-abc.def.ghi", false},
		{"", false},
		{"..", false},
		{"eyJ..c", false},
		{".eyJ.c", false},
		{"eyJ.b", false},
		{"eyJ.b.c.d", false},
		{"eyJ.b.c", true},
		{"eyJ.b.", true},
		{"a.b.c", false},
		{"eyJ b.c.d", false},
		{"eyJ+b.c.d", false},
		{"eyJ=.b.c", false},
		{"eyJ.b.c\n", false},
		{"eyJ" + strings.Repeat("a", 70<<10) + ".b.c", false},
	}
	for _, tc := range tests {
		if got := oidc.IsJWT(tc.token); got != tc.want {
			name := tc.token
			if len(name) > 40 {
				name = name[:40] + "…"
			}
			t.Errorf("IsJWT(%q) = %v, want %v", name, got, tc.want)
		}
	}
}

// TestEnvConfig: OKTA_ISSUER switches JWT auth on; OKTA_AUDIENCE is a
// comma-separated list with no default (New then refuses the Config).
func TestEnvConfig(t *testing.T) {
	tests := []struct {
		name   string
		env    map[string]string
		want   oidc.Config
		wantOK bool
	}{
		{"unset", nil, oidc.Config{}, false},
		{"blank issuer", map[string]string{"OKTA_ISSUER": "  ", "OKTA_AUDIENCE": "x"}, oidc.Config{}, false},
		{"issuer only", map[string]string{"OKTA_ISSUER": "https://dev-1.okta.com/oauth2/default"},
			oidc.Config{Issuer: "https://dev-1.okta.com/oauth2/default"}, true},
		{"one audience", map[string]string{"OKTA_ISSUER": " https://dev-1.okta.com/oauth2/aus1 ", "OKTA_AUDIENCE": "api://gateway"},
			oidc.Config{Issuer: "https://dev-1.okta.com/oauth2/aus1", Audiences: []string{"api://gateway"}}, true},
		{"several audiences", map[string]string{"OKTA_ISSUER": "https://i", "OKTA_AUDIENCE": "a, b,,c "},
			oidc.Config{Issuer: "https://i", Audiences: []string{"a", "b", "c"}}, true},
		{"empty audience list", map[string]string{"OKTA_ISSUER": "https://i", "OKTA_AUDIENCE": " , "},
			oidc.Config{Issuer: "https://i"}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := oidc.EnvConfig(tc.env["OKTA_ISSUER"], tc.env["OKTA_AUDIENCE"])
			if ok != tc.wantOK || got.Issuer != tc.want.Issuer || strings.Join(got.Audiences, "|") != strings.Join(tc.want.Audiences, "|") {
				t.Errorf("EnvConfig = %+v, %v; want %+v, %v", got, ok, tc.want, tc.wantOK)
			}
		})
	}
}

// TestNewRejects: configuration mistakes fail New, before any request.
func TestNewRejects(t *testing.T) {
	ok := oidc.Config{Issuer: "https://dev-1.okta.com/oauth2/default", Audiences: []string{"api://default"}}
	tests := []struct {
		name string
		edit func(c *oidc.Config)
		want string // in the message
	}{
		{"no issuer", func(c *oidc.Config) { c.Issuer = "" }, "issuer is required"},
		{"relative issuer", func(c *oidc.Config) { c.Issuer = "dev-1.okta.com" }, "absolute"},
		{"plain http issuer", func(c *oidc.Config) { c.Issuer = "http://dev-1.okta.com/oauth2/default" }, "https"},
		{"issuer with a query", func(c *oidc.Config) { c.Issuer = "https://dev-1.okta.com/?x=1" }, "query"},
		{"plain http discovery URL", func(c *oidc.Config) { c.DiscoveryURL = "http://dev-1.okta.com/.well-known/x" }, "https"},
		{"no audience", func(c *oidc.Config) { c.Audiences = nil }, "no audience configured"},
		{"empty audience", func(c *oidc.Config) { c.Audiences = []string{""} }, "audience"},
		{"HS256 allowed", func(c *oidc.Config) { c.Algorithms = []string{"RS256", "HS256"} }, `"HS256" is not supported`},
		{"none allowed", func(c *oidc.Config) { c.Algorithms = []string{"none"} }, `"none" is not supported`},
		{"negative skew", func(c *oidc.Config) { c.ClockSkew = -time.Second }, "clock skew"},
		{"huge skew", func(c *oidc.Config) { c.ClockSkew = time.Hour }, "clock skew"},
	}
	if _, err := oidc.New(ok, nil); err != nil {
		t.Fatalf("New(valid) = %v", err)
	}
	for _, lo := range []string{"http://127.0.0.1:8080", "http://localhost/oauth2/default", "http://[::1]:9000"} {
		c := ok
		c.Issuer = lo
		if _, err := oidc.New(c, nil); err != nil {
			t.Errorf("New with loopback issuer %s: %v", lo, err)
		}
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := ok
			tc.edit(&c)
			_, err := oidc.New(c, nil)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("New = %v, want an error containing %q", err, tc.want)
			}
		})
	}
}
