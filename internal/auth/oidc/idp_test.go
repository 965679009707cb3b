package oidc_test

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tollgate-gw/tollgate/internal/auth/oidc"
	"github.com/tollgate-gw/tollgate/internal/clocktest"
)

// Test keys are generated once per test binary: RSA generation costs tens
// of milliseconds, and every test needs the same few keys.
var testKeys = sync.OnceValue(func() map[string]crypto.Signer {
	m := map[string]crypto.Signer{}
	for _, name := range []string{"rsa-a", "rsa-b", "rsa-c"} {
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			panic(err)
		}
		m[name] = k
	}
	for _, name := range []string{"ec-a", "ec-b"} {
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			panic(err)
		}
		m[name] = k
	}
	return m
})

// signer is a private key with the kid and alg it signs under.
type signer struct {
	kid string
	alg string
	key crypto.Signer
}

func rsaSigner(kid, key string) signer { return signer{kid: kid, alg: "RS256", key: testKeys()[key]} }
func ecSigner(kid, key string) signer  { return signer{kid: kid, alg: "ES256", key: testKeys()[key]} }

var b64 = base64.RawURLEncoding

// jwk is the public half as the IdP publishes it.
func (s signer) jwk() map[string]any {
	switch k := s.key.(type) {
	case *rsa.PrivateKey:
		return map[string]any{"kty": "RSA", "kid": s.kid, "use": "sig", "alg": "RS256",
			"n": b64.EncodeToString(k.N.Bytes()), "e": b64.EncodeToString(big.NewInt(int64(k.E)).Bytes())}
	case *ecdsa.PrivateKey:
		b, err := k.PublicKey.Bytes()
		if err != nil {
			panic(err)
		}
		return map[string]any{"kty": "EC", "kid": s.kid, "use": "sig", "crv": "P-256",
			"x": b64.EncodeToString(b[1:33]), "y": b64.EncodeToString(b[33:])}
	}
	panic("unknown key type")
}

// sign returns the compact JWS of header and claims, signed with key
// under header["alg"] (RS256, ES256, none, or HS256 with hmacKey).
func sign(t testing.TB, key crypto.Signer, hmacKey []byte, header, claims map[string]any) string {
	t.Helper()
	hb, err := json.Marshal(header)
	if err != nil {
		t.Fatal(err)
	}
	cb, err := json.Marshal(claims)
	if err != nil {
		t.Fatal(err)
	}
	alg, _ := header["alg"].(string)
	return signInput(t, key, hmacKey, alg, b64.EncodeToString(hb)+"."+b64.EncodeToString(cb))
}

// signInput appends the signature of the JWS signing input.
func signInput(t testing.TB, key crypto.Signer, hmacKey []byte, alg, input string) string {
	t.Helper()
	digest := sha256.Sum256([]byte(input))
	var sig []byte
	var err error
	switch alg {
	case "RS256":
		sig, err = rsa.SignPKCS1v15(nil, key.(*rsa.PrivateKey), crypto.SHA256, digest[:])
	case "ES256":
		var r, s *big.Int
		r, s, err = ecdsa.Sign(rand.Reader, key.(*ecdsa.PrivateKey), digest[:])
		if err == nil {
			sig = make([]byte, 64)
			r.FillBytes(sig[:32])
			s.FillBytes(sig[32:])
		}
	case "HS256":
		m := hmac.New(sha256.New, hmacKey)
		m.Write([]byte(input))
		sig = m.Sum(nil)
	case "none":
	default:
		t.Fatalf("sign: unsupported alg %q", alg)
	}
	if err != nil {
		t.Fatal(err)
	}
	return input + "." + b64.EncodeToString(sig)
}

// fakeIdP serves a discovery document (at both Okta paths) and a key set,
// counting requests. Tests change what it serves between calls.
type fakeIdP struct {
	mu            sync.Mutex
	base          string // its own URL, set once the server listens
	issuer        string // what discovery claims; "" means base
	jwksURI       string // what discovery points to; "" means base+"/keys"
	keys          []map[string]any
	status        int           // non-zero: every request answers this status
	gate          chan struct{} // non-nil: the key set handler waits for it
	discoveryHits int
	jwksHits      int
}

func (f *fakeIdP) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	var body any
	switch r.URL.Path {
	case "/.well-known/openid-configuration", "/.well-known/oauth-authorization-server":
		f.discoveryHits++
		iss, uri := f.issuer, f.jwksURI
		if iss == "" {
			iss = f.base
		}
		if uri == "" {
			uri = f.base + "/keys"
		}
		body = map[string]any{"issuer": iss, "jwks_uri": uri, "id_token_signing_alg_values_supported": []string{"RS256"}}
	case "/keys":
		f.jwksHits++
		body = map[string]any{"keys": f.keys}
	case "/huge":
		f.mu.Unlock()
		_, _ = w.Write([]byte(`{"keys":[` + strings.Repeat(" ", 1<<20) + `]}`))
		return
	case "/html":
		f.mu.Unlock()
		_, _ = w.Write([]byte(`<html>sign in</html>`))
		return
	default:
		f.mu.Unlock()
		http.NotFound(w, r)
		return
	}
	status, gate := f.status, f.gate
	f.mu.Unlock()
	if gate != nil && r.URL.Path == "/keys" {
		select {
		case <-gate:
		case <-r.Context().Done():
			return
		}
	}
	if status != 0 {
		w.WriteHeader(status)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(body)
}

func (f *fakeIdP) publish(signers ...signer) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.keys = nil
	for _, s := range signers {
		f.keys = append(f.keys, s.jwk())
	}
}

func (f *fakeIdP) set(fn func(f *fakeIdP)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	fn(f)
}

// hits returns (discovery, key set) request counts.
func (f *fakeIdP) hits() (int, int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.discoveryHits, f.jwksHits
}

const audience = "api://default"

// env is a verifier wired to a fake IdP.
type env struct {
	idp      *fakeIdP
	issuer   string
	now      func() time.Time
	clock    *clocktest.Clock // nil under synctest
	verifier *oidc.Verifier
	// default signers, all published unless a test changes that
	rsa, ec signer
}

// newLoopbackEnv serves the IdP on 127.0.0.1 and drives the verifier with
// a settable clock. cfg and opts edit the defaults before New.
func newLoopbackEnv(t testing.TB, cfg func(*oidc.Config), opts func(*oidc.Options)) *env {
	t.Helper()
	idp := &fakeIdP{}
	srv := httptest.NewServer(idp)
	t.Cleanup(srv.Close)
	idp.base = srv.URL
	clk := clocktest.New(time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC))
	e := newEnv(t, idp, srv.URL, srv.Client(), clk.Now, cfg, opts)
	e.clock = clk
	return e
}

// newInProcessEnv serves the IdP on the caller's goroutine without a
// network, for synctest bubbles and the fuzzer; the verifier uses the
// real (or bubble's) clock unless opts sets one.
func newInProcessEnv(t testing.TB, cfg func(*oidc.Config), opts func(*oidc.Options)) *env {
	t.Helper()
	const base = "https://idp.example.test/oauth2/default"
	idp := &fakeIdP{base: base}
	client := &http.Client{Transport: inProcess{strip: "/oauth2/default", h: idp}}
	return newEnv(t, idp, base, client, time.Now, cfg, opts)
}

func newEnv(t testing.TB, idp *fakeIdP, issuer string, client *http.Client, now func() time.Time, cfg func(*oidc.Config), opts func(*oidc.Options)) *env {
	t.Helper()
	e := &env{idp: idp, issuer: issuer, now: now, rsa: rsaSigner("rsa-1", "rsa-a"), ec: ecSigner("ec-1", "ec-a")}
	idp.publish(e.rsa, e.ec)
	c := oidc.Config{Issuer: issuer, Audiences: []string{audience}}
	if cfg != nil {
		cfg(&c)
	}
	o := oidc.Options{HTTPClient: client, Now: now}
	if opts != nil {
		opts(&o)
	}
	if o.Now == nil {
		o.Now = now
	} else {
		e.now = o.Now
	}
	v, err := oidc.New(c, &o)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	e.verifier = v
	return e
}

// claims returns valid claims for the env's issuer and clock.
func (e *env) claims() map[string]any {
	now := e.now().Unix()
	return map[string]any{
		"iss": e.issuer, "aud": audience, "sub": "00u1abcd", "email": "alice@example.com",
		"iat": now, "nbf": now, "exp": now + 3600,
	}
}

// token signs valid claims with s after edit has changed header or claims.
func (e *env) token(t testing.TB, s signer, edit func(h, c map[string]any)) string {
	t.Helper()
	h := map[string]any{"alg": s.alg, "kid": s.kid, "typ": "JWT"}
	c := e.claims()
	if edit != nil {
		edit(h, c)
	}
	return sign(t, s.key, nil, h, c)
}

// inProcess serves requests with h on the caller's goroutine, with strip
// removed from the path; real sockets do not count as durably blocked
// inside a synctest bubble.
type inProcess struct {
	strip string
	h     http.Handler
}

func (p inProcess) RoundTrip(req *http.Request) (*http.Response, error) {
	r := req.Clone(req.Context())
	r.URL.Path = strings.TrimPrefix(req.URL.Path, p.strip)
	rec := httptest.NewRecorder()
	p.h.ServeHTTP(rec, r)
	if err := req.Context().Err(); err != nil {
		return nil, err
	}
	return rec.Result(), nil
}

// rsaPublicPEM is the PEM of an RSA public key: what an alg-confusion
// attacker uses as the HMAC secret.
func rsaPublicPEM(t testing.TB, s signer) []byte {
	t.Helper()
	der, err := x509.MarshalPKIXPublicKey(s.key.Public())
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
}
