package router

import (
	"time"

	"github.com/tollgate-gw/tollgate/internal/provider"
)

// Strategy names (router_settings.routing_strategy).
const (
	SimpleShuffle = "simple-shuffle"
	UsageBased    = "usage-based-routing-v2"
	UsageBasedV1  = "usage-based-routing"
	LatencyBased  = "latency-based-routing"
	LeastBusy     = "least-busy"
	CostBased     = "cost-based-routing"
)

// Settings are router_settings (and their litellm_settings spellings).
type Settings struct {
	Strategy string
	// NumRetries is how often a retryable failure is retried (the app
	// defaults it to DefaultNumRetries); RetryPolicy overrides it per error kind, and may
	// make a non-retryable kind retryable.
	NumRetries  int
	RetryPolicy map[provider.Kind]int
	// RetryAfter is the least wait before a retry.
	RetryAfter time.Duration
	// AllowedFails is how many failures per minute a deployment may have
	// before it cools down (0: DefaultAllowedFails; negative: none);
	// AllowedFailsPolicy
	// overrides it per error kind.
	AllowedFails       int
	AllowedFailsPolicy map[provider.Kind]int
	// CooldownTime is how long a failing deployment is skipped (default
	// DefaultCooldown).
	CooldownTime     time.Duration
	DisableCooldowns bool

	// Fallbacks map a group to the groups tried after it fails;
	// ContextWindowFallbacks and ContentPolicyFallbacks are tried first for
	// those error kinds; DefaultFallbacks serve any group without its own.
	Fallbacks              map[string][]string
	ContextWindowFallbacks map[string][]string
	ContentPolicyFallbacks map[string][]string
	DefaultFallbacks       []string
	// MaxFallbacks bounds the fallback groups tried per request (default 5).
	MaxFallbacks int

	// PreCallChecks skips deployments whose context window is too small.
	PreCallChecks bool
	// TagFiltering routes by request tags; TagMatchAny accepts a deployment
	// with any of the request's tags instead of all of them.
	TagFiltering bool
	TagMatchAny  bool
	// Aliases is model_group_alias: alias → group.
	Aliases map[string]string
	// LatencyBuffer picks at random among deployments within this fraction
	// of the lowest latency.
	LatencyBuffer float64
	// BackoffBase and BackoffMax shape the exponential backoff (defaults
	// 500ms and 30s).
	BackoffBase, BackoffMax time.Duration
}

// Defaults, as LiteLLM's router has them.
const (
	DefaultNumRetries   = 2
	DefaultAllowedFails = 3
	DefaultCooldown     = 5 * time.Second
	defaultMaxFallbacks = 5
)

func (s Settings) withDefaults() Settings {
	if s.Strategy == "" {
		s.Strategy = SimpleShuffle
	}
	if s.NumRetries < 0 {
		s.NumRetries = 0
	}
	switch {
	case s.AllowedFails == 0:
		s.AllowedFails = DefaultAllowedFails
	case s.AllowedFails < 0: // allowed_fails: 0, cool down at the first failure
		s.AllowedFails = 0
	}
	if s.CooldownTime <= 0 {
		s.CooldownTime = DefaultCooldown
	}
	if s.MaxFallbacks <= 0 {
		s.MaxFallbacks = defaultMaxFallbacks
	}
	if s.BackoffBase <= 0 {
		s.BackoffBase = 500 * time.Millisecond
	}
	if s.BackoffMax <= 0 {
		s.BackoffMax = 30 * time.Second
	}
	return s
}
