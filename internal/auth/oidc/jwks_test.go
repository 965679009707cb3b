package oidc

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	jose "github.com/go-jose/go-jose/v4"
)

// TestParseJWKS: which published keys become usable, which are skipped
// quietly (not ours to use) and which are reported as broken.
func TestParseJWKS(t *testing.T) {
	b64 := base64.RawURLEncoding.EncodeToString
	ec, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	pt, err := ec.PublicKey.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	x, y := b64(pt[1:33]), b64(pt[33:])
	// The parser checks sizes and encodings, not primality, so any
	// modulus of the right length stands in for a real one.
	modulus := func(bits int) string {
		n := make([]byte, (bits+7)/8)
		for i := range n {
			n[i] = 0xa5
		}
		n[0] |= 0x80
		return b64(n)
	}
	rsa2048 := map[string]any{"kty": "RSA", "kid": "r", "n": modulus(2048), "e": "AQAB"}
	ecKey := map[string]any{"kty": "EC", "kid": "e", "crv": "P-256", "x": x, "y": y}
	with := func(k map[string]any, kv ...any) map[string]any {
		m := map[string]any{}
		for key, v := range k {
			m[key] = v
		}
		for i := 0; i < len(kv); i += 2 {
			if kv[i+1] == nil {
				delete(m, kv[i].(string))
			} else {
				m[kv[i].(string)] = kv[i+1]
			}
		}
		return m
	}
	tests := []struct {
		name    string
		keys    []any
		usable  []string // kids, in order
		bad     int
		wantErr string
	}{
		{name: "RSA and EC", keys: []any{rsa2048, ecKey}, usable: []string{"r", "e"}},
		{name: "alg and use stated", keys: []any{with(rsa2048, "alg", "RS256", "use", "sig"), with(ecKey, "alg", "ES256")}, usable: []string{"r", "e"}},
		{name: "key_ops with verify", keys: []any{with(rsa2048, "key_ops", []string{"verify"}), ecKey}, usable: []string{"r", "e"}},
		{name: "encryption key skipped", keys: []any{with(rsa2048, "use", "enc"), ecKey}, usable: []string{"e"}},
		{name: "key_ops without verify skipped", keys: []any{with(rsa2048, "key_ops", []string{"encrypt"}), ecKey}, usable: []string{"e"}},
		{name: "other algorithms skipped", keys: []any{with(rsa2048, "alg", "RS512"), with(rsa2048, "alg", "PS256"), with(ecKey, "alg", "ES384"), ecKey}, usable: []string{"e"}},
		{name: "RSA key labelled ES256 skipped", keys: []any{with(rsa2048, "alg", "ES256"), ecKey}, usable: []string{"e"}},
		{name: "other key types and curves skipped", keys: []any{
			map[string]any{"kty": "oct", "k": "c2VjcmV0"}, map[string]any{"kty": "OKP", "crv": "Ed25519", "x": x}, with(ecKey, "crv", "P-384"), ecKey,
		}, usable: []string{"e"}},
		{name: "weak RSA modulus", keys: []any{with(rsa2048, "n", modulus(1024)), ecKey}, usable: []string{"e"}, bad: 1},
		{name: "huge RSA modulus", keys: []any{with(rsa2048, "n", modulus(16384)), ecKey}, usable: []string{"e"}, bad: 1},
		{name: "even RSA exponent", keys: []any{with(rsa2048, "e", b64([]byte{1, 0, 0})), ecKey}, usable: []string{"e"}, bad: 1},
		{name: "RSA exponent 1", keys: []any{with(rsa2048, "e", "AQ"), ecKey}, usable: []string{"e"}, bad: 1},
		{name: "RSA exponent over 32 bits", keys: []any{with(rsa2048, "e", b64([]byte{1, 0, 0, 0, 1})), ecKey}, usable: []string{"e"}, bad: 1},
		{name: "RSA without exponent", keys: []any{with(rsa2048, "e", nil), ecKey}, usable: []string{"e"}, bad: 1},
		{name: "RSA modulus not base64url", keys: []any{with(rsa2048, "n", "a+b/"), ecKey}, usable: []string{"e"}, bad: 1},
		{name: "EC point off the curve", keys: []any{with(ecKey, "y", x), rsa2048}, usable: []string{"r"}, bad: 1},
		{name: "EC coordinate too short", keys: []any{with(ecKey, "x", b64(pt[2:33])), rsa2048}, usable: []string{"r"}, bad: 1},
		{name: "key not an object", keys: []any{7, rsa2048}, usable: []string{"r"}, bad: 1},
		{name: "no usable key", keys: []any{with(rsa2048, "use", "enc")}, wantErr: "no usable"},
		{name: "empty set", keys: []any{}, wantErr: "no usable"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			body, err := json.Marshal(map[string]any{"keys": tc.keys})
			if err != nil {
				t.Fatal(err)
			}
			set, bad, err := parseJWKS(body)
			if len(bad) != tc.bad {
				t.Errorf("bad = %v, want %d", bad, tc.bad)
			}
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("parseJWKS = %v, want an error containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var kids []string
			for _, k := range set.all {
				kids = append(kids, k.kid)
			}
			if strings.Join(kids, ",") != strings.Join(tc.usable, ",") {
				t.Errorf("usable kids = %v, want %v", kids, tc.usable)
			}
		})
	}
	for _, doc := range []string{`{"keys":{}}`, `[]`, `{"keys":`} {
		if _, _, err := parseJWKS([]byte(doc)); err == nil {
			t.Errorf("parseJWKS(%s) succeeded", doc)
		}
	}
}

// TestFindByKidAndType: a kid shared by an RSA and an EC key (RFC 7517
// allows it for keys of different types) resolves by the token's alg; a
// kid-less token needs a lone key.
func TestFindByKidAndType(t *testing.T) {
	rsaKey := &jwk{kid: "k", key: &jose.JSONWebKey{Key: &rsa.PublicKey{}}}
	ecKey := &jwk{kid: "k", key: &jose.JSONWebKey{Key: &ecdsa.PublicKey{}}}
	both := &keySet{byKid: map[string][]*jwk{"k": {rsaKey, ecKey}}, all: []*jwk{rsaKey, ecKey}}
	onlyEC := &keySet{byKid: map[string][]*jwk{"k": {ecKey}}, all: []*jwk{ecKey}}
	tests := []struct {
		name     string
		set      *keySet
		kid, alg string
		want     *jwk
		wantErr  error
	}{
		{"shared kid, RS256", both, "k", RS256, rsaKey, nil},
		{"shared kid, ES256", both, "k", ES256, ecKey, nil},
		{"EC key for RS256", onlyEC, "k", RS256, nil, ErrAlgorithm},
		{"unknown kid", both, "other", RS256, nil, nil},
		{"no kid, lone key", onlyEC, "", ES256, ecKey, nil},
		{"no kid, lone key of the other type", onlyEC, "", RS256, nil, ErrAlgorithm},
		{"no kid, two keys", both, "", RS256, nil, ErrUnknownKey},
		{"no kid, empty set", &keySet{}, "", RS256, nil, nil},
	}
	for _, tc := range tests {
		got, err := tc.set.find(tc.kid, tc.alg)
		if tc.wantErr != nil {
			if !errors.Is(err, tc.wantErr) || got != nil {
				t.Errorf("%s: find = %v, %v; want %v", tc.name, got, err, tc.wantErr)
			}
			continue
		}
		if err != nil || (tc.want == nil) != (got == nil) || (tc.want != nil && (len(got) != 1 || got[0] != tc.want)) {
			t.Errorf("%s: find = %v, %v; want %v", tc.name, got, err, tc.want)
		}
	}
}
