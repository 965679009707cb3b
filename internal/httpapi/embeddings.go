package httpapi

import (
	"github.com/tollgate-gw/tollgate/internal/llm"
	"net/http"
	"strconv"
	"time"

	"github.com/tollgate-gw/tollgate/internal/obs"
	"github.com/tollgate-gw/tollgate/internal/provider"
	"github.com/tollgate-gw/tollgate/internal/ratelimit"
	"github.com/tollgate-gw/tollgate/internal/router"
	oai "github.com/tollgate-gw/tollgate/internal/wire/openai"
)

// embeddings serves POST /v1/embeddings.
func (d *DataPlane) embeddings(w http.ResponseWriter, r *http.Request) {
	req, dep, err := decodeAndPick(d, w, r, oai.DecodeEmbeddingRequest, func(q *llm.EmbeddingRequest) (*string, *llm.GatewayOptions, bool) {
		return &q.Model, &q.Gateway, false
	})
	if err != nil {
		writeError(w, r, err)
		return
	}
	// Each attempt checks its own deployment too (route.go).
	_, ok := dep.Model.(provider.Embedder)
	if !ok {
		writeError(w, r, badRequest("model", "model %q (%s) does not support embeddings", req.Model, dep.Label()))
		return
	}
	bound := router.EmbeddingTokenBound(req)
	adm, err := d.admit(w, r, dep, req.Model, req.User, int64(router.EstimateTextTokens(req.Input)),
		ratelimit.Bound{PromptTokens: bound, NoOutput: true}, req.Gateway.Priority, d.alternatives(r, req.Model, &req.Gateway, dep))
	if err != nil {
		writeError(w, r, err)
		return
	}
	defer adm.settle()
	up := d.newUpstream(r)
	defer up.stop()
	resp, src, err := d.routeEmbed(w, r, up, dep, req)
	if err != nil {
		writeError(w, r, err)
		return
	}
	if resp.Model == "" {
		resp.Model = req.Model
	}
	u, est := resp.Usage, false
	if u == nil {
		// Never free for lack of a usage report.
		u, est = estimate(router.EstimateTextTokens(req.Input), 0), true
	}
	o := src.outcome(u, 0, finished(r))
	o.UsageEstimated = est
	adm.served(w.Header(), o)
	writeJSON(w, r, writeError, adm, src.dep, oai.EncodeEmbeddingResponse(resp, req))
}

// images serves POST /v1/images/generations.
func (d *DataPlane) images(w http.ResponseWriter, r *http.Request) {
	req, dep, err := decodeAndPick(d, w, r, oai.DecodeImageRequest, func(q *llm.ImageRequest) (*string, *llm.GatewayOptions, bool) {
		return &q.Model, &q.Gateway, false
	})
	if err != nil {
		writeError(w, r, err)
		return
	}
	_, ok := dep.Model.(provider.ImageGenerator)
	if !ok {
		writeError(w, r, badRequest("model", "model %q (%s) does not support image generation", req.Model, dep.Label()))
		return
	}
	images := int64(1)
	if req.N != nil {
		images = int64(max(*req.N, 1))
	}
	adm, err := d.admit(w, r, dep, req.Model, req.User, int64(router.EstimateTextTokens([]string{req.Prompt})),
		ratelimit.Bound{PromptTokens: int64(len(req.Prompt)), Images: images, NoOutput: true}, req.Gateway.Priority,
		d.alternatives(r, req.Model, &req.Gateway, dep))
	if err != nil {
		writeError(w, r, err)
		return
	}
	defer adm.settle()
	up := d.newUpstream(r)
	defer up.stop()
	resp, src, err := d.routeImage(w, r, up, dep, req)
	if err != nil {
		writeError(w, r, err)
		return
	}
	if resp.Created == 0 {
		resp.Created = time.Now().Unix()
	}
	adm.served(w.Header(), src.outcome(nil, len(resp.Images), finished(r)))
	writeJSON(w, r, writeError, adm, src.dep, oai.EncodeImageResponse(resp))
}

// writeJSON sends a successful JSON response from dep and flushes it, so
// that the client has it while the handler's deferred settle still runs;
// adm settles first when its settle gates later admissions, and when that
// settle cannot be written (limits fail closed) the answer is withheld and
// fail renders the 503 instead.
func writeJSON(w http.ResponseWriter, r *http.Request, fail func(http.ResponseWriter, *http.Request, error), adm *admission, dep *router.Deployment, body []byte) {
	if err := adm.settleFirst(); err != nil {
		fail(w, r, err)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	setServedHeaders(h, dep, obs.RecordFrom(r.Context()))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(body)
	_ = http.NewResponseController(w).Flush()
}
