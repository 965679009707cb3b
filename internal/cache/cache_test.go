package cache

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"testing"
	"time"

	"github.com/tollgate-gw/tollgate/internal/store/embedded"
)

type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func newCache(t *testing.T, cfg Config) (*Cache, *clock) {
	t.Helper()
	st, err := embedded.Open(t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	clk := &clock{t: time.Now()}
	return New(st, cfg, clk.now, nil), clk
}

type req struct {
	Model       string
	Messages    []string
	Temperature float64
}

func TestHitsAndMisses(t *testing.T) {
	ctx := context.Background()
	c, clk := newCache(t, Config{TTL: time.Minute})
	base := req{Model: "g", Messages: []string{"hi"}, Temperature: 0.2}
	l := c.For(Completion, "team:a", nil, base)
	if _, ok := l.Get(ctx); ok {
		t.Fatal("hit in an empty cache")
	}
	l.Put(ctx, []byte("answer"))
	if v, ok := c.For(Completion, "team:a", nil, base).Get(ctx); !ok || string(v) != "answer" {
		t.Fatalf("identical request: %q, %v", v, ok)
	}
	other := base
	other.Temperature = 0.3
	for name, l := range map[string]*Lookup{
		"other tenant":    c.For(Completion, "team:b", nil, base),
		"other parameter": c.For(Completion, "team:a", nil, other),
		"other call type": c.For(Embedding, "team:a", nil, base),
		"no-cache":        c.For(Completion, "team:a", json.RawMessage(`{"no-cache": true}`), base),
		"other namespace": c.For(Completion, "team:a", json.RawMessage(`{"namespace": "x"}`), base),
	} {
		if _, ok := l.Get(ctx); ok {
			t.Errorf("%s: hit", name)
		}
	}
	// s-maxage accepts only young entries.
	clk.t = clk.t.Add(30 * time.Second)
	if _, ok := c.For(Completion, "team:a", json.RawMessage(`{"s-maxage": 10}`), base).Get(ctx); ok {
		t.Error("s-maxage 10 accepted a 30s-old entry")
	}
	if _, ok := c.For(Completion, "team:a", json.RawMessage(`{"s-maxage": 60}`), base).Get(ctx); !ok {
		t.Error("s-maxage 60 refused a 30s-old entry")
	}
	// TTL.
	clk.t = clk.t.Add(31 * time.Second)
	if _, ok := c.For(Completion, "team:a", nil, base).Get(ctx); ok {
		t.Error("hit after the ttl")
	}
	// no-store, and a per-request ttl.
	c.For(Completion, "team:a", json.RawMessage(`{"no-store": true}`), base).Put(ctx, []byte("x"))
	if _, ok := c.For(Completion, "team:a", nil, base).Get(ctx); ok {
		t.Error("no-store stored")
	}
	c.For(Completion, "team:a", json.RawMessage(`{"ttl": 600}`), base).Put(ctx, []byte("long"))
	clk.t = clk.t.Add(5 * time.Minute)
	if v, ok := c.For(Completion, "team:a", nil, base).Get(ctx); !ok || string(v) != "long" {
		t.Error("per-request ttl 600 not honoured")
	}
}

func TestSharedModeAndCallTypes(t *testing.T) {
	ctx := context.Background()
	c, _ := newCache(t, Config{Shared: true, CallTypes: []string{"completion"}})
	c.For(Completion, "team:a", nil, "r").Put(ctx, []byte("v"))
	if _, ok := c.For(Completion, "team:b", nil, "r").Get(ctx); !ok {
		t.Error("shared cache: other tenant missed")
	}
	if c.For(Embedding, "team:a", nil, "r") != nil {
		t.Error("embedding cached although supported_call_types lists only completion")
	}
	off, _ := newCache(t, Config{DefaultOff: true})
	if off.For(Completion, "t", nil, "r") != nil || off.For(Completion, "t", json.RawMessage(`{"use-cache": true}`), "r") == nil {
		t.Error("default_off mode")
	}
}

func TestLargeValues(t *testing.T) {
	ctx := context.Background()
	c, _ := newCache(t, Config{})
	// Compressible and over the item limit raw: stored compressed.
	big := bytes.Repeat([]byte(`{"embedding":[0.125,0.25,0.5]}`), 30000) // ~900 KB
	c.For(Embedding, "t", nil, "big").Put(ctx, big)
	if v, ok := c.For(Embedding, "t", nil, "big").Get(ctx); !ok || !bytes.Equal(v, big) {
		t.Fatalf("compressed round trip: ok=%v len=%d", ok, len(v))
	}
	// Incompressible and too large: skipped, no error, a miss later.
	noise := make([]byte, 500<<10)
	_, _ = rand.Read(noise)
	c.For(Embedding, "t", nil, "noise").Put(ctx, noise)
	if _, ok := c.For(Embedding, "t", nil, "noise").Get(ctx); ok {
		t.Fatal("a value over the item limit was stored")
	}
}
