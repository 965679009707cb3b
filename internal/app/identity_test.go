package app

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"

	"github.com/tollgate-gw/tollgate/internal/auth"
	"github.com/tollgate-gw/tollgate/internal/auth/oidc"
	"github.com/tollgate-gw/tollgate/internal/config"
	"github.com/tollgate-gw/tollgate/internal/env"
	"github.com/tollgate-gw/tollgate/internal/store"
)

const idMaster = "sk-identity-test-master"

// TestVirtualKeysThroughTheGateway drives the whole app (local config,
// each store backend): keys made through the management API are used with
// the official OpenAI SDK.
func TestVirtualKeysThroughTheGateway(t *testing.T) {
	forEachStore(t, testVirtualKeysThroughTheGateway)
}

func testVirtualKeysThroughTheGateway(t *testing.T, newStoreEnv func(*testing.T) map[string]string) {
	env := newStoreEnv(t)
	a := startLocalApp(t, env, Options{})
	gw := a.gw

	post := func(key, path, body string) (int, string) {
		t.Helper()
		return call(t, gw.URL, "POST", path, key, body)
	}
	status, body := post(idMaster, "/user/new", `{"user_id":"u1","models":["gpt-4o-mini","fake-echo"],"max_parallel_requests":3,"model_tpm_limit":{"fake-echo":100}}`)
	if status != 200 || !strings.Contains(body, `"max_parallel_requests":3`) || !strings.Contains(body, `"model_tpm_limit":{"fake-echo":100}`) {
		t.Fatalf("/user/new: %d %s", status, body)
	}
	key := between(body, `"key":"`, `"`)
	client := func(k string) openai.Client {
		return openai.NewClient(option.WithBaseURL(gw.URL+"/v1/"), option.WithAPIKey(k), option.WithMaxRetries(0))
	}
	chat := func(k, model string) error {
		c := client(k)
		_, err := c.Chat.Completions.New(context.Background(), openai.ChatCompletionNewParams{
			Model: model, Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("hi")}})
		return err
	}
	apiErr := func(err error) *openai.Error {
		t.Helper()
		var e *openai.Error
		if !errors.As(err, &e) {
			t.Fatalf("want an API error, got %v", err)
		}
		return e
	}

	if err := chat(key, "fake-echo"); err != nil {
		t.Fatalf("a generated key: %v", err)
	}
	c := client(key)
	page, err := c.Models.List(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, m := range page.Data {
		ids = append(ids, m.ID)
	}
	if slices.Sort(ids); !slices.Equal(ids, []string{"fake-echo", "gpt-4o-mini"}) {
		t.Errorf("/v1/models for the key: %v", ids)
	}
	if e := apiErr(chat(key, "claude-3-haiku")); e.StatusCode != 403 || !strings.Contains(e.Message, `"claude-3-haiku"`) {
		t.Errorf("model outside the key's user: %d %q", e.StatusCode, e.Message)
	}

	// A key narrower than its user: the narrowest list wins.
	status, body = post(key, "/key/generate", `{"models":["gpt-4o-mini"]}`)
	if status != 200 {
		t.Fatalf("/key/generate: %d %s", status, body)
	}
	narrow := between(body, `"key":"`, `"`)
	if e := apiErr(chat(narrow, "fake-echo")); e.StatusCode != 403 || !strings.Contains(e.Message, `"fake-echo" is not allowed for this key`) {
		t.Errorf("model outside the key's own list: %d %q", e.StatusCode, e.Message)
	}
	if err := chat(narrow, "gpt-4o-mini"); err != nil {
		t.Errorf("narrow key on its model: %v", err)
	}

	// Blocking takes effect at once in this container (the cache entry of
	// the warm key is dropped), and unblocking too.
	if status, body = post(idMaster, "/key/block", `{"key":"`+key+`"}`); status != 200 {
		t.Fatalf("/key/block: %d %s", status, body)
	}
	if e := apiErr(chat(key, "fake-echo")); e.StatusCode != 401 || !strings.Contains(e.Message, "is blocked") {
		t.Errorf("blocked key: %d %q", e.StatusCode, e.Message)
	}
	if status, body = post(idMaster, "/key/unblock", `{"key":"`+key+`"}`); status != 200 {
		t.Fatalf("/key/unblock: %d %s", status, body)
	}
	if err := chat(key, "fake-echo"); err != nil {
		t.Errorf("unblocked key: %v", err)
	}

	// An expired key, planted with an end in the past.
	st := a.rt.identity.store
	expired := auth.NewKey()
	past := time.Now().Add(-time.Hour)
	if err := st.CreateKey(context.Background(), &store.Key{Hash: store.HashKey(expired), KeyName: store.KeyName(expired), UserID: "u1", Expires: &past}); err != nil {
		t.Fatal(err)
	}
	if e := apiErr(chat(expired, "fake-echo")); e.StatusCode != 401 || !strings.Contains(e.Message, "expired at") {
		t.Errorf("expired key: %d %q", e.StatusCode, e.Message)
	}

	// Regenerating: the old plaintext stops at once, the new one works.
	status, body = post(key, "/key/regenerate", `{"key":"`+key+`"}`)
	if status != 200 {
		t.Fatalf("/key/regenerate: %d %s", status, body)
	}
	if e := apiErr(chat(key, "fake-echo")); e.StatusCode != 401 {
		t.Errorf("old plaintext after regenerate: %d", e.StatusCode)
	}
	if err := chat(between(body, `"key":"`, `"`), "fake-echo"); err != nil {
		t.Errorf("regenerated key: %v", err)
	}

	// /model/info shows deployments without secrets; a key that is not a
	// key at all never reaches the store.
	req, _ := http.NewRequest("GET", gw.URL+"/v1/model/info", nil)
	req.Header.Set("Authorization", "Bearer "+idMaster)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(b), `"model_name":"gpt-4o-mini"`) || strings.Contains(string(b), "api_key") {
		t.Errorf("/v1/model/info: %d %s", resp.StatusCode, b)
	}
	if e := apiErr(chat("sk-not-a-real-key", "fake-echo")); e.StatusCode != 401 {
		t.Errorf("junk key: %d", e.StatusCode)
	}
}

func between(s, from, to string) string {
	_, rest, ok := strings.Cut(s, from)
	if !ok {
		return ""
	}
	v, _, _ := strings.Cut(rest, to)
	return v
}

// loopbackIdP is an OIDC issuer on a loopback port: a discovery document
// and a key set holding one ES256 key.
type loopbackIdP struct {
	url string
	key *ecdsa.PrivateKey
}

func newLoopbackIdP(t *testing.T) *loopbackIdP {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	idp := &loopbackIdP{key: key}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		_ = json.NewEncoder(w).Encode(map[string]string{"issuer": idp.url, "jwks_uri": idp.url + "/keys"})
	})
	mux.HandleFunc("GET /keys", func(w http.ResponseWriter, r *http.Request) {
		b64 := base64.RawURLEncoding.EncodeToString
		// An uncompressed point is 0x04 || X || Y, 32 bytes each for P-256.
		point, err := key.PublicKey.Bytes()
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		_ = json.NewEncoder(w).Encode(map[string]any{"keys": []map[string]string{{
			"kty": "EC", "crv": "P-256", "kid": "k1", "alg": "ES256", "use": "sig",
			"x": b64(point[1:33]), "y": b64(point[33:65]),
		}}})
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	idp.url = srv.URL
	return idp
}

// token signs claims over defaults (this issuer, an hour to live).
func (idp *loopbackIdP) token(t *testing.T, claims map[string]any) string {
	t.Helper()
	c := map[string]any{"iss": idp.url, "exp": time.Now().Add(time.Hour).Unix(), "iat": time.Now().Unix()}
	for k, v := range claims {
		c[k] = v
	}
	enc := func(v any) string {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		return base64.RawURLEncoding.EncodeToString(b)
	}
	input := enc(map[string]string{"alg": "ES256", "kid": "k1", "typ": "JWT"}) + "." + enc(c)
	sum := sha256.Sum256([]byte(input))
	r, s, err := ecdsa.Sign(rand.Reader, idp.key, sum[:])
	if err != nil {
		t.Fatal(err)
	}
	sig := append(r.FillBytes(make([]byte, 32)), s.FillBytes(make([]byte, 32))...)
	return input + "." + base64.RawURLEncoding.EncodeToString(sig)
}

// TestJWTAuthFromConfig: general_settings.enable_jwt_auth with
// litellm_jwtauth, written as LiteLLM users write it, authenticates JWTs
// from the issuer OKTA_ISSUER names, for the audience JWT_AUDIENCE names;
// admin_jwt_scope grants proxy_admin. It runs against each store backend
// (a JWT caller's user record is looked up in the store).
func TestJWTAuthFromConfig(t *testing.T) {
	forEachStore(t, testJWTAuthFromConfig)
}

func testJWTAuthFromConfig(t *testing.T, newStoreEnv func(*testing.T) map[string]string) {
	idp := newLoopbackIdP(t)
	settings := filepath.Join(t.TempDir(), "jwt.yaml")
	if err := os.WriteFile(settings, []byte(`general_settings:
  enable_jwt_auth: true
  litellm_jwtauth:
    user_id_jwt_field: sub
    admin_jwt_scope: gateway_admin
litellm_settings:
  max_internal_user_budget: 10
`), 0o600); err != nil {
		t.Fatal(err)
	}
	env := newStoreEnv(t)
	env["TOLLGATE_MASTER_KEY"] = idMaster
	env["OKTA_ISSUER"] = idp.url
	env["OKTA_AUDIENCE"] = "okta-audience"
	env["JWT_AUDIENCE"] = "tollgate-test"
	a := startLocalApp(t, env, Options{ConfigPaths: []string{localConfig, settings}})
	for _, n := range a.Config.Notices {
		if strings.Contains(n.Path, "jwt") {
			t.Errorf("notice for an honoured key: %+v", n)
		}
	}
	gw := a.gw

	cases := []struct {
		name        string
		claims      map[string]any
		chat        int // status of a chat completion (200: it succeeds)
		userNew     int // status of POST /user/new
		errContains string
	}{
		{"member", map[string]any{"sub": "alice", "aud": "tollgate-test", "scope": "openid email"}, 200, 403, ""},
		{"admin by admin_jwt_scope", map[string]any{"sub": "root", "aud": []string{"x", "tollgate-test"}, "scope": "openid gateway_admin"}, 200, 200, ""},
		{"LiteLLM's default admin scope is not the configured one", map[string]any{"sub": "bob", "aud": "tollgate-test", "scope": "litellm_proxy_admin"}, 200, 403, ""},
		{"OKTA_AUDIENCE is not JWT_AUDIENCE", map[string]any{"sub": "carol", "aud": "okta-audience"}, 401, 401, "aud"},
		{"foreign issuer", map[string]any{"sub": "dave", "aud": "tollgate-test", "iss": "http://127.0.0.1:1"}, 401, 401, "iss"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tok := idp.token(t, c.claims)
			cl := openai.NewClient(option.WithBaseURL(gw.URL+"/v1/"), option.WithAPIKey(tok), option.WithMaxRetries(0))
			_, err := cl.Chat.Completions.New(context.Background(), openai.ChatCompletionNewParams{
				Model: "fake-echo", Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("hi")}})
			var e *openai.Error
			switch {
			case c.chat == 200 && err != nil:
				t.Errorf("chat: %v", err)
			case c.chat != 200 && (!errors.As(err, &e) || e.StatusCode != c.chat || !strings.Contains(e.Message, c.errContains)):
				t.Errorf("chat: %v, want %d mentioning %q", err, c.chat, c.errContains)
			}
			req, _ := http.NewRequest("POST", gw.URL+"/user/new", strings.NewReader(`{"user_id":"made-by-`+c.claims["sub"].(string)+`"}`))
			req.Header.Set("Authorization", "Bearer "+tok)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != c.userNew {
				t.Errorf("/user/new: %d %s, want %d", resp.StatusCode, b, c.userNew)
			}
		})
	}
}

// TestIssuerWithoutAudience: OKTA_ISSUER without OKTA_AUDIENCE refuses the
// start, naming both; there is no api://default fallback.
func TestIssuerWithoutAudience(t *testing.T) {
	vars := map[string]string{"TOLLGATE_DATA_DIR": t.TempDir(), "OKTA_ISSUER": "https://idp.example.com", "OKTA_AUDIENCE": " , "}
	_, err := newIdentity(env.Read(func(k string) (string, bool) { v, ok := vars[k]; return v, ok }), slog.New(slog.DiscardHandler))
	if !errors.Is(err, oidc.ErrNoAudience) || !strings.Contains(err.Error(), "OKTA_ISSUER is set but OKTA_AUDIENCE is empty") {
		t.Fatalf("newIdentity = %v, want a refusal naming OKTA_AUDIENCE", err)
	}
}

func TestJWTConfig(t *testing.T) {
	on := true
	base := map[string]string{"OKTA_ISSUER": "https://idp.example.com/oauth2/default", "OKTA_AUDIENCE": "api://tollgate"}
	cases := []struct {
		name    string
		env     map[string]string
		jwt     config.JWTAuthSettings
		want    oidc.Config
		wantErr string
	}{
		{"LiteLLM's defaults", base, config.JWTAuthSettings{},
			oidc.Config{Issuer: base["OKTA_ISSUER"], Audiences: []string{"api://tollgate"},
				Roles: oidc.RoleMapping{Claim: "scope", Admin: []string{"litellm_proxy_admin"}}}, ""},
		{"JWT_AUDIENCE over OKTA_AUDIENCE", map[string]string{"OKTA_ISSUER": base["OKTA_ISSUER"], "OKTA_AUDIENCE": "a", "JWT_AUDIENCE": "b, c"},
			config.JWTAuthSettings{AdminJWTScope: "admins", UserIDJWTField: "sub"},
			oidc.Config{Issuer: base["OKTA_ISSUER"], Audiences: []string{"b", "c"},
				Roles: oidc.RoleMapping{Claim: "scope", Admin: []string{"admins"}}}, ""},
		{"OKTA_AUDIENCE alone", map[string]string{"OKTA_ISSUER": base["OKTA_ISSUER"], "OKTA_AUDIENCE": "a"}, config.JWTAuthSettings{},
			oidc.Config{Issuer: base["OKTA_ISSUER"], Audiences: []string{"a"},
				Roles: oidc.RoleMapping{Claim: "scope", Admin: []string{"litellm_proxy_admin"}}}, ""},
		{"role mappings", base, config.JWTAuthSettings{RolesJWTField: "realm_access.roles", RoleMappings: []config.JWTRoleMapping{
			{Role: "ops", InternalRole: "proxy_admin"}, {Role: "audit", InternalRole: "proxy_admin_viewer"},
			{Role: "staff", InternalRole: "internal_user"}, {Role: "sre", InternalRole: "proxy_admin"}}},
			oidc.Config{Issuer: base["OKTA_ISSUER"], Audiences: []string{"api://tollgate"},
				Roles: oidc.RoleMapping{Claim: "realm_access.roles", Admin: []string{"ops", "sre"}, AdminViewer: []string{"audit"}}}, ""},
		{"no audience: no default", map[string]string{"OKTA_ISSUER": base["OKTA_ISSUER"]}, config.JWTAuthSettings{},
			oidc.Config{}, "set JWT_AUDIENCE or OKTA_AUDIENCE: oidc: no audience configured"},
		{"no issuer", map[string]string{"JWT_PUBLIC_KEY_URL": "https://idp.example.com/keys"}, config.JWTAuthSettings{},
			oidc.Config{}, "OKTA_ISSUER"},
		{"scope and roles claim both", base, config.JWTAuthSettings{AdminJWTScope: "a", RolesJWTField: "groups"},
			oidc.Config{}, "not both"},
		{"mappings without a claim", base, config.JWTAuthSettings{RoleMappings: []config.JWTRoleMapping{{Role: "ops", InternalRole: "proxy_admin"}}},
			oidc.Config{}, "needs roles_jwt_field"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := jwtConfig(config.GeneralSettings{EnableJWTAuth: &on, JWTAuth: c.jwt},
				env.Read(func(k string) (string, bool) { v, ok := c.env[k]; return v, ok }))
			if c.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), c.wantErr) {
					t.Fatalf("error %v, want one mentioning %q", err, c.wantErr)
				}
				return
			}
			if err != nil || !reflect.DeepEqual(got, c.want) {
				t.Errorf("got %+v, %v; want %+v", got, err, c.want)
			}
		})
	}
}

// TestJWTAuthSettingsDecode: litellm_jwtauth keys decode into the typed
// settings; what the verifier cannot do is reported, never dropped.
func TestJWTAuthSettingsDecode(t *testing.T) {
	const head = "model_list: []\ngeneral_settings:\n  enable_jwt_auth: true\n  litellm_jwtauth:\n"
	cases := []struct {
		name        string
		body        string
		want        config.JWTAuthSettings
		wantNotices []string // paths of not-yet notices
		wantErr     string
	}{
		{"honoured keys", "    user_id_jwt_field: sub\n    user_email_jwt_field: email\n    roles_jwt_field: groups\n" +
			"    role_mappings:\n      - {role: ops, internal_role: proxy_admin}\n      - {role: audit, internal_role: proxy_admin_viewer}\n",
			config.JWTAuthSettings{UserIDJWTField: "sub", UserEmailJWTField: "email", RolesJWTField: "groups",
				RoleMappings: []config.JWTRoleMapping{{Role: "ops", InternalRole: "proxy_admin"}, {Role: "audit", InternalRole: "proxy_admin_viewer"}}},
			nil, ""},
		{"not yet", "    admin_jwt_scope: admins\n    user_id_jwt_field: oid\n    team_id_jwt_field: client_id\n    public_key_ttl: 600\n",
			config.JWTAuthSettings{AdminJWTScope: "admins", UserIDJWTField: "oid"},
			[]string{"general_settings.litellm_jwtauth.public_key_ttl", "general_settings.litellm_jwtauth.team_id_jwt_field",
				"general_settings.litellm_jwtauth.user_id_jwt_field"}, ""},
		{"a role with no counterpart", "    roles_jwt_field: groups\n    role_mappings:\n      - {role: t, internal_role: team}\n",
			config.JWTAuthSettings{}, nil, `role "team" is not supported`},
		{"a typo", "    admin_jwt_scopes: admins\n", config.JWTAuthSettings{}, nil, "admin_jwt_scopes"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg, err := config.Parse("config.yaml", []byte(head+c.body), &config.LoadOptions{LookupEnv: func(string) (string, bool) { return "", false }})
			if c.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), c.wantErr) {
					t.Fatalf("error %v, want one mentioning %q", err, c.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(cfg.General.JWTAuth, c.want) {
				t.Errorf("decoded %+v, want %+v", cfg.General.JWTAuth, c.want)
			}
			var got []string
			for _, n := range cfg.Notices {
				if n.Kind == config.NotYet {
					got = append(got, n.Path)
				}
			}
			slices.Sort(got)
			if !slices.Equal(got, c.wantNotices) {
				t.Errorf("not-yet notices %v, want %v", got, c.wantNotices)
			}
		})
	}
}

// TestJWTVerifierPerGeneration: a generation with the same JWT settings
// keeps the verifier (and its key set); an unusable configuration is a config
// error; without enable_jwt_auth the environment's verifier serves.
func TestJWTVerifierPerGeneration(t *testing.T) {
	on, off := true, false
	logger := slog.New(slog.DiscardHandler)
	vars := map[string]string{"TOLLGATE_DATA_DIR": t.TempDir(), "OKTA_ISSUER": "https://idp.example.com", "OKTA_AUDIENCE": "api://tollgate"}
	id, err := newIdentity(env.Read(func(k string) (string, bool) { v, ok := vars[k]; return v, ok }), logger)
	if err != nil {
		t.Fatal(err)
	}
	verifier := func(g config.GeneralSettings) auth.TokenVerifier {
		t.Helper()
		v, err := id.verifier(g)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	g := config.GeneralSettings{EnableJWTAuth: &on, JWTAuth: config.JWTAuthSettings{AdminJWTScope: "a"}}
	v1, v2 := verifier(g), verifier(g)
	if _, ok := v1.(*oidc.Verifier); !ok || v1 != v2 {
		t.Errorf("same settings: %T %p and %p, want one *oidc.Verifier", v1, v1, v2)
	}
	g.JWTAuth.AdminJWTScope = "b"
	if v3 := verifier(g); v3 == v1 {
		t.Error("changed settings kept the old verifier")
	}
	if v := verifier(config.GeneralSettings{EnableJWTAuth: &off}); v != auth.TokenVerifier(id.jwt) {
		t.Errorf("enable_jwt_auth false: %T, want the environment's verifier", v)
	}
	g.JWTAuth.RolesJWTField = "groups" // with admin_jwt_scope: unusable
	if _, err := id.verifier(g); err == nil || !strings.Contains(err.Error(), "not both") {
		t.Errorf("unusable settings: %v, want a config error saying what to fix", err)
	}
	bare, err := newIdentity(env.Env{}, logger)
	if err != nil {
		t.Fatal(err)
	}
	if v, err := bare.verifier(config.GeneralSettings{}); v != nil || err != nil {
		t.Errorf("no JWT settings at all: %T %v, want nil", v, err)
	}
}
