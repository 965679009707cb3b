package router

import (
	"context"
	"time"

	"github.com/tollgate-gw/tollgate/internal/provider"
)

// strategy picks among usable deployments of one tier.
func (r *Router) strategy(ctx context.Context, cands []*Deployment, req *Request) (*Deployment, error) {
	switch r.set.Strategy {
	case UsageBased, UsageBasedV1:
		return r.usageBased(ctx, cands, req)
	case LatencyBased:
		return r.latencyBased(cands), nil
	case LeastBusy:
		return r.lowest(cands, func(d *Deployment) float64 { _, n := r.local.stats(d.ID); return float64(n) }), nil
	case CostBased:
		return r.lowest(cands, func(d *Deployment) float64 { return d.InputCost + d.OutputCost }), nil
	}
	return r.shuffle(cands), nil
}

// shuffle is simple-shuffle: weighted by weight when any deployment has
// one, else by rpm, else by tpm, else uniform.
func (r *Router) shuffle(cands []*Deployment) *Deployment {
	w := func(d *Deployment) float64 { return 1 }
	switch {
	case anyOf(cands, func(d *Deployment) bool { return d.Weight > 0 }):
		w = func(d *Deployment) float64 { return d.Weight }
	case anyOf(cands, func(d *Deployment) bool { return d.RPM > 0 }):
		w = func(d *Deployment) float64 { return float64(d.RPM) }
	case anyOf(cands, func(d *Deployment) bool { return d.TPM > 0 }):
		w = func(d *Deployment) float64 { return float64(d.TPM) }
	}
	total := 0.0
	for _, d := range cands {
		total += w(d)
	}
	if total <= 0 {
		return cands[int(r.rand()*float64(len(cands)))%len(cands)]
	}
	x := r.rand() * total
	for _, d := range cands {
		x -= w(d)
		if x < 0 {
			return d
		}
	}
	return cands[len(cands)-1]
}

func anyOf(ds []*Deployment, f func(*Deployment) bool) bool {
	for _, d := range ds {
		if f(d) {
			return true
		}
	}
	return false
}

// usageBased is usage-based-routing-v2: among deployments whose rpm and
// tpm this minute leave room for this call, the one with the fewest
// tokens used (ties at random). When none has room, the call fails with a
// rate-limit error so fallbacks can take it.
func (r *Router) usageBased(ctx context.Context, cands []*Deployment, req *Request) (*Deployment, error) {
	room := make([]*Deployment, 0, len(cands))
	tokens := make(map[*Deployment]float64, len(cands))
	for _, d := range cands {
		u := r.state.Usage(ctx, d.ID)
		if d.RPM > 0 && u.Requests+1 > d.RPM {
			continue
		}
		if d.TPM > 0 && u.Tokens+int64(req.Tokens) > d.TPM {
			continue
		}
		room = append(room, d)
		tokens[d] = float64(u.Tokens)
	}
	if len(room) == 0 {
		return nil, (&NoDeploymentError{Group: cands[0].Group, Kind: provider.KindRateLimit,
			Reason: "every deployment is at its rpm/tpm limit for this minute", RetryAfter: untilNextMinute(r.now())}).ProviderError()
	}
	return r.lowest(room, func(d *Deployment) float64 { return tokens[d] }), nil
}

func untilNextMinute(now time.Time) time.Duration {
	return now.Truncate(time.Minute).Add(time.Minute).Sub(now)
}

// latencyBased picks at random among the deployments within
// LatencyBuffer of the lowest mean latency; a deployment without samples
// counts as fastest, so it gets tried.
func (r *Router) latencyBased(cands []*Deployment) *Deployment {
	lat := make([]float64, len(cands))
	best := -1.0
	for i, d := range cands {
		l, _ := r.local.stats(d.ID)
		lat[i] = float64(l)
		if best < 0 || lat[i] < best {
			best = lat[i]
		}
	}
	limit := best * (1 + r.set.LatencyBuffer)
	var near []*Deployment
	for i, d := range cands {
		if lat[i] <= limit {
			near = append(near, d)
		}
	}
	return near[int(r.rand()*float64(len(near)))%len(near)]
}

// lowest picks the deployment with the lowest score, ties at random.
func (r *Router) lowest(cands []*Deployment, score func(*Deployment) float64) *Deployment {
	var best []*Deployment
	bs := 0.0
	for _, d := range cands {
		s := score(d)
		switch {
		case len(best) == 0 || s < bs:
			best, bs = []*Deployment{d}, s
		case s == bs:
			best = append(best, d)
		}
	}
	return best[int(r.rand()*float64(len(best)))%len(best)]
}
