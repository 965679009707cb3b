package oidc

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	jose "github.com/go-jose/go-jose/v4"
)

// RSA modulus bounds. Below 2048 bits a key is too weak to trust; above
// 8192 bits verification gets slow enough to be a lever for a flood.
const (
	minRSABits = 2048
	maxRSABits = 8192
)

// jwk is one usable verification key from the issuer's key set. go-jose
// decoded and validated it (encoding, EC point on its curve); what is ours is
// the choice of which keys to use at all.
type jwk struct {
	kid string
	alg string // the JWK's own alg; empty means any alg of its key type
	key *jose.JSONWebKey
}

// fits reports whether k may verify a token whose header says alg. The key
// type must match the alg, so an RSA key can never be used for ES256 nor,
// since HS* is never allowed, as an HMAC secret.
func (k *jwk) fits(alg string) bool {
	if k.alg != "" && k.alg != alg {
		return false
	}
	switch alg {
	case RS256:
		_, ok := k.key.Key.(*rsa.PublicKey)
		return ok
	case ES256:
		_, ok := k.key.Key.(*ecdsa.PublicKey)
		return ok
	}
	return false
}

// keySet is a parsed JWKS: the usable keys, by kid and in order.
type keySet struct {
	byKid map[string][]*jwk
	all   []*jwk
}

// find returns the keys that may verify a token with this kid and alg.
// With no kid, the set must hold exactly one key. A nil result and nil
// error mean the kid is unknown (a refetch may help); an error is final for
// this set.
func (s *keySet) find(kid, alg string) ([]*jwk, *Error) {
	var cands []*jwk
	if kid == "" {
		switch len(s.all) {
		case 0:
			return nil, nil
		case 1:
			cands = s.all
		default:
			return nil, fail(ErrUnknownKey, "token has no kid and the issuer publishes several keys")
		}
	} else {
		cands = s.byKid[kid]
		if len(cands) == 0 {
			return nil, nil
		}
	}
	var fit []*jwk
	for _, k := range cands {
		if k.fits(alg) {
			fit = append(fit, k)
		}
	}
	if len(fit) == 0 {
		return nil, fail(ErrAlgorithm, "the token's key is not of the type its alg requires")
	}
	return fit, nil
}

// jwkUse is the part of a JWK read before go-jose decodes it, to tell keys
// that are not ours to use (skipped quietly) from broken ones (reported).
type jwkUse struct {
	Kty    string   `json:"kty"`
	Use    string   `json:"use"`
	Alg    string   `json:"alg"`
	Crv    string   `json:"crv"`
	KeyOps []string `json:"key_ops"`
}

// wanted reports whether the key is a signature key of a type and alg the
// verifier supports.
func (u *jwkUse) wanted() bool {
	if (u.Use != "" && u.Use != "sig") || (u.KeyOps != nil && !slices.Contains(u.KeyOps, "verify")) {
		return false
	}
	switch {
	case u.Kty == "RSA" && (u.Alg == "" || u.Alg == RS256):
		return true
	case u.Kty == "EC" && u.Crv == "P-256" && (u.Alg == "" || u.Alg == ES256):
		return true
	}
	return false
}

// parseJWKS parses a key set. Keys that are not signature keys or whose
// type, curve or alg the verifier does not support are skipped quietly
// (IdPs publish encryption keys and other algorithms beside the ones in
// use); keys that claim a supported type but are broken or weak are skipped
// and reported in bad. A set with no usable key is an error, since no
// token could ever verify against it.
func parseJWKS(body []byte) (set *keySet, bad []error, err error) {
	var doc struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if err := json.Unmarshal(body, &doc); err != nil {
		return nil, nil, fmt.Errorf("decoding key set: %w", err)
	}
	set = &keySet{byKid: make(map[string][]*jwk)}
	for i, raw := range doc.Keys {
		var u jwkUse
		if err := json.Unmarshal(raw, &u); err != nil {
			bad = append(bad, fmt.Errorf("key %d: %w", i, err))
			continue
		}
		if !u.wanted() {
			continue
		}
		k := new(jose.JSONWebKey)
		if err := k.UnmarshalJSON(raw); err != nil {
			bad = append(bad, fmt.Errorf("key %d: %w", i, err))
			continue
		}
		if err := checkStrength(k); err != nil {
			bad = append(bad, fmt.Errorf("key %d (kid %q): %w", i, k.KeyID, err))
			continue
		}
		j := &jwk{kid: k.KeyID, alg: u.Alg, key: k}
		set.all = append(set.all, j)
		set.byKid[j.kid] = append(set.byKid[j.kid], j)
	}
	if len(set.all) == 0 {
		return nil, bad, errors.New("key set has no usable RS256 or ES256 signing key")
	}
	return set, bad, nil
}

// checkStrength refuses public keys go-jose accepts but this gateway does
// not: RSA moduli outside minRSABits..maxRSABits or with an exponent that is
// even or below 3, and anything that is not a P-256 or RSA public key.
func checkStrength(k *jose.JSONWebKey) error {
	switch pub := k.Key.(type) {
	case *rsa.PublicKey:
		if bits := pub.N.BitLen(); bits < minRSABits || bits > maxRSABits {
			return fmt.Errorf("RSA modulus of %d bits is outside %d..%d", bits, minRSABits, maxRSABits)
		}
		// Real keys use 65537; Go's rsa package refuses more than 2³¹-1.
		if pub.E < 3 || pub.E > 1<<31-1 || pub.E%2 == 0 {
			return errors.New("RSA exponent out of range")
		}
		return nil
	case *ecdsa.PublicKey:
		if pub.Curve != elliptic.P256() {
			return errors.New("EC key is not on P-256")
		}
		return nil
	}
	return fmt.Errorf("key of type %T is not a public RSA or P-256 key", k.Key)
}
