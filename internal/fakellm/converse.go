package fakellm

import (
	"net/http"
	"time"

	"github.com/tollgate-gw/tollgate/internal/provider"
	"github.com/tollgate-gw/tollgate/internal/wire/bedrock"
)

// converse answers a Bedrock Converse call after the drawn delay. The model
// id only names the request; every id gets the fake's answer.
func (s *server) converse(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	sc := s.scratch()
	defer s.release(sc)
	body, err := s.readBody(w, r, sc)
	if err != nil {
		writeBedrockError(w, err)
		return
	}
	req, err := bedrock.DecodeConverseRequest(r.PathValue("model_id"), body)
	if err != nil {
		writeBedrockError(w, err)
		return
	}
	ctx := r.Context()
	if err := s.wait(ctx, nil, s.draw(s.delay)); err != nil {
		return // the client left
	}
	resp, err := s.model.Chat(ctx, req)
	if err != nil {
		writeBedrockError(w, err)
		return
	}
	out, err := bedrock.EncodeConverseResponse(resp, time.Since(start))
	if err != nil {
		writeBedrockError(w, err)
		return
	}
	writeJSON(w, out)
}

// converseStream answers a ConverseStream call in eventstream framing, with
// the drawn gaps between chunks. It is not in the seeds' server; it lets the
// gateway's Bedrock adapter stream from the fake too.
func (s *server) converseStream(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	sc := s.scratch()
	defer s.release(sc)
	body, err := s.readBody(w, r, sc)
	if err != nil {
		writeBedrockError(w, err)
		return
	}
	req, err := bedrock.DecodeConverseStreamRequest(r.PathValue("model_id"), body)
	if err != nil {
		writeBedrockError(w, err)
		return
	}
	req.IncludeUsage = true // a ConverseStream always ends with usage metadata
	st, err := s.model.ChatStream(r.Context(), req)
	if err != nil {
		writeBedrockError(w, err)
		return
	}
	defer st.Close()
	w.Header().Set("Content-Type", bedrock.ContentType)
	w.WriteHeader(http.StatusOK)
	f := flusher{rc: http.NewResponseController(w)}
	enc := bedrock.NewStreamEncoder(w)
	if !s.pump(r.Context(), st, &f, enc.WriteChunk) {
		return
	}
	if enc.Finish(nil, time.Since(start)) == nil {
		f.flush()
	}
}

// writeBedrockError reports a failure in Bedrock's error shape, unless the
// client has left. The fake's errors (a body it cannot read, the fake
// model's injected faults) are adapter errors, named by the status of their
// kind as the gateway names them.
func writeBedrockError(w http.ResponseWriter, err error) {
	if clientGone(err) {
		return
	}
	if pe, ok := provider.AsError(err); ok {
		msg := pe.Message
		if msg == "" {
			msg = pe.Kind.String()
		}
		err = &bedrock.Exception{Name: bedrock.ExceptionFor(provider.StatusFor(pe.Kind), pe.Type, pe.Code),
			Message: msg, RetryAfter: pe.RetryAfter}
	}
	bedrock.WriteError(w, err)
}
