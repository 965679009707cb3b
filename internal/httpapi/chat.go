package httpapi

import (
	"errors"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/tollgate-gw/tollgate/internal/history"
	"github.com/tollgate-gw/tollgate/internal/llm"
	"github.com/tollgate-gw/tollgate/internal/obs"
	"github.com/tollgate-gw/tollgate/internal/ratelimit"
	"github.com/tollgate-gw/tollgate/internal/router"
	oai "github.com/tollgate-gw/tollgate/internal/wire/openai"
)

// chat serves POST /v1/chat/completions.
func (d *DataPlane) chat(w http.ResponseWriter, r *http.Request) {
	req, dep, err := decodeAndPick(d, w, r, oai.DecodeChatRequest, func(q *llm.Request) (*string, *llm.GatewayOptions, bool) {
		return &q.Model, &q.Gateway, q.Stream
	})
	var batch *batchRequest
	if errors.As(err, &batch) {
		d.batchChat(w, r, batch)
		return
	}
	if err != nil {
		writeError(w, r, err)
		return
	}
	adm, err := d.admitChat(w, r, dep, req)
	if err != nil {
		writeError(w, r, err)
		return
	}
	defer adm.settle()
	turn, err := d.beginHistory(r, req)
	if err != nil {
		writeError(w, r, err)
		return
	}
	up := d.newUpstream(r)
	defer up.stop()
	if req.Stream {
		d.chatStream(w, r, adm, up, dep, req, turn)
		return
	}
	resp, src, err := d.routeChat(w, r, up, dep, req)
	if err != nil {
		adm.failed(req, up)
		writeError(w, r, err)
		return
	}
	if resp.Model == "" {
		resp.Model = req.Model
	}
	u, est := chatUsage(req, resp)
	o := src.outcome(u, 0, finished(r))
	o.UsageEstimated = est
	adm.served(w.Header(), o)
	var extra []llm.Field
	if turn != nil {
		d.recordHistory(r, turn, replyOf(resp), false)
		extra = sessionField(turn)
	}
	writeJSON(w, r, writeError, adm, src.dep, oai.AppendChatResponse(make([]byte, 0, 1024), resp, extra))
}

// failed settles a chat call that served nothing: free, unless the client
// left and the gateway cut the upstream call at the drain limit, which the
// provider has likely billed for the prompt (the estimate is billed).
func (a *admission) failed(req *llm.Request, up *upstream) {
	if up.cut() {
		o := source{}.outcome(estimate(router.EstimateTokens(req), 0), 0, ratelimit.StatusClientDisconnected)
		o.UsageEstimated = true
		a.served(nil, o)
	}
}

// pick resolves the requested model to a deployment and records it: a
// model group, else a Bedrock managed-prompt ARN through d.prompts.
func (d *DataPlane) pick(rec *obs.Record, model string) (*router.Deployment, error) {
	dep, err := d.router.Pick(model)
	if errors.Is(err, router.ErrModelNotFound) && d.prompts != nil {
		if pdep, ok, perr := d.prompts.ResolvePrompt(model); ok {
			dep, err = pdep, perr
		}
	}
	if err != nil {
		return nil, err
	}
	rec.Deployment, rec.Provider = dep.ID, dep.Provider
	if dep.Unavailable != nil {
		return nil, &Error{Status: http.StatusServiceUnavailable, Type: "server_error", Code: "deployment_unavailable",
			Message: "deployment " + dep.Label() + " of model " + model + " is not usable: " + dep.Unavailable.Error()}
	}
	return dep, nil
}

// setServedHeaders names the deployment that served and the gateway's own
// overhead (total time so far minus time waiting on the upstream), with
// LiteLLM's header names so existing dashboards keep working.
func setServedHeaders(h http.Header, dep *router.Deployment, rec *obs.Record) {
	h.Set("X-Litellm-Model-Id", dep.ID)
	h.Set("X-Litellm-Model-Group", dep.Group)
	h.Set("X-Tollgate-Deployment", dep.Label())
	overhead := time.Since(rec.Start) - rec.Upstream
	h.Set("X-Litellm-Overhead-Duration-Ms", strconv.FormatFloat(float64(overhead.Microseconds())/1000, 'f', 3, 64))
}

// chatStream relays a streamed completion as server-sent events, writing
// each chunk as it arrives. Errors before the first chunk are ordinary HTTP
// errors; after it, an error event ends the stream. With a history turn,
// the first chunk carries session_id and the reply is recorded before the
// stream ends (marked incomplete if it did not finish). A client that
// leaves is billed for what the provider bills: the upstream is read on to
// its usage (meter.drain).
func (d *DataPlane) chatStream(w http.ResponseWriter, r *http.Request, adm *admission, up *upstream, dep *router.Deployment, req *llm.Request, turn *history.Turn) {
	rec := obs.RecordFrom(r.Context())
	upStart := time.Now()
	// Open the stream and read its first chunk before committing to a 200,
	// so that an upstream failing at once is retried or falls back, or
	// still gets a proper status (route.go).
	stream, first, err := d.openChatStream(w, r, up, dep, req)
	rec.Upstream = time.Since(upStart)
	if err != nil {
		adm.failed(req, up)
		writeError(w, r, err)
		return
	}
	defer stream.Close()
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Accel-Buffering", "no")
	setServedHeaders(h, stream.src.dep, rec)
	w.WriteHeader(http.StatusOK)

	rc := http.NewResponseController(w)
	buf := make([]byte, 0, 1024)
	var col *history.Collector
	var extra []llm.Field
	if turn != nil {
		col, extra = &history.Collector{}, sessionField(turn)
	}
	gone := false
	chunk := first
	for chunk != nil {
		if r.Context().Err() != nil {
			gone = true // the client left; a write may not say so yet
			break
		}
		if chunk.Model == "" {
			chunk.Model = req.Model
		}
		if chunk.Usage != nil && !req.IncludeUsage {
			// Adapters always ask upstream for usage (the gateway accounts
			// for every call, meter); the client sees it only if it asked.
			if len(chunk.Choices) == 0 {
				chunk = nil
			} else {
				chunk.Usage = nil
			}
		}
		if chunk != nil {
			buf = oai.AppendChunkEvent(buf[:0], chunk, extra)
			extra = nil
			if _, werr := w.Write(buf); werr != nil {
				gone = true
				break
			}
			if ferr := rc.Flush(); ferr != nil && !errors.Is(ferr, http.ErrNotSupported) {
				gone = true
				break
			}
			if col != nil {
				col.Add(chunk) // history keeps what the client got
			}
		}
		chunk, err = stream.Recv()
	}
	// A client that left while the gateway waited on the upstream is gone
	// too, whatever ended the wait.
	if gone = gone || r.Context().Err() != nil; gone {
		err = stream.drain()
	}
	rec.Upstream = time.Since(upStart)
	adm.served(nil, stream.outcome(streamStatus(gone, err)))
	if gone {
		rec.Error = "client went away mid-stream"
		if col != nil {
			d.recordHistory(r, turn, col.Message(false), true)
		}
		return // the deferred Close releases the upstream
	}
	if err != nil && err != io.EOF {
		ae := toAPIError(err)
		rec.ErrorType, rec.Error = ae.Type, err.Error()
		if col != nil {
			d.recordHistory(r, turn, col.Message(false), true)
		}
		_ = adm.settleFirst()
		_, _ = w.Write(oai.AppendErrorEvent(buf[:0], oai.ErrorBody{Message: ae.Message, Type: ae.Type, Code: ae.Code, Param: ae.Param}))
		_ = rc.Flush()
		return
	}
	if col != nil {
		// Before [DONE], so a client can continue the session once its
		// stream has ended.
		d.recordHistory(r, turn, col.Message(true), false)
	}
	// A gating settle lands before the client sees the end; if it cannot
	// (limits fail closed), the end is an error event instead of [DONE].
	if serr := adm.settleFirst(); serr != nil {
		ae := toAPIError(serr)
		rec.ErrorType, rec.Error = ae.Type, serr.Error()
		_, _ = w.Write(oai.AppendErrorEvent(buf[:0], oai.ErrorBody{Message: ae.Message, Type: ae.Type, Code: ae.Code}))
	} else {
		_ = oai.WriteDone(w)
	}
	_ = rc.Flush()
}
