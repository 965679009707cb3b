package dynamo_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tollgate-gw/tollgate/internal/store"
	"github.com/tollgate-gw/tollgate/internal/store/dynamo"
	"github.com/tollgate-gw/tollgate/internal/store/dynamo/dynamolocal"
	"github.com/tollgate-gw/tollgate/internal/store/storetest"
)

// twoGateways returns two stores over the same tables, each with its own
// client and connection pool, as two Lambda instances would have.
func twoGateways(t *testing.T) ([2]*store.Store, *storetest.Clock) {
	tables := newTables(t)
	srv := dynamolocal.Require(t, server)
	clock := storetest.NewClock(storetest.Date(time.November, 21, 12, 0, 0))
	opts := &dynamo.Options{Store: &store.Options{Now: clock.Now}}
	return [2]*store.Store{dynamo.New(srv.Client(), tables, opts), dynamo.New(srv.Client(), tables, opts)}, clock
}

// TestTwoClientsRaceOnLimits: two clients racing on one rate limit and one
// lease pool admit exactly the limits between them, through single-item
// updates and through transactions that collide with each other.
func TestTwoClientsRaceOnLimits(t *testing.T) {
	gw, clock := twoGateways(t)
	ctx := context.Background()
	exp := clock.Now().Add(time.Hour)
	const callers, rpm, parallel = 120, 40, 15
	var admitted, refusedRPM, refusedLease atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, callers)
	for i := range callers {
		wg.Go(func() {
			err := gw[i%2].Apply(ctx,
				store.Add{Counter: "key-rpm", Field: "requests", Delta: 1, AtMost: ptr(int64(rpm - 1)), Expires: exp},
				store.Acquire{Counter: "key-parallel", Holder: store.NewID(), Max: parallel, Expires: exp})
			var le *store.LimitError
			switch {
			case err == nil:
				admitted.Add(1)
			case errors.As(err, &le) && le.Op == 0:
				refusedRPM.Add(1)
			case errors.As(err, &le) && le.Op == 1:
				refusedLease.Add(1)
			default:
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if admitted.Load() != parallel {
		t.Fatalf("admitted %d, want %d (refused: rpm %d, lease %d)", admitted.Load(), parallel, refusedRPM.Load(), refusedLease.Load())
	}
	c, err := gw[0].GetCounter(ctx, "key-rpm")
	if err != nil {
		t.Fatal(err)
	}
	// Refused transactions change nothing: the counter holds only the
	// admitted requests.
	if c.Values["requests"] != parallel {
		t.Fatalf("rpm counter = %d, want %d", c.Values["requests"], parallel)
	}
	if n, err := gw[1].Leases(ctx, "key-parallel"); err != nil || n != parallel {
		t.Fatalf("leases = %d, %v", n, err)
	}
}

// TestTwoClientsRaceOnVersion: of two clients updating the same key from
// the same read, exactly one wins, every time.
func TestTwoClientsRaceOnVersion(t *testing.T) {
	gw, _ := twoGateways(t)
	ctx := context.Background()
	k := &store.Key{Hash: store.HashKey("sk-race"), UserID: "alice"}
	if err := gw[0].CreateKey(ctx, k); err != nil {
		t.Fatal(err)
	}
	for round := range 20 {
		read, err := gw[0].GetKey(ctx, k.Hash)
		if err != nil {
			t.Fatal(err)
		}
		var wins, conflicts atomic.Int64
		var wg sync.WaitGroup
		for i := range 2 {
			wg.Go(func() {
				mine := *read
				mine.KeyAlias = string(rune('a' + i))
				err := gw[i].UpdateKey(ctx, &mine)
				switch {
				case err == nil:
					wins.Add(1)
				case errors.Is(err, store.ErrConflict):
					conflicts.Add(1)
				default:
					t.Error(err)
				}
			})
		}
		wg.Wait()
		if wins.Load() != 1 || conflicts.Load() != 1 {
			t.Fatalf("round %d: %d wins, %d conflicts", round, wins.Load(), conflicts.Load())
		}
	}
}

func ptr[T any](v T) *T { return &v }
