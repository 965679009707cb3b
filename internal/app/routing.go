package app

// Routing and the response cache: router_settings become router.Settings,
// the router's cooldowns and usage are shared through the store (so every
// instance skips a cooling deployment), and litellm_settings.cache becomes
// the DynamoDB (embedded locally) response cache.

import (
	"context"
	"log/slog"
	"strings"

	"github.com/tollgate-gw/tollgate/internal/cache"
	"github.com/tollgate-gw/tollgate/internal/config"
	"github.com/tollgate-gw/tollgate/internal/provider"
	"github.com/tollgate-gw/tollgate/internal/router"
)

// routerOptions builds the router's options for one config generation.
// With a store (id set), cooldowns and usage are shared; without one they
// stay in this process.
func routerOptions(ctx context.Context, cfg *config.Config, b *builder, id *identity, logger *slog.Logger) *router.Options {
	opts := &router.Options{Settings: routerSettings(cfg), Logger: logger,
		Build: func(t *router.Deployment, modelID string) (*router.Deployment, error) {
			return b.wildcard(context.WithoutCancel(ctx), t, modelID)
		}}
	if id != nil {
		opts.State = router.NewStoreState(id.store,
			nil, 0, func(msg string, err error) { logger.Warn(msg, slog.String("error", err.Error())) })
	}
	return opts
}

// routerSettings maps router_settings (with litellm_settings' spellings of
// the same keys as defaults) to the router's settings.
func routerSettings(cfg *config.Config) router.Settings {
	rs, ls := &cfg.Router, &cfg.LiteLLM
	s := router.Settings{
		Strategy:               strings.TrimSpace(rs.RoutingStrategy),
		NumRetries:             router.DefaultNumRetries,
		RetryAfter:             rs.RetryAfter,
		CooldownTime:           rs.CooldownTime,
		DisableCooldowns:       rs.DisableCooldowns != nil && *rs.DisableCooldowns,
		PreCallChecks:          rs.EnablePreCallChecks != nil && *rs.EnablePreCallChecks,
		TagFiltering:           rs.EnableTagFiltering != nil && *rs.EnableTagFiltering,
		TagMatchAny:            rs.TagFilteringMatchAny != nil && *rs.TagFilteringMatchAny,
		Fallbacks:              fallbackMap(rs.Fallbacks, ls.Fallbacks),
		ContextWindowFallbacks: fallbackMap(rs.ContextWindowFallbacks, ls.ContextWindowFallbacks),
		ContentPolicyFallbacks: fallbackMap(rs.ContentPolicyFallbacks, ls.ContentPolicyFallbacks),
		DefaultFallbacks:       rs.DefaultFallbacks,
	}
	if s.Strategy == router.UsageBasedV1 {
		s.Strategy = router.UsageBased
	}
	if ls.NumRetries != nil {
		s.NumRetries = *ls.NumRetries
	}
	if rs.NumRetries != nil {
		s.NumRetries = *rs.NumRetries
	}
	if rs.AllowedFails != nil {
		s.AllowedFails = *rs.AllowedFails
		if s.AllowedFails == 0 {
			s.AllowedFails = -1 // filled by the router: cool down at the first failure
		}
	}
	if len(s.DefaultFallbacks) == 0 {
		s.DefaultFallbacks = ls.DefaultFallbacks
	}
	if rs.MaxFallbacks != nil {
		s.MaxFallbacks = *rs.MaxFallbacks
	}
	if b := rs.RoutingStrategyArgs.LowestLatencyBuffer; b != nil {
		s.LatencyBuffer = *b
	}
	if len(rs.ModelGroupAlias) > 0 {
		s.Aliases = make(map[string]string, len(rs.ModelGroupAlias))
		for alias, a := range rs.ModelGroupAlias {
			s.Aliases[alias] = a.Model
		}
	}
	rp := &rs.RetryPolicy
	s.RetryPolicy = kindMap(map[provider.Kind]*int{
		provider.KindBadRequest: rp.BadRequestErrorRetries, provider.KindAuth: rp.AuthenticationErrorRetries,
		provider.KindTimeout: rp.TimeoutErrorRetries, provider.KindRateLimit: rp.RateLimitErrorRetries,
		provider.KindContentPolicy: rp.ContentPolicyViolationErrorRetries, provider.KindUnavailable: rp.InternalServerErrorRetries,
	})
	ap := &rs.AllowedFailsPolicy
	s.AllowedFailsPolicy = kindMap(map[provider.Kind]*int{
		provider.KindBadRequest: ap.BadRequestErrorAllowedFails, provider.KindAuth: ap.AuthenticationErrorAllowedFails,
		provider.KindTimeout: ap.TimeoutErrorAllowedFails, provider.KindRateLimit: ap.RateLimitErrorAllowedFails,
		provider.KindContentPolicy: ap.ContentPolicyViolationErrorAllowedFails, provider.KindUnavailable: ap.InternalServerErrorAllowedFails,
	})
	return s
}

func kindMap(in map[provider.Kind]*int) map[provider.Kind]int {
	out := map[provider.Kind]int{}
	for k, v := range in {
		if v != nil {
			out[k] = *v
		}
	}
	return out
}

// fallbackMap merges fallback lists, router_settings first.
func fallbackMap(lists ...config.Fallbacks) map[string][]string {
	out := map[string][]string{}
	for _, l := range lists {
		for _, f := range l {
			if _, ok := out[f.From]; !ok {
				out[f.From] = f.To
			}
		}
	}
	return out
}

// responseCache builds litellm_settings.cache over the store's cache
// table; nil when caching is off or there is no store. A cache_params.type
// of redis (or any other backend) is served by the same DynamoDB cache:
// the config notice at start-up says so.
func responseCache(cfg *config.Config, id *identity, logger *slog.Logger) *cache.Cache {
	ls := &cfg.LiteLLM
	if ls.Cache == nil || !*ls.Cache || id == nil {
		return nil
	}
	cp := &ls.CacheParams
	if t := cp.Type; t != "" && t != "local" && t != "dynamodb" {
		logger.Info("response cache: cache_params.type "+t+" is served by the DynamoDB cache (embedded store locally)",
			slog.String("type", t))
	}
	cc := cache.Config{TTL: cp.TTL, Namespace: cp.Namespace, DefaultOff: cp.Mode == "default_off"}
	// Entries are scoped per tenant (team, else user, else key) unless
	// TOLLGATE_CACHE_SCOPE=global.
	if id.env.CacheScope == "global" {
		cc.Shared = true
	}
	for _, t := range cp.SupportedCallTypes {
		cc.CallTypes = append(cc.CallTypes, strings.TrimSpace(t))
	}
	return cache.New(id.store, cc, nil, logger)
}
