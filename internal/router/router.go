// Package router maps a requested model name to the deployments that can
// serve it, picks one by the configured strategy, and runs the call with
// retries, fallbacks and cooldowns (Do).
//
// Several model_list entries with one model_name form a group. Strategies
// (strategy.go): simple-shuffle (weight, else rpm, else tpm), usage-based
// routing (lowest tokens this minute within each deployment's rpm/tpm),
// latency-based, least-busy and cost-based, all within the best `order`
// tier. Before the strategy, a group is filtered by cooldowns, tags and the
// context window (pick.go). Cooldowns and per-minute usage live in a
// State shared by every gateway instance (state.go).
package router

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"
	"golang.org/x/sync/singleflight"

	"github.com/tollgate-gw/tollgate/internal/provider"
)

// Deployment is one servable model_list entry.
type Deployment struct {
	// ID is model_info.id or a stable hash of the entry.
	ID string
	// Group is the model_name clients ask for.
	Group string
	// Provider and ModelID are the upstream ("openai", "gpt-4o-mini").
	Provider string
	ModelID  string
	// Weight is the simple-shuffle weight (0 means 1).
	Weight float64
	// RPM and TPM are the deployment's requests and tokens per minute
	// (0: unlimited). simple-shuffle weighs by them when no deployment of
	// the group has a weight; usage-based routing respects them as limits.
	RPM, TPM int64
	// Order ranks deployments (1 first; 0 means unranked, after all ranked
	// ones): only the best tier with a usable deployment is picked from.
	Order int
	// Tags are litellm_params.tags and model_info.tags, for tag filtering.
	Tags []string
	// MaxInputTokens is model_info.max_input_tokens (0: unknown), for
	// pre-call checks.
	MaxInputTokens int
	// InputCost and OutputCost are USD per token, for cost-based routing.
	InputCost, OutputCost float64
	// NumRetries, when set, is how often a retryable failure of this
	// deployment is retried (litellm_params num_retries or max_retries), in
	// place of Settings.NumRetries; a request's own num_retries and the
	// retry_policy still take precedence.
	NumRetries *int
	// CooldownTime, when positive, is this deployment's cooldown in place
	// of Settings.CooldownTime (litellm_params cooldown_time).
	CooldownTime time.Duration
	// Wildcard marks a template such as "bedrock/*": requests for a
	// matching model build a deployment for that model on demand.
	Wildcard bool
	// Model serves the calls.
	Model provider.ChatModel
	// Unavailable, when set, is why the deployment could not be built (for
	// example a missing API key). Calls fail with it; readiness lists it.
	Unavailable error
}

// Label names the deployment in headers and logs: "provider/model-id".
func (d *Deployment) Label() string { return d.Provider + "/" + d.ModelID }

// ErrModelNotFound is returned for a model name no deployment serves.
var ErrModelNotFound = errors.New("model not found")

// Router holds the model groups, the routing settings and the state shared
// with other gateway instances (cooldowns, usage).
type Router struct {
	groups    map[string][]*Deployment
	names     []string
	wildcards []*Deployment // templates, longest prefix first
	set       Settings
	state     State
	local     *local // per-instance latency and in-flight counts
	rand      func() float64
	now       func() time.Time
	sleep     func(context.Context, time.Duration) error
	build     func(tmpl *Deployment, modelID string) (*Deployment, error)
	logger    *slog.Logger

	// built are the wildcard deployments built on demand, the most
	// recently used kept; building is one flight per name, outside any
	// lock the other requests need.
	built  *lru.Cache[string, *Deployment]
	flight singleflight.Group
}

// Options tune a Router. A nil *Options means defaults.
type Options struct {
	// Rand returns a number in [0,1); nil means math/rand/v2.
	Rand func() float64
	// Settings are router_settings (zero value: simple-shuffle, no retries
	// beyond the defaults, no fallbacks).
	Settings Settings
	// State holds cooldowns and usage; nil keeps them in this process only.
	State State
	// Now is the clock; Sleep waits between retries (tests inject both).
	Now   func() time.Time
	Sleep func(context.Context, time.Duration) error
	// Build makes a deployment for modelID from a wildcard template
	// ("bedrock/*"); nil means wildcard groups are not served.
	Build  func(tmpl *Deployment, modelID string) (*Deployment, error)
	Logger *slog.Logger
}

// New groups deployments by model name, keeping config order.
func New(deployments []*Deployment, opts *Options) *Router {
	if opts == nil {
		opts = &Options{}
	}
	r := &Router{groups: make(map[string][]*Deployment), rand: rand.Float64, now: time.Now, sleep: sleepCtx,
		set: opts.Settings.withDefaults(), state: opts.State, build: opts.Build, logger: opts.Logger,
		local: newLocal()}
	r.built, _ = lru.New[string, *Deployment](maxBuilt) // errors only for a size below 1
	if opts.Rand != nil {
		r.rand = opts.Rand
	}
	if opts.Now != nil {
		r.now = opts.Now
	}
	if opts.Sleep != nil {
		r.sleep = opts.Sleep
	}
	if r.logger == nil {
		r.logger = slog.New(slog.DiscardHandler)
	}
	if r.state == nil {
		r.state = NewMemoryState(r.now)
	}
	for _, d := range deployments {
		if _, ok := r.groups[d.Group]; !ok {
			r.names = append(r.names, d.Group)
		}
		r.groups[d.Group] = append(r.groups[d.Group], d)
		if strings.HasSuffix(d.Group, "*") {
			d.Wildcard = true
			r.wildcards = append(r.wildcards, d)
		}
	}
	slices.SortStableFunc(r.wildcards, func(a, b *Deployment) int { return len(b.Group) - len(a.Group) })
	return r
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// Settings returns the router's settings (with defaults filled in).
func (r *Router) Settings() Settings { return r.set }

// Models returns the model group names in config order.
func (r *Router) Models() []string { return slices.Clone(r.names) }

// Group returns the deployments of a model group.
func (r *Router) Group(name string) ([]*Deployment, bool) {
	g, ok := r.groups[name]
	return g, ok
}

// Deployments returns every deployment, in config order of their groups.
func (r *Router) Deployments() []*Deployment {
	var all []*Deployment
	for _, n := range r.names {
		all = append(all, r.groups[n]...)
	}
	return all
}

// Resolve returns the group that serves a requested name: the name itself,
// its model_group_alias, or a deployment built on demand from a matching
// wildcard template (which becomes a one-deployment group of that name).
func (r *Router) Resolve(name string) (string, []*Deployment, error) {
	if a, ok := r.set.Aliases[name]; ok {
		name = a
	}
	if g, ok := r.groups[name]; ok {
		return name, g, nil
	}
	for _, t := range r.wildcards {
		prefix := strings.TrimSuffix(t.Group, "*")
		if !strings.HasPrefix(name, prefix) || len(name) == len(prefix) || r.build == nil {
			continue
		}
		d, err := r.wildcard(t, name, name[len(prefix):])
		if err != nil {
			return "", nil, err
		}
		return name, []*Deployment{d}, nil
	}
	return "", nil, fmt.Errorf("%w: %q", ErrModelNotFound, name)
}

func (r *Router) wildcard(t *Deployment, name, suffix string) (*Deployment, error) {
	if d, ok := r.built.Get(name); ok {
		return d, nil
	}
	v, err, _ := r.flight.Do(name, func() (any, error) {
		if d, ok := r.built.Get(name); ok { // built while this caller looked
			return d, nil
		}
		modelID := suffix
		if strings.Contains(t.ModelID, "*") {
			modelID = strings.Replace(t.ModelID, "*", suffix, 1)
		}
		d, err := r.build(t, modelID)
		if err != nil {
			return nil, fmt.Errorf("building a deployment of %s for %q: %w", t.Group, name, err)
		}
		d.Group, d.Wildcard = name, false
		r.built.Add(name, d)
		return d, nil
	})
	if err != nil {
		return nil, err
	}
	return v.(*Deployment), nil
}

// maxBuilt bounds the wildcard deployments kept per router; past it the
// least recently used is dropped (rebuilding one is cheap: the adapter's
// client is shared per template, see app's builder).
const maxBuilt = 1024

// Pick chooses the deployment to call for a model name.
func (r *Router) Pick(name string) (*Deployment, error) {
	return r.Choose(context.Background(), &Request{Model: name})
}
