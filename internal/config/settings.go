package config

import (
	"slices"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/tollgate-gw/tollgate/internal/period"
)

// LiteLLMSettings is litellm_settings: library-wide behaviour.
type LiteLLMSettings struct {
	// DropParams drops request parameters a provider does not support
	// instead of failing the request.
	DropParams *bool `yaml:"drop_params"`
	// RequestTimeout bounds each upstream call when the deployment sets no
	// timeout.
	RequestTimeout time.Duration `yaml:"request_timeout"`
	NumRetries     *int          `yaml:"num_retries"`

	Fallbacks              Fallbacks `yaml:"fallbacks"`
	ContextWindowFallbacks Fallbacks `yaml:"context_window_fallbacks"`
	ContentPolicyFallbacks Fallbacks `yaml:"content_policy_fallbacks"`
	DefaultFallbacks       []string  `yaml:"default_fallbacks"`

	Cache       *bool       `yaml:"cache"`
	CacheParams CacheParams `yaml:"cache_params"`

	// MaxBudget is the proxy-wide budget in dollars (master key excepted).
	MaxBudget                  *float64       `yaml:"max_budget"`
	BudgetDuration             *period.Period `yaml:"budget_duration"`
	MaxInternalUserBudget      *float64       `yaml:"max_internal_user_budget"`
	InternalUserBudgetDuration *period.Period `yaml:"internal_user_budget_duration"`
	// DefaultInternalUserParams are what a new internal user gets, and what
	// a JWT caller without a user record is held to.
	DefaultInternalUserParams *DefaultUserParams `yaml:"default_internal_user_params"`
	MaxEndUserBudget          *float64           `yaml:"max_end_user_budget"`

	SuccessCallback  []string         `yaml:"success_callback"`
	FailureCallback  []string         `yaml:"failure_callback"`
	ServiceCallback  []string         `yaml:"service_callback"`
	ServiceCallbacks []string         `yaml:"service_callbacks"`
	Callbacks        []string         `yaml:"callbacks"`
	S3CallbackParams S3CallbackParams `yaml:"s3_callback_params"`

	TurnOffMessageLogging *bool `yaml:"turn_off_message_logging"`
	SetVerbose            *bool `yaml:"set_verbose"`
	JSONLogs              *bool `yaml:"json_logs"`
}

// DefaultUserParams is litellm_settings.default_internal_user_params, the
// parts Tollgate honours: the model list, budget and rate limits of a new
// internal user. Unset fields fall back to max_internal_user_budget and
// internal_user_budget_duration (budget) or to no limit.
type DefaultUserParams struct {
	UserRole            string         `yaml:"user_role"`
	Models              []string       `yaml:"models"`
	MaxBudget           *float64       `yaml:"max_budget"`
	BudgetDuration      *period.Period `yaml:"budget_duration"`
	TPMLimit            *int           `yaml:"tpm_limit"`
	RPMLimit            *int           `yaml:"rpm_limit"`
	MaxParallelRequests *int           `yaml:"max_parallel_requests"`
}

// CacheParams is litellm_settings.cache_params.
type CacheParams struct {
	// Type is LiteLLM's cache backend: local, redis, redis-semantic, s3, ...
	Type string `yaml:"type"`
	// Host, Port, Password and URL address a Redis cache.
	Host     string `yaml:"host"`
	Port     *int   `yaml:"port"`
	Password Secret `yaml:"password"`
	URL      Secret `yaml:"url"`
	// Namespace prefixes cache keys.
	Namespace string        `yaml:"namespace"`
	TTL       time.Duration `yaml:"ttl"`
	// SupportedCallTypes limits caching to these calls (acompletion,
	// aembedding, ...).
	SupportedCallTypes []string `yaml:"supported_call_types"`
	// Mode "default_off" makes caching opt-in per request.
	Mode string `yaml:"mode"`
}

// S3CallbackParams is litellm_settings.s3_callback_params (request logs to S3).
type S3CallbackParams struct {
	S3BucketName         string `yaml:"s3_bucket_name"`
	S3RegionName         string `yaml:"s3_region_name"`
	S3EndpointURL        string `yaml:"s3_endpoint_url"`
	S3Path               string `yaml:"s3_path"`
	S3AWSAccessKeyID     string `yaml:"s3_aws_access_key_id"`
	S3AWSSecretAccessKey Secret `yaml:"s3_aws_secret_access_key"`
	S3AWSSessionToken    Secret `yaml:"s3_aws_session_token"`
}

// RouterSettings is router_settings: how a model group picks a deployment.
type RouterSettings struct {
	// RoutingStrategy is simple-shuffle (default), least-busy,
	// usage-based-routing(-v2), latency-based-routing, cost-based-routing.
	RoutingStrategy     string              `yaml:"routing_strategy"`
	RoutingStrategyArgs RoutingStrategyArgs `yaml:"routing_strategy_args"`
	NumRetries          *int                `yaml:"num_retries"`
	Timeout             time.Duration       `yaml:"timeout"`
	StreamTimeout       time.Duration       `yaml:"stream_timeout"`
	RetryAfter          time.Duration       `yaml:"retry_after"`
	RetryPolicy         RetryPolicy         `yaml:"retry_policy"`
	AllowedFails        *int                `yaml:"allowed_fails"`
	AllowedFailsPolicy  AllowedFailsPolicy  `yaml:"allowed_fails_policy"`
	CooldownTime        time.Duration       `yaml:"cooldown_time"`
	DisableCooldowns    *bool               `yaml:"disable_cooldowns"`

	Fallbacks              Fallbacks `yaml:"fallbacks"`
	ContextWindowFallbacks Fallbacks `yaml:"context_window_fallbacks"`
	ContentPolicyFallbacks Fallbacks `yaml:"content_policy_fallbacks"`
	DefaultFallbacks       []string  `yaml:"default_fallbacks"`
	MaxFallbacks           *int      `yaml:"max_fallbacks"`

	// EnablePreCallChecks filters out deployments whose context window is
	// too small for the request. The misspelling enable_pre_call_check is
	// read into this field too.
	EnablePreCallChecks  *bool `yaml:"enable_pre_call_checks"`
	EnableTagFiltering   *bool `yaml:"enable_tag_filtering"`
	TagFilteringMatchAny *bool `yaml:"tag_filtering_match_any"`
	// ModelGroupAlias maps an alias to the model group it stands for.
	ModelGroupAlias map[string]ModelGroupAlias `yaml:"model_group_alias"`

	RedisHost     string `yaml:"redis_host"`
	RedisPort     *int   `yaml:"redis_port"`
	RedisPassword Secret `yaml:"redis_password"`
	RedisURL      Secret `yaml:"redis_url"`
}

// RoutingStrategyArgs is router_settings.routing_strategy_args.
type RoutingStrategyArgs struct {
	// TTL is how long latency samples count.
	TTL time.Duration `yaml:"ttl"`
	// LowestLatencyBuffer picks randomly among deployments within this
	// fraction of the lowest latency.
	LowestLatencyBuffer *float64 `yaml:"lowest_latency_buffer"`
	MaxLatencyListSize  *int     `yaml:"max_latency_list_size"`
}

// RetryPolicy is router_settings.retry_policy: retries per error class.
type RetryPolicy struct {
	BadRequestErrorRetries             *int `yaml:"BadRequestErrorRetries"`
	AuthenticationErrorRetries         *int `yaml:"AuthenticationErrorRetries"`
	TimeoutErrorRetries                *int `yaml:"TimeoutErrorRetries"`
	RateLimitErrorRetries              *int `yaml:"RateLimitErrorRetries"`
	ContentPolicyViolationErrorRetries *int `yaml:"ContentPolicyViolationErrorRetries"`
	InternalServerErrorRetries         *int `yaml:"InternalServerErrorRetries"`
}

// AllowedFailsPolicy is router_settings.allowed_fails_policy: failures per
// error class before a deployment cools down.
type AllowedFailsPolicy struct {
	BadRequestErrorAllowedFails             *int `yaml:"BadRequestErrorAllowedFails"`
	AuthenticationErrorAllowedFails         *int `yaml:"AuthenticationErrorAllowedFails"`
	TimeoutErrorAllowedFails                *int `yaml:"TimeoutErrorAllowedFails"`
	RateLimitErrorAllowedFails              *int `yaml:"RateLimitErrorAllowedFails"`
	ContentPolicyViolationErrorAllowedFails *int `yaml:"ContentPolicyViolationErrorAllowedFails"`
	InternalServerErrorAllowedFails         *int `yaml:"InternalServerErrorAllowedFails"`
}

// ModelGroupAlias is one model_group_alias entry. LiteLLM accepts a plain
// group name or {model: name, hidden: true}.
type ModelGroupAlias struct {
	Model string `yaml:"model"`
	// Hidden keeps the alias out of /v1/models.
	Hidden bool `yaml:"hidden"`
}

// GeneralSettings is general_settings: the proxy server.
type GeneralSettings struct {
	// MasterKey is the admin key; requests bearing it bypass key checks.
	MasterKey Secret `yaml:"master_key"`
	// MaxRequestSizeMB rejects larger request bodies with 413.
	MaxRequestSizeMB  *float64 `yaml:"max_request_size_mb"`
	MaxResponseSizeMB *float64 `yaml:"max_response_size_mb"`
	// DatabaseURL is LiteLLM's Postgres URL; Tollgate uses DynamoDB instead.
	DatabaseURL      Secret `yaml:"database_url"`
	DisableSpendLogs *bool  `yaml:"disable_spend_logs"`
	// SpendLogsRetention (maximum_spend_logs_retention_period) is how long
	// a spend record is kept; the store expires it by TTL.
	SpendLogsRetention *period.Period `yaml:"maximum_spend_logs_retention_period"`
	Alerting           []string       `yaml:"alerting"`
	AllowedRoutes      []string       `yaml:"allowed_routes"`
	AllowedIPs         []string       `yaml:"allowed_ips"`
	// EnableJWTAuth turns on OIDC JWT authentication, with the issuer from
	// OKTA_ISSUER and the audience from JWT_AUDIENCE, else OKTA_AUDIENCE
	// (OKTA_ISSUER alone turns it on too, without the mappings below).
	EnableJWTAuth *bool `yaml:"enable_jwt_auth"`
	// JWTAuth is litellm_jwtauth: how a verified token's claims map to the
	// caller's identity and role.
	JWTAuth JWTAuthSettings `yaml:"litellm_jwtauth"`
	// BackgroundHealthChecks and HealthCheckInterval control /health polling.
	BackgroundHealthChecks *bool         `yaml:"background_health_checks"`
	HealthCheckInterval    time.Duration `yaml:"health_check_interval"`
	// StoreModelInDB turns on /model/new, /model/update and /model/delete:
	// models kept in the store and served next to model_list's.
	StoreModelInDB *bool `yaml:"store_model_in_db"`
}

// StoresModels reports whether general_settings.store_model_in_db is on.
func (g *GeneralSettings) StoresModels() bool { return g.StoreModelInDB != nil && *g.StoreModelInDB }

// JWTAuthSettings is general_settings.litellm_jwtauth, the part of it the
// OIDC verifier supports; the support table reports the rest.
type JWTAuthSettings struct {
	// AdminJWTScope is the scope (a value of the token's space-separated
	// scope claim) that grants proxy_admin. As in LiteLLM it defaults to
	// DefaultAdminJWTScope, unless RolesJWTField maps roles instead.
	AdminJWTScope string `yaml:"admin_jwt_scope"`
	// RolesJWTField names the claim RoleMappings read: an array of strings
	// or a space-separated string; a dotted name walks nested objects
	// ("realm_access.roles").
	RolesJWTField string `yaml:"roles_jwt_field"`
	// RoleMappings grant gateway roles to values of RolesJWTField; the
	// highest role matched wins, and a token matching none is an
	// internal_user.
	RoleMappings []JWTRoleMapping `yaml:"role_mappings"`
	// UserIDJWTField is the claim holding the user id; only "sub" is
	// supported (the verifier always reads sub).
	UserIDJWTField string `yaml:"user_id_jwt_field"`
	// UserEmailJWTField is the claim holding the email; only "email" is
	// supported (the verifier reads email, else an email-shaped
	// preferred_username).
	UserEmailJWTField string `yaml:"user_email_jwt_field"`
}

// DefaultAdminJWTScope is LiteLLM's default admin_jwt_scope.
const DefaultAdminJWTScope = "litellm_proxy_admin"

// JWTRoleMapping is one litellm_jwtauth.role_mappings entry.
type JWTRoleMapping struct {
	// Role is a value of the roles claim.
	Role string `yaml:"role"`
	// InternalRole is the gateway role it grants.
	InternalRole JWTRole `yaml:"internal_role"`
}

// JWTRole is a gateway role a role mapping can grant: proxy_admin,
// proxy_admin_viewer or internal_user.
type JWTRole string

// jwtRoles are the roles a mapping can grant; LiteLLM's "team" role has no
// counterpart yet.
var jwtRoles = []string{"proxy_admin", "proxy_admin_viewer", "internal_user"}

func (r *JWTRole) decodeNode(d *decoder, y *yaml.Node, a at) bool {
	s, _, ok := d.text(y, a, "a role")
	if !ok {
		return false
	}
	if !slices.Contains(jwtRoles, s) {
		d.fail(y, a.path, ErrInvalid, "role %q is not supported; want one of %s", s, strings.Join(jwtRoles, ", "))
		return false
	}
	*r = JWTRole(s)
	return true
}

// Guardrail is one guardrails entry.
type Guardrail struct {
	Name   string          `yaml:"guardrail_name"`
	Params GuardrailParams `yaml:"litellm_params"`
	File   string          `yaml:"-"`
	Line   int             `yaml:"-"`
}

// GuardrailParams is a guardrail's litellm_params.
type GuardrailParams struct {
	// Guardrail is the integration: bedrock, aporia, lakera, presidio, ...
	Guardrail string        `yaml:"guardrail"`
	Mode      GuardrailMode `yaml:"mode"`
	// GuardrailIdentifier and GuardrailVersion select a Bedrock guardrail.
	GuardrailIdentifier string `yaml:"guardrailIdentifier"`
	GuardrailVersion    string `yaml:"guardrailVersion"`
	// DefaultOn runs the guardrail on every request.
	DefaultOn     *bool  `yaml:"default_on"`
	APIKey        Secret `yaml:"api_key"`
	APIBase       string `yaml:"api_base"`
	AWSRegionName string `yaml:"aws_region_name"`
	AWSRoleName   string `yaml:"aws_role_name"`
}

// GuardrailMode is when a guardrail runs. LiteLLM accepts one event
// ("pre_call"), a list of events, or {tags: {tag: event}, default: event}.
type GuardrailMode struct {
	Events  []string
	ByTag   map[string]string
	Default string
}

// guardrailModeMap is the mapping form of GuardrailMode.
type guardrailModeMap struct {
	Tags    map[string]string `yaml:"tags"`
	Default string            `yaml:"default"`
}
