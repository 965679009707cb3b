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
	rec := obs.RecordFrom(r.Context())
	req, dep, err := decodeAndPick(d, w, r, oai.DecodeEmbeddingRequest, func(q *llm.EmbeddingRequest) (*string, bool) { return &q.Model, false })
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
		ratelimit.Bound{PromptTokens: bound, NoOutput: true}, req.Gateway.Priority)
	if err != nil {
		writeError(w, r, err)
		return
	}
	defer adm.settle()
	resp, dep, err := d.routeEmbed(w, r, dep, req)
	if err != nil {
		writeError(w, r, err)
		return
	}
	if resp.Model == "" {
		resp.Model = req.Model
	}
	if resp.Usage != nil {
		rec.PromptTokens = resp.Usage.PromptTokens
	}
	adm.priced(w.Header(), resp.Usage, 0)
	writeJSON(w, adm, dep, rec, oai.EncodeEmbeddingResponse(resp, req))
}

// images serves POST /v1/images/generations.
func (d *DataPlane) images(w http.ResponseWriter, r *http.Request) {
	rec := obs.RecordFrom(r.Context())
	req, dep, err := decodeAndPick(d, w, r, oai.DecodeImageRequest, func(q *llm.ImageRequest) (*string, bool) { return &q.Model, false })
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
		ratelimit.Bound{PromptTokens: int64(len(req.Prompt)), Images: images, NoOutput: true}, req.Gateway.Priority)
	if err != nil {
		writeError(w, r, err)
		return
	}
	defer adm.settle()
	resp, dep, err := d.routeImage(w, r, dep, req)
	if err != nil {
		writeError(w, r, err)
		return
	}
	if resp.Created == 0 {
		resp.Created = time.Now().Unix()
	}
	adm.priced(w.Header(), nil, len(resp.Images))
	writeJSON(w, adm, dep, rec, oai.EncodeImageResponse(resp))
}

// writeJSON sends a successful JSON response from dep and flushes it, so
// that the client has it while the handler's deferred settle still runs;
// adm settles first when its settle gates later admissions.
func writeJSON(w http.ResponseWriter, adm *admission, dep *router.Deployment, rec *obs.Record, body []byte) {
	adm.settleFirst()
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	setServedHeaders(h, dep, rec)
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(body)
	_ = http.NewResponseController(w).Flush()
}
