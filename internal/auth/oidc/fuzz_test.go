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

// fuzzNow is a fixed clock, so the seed tokens stay valid however long the
// fuzzer runs and unknown kids never earn a refetch.
var fuzzNow = time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)

func fuzzEnv(f *testing.F) *env {
	return newInProcessEnv(f, func(c *oidc.Config) {
		c.Roles = oidc.RoleMapping{Claim: "realm.groups", Admin: []string{"admins"}, AdminViewer: []string{"viewers"}}
	}, func(o *oidc.Options) { o.Now = func() time.Time { return fuzzNow } })
}

// FuzzVerify: whatever the input, Verify does not panic, fails with an
// *oidc.Error that does not repeat the input, and succeeds only for a
// token the test IdP's keys actually signed — random or mutated input
// never verifies. Anything that verifies is also IsJWT.
func FuzzVerify(f *testing.F) {
	e := fuzzEnv(f)
	signed := map[string]bool{}
	for _, tc := range verifyCases() {
		tok := tc.token(f, e)
		if tc.want == nil {
			signed[tok] = true
		}
		f.Add(tok)
	}
	f.Add("eyJhbGciOiJub25lIn0.e30.")
	f.Add("a.b.c")
	f.Fuzz(func(t *testing.T, tok string) {
		_, err := e.verifier.Verify(context.Background(), tok)
		if err == nil {
			if !signed[tok] {
				t.Fatalf("a token nobody signed verified: %q", tok)
			}
			if !oidc.IsJWT(tok) {
				t.Fatalf("IsJWT(%q) = false for a token that verifies", tok)
			}
			return
		}
		var ve *oidc.Error
		if !errors.As(err, &ve) {
			t.Fatalf("error %T %v is not an *oidc.Error", err, err)
		}
		if len(tok) >= 12 && strings.Contains(err.Error(), tok) {
			t.Fatalf("error %q repeats the input", err)
		}
	})
}

// FuzzSignedClaims signs arbitrary payloads with the published EC key, so
// the fuzzer reaches the code behind the signature check (claims, email,
// roles). Whatever verifies must satisfy every rule, checked here
// independently of the verifier.
func FuzzSignedClaims(f *testing.F) {
	e := fuzzEnv(f)
	for _, c := range []map[string]any{
		e.claims(),
		{"iss": e.issuer, "aud": []string{"x", audience}, "sub": "s", "exp": 1.9e9, "realm": map[string]any{"groups": []string{"admins"}}},
		{"iss": e.issuer, "aud": audience, "sub": "s", "exp": 1.9e9, "preferred_username": "a@b.c", "realm": map[string]any{"groups": "viewers x"}},
	} {
		b, err := json.Marshal(c)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{"iss":1}`))
	f.Add([]byte(`{"exp":1e400}`))
	f.Fuzz(func(t *testing.T, payload []byte) {
		tok := signRaw(t, e.ec, payload)
		id, err := e.verifier.Verify(context.Background(), tok)
		if err != nil {
			var ve *oidc.Error
			if !errors.As(err, &ve) {
				t.Fatalf("error %T %v is not an *oidc.Error", err, err)
			}
			return
		}
		var c struct {
			Iss string          `json:"iss"`
			Sub string          `json:"sub"`
			Aud json.RawMessage `json:"aud"`
			Exp float64         `json:"exp"`
		}
		if err := json.Unmarshal(payload, &c); err != nil {
			t.Fatalf("verified a payload that does not decode: %v", err)
		}
		if c.Iss != e.issuer || c.Sub == "" || c.Sub != id.UserID || !strings.Contains(string(c.Aud), `"`+audience+`"`) {
			t.Fatalf("verified claims %s gave %+v", payload, id)
		}
		if exp := time.Unix(int64(c.Exp), 0); !fuzzNow.Before(exp.Add(oidc.DefaultClockSkew + time.Second)) {
			t.Fatalf("verified an expired token: exp %v", exp)
		}
		switch id.Role {
		case oidc.RoleProxyAdmin, oidc.RoleProxyAdminViewer, oidc.RoleInternalUser:
		default:
			t.Fatalf("unexpected role %q", id.Role)
		}
		if string(id.Claims) != string(payload) {
			t.Fatalf("Claims = %s, want the payload", id.Claims)
		}
	})
}

// signRaw signs payload bytes as they are (sign would re-encode a map).
func signRaw(t testing.TB, s signer, payload []byte) string {
	t.Helper()
	h := b64.EncodeToString([]byte(`{"alg":"` + s.alg + `","kid":"` + s.kid + `"}`))
	return signInput(t, s.key, nil, s.alg, h+"."+b64.EncodeToString(payload))
}
