package app

// Identity: the key store, the warm-container cache of key lookups and the
// OIDC verifier. They are built once per process, not per config
// generation: the embedded store's file is locked by the process that
// opens it, the cache must see every invalidation, and the verifier keeps
// the issuer's key set.
//
// Environment:
//   - TOLLGATE_STORE: "embedded" (default) or "dynamodb".
//   - TOLLGATE_DATA_DIR: the embedded store's directory (default .tollgate).
//   - TOLLGATE_STATE_TABLE, TOLLGATE_SPEND_TABLE, TOLLGATE_CACHE_TABLE: the
//     DynamoDB tables (AWS_ENDPOINT_URL_DYNAMODB is honoured by the SDK).
//   - TOLLGATE_KEY_CACHE_TTL: how long a key lookup is reused in a warm
//     container (Go duration, default 5s; 0 or "off" disables the cache).
//     A key revoked or blocked in another container is refused here within
//     this bound; in the same container at once.
//   - OKTA_ISSUER, OKTA_AUDIENCE: turn on OIDC JWT authentication.
//   - JWT_AUDIENCE: the accepted audiences (comma-separated) when the config
//     sets general_settings.enable_jwt_auth, as in LiteLLM; OKTA_AUDIENCE
//     otherwise. The issuer is always OKTA_ISSUER (LiteLLM's
//     JWT_PUBLIC_KEY_URL names a key set, not an issuer, and is not read).
//
// general_settings.enable_jwt_auth with litellm_jwtauth adds LiteLLM's role
// mapping (admin_jwt_scope, or roles_jwt_field with role_mappings) to the
// OIDC configuration; see jwtConfig.
//
// The store opens on first use (the first virtual key, JWT user or
// management call), so a gateway used only with the master key never
// touches it, and a store that cannot be opened answers 503 on those
// requests instead of failing start-up.

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"reflect"
	"strings"
	"sync"
	"time"

	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/tollgate-gw/tollgate/internal/auth"
	"github.com/tollgate-gw/tollgate/internal/auth/oidc"
	"github.com/tollgate-gw/tollgate/internal/config"
	"github.com/tollgate-gw/tollgate/internal/env"
	"github.com/tollgate-gw/tollgate/internal/httpapi"
	"github.com/tollgate-gw/tollgate/internal/ratelimit"
	"github.com/tollgate-gw/tollgate/internal/store"
	"github.com/tollgate-gw/tollgate/internal/store/dynamo"
	"github.com/tollgate-gw/tollgate/internal/store/embedded"
	"github.com/tollgate-gw/tollgate/internal/tenancy"
)

// Environment variables identity reads (through internal/env), named in
// its errors.
const (
	envStore         = "TOLLGATE_STORE"
	envKeyCacheTTL   = "TOLLGATE_KEY_CACHE_TTL"
	defaultLocalData = ".tollgate"
)

// identity is the process-wide authentication and tenancy state.
type identity struct {
	// store opens on first use (store.Lazy).
	store *store.Store
	// storeKind is "embedded" or "dynamodb", as /health/readiness reports it.
	storeKind string
	keys      *auth.Keys
	jwt       *oidc.Verifier // from the environment alone; nil: JWTs are refused
	env       env.Env
	logger    *slog.Logger
	// later settles calls past their handlers in a long-lived server;
	// nil under Lambda (Options.LongLived).
	later *later

	// fileJWT is the verifier built for general_settings.enable_jwt_auth;
	// it is kept while generations configure it the same way, so a reload
	// does not drop the issuer's key set.
	fileMu     sync.Mutex
	fileJWTCfg oidc.Config
	fileJWT    *oidc.Verifier
}

// newIdentity builds the identity e describes; it does no I/O.
func newIdentity(e env.Env, logger *slog.Logger) (*identity, error) {
	ttl := auth.DefaultKeyCacheTTL
	switch v := e.KeyCacheTTL; v {
	case "":
	case "off", "0":
		ttl = -1
	default:
		d, err := time.ParseDuration(v)
		if err != nil || d < 0 {
			return nil, fmt.Errorf("%s=%q: want a duration such as 5s, or off", envKeyCacheTTL, v)
		}
		ttl = d
		if d == 0 {
			ttl = -1
		}
	}
	var open func(context.Context) (store.Driver, error)
	var kind string
	switch kind = e.Store; kind {
	case "", "embedded":
		dir := e.DataDir
		if dir == "" {
			dir = defaultLocalData
		}
		kind = "embedded"
		open = func(context.Context) (store.Driver, error) {
			d, err := embedded.OpenDriver(dir, &embedded.Options{Logger: logger})
			if err != nil {
				return nil, fmt.Errorf("opening the embedded store in %s: %w", dir, err)
			}
			return d, nil
		}
	case "dynamodb":
		tables := dynamo.Tables{State: e.StateTable, Spend: e.SpendTable, Cache: e.CacheTable}
		if err := tables.Check(); err != nil {
			return nil, err
		}
		open = func(ctx context.Context) (store.Driver, error) {
			cfg, err := awsconfig.LoadDefaultConfig(ctx)
			if err != nil {
				return nil, fmt.Errorf("opening the DynamoDB table %s: loading the AWS configuration: %w", tables.State, err)
			}
			return dynamo.NewDriver(dynamodb.NewFromConfig(cfg), tables, nil), nil
		}
	default:
		return nil, fmt.Errorf("%s=%q: want embedded or dynamodb", envStore, kind)
	}
	st := store.New(store.Lazy(open), nil)
	id := &identity{store: st, storeKind: kind, keys: auth.NewKeys(st, &auth.KeysOptions{TTL: ttl}), env: e, logger: logger}
	if cfg, ok := oidc.EnvConfig(e.OktaIssuer, e.OktaAudience); ok {
		v, err := oidc.New(cfg, &oidc.Options{Logger: logger})
		if errors.Is(err, oidc.ErrNoAudience) {
			return nil, fmt.Errorf("OKTA_ISSUER is set but OKTA_AUDIENCE is empty: %w", err)
		}
		if err != nil {
			return nil, fmt.Errorf("OKTA_ISSUER/OKTA_AUDIENCE: %w", err)
		}
		id.jwt = v
		logger.Info("JWT authentication on", slog.String("issuer", v.Issuer()))
	}
	return id, nil
}

// generationParts are the parts of one generation the identity builds.
type generationParts struct {
	authn  *auth.Authenticator
	models *tenancy.Models
	limits *ratelimit.Limiter
	mgmt   *management
}

// wire builds one generation's authenticator, model access, limiter and
// management routes from the process-wide identity.
// stored is nil unless general_settings.store_model_in_db is on.
func (id *identity) wire(cfg *config.Config, master *auth.MasterKey, maxBody int64, stored *tenancy.StoredModels) (*generationParts, error) {
	jwt, err := id.verifier(cfg.General)
	if err != nil {
		return nil, err
	}
	defaults := tenancy.DefaultsFromConfig(cfg)
	authn := auth.NewAuthenticator(master, jwt, id.keys,
		&auth.UserDefaults{Role: auth.Role(defaults.Role), Limits: defaults.Limits})
	models := tenancy.NewModels(cfg.ModelList)
	limits, err := id.limiter(cfg)
	if err != nil {
		return nil, err
	}
	svc := tenancy.New(id.store, models, &tenancy.Options{Invalidate: id.keys, Defaults: defaults,
		ProxyBudget: tenancy.ProxyBudgetFromConfig(cfg), Stored: stored})
	return &generationParts{authn: authn, models: models, limits: limits, mgmt: &management{
		api:   &httpapi.Management{Service: svc, Auth: authn, MaxBodyBytes: maxBody},
		spend: &httpapi.SpendRoutes{Service: svc, Auth: authn},
	}}, nil
}

// verifier returns the JWT verifier for a generation: the environment's,
// unless the config sets enable_jwt_auth. A JWT configuration that cannot be
// used is a config error: it refuses the start (or, on a reload, keeps the
// previous config serving), never a gateway that quietly refuses every token.
func (id *identity) verifier(g config.GeneralSettings) (auth.TokenVerifier, error) {
	if g.EnableJWTAuth == nil || !*g.EnableJWTAuth {
		if id.jwt == nil {
			return nil, nil
		}
		return id.jwt, nil
	}
	c, err := jwtConfig(g, id.env)
	if err != nil {
		return nil, fmt.Errorf("general_settings.enable_jwt_auth: %w", err)
	}
	id.fileMu.Lock()
	defer id.fileMu.Unlock()
	if id.fileJWT != nil && reflect.DeepEqual(c, id.fileJWTCfg) {
		return id.fileJWT, nil
	}
	v, err := oidc.New(c, &oidc.Options{Logger: id.logger})
	if err != nil {
		return nil, fmt.Errorf("general_settings.enable_jwt_auth: %w", err)
	}
	id.fileJWTCfg, id.fileJWT = c, v
	id.logger.Info("JWT authentication on", slog.String("issuer", v.Issuer()), slog.String("from", "general_settings"))
	return v, nil
}

// jwtConfig is the OIDC configuration for general_settings.enable_jwt_auth:
// the issuer from OKTA_ISSUER, the audiences from JWT_AUDIENCE (else
// OKTA_AUDIENCE; one of them is required), and the role mapping from
// litellm_jwtauth. As in LiteLLM, a token whose scope claim holds
// admin_jwt_scope (default litellm_proxy_admin) is a proxy_admin, unless
// roles_jwt_field and role_mappings map roles instead.
func jwtConfig(g config.GeneralSettings, e env.Env) (oidc.Config, error) {
	c, ok := oidc.EnvConfig(e.OktaIssuer, e.OktaAudience)
	if !ok {
		msg := "general_settings.enable_jwt_auth: set OKTA_ISSUER to the tokens' issuer"
		if e.JWTPublicKeyURL != "" {
			msg += " (JWT_PUBLIC_KEY_URL names a key set, not an issuer, and is not read)"
		}
		return oidc.Config{}, fmt.Errorf("%s", msg)
	}
	if v := e.JWTAudience; v != "" {
		c.Audiences = nil
		for a := range strings.SplitSeq(v, ",") {
			if a = strings.TrimSpace(a); a != "" {
				c.Audiences = append(c.Audiences, a)
			}
		}
	}
	if len(c.Audiences) == 0 {
		return oidc.Config{}, fmt.Errorf("general_settings.enable_jwt_auth: set JWT_AUDIENCE or OKTA_AUDIENCE: %w", oidc.ErrNoAudience)
	}
	j := g.JWTAuth
	switch {
	case j.RolesJWTField != "" && j.AdminJWTScope != "":
		return oidc.Config{}, fmt.Errorf("general_settings.litellm_jwtauth: set admin_jwt_scope or roles_jwt_field, not both")
	case j.RolesJWTField == "" && len(j.RoleMappings) > 0:
		return oidc.Config{}, fmt.Errorf("general_settings.litellm_jwtauth.role_mappings needs roles_jwt_field, the claim they read")
	case j.RolesJWTField != "":
		c.Roles.Claim = j.RolesJWTField
		for _, m := range j.RoleMappings {
			switch oidc.Role(m.InternalRole) {
			case oidc.RoleProxyAdmin:
				c.Roles.Admin = append(c.Roles.Admin, m.Role)
			case oidc.RoleProxyAdminViewer:
				c.Roles.AdminViewer = append(c.Roles.AdminViewer, m.Role)
			}
		}
	default:
		scope := j.AdminJWTScope
		if scope == "" {
			scope = config.DefaultAdminJWTScope
		}
		c.Roles = oidc.RoleMapping{Claim: "scope", Admin: []string{scope}}
	}
	return c, nil
}

func (id *identity) close() error {
	if id == nil {
		return nil
	}
	id.later.wait() // the settles still running need the store
	return id.store.Close()
}
