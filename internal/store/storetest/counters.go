package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tollgate-gw/tollgate/internal/store"
)

func counter(t *testing.T, h *harness, key string) map[string]int64 {
	t.Helper()
	c, err := h.GetCounter(context.Background(), key)
	must(t, err)
	return c.Values
}

func wantLimit(t *testing.T, err error, want store.LimitError) {
	t.Helper()
	var le *store.LimitError
	if !errors.As(err, &le) || !errors.Is(err, store.ErrLimitExceeded) {
		t.Fatalf("got %v, want a LimitError", err)
	}
	if *le != want {
		t.Fatalf("LimitError = %+v, want %+v", *le, want)
	}
}

func testCounters(t *testing.T, h *harness) {
	ctx := context.Background()
	win := store.FixedWindow(h.clock.Now(), time.Minute)
	rpm := store.CounterKey("key", "k1", "rpm", win.ID())

	// rpm_limit 3: Delta 1, AtMost 2 admits exactly three.
	for i := range 3 {
		must(t, h.Apply(ctx, store.Add{Counter: rpm, Field: "requests", Delta: 1, AtMost: ptr(int64(2)), Expires: win.Expires()}))
		if got := counter(t, h, rpm)["requests"]; got != int64(i+1) {
			t.Fatalf("after %d: %d", i+1, got)
		}
	}
	err := h.Apply(ctx, store.Add{Counter: rpm, Field: "requests", Delta: 1, AtMost: ptr(int64(2)), Expires: win.Expires()})
	wantLimit(t, err, store.LimitError{Op: 0, Counter: rpm, Field: "requests", Value: 3, Limit: 2})

	// Budget semantics: admitted while spend ≤ budget, so a zero budget
	// admits the first call and refuses the next once spend was settled.
	budget := store.CounterKey("user", "u1", "budget", "all")
	far := h.clock.Now().Add(24 * time.Hour)
	admit := store.Add{Counter: budget, Field: "spend_nanos", Delta: 0, AtMost: ptr(int64(0)), Expires: far}
	must(t, h.Apply(ctx, admit))
	must(t, h.Apply(ctx, store.Add{Counter: budget, Field: "spend_nanos", Delta: 1500, Expires: far}))
	wantLimit(t, h.Apply(ctx, admit), store.LimitError{Counter: budget, Field: "spend_nanos", Value: 1500, Limit: 0})

	// Several fields of one counter in one call (one item write); a field
	// without a bound is never refused; negative deltas settle.
	tpm := store.CounterKey("key", "k1", "usage", win.ID())
	must(t, h.Apply(ctx,
		store.Add{Counter: tpm, Field: "requests", Delta: 1, AtMost: ptr(int64(9)), Expires: win.Expires()},
		store.Add{Counter: tpm, Field: "tokens", Delta: 500, AtMost: ptr(int64(1000)), Expires: win.Expires()}))
	must(t, h.Apply(ctx, store.Add{Counter: tpm, Field: "tokens", Delta: -200, Expires: win.Expires()}))
	if got := counter(t, h, tpm); got["requests"] != 1 || got["tokens"] != 300 {
		t.Fatalf("usage = %v", got)
	}
	c, err := h.GetCounter(ctx, tpm)
	must(t, err)
	if !c.Expires.Equal(win.Expires()) {
		t.Errorf("Expires = %v, want %v", c.Expires, win.Expires())
	}

	// The next window starts at zero; the old one expires and reads as
	// zero even though no one deleted it.
	h.clock.Advance(time.Minute)
	next := store.FixedWindow(h.clock.Now(), time.Minute)
	rpm2 := store.CounterKey("key", "k1", "rpm", next.ID())
	must(t, h.Apply(ctx, store.Add{Counter: rpm2, Field: "requests", Delta: 1, AtMost: ptr(int64(2)), Expires: next.Expires()}))
	h.clock.Advance(store.CounterGrace + time.Minute)
	if got := counter(t, h, rpm); len(got) != 0 {
		t.Fatalf("expired counter reads %v", got)
	}
	// A counter written again after it expired counts from zero.
	must(t, h.Apply(ctx, store.Add{Counter: rpm, Field: "requests", Delta: 1, AtMost: ptr(int64(0)),
		Expires: h.clock.Now().Add(time.Minute)}))
	if got := counter(t, h, rpm)["requests"]; got != 1 {
		t.Fatalf("revived counter = %d, want 1", got)
	}
}

// testCountersAllOrNone: when one op of an Apply is refused, no op of it
// takes effect, and the error names the refused op.
func testCountersAllOrNone(t *testing.T, h *harness) {
	ctx := context.Background()
	exp := h.clock.Now().Add(time.Hour)
	must(t, h.Apply(ctx, store.Add{Counter: "team-budget", Field: "spend", Delta: 100, Expires: exp}))
	hot := func() []store.Op {
		return []store.Op{
			store.Add{Counter: "key-rpm", Field: "requests", Delta: 1, AtMost: ptr(int64(9)), Expires: exp},
			store.Add{Counter: "user-rpm", Field: "requests", Delta: 1, AtMost: ptr(int64(9)), Expires: exp},
			store.Acquire{Counter: "key-parallel", Holder: store.NewID(), Max: 5, Expires: exp},
			store.Add{Counter: "team-budget", Field: "spend", Delta: 0, AtMost: ptr(int64(99)), Expires: exp},
			store.Add{Counter: "key-rpm", Field: "tokens", Delta: 10, AtMost: ptr(int64(1000)), Expires: exp},
		}
	}
	wantLimit(t, h.Apply(ctx, hot()...), store.LimitError{Op: 3, Counter: "team-budget", Field: "spend", Value: 100, Limit: 99})
	if got := counter(t, h, "key-rpm"); len(got) != 0 {
		t.Errorf("key-rpm changed by a refused apply: %v", got)
	}
	if got := counter(t, h, "user-rpm"); len(got) != 0 {
		t.Errorf("user-rpm changed by a refused apply: %v", got)
	}
	if n, err := h.Leases(ctx, "key-parallel"); err != nil || n != 0 {
		t.Errorf("lease taken by a refused apply: %d, %v", n, err)
	}

	// The field that refuses within a merged counter is the one named.
	must(t, h.Apply(ctx, store.Add{Counter: "key-rpm", Field: "tokens", Delta: 2000, Expires: exp}))
	ops := hot()
	ops[3] = store.Add{Counter: "team-budget", Field: "spend", Delta: 0, AtMost: ptr(int64(1000)), Expires: exp}
	wantLimit(t, h.Apply(ctx, ops...), store.LimitError{Op: 4, Counter: "key-rpm", Field: "tokens", Value: 2000, Limit: 1000})

	// With every bound satisfied, all ops apply.
	ops[4] = store.Add{Counter: "key-rpm", Field: "tokens", Delta: 10, Expires: exp}
	must(t, h.Apply(ctx, ops...))
	if got := counter(t, h, "key-rpm"); got["requests"] != 1 || got["tokens"] != 2010 {
		t.Errorf("key-rpm = %v", got)
	}
	if n, err := h.Leases(ctx, "key-parallel"); err != nil || n != 1 {
		t.Errorf("leases = %d, %v", n, err)
	}
}

// testCountersConcurrent: many callers racing on one limit of N admit
// exactly N, alone and inside multi-item applies.
func testCountersConcurrent(t *testing.T, h *harness) {
	cases := []struct {
		name     string
		callers  int
		limit    int64
		multiple bool // also touch a per-caller counter (a multi-item write)
	}{
		{"single item", 100, 37, false},
		{"with other items", 100, 23, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ctx := context.Background()
			key := "race-" + c.name
			exp := h.clock.Now().Add(time.Hour)
			var admitted, refused atomic.Int64
			var wg sync.WaitGroup
			errs := make(chan error, c.callers)
			for i := range c.callers {
				wg.Go(func() {
					ops := []store.Op{store.Add{Counter: key, Field: "requests", Delta: 1, AtMost: ptr(c.limit - 1), Expires: exp}}
					if c.multiple {
						ops = append(ops,
							store.Add{Counter: fmt.Sprintf("%s-own-%d", key, i), Field: "requests", Delta: 1, Expires: exp},
							store.Add{Counter: key + "-shared", Field: "tokens", Delta: 10, Expires: exp})
					}
					err := h.Apply(ctx, ops...)
					switch {
					case err == nil:
						admitted.Add(1)
					case errors.Is(err, store.ErrLimitExceeded):
						refused.Add(1)
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
			if admitted.Load() != c.limit || refused.Load() != int64(c.callers)-c.limit {
				t.Fatalf("admitted %d refused %d, want %d and %d", admitted.Load(), refused.Load(), c.limit, int64(c.callers)-c.limit)
			}
			if got := counter(t, h, key)["requests"]; got != c.limit {
				t.Fatalf("counter = %d, want %d", got, c.limit)
			}
			if c.multiple {
				if got := counter(t, h, key+"-shared")["tokens"]; got != 10*c.limit {
					t.Fatalf("shared tokens = %d, want %d (refused applies must not count)", got, 10*c.limit)
				}
			}
		})
	}
}

func testCounterValidation(t *testing.T, h *harness) {
	ctx := context.Background()
	exp := h.clock.Now().Add(time.Minute)
	cases := []struct {
		name string
		ops  []store.Op
	}{
		{"no expiry", []store.Op{store.Add{Counter: "c", Field: "n", Delta: 1}}},
		{"empty counter", []store.Op{store.Add{Field: "n", Delta: 1, Expires: exp}}},
		{"bad field", []store.Op{store.Add{Counter: "c", Field: "N-1", Delta: 1, Expires: exp}}},
		{"field twice", []store.Op{store.Add{Counter: "c", Field: "n", Delta: 1, Expires: exp}, store.Add{Counter: "c", Field: "n", Delta: 1, Expires: exp}}},
		{"add and lease", []store.Op{store.Add{Counter: "c", Field: "n", Delta: 1, Expires: exp}, store.Acquire{Counter: "c", Holder: "h", Max: 1, Expires: exp}}},
		{"lease twice", []store.Op{store.Acquire{Counter: "c", Holder: "h", Max: 1, Expires: exp}, store.Release{Counter: "c", Holder: "g"}}},
		{"lease without expiry", []store.Op{store.Acquire{Counter: "c", Holder: "h", Max: 1}}},
		{"holder empty", []store.Op{store.Release{Counter: "c"}}},
		{"nil spend record", []store.Op{store.PutSpend{}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			wantErr(t, h.Apply(ctx, c.ops...), store.ErrInvalid)
		})
	}
	if got := counter(t, h, "c"); len(got) != 0 {
		t.Errorf("invalid applies changed counter: %v", got)
	}
	must(t, h.Apply(ctx))
}

func testLeases(t *testing.T, h *harness) {
	ctx := context.Background()
	exp := h.clock.Now().Add(10 * time.Minute)
	acquire := func(holder string) error {
		return h.Apply(ctx, store.Acquire{Counter: "parallel-k1", Holder: holder, Max: 2, Expires: exp})
	}
	must(t, acquire("r1"))
	must(t, acquire("r2"))
	wantLimit(t, acquire("r3"), store.LimitError{Counter: "parallel-k1", Value: 2, Limit: 2})
	// A holder id is one lease: acquiring it again is refused too.
	wantErr(t, acquire("r1"), store.ErrLimitExceeded)
	must(t, h.Apply(ctx, store.Release{Counter: "parallel-k1", Holder: "r1"}))
	// Releasing what is not held is a no-op, also on a counter with no
	// leases at all, and it does not make an absent lease appear.
	must(t, h.Apply(ctx, store.Release{Counter: "parallel-k1", Holder: "r1"}))
	must(t, h.Apply(ctx, store.Release{Counter: "parallel-none", Holder: "x"}))
	if n, err := h.Leases(ctx, "parallel-none"); err != nil || n != 0 {
		t.Fatalf("leases of parallel-none = %d, %v", n, err)
	}
	must(t, acquire("r3"))
	if n, err := h.Leases(ctx, "parallel-k1"); err != nil || n != 2 {
		t.Fatalf("leases = %d, %v", n, err)
	}

	// A crashed holder never releases; its lease ends at its expiry.
	h.clock.Advance(10 * time.Minute)
	if n, err := h.Leases(ctx, "parallel-k1"); err != nil || n != 0 {
		t.Fatalf("leases after expiry = %d, %v", n, err)
	}
	exp = h.clock.Now().Add(10 * time.Minute)
	must(t, acquire("r4"))
	must(t, acquire("r5"))
	wantLimit(t, acquire("r6"), store.LimitError{Counter: "parallel-k1", Value: 2, Limit: 2})

	// Expired leases stop counting even while the lease item lives on.
	short := h.clock.Now().Add(time.Minute)
	must(t, h.Apply(ctx, store.Acquire{Counter: "parallel-k2", Holder: "s1", Max: 2, Expires: short}))
	must(t, h.Apply(ctx, store.Acquire{Counter: "parallel-k2", Holder: "l1", Max: 2, Expires: exp}))
	h.clock.Advance(2 * time.Minute)
	must(t, h.Apply(ctx, store.Acquire{Counter: "parallel-k2", Holder: "l2", Max: 2, Expires: exp}))
	wantLimit(t, h.Apply(ctx, store.Acquire{Counter: "parallel-k2", Holder: "l3", Max: 2, Expires: exp}),
		store.LimitError{Counter: "parallel-k2", Value: 2, Limit: 2})

	// max_parallel_requests 0 admits nothing.
	wantLimit(t, h.Apply(ctx, store.Acquire{Counter: "parallel-zero", Holder: "z", Max: 0, Expires: exp}),
		store.LimitError{Counter: "parallel-zero", Value: 0, Limit: 0})
}

func testLeasesConcurrent(t *testing.T, h *harness) {
	ctx := context.Background()
	exp := h.clock.Now().Add(time.Hour)
	const callers, limit = 60, 7
	var admitted atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, callers)
	for i := range callers {
		wg.Go(func() {
			err := h.Apply(ctx, store.Acquire{Counter: "parallel-race", Holder: fmt.Sprintf("req-%d", i), Max: limit, Expires: exp})
			switch {
			case err == nil:
				admitted.Add(1)
			case !errors.Is(err, store.ErrLimitExceeded):
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if admitted.Load() != limit {
		t.Fatalf("admitted %d, want %d", admitted.Load(), limit)
	}
	if n, err := h.Leases(ctx, "parallel-race"); err != nil || n != limit {
		t.Fatalf("leases = %d, %v", n, err)
	}
}

// testApplyValues: ApplyValues reports the values an apply left behind. A
// single-item apply is reported by every backend; a multi-item one may be
// unknown (DynamoDB transactions return no values) but is never wrong.
func testApplyValues(t *testing.T, h *harness) {
	ctx := context.Background()
	win := store.FixedWindow(h.clock.Now(), time.Minute)
	c := store.CounterKey("key", "av", "minute", win.ID())
	lease := store.CounterKey("key", "av", "parallel")
	budget := store.CounterKey("key", "av", "budget", "all")
	far := h.clock.Now().Add(time.Hour)

	for i := int64(1); i <= 3; i++ {
		a, err := h.ApplyValues(ctx,
			store.Add{Counter: c, Field: "requests", Delta: 1, AtMost: ptr(int64(9)), Expires: win.Expires()},
			store.Add{Counter: c, Field: "tokens", Delta: 100, Expires: win.Expires()})
		must(t, err)
		for op, want := range []int64{i, 100 * i} {
			if v, ok := a.Value(op); !ok || v != want {
				t.Fatalf("apply %d op %d: Value = %d, %v; want %d, true (one item)", i, op, v, ok, want)
			}
		}
	}
	a, err := h.ApplyValues(ctx, store.Acquire{Counter: lease, Holder: "h1", Max: 2, Expires: far})
	must(t, err)
	if v, ok := a.Value(0); !ok || v != 1 {
		t.Fatalf("leases after acquire = %d, %v; want 1, true", v, ok)
	}
	// Two items: the values, when reported, are the ones left behind.
	a, err = h.ApplyValues(ctx,
		store.Add{Counter: c, Field: "requests", Delta: 1, AtMost: ptr(int64(9)), Expires: win.Expires()},
		store.Add{Counter: budget, Field: "spend_nanos", Delta: 7, Expires: far},
		store.Acquire{Counter: lease, Holder: "h2", Max: 2, Expires: far})
	must(t, err)
	for op, want := range []int64{4, 7, 2} {
		if v, ok := a.Value(op); ok && v != want {
			t.Fatalf("multi-item op %d: Value = %d; want %d", op, v, want)
		}
	}
	if _, ok := a.Value(3); ok {
		t.Fatal("Value of an op out of range is reported")
	}
	// A refused apply reports the refusal, like Apply.
	_, err = h.ApplyValues(ctx, store.Acquire{Counter: lease, Holder: "h3", Max: 2, Expires: far})
	wantLimit(t, err, store.LimitError{Op: 0, Counter: lease, Value: 2, Limit: 2})
}

// testZeroLimits: a bound below zero refuses even the first request on a
// counter that does not exist yet, and a lease pool of 0 admits nobody:
// rpm_limit 0 is Delta 1, AtMost -1; a strict reservation R on max_budget 0
// is Delta R, AtMost -R. Every store refuses them, whether the counter is
// absent, expired or live, alone or in a transaction, and writes nothing.
func testZeroLimits(t *testing.T, h *harness) {
	ctx := context.Background()
	win := store.FixedWindow(h.clock.Now(), time.Minute)
	far := h.clock.Now().Add(24 * time.Hour)
	rpm := store.CounterKey("key", "zero", "minute", win.ID())
	budget := store.CounterKey("key", "zero", "budget", "all")
	other := store.CounterKey("key", "other", "minute", win.ID())
	zeroRPM := store.Add{Counter: rpm, Field: "requests", Delta: 1, AtMost: ptr(int64(-1)), Expires: win.Expires()}
	strict := store.Add{Counter: budget, Field: "spend_nanos", Delta: 700, AtMost: ptr(int64(-700)), Expires: far}
	for i, ops := range [][]store.Op{
		{zeroRPM},
		{strict},
		{store.Add{Counter: other, Field: "requests", Delta: 1, Expires: win.Expires()}, zeroRPM},
		{zeroRPM, strict},
	} {
		err := h.Apply(ctx, ops...)
		var le *store.LimitError
		if !errors.As(err, &le) || le.Value != 0 || le.Limit >= 0 {
			t.Fatalf("ops %d on fresh counters: got %v, want a refusal at value 0", i, err)
		}
	}
	// Also through ApplyValues (DynamoDB: UpdateItem with ALL_NEW).
	if _, err := h.ApplyValues(ctx, zeroRPM); !errors.Is(err, store.ErrLimitExceeded) {
		t.Fatalf("ApplyValues: %v", err)
	}
	for _, c := range []string{rpm, budget, other} {
		if got := counter(t, h, c); len(got) != 0 {
			t.Fatalf("a refused apply wrote %s: %v", c, got)
		}
	}
	// max_parallel_requests 0.
	err := h.Apply(ctx, store.Acquire{Counter: "key#zero#parallel", Holder: "r1", Max: 0, Expires: far})
	wantLimit(t, err, store.LimitError{Counter: "key#zero#parallel", Limit: 0})

	// A counter that exists (live, then expired) refuses the same way.
	must(t, h.Apply(ctx, store.Add{Counter: budget, Field: "spend_nanos", Delta: 0, Expires: h.clock.Now().Add(time.Minute)}))
	wantLimit(t, h.Apply(ctx, strict), store.LimitError{Counter: budget, Field: "spend_nanos", Value: 0, Limit: -700})
	h.clock.Advance(time.Minute + time.Second)
	wantLimit(t, h.Apply(ctx, strict), store.LimitError{Counter: budget, Field: "spend_nanos", Value: 0, Limit: -700})
}
