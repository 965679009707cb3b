// Package router maps a requested model name to the deployments that can
// serve it and picks one.
//
// Several model_list entries with one model_name form a group. This version
// implements LiteLLM's default strategy, simple-shuffle: a random pick
// weighted by each deployment's weight (else its rpm, else its tpm, else
// equally). Other strategies, retries, fallbacks and cooldowns build on
// Candidates.
package router

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"

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

// Router holds the model groups.
type Router struct {
	groups map[string][]*Deployment
	names  []string
	rand   func() float64
}

// Options tune a Router. A nil *Options means defaults.
type Options struct {
	// Rand returns a number in [0,1); nil means math/rand/v2.
	Rand func() float64
}

// New groups deployments by model name, keeping config order.
func New(deployments []*Deployment, opts *Options) *Router {
	r := &Router{groups: make(map[string][]*Deployment), rand: rand.Float64}
	if opts != nil && opts.Rand != nil {
		r.rand = opts.Rand
	}
	for _, d := range deployments {
		if _, ok := r.groups[d.Group]; !ok {
			r.names = append(r.names, d.Group)
		}
		r.groups[d.Group] = append(r.groups[d.Group], d)
	}
	return r
}

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

// Pick chooses the deployment to call for a model name.
func (r *Router) Pick(name string) (*Deployment, error) {
	g, ok := r.groups[name]
	if !ok {
		return nil, fmt.Errorf("%w: %q", ErrModelNotFound, name)
	}
	if len(g) == 1 {
		return g[0], nil
	}
	total := 0.0
	for _, d := range g {
		total += weight(d)
	}
	x := r.rand() * total
	for _, d := range g {
		x -= weight(d)
		if x < 0 {
			return d, nil
		}
	}
	return g[len(g)-1], nil
}

func weight(d *Deployment) float64 {
	if d.Weight > 0 {
		return d.Weight
	}
	return 1
}
