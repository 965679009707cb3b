package ratelimit

import (
	"context"
	"math"
	"testing"

	"github.com/tollgate-gw/tollgate/internal/clocktest"
	"github.com/tollgate-gw/tollgate/internal/store"
)

// TestSettleOutcomes: what Settle writes for each kind of outcome, on both
// stores. A cache hit costs nothing and is recorded as one; a record the
// store refuses (a request id it cannot key) still has its call counted.
func TestSettleOutcomes(t *testing.T) {
	tests := []struct {
		name      string
		requestID string
		outcome   Outcome
		wantSpend int64 // nano-USD on the key's budget
		wantRec   bool
		cacheHit  bool
	}{
		{"served", "r1", usage(100, 20), 120, true, false},
		{"cache hit", "r2", func() Outcome { o := usage(100, 20); o.CacheHit = true; return o }(), 0, true, true},
		{"record the store refuses", "x#1", usage(100, 20), 120, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			forEachBackend(t, func(t *testing.T, clk *clocktest.Clock, open func() *store.Store) {
				ctx := context.Background()
				l := New(open(), pricer(), &Options{Now: clk.Now})
				tk, err := l.Admit(ctx, request(tt.requestID, principal(&store.Limits{MaxBudget: ptr(1.0)}, nil, nil)))
				if err != nil {
					t.Fatal(err)
				}
				if _, err := tk.Settle(ctx, tt.outcome); err != nil {
					t.Fatalf("settle: %v", err)
				}
				c, err := open().GetCounter(ctx, store.CounterKey("key", "k1", "budget", "all"))
				if err != nil {
					t.Fatal(err)
				}
				if got := c.Values[fieldSpend]; got != tt.wantSpend {
					t.Errorf("key budget total = %d nano-USD, want %d", got, tt.wantSpend)
				}
				recs, _, err := open().QuerySpend(ctx, store.SpendQuery{By: store.SpendByKey, ID: "k1"}, store.Page{})
				if err != nil || len(recs) != map[bool]int{true: 1, false: 0}[tt.wantRec] {
					t.Fatalf("spend records: %v %+v", err, recs)
				}
				if tt.wantRec && (recs[0].CacheHit != tt.cacheHit || math.Abs(recs[0].Cost-float64(tt.wantSpend)/1e9) > 1e-15) {
					t.Errorf("record: %+v", recs[0])
				}
			})
		})
	}
}

// TestFailsClosed: a settle that cannot be written withholds the response
// unless limits fail open.
func TestFailsClosed(t *testing.T) {
	for _, open := range []bool{false, true} {
		tk, err := New(store.New(&failingDriver{}, nil), pricer(), &Options{FailOpen: open}).Admit(context.Background(), request("r", principal(nil, nil, nil)))
		if err != nil {
			t.Fatal(err)
		}
		if tk.FailsClosed() == open {
			t.Errorf("FailOpen %v: FailsClosed %v", open, tk.FailsClosed())
		}
	}
	if (*Ticket)(nil).FailsClosed() {
		t.Error("no ticket (no limits) fails closed")
	}
}
