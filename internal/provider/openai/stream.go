package openai

import (
	"context"
	"errors"
	"io"
	"mime"
	"net/http"
	"time"

	"github.com/tollgate-gw/tollgate/internal/llm"
	wire "github.com/tollgate-gw/tollgate/internal/wire/openai"
)

// After [DONE] the body still holds the end of the HTTP/1.1 chunked
// encoding. Reading it lets the transport pool the connection (closing an
// unfinished body drops it); the wait is bounded so that an upstream that
// keeps the response open after [DONE] cannot hold Close up.
const (
	drainWait  = 100 * time.Millisecond
	drainBytes = 64 << 10
)

// errStreamClosed is what Recv returns after Close.
var errStreamClosed = errors.New("stream is closed")

// ChatStream starts a streaming completion. Errors before the first chunk
// (status, connection, headers timeout) are returned here so the router can
// still retry; later ones come from Recv.
//
// No goroutine is started. One timer (time.AfterFunc) enforces the
// deployment's timeouts by cancelling the request's context: it runs with
// Timeout until the response headers arrive, and is re-armed with
// StreamTimeout before each read of the body. Close stops it.
func (m *Model) ChatStream(ctx context.Context, req *llm.Request) (llm.Stream, error) {
	body, err := m.chatBody(req, true)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancelCause(ctx)
	var timer *time.Timer
	headerTimeout := m.timeout
	if headerTimeout == 0 {
		headerTimeout = m.streamTimeout
	}
	if headerTimeout > 0 {
		timer = time.AfterFunc(headerTimeout, func() { cancel(errTimedOut) })
	}
	fail := func(err error) (llm.Stream, error) {
		if timer != nil {
			timer.Stop()
		}
		cancel(nil)
		return nil, err
	}
	resp, err := m.send(ctx, m.chatURL, body)
	if err != nil {
		return fail(m.transportError(ctx, err, "sent no response headers within", headerTimeout))
	}
	if resp.StatusCode/100 != 2 {
		err := m.statusError(resp)
		resp.Body.Close()
		return fail(err)
	}
	if isJSON(resp.Header) {
		err := m.jsonInsteadOfStream(ctx, resp, headerTimeout)
		resp.Body.Close()
		return fail(err)
	}
	if timer != nil && m.streamTimeout == 0 {
		timer.Stop() // headers arrived; chunks may take as long as they take
		timer = nil
	}
	return &stream{
		m:      m,
		ctx:    ctx,
		cancel: cancel,
		timer:  timer,
		body:   resp.Body,
		events: wire.NewEventReader(resp.Body),
	}, nil
}

// isJSON reports a JSON response to a stream request: an error object some
// servers send with 200, or a server that ignored "stream": true.
func isJSON(h http.Header) bool {
	mt, _, _ := mime.ParseMediaType(h.Get("Content-Type"))
	return mt == "application/json"
}

func (m *Model) jsonInsteadOfStream(ctx context.Context, resp *http.Response, d time.Duration) error {
	data, err := readBody(resp.Body, resp.ContentLength, maxErrorBytes)
	if err != nil && !errors.Is(err, errTooLarge) {
		return m.transportError(ctx, err, "sent no response within", d)
	}
	if errorPayload(data) {
		return m.classify(0, data)
	}
	return m.malformed("upstream answered a stream request with a JSON body instead of an event stream", nil)
}

// stream reads one upstream SSE response. It is used by one goroutine at a
// time; to abandon a Recv that is waiting, cancel the context given to
// ChatStream.
type stream struct {
	m      *Model
	ctx    context.Context
	cancel context.CancelCauseFunc
	// timer cancels ctx when the upstream is idle too long; nil when the
	// deployment sets no StreamTimeout.
	timer  *time.Timer
	body   io.ReadCloser
	events *wire.EventReader
	chunks wire.ChunkDecoder
	// err is the terminal result Recv keeps returning once set.
	err error
	// done: [DONE] was read; eof: the body was read to its end.
	done, eof bool
	closed    bool
}

// Recv returns the next chunk that carries anything (choices or usage), or
// io.EOF after [DONE] or at the end of the body.
func (s *stream) Recv() (*llm.Chunk, error) {
	if s.err != nil {
		return nil, s.err
	}
	for {
		if s.timer != nil {
			s.timer.Reset(s.m.streamTimeout)
		}
		data, err := s.events.Next()
		if err != nil {
			return nil, s.finish(s.readError(err))
		}
		if s.events.Event() == "error" {
			return nil, s.finish(s.m.classify(0, data))
		}
		if string(data) == wire.Done {
			s.done = true
			return nil, s.finish(io.EOF)
		}
		c, err := s.chunks.Decode(data)
		if err != nil {
			// Checked only on failure: errors.As costs an allocation, and
			// this runs once per streamed chunk.
			if _, isErr := wire.IsStreamError(err); isErr {
				return nil, s.finish(s.m.classify(0, data))
			}
			return nil, s.finish(s.m.malformed("upstream sent a malformed stream chunk", err))
		}
		if len(c.Choices) == 0 && c.Usage == nil {
			// Nothing to forward: e.g. Azure's leading chunk that only
			// carries prompt_filter_results.
			continue
		}
		return c, nil
	}
}

// readError classifies a failure to read the next event.
func (s *stream) readError(err error) error {
	switch {
	case err == io.EOF:
		// The body ended cleanly without [DONE]: several compatible servers
		// end streams that way.
		s.eof = true
		return io.EOF
	case errors.Is(err, wire.ErrEventTooLarge):
		return s.m.malformed("upstream sent a stream event larger than 8 MiB", err)
	}
	return s.m.transportError(s.ctx, err, "sent no data for", s.m.streamTimeout)
}

// finish records the stream's terminal result and stops its timer.
func (s *stream) finish(err error) error {
	s.err = err
	if s.timer != nil {
		s.timer.Stop()
	}
	return err
}

// Close releases the upstream response. After a complete stream it first
// reads the rest of the body, briefly, so the connection can be reused.
func (s *stream) Close() error {
	if s.closed {
		return nil
	}
	s.closed = true
	if s.done && !s.eof {
		if s.timer == nil {
			s.timer = time.AfterFunc(drainWait, func() { s.cancel(errTimedOut) })
		} else {
			s.timer.Reset(drainWait)
		}
		_, _ = io.CopyN(io.Discard, s.body, drainBytes)
	}
	if s.timer != nil {
		s.timer.Stop()
	}
	err := s.body.Close()
	s.cancel(nil)
	if s.err == nil || s.err == io.EOF {
		s.err = errStreamClosed
	}
	return err
}

var _ llm.Stream = (*stream)(nil)
