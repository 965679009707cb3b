package openai

import (
	"context"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/tollgate-gw/tollgate/internal/provider/openai/openaitest"
)

// repeatEvents serves the same SSE event n times, then [DONE], without
// holding n events in memory.
type repeatEvents struct {
	event []byte
	n     int
	off   int
	done  bool
}

func (r *repeatEvents) Read(p []byte) (int, error) {
	total := 0
	for len(p) > 0 {
		if r.n == 0 {
			if r.done {
				break
			}
			r.event, r.off, r.done, r.n = []byte("data: [DONE]\n\n"), 0, true, 1
		}
		k := copy(p, r.event[r.off:])
		p, total, r.off = p[k:], total+k, r.off+k
		if r.off == len(r.event) {
			r.off, r.n = 0, r.n-1
		}
	}
	if total == 0 {
		return 0, io.EOF
	}
	return total, nil
}

// BenchmarkRecv is the adapter's own cost per streamed chunk, without the
// network: SSE framing, the idle timer's reset and chunk decoding.
func BenchmarkRecv(b *testing.B) {
	m, err := New(&http.Client{}, Options{BaseURL: "http://upstream.invalid", APIKey: "k", ModelID: "m", StreamTimeout: time.Minute})
	if err != nil {
		b.Fatal(err)
	}
	for _, tt := range []struct{ name, event string }{
		{"content", openaitest.StreamText[2]},
		{"tool-call", openaitest.StreamToolCalls[1]},
	} {
		b.Run(tt.name, func(b *testing.B) {
			body := &repeatEvents{event: []byte("data: " + tt.event + "\n\n"), n: b.N}
			ctx, dog := m.limits.Stream(context.Background())
			s := m.newStream(ctx, dog, io.NopCloser(body))
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				if _, err := s.Recv(); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			if _, err := s.Recv(); err != io.EOF {
				b.Fatalf("after %d chunks: %v, want io.EOF", b.N, err)
			}
			s.Close()
		})
	}
}
