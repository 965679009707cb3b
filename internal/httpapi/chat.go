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
	"github.com/tollgate-gw/tollgate/internal/router"
	oai "github.com/tollgate-gw/tollgate/internal/wire/openai"
)

// chat serves POST /v1/chat/completions.
func (d *DataPlane) chat(w http.ResponseWriter, r *http.Request) {
	rec := obs.RecordFrom(r.Context())
	req, dep, err := decodeAndPick(d, w, r, oai.DecodeChatRequest, func(q *llm.Request) (*string, bool) { return &q.Model, q.Stream })
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
	if req.Stream {
		d.chatStream(w, r, adm, dep, req, turn)
		return
	}
	resp, dep, err := d.routeChat(w, r, dep, req)
	if err != nil {
		writeError(w, r, err)
		return
	}
	if resp.Model == "" {
		resp.Model = req.Model
	}
	if resp.Usage != nil {
		rec.PromptTokens, rec.CompletionTokens = resp.Usage.PromptTokens, resp.Usage.CompletionTokens
	}
	adm.priced(w.Header(), resp.Usage, 0)
	var extra []llm.Field
	if turn != nil {
		d.recordHistory(r, turn, replyOf(resp), false)
		extra = sessionField(turn)
	}
	writeJSON(w, adm, dep, rec, oai.AppendChatResponse(make([]byte, 0, 1024), resp, extra))
}

// pick resolves the requested model to a deployment and records it: a
// model group, else a Bedrock managed-prompt ARN through d.Prompts.
func (d *DataPlane) pick(rec *obs.Record, model string) (*router.Deployment, error) {
	dep, err := d.Router.Pick(model)
	if errors.Is(err, router.ErrModelNotFound) && d.Prompts != nil {
		if pdep, ok, perr := d.Prompts.ResolvePrompt(model); ok {
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
// stream ends (marked incomplete if it did not finish).
func (d *DataPlane) chatStream(w http.ResponseWriter, r *http.Request, adm *admission, dep *router.Deployment, req *llm.Request, turn *history.Turn) {
	rec := obs.RecordFrom(r.Context())
	upStart := time.Now()
	// Open the stream and read its first chunk before committing to a 200,
	// so that an upstream failing at once is retried or falls back, or
	// still gets a proper status (route.go).
	stream, first, dep, err := d.openChatStream(w, r, dep, req)
	rec.Upstream = time.Since(upStart)
	if err != nil {
		writeError(w, r, err)
		return
	}
	defer stream.Close()
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Accel-Buffering", "no")
	setServedHeaders(h, dep, rec)
	w.WriteHeader(http.StatusOK)

	rc := http.NewResponseController(w)
	buf := make([]byte, 0, 1024)
	var usage llm.Usage
	var col *history.Collector
	var extra []llm.Field
	if turn != nil {
		col, extra = &history.Collector{}, sessionField(turn)
	}
	gone := false
	chunk := first
	for chunk != nil {
		if chunk.Model == "" {
			chunk.Model = req.Model
		}
		if chunk.Usage != nil {
			usage = *chunk.Usage
			// Adapters always ask upstream for usage (the gateway accounts
			// for every call); the client sees it only if it asked.
			if !req.IncludeUsage {
				if len(chunk.Choices) == 0 {
					chunk = nil
				} else {
					chunk.Usage = nil
				}
			}
		}
		if chunk != nil {
			buf = oai.AppendChunkEvent(buf[:0], chunk, extra)
			extra = nil
			if _, werr := w.Write(buf); werr != nil {
				gone = true
				break // client gone; the deferred Close cancels the upstream
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
	rec.Upstream = time.Since(upStart)
	rec.PromptTokens, rec.CompletionTokens = usage.PromptTokens, usage.CompletionTokens
	if err != nil && err != io.EOF {
		ae := toAPIError(err)
		rec.ErrorType, rec.Error = ae.Type, err.Error()
		if col != nil {
			d.recordHistory(r, turn, col.Message(false), true)
		}
		adm.settleFirst()
		if r.Context().Err() == nil {
			_, _ = w.Write(oai.AppendErrorEvent(buf[:0], oai.ErrorBody{Message: ae.Message, Type: ae.Type, Code: ae.Code, Param: ae.Param}))
			_ = rc.Flush()
		}
		return
	}
	if col != nil {
		// Before [DONE], so a client can continue the session once its
		// stream has ended.
		d.recordHistory(r, turn, col.Message(!gone), gone)
	}
	adm.settleFirst() // a gating settle lands before the client sees the end
	_ = oai.WriteDone(w)
	_ = rc.Flush()
}
