package router

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"slices"
	"time"

	"github.com/tollgate-gw/tollgate/internal/provider"
)

// Request is what routing needs to know about a call.
type Request struct {
	// Model is the name the client asked for.
	Model string
	// Tags are the request's tags (tag filtering).
	Tags []string
	// Fallbacks are per-request fallback groups (tried before the
	// configured ones).
	Fallbacks []string
	// NumRetries overrides Settings.NumRetries for this call.
	NumRetries *int
	// Tokens estimates the prompt tokens (pre-call checks, usage limits).
	Tokens int
	// First, when set, is the deployment already picked for this call
	// (decodeAndPick); the first attempt uses it if it is still usable.
	First *Deployment
	// Allow, when set, is the caller's model access check: every fallback
	// group Do moves to (the request's, the configured ones of every kind,
	// the defaults) is tried only if Allow accepts its name. The requested
	// model itself is checked by the caller before admission.
	Allow func(model string) error

	exclude map[*Deployment]bool // failed in this call
}

// NoDeploymentError says why a group had no usable deployment.
type NoDeploymentError struct {
	Group  string
	Reason string
	// Kind classifies it for fallbacks: KindContextWindow when every
	// deployment's window is too small, KindRateLimit when all are cooling
	// down or at their limits, else KindBadRequest.
	Kind provider.Kind
	// RetryAfter is when the first cooling deployment is back, if known.
	RetryAfter time.Duration
}

func (e *NoDeploymentError) Error() string {
	return fmt.Sprintf("no deployment of model %q can take this request: %s", e.Group, e.Reason)
}

// ProviderError renders it as the error every layer understands.
func (e *NoDeploymentError) ProviderError() *provider.Error {
	status := provider.StatusFor(e.Kind)
	typ, code := "invalid_request_error", "no_deployment"
	switch e.Kind {
	case provider.KindRateLimit:
		typ, code = "rate_limit_error", "no_deployment_available"
	case provider.KindContextWindow:
		code = "context_length_exceeded"
	}
	if e.Kind == provider.KindBadRequest && e.Reason == reasonTags {
		status = http.StatusBadRequest
	}
	return &provider.Error{Kind: e.Kind, Status: status, Type: typ, Code: code, Message: e.Error(), RetryAfter: e.RetryAfter, Err: e}
}

const reasonTags = "no deployment has the request's tags"

// Choose picks the deployment for one attempt: the group is resolved
// (alias, wildcard), filtered (unavailable, cooling down, tags, context
// window, rpm/tpm), cut to its best order tier, and the strategy picks.
func (r *Router) Choose(ctx context.Context, req *Request) (*Deployment, error) {
	group, deps, err := r.Resolve(req.Model)
	if err != nil {
		return nil, err
	}
	return r.choose(ctx, group, deps, req)
}

func (r *Router) choose(ctx context.Context, group string, deps []*Deployment, req *Request) (*Deployment, error) {
	if len(deps) == 1 && deps[0].Unavailable != nil || len(deps) == 1 && !r.set.TagFiltering && !r.set.PreCallChecks {
		return deps[0], nil // the only choice; its own call reports why it fails
	}
	now := r.now()
	var cooling map[string]time.Time
	if !r.set.DisableCooldowns {
		cooling = r.state.CoolingDown(ctx, group)
	}
	cands := make([]*Deployment, 0, len(deps))
	var soonest time.Time
	coolN, tagN, windowN := 0, 0, 0
	for _, d := range deps {
		if d.Unavailable != nil {
			continue
		}
		if until, ok := cooling[d.ID]; ok {
			coolN++
			if soonest.IsZero() || until.Before(soonest) {
				soonest = until
			}
			continue
		}
		if r.set.PreCallChecks && d.MaxInputTokens > 0 && req.Tokens > d.MaxInputTokens {
			windowN++
			continue
		}
		cands = append(cands, d)
	}
	// Tag filtering: a tagged request goes to the deployments with its
	// tags, else to the "default"-tagged ones; an untagged request goes to
	// the "default"-tagged deployments when there are any, else anywhere.
	if r.set.TagFiltering && len(cands) > 0 {
		defs := slices.DeleteFunc(slices.Clone(cands), func(d *Deployment) bool { return !slices.Contains(d.Tags, "default") })
		if len(req.Tags) > 0 {
			matched := slices.DeleteFunc(slices.Clone(cands), func(d *Deployment) bool { return !tagsMatch(d.Tags, req.Tags, r.set.TagMatchAny) })
			switch {
			case len(matched) > 0:
				cands = matched
			case len(defs) > 0:
				cands = defs
			default:
				tagN, cands = len(cands), nil
			}
		} else if len(defs) > 0 {
			cands = defs
		}
	}
	// Prefer deployments that have not failed this call.
	if len(req.exclude) > 0 {
		if fresh := slices.DeleteFunc(slices.Clone(cands), func(d *Deployment) bool { return req.exclude[d] }); len(fresh) > 0 {
			cands = fresh
		}
	}
	if len(cands) == 0 {
		e := &NoDeploymentError{Group: group, Kind: provider.KindBadRequest}
		switch {
		case coolN > 0 && tagN == 0 && windowN == 0:
			e.Kind, e.Reason = provider.KindRateLimit, fmt.Sprintf("all %d deployments are cooling down after failures", coolN)
			e.RetryAfter = soonest.Sub(now)
		case windowN > 0 && tagN == 0:
			e.Kind, e.Reason = provider.KindContextWindow, fmt.Sprintf("the request (~%d tokens) exceeds the context window of every deployment", req.Tokens)
		case tagN > 0:
			e.Reason = reasonTags
		default:
			// Every deployment is unavailable: call the first, whose
			// call reports why.
			return deps[0], nil
		}
		return nil, e.ProviderError()
	}
	if req.First != nil && slices.Contains(cands, req.First) {
		return req.First, nil
	}
	cands = bestTier(cands)
	if len(cands) == 1 {
		return cands[0], nil
	}
	return r.strategy(ctx, cands, req)
}

// tagsMatch reports whether a deployment has all of a request's tags (any
// of them, with tag_filtering_match_any).
func tagsMatch(have, want []string, any bool) bool {
	n := 0
	for _, t := range want {
		if slices.Contains(have, t) {
			n++
		}
	}
	if any {
		return n > 0
	}
	return n == len(want)
}

func bestTier(cands []*Deployment) []*Deployment {
	best := math.MaxInt
	for _, d := range cands {
		if d.Order > 0 && d.Order < best {
			best = d.Order
		}
	}
	if best == math.MaxInt {
		return cands
	}
	return slices.DeleteFunc(slices.Clone(cands), func(d *Deployment) bool { return d.Order != best })
}
