package bedrock

import (
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws/protocol/eventstream"

	"github.com/tollgate-gw/tollgate/internal/llm"
	"github.com/tollgate-gw/tollgate/internal/wire/rawjson"
)

// ContentType is the media type of a ConverseStream response body.
const ContentType = "application/vnd.amazon.eventstream"

// eventType names a ConverseStream event: the member of the
// ConverseStreamOutput union it carries.
type eventType uint8

const (
	evMessageStart eventType = iota
	evContentBlockStart
	evContentBlockDelta
	evContentBlockStop
	evMessageStop
	evMetadata
)

// headerValue returns the :event-type header value. Each case converts a
// constant, which the compiler turns into static data instead of an
// allocation per event.
func (t eventType) headerValue() eventstream.Value {
	switch t {
	case evMessageStart:
		return eventstream.StringValue("messageStart")
	case evContentBlockStart:
		return eventstream.StringValue("contentBlockStart")
	case evContentBlockDelta:
		return eventstream.StringValue("contentBlockDelta")
	case evContentBlockStop:
		return eventstream.StringValue("contentBlockStop")
	case evMessageStop:
		return eventstream.StringValue("messageStop")
	}
	return eventstream.StringValue("metadata")
}

type blockKind uint8

const (
	noBlock blockKind = iota
	textBlock
	reasoningBlock
	toolBlock
)

// closedCall identifies a tool call whose content block has been closed.
type closedCall struct {
	index int
	id    string
}

// StreamEncoder writes a ConverseStream response: it turns neutral stream
// chunks into ConverseStream events in application/vnd.amazon.eventstream
// framing, each written to w as soon as the chunk that causes it arrives.
// The caller sets Content-Type to ContentType and flushes w after each call.
//
// Content blocks are emitted one after another, as Bedrock does, so that
// clients which track "the current block" work: a block is closed when a
// different one starts. Text and reasoning need no start event; each tool
// call gets a contentBlockStart carrying its id and name. OpenAI tool-call
// indexes are mapped to block indexes in order of appearance; a fragment
// carrying a new id starts a new call even when its index repeats, as some
// OpenAI-compatible servers send every call with index 0.
//
// Only choice 0 is encoded: Converse streams one message. A StreamEncoder is
// not safe for concurrent use.
type StreamEncoder struct {
	w       io.Writer
	enc     *eventstream.Encoder
	headers eventstream.Headers
	buf     []byte

	started  bool
	finished bool
	cur      blockKind
	curIndex int    // block index of the open block
	curCall  int    // tool-call index of the open tool block
	curID    string // tool-call id of the open tool block
	next     int    // index of the next block
	closed   []closedCall
	tools    bool // a tool call was streamed

	finish   string
	usage    llm.Usage
	hasUsage bool
	err      error
}

// NewStreamEncoder returns a StreamEncoder that writes events to w.
func NewStreamEncoder(w io.Writer) *StreamEncoder {
	return &StreamEncoder{
		w:   w,
		enc: eventstream.NewEncoder(),
		headers: eventstream.Headers{
			{Name: ":event-type"},
			{Name: ":content-type", Value: eventstream.StringValue("application/json")},
			{Name: ":message-type", Value: eventstream.StringValue("event")},
		},
		buf: make([]byte, 0, 512),
	}
}

// WriteChunk writes the events for one chunk: messageStart before the first
// content, then block starts, deltas and stops. A finish reason closes the
// open block and is remembered for messageStop, which Finish writes once the
// upstream is drained (usage usually arrives after the finish reason). A
// usage on the chunk is remembered for Finish too.
//
// It returns the first write error, and an error if the upstream sends more
// arguments for a tool call whose block was already closed, which would
// corrupt that call's input on the client.
func (e *StreamEncoder) WriteChunk(c *llm.Chunk) error {
	if e.err != nil {
		return e.err
	}
	if e.finished {
		return errors.New("converse stream: chunk after Finish")
	}
	if c == nil {
		return nil
	}
	if c.Usage != nil {
		e.usage, e.hasUsage = *c.Usage, true
	}
	for i := range c.Choices {
		ch := &c.Choices[i]
		if ch.Index != 0 {
			continue
		}
		d := &ch.Delta
		if r := d.Reasoning; r != nil && (r.Text != "" || r.Signature != "" || r.Redacted != nil) {
			e.reasoning(r)
		}
		if d.Content != "" {
			e.text(d.Content)
		}
		if d.Refusal != "" {
			// Converse has no refusal; the refusal is what the model said.
			e.text(d.Refusal)
		}
		for j := range d.ToolCalls {
			if err := e.toolCall(&d.ToolCalls[j]); err != nil {
				return err
			}
		}
		if ch.FinishReason != "" {
			e.finish = ch.FinishReason
			e.closeBlock()
		}
	}
	return e.err
}

// Finish closes the open block and writes messageStop and metadata. It does
// so exactly once: later calls do nothing. The stop reason is the last
// finish reason seen, or end_turn (tool_use after tool calls) when the
// upstream never sent one. usage nil means the last usage a chunk carried.
func (e *StreamEncoder) Finish(usage *llm.Usage, latency time.Duration) error {
	if e.err != nil || e.finished {
		return e.err
	}
	e.finished = true
	e.closeBlock()
	e.buf = append(e.buf[:0], `{"stopReason":`...)
	e.buf = rawjson.AppendString(e.buf, stopReason(e.finish, e.tools))
	e.write(evMessageStop, append(e.buf, '}'))
	if usage == nil && e.hasUsage {
		usage = &e.usage
	}
	e.buf = append(e.buf[:0], `{"usage":`...)
	e.buf = appendUsage(e.buf, usage)
	e.buf = append(e.buf, `,"metrics":`...)
	e.buf = appendMetrics(e.buf, latency)
	e.write(evMetadata, append(e.buf, '}'))
	return e.err
}

// write encodes one event. After a failed write the encoder stays failed and
// writes nothing more.
func (e *StreamEncoder) write(t eventType, payload []byte) {
	if e.err != nil {
		return
	}
	if !e.started && t != evMessageStart {
		e.started = true
		e.write(evMessageStart, []byte(`{"role":"assistant"}`))
	}
	e.started = true
	e.headers[0].Value = t.headerValue()
	if err := e.enc.Encode(e.w, eventstream.Message{Headers: e.headers, Payload: payload}); err != nil {
		e.err = fmt.Errorf("writing converse stream event: %w", err)
	}
}

func (e *StreamEncoder) open(k blockKind) {
	e.closeBlock()
	e.cur, e.curIndex = k, e.next
	e.next++
}

func (e *StreamEncoder) closeBlock() {
	if e.cur == noBlock {
		return
	}
	if e.cur == toolBlock {
		e.closed = append(e.closed, closedCall{index: e.curCall, id: e.curID})
	}
	e.cur = noBlock
	e.buf = append(e.buf[:0], `{"contentBlockIndex":`...)
	e.buf = rawjson.AppendInt(e.buf, int64(e.curIndex))
	e.write(evContentBlockStop, append(e.buf, '}'))
}

// deltaPrefix starts a contentBlockDelta payload up to the delta's member.
func (e *StreamEncoder) deltaPrefix() {
	e.buf = append(e.buf[:0], `{"contentBlockIndex":`...)
	e.buf = rawjson.AppendInt(e.buf, int64(e.curIndex))
	e.buf = append(e.buf, `,"delta":`...)
}

func (e *StreamEncoder) text(s string) {
	if e.cur != textBlock {
		e.open(textBlock)
	}
	e.deltaPrefix()
	e.buf = rawjson.AppendString(append(e.buf, `{"text":`...), s)
	e.write(evContentBlockDelta, append(e.buf, `}}`...))
}

func (e *StreamEncoder) reasoning(r *llm.Reasoning) {
	if e.cur != reasoningBlock {
		e.open(reasoningBlock)
	}
	if r.Text != "" {
		e.deltaPrefix()
		e.buf = rawjson.AppendString(append(e.buf, `{"reasoningContent":{"text":`...), r.Text)
		e.write(evContentBlockDelta, append(e.buf, `}}}`...))
	}
	if r.Signature != "" {
		e.deltaPrefix()
		e.buf = rawjson.AppendString(append(e.buf, `{"reasoningContent":{"signature":`...), r.Signature)
		e.write(evContentBlockDelta, append(e.buf, `}}}`...))
	}
	if r.Redacted != nil {
		e.deltaPrefix()
		e.buf = rawjson.AppendBase64(append(e.buf, `{"reasoningContent":{"redactedContent":`...), r.Redacted)
		e.write(evContentBlockDelta, append(e.buf, `}}}`...))
	}
}

func (e *StreamEncoder) toolCall(tc *llm.ToolCallDelta) error {
	current := e.cur == toolBlock &&
		((tc.ID != "" && tc.ID == e.curID) || (tc.ID == "" && tc.Index == e.curCall))
	if !current {
		for _, c := range e.closed {
			if (tc.ID != "" && tc.ID == c.id) || (tc.ID == "" && tc.Index == c.index) {
				return fmt.Errorf("converse stream: tool call %d (%q) continued after its content block was closed",
					tc.Index, c.id)
			}
		}
		e.open(toolBlock)
		e.curCall, e.curID, e.tools = tc.Index, tc.ID, true
		e.buf = append(e.buf[:0], `{"contentBlockIndex":`...)
		e.buf = rawjson.AppendInt(e.buf, int64(e.curIndex))
		e.buf = append(e.buf, `,"start":{"toolUse":{"toolUseId":`...)
		e.buf = rawjson.AppendString(e.buf, tc.ID)
		e.buf = append(e.buf, `,"name":`...)
		e.buf = rawjson.AppendString(e.buf, tc.Name)
		e.write(evContentBlockStart, append(e.buf, `}}}`...))
	}
	if tc.Arguments != "" {
		e.deltaPrefix()
		e.buf = rawjson.AppendString(append(e.buf, `{"toolUse":{"input":`...), tc.Arguments)
		e.write(evContentBlockDelta, append(e.buf, `}}}`...))
	}
	return e.err
}
