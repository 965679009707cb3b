package anthropic

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"

	"github.com/tollgate-gw/tollgate/internal/llm"
	"github.com/tollgate-gw/tollgate/internal/provider/upstream"
	wire "github.com/tollgate-gw/tollgate/internal/wire/anthropic"
	"github.com/tollgate-gw/tollgate/internal/wire/openai"
)

// ChatStream starts a streaming completion. Errors before the first event
// (status, connection, headers timeout, a body that is not an event stream)
// are returned here so the router can still retry; later ones from Recv.
// Like provider/openai, it starts no goroutine: an upstream.Watchdog
// enforces the limits.
func (m *Model) ChatStream(ctx context.Context, req *llm.Request) (llm.Stream, error) {
	body, err := m.body(req, true)
	if err != nil {
		return nil, err
	}
	ctx, dog := m.limits.Stream(ctx)
	within := "sent no response headers within " + m.limits.Headers.String()
	resp, err := m.send(ctx, body)
	if err != nil {
		err = m.transportError(ctx, err, within) // before Release, which cancels ctx
		dog.Release()
		return nil, err
	}
	if err := m.checkStreamAnswer(resp); err != nil {
		resp.Body.Close()
		dog.Release()
		return nil, err
	}
	// The SSE framing is the same as OpenAI's; the event reader is shared.
	return &stream{m: m, ctx: ctx, dog: dog, idle: "sent no data for " + m.limits.StreamTimeout.String(),
		body: resp.Body, events: openai.NewEventReader(resp.Body)}, nil
}

// checkStreamAnswer refuses an answer that is not an event stream.
func (m *Model) checkStreamAnswer(resp *http.Response) error {
	if resp.StatusCode/100 != 2 {
		return m.statusError(resp)
	}
	mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	switch mt {
	case "text/event-stream", "":
		return nil
	case "application/json":
		data, _ := upstream.ReadAll(resp.Body, resp.ContentLength, upstream.MaxErrorBytes)
		if e, ok := wire.DecodeError(data); ok {
			return m.classify(0, e)
		}
	}
	return m.malformed(fmt.Sprintf("upstream answered a stream request with %s instead of an event stream", mt), nil)
}

// stream reads one Messages event stream.
type stream struct {
	m      *Model
	ctx    context.Context
	dog    *upstream.Watchdog
	idle   string
	body   io.ReadCloser
	events *openai.EventReader
	dec    wire.StreamDecoder
	err    error
	closed bool
}

// Recv returns the next chunk, or io.EOF after message_stop.
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
		c, err := s.dec.Decode(data)
		if err != nil {
			if s.dec.Err != nil {
				return nil, s.finish(s.m.classify(0, s.dec.Err.Error))
			}
			return nil, s.finish(s.m.malformed("upstream sent a malformed stream event", err))
		}
		if s.dec.Stopped {
			s.err = io.EOF // after this chunk
		}
		if c != nil {
			return c, nil
		}
		if s.err != nil {
			return nil, s.finish(s.err)
		}
	}
}

// readError classifies a failure to read the next event. A stream that ends
// before message_stop is cut off: never a complete reply.
func (s *stream) readError(err error) error {
	switch {
	case err == io.EOF:
		return s.m.malformed("upstream ended the stream before message_stop", nil)
	case errors.Is(err, openai.ErrEventTooLarge):
		return s.m.malformed("upstream sent a stream event larger than 8 MiB", err)
	case errors.Is(err, openai.ErrNotEventStream):
		return s.m.malformed("upstream sent a body that is not an event stream", err)
	}
	return s.m.transportError(s.ctx, err, s.idle)
}

func (s *stream) finish(err error) error {
	s.err = err
	s.dog.Stop()
	return err
}

// Close releases the upstream response, after reading the rest of a
// complete stream's body so the connection can be reused.
func (s *stream) Close() error {
	if s.closed {
		return nil
	}
	s.closed = true
	err := s.dog.CloseBody(s.body, s.dec.Stopped)
	if s.err == nil || s.err == io.EOF {
		s.err = upstream.ErrStreamClosed
	}
	return err
}

var _ llm.Stream = (*stream)(nil)
