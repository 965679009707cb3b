package ratelimit

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/tollgate-gw/tollgate/internal/clocktest"
	"github.com/tollgate-gw/tollgate/internal/store"
)

func TestShedCap(t *testing.T) {
	tests := []struct {
		headroom float64
		levels   int
		limit    int64
		prio     int
		want     int64
	}{
		{0, 0, 10, 10, 10},     // shedding off
		{0.5, 10, 10, 0, 10},   // priority 0 keeps the whole limit
		{0.5, 10, 10, 5, 8},    // 10 - floor(2.5)
		{0.5, 10, 10, 10, 5},   // the least important: half
		{0.5, 10, 10, 99, 5},   // clamped to the levels
		{0.5, 10, 10, -3, 10},  // clamped to 0
		{0.1, 10, 1, 10, 1},    // a limit of one keeps nothing back
		{1, 4, 4, 4, 0},        // the whole limit kept back
		{2, 10, 10, 10, 0},     // a headroom above 1 is 1
		{0.25, 0, 100, 10, 75}, // default levels 10
	}
	for _, tt := range tests {
		l := New(nil, pricer(), &Options{PriorityHeadroom: tt.headroom, PriorityLevels: tt.levels})
		if got := l.shedCap(tt.limit, l.priorityOf(Request{Priority: &tt.prio})); got != tt.want {
			t.Errorf("headroom %v levels %d: shedCap(%d, priority %d) = %d, want %d", tt.headroom, tt.levels, tt.limit, tt.prio, got, tt.want)
		}
	}
	// The request's priority wins over the key's default, which wins over
	// the gateway's.
	l := New(nil, pricer(), &Options{DefaultPriority: 7})
	for _, tt := range []struct {
		prio, def *int
		want      int
	}{{nil, nil, 7}, {nil, ptr(3), 3}, {ptr(1), ptr(3), 1}} {
		if got := l.priorityOf(Request{Priority: tt.prio, DefaultPriority: tt.def}); got != tt.want {
			t.Errorf("priorityOf(%v, %v) = %d, want %d", tt.prio, tt.def, got, tt.want)
		}
	}
}

// TestPrioritySheddingOrder: as an rpm limit of 10 (headroom 0.5) fills,
// priority-10 requests are refused first (after 5), then priority 5 (after
// 8), and priority-0 requests keep the limit to its end; the same for
// parallel leases. Both across two limiter instances.
func TestPrioritySheddingOrder(t *testing.T) {
	forEachBackend(t, func(t *testing.T, clk *clocktest.Clock, open func() *store.Store) {
		ctx := context.Background()
		opts := &Options{Now: clk.Now, PriorityHeadroom: 0.5}
		lims := []*Limiter{New(open(), pricer(), opts), New(open(), pricer(), opts)}
		p := principal(&store.Limits{RPMLimit: ptr(int64(10))}, nil, nil)
		n := 0
		admit := func(prio int) error {
			n++
			req := request(fmt.Sprint("r", n), p)
			req.Priority = &prio
			_, err := lims[n%2].Admit(ctx, req)
			return err
		}
		steps := []struct {
			prio     int
			admitted int
			shed     bool // the refusal that ends the step is priority shedding
		}{
			{10, 5, true},
			{5, 3, true},
			{10, 0, true}, // still shed while priority 5 is
			{0, 2, false},
			{5, 0, false},
		}
		for i, s := range steps {
			got := 0
			var err error
			for err = admit(s.prio); err == nil; err = admit(s.prio) {
				got++
				if got > 10 {
					t.Fatalf("step %d: never refused", i)
				}
			}
			var rf *Refusal
			if !errors.As(err, &rf) || rf.Kind != KindRequests || rf.Status() != http.StatusTooManyRequests {
				t.Fatalf("step %d: %v", i, err)
			}
			if got != s.admitted || rf.Shed() != s.shed {
				t.Fatalf("step %d (priority %d): admitted %d, shed %v; want %d, %v (%v)", i, s.prio, got, rf.Shed(), s.admitted, s.shed, err)
			}
			if s.shed && !strings.Contains(rf.Error(), "kept for more important requests") {
				t.Errorf("step %d: message %q does not say why", i, rf.Error())
			}
		}

		// Parallel leases: 4 slots, priority 10 may hold 2.
		q := principal(&store.Limits{MaxParallelRequests: ptr(int64(4))}, nil, nil)
		lease := func(id string, prio int) error {
			req := request(id, q)
			req.Priority = &prio
			_, err := lims[0].Admit(ctx, req)
			return err
		}
		for i, s := range []struct {
			id   string
			prio int
			ok   bool
		}{{"a", 10, true}, {"b", 10, true}, {"c", 10, false}, {"d", 0, true}, {"e", 0, true}, {"f", 0, false}} {
			err := lease(s.id, s.prio)
			if (err == nil) != s.ok {
				t.Fatalf("lease %d (%s, priority %d): %v, want ok=%v", i, s.id, s.prio, err, s.ok)
			}
		}
	})
}

// TestRemainingHeaders: an admitted request carries what remains of its
// tightest limits, from the admission's own write (no extra round trip).
// One counter item is reported by every backend; for several, a backend
// that cannot report them (DynamoDB transactions) leaves remaining out but
// never states a wrong one.
func TestRemainingHeaders(t *testing.T) {
	forEachDriver(t, func(t *testing.T, clk *clocktest.Clock, drv func() store.Driver) {
		ctx := context.Background()
		cs := &countingDriver{Driver: drv()}
		l := New(store.New(cs, &store.Options{Now: clk.Now}), pricer(), &Options{Now: clk.Now})
		one := principal(&store.Limits{RPMLimit: ptr(int64(5)), TPMLimit: ptr(int64(1000))}, nil, nil)
		for i := 1; i <= 3; i++ {
			tk, err := l.Admit(ctx, request(fmt.Sprint("one", i), one))
			if err != nil {
				t.Fatal(err)
			}
			h := http.Header{}
			tk.SetHeaders(h)
			want := map[string]string{"X-Ratelimit-Limit-Requests": "5", "X-Ratelimit-Remaining-Requests": fmt.Sprint(5 - i),
				"X-Ratelimit-Limit-Tokens": "1000", "X-Ratelimit-Remaining-Tokens": fmt.Sprint(1000 - 10*i), "X-Ratelimit-Reset-Requests": "55s"}
			for k, v := range want {
				if h.Get(k) != v {
					t.Errorf("request %d: %s = %q, want %q (%v)", i, k, h.Get(k), v, h)
				}
			}
		}
		if got := cs.n.Load(); got != 3 {
			t.Fatalf("%d round trips for 3 admissions", got)
		}

		// Key rpm 5 and user rpm 3: the user's is the tightest.
		two := principal(&store.Limits{RPMLimit: ptr(int64(5))}, &store.Limits{RPMLimit: ptr(int64(3))}, nil)
		two.KeyHash, two.Levels[0].ID = "k2", "k2"
		tk, err := l.Admit(ctx, request("two", two))
		if err != nil {
			t.Fatal(err)
		}
		h := http.Header{}
		tk.SetHeaders(h)
		if h.Get("X-Ratelimit-Limit-Requests") != "3" {
			t.Errorf("limit = %q, want the user's 3", h.Get("X-Ratelimit-Limit-Requests"))
		}
		if r := h.Get("X-Ratelimit-Remaining-Requests"); r != "" && r != "2" {
			t.Errorf("remaining = %q, want 2 (or none when not reported)", r)
		}
	})
}

// TestSoftBudget: a soft budget never refuses; once the spend reached it,
// admitted requests are flagged (header and log).
func TestSoftBudget(t *testing.T) {
	forEachBackend(t, func(t *testing.T, clk *clocktest.Clock, open func() *store.Store) {
		ctx := context.Background()
		var logs bytes.Buffer
		l := New(open(), pricer(), &Options{Now: clk.Now, Logger: slog.New(slog.NewJSONHandler(&logs, nil))})
		p := principal(&store.Limits{SoftBudget: ptr(100e-9)}, nil, nil)
		for i, want := range []bool{false, false, true, true} {
			tk, err := l.Admit(ctx, request(fmt.Sprint("s", i), p))
			if err != nil {
				t.Fatalf("request %d: a soft budget refused: %v", i, err)
			}
			h := http.Header{}
			tk.SetHeaders(h)
			if got := h.Get(HeaderSoftBudgetExceeded) == "true"; got != want {
				t.Fatalf("request %d: flagged %v, want %v (hits %+v)", i, got, want, tk.soft)
			}
			if want && (tk.soft[0].Level != "key" || tk.soft[0].SoftBudget != 100e-9) {
				t.Fatalf("request %d: hits %+v", i, tk.soft)
			}
			if _, err := tk.Settle(ctx, usage(30, 30)); err != nil { // 60 nano-dollars
				t.Fatal(err)
			}
		}
		if !strings.Contains(logs.String(), `"soft_budget_exceeded":true`) || !strings.Contains(logs.String(), `"request_id":"s2"`) {
			t.Fatalf("no soft budget log line: %s", logs.String())
		}
	})
}
