package fake

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/tollgate-gw/tollgate/internal/llm"
)

// drain reads a stream to its end.
func drain(t *testing.T, s llm.Stream) []*llm.Chunk {
	t.Helper()
	var out []*llm.Chunk
	for {
		c, err := s.Recv()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatalf("Recv after %d chunks: %v", len(out), err)
		}
		out = append(out, c)
	}
}

// assembled is what a client rebuilds from one choice's deltas.
type assembled struct {
	role     llm.Role
	text     string
	calls    []llm.ToolCall
	finish   string
	nContent int
	order    []string // delta kinds in arrival order
}

func assemble(t *testing.T, chunks []*llm.Chunk) (map[int]*assembled, []int, *llm.Usage) {
	t.Helper()
	got := map[int]*assembled{}
	var indexOrder []int
	var usage *llm.Usage
	for k, c := range chunks {
		if c.ID != chunks[0].ID || c.Model != chunks[0].Model || c.Created != chunks[0].Created {
			t.Errorf("chunk %d: id/model/created %s/%s/%d differ from the first chunk's", k, c.ID, c.Model, c.Created)
		}
		if c.Usage != nil {
			if k != len(chunks)-1 || len(c.Choices) != 0 {
				t.Errorf("usage on chunk %d of %d with %d choices; want it alone on the last", k, len(chunks), len(c.Choices))
			}
			usage = c.Usage
			continue
		}
		if len(c.Choices) != 1 {
			t.Fatalf("chunk %d has %d choices, want 1", k, len(c.Choices))
		}
		ch := c.Choices[0]
		a := got[ch.Index]
		if a == nil {
			a = &assembled{}
			got[ch.Index] = a
		}
		indexOrder = append(indexOrder, ch.Index)
		if a.finish != "" {
			t.Errorf("choice %d: delta after the finish", ch.Index)
		}
		d := ch.Delta
		switch {
		case d.Role != "":
			if len(a.order) != 0 {
				t.Errorf("choice %d: role delta is not first", ch.Index)
			}
			a.role = d.Role
			a.order = append(a.order, "role")
		case ch.FinishReason != "":
			a.finish = ch.FinishReason
			a.order = append(a.order, "finish")
		case len(d.ToolCalls) == 1:
			tcd := d.ToolCalls[0]
			if tcd.ID != "" {
				if tcd.Index != len(a.calls) || tcd.Name == "" || tcd.Arguments != "" {
					t.Errorf("choice %d: tool header %+v", ch.Index, tcd)
				}
				a.calls = append(a.calls, llm.ToolCall{ID: tcd.ID, Type: tcd.Type, Name: tcd.Name})
				a.order = append(a.order, "tool")
				break
			}
			if tcd.Index != len(a.calls)-1 || tcd.Name != "" {
				t.Errorf("choice %d: argument fragment %+v before its header", ch.Index, tcd)
				break
			}
			a.calls[tcd.Index].Arguments += tcd.Arguments
			a.order = append(a.order, "args")
		case d.HasContent && d.Content != "":
			a.text += d.Content
			a.nContent++
			a.order = append(a.order, "content")
		default:
			t.Errorf("chunk %d: empty delta %+v", k, ch)
		}
	}
	return got, indexOrder, usage
}

func TestStreamMatchesChat(t *testing.T) {
	weather := llm.Tool{Type: "function", Name: "get_weather", Parameters: json.RawMessage(
		`{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}`)}
	tests := []struct {
		name         string
		opts         Options
		req          *llm.Request
		wantContents int // content chunks of choice 0
	}{
		{"text in the default eight pieces", Options{}, userReq("Tell me something"), DefaultStreamChunks},
		{"three pieces", Options{StreamChunks: 3}, userReq("Tell me something"), 3},
		{"one piece", Options{StreamChunks: 1}, userReq("Tell me something"), 1},
		{"fewer runes than pieces", Options{StreamChunks: 8, MockResponse: "héllo"}, userReq("x"), 5},
		{"empty reply has no content chunks", Options{MockResponse: "abc"},
			&llm.Request{Messages: userReq("x").Messages, MaxTokens: ptr(0)}, 0},
		{"with usage", Options{}, &llm.Request{Messages: userReq("x").Messages, IncludeUsage: true}, DefaultStreamChunks},
		{"tool call", Options{StreamChunks: 4}, &llm.Request{Messages: userReq("x").Messages, Tools: []llm.Tool{weather}, IncludeUsage: true}, 0},
		{"two choices", Options{StreamChunks: 2}, &llm.Request{Messages: userReq("x").Messages, N: ptr(2), IncludeUsage: true}, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := New(tt.opts)
			want := chat(t, m, tt.req)
			s, err := m.ChatStream(context.Background(), tt.req)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			chunks := drain(t, s)
			got, indexOrder, usage := assemble(t, chunks)
			if len(got) != len(want.Choices) {
				t.Fatalf("%d choices streamed, want %d", len(got), len(want.Choices))
			}
			if chunks[0].ID != want.ID {
				t.Errorf("id = %s, want %s", chunks[0].ID, want.ID)
			}
			for i, wc := range want.Choices {
				a := got[i]
				if a.role != llm.RoleAssistant || a.order[len(a.order)-1] != "finish" {
					t.Errorf("choice %d: delta order %v, want role first and finish last", i, a.order)
				}
				if a.text != wc.Message.Text() || a.finish != wc.FinishReason {
					t.Errorf("choice %d: streamed %q/%s, chat gave %q/%s", i, a.text, a.finish, wc.Message.Text(), wc.FinishReason)
				}
				if len(a.calls) != len(wc.Message.ToolCalls) {
					t.Fatalf("choice %d: %d tool calls, want %d", i, len(a.calls), len(wc.Message.ToolCalls))
				}
				for j := range a.calls {
					if a.calls[j] != wc.Message.ToolCalls[j] {
						t.Errorf("choice %d call %d: streamed %+v, chat gave %+v", i, j, a.calls[j], wc.Message.ToolCalls[j])
					}
				}
			}
			if n := got[0].nContent; n != tt.wantContents {
				t.Errorf("%d content chunks, want %d", n, tt.wantContents)
			}
			if len(want.Choices[0].Message.ToolCalls) > 0 {
				if args := strings.Count(strings.Join(got[0].order, " "), "args"); args != tt.opts.StreamChunks {
					t.Errorf("%d argument fragments, want %d", args, tt.opts.StreamChunks)
				}
			}
			if len(want.Choices) > 1 {
				// Round-robin: indexes alternate while both choices have deltas.
				for k := 0; k < 2*min(len(got[0].order), len(got[1].order)); k += 2 {
					if indexOrder[k] != 0 || indexOrder[k+1] != 1 {
						t.Fatalf("choice order %v is not interleaved", indexOrder)
					}
				}
			}
			if tt.req.IncludeUsage != (usage != nil) {
				t.Fatalf("usage chunk present = %v, want %v", usage != nil, tt.req.IncludeUsage)
			}
			if usage != nil && *usage != *want.Usage {
				t.Errorf("usage = %+v, want %+v", *usage, *want.Usage)
			}
		})
	}
}

func TestStreamEndAndClose(t *testing.T) {
	s, err := New(Options{StreamChunks: 1}).ChatStream(context.Background(), userReq("x"))
	if err != nil {
		t.Fatal(err)
	}
	drain(t, s)
	for range 2 {
		if _, err := s.Recv(); err != io.EOF {
			t.Errorf("Recv after the end = %v, want io.EOF", err)
		}
	}
	if err := s.Close(); err != nil {
		t.Errorf("Close = %v", err)
	}
	if _, err := s.Recv(); !errors.Is(err, errClosed) {
		t.Errorf("Recv after Close = %v, want errClosed", err)
	}
}

func TestStreamTiming(t *testing.T) {
	tests := []struct {
		name    string
		opts    Options
		cancel  time.Duration // 0: never
		wantAt  []time.Duration
		wantErr error
	}{
		{
			name:   "no delays",
			opts:   Options{StreamChunks: 2, MockResponse: "abcd"},
			wantAt: []time.Duration{0, 0, 0, 0},
		},
		{
			name:   "latency before the first chunk, gaps after",
			opts:   Options{StreamChunks: 2, MockResponse: "abcd", Latency: time.Second, ChunkDelay: 100 * time.Millisecond},
			wantAt: []time.Duration{time.Second, 1100 * time.Millisecond, 1200 * time.Millisecond, 1300 * time.Millisecond},
		},
		{
			name:   "gaps only",
			opts:   Options{StreamChunks: 2, MockResponse: "abcd", ChunkDelay: 250 * time.Millisecond},
			wantAt: []time.Duration{0, 250 * time.Millisecond, 500 * time.Millisecond, 750 * time.Millisecond},
		},
		{
			name:    "cancel during the latency",
			opts:    Options{StreamChunks: 2, MockResponse: "abcd", Latency: time.Second, ChunkDelay: time.Second},
			cancel:  400 * time.Millisecond,
			wantAt:  []time.Duration{},
			wantErr: context.Canceled,
		},
		{
			name:    "cancel between chunks",
			opts:    Options{StreamChunks: 2, MockResponse: "abcd", Latency: time.Second, ChunkDelay: time.Second},
			cancel:  2500 * time.Millisecond,
			wantAt:  []time.Duration{time.Second, 2 * time.Second},
			wantErr: context.Canceled,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				ctx, cancel := context.WithCancel(t.Context())
				defer cancel()
				if tt.cancel > 0 {
					time.AfterFunc(tt.cancel, cancel)
				}
				start := time.Now()
				s, err := New(tt.opts).ChatStream(ctx, userReq("x"))
				if err != nil {
					t.Fatal(err)
				}
				defer s.Close()
				at := []time.Duration{}
				for {
					_, err = s.Recv()
					if err != nil {
						break
					}
					at = append(at, time.Since(start))
				}
				if tt.wantErr == nil && err != io.EOF || tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
					t.Fatalf("stream ended with %v, want %v", err, tt.wantErr)
				}
				if tt.wantErr != nil {
					if end := time.Since(start); end != tt.cancel {
						t.Errorf("stream ended at %v, want at the cancel, %v", end, tt.cancel)
					}
					if _, again := s.Recv(); !errors.Is(again, tt.wantErr) {
						t.Errorf("Recv after the failure = %v, want %v again", again, tt.wantErr)
					}
				}
				if len(at) != len(tt.wantAt) {
					t.Fatalf("chunks at %v, want %v", at, tt.wantAt)
				}
				for i := range at {
					if at[i] != tt.wantAt[i] {
						t.Errorf("chunks at %v, want %v", at, tt.wantAt)
						break
					}
				}
			})
		})
	}
}

func TestForPieces(t *testing.T) {
	tests := []struct {
		s    string
		n    int
		want []string
	}{
		{"", 4, nil},
		{"abcdefgh", 4, []string{"ab", "cd", "ef", "gh"}},
		{"abcdefghij", 3, []string{"abc", "def", "ghij"}},
		{"ab", 4, []string{"a", "b"}},
		{"€€", 4, []string{"€", "€"}},
		{"a€b", 2, []string{"a€", "b"}},
	}
	for _, tt := range tests {
		var got []string
		forPieces(tt.s, tt.n, func(p string) { got = append(got, p) })
		if strings.Join(got, "|") != strings.Join(tt.want, "|") || len(got) != len(tt.want) {
			t.Errorf("forPieces(%q, %d) = %q, want %q", tt.s, tt.n, got, tt.want)
		}
	}
}
