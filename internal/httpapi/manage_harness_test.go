package httpapi_test

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/tollgate-gw/tollgate/internal/auth"
	"github.com/tollgate-gw/tollgate/internal/auth/oidc"
	"github.com/tollgate-gw/tollgate/internal/config"
	"github.com/tollgate-gw/tollgate/internal/httpapi"
	"github.com/tollgate-gw/tollgate/internal/store"
	"github.com/tollgate-gw/tollgate/internal/store/embedded"
	"github.com/tollgate-gw/tollgate/internal/tenancy"
)

const mgmtMaster = "sk-master-for-management-tests"

// mgmt is the management route group over an embedded store in a temp
// dir, with the combined authenticator (master key, a loopback OIDC
// issuer, virtual keys).
type mgmt struct {
	t      *testing.T
	url    string
	store  *store.Store
	svc    *tenancy.Service
	issuer *issuer
}

var mgmtDeployments = []config.Deployment{
	{ModelName: "gpt-4o", Provider: "openai", Params: config.LiteLLMParams{Model: "openai/gpt-4o"}},
	{ModelName: "gpt-4o-mini", Provider: "openai", Params: config.LiteLLMParams{Model: "openai/gpt-4o-mini"},
		Info: config.ModelInfo{AccessGroups: []string{"cheap"}}},
	{ModelName: "claude", Provider: "bedrock", Params: config.LiteLLMParams{Model: "bedrock/anthropic.claude-3-haiku",
		AWSSecretAccessKey: config.NewSecret("aws-secret-value")}},
}

func newMgmt(t *testing.T) *mgmt {
	t.Helper()
	st, err := embedded.Open(t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	iss := newIssuer(t)
	v, err := oidc.New(oidc.Config{Issuer: iss.url, Audiences: []string{"api://default"}}, &oidc.Options{HTTPClient: iss.client})
	if err != nil {
		t.Fatal(err)
	}
	keys := auth.NewKeys(st, nil)
	max := 100.0
	defaults := tenancy.Defaults{Limits: store.Limits{MaxBudget: &max, BudgetDuration: "1mo"}}
	authn := auth.NewAuthenticator(auth.NewMasterKey(mgmtMaster), v, keys, &auth.UserDefaults{Limits: defaults.Limits})
	cfg, err := config.Parse("config.yaml", []byte("model_list: []\n"), &config.LoadOptions{LookupEnv: func(string) (string, bool) { return "", false }})
	if err != nil {
		t.Fatal(err)
	}
	svc := tenancy.New(st, tenancy.NewModels(mgmtDeployments), &tenancy.Options{Invalidate: keys, Defaults: defaults,
		Stored: &tenancy.StoredModels{Parse: cfg.ParseDeployment}})
	mux := http.NewServeMux()
	(&httpapi.Management{Service: svc, Auth: authn}).Register(mux)
	(&httpapi.SpendRoutes{Service: svc, Auth: authn}).Register(mux)
	srv := httptest.NewServer(httpapi.Wrap(mux, slog.New(slog.DiscardHandler)))
	t.Cleanup(srv.Close)
	return &mgmt{t: t, url: srv.URL, store: st, svc: svc, issuer: iss}
}

// call sends a management request and returns the status and decoded
// body.
func (m *mgmt) call(key, method, path, body string) (int, map[string]any) {
	m.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, _ := http.NewRequest(method, m.url+path, rd)
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		m.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var out map[string]any
	if len(raw) > 0 && raw[0] == '{' {
		if err := json.Unmarshal(raw, &out); err != nil {
			m.t.Fatalf("%s %s: bad JSON %s", method, path, raw)
		}
	} else {
		out = map[string]any{"_raw": string(raw)}
	}
	return resp.StatusCode, out
}

// must is call that fails the test unless the status is 200.
func (m *mgmt) must(key, method, path, body string) map[string]any {
	m.t.Helper()
	st, out := m.call(key, method, path, body)
	if st != http.StatusOK {
		m.t.Fatalf("%s %s %s: status %d: %v", method, path, body, st, out)
	}
	return out
}

// newUser creates a user with a key through /user/new and returns the key.
func (m *mgmt) newUser(id, role, extra string) string {
	m.t.Helper()
	body := `{"user_id":"` + id + `","user_role":"` + role + `"` + extra + `}`
	out := m.must(mgmtMaster, "POST", "/user/new", body)
	return out["key"].(string)
}

// row is one refused (or allowed) management request of an isolation
// table: the status it must get, and what its error must say.
type row struct {
	name               string
	key                string
	method, path, body string
	status             int
	msg                string // the message must contain it
	param              string
	untouched          []string // keys that must still exist afterwards
}

// check sends the row's request and checks its status, message and param.
func (m *mgmt) check(t *testing.T, tt row) {
	t.Helper()
	m.t = t
	status, out := m.call(tt.key, tt.method, tt.path, tt.body)
	if status != tt.status {
		t.Fatalf("status %d, want %d: %v", status, tt.status, out)
	}
	if tt.msg != "" && !strings.Contains(errMessage(out), tt.msg) {
		t.Errorf("message %q does not contain %q", errMessage(out), tt.msg)
	}
	if tt.param != "" && errParam(out) != tt.param {
		t.Errorf("param %q, want %q", errParam(out), tt.param)
	}
	for _, k := range tt.untouched {
		if !m.keyExists(k) {
			t.Errorf("a refused request deleted key %s", k[:8])
		}
	}
}

func errMessage(out map[string]any) string {
	e, _ := out["error"].(map[string]any)
	s, _ := e["message"].(string)
	return s
}

func errParam(out map[string]any) string {
	e, _ := out["error"].(map[string]any)
	s, _ := e["param"].(string)
	return s
}

// issuer is a minimal loopback OIDC issuer: discovery, one RSA key, and
// RS256 tokens.
type issuer struct {
	url    string
	client *http.Client
	key    *rsa.PrivateKey
}

func newIssuer(t *testing.T) *issuer {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	iss := &issuer{key: key}
	b64 := base64.RawURLEncoding.EncodeToString
	mux := http.NewServeMux()
	mux.HandleFunc("/.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		json.NewEncoder(w).Encode(map[string]any{"issuer": iss.url, "jwks_uri": iss.url + "/keys"})
	})
	mux.HandleFunc("/keys", func(w http.ResponseWriter, r *http.Request) {
		json.NewEncoder(w).Encode(map[string]any{"keys": []map[string]any{{"kty": "RSA", "kid": "k1", "alg": "RS256", "use": "sig",
			"n": b64(key.N.Bytes()), "e": b64(big.NewInt(int64(key.E)).Bytes())}}})
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	iss.url, iss.client = srv.URL, srv.Client()
	return iss
}

// token signs a JWT for sub with the given expiry.
func (i *issuer) token(t *testing.T, sub, email string, exp time.Time) string {
	t.Helper()
	b64 := base64.RawURLEncoding.EncodeToString
	h, _ := json.Marshal(map[string]any{"alg": "RS256", "typ": "JWT", "kid": "k1"})
	c, _ := json.Marshal(map[string]any{"iss": i.url, "aud": "api://default", "sub": sub, "email": email,
		"iat": time.Now().Add(-time.Minute).Unix(), "exp": exp.Unix()})
	input := b64(h) + "." + b64(c)
	sum := sha256.Sum256([]byte(input))
	sig, err := rsa.SignPKCS1v15(rand.Reader, i.key, crypto.SHA256, sum[:])
	if err != nil {
		t.Fatal(err)
	}
	return input + "." + b64(sig)
}

// keyExists reports whether the store still holds the key.
func (m *mgmt) keyExists(plaintext string) bool {
	_, err := m.store.GetKey(context.Background(), store.HashKey(plaintext))
	return err == nil
}
