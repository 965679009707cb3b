package httpapi

import (
	"encoding/json"
	"net/http"
)

// Readiness is what GET /health/readiness reports: whether the gateway can
// serve, and what it does not do that its configuration asks for (options
// not honoured, each with its key path, and deployments that could not be
// built). An operator reads this to learn what their config.yaml asks for
// that is not happening.
type Readiness struct {
	// Status is StatusHealthy, StatusDegraded or StatusUnhealthy; Health
	// sets it from the other fields.
	Status  string `json:"status"`
	Version string `json:"version,omitempty"`
	// LiteLLMVersion is LiteLLM's name for the version (litellm_version):
	// Tollgate's own, so tools that read LiteLLM's readiness parse ours.
	LiteLLMVersion string `json:"litellm_version"`
	Store          string `json:"store,omitempty"`
	Models         int    `json:"models"`
	// Deployments counts the configured deployments, Serving those that
	// can answer a call.
	Deployments int `json:"deployments"`
	Serving     int `json:"serving_deployments"`
	// Reasons says, one line each, why the status is not healthy.
	Reasons []string `json:"reasons"`
	// Notices lists config options not honoured as written.
	Notices []Notice `json:"config_notices"`
	// Unavailable lists deployments that cannot serve, and why.
	Unavailable []UnavailableDeployment `json:"unavailable_deployments"`
}

// Readiness statuses. Only StatusUnhealthy answers 503: a load balancer
// that probes /health/readiness keeps sending traffic to a degraded gateway,
// which still serves what it can.
const (
	// StatusHealthy: every deployment can serve and every option is
	// honoured.
	StatusHealthy = "healthy"
	// StatusDegraded: something configured cannot serve or is not honoured;
	// Reasons say what.
	StatusDegraded = "degraded"
	// StatusUnhealthy: deployments are configured and none of them can
	// serve.
	StatusUnhealthy = "unhealthy"
)

// Notice is one config option reported at start-up.
type Notice struct {
	Path    string `json:"path"`
	File    string `json:"file,omitempty"`
	Line    int    `json:"line,omitempty"`
	Kind    string `json:"kind"`
	Message string `json:"message"`
}

// UnavailableDeployment is a deployment that cannot serve.
type UnavailableDeployment struct {
	Model      string `json:"model"`
	Deployment string `json:"deployment"`
	Reason     string `json:"reason"`
}

// Health mounts the unauthenticated health routes (load balancers and
// Kubernetes probes call them without a key, as with LiteLLM).
func Health(mux Mux, ready Readiness) {
	code := http.StatusOK
	switch {
	case ready.Deployments > 0 && ready.Serving == 0:
		ready.Status, code = StatusUnhealthy, http.StatusServiceUnavailable
	case len(ready.Reasons) > 0:
		ready.Status = StatusDegraded
	default:
		ready.Status = StatusHealthy
	}
	if ready.Reasons == nil {
		ready.Reasons = []string{}
	}
	if ready.LiteLLMVersion == "" {
		ready.LiteLLMVersion = ready.Version
	}
	if ready.Notices == nil {
		ready.Notices = []Notice{}
	}
	if ready.Unavailable == nil {
		ready.Unavailable = []UnavailableDeployment{}
	}
	readyBody, err := json.Marshal(ready)
	if err != nil {
		panic("httpapi: readiness report does not encode: " + err.Error()) // plain data: a programmer error
	}
	alive := []byte(`"I'm alive!"`)
	live := func(w http.ResponseWriter, r *http.Request) { writeRaw(w, alive) }
	handle(mux, "GET", "/health/liveliness", live)
	handle(mux, "GET", "/health/liveness", live)
	handle(mux, "GET", "/health/readiness", func(w http.ResponseWriter, r *http.Request) { writeRawStatus(w, code, readyBody) })
}
