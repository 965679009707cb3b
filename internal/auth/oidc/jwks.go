package oidc

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"slices"
)

// RSA modulus bounds. Below 2048 bits a key is too weak to trust; above
// 8192 bits verification gets slow enough to be a lever for a flood.
const (
	minRSABits = 2048
	maxRSABits = 8192
)

// jwk is one usable verification key from the issuer's key set.
type jwk struct {
	kid string
	alg string // the JWK's own alg; empty means any alg of its key type
	rsa *rsa.PublicKey
	ec  *ecdsa.PublicKey
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
		return k.rsa != nil
	case ES256:
		return k.ec != nil
	}
	return false
}

// verify checks sig over signed with k under alg; k.fits(alg) must hold.
func (k *jwk) verify(alg, signed string, sig []byte) bool {
	digest := sha256.Sum256([]byte(signed))
	switch alg {
	case RS256:
		return rsa.VerifyPKCS1v15(k.rsa, crypto.SHA256, digest[:], sig) == nil
	case ES256:
		// JWS ES256 signatures are r||s, 32 bytes each (RFC 7518 §3.4),
		// not ASN.1.
		if len(sig) != 64 {
			return false
		}
		r := new(big.Int).SetBytes(sig[:32])
		s := new(big.Int).SetBytes(sig[32:])
		return ecdsa.Verify(k.ec, digest[:], r, s)
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
func (s *keySet) find(kid, alg string) ([]*jwk, error) {
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

// rawJWK is a JWK as served (RFC 7517, RFC 7518 §6).
type rawJWK struct {
	Kty    string   `json:"kty"`
	Kid    string   `json:"kid"`
	Use    string   `json:"use"`
	Alg    string   `json:"alg"`
	KeyOps []string `json:"key_ops"`
	N      string   `json:"n"`
	E      string   `json:"e"`
	Crv    string   `json:"crv"`
	X      string   `json:"x"`
	Y      string   `json:"y"`
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
	dec := base64.RawURLEncoding.Strict()
	for i, raw := range doc.Keys {
		var r rawJWK
		if err := json.Unmarshal(raw, &r); err != nil {
			bad = append(bad, fmt.Errorf("key %d: %w", i, err))
			continue
		}
		if (r.Use != "" && r.Use != "sig") || (r.KeyOps != nil && !slices.Contains(r.KeyOps, "verify")) {
			continue
		}
		k, err := r.key(dec)
		if err != nil {
			bad = append(bad, fmt.Errorf("key %d (kid %q): %w", i, r.Kid, err))
			continue
		}
		if k == nil {
			continue
		}
		set.all = append(set.all, k)
		set.byKid[k.kid] = append(set.byKid[k.kid], k)
	}
	if len(set.all) == 0 {
		return nil, bad, errors.New("key set has no usable RS256 or ES256 signing key")
	}
	return set, bad, nil
}

// key builds the verification key; nil without error means unsupported.
func (r *rawJWK) key(dec *base64.Encoding) (*jwk, error) {
	switch {
	case r.Kty == "RSA" && (r.Alg == "" || r.Alg == RS256):
		n, err := dec.DecodeString(r.N)
		if err != nil {
			return nil, fmt.Errorf("modulus: %w", err)
		}
		e, err := dec.DecodeString(r.E)
		if err != nil {
			return nil, fmt.Errorf("exponent: %w", err)
		}
		pub := &rsa.PublicKey{N: new(big.Int).SetBytes(n)}
		if bits := pub.N.BitLen(); bits < minRSABits || bits > maxRSABits {
			return nil, fmt.Errorf("RSA modulus of %d bits is outside %d..%d", bits, minRSABits, maxRSABits)
		}
		// Go's rsa package takes exponents up to 2³¹-1; real keys use 65537.
		if len(e) == 0 || len(e) > 4 {
			return nil, errors.New("RSA exponent out of range")
		}
		eb := new(big.Int).SetBytes(e)
		if !eb.IsInt64() || eb.Int64() < 3 || eb.Int64() > 1<<31-1 || eb.Bit(0) == 0 {
			return nil, errors.New("RSA exponent out of range")
		}
		pub.E = int(eb.Int64())
		return &jwk{kid: r.Kid, alg: r.Alg, rsa: pub}, nil
	case r.Kty == "EC" && r.Crv == "P-256" && (r.Alg == "" || r.Alg == ES256):
		x, err := dec.DecodeString(r.X)
		if err != nil {
			return nil, fmt.Errorf("x: %w", err)
		}
		y, err := dec.DecodeString(r.Y)
		if err != nil {
			return nil, fmt.Errorf("y: %w", err)
		}
		// RFC 7518 §6.2.1.2: coordinates are the full field size.
		if len(x) != 32 || len(y) != 32 {
			return nil, errors.New("P-256 coordinates must be 32 bytes each")
		}
		pub, err := ecdsa.ParseUncompressedPublicKey(elliptic.P256(), append(append([]byte{4}, x...), y...))
		if err != nil {
			return nil, fmt.Errorf("P-256 point: %w", err)
		}
		return &jwk{kid: r.Kid, alg: r.Alg, ec: pub}, nil
	}
	return nil, nil
}
