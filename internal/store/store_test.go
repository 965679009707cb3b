package store

import (
	"testing"
	"time"
)

func TestHashKey(t *testing.T) {
	// FIPS 180-2's test vector for SHA-256("abc").
	if got := HashKey("abc"); got != "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" {
		t.Fatalf("HashKey = %q", got)
	}
	if KeyName("sk-1234567890abcd") != "sk-...abcd" || KeyName("sk-1") != "sk-..." {
		t.Fatalf("KeyName = %q", KeyName("sk-1234567890abcd"))
	}
}

func TestTTLMaths(t *testing.T) {
	base := time.Date(2026, 11, 21, 12, 0, 30, 0, time.UTC)
	cases := []struct {
		name string
		in   time.Time
		want int64
	}{
		{"zero never expires", time.Time{}, 0},
		{"whole second", base, base.Unix()},
		{"rounds up inside a second", base.Add(time.Millisecond), base.Unix() + 1},
	}
	for _, c := range cases {
		if got := ttlOf(c.in); got != c.want {
			t.Errorf("%s: ttlOf = %d, want %d", c.name, got, c.want)
		}
	}
	w := FixedWindow(base, time.Minute)
	if !w.Start.Equal(base.Truncate(time.Minute)) || !w.End.Equal(w.Start.Add(time.Minute)) {
		t.Fatalf("window = %+v", w)
	}
	if w.ID() != "1795262400" || !w.Expires().Equal(w.End.Add(CounterGrace)) {
		t.Fatalf("window id %s expires %v", w.ID(), w.Expires())
	}
	it := &Item{TTL: base.Unix()}
	if !it.Live(base.Unix()-1) || it.Live(base.Unix()) {
		t.Fatal("an item is live strictly before its ttl")
	}
}
