package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"sync"
	"time"

	"github.com/tollgate-gw/tollgate/internal/auth"
	"github.com/tollgate-gw/tollgate/internal/llm"
	"github.com/tollgate-gw/tollgate/internal/provider"
	"github.com/tollgate-gw/tollgate/internal/router"
)

// Bounds of GET /health: it makes a real call per deployment, so at most
// this many at once, each within healthCallTimeout.
const (
	healthConcurrency = 4
	healthCallTimeout = 15 * time.Second
)

// EndpointHealth is one deployment in GET /health: what it is, without
// secrets, and why it failed.
type EndpointHealth struct {
	ModelName string `json:"model_name"`
	Model     string `json:"model"`
	ModelID   string `json:"model_id"`
	Provider  string `json:"custom_llm_provider"`
	Error     string `json:"error,omitempty"`
}

// HealthReport is GET /health's body (LiteLLM's shape).
type HealthReport struct {
	Healthy        []EndpointHealth `json:"healthy_endpoints"`
	Unhealthy      []EndpointHealth `json:"unhealthy_endpoints"`
	HealthyCount   int              `json:"healthy_count"`
	UnhealthyCount int              `json:"unhealthy_count"`
}

// deploymentHealth serves GET /health[?model=…], LiteLLM's deployment
// health check, for proxy admins: a cheap real call to every deployment
// (a one-token chat, or a one-word embedding for embedding models; image
// models are listed healthy when they can be built, not called), at most
// healthConcurrency at once, each bounded by healthCallTimeout. Nothing is
// billed to a key: the calls are the operator's.
func (d *DataPlane) deploymentHealth(w http.ResponseWriter, r *http.Request) {
	if p := auth.FromContext(r.Context()); !p.IsAdmin() {
		writeError(w, r, &Error{Status: http.StatusForbidden, Type: "permission_error", Code: "forbidden",
			Message: "GET /health calls every deployment and is for proxy admins; probes use /health/liveliness and /health/readiness"})
		return
	}
	var deps []*router.Deployment
	for _, name := range d.router.Models() {
		if m := r.URL.Query().Get("model"); m != "" && m != name {
			continue
		}
		g, _ := d.router.Group(name)
		deps = append(deps, g...)
	}
	results := make([]EndpointHealth, len(deps))
	errs := make([]error, len(deps))
	sem := make(chan struct{}, healthConcurrency)
	var wg sync.WaitGroup
	for i, dep := range deps {
		results[i] = EndpointHealth{ModelName: dep.Group, Model: dep.Label(), ModelID: dep.ID, Provider: dep.Provider}
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			ctx, cancel := context.WithTimeout(r.Context(), healthCallTimeout)
			defer cancel()
			errs[i] = d.probe(ctx, dep)
		}()
	}
	wg.Wait()
	out := HealthReport{Healthy: []EndpointHealth{}, Unhealthy: []EndpointHealth{}}
	for i, e := range results {
		if errs[i] != nil {
			e.Error = toAPIError(errs[i]).Message
			if dep := deps[i]; dep.Unavailable != nil {
				e.Error = dep.Unavailable.Error() // as /health/readiness shows it
			}
			out.Unhealthy = append(out.Unhealthy, e)
		} else {
			out.Healthy = append(out.Healthy, e)
		}
	}
	out.HealthyCount, out.UnhealthyCount = len(out.Healthy), len(out.Unhealthy)
	body, err := json.Marshal(out)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeRaw(w, body)
}

// errNoEmbed is an embedding deployment whose adapter cannot embed.
var errNoEmbed = errors.New("this deployment's provider cannot embed")

// probe makes the cheapest real call a deployment takes.
func (d *DataPlane) probe(ctx context.Context, dep *router.Deployment) error {
	if dep.Unavailable != nil {
		return dep.Unavailable
	}
	switch d.modes[dep.ID] {
	case "embedding":
		e, ok := dep.Model.(provider.Embedder)
		if !ok {
			return errNoEmbed
		}
		_, err := e.Embed(ctx, &llm.EmbeddingRequest{Model: dep.Group, Input: []string{"ping"}})
		return err
	case "image_generation":
		return nil
	}
	one := 1
	_, err := dep.Model.Chat(ctx, &llm.Request{Model: dep.Group, MaxTokens: &one,
		Messages: []llm.Message{{Role: llm.RoleUser, Content: []llm.Part{{Type: llm.PartText, Text: "ping"}}}}})
	return err
}
