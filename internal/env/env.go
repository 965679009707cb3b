// Package env is the one place Tollgate's functions read their own
// environment. Read takes every variable in Vars once, at start, into a
// typed Env that the rest of the program is handed; nothing else looks a
// variable up by name. Vars is also the contract the CDK app is tested
// against (every variable the stack sets is in it, every one required in
// Lambda is set) and the table README.md's environment section must list
// (env_test.go).
//
// Two kinds of variables are not here, on purpose: the ones config.yaml
// names itself (os.environ/NAME, provider API keys), which the config
// resolves through the provider-keys secret and then the process
// environment, and the ones libraries read on their own (the AWS SDK's
// AWS_*, the Lambda runtime's, GOGC and GOMEMLIMIT in internal/gctune).
package env

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// Function names a deployed function, as functions/<name>.
type Function string

// The functions.
const (
	Gateway Function = "gateway"
	Admin   Function = "admin"
)

// Var describes one variable.
type Var struct {
	Name string
	// Functions are the functions that read it.
	Functions []Function
	// LambdaGroup, when set, names a requirement in Lambda that at least
	// one variable of the group (same LambdaGroup) must meet.
	LambdaGroup string
	// Meaning and Default are the README's columns.
	Meaning, Default string
	set              func(*Env, string)
}

var both = []Function{Gateway, Admin}

// Vars are every variable the functions read, in the README's order.
var Vars = []Var{
	{Name: "TOLLGATE_CONFIG", Functions: both, LambdaGroup: "config",
		Meaning: "config file(s), comma-separated, merged in order; or one `s3://BUCKET/KEY` or `ssm:/NAME`",
		Default: "`./config.yaml`, else `testdata/config/local.yaml`", set: func(e *Env, v string) { e.Config = v }},
	{Name: "TOLLGATE_ADDR", Functions: both, Meaning: "local listen address (not read in Lambda)",
		Default: "`127.0.0.1:4000` (gateway), `127.0.0.1:4002` (admin)", set: func(e *Env, v string) { e.Addr = v }},
	{Name: "TOLLGATE_LOG_FORMAT", Functions: []Function{Gateway},
		Meaning: "outside Lambda: `text` for a person (a config error one problem a line; where it listens, the master key and a first request) or `json`",
		Default: "`text` on a terminal, else `json`", set: func(e *Env, v string) { e.LogFormat = v }},
	{Name: "TOLLGATE_MASTER_KEY", Functions: both, LambdaGroup: "master key",
		Meaning: "the admin key (else `general_settings.master_key`, else generated locally)",
		Default: "—", set: func(e *Env, v string) { e.MasterKey = v }},
	{Name: "TOLLGATE_MASTER_KEY_SECRET_ARN", Functions: both, LambdaGroup: "master key",
		Meaning: "Secrets Manager secret holding the master key (wins over `TOLLGATE_MASTER_KEY`); during a rotation, its `previous_master_key` member is accepted too",
		Default: "—", set: func(e *Env, v string) { e.MasterKeySecretARN = v }},
	{Name: "TOLLGATE_PROVIDER_KEYS_SECRET_ARN", Functions: both,
		Meaning: "Secrets Manager secret holding a JSON object of provider key variables, read before the process environment",
		Default: "—", set: func(e *Env, v string) { e.ProviderKeysSecretARN = v }},
	{Name: "TOLLGATE_ORIGIN_SECRET_ARN", Functions: []Function{Gateway},
		Meaning: "CloudFront origin secret: function URL requests must carry its current (or, during a rotation, previous) value",
		Default: "—", set: func(e *Env, v string) { e.OriginSecretARN = v }},
	{Name: "TOLLGATE_ORIGIN_HEADER", Functions: []Function{Gateway},
		Meaning: "the header carrying the origin secret (set with `TOLLGATE_ORIGIN_SECRET_ARN`)",
		Default: "—", set: func(e *Env, v string) { e.OriginHeader = v }},
	{Name: "TOLLGATE_CONFIG_TTL", Functions: both,
		Meaning: "how often a remote config (`s3://…`, `ssm:/…`) is re-checked; set it to reload local files too",
		Default: "`30s` (remote), off (local)", set: func(e *Env, v string) { e.ConfigTTL = v }},
	{Name: "TOLLGATE_DATA_DIR", Functions: both, Meaning: "local data (master key, embedded store)",
		Default: "`.tollgate`", set: func(e *Env, v string) { e.DataDir = v }},
	{Name: "TOLLGATE_STORE", Functions: both, Meaning: "`embedded` or `dynamodb`",
		Default: "`embedded`", set: func(e *Env, v string) { e.Store = v }},
	{Name: "TOLLGATE_STATE_TABLE", Functions: both, Meaning: "DynamoDB state table (with `TOLLGATE_STORE=dynamodb`)",
		Default: "—", set: func(e *Env, v string) { e.StateTable = v }},
	{Name: "TOLLGATE_SPEND_TABLE", Functions: both, Meaning: "DynamoDB spend table",
		Default: "—", set: func(e *Env, v string) { e.SpendTable = v }},
	{Name: "TOLLGATE_CACHE_TABLE", Functions: both, Meaning: "DynamoDB response-cache table",
		Default: "—", set: func(e *Env, v string) { e.CacheTable = v }},
	{Name: "TOLLGATE_KEY_CACHE_TTL", Functions: both, Meaning: "how long a warm function reuses a key lookup (`off` disables)",
		Default: "`5s`", set: func(e *Env, v string) { e.KeyCacheTTL = v }},
	{Name: "TOLLGATE_HISTORY_TTL", Functions: []Function{Gateway}, Meaning: "chat-history expiry (`720h`, `30d`, or `off`)",
		Default: "`30d`", set: func(e *Env, v string) { e.HistoryTTL = v }},
	{Name: "TOLLGATE_HISTORY_USER_SESSIONS", Functions: []Function{Gateway},
		Meaning: "`true`: a user's keys share their chat sessions", Default: "`false`",
		set: func(e *Env, v string) { e.HistoryUserSessions = v }},
	{Name: "TOLLGATE_CACHE_SCOPE", Functions: []Function{Gateway}, Meaning: "response cache scope: `tenant` or `global`",
		Default: "`tenant`", set: func(e *Env, v string) { e.CacheScope = v }},
	{Name: "TOLLGATE_PRICE_TABLE", Functions: both, Meaning: "a LiteLLM-format price file replacing the shipped prices",
		Default: "shipped table", set: func(e *Env, v string) { e.PriceTable = v }},
	{Name: "TOLLGATE_BUDGET_MODE", Functions: both, Meaning: "`strict`: reserve a call's maximum cost before it runs, so no budget is ever exceeded; a budgeted call whose output nothing bounds (no `max_tokens`, no known output limit) gets 400 `max_tokens_required` (docs/data-model.md, \"Strict budgets\")",
		Default: "`default`", set: func(e *Env, v string) { e.BudgetMode = v }},
	{Name: "TOLLGATE_LIMITS_ON_STORE_FAILURE", Functions: both, Meaning: "`fail_closed` or `fail_open` when limits cannot be read",
		Default: "`fail_closed`", set: func(e *Env, v string) { e.LimitsOnStoreFailure = v }},
	{Name: "TOLLGATE_PRIORITY_HEADROOM", Functions: both, Meaning: "share of a limit kept for the most important requests (0 to 1)",
		Default: "`0` (no shedding)", set: func(e *Env, v string) { e.PriorityHeadroom = v }},
	{Name: "OKTA_ISSUER", Functions: both, Meaning: "turns on OIDC JWT authentication with this issuer",
		Default: "—", set: func(e *Env, v string) { e.OktaIssuer = v }},
	{Name: "OKTA_AUDIENCE", Functions: both, Meaning: "accepted audiences, comma-separated (required with `OKTA_ISSUER`)",
		Default: "none", set: func(e *Env, v string) { e.OktaAudience = v }},
	{Name: "JWT_AUDIENCE", Functions: both, Meaning: "audiences when the config sets `enable_jwt_auth` (else `OKTA_AUDIENCE`)",
		Default: "—", set: func(e *Env, v string) { e.JWTAudience = v }},
	{Name: "JWT_PUBLIC_KEY_URL", Functions: both, Meaning: "LiteLLM's key-set URL: not used (the issuer is `OKTA_ISSUER`); only named in the error when that is missing",
		Default: "—", set: func(e *Env, v string) { e.JWTPublicKeyURL = v }},
}

// LambdaRuntimeAPI is set by Lambda in every function; its presence is how
// a binary knows it runs there.
const LambdaRuntimeAPI = "AWS_LAMBDA_RUNTIME_API"

// Env is the functions' environment, read once by Read. Values are
// trimmed; the consumers parse them and name the variable in their errors.
type Env struct {
	set map[string]bool // the names Read found set (non-empty)

	// InLambda: AWS_LAMBDA_RUNTIME_API is set.
	InLambda bool

	Config, ConfigTTL, Addr, LogFormat                       string
	MasterKey, MasterKeySecretARN, ProviderKeysSecretARN     string
	OriginSecretARN, OriginHeader                            string
	DataDir, Store, StateTable, SpendTable, CacheTable       string
	KeyCacheTTL, HistoryTTL, HistoryUserSessions, CacheScope string
	PriceTable, BudgetMode, LimitsOnStoreFailure             string
	PriorityHeadroom                                         string
	OktaIssuer, OktaAudience, JWTAudience, JWTPublicKeyURL   string
}

// Read takes every variable of Vars from lookup (os.LookupEnv in the
// functions).
func Read(lookup func(string) (string, bool)) Env {
	e := Env{set: map[string]bool{}}
	for _, v := range Vars {
		if s, ok := lookup(v.Name); ok && strings.TrimSpace(s) != "" {
			v.set(&e, strings.TrimSpace(s))
			e.set[v.Name] = true
		}
	}
	_, e.InLambda = lookup(LambdaRuntimeAPI)
	return e
}

// Has reports whether the variable name was set (and not blank).
func (e Env) Has(name string) bool { return e.set[name] }

// ErrMissing is what CheckLambda's error wraps.
var ErrMissing = errors.New("required in Lambda")

// CheckLambda returns an error naming every requirement of fn that set
// does not meet: for each LambdaGroup of fn's variables, at least one must
// be set. The functions call it with the variables they were started with;
// the CDK app's tests call it with the variables the stack sets.
func CheckLambda(fn Function, set func(name string) bool) error {
	groups := map[string][]string{}
	met := map[string]bool{}
	var order []string
	for _, v := range Vars {
		if v.LambdaGroup == "" || !slices.Contains(v.Functions, fn) {
			continue
		}
		if _, seen := groups[v.LambdaGroup]; !seen {
			order = append(order, v.LambdaGroup)
		}
		groups[v.LambdaGroup] = append(groups[v.LambdaGroup], v.Name)
		met[v.LambdaGroup] = met[v.LambdaGroup] || set(v.Name)
	}
	var errs []error
	for _, g := range order {
		if !met[g] {
			errs = append(errs, fmt.Errorf("%s: set %s: %w", g, strings.Join(groups[g], " or "), ErrMissing))
		}
	}
	return errors.Join(errs...)
}
