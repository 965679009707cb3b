package httpapi

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/types"

	"github.com/tollgate-gw/tollgate/internal/history"
	"github.com/tollgate-gw/tollgate/internal/llm"
	"github.com/tollgate-gw/tollgate/internal/obs"
	"github.com/tollgate-gw/tollgate/internal/provider"
	"github.com/tollgate-gw/tollgate/internal/router"
	brwire "github.com/tollgate-gw/tollgate/internal/wire/bedrock"
)

// PromptResolver finds the deployment that runs a Bedrock managed prompt: a
// model id such as arn:aws:bedrock:us-west-2:123456789012:prompt/ID:1,
// which no model group names. Both interfaces use it, so a prompt ARN works
// as the model of an OpenAI-format call and as the modelId of a Converse
// call.
type PromptResolver interface {
	// ResolvePrompt returns the deployment that runs the prompt model
	// names; ok is false when model is not a prompt ARN at all. err says
	// why a prompt cannot be run (no deployment for its region or
	// account) and what to configure.
	ResolvePrompt(model string) (dep *router.Deployment, ok bool, err error)
}

// bedrockRoute serves the Bedrock-format interface: the AWS SDKs call
// {endpoint}/model/{modelId}/converse and /converse-stream, with endpoint
// set to the gateway's base URL plus "/bedrock". A model id may contain
// '/' (a prompt ARN's "prompt/ID", a model group such as
// "meta-llama/Llama-3.2-1B") and ':', sent percent-encoded as one segment
// (as the SDKs do) or raw. A wildcard cannot be followed by a literal, so
// the route takes the rest of the path, which the mux unescapes, and the
// operation is its last segment.
const bedrockRoute = "/bedrock/model/{modelPath...}"

// registerBedrock mounts the Bedrock-format interface.
func (d *DataPlane) registerBedrock(mux Mux) {
	handle(mux, "POST", bedrockRoute, d.authedWith(writeBedrockError, d.converse))
}

// bedrockOperation splits the route's path value into the model id and the
// operation.
func bedrockOperation(path string) (modelID string, stream bool, err error) {
	i := strings.LastIndexByte(path, '/')
	if i > 0 {
		switch path[i+1:] {
		case "converse":
			return path[:i], false, nil
		case "converse-stream":
			return path[:i], true, nil
		}
	}
	return "", false, &provider.Error{Kind: provider.KindNotFound, Status: http.StatusNotFound,
		Code: "UnknownOperationException", Message: "no such operation: /bedrock/model/" + path +
			"; this gateway serves Converse and ConverseStream, as /bedrock/model/{modelId}/converse and " +
			"/bedrock/model/{modelId}/converse-stream"}
}

// converse serves Converse and ConverseStream for any model the gateway
// routes, whatever its provider, and for managed-prompt ARNs.
func (d *DataPlane) converse(w http.ResponseWriter, r *http.Request) {
	rec := obs.RecordFrom(r.Context())
	// The SDKs report x-amzn-RequestId as the request id of a response
	// and of an error, so the client's id is the one in our log.
	w.Header().Set("X-Amzn-Requestid", rec.RequestID)
	modelID, stream, err := bedrockOperation(r.PathValue("modelPath"))
	if err != nil {
		writeBedrockError(w, r, err)
		return
	}
	decode := brwire.DecodeConverseRequest
	if stream {
		decode = brwire.DecodeConverseStreamRequest
	}
	req, dep, err := decodeAndPick(d, w, r,
		func(body []byte) (*llm.Request, error) { return decode(modelID, body) },
		func(q *llm.Request) (*string, *llm.GatewayOptions, bool) { return &q.Model, &q.Gateway, stream })
	if err != nil {
		writeBedrockError(w, r, err)
		return
	}
	adm, err := d.admitChat(w, r, dep, req)
	if err != nil {
		writeBedrockError(w, r, err)
		return
	}
	defer adm.settle()
	turn, err := d.beginHistory(r, req)
	if err != nil {
		writeBedrockError(w, r, err)
		return
	}
	up := d.newUpstream(r)
	defer up.stop()
	if stream {
		d.converseStream(w, r, adm, up, dep, req, turn)
		return
	}
	resp, src, err := d.routeChat(w, r, up, dep, req)
	if err != nil {
		adm.failed(req, up)
		writeBedrockError(w, r, err)
		return
	}
	u, est := chatUsage(req, resp)
	o := src.outcome(u, 0, finished(r))
	o.UsageEstimated = est
	adm.served(w.Header(), o)
	for i := range resp.Choices {
		preferNative(&resp.Choices[i].FinishReason, resp.Choices[i].NativeFinishReason)
	}
	out, err := brwire.EncodeConverseResponse(resp, rec.Upstream)
	if err != nil {
		writeBedrockError(w, r, fmt.Errorf("answering %s in Converse's format: %w", src.dep.Label(), err))
		return
	}
	if turn != nil {
		d.recordHistory(r, turn, replyOf(resp), false)
		w.Header().Set(sessionHeader, turn.SessionID)
	}
	writeJSON(w, r, writeBedrockError, adm, src.dep, out)
}

// converseStream relays a streamed completion as ConverseStream events,
// each upstream chunk written and flushed as it arrives. Errors before the
// first chunk are ordinary Bedrock errors with a status; after it, an
// exception event ends the stream, which the SDKs raise from the stream's
// error. With a history turn, the x-session-id header names the session
// and the reply is recorded before the stream ends (marked incomplete if
// it did not finish). A client that leaves is billed as in chatStream.
func (d *DataPlane) converseStream(w http.ResponseWriter, r *http.Request, adm *admission, up *upstream, dep *router.Deployment, req *llm.Request, turn *history.Turn) {
	rec := obs.RecordFrom(r.Context())
	upStart := time.Now()
	// Open the stream and read its first chunk before committing to a 200,
	// so that an upstream failing at once is retried or falls back, or
	// still gets a proper status (route.go).
	stream, first, err := d.openChatStream(w, r, up, dep, req)
	rec.Upstream = time.Since(upStart)
	if err != nil {
		adm.failed(req, up)
		writeBedrockError(w, r, err)
		return
	}
	defer stream.Close()
	h := w.Header()
	h.Set("Content-Type", brwire.ContentType)
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Accel-Buffering", "no")
	setServedHeaders(h, stream.src.dep, rec)
	var col *history.Collector
	if turn != nil {
		col = &history.Collector{}
		h.Set(sessionHeader, turn.SessionID)
	}
	// record stores the turn on every way out below, before the last bytes.
	record := func(complete bool) {
		if col != nil {
			d.recordHistory(r, turn, col.Message(complete), !complete)
		}
	}
	w.WriteHeader(http.StatusOK)

	rc := http.NewResponseController(w)
	out := &trackedWriter{w: w}
	enc := brwire.NewStreamEncoder(out)
	gone := false
	for chunk := first; chunk != nil; chunk, err = stream.Recv() {
		if r.Context().Err() != nil {
			gone = true // the client left; a write may not say so yet
			break
		}
		for i := range chunk.Choices {
			preferNative(&chunk.Choices[i].FinishReason, chunk.Choices[i].NativeFinishReason)
		}
		if werr := enc.WriteChunk(chunk); werr != nil {
			if out.err != nil {
				gone = true
				break
			}
			// The upstream's chunks cannot be told as Converse events (a
			// tool call continued after its block was closed).
			err = &provider.Error{Kind: provider.KindUnavailable, Provider: stream.src.dep.Provider,
				Code: "ModelStreamErrorException", Message: "the model's stream cannot be relayed: " + werr.Error(), Err: werr}
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
	// A client that left while the gateway waited on the upstream is gone
	// too, whatever ended the wait.
	if gone = gone || r.Context().Err() != nil; gone {
		err = stream.drain()
	}
	rec.Upstream = time.Since(upStart)
	adm.served(nil, stream.outcome(streamStatus(gone, err)))
	if gone {
		rec.Error = "client went away mid-stream"
		record(false)
		return // the deferred Close releases the upstream
	}
	if err != nil && err != io.EOF {
		berr := recordBedrockError(rec, err)
		record(false)
		_ = adm.settleFirst()
		_ = brwire.WriteStreamError(out, berr)
		_ = rc.Flush()
		return
	}
	record(true)
	if serr := adm.settleFirst(); serr != nil {
		_ = brwire.WriteStreamError(out, recordBedrockError(rec, serr))
	} else {
		_ = enc.Finish(nil, rec.Upstream)
	}
	_ = rc.Flush()
}

// trackedWriter remembers the first write error, which tells a client that
// went away from an upstream stream the encoder refused.
type trackedWriter struct {
	w   io.Writer
	err error
}

func (t *trackedWriter) Write(p []byte) (int, error) {
	n, err := t.w.Write(p)
	if err != nil && t.err == nil {
		t.err = err
	}
	return n, err
}

// preferNative answers with the upstream's own finish reason when it is a
// Converse stop reason (Bedrock's stop_sequence, guardrail_intervened, ...),
// which OpenAI's vocabulary in FinishReason cannot express. The Converse
// encoder passes those through and maps the rest.
func preferNative(finish *string, native string) {
	if native != "" && slices.Contains(types.StopReason("").Values(), types.StopReason(native)) {
		*finish = native
	}
}

// bedrockError classifies err, once, as the Bedrock exception it is
// answered with (wire/bedrock's ExceptionFor holds the one table): a decode
// error passes through as wire/bedrock's own ValidationException; an
// adapter's error keeps a Bedrock upstream's exception name when it carries
// one and is otherwise named by the status of its kind; the gateway's own
// failures (reading the body, routing, authentication, an unusable
// deployment) are classified by toAPIError and named by its status, so both
// interfaces agree on them. A bad key becomes AccessDeniedException: Bedrock
// models no 401, and that is the exception the SDKs raise as a typed error
// for a refused caller.
func bedrockError(err error, requestID string) error {
	var de *brwire.DecodeError
	var ex *brwire.Exception
	if errors.As(err, &de) || errors.As(err, &ex) {
		return err
	}
	if pe, ok := provider.AsError(err); ok {
		return providerException(pe)
	}
	ae := toAPIError(err)
	msg := ae.Message
	if ae.Status >= 500 && ae.Type == "server_error" {
		msg += " (request id " + requestID + ")"
	}
	return &brwire.Exception{Name: brwire.ExceptionFor(ae.Status), Message: msg}
}

// providerException names an adapter's error in Bedrock's terms.
func providerException(pe *provider.Error) *brwire.Exception {
	msg := pe.Message
	if msg == "" {
		msg = pe.Kind.String()
	}
	return &brwire.Exception{Name: brwire.ExceptionFor(provider.StatusFor(pe.Kind), pe.Type, pe.Code),
		Message: msg, RetryAfter: pe.RetryAfter}
}

// recordBedrockError records err in the request log with the exception it
// is answered with, and returns it prepared for wire/bedrock.
func recordBedrockError(rec *obs.Record, err error) error {
	berr := bedrockError(err, rec.RequestID)
	_, rec.ErrorType, _ = brwire.ErrorFor(berr)
	rec.Error = err.Error()
	return berr
}

// writeBedrockError renders err as a Bedrock error response (status,
// x-amzn-ErrorType and {"message": ...}) and records it.
func writeBedrockError(w http.ResponseWriter, r *http.Request, err error) {
	rec := obs.RecordFrom(r.Context())
	w.Header().Set("X-Amzn-Requestid", rec.RequestID)
	brwire.WriteError(w, recordBedrockError(rec, err))
}
