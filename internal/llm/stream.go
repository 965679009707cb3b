package llm

import (
	"encoding/json"
	"io"
)

// Stream is a pull iterator over the chunks of a streamed completion. It owns
// no goroutine: each Recv reads from the upstream connection on the caller's
// goroutine, so nothing outlives the handler that drains it.
//
// Recv returns io.EOF after the last chunk. Close releases the upstream
// connection and must be called exactly once, whether or not the stream was
// drained; it is safe to call after Recv returned an error.
type Stream interface {
	Recv() (*Chunk, error)
	Close() error
}

// Chunk is one streamed delta, shaped like OpenAI's chat.completion.chunk.
type Chunk struct {
	ID                string
	Model             string
	Created           int64
	Choices           []ChunkChoice
	SystemFingerprint string
	// Usage is set on the chunk that reports token usage (usually the last).
	Usage *Usage
}

// ChunkChoice is the delta for one choice.
type ChunkChoice struct {
	Index        int
	Delta        Delta
	FinishReason string
	// NativeFinishReason is the upstream's own finish reason when
	// FinishReason says less (see Choice.NativeFinishReason).
	NativeFinishReason string
	Logprobs           json.RawMessage
}

// Delta is the incremental content of a chunk.
type Delta struct {
	Role      Role
	Content   string
	Refusal   string
	Reasoning *Reasoning
	ToolCalls []ToolCallDelta
	// HasContent records that the upstream sent a content field (possibly
	// empty), so re-encoding can keep `"content":""` on role chunks.
	HasContent bool
}

// ToolCallDelta is a fragment of a tool call. The first fragment of a call
// carries ID and Name; later ones append to Arguments.
type ToolCallDelta struct {
	Index     int
	ID        string
	Type      string
	Name      string
	Arguments string
}

// SliceStream is a Stream over chunks already in memory (cache hits, fakes,
// tests).
type SliceStream struct {
	Chunks []*Chunk
	next   int
}

// Recv returns the next chunk or io.EOF.
func (s *SliceStream) Recv() (*Chunk, error) {
	if s.next >= len(s.Chunks) {
		return nil, io.EOF
	}
	c := s.Chunks[s.next]
	s.next++
	return c, nil
}

// Close does nothing; a SliceStream holds no resources.
func (s *SliceStream) Close() error { return nil }
