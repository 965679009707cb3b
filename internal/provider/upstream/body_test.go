package upstream_test

import (
	"bytes"
	"errors"
	"io"
	"runtime"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/tollgate-gw/tollgate/internal/provider/upstream"
)

func TestReadAll(t *testing.T) {
	body := strings.Repeat("0123456789", 1000) // 10,000 bytes: several chunks
	tests := []struct {
		name    string
		r       io.Reader
		size    int64
		limit   int64
		want    string
		wantErr error
	}{
		{name: "empty", r: strings.NewReader(""), size: -1, limit: 10, want: ""},
		{name: "empty, length known", r: strings.NewReader(""), size: 0, limit: 10, want: ""},
		{name: "unknown length", r: strings.NewReader(body), size: -1, limit: 1 << 20, want: body},
		{name: "unknown length, one byte at a time", r: iotest.OneByteReader(strings.NewReader(body)), size: -1, limit: 1 << 20, want: body},
		{name: "known length", r: strings.NewReader(body), size: int64(len(body)), limit: 1 << 20, want: body},
		{name: "exactly the limit", r: strings.NewReader(body), size: -1, limit: int64(len(body)), want: body},
		{name: "one byte over the limit", r: strings.NewReader(body), size: -1, limit: int64(len(body)) - 1, wantErr: upstream.ErrTooLarge},
		{name: "announced over the limit", r: strings.NewReader(body), size: int64(len(body)), limit: 100, wantErr: upstream.ErrTooLarge},
		{name: "read error", r: iotest.TimeoutReader(strings.NewReader(body)), size: -1, limit: 1 << 20, wantErr: iotest.ErrTimeout},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := upstream.ReadAll(tt.r, tt.size, tt.limit)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if err == nil && string(got) != tt.want {
				t.Fatalf("read %d bytes, want %d", len(got), len(tt.want))
			}
		})
	}
}

// endless is an upstream answer that never ends.
type endless struct{}

func (endless) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = 'a'
	}
	return len(p), nil
}

// TestReadAllRefusesWithinItsLimit: refusing an oversized answer allocates
// about the limit, not the doubling buffer io.ReadAll (and the adapter's
// reader before this one) grows to, which held about 2.5 times the limit
// at the moment of refusal. This is a count of bytes, not a timing.
func TestReadAllRefusesWithinItsLimit(t *testing.T) {
	const limit = 32 << 20
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err := upstream.ReadAll(endless{}, -1, limit)
	runtime.ReadMemStats(&after)
	if !errors.Is(err, upstream.ErrTooLarge) {
		t.Fatalf("err = %v", err)
	}
	if got := after.TotalAlloc - before.TotalAlloc; got > limit+limit/8 {
		t.Fatalf("refusing a body over %d MiB allocated %.1f MiB", limit>>20, float64(got)/(1<<20))
	}
}

func TestCapReader(t *testing.T) {
	tests := []struct {
		name    string
		body    string
		limit   int64
		wantErr error
	}{
		{name: "under", body: "hello", limit: 10},
		{name: "exactly", body: "hello", limit: 5},
		{name: "over", body: "hello!", limit: 5, wantErr: upstream.ErrTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := upstream.CapReader(io.NopCloser(iotest.HalfReader(strings.NewReader(tt.body))), tt.limit)
			got, err := io.ReadAll(r)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if err == nil && !bytes.Equal(got, []byte(tt.body)) {
				t.Fatalf("read %q", got)
			}
			if err := r.Close(); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// BenchmarkRefuseOversized reports the bytes one refusal of a 200 MiB
// answer of unknown length costs, with the largest cap (64 MiB).
func BenchmarkRefuseOversized(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := upstream.ReadAll(io.LimitReader(endless{}, 200<<20), -1, upstream.MaxEmbeddingBytes); !errors.Is(err, upstream.ErrTooLarge) {
			b.Fatal(err)
		}
	}
}
