package anthropic

import (
	"errors"
	"fmt"

	"github.com/go-json-experiment/json"

	"github.com/tollgate-gw/tollgate/internal/llm"
)

// StreamError is an error event of a stream (overloaded_error mid-stream,
// for one). Data is the event's JSON, for the adapter to classify.
type StreamError struct {
	Error Error
	Data  []byte
}

// ErrStreamError is wrapped by the error Decode returns for an error event.
var ErrStreamError = errors.New("error event")

// StreamDecoder turns the events of a Messages stream into chat chunks. It
// keeps the state the events leave implicit: the message id and model, the
// input usage of message_start, and which content blocks are tool calls.
type StreamDecoder struct {
	id, model string
	started   bool
	// tools maps a content block index to its tool call's index among the
	// message's tool calls (OpenAI numbers tool calls, not blocks).
	tools map[int]int
	usage Usage
	// Finished: message_delta gave a stop reason; Stopped: message_stop.
	Finished, Stopped bool
	// Err is the error event, once one arrived.
	Err *StreamError
}

// Decode decodes the data of one event (its JSON "type" names it) and
// returns the chunk it makes, or nil for events that carry nothing to
// forward (ping, content_block_stop, a text block's empty start). An error
// event returns an error wrapping ErrStreamError, with Err set.
func (d *StreamDecoder) Decode(data []byte) (*llm.Chunk, error) {
	var ev Event
	if err := json.Unmarshal(data, &ev); err != nil {
		return nil, fmt.Errorf("decoding a Messages stream event: %w", err)
	}
	switch ev.Type {
	case "ping", "content_block_stop":
		return nil, nil
	case "error":
		d.Err = &StreamError{Data: data}
		if ev.Error != nil {
			d.Err.Error = *ev.Error
		}
		return nil, fmt.Errorf("%w: %s: %s", ErrStreamError, d.Err.Error.Type, d.Err.Error.Message)
	case "message_start":
		if ev.Message == nil {
			return nil, errors.New("message_start without a message")
		}
		d.started = true
		d.id, d.model = ev.Message.ID, ev.Message.Model
		if ev.Message.Usage != nil {
			d.usage = *ev.Message.Usage
		}
		return d.chunk(llm.Delta{Role: llm.RoleAssistant, HasContent: true}, ""), nil
	}
	if !d.started {
		return nil, fmt.Errorf("%s event before message_start", ev.Type)
	}
	switch ev.Type {
	case "content_block_start":
		b := ev.ContentBlock
		if b == nil {
			return nil, errors.New("content_block_start without a content_block")
		}
		switch b.Type {
		case "tool_use":
			if d.tools == nil {
				d.tools = map[int]int{}
			}
			n := len(d.tools)
			d.tools[ev.Index] = n
			return d.chunk(llm.Delta{ToolCalls: []llm.ToolCallDelta{{Index: n, ID: b.ID, Type: "function", Name: b.Name}}}, ""), nil
		case "text":
			if b.Text == "" {
				return nil, nil
			}
			return d.chunk(llm.Delta{Content: b.Text}, ""), nil
		case "redacted_thinking":
			return d.chunk(llm.Delta{Reasoning: &llm.Reasoning{Redacted: []byte(b.Data)}}, ""), nil
		}
		return nil, nil
	case "content_block_delta":
		if ev.Delta == nil {
			return nil, errors.New("content_block_delta without a delta")
		}
		switch ev.Delta.Type {
		case "text_delta":
			return d.chunk(llm.Delta{Content: ev.Delta.Text}, ""), nil
		case "input_json_delta":
			n, ok := d.tools[ev.Index]
			if !ok {
				return nil, fmt.Errorf("input_json_delta for block %d, which is not a tool_use", ev.Index)
			}
			if ev.Delta.PartialJSON == "" {
				return nil, nil
			}
			return d.chunk(llm.Delta{ToolCalls: []llm.ToolCallDelta{{Index: n, Arguments: ev.Delta.PartialJSON}}}, ""), nil
		case "thinking_delta":
			return d.chunk(llm.Delta{Reasoning: &llm.Reasoning{Text: ev.Delta.Thinking}}, ""), nil
		case "signature_delta":
			return d.chunk(llm.Delta{Reasoning: &llm.Reasoning{Signature: ev.Delta.Signature}}, ""), nil
		}
		return nil, nil
	case "message_delta":
		if u := ev.Usage; u != nil {
			// Cumulative counts: output always, input and cache ones when
			// the server updates them.
			d.usage.OutputTokens = u.OutputTokens
			if u.InputTokens > 0 {
				d.usage.InputTokens = u.InputTokens
			}
			if u.CacheReadInputTokens > 0 {
				d.usage.CacheReadInputTokens = u.CacheReadInputTokens
			}
			if u.CacheCreationInputTokens > 0 {
				d.usage.CacheCreationInputTokens = u.CacheCreationInputTokens
			}
		}
		if ev.Delta == nil || ev.Delta.StopReason == "" {
			return nil, nil
		}
		d.Finished = true
		reason, native := finish(ev.Delta.StopReason)
		c := d.chunk(llm.Delta{}, reason)
		c.Choices[0].NativeFinishReason = native
		return c, nil
	case "message_stop":
		d.Stopped = true
		u := ToUsage(&d.usage)
		if err := u.Check(); err != nil {
			return nil, err
		}
		return &llm.Chunk{ID: d.id, Model: d.model, Usage: u}, nil
	}
	// Event types added later carry nothing this gateway forwards.
	return nil, nil
}

func (d *StreamDecoder) chunk(delta llm.Delta, finish string) *llm.Chunk {
	return &llm.Chunk{ID: d.id, Model: d.model, Choices: []llm.ChunkChoice{{Delta: delta, FinishReason: finish}}}
}
