package fake

import (
	"context"
	"errors"
	"io"
	"time"
	"unicode/utf8"

	"github.com/tollgate-gw/tollgate/internal/llm"
)

// errClosed is what Recv returns after Close.
var errClosed = errors.New("fake: stream closed")

// stream replays precomputed chunks, waiting before each on the caller's
// goroutine; it owns no goroutine and at most one timer, reused.
type stream struct {
	ctx    context.Context
	chunks []*llm.Chunk
	next   int
	first  time.Duration // before chunk 0
	gap    time.Duration // before every later chunk
	timer  *time.Timer
	err    error // sticky: once failed or closed, always this
}

// Recv returns the next chunk, io.EOF after the last, or ctx.Err() once the
// stream's context is done.
func (s *stream) Recv() (*llm.Chunk, error) {
	if s.err != nil {
		return nil, s.err
	}
	if s.next >= len(s.chunks) {
		return nil, io.EOF
	}
	d := s.gap
	if s.next == 0 {
		d = s.first
	}
	if err := s.wait(d); err != nil {
		s.err = err
		return nil, err
	}
	c := s.chunks[s.next]
	s.next++
	return c, nil
}

// Close stops the timer; later Recv calls fail.
func (s *stream) Close() error {
	if s.timer != nil {
		s.timer.Stop()
	}
	s.err = errClosed
	s.chunks = nil
	return nil
}

func (s *stream) wait(d time.Duration) error {
	if d <= 0 {
		return s.ctx.Err()
	}
	if s.timer == nil {
		s.timer = time.NewTimer(d)
	} else {
		// Since Go 1.23 Reset leaves no stale tick in the channel.
		s.timer.Reset(d)
	}
	select {
	case <-s.ctx.Done():
		s.timer.Stop()
		return s.ctx.Err()
	case <-s.timer.C:
		return nil
	}
}

// chunksOf turns a response into the chunks OpenAI would stream for it:
// per choice a role delta, the text in up to pieces parts, each tool call as
// a header (id, name) and up to pieces argument fragments, and a finish
// delta; choices interleaved round by round; then a usage chunk when asked.
// Chunks, their choices and tool deltas each share one backing array, so a
// stream costs a handful of allocations whatever its length.
func chunksOf(resp *llm.Response, pieces int, includeUsage bool) []*llm.Chunk {
	nTools := 0
	for i := range resp.Choices {
		nTools += len(resp.Choices[i].Message.ToolCalls)
	}
	deltas := make([]llm.ChunkChoice, 0, len(resp.Choices)*(pieces+2)+nTools*(pieces+1))
	tcds := make([]llm.ToolCallDelta, 0, nTools*(pieces+1))
	type span struct{ start, end int }
	spans := make([]span, len(resp.Choices))
	for i := range resp.Choices {
		c := &resp.Choices[i]
		start := len(deltas)
		text := c.Message.Text()
		deltas = append(deltas, llm.ChunkChoice{Index: i, Delta: llm.Delta{
			Role:       llm.RoleAssistant,
			HasContent: len(c.Message.ToolCalls) == 0,
		}})
		forPieces(text, pieces, func(p string) {
			deltas = append(deltas, llm.ChunkChoice{Index: i, Delta: llm.Delta{Content: p, HasContent: true}})
		})
		for j, tc := range c.Message.ToolCalls {
			tcds = append(tcds, llm.ToolCallDelta{Index: j, ID: tc.ID, Type: tc.Type, Name: tc.Name})
			deltas = append(deltas, llm.ChunkChoice{Index: i, Delta: llm.Delta{ToolCalls: tcds[len(tcds)-1:]}})
			forPieces(tc.Arguments, pieces, func(p string) {
				tcds = append(tcds, llm.ToolCallDelta{Index: j, Arguments: p})
				deltas = append(deltas, llm.ChunkChoice{Index: i, Delta: llm.Delta{ToolCalls: tcds[len(tcds)-1:]}})
			})
		}
		deltas = append(deltas, llm.ChunkChoice{Index: i, FinishReason: c.FinishReason})
		spans[i] = span{start, len(deltas)}
	}

	total := len(deltas)
	if includeUsage {
		total++
	}
	vals := make([]llm.Chunk, total)
	out := make([]*llm.Chunk, 0, total)
	emit := func(choices []llm.ChunkChoice) {
		c := &vals[len(out)]
		c.ID, c.Model, c.Created, c.Choices = resp.ID, resp.Model, resp.Created, choices
		out = append(out, c)
	}
	for r := 0; len(out) < len(deltas); r++ {
		for _, sp := range spans {
			if k := sp.start + r; k < sp.end {
				emit(deltas[k : k+1 : k+1])
			}
		}
	}
	if includeUsage {
		emit([]llm.ChunkChoice{})
		out[len(out)-1].Usage = resp.Usage
	}
	return out
}

// forPieces calls f with up to n non-empty, nearly equal pieces of s, cut at
// rune boundaries.
func forPieces(s string, n int, f func(string)) {
	prev := 0
	for k := 1; k <= n; k++ {
		end := len(s) * k / n
		for end < len(s) && !utf8.RuneStart(s[end]) {
			end++
		}
		if end > prev {
			f(s[prev:end])
			prev = end
		}
	}
}
