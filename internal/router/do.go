package router

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/tollgate-gw/tollgate/internal/provider"
)

// Attempt is one call of a deployment, for the request log.
type Attempt struct {
	Group      string        `json:"group"`
	Deployment string        `json:"deployment"`
	Label      string        `json:"label"`
	Fallback   bool          `json:"fallback,omitempty"`
	Retry      int           `json:"retry,omitempty"`
	Duration   time.Duration `json:"-"`
	// Kind is the error kind of a failed attempt ("" when it served).
	Kind  string `json:"error_kind,omitempty"`
	Error string `json:"error,omitempty"`
}

// Result is what Do did.
type Result struct {
	// Deployment served the call (nil when every attempt failed).
	Deployment *Deployment
	// Attempts lists every call made, in order.
	Attempts []Attempt
}

// Call makes one attempt against dep. For a stream, an attempt is opening
// the stream and receiving its first chunk: once a byte has gone to the
// client, the call must return nil (later failures are the stream's), so
// that Do never retries after the first byte.
type Call func(ctx context.Context, dep *Deployment) error

// Do runs call against the request's model group with the router's
// retries, fallbacks and cooldowns: it picks a deployment by strategy,
// retries retryable failures (exponential backoff with jitter, honouring
// Retry-After; another deployment of the group is tried at once), cools
// down deployments that fail too often (for every instance, through the
// State), and then moves to the fallback groups for the error's class:
// context_window_fallbacks, content_policy_fallbacks, the request's
// fallbacks, fallbacks, default_fallbacks, each only if req.Allow accepts
// it. It returns the last error when nothing served; the Result is never
// nil, and its Deployment is the one that served (after any retry or
// fallback), which is the one to price.
func (r *Router) Do(ctx context.Context, req *Request, call Call) (*Result, error) {
	res := &Result{}
	chain := []string{req.Model}
	var lastErr error
	for gi := 0; gi < len(chain) && gi <= r.set.MaxFallbacks; gi++ {
		if gi > 0 && req.Allow != nil {
			if err := req.Allow(chain[gi]); err != nil {
				// Not this caller's to use: skipped, and the error the
				// client sees stays that of the models it may use.
				res.Attempts = append(res.Attempts, Attempt{Group: chain[gi], Fallback: true,
					Kind: provider.KindPermission.String(), Error: err.Error()})
				continue
			}
		}
		group, deps, err := r.Resolve(chain[gi])
		switch {
		case err != nil && gi == 0 && req.First != nil:
			// A deployment resolved outside the groups (a managed-prompt
			// ARN): it is the only choice.
			group, deps = req.First.Group, []*Deployment{req.First}
		case err != nil && gi == 0:
			return res, err
		case err != nil:
			lastErr = err
			continue
		}
		sub := &Request{Model: group, Tags: req.Tags, Tokens: req.Tokens, Allow: req.Allow, exclude: map[*Deployment]bool{}}
		if gi == 0 {
			sub.First = req.First
		}
		var kind provider.Kind
		var retryAfter time.Duration
		for retry := 0; ; retry++ {
			dep, err := r.choose(ctx, group, deps, sub)
			if err != nil {
				lastErr = err
				kind, _ = classify(err)
				break
			}
			sub.First = nil
			if sub.exclude[dep] {
				if serr := r.sleep(ctx, r.backoff(retry-1, retryAfter)); serr != nil {
					return res, lastErr
				}
			}
			start := r.now()
			r.local.begin(dep.ID)
			err = call(ctx, dep)
			took := r.now().Sub(start)
			r.local.end(dep.ID, took, err == nil)
			att := Attempt{Group: group, Deployment: dep.ID, Label: dep.Label(), Fallback: gi > 0, Retry: retry, Duration: took}
			if err == nil {
				res.Attempts = append(res.Attempts, att)
				res.Deployment = dep
				return res, nil
			}
			lastErr = err
			kind, retryAfter = classify(err)
			att.Kind, att.Error = kind.String(), err.Error()
			res.Attempts = append(res.Attempts, att)
			if ctx.Err() != nil || kind == provider.KindUnknown {
				return res, err
			}
			r.failed(ctx, group, dep, kind, len(deps))
			sub.exclude[dep] = true
			if retry >= r.retries(kind, req, dep) {
				break
			}
		}
		if gi == 0 {
			for _, f := range r.fallbacks(req, chain[0], group, kind) {
				if !slices.Contains(chain, f) {
					chain = append(chain, f)
				}
			}
		}
	}
	return res, lastErr
}

// classify returns an error's kind and Retry-After.
func classify(err error) (provider.Kind, time.Duration) {
	if pe, ok := provider.AsError(err); ok {
		return pe.Kind, pe.RetryAfter
	}
	var nd *NoDeploymentError
	if errors.As(err, &nd) {
		return nd.Kind, nd.RetryAfter
	}
	return provider.KindUnknown, 0
}

// retries is how often a failure of kind on dep may be retried: the
// retry_policy for kind, else (for a retryable kind) the request's
// num_retries, the deployment's, or the router's.
func (r *Router) retries(kind provider.Kind, req *Request, dep *Deployment) int {
	if n, ok := r.set.RetryPolicy[kind]; ok {
		return n
	}
	if !(&provider.Error{Kind: kind}).Retryable() {
		return 0
	}
	if req.NumRetries != nil {
		return max(*req.NumRetries, 0)
	}
	if dep.NumRetries != nil {
		return max(*dep.NumRetries, 0)
	}
	return r.set.NumRetries
}

// backoff is the wait before retry n (0-based): exponential with jitter,
// at least retry_after, and at least the upstream's Retry-After (capped at
// BackoffMax).
func (r *Router) backoff(n int, retryAfter time.Duration) time.Duration {
	d := r.set.BackoffBase << min(max(n, 0), 16)
	if d > r.set.BackoffMax || d <= 0 {
		d = r.set.BackoffMax
	}
	d = d/2 + time.Duration(r.rand()*float64(d/2))
	d = max(d, r.set.RetryAfter, min(retryAfter, r.set.BackoffMax))
	return d
}

// clientFault kinds are the caller's doing: they neither cool a
// deployment down nor (except the two with their own lists) fall back.
func clientFault(k provider.Kind) bool {
	switch k {
	case provider.KindBadRequest, provider.KindContextWindow, provider.KindContentPolicy, provider.KindUnsupported:
		return true
	}
	return false
}

// failed counts a deployment's failure and cools it down when it failed
// too often this minute. As in LiteLLM, a rate limit, an auth failure, a
// missing model or a timeout cools it down at once (unless
// allowed_fails_policy sets that class), and the only deployment of a
// group never cools down.
func (r *Router) failed(ctx context.Context, group string, dep *Deployment, kind provider.Kind, size int) {
	if r.set.DisableCooldowns || size <= 1 {
		return
	}
	allowed, set := r.set.AllowedFailsPolicy[kind]
	if !set {
		if clientFault(kind) {
			return
		}
		allowed = r.set.AllowedFails
		switch kind {
		case provider.KindRateLimit, provider.KindAuth, provider.KindNotFound, provider.KindTimeout:
			allowed = 0
		}
	}
	n, err := r.state.Fail(ctx, group, dep.ID)
	if err != nil {
		r.logger.WarnContext(ctx, "counting a deployment failure", "deployment", dep.ID, "error", err.Error())
		n = int64(allowed) + 1 // the store is down: trust this instance
	}
	if n <= int64(allowed) {
		return
	}
	cooldown := r.set.CooldownTime
	if dep.CooldownTime > 0 {
		cooldown = dep.CooldownTime
	}
	until := r.now().Add(cooldown)
	if err := r.state.Cooldown(ctx, group, dep.ID, until, kind.String()); err != nil {
		r.logger.WarnContext(ctx, "starting a cooldown", "deployment", dep.ID, "error", err.Error())
	}
	r.logger.InfoContext(ctx, "deployment cooling down", "model", group, "deployment", dep.ID,
		"reason", kind.String(), "fails", n, "until", until)
}

// fallbacks lists the groups to try after group (requested as name)
// failed with kind.
func (r *Router) fallbacks(req *Request, name, group string, kind provider.Kind) []string {
	lookup := func(m map[string][]string) []string { return lookupFallbacks(m, name, group) }
	var out []string
	switch kind {
	case provider.KindContextWindow:
		out = lookup(r.set.ContextWindowFallbacks)
	case provider.KindContentPolicy:
		out = lookup(r.set.ContentPolicyFallbacks)
	case provider.KindBadRequest, provider.KindUnsupported:
		return nil
	}
	if len(out) > 0 {
		return out
	}
	if len(req.Fallbacks) > 0 {
		return req.Fallbacks
	}
	if f := lookup(r.set.Fallbacks); len(f) > 0 {
		return f
	}
	return r.set.DefaultFallbacks
}

// lookupFallbacks returns the fallbacks m configures for group (requested
// as name), else for "*".
func lookupFallbacks(m map[string][]string, name, group string) []string {
	for _, k := range []string{group, name, "*"} {
		if f, ok := m[k]; ok {
			return f
		}
	}
	return nil
}

// Reachable lists every deployment Do may serve req with: req.First, the
// requested group's deployments, and those of every fallback group that
// some failure could move to (context-window, content-policy, the
// request's, configured and default fallbacks) and req.Allow accepts. A
// call is priced as whichever deployment serves it, so a strict budget
// reserves the dearest of these.
func (r *Router) Reachable(req *Request) []*Deployment {
	var out []*Deployment
	if req.First != nil {
		out = append(out, req.First)
	}
	group, deps, err := r.Resolve(req.Model)
	if err != nil {
		group = req.Model
	}
	out = append(out, deps...)
	seen := map[string]bool{req.Model: true, group: true}
	for _, list := range [][]string{
		lookupFallbacks(r.set.ContextWindowFallbacks, req.Model, group),
		lookupFallbacks(r.set.ContentPolicyFallbacks, req.Model, group),
		req.Fallbacks,
		lookupFallbacks(r.set.Fallbacks, req.Model, group),
		r.set.DefaultFallbacks,
	} {
		for _, f := range list {
			if seen[f] {
				continue
			}
			seen[f] = true
			if req.Allow != nil && req.Allow(f) != nil {
				continue
			}
			if _, fdeps, err := r.Resolve(f); err == nil {
				out = append(out, fdeps...)
			}
		}
	}
	return out
}

// Served records a served call's usage (one request and its tokens) for
// usage-based routing; handlers call it once the tokens are known. Only
// usage-based routing reads these counters, so under any other strategy
// nothing is written: the hot path keeps its one store write after the call
// (the spend settle), as the architecture requires.
func (r *Router) Served(ctx context.Context, dep *Deployment, tokens int) {
	if dep == nil || (r.set.Strategy != UsageBased && r.set.Strategy != UsageBasedV1) {
		return
	}
	if err := r.state.AddUsage(ctx, dep.ID, 1, int64(tokens)); err != nil {
		r.logger.WarnContext(ctx, "recording deployment usage", "deployment", dep.ID, "error", err.Error())
	}
}
