package httpapi

import (
	"bytes"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/tollgate-gw/tollgate/internal/obs"
)

// batchRequest is a chat request whose model is a comma-separated list
// ("gpt-4o,claude"): LiteLLM's batch completion across models, answered
// with the list of each model's completion. Decoding returns it as an
// error so that only the chat route acts on it; elsewhere it renders as
// the 400 it wraps.
type batchRequest struct {
	err    *Error
	models []string
	body   []byte
	stream bool
}

func newBatch(list string, body []byte, stream bool) *batchRequest {
	b := &batchRequest{body: body, stream: stream, err: &Error{Status: http.StatusBadRequest, Type: "invalid_request_error",
		Param: "model", Message: "model " + list + " names several models: a list of models is served only by POST /v1/chat/completions (batch completion)"}}
	for _, m := range strings.Split(list, ",") {
		if m = strings.TrimSpace(m); m != "" {
			b.models = append(b.models, m)
		}
	}
	return b
}

func (b *batchRequest) Error() string { return b.err.Message }

// Unwrap lets toAPIError render the 400.
func (b *batchRequest) Unwrap() error { return b.err }

// maxBatchModels bounds one batch: each model is a full call, with its
// own admission and spend.
const maxBatchModels = 8

// batchChat serves a batch: each model in turn runs the whole chat path
// (its access check, alias, limits, routing and spend), and the answer is
// the JSON list of the completions, in the order asked. The first model
// that fails ends the batch with its error; the calls made so far are
// billed, as they were made.
func (d *DataPlane) batchChat(w http.ResponseWriter, r *http.Request, b *batchRequest) {
	switch {
	case b.stream:
		writeError(w, r, &Error{Status: http.StatusBadRequest, Type: "invalid_request_error", Param: "stream",
			Message: "a batch completion across models (model \"a,b\") cannot stream; send stream: false"})
		return
	case len(b.models) < 2 || len(b.models) > maxBatchModels:
		writeError(w, r, &Error{Status: http.StatusBadRequest, Type: "invalid_request_error", Param: "model",
			Message: "a batch completion names 2 to 8 models separated by commas"})
		return
	}
	out := []byte{'['}
	parent := obs.RecordFrom(r.Context())
	for i, m := range b.models {
		// Each call has a record, and so a request id, of its own: the id
		// names its spend record and its leases, which two calls must not
		// share (the second spend record would be refused as a duplicate).
		own := &obs.Record{RequestID: parent.RequestID + "-" + strconv.Itoa(i+1), Method: parent.Method,
			Route: parent.Route, Principal: parent.Principal, Start: time.Now()}
		sub := r.Clone(obs.WithRecord(r.Context(), own))
		sub.SetPathValue("deployment", m) // decodeAndPick serves it as the model
		sub.Body, sub.ContentLength = io.NopCloser(bytes.NewReader(b.body)), int64(len(b.body))
		rec := &bufferWriter{header: http.Header{}}
		d.chat(rec, sub)
		parent.Fold(own)
		if rec.status != http.StatusOK {
			copyHeader(w.Header(), rec.header)
			w.WriteHeader(rec.status)
			_, _ = w.Write(rec.body.Bytes())
			return
		}
		if i > 0 {
			out = append(out, ',')
		}
		out = append(out, bytes.TrimSpace(rec.body.Bytes())...)
	}
	writeRaw(w, append(out, ']'))
}

func copyHeader(dst, src http.Header) {
	for k, v := range src {
		if k != "Content-Length" {
			dst[k] = v
		}
	}
}

// bufferWriter keeps one sub-call's answer.
type bufferWriter struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (b *bufferWriter) Header() http.Header { return b.header }

func (b *bufferWriter) WriteHeader(status int) {
	if b.status == 0 {
		b.status = status
	}
}

func (b *bufferWriter) Write(p []byte) (int, error) {
	b.WriteHeader(http.StatusOK)
	return b.body.Write(p)
}
