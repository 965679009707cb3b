package ratelimit

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/tollgate-gw/tollgate/internal/clocktest"
	"github.com/tollgate-gw/tollgate/internal/store"
)

// TestNoSpendLogs (general_settings.disable_spend_logs): no spend record is
// written, the budget totals still are, and a settle with nothing left to
// write makes no store call at all.
func TestNoSpendLogs(t *testing.T) {
	forEachDriver(t, func(t *testing.T, clk *clocktest.Clock, drv func() store.Driver) {
		ctx := context.Background()
		open := func() *store.Store { return store.New(drv(), &store.Options{Now: clk.Now}) }
		cs := &countingDriver{Driver: drv()}
		l := New(store.New(cs, &store.Options{Now: clk.Now}), pricer(), &Options{Now: clk.Now, NoSpendLogs: true})

		// A key with a budget: the settle adds the cost to the key's total.
		p := principal(&store.Limits{MaxBudget: ptr(1.0)}, nil, nil)
		tk, err := l.Admit(ctx, request("budgeted", p))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tk.Settle(ctx, usage(100, 20)); err != nil {
			t.Fatal(err)
		}
		recs, _, err := open().QuerySpend(ctx, store.SpendQuery{By: store.SpendByKey, ID: "k1"}, store.Page{})
		if err != nil || len(recs) != 0 {
			t.Fatalf("spend records with spend logs off: %v %+v", err, recs)
		}
		c, err := open().GetCounter(ctx, store.CounterKey("key", "k1", "budget", "all"))
		if err != nil {
			t.Fatal(err)
		}
		if got := c.Values[fieldSpend]; got != 120 {
			t.Errorf("key budget total = %d nano-USD, want 120", got)
		}

		// No limits at all: nothing to write, no round trip.
		before := cs.n.Load()
		tk, err = l.Admit(ctx, request("free", principal(nil, nil, nil)))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tk.Settle(ctx, usage(1, 1)); err != nil {
			t.Fatal(err)
		}
		if got := cs.n.Load() - before; got != 0 {
			t.Errorf("admission and settle with no limits and no record: %d store calls, want 0", got)
		}
	})
}

// TestSettleNotRetried: a settle's counter adds are not idempotent, so a
// settle the store fails as unavailable is written once and reported, with
// or without the spend record (which no longer makes the settle one
// idempotent transaction: its writes are independent).
func TestSettleNotRetried(t *testing.T) {
	for _, noLogs := range []bool{true, false} {
		t.Run(fmt.Sprintf("NoSpendLogs=%v", noLogs), func(t *testing.T) {
			down := &failingDriver{}
			l := New(store.New(down, nil), pricer(), &Options{FailOpen: true, NoSpendLogs: noLogs})
			tk, err := l.Admit(context.Background(), request("x", principal(&store.Limits{MaxBudget: ptr(1.0)}, nil, nil)))
			if err != nil {
				t.Fatal(err)
			}
			before := down.n.Load()
			if _, err := tk.Settle(context.Background(), usage(1, 1)); !errors.Is(err, store.ErrUnavailable) {
				t.Fatalf("settle: %v", err)
			}
			if got := down.n.Load() - before; got != 1 {
				t.Errorf("settle writes attempted: %d, want 1", got)
			}
		})
	}
}

// TestSpendRetention (general_settings.maximum_spend_logs_retention_period):
// a record expires that long after its call started, and is gone from
// queries afterwards.
func TestSpendRetention(t *testing.T) {
	forEachBackend(t, func(t *testing.T, clk *clocktest.Clock, open func() *store.Store) {
		ctx := context.Background()
		l := New(open(), pricer(), &Options{Now: clk.Now, SpendRetention: 7 * 24 * time.Hour})
		start := clk.Now()
		tk, err := l.Admit(ctx, request("kept-a-week", principal(nil, nil, nil)))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tk.Settle(ctx, usage(1, 1)); err != nil {
			t.Fatal(err)
		}
		query := func() []*store.SpendRecord {
			t.Helper()
			recs, _, err := open().QuerySpend(ctx, store.SpendQuery{By: store.SpendByKey, ID: "k1"}, store.Page{})
			if err != nil {
				t.Fatal(err)
			}
			return recs
		}
		recs := query()
		if len(recs) != 1 || !recs[0].ExpiresAt.Equal(start.Add(7*24*time.Hour)) {
			t.Fatalf("records %+v, want one expiring at %v", recs, start.Add(7*24*time.Hour))
		}
		clk.Advance(7*24*time.Hour + time.Second)
		if recs := query(); len(recs) != 0 {
			t.Errorf("a week later: %+v, want none", recs)
		}
	})
}
