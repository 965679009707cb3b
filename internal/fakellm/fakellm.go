package fakellm

import (
	"bytes"
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/tollgate-gw/tollgate/internal/llm"
	"github.com/tollgate-gw/tollgate/internal/provider"
	"github.com/tollgate-gw/tollgate/internal/provider/fake"
	oai "github.com/tollgate-gw/tollgate/internal/wire/openai"
)

// maxBody bounds a request body; the fake has no reason to read more than
// an API Gateway or Lambda front would pass on.
const maxBody = 6 << 20

// pooledLimit is the largest buffer returned to the pool, so one huge
// request does not pin its memory for the life of the process.
const pooledLimit = 256 << 10

// fixedSeed seeds the default Rand: repeatable runs when nobody chose.
const fixedSeed = 0x746f6c6c67617465 // "tollgate"

// server holds what requests share. The only shared mutable state is the
// random source (behind mu) and the buffer pool.
type server struct {
	model *fake.Model
	delay [2]time.Duration
	gap   [2]time.Duration
	// probe holds the routes without the catch-all, to tell an unknown
	// path (404) from a wrong method (405).
	probe *http.ServeMux

	mu  sync.Mutex
	rnd *rand.Rand

	bufs sync.Pool // *scratch
}

// scratch is the per-request buffer set, pooled across requests.
type scratch struct {
	in  bytes.Buffer // the request body
	out []byte       // the encoded response or event
}

// New returns the fake LLM server. It panics when opts are invalid (a
// negative duration, a range whose minimum exceeds its maximum, negative
// Chunks): that is a programmer error, and OptionsFromEnv never returns
// such options.
func New(opts Options) http.Handler {
	if err := opts.validate(); err != nil {
		panic("fakellm: invalid options: " + err.Error())
	}
	s := &server{
		model: fake.New(fake.Options{StreamChunks: opts.Chunks}),
		delay: opts.Delay,
		gap:   opts.ChunkGap,
		rnd:   opts.Rand,
		bufs:  sync.Pool{New: func() any { return new(scratch) }},
	}
	if s.rnd == nil {
		s.rnd = rand.New(rand.NewPCG(fixedSeed, fixedSeed))
	}
	mux := http.NewServeMux()
	s.routes(mux)
	mux.HandleFunc("/", s.unmatched)
	s.probe = http.NewServeMux()
	s.routes(s.probe)
	return mux
}

// mux is where routes register: an *http.ServeMux, or Routes' recorder.
type mux interface {
	HandleFunc(pattern string, handler func(http.ResponseWriter, *http.Request))
}

// patterns records the patterns registered on it.
type patterns []string

func (p *patterns) HandleFunc(pattern string, _ func(http.ResponseWriter, *http.Request)) {
	*p = append(*p, pattern)
}

// Routes returns the method and path patterns the server answers
// (`fakellm -routes` prints them).
func Routes() []string {
	var p patterns
	(&server{}).routes(&p)
	return p
}

func (s *server) routes(mux mux) {
	mux.HandleFunc("POST /model/{model_id}/converse", s.converse)
	mux.HandleFunc("POST /model/{model_id}/converse-stream", s.converseStream)
	mux.HandleFunc("POST /chat/completions", s.chat)
	mux.HandleFunc("POST /v1/chat/completions", s.chat)
	mux.HandleFunc("POST /v1/embeddings", s.embeddings)
	mux.HandleFunc("GET /v1/models", s.models)
	mux.HandleFunc("GET /health", s.health)
}

func (s *server) chat(w http.ResponseWriter, r *http.Request) {
	sc := s.scratch()
	defer s.release(sc)
	body, err := s.readBody(w, r, sc)
	if err != nil {
		writeError(w, err)
		return
	}
	// req references body, so sc goes back to the pool only when we are done.
	req, err := oai.DecodeChatRequest(body)
	if err != nil {
		writeDecodeError(w, err)
		return
	}
	if req.Stream {
		s.stream(w, r, req, sc)
		return
	}
	ctx := r.Context()
	if err := s.wait(ctx, nil, s.draw(s.delay)); err != nil {
		return // the client left
	}
	resp, err := s.model.Chat(ctx, req)
	if err != nil {
		writeError(w, err)
		return
	}
	sc.out = oai.AppendChatResponse(sc.out[:0], resp, nil)
	writeJSON(w, sc.out)
}

// stream sends the reply as server-sent events.
func (s *server) stream(w http.ResponseWriter, r *http.Request, req *llm.Request, sc *scratch) {
	st, err := s.model.ChatStream(r.Context(), req)
	if err != nil {
		writeError(w, err)
		return
	}
	defer st.Close()
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusOK)
	f := flusher{rc: http.NewResponseController(w)}
	ok := s.pump(r.Context(), st, &f, func(c *llm.Chunk) error {
		sc.out = oai.AppendChunkEvent(sc.out[:0], c, nil)
		_, err := w.Write(sc.out)
		return err
	})
	if ok && oai.WriteDone(w) == nil {
		f.flush()
	}
}

// pump sends every chunk of st, flushing after each, with a drawn gap
// before every chunk after the first. It reports whether the stream ended
// normally; otherwise the client left and nothing more should be written.
func (s *server) pump(ctx context.Context, st llm.Stream, f *flusher, send func(*llm.Chunk) error) bool {
	var timer *time.Timer
	defer func() {
		if timer != nil {
			timer.Stop()
		}
	}()
	for i := 0; ; i++ {
		c, err := st.Recv()
		if err == io.EOF {
			return true
		}
		if err != nil {
			return false // only a done ctx ends a fake stream early
		}
		if i > 0 {
			if err := s.wait(ctx, &timer, s.draw(s.gap)); err != nil {
				return false
			}
		}
		if err := send(c); err != nil || !f.flush() {
			return false
		}
	}
}

// flusher pushes each event to the client. A writer that cannot flush
// (Lambda's streaming pipe) is already unbuffered, so ErrNotSupported is
// taken as success and not asked again.
type flusher struct {
	rc          *http.ResponseController
	unsupported bool
}

func (f *flusher) flush() bool {
	if f.unsupported {
		return true
	}
	err := f.rc.Flush()
	if errors.Is(err, http.ErrNotSupported) {
		f.unsupported = true
		return true
	}
	return err == nil
}

func (s *server) embeddings(w http.ResponseWriter, r *http.Request) {
	sc := s.scratch()
	defer s.release(sc)
	body, err := s.readBody(w, r, sc)
	if err != nil {
		writeError(w, err)
		return
	}
	req, err := oai.DecodeEmbeddingRequest(body)
	if err != nil {
		writeDecodeError(w, err)
		return
	}
	ctx := r.Context()
	if err := s.wait(ctx, nil, s.draw(s.delay)); err != nil {
		return
	}
	resp, err := s.model.Embed(ctx, req)
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, oai.EncodeEmbeddingResponse(resp, req))
}

// modelsBody lists the one model name the fake advertises; it answers to
// any name.
const modelsBody = `{"object":"list","data":[{"id":"fake-model","object":"model","created":0,"owned_by":"fakellm"}]}`

func (s *server) models(w http.ResponseWriter, r *http.Request) {
	writeJSONString(w, modelsBody)
}

func (s *server) health(w http.ResponseWriter, r *http.Request) {
	writeJSONString(w, `{"status":"healthy"}`)
}

// unmatched answers requests no route takes. The catch-all pattern hides
// the mux's own 405, so it asks a mux holding only the routes what it would
// have answered, and says the same in OpenAI's error shape.
func (s *server) unmatched(w http.ResponseWriter, r *http.Request) {
	h, _ := s.probe.Handler(r)
	rec := statusRecorder{header: http.Header{}}
	h.ServeHTTP(&rec, r)
	if rec.status == http.StatusMethodNotAllowed {
		w.Header().Set("Allow", rec.header.Get("Allow"))
		oai.WriteError(w, http.StatusMethodNotAllowed, "invalid_request_error", "method_not_allowed", "",
			"method "+r.Method+" is not allowed on "+r.URL.Path+"; allowed: "+rec.header.Get("Allow"))
		return
	}
	oai.WriteError(w, http.StatusNotFound, "invalid_request_error", "not_found", "",
		"Invalid URL ("+r.Method+" "+r.URL.Path+")")
}

// statusRecorder keeps the status and headers a handler writes and drops
// its body.
type statusRecorder struct {
	header http.Header
	status int
}

func (rec *statusRecorder) Header() http.Header { return rec.header }

func (rec *statusRecorder) Write(b []byte) (int, error) {
	if rec.status == 0 {
		rec.status = http.StatusOK
	}
	return len(b), nil
}

func (rec *statusRecorder) WriteHeader(status int) {
	if rec.status == 0 {
		rec.status = status
	}
}

// readBody reads the body into sc. Its error is a *provider.Error that
// each route renders in its own wire format.
func (s *server) readBody(w http.ResponseWriter, r *http.Request, sc *scratch) ([]byte, error) {
	if n := r.ContentLength; n > 0 && n <= maxBody {
		sc.in.Grow(int(n) + bytes.MinRead) // one allocation, not a doubling series
	}
	_, err := sc.in.ReadFrom(http.MaxBytesReader(w, r.Body, maxBody))
	if err == nil {
		return sc.in.Bytes(), nil
	}
	pe := &provider.Error{
		Kind:     provider.KindBadRequest,
		Provider: "fakellm",
		Status:   http.StatusBadRequest,
		Type:     "invalid_request_error",
		Message:  "reading the request body: " + err.Error(),
		Err:      err,
	}
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		pe.Status, pe.Code = http.StatusRequestEntityTooLarge, "request_too_large"
		pe.Message = "request body exceeds " + strconv.Itoa(maxBody) + " bytes"
	}
	return nil, pe
}

func writeDecodeError(w http.ResponseWriter, err error) {
	var de *oai.DecodeError
	param := ""
	if errors.As(err, &de) {
		param = de.Field
	}
	oai.WriteError(w, http.StatusBadRequest, "invalid_request_error", "", param, err.Error())
}

// writeError reports a failure in OpenAI's error shape. A done context
// means the client left, and nobody is listening.
func writeError(w http.ResponseWriter, err error) {
	if pe, ok := provider.AsError(err); ok {
		oai.WriteError(w, pe.Status, pe.Type, pe.Code, pe.Param, pe.Message)
		return
	}
	if clientGone(err) {
		return
	}
	oai.WriteError(w, http.StatusInternalServerError, "internal_error", "", "", err.Error())
}

func clientGone(err error) bool {
	return errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}

func writeJSON(w http.ResponseWriter, body []byte) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	_, _ = w.Write(body)
}

func writeJSONString(w http.ResponseWriter, body string) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	_, _ = io.WriteString(w, body)
}

// draw returns a duration drawn uniformly from [r[0], r[1]], touching the
// shared random source only when the range has width.
func (s *server) draw(r [2]time.Duration) time.Duration {
	if r[1] <= r[0] {
		return r[0]
	}
	s.mu.Lock()
	d := r[0] + time.Duration(s.rnd.Int64N(int64(r[1]-r[0])+1))
	s.mu.Unlock()
	return d
}

// wait blocks for d or until ctx is done. A zero d starts no timer. With a
// non-nil timer it reuses *timer across calls (a stream's gaps).
func (s *server) wait(ctx context.Context, timer **time.Timer, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	var t *time.Timer
	switch {
	case timer == nil:
		t = time.NewTimer(d)
		defer t.Stop()
	case *timer == nil:
		t = time.NewTimer(d)
		*timer = t
	default:
		t = *timer
		t.Reset(d) // since Go 1.23 no stale tick survives a Reset
	}
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

func (s *server) scratch() *scratch {
	sc := s.bufs.Get().(*scratch)
	sc.in.Reset()
	return sc
}

func (s *server) release(sc *scratch) {
	if sc.in.Cap() > pooledLimit || cap(sc.out) > pooledLimit {
		return
	}
	s.bufs.Put(sc)
}
