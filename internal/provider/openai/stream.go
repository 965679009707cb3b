package openai

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"

	"github.com/tollgate-gw/tollgate/internal/llm"
	"github.com/tollgate-gw/tollgate/internal/provider/upstream"
	wire "github.com/tollgate-gw/tollgate/internal/wire/openai"
)

// ChatStream starts a streaming completion. Errors before the first chunk
// (status, connection, headers timeout, an answer that is not an event
// stream) are returned here so the router can still retry; later ones come
// from Recv.
//
// No goroutine is started. The deployment's limits are enforced by an
// upstream.Watchdog, one timer that cancels the request's context: it runs
// with the header limit until the response headers arrive, and then with
// StreamTimeout only while Recv waits for the next event. Close stops it.
func (m *Model) ChatStream(ctx context.Context, req *llm.Request) (llm.Stream, error) {
	body, err := m.chatBody(req, true)
	if err != nil {
		return nil, err
	}
	ctx, dog := m.limits.Stream(ctx)
	within := "sent no response headers within " + m.limits.Headers.String()
	resp, err := m.send(ctx, m.chatURL, body)
	if err != nil {
		err = m.transportError(ctx, err, within) // before Release, which cancels ctx
		dog.Release()
		return nil, err
	}
	if err := m.checkStreamAnswer(ctx, resp, within); err != nil {
		resp.Body.Close()
		dog.Release()
		return nil, err
	}
	return m.newStream(ctx, dog, resp.Body), nil
}

// newStream reads the events of body, an answer to a request made under
// ctx and dog.
func (m *Model) newStream(ctx context.Context, dog *upstream.Watchdog, body io.ReadCloser) *stream {
	return &stream{
		m:      m,
		ctx:    ctx,
		dog:    dog,
		idle:   "sent no data for " + m.limits.StreamTimeout.String(),
		body:   body,
		events: wire.NewEventReader(body),
	}
}

// checkStreamAnswer refuses a response to a stream request that is not an
// event stream: an error status, a JSON body (an error object some servers
// send with 200, or a server that ignored "stream": true), or a body of
// another type (an HTML page from a proxy, a load balancer or a
// maintenance screen), which must not pass for an empty stream.
func (m *Model) checkStreamAnswer(ctx context.Context, resp *http.Response, within string) error {
	if resp.StatusCode/100 != 2 {
		return m.statusError(resp)
	}
	mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	switch mt {
	case "text/event-stream", "":
		return nil
	case "text/plain":
		// Accepted for the few servers that label their stream so; Recv
		// still refuses a body that is not made of events.
		return nil
	case "application/json":
		return m.jsonInsteadOfStream(ctx, resp, within)
	}
	return m.malformed(fmt.Sprintf("upstream answered a stream request with %s instead of an event stream", mt), nil)
}

func (m *Model) jsonInsteadOfStream(ctx context.Context, resp *http.Response, within string) error {
	data, err := upstream.ReadAll(resp.Body, resp.ContentLength, upstream.MaxErrorBytes)
	if err != nil && !errors.Is(err, upstream.ErrTooLarge) {
		return m.transportError(ctx, err, within)
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
	m   *Model
	ctx context.Context
	// dog cancels ctx when the upstream is idle too long.
	dog *upstream.Watchdog
	// idle says what ran out when dog fired, for the error message.
	idle   string
	body   io.ReadCloser
	events *wire.EventReader
	chunks wire.ChunkDecoder
	// err is the terminal result Recv keeps returning once set.
	err error
	// events: data events read so far. done: [DONE] was read; eof: the
	// body was read to its end.
	seen      int
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
		s.dog.Arm()
		data, err := s.events.Next()
		if err != nil {
			return nil, s.finish(s.readError(err))
		}
		s.dog.Stop() // the caller's pace between Recvs is not the upstream's
		if s.events.Event() == "error" {
			return nil, s.finish(s.m.classify(0, data))
		}
		if string(data) == wire.Done {
			s.done = true
			return nil, s.finish(s.end())
		}
		s.seen++
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
		return s.end()
	case errors.Is(err, wire.ErrEventTooLarge):
		return s.m.malformed("upstream sent a stream event larger than 8 MiB", err)
	case errors.Is(err, wire.ErrNotEventStream):
		return s.m.malformed("upstream sent a body that is not an event stream", err)
	}
	return s.m.transportError(s.ctx, err, s.idle)
}

// end is the result of a stream that ended cleanly: io.EOF, unless it
// carried no event at all. No model answers with nothing, so an empty
// stream is an upstream fault, never an empty success billed at $0.
func (s *stream) end() error {
	if s.seen == 0 {
		return s.m.malformed("upstream ended the stream without sending any event", nil)
	}
	return io.EOF
}

// finish records the stream's terminal result and stops its timer.
func (s *stream) finish(err error) error {
	s.err = err
	s.dog.Stop()
	return err
}

// Close releases the upstream response. After a complete stream it first
// reads the rest of the body, briefly, so the connection can be reused.
func (s *stream) Close() error {
	if s.closed {
		return nil
	}
	s.closed = true
	err := s.dog.CloseBody(s.body, s.done && !s.eof)
	if s.err == nil || s.err == io.EOF {
		s.err = upstream.ErrStreamClosed
	}
	return err
}

var _ llm.Stream = (*stream)(nil)
