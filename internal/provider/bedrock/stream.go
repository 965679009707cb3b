package bedrock

import (
	"context"
	"io"
	"net/http"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/types"

	"github.com/tollgate-gw/tollgate/internal/llm"
	"github.com/tollgate-gw/tollgate/internal/provider"
	"github.com/tollgate-gw/tollgate/internal/provider/upstream"
)

// eventSource is what stream reads: the SDK's ConverseStreamEventStream.
// Its reader decodes on a goroutine of its own until the response ends or
// Close is called, so Close must always be called.
type eventSource interface {
	Events() <-chan types.ConverseStreamOutput
	Close() error
	Err() error
}

// stream maps ConverseStream events to OpenAI-style chunks. It has no
// goroutine: Recv pulls the next event on the caller's goroutine. Its
// watchdog fails the stream when Bedrock sends no event for the
// deployment's StreamTimeout.
type stream struct {
	ctx     context.Context
	dog     *upstream.Watchdog
	idle    string
	src     eventSource
	events  <-chan types.ConverseStreamOutput
	mapper  chunkMapper
	stopped bool // messageStop arrived
	done    bool
	closed  bool
}

func newStream(ctx context.Context, dog *upstream.Watchdog, idle time.Duration, src eventSource, model, id string, created int64) *stream {
	return &stream{ctx: ctx, dog: dog, idle: "sent no event for " + idle.String(), src: src, events: src.Events(), mapper: chunkMapper{
		id: id, model: model, created: created, toolIndex: map[int32]int{},
	}}
}

// Recv returns the next chunk, io.EOF after the last one, or the mapped
// upstream error.
func (s *stream) Recv() (*llm.Chunk, error) {
	if s.done {
		return nil, io.EOF
	}
	for {
		var ev types.ConverseStreamOutput
		var ok bool
		s.dog.Arm()
		select {
		case ev, ok = <-s.events:
			s.dog.Stop() // the caller's pace between Recvs is not the upstream's
		case <-s.ctx.Done():
			s.done = true
			return nil, callError(s.ctx, s.ctx.Err(), s.idle, 0)
		}
		if !ok {
			s.done = true
			// Events closes on both a clean end and a failure; only Err
			// tells them apart.
			if err := s.src.Err(); err != nil {
				return nil, callError(s.ctx, err, s.idle, 0)
			}
			if !s.stopped {
				return nil, &provider.Error{Kind: provider.KindUnavailable, Provider: providerName,
					Status: http.StatusBadGateway, Message: "ConverseStream ended before messageStop"}
			}
			return nil, io.EOF
		}
		if _, stop := ev.(*types.ConverseStreamOutputMemberMessageStop); stop {
			s.stopped = true
		}
		if c := s.mapper.chunk(ev); c != nil {
			return c, nil
		}
	}
}

// Close releases the SDK stream and its goroutine. Later calls do nothing.
func (s *stream) Close() error {
	if s.closed {
		return nil
	}
	s.closed, s.done = true, true
	err := s.src.Close()
	s.dog.Release()
	return err
}

// chunkMapper holds the per-stream state of the event → chunk mapping.
type chunkMapper struct {
	id, model string
	created   int64
	// toolIndex maps a content block index to the OpenAI tool call index.
	toolIndex map[int32]int
}

func (m *chunkMapper) chunkWith(d llm.Delta, finish string) *llm.Chunk {
	return &llm.Chunk{ID: m.id, Model: m.model, Created: m.created,
		Choices: []llm.ChunkChoice{{Index: 0, Delta: d, FinishReason: finish}}}
}

// toolCall returns the OpenAI index of the tool call in block i, assigning
// the next one when a delta arrives without a start (some models do that).
func (m *chunkMapper) toolCall(i int32) (int, bool) {
	idx, ok := m.toolIndex[i]
	if !ok {
		idx = len(m.toolIndex)
		m.toolIndex[i] = idx
	}
	return idx, ok
}

// chunk maps one event; nil means the event carries nothing for the client.
func (m *chunkMapper) chunk(ev types.ConverseStreamOutput) *llm.Chunk {
	switch e := ev.(type) {
	case *types.ConverseStreamOutputMemberMessageStart:
		return m.chunkWith(llm.Delta{Role: llm.RoleAssistant, HasContent: true}, "")
	case *types.ConverseStreamOutputMemberContentBlockStart:
		tu, ok := e.Value.Start.(*types.ContentBlockStartMemberToolUse)
		if !ok {
			return nil
		}
		idx, _ := m.toolCall(aws.ToInt32(e.Value.ContentBlockIndex))
		return m.chunkWith(llm.Delta{ToolCalls: []llm.ToolCallDelta{{
			Index: idx, ID: aws.ToString(tu.Value.ToolUseId), Type: "function", Name: aws.ToString(tu.Value.Name),
		}}}, "")
	case *types.ConverseStreamOutputMemberContentBlockDelta:
		switch d := e.Value.Delta.(type) {
		case *types.ContentBlockDeltaMemberText:
			return m.chunkWith(llm.Delta{Content: d.Value, HasContent: true}, "")
		case *types.ContentBlockDeltaMemberToolUse:
			idx, _ := m.toolCall(aws.ToInt32(e.Value.ContentBlockIndex))
			return m.chunkWith(llm.Delta{ToolCalls: []llm.ToolCallDelta{{
				Index: idx, Arguments: aws.ToString(d.Value.Input),
			}}}, "")
		case *types.ContentBlockDeltaMemberReasoningContent:
			r := &llm.Reasoning{}
			switch rd := d.Value.(type) {
			case *types.ReasoningContentBlockDeltaMemberText:
				r.Text = rd.Value
			case *types.ReasoningContentBlockDeltaMemberSignature:
				r.Signature = rd.Value
			case *types.ReasoningContentBlockDeltaMemberRedactedContent:
				r.Redacted = rd.Value
			default:
				return nil
			}
			return m.chunkWith(llm.Delta{Reasoning: r}, "")
		case *types.ContentBlockDeltaMemberCitation:
			return nil
		}
		return nil
	case *types.ConverseStreamOutputMemberMessageStop:
		c := m.chunkWith(llm.Delta{}, finishReason(e.Value.StopReason))
		c.Choices[0].NativeFinishReason = nativeFinishReason(e.Value.StopReason)
		return c
	case *types.ConverseStreamOutputMemberMetadata:
		u := usage(e.Value.Usage)
		if u == nil {
			return nil
		}
		return &llm.Chunk{ID: m.id, Model: m.model, Created: m.created, Choices: []llm.ChunkChoice{}, Usage: u}
	}
	// contentBlockStop and members newer than this SDK carry nothing.
	return nil
}
