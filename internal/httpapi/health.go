package httpapi

import (
	"encoding/json"
	"net/http"
)

// Readiness is what GET /health/readiness reports beyond "healthy": the
// configuration options Tollgate does not honour (yet), each with its key
// path, and deployments that could not be built. An operator reads this to
// learn what their config.yaml asks for that is not happening.
type Readiness struct {
	Status  string `json:"status"`
	Version string `json:"version,omitempty"`
	Store   string `json:"store,omitempty"`
	Models  int    `json:"models"`
	// Notices lists config options not honoured as written.
	Notices []Notice `json:"config_notices"`
	// Unavailable lists deployments that cannot serve, and why.
	Unavailable []UnavailableDeployment `json:"unavailable_deployments"`
}

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
	if ready.Status == "" {
		ready.Status = "healthy"
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
	handle(mux, "GET", "/health/readiness", func(w http.ResponseWriter, r *http.Request) { writeRaw(w, readyBody) })
}
