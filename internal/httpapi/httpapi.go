// Package httpapi is Tollgate's HTTP surface: the route groups (data plane,
// health; management later), request decoding, and OpenAI-style errors.
//
// Each route group is a function that registers its patterns on a mux it is
// given, so a front (function URL, REST API, local server) mounts exactly
// the groups it serves. Wrap adds what every request gets: a request id,
// panic recovery, the request log line, and JSON 404/405 answers.
package httpapi

import (
	"context"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/tollgate-gw/tollgate/internal/auth"
	"github.com/tollgate-gw/tollgate/internal/cache"
	"github.com/tollgate-gw/tollgate/internal/ratelimit"
	"github.com/tollgate-gw/tollgate/internal/router"
)

// DefaultMaxBodyBytes is the default request body limit: below Lambda's
// 6 MB invocation payload limit, so an oversized body gets our clear 413
// rather than Lambda's opaque error.
const DefaultMaxBodyBytes = 5 << 20

// Authenticator turns a request's credentials into a principal.
type Authenticator interface {
	Authenticate(ctx context.Context, r *http.Request) (*auth.Principal, error)
}

// DataPlane serves the OpenAI-compatible endpoints (and the Bedrock-format
// and history ones). It is built once, by NewDataPlane, from its parts, and
// never changes afterwards: a config reload builds another.
type DataPlane struct {
	router       *router.Router
	auth         Authenticator
	maxBodyBytes int64
	created      time.Time
	prompts      PromptResolver
	access       ModelAccess
	history      *History
	limits       *ratelimit.Limiter
	cache        *cache.Cache
	modes        map[string]string
	later        Deferrer
	drainLimit   time.Duration
}

// DataPlaneOptions are the data plane's optional parts; nil or zero fields
// mean the part is off (or its default).
type DataPlaneOptions struct {
	// MaxBodyBytes limits request bodies; 0 means DefaultMaxBodyBytes.
	MaxBodyBytes int64
	// Created is reported as each model's "created" time in /v1/models.
	Created time.Time
	// Prompts runs Bedrock managed-prompt ARNs named as models; nil means
	// prompt ARNs are unknown models.
	Prompts PromptResolver
	// Access decides which models the caller may use (a *tenancy.Models);
	// nil means every caller may use every model.
	Access ModelAccess
	// History keeps chat sessions (enable_history, session_id and the
	// history endpoints); nil means chat history is off: requests' history
	// fields are ignored and the history endpoints answer 501.
	History *History
	// Limits admits model calls against budgets and rate limits and settles
	// their spend (spend_admission.go); nil means no limits and no spend
	// tracking.
	Limits *ratelimit.Limiter
	// Cache is the response cache (litellm_settings.cache); nil means no
	// caching.
	Cache *cache.Cache
	// Modes are the deployments' model_info.mode by deployment id, so GET
	// /health probes each with the call it takes (chat when unset).
	Modes map[string]string
	// Later runs the settle of a call that gates no later admission after
	// the handler has returned, freeing the connection from the store
	// write. Only a long-lived server may set it (it must finish the work
	// before exiting); nil, as under Lambda, which freezes an instance as
	// soon as its handler returns, settles before the handler returns.
	Later Deferrer
	// DrainLimit bounds how long an upstream call goes on after its client
	// has left, to reach the usage the provider bills (outcome.go); 0 means
	// DefaultDrainLimit.
	DrainLimit time.Duration
}

// NewDataPlane returns the data plane routing calls through rt and
// authenticating callers with authn; opts may be nil.
func NewDataPlane(rt *router.Router, authn Authenticator, opts *DataPlaneOptions) *DataPlane {
	d := &DataPlane{router: rt, auth: authn}
	if o := opts; o != nil {
		d.maxBodyBytes, d.created, d.prompts, d.access = o.MaxBodyBytes, o.Created, o.Prompts, o.Access
		d.history, d.limits, d.cache, d.modes = o.History, o.Limits, o.Cache, o.Modes
		d.later, d.drainLimit = o.Later, o.DrainLimit
	}
	return d
}

// Deferrer runs work after the handler that asked for it has returned.
type Deferrer interface {
	// Go runs f later, or now when too much work is already waiting.
	Go(f func())
}

// ModelAccess checks a principal's model lists (key, user, team) against
// a model. It reads only the principal, which authentication put in the
// request context, so the check costs no I/O.
type ModelAccess interface {
	// CheckModel returns an error naming the model when p may not use it.
	CheckModel(p *auth.Principal, model string) error
	// FilterModels returns the names p may use.
	FilterModels(p *auth.Principal, names []string) []string
	// AccessGroups returns the access groups (model_info.access_groups)
	// of the named models, each once, in order.
	AccessGroups(names []string) []string
}

// Mux is what route groups register on: an *http.ServeMux, or a
// RouteList that only records the patterns.
type Mux interface {
	HandleFunc(pattern string, handler func(http.ResponseWriter, *http.Request))
}

// RouteList records the method-qualified patterns registered on it (the
// method-less ones handle's 405 answers use are left out).
type RouteList struct{ Patterns []string }

// HandleFunc records pattern when it names a method.
func (l *RouteList) HandleFunc(pattern string, _ func(http.ResponseWriter, *http.Request)) {
	if strings.Contains(pattern, " ") {
		l.Patterns = append(l.Patterns, pattern)
	}
}

// Register mounts the data-plane routes on mux.
func (d *DataPlane) Register(mux Mux) {
	handle(mux, "POST", "/v1/chat/completions", d.authed(d.chat))
	handle(mux, "POST", "/chat/completions", d.authed(d.chat))
	handle(mux, "POST", "/v1/completions", d.authed(d.completions))
	handle(mux, "POST", "/completions", d.authed(d.completions))
	handle(mux, "GET", "/health", d.authed(d.deploymentHealth))
	handle(mux, "POST", "/v1/moderations", d.authed(d.moderations))
	handle(mux, "POST", "/moderations", d.authed(d.moderations))
	handle(mux, "POST", "/v1/embeddings", d.authed(d.embeddings))
	handle(mux, "POST", "/embeddings", d.authed(d.embeddings))
	handle(mux, "POST", "/v1/images/generations", d.authed(d.images))
	handle(mux, "POST", "/images/generations", d.authed(d.images))
	d.registerAzure(mux)
	d.registerBedrock(mux)
	d.registerHistory(mux)
	d.RegisterModels(mux)
}

// RegisterModels mounts only the model-listing routes (the admin function
// serves them beside the management API).
func (d *DataPlane) RegisterModels(mux Mux) {
	handle(mux, "GET", "/v1/models", d.authed(d.listModels))
	handle(mux, "GET", "/models", d.authed(d.listModels))
	handle(mux, "GET", "/v1/models/{id...}", d.authed(d.getModel))
	handle(mux, "GET", "/models/{id...}", d.authed(d.getModel))
}

// handle registers h for method+path and, for every other method on the
// same path, a JSON 405 with an Allow header (the mux's own 405 is plain
// text, which OpenAI SDKs cannot parse). method may list several methods,
// comma-separated ("PATCH, POST"), for routes LiteLLM has moved between
// methods.
func handle(mux Mux, method, path string, h http.HandlerFunc) {
	for _, m := range strings.Split(method, ",") {
		mux.HandleFunc(strings.TrimSpace(m)+" "+path, h)
	}
	mux.HandleFunc(path, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Allow", method)
		writeError(w, r, &Error{Status: http.StatusMethodNotAllowed, Type: "invalid_request_error", Code: "method_not_allowed",
			Message: "method " + r.Method + " is not allowed on " + path + "; use " + method})
	})
}

// Wrap adds the per-request basics around h: request id, recovery, log line,
// and a JSON 404 for unknown paths (the catch-all is registered on mux).
func Wrap(mux *http.ServeMux, logger *slog.Logger) http.Handler {
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, r, &Error{Status: http.StatusNotFound, Type: "invalid_request_error", Code: "not_found",
			Message: "no route for " + r.Method + " " + r.URL.Path})
	})
	return &middleware{next: mux, logger: logger}
}
