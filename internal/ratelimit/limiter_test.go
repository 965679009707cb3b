package ratelimit

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tollgate-gw/tollgate/internal/auth"
	"github.com/tollgate-gw/tollgate/internal/clocktest"
	"github.com/tollgate-gw/tollgate/internal/llm"
	"github.com/tollgate-gw/tollgate/internal/spend"
	"github.com/tollgate-gw/tollgate/internal/store"
	"github.com/tollgate-gw/tollgate/internal/store/dynamo"
	"github.com/tollgate-gw/tollgate/internal/store/dynamo/dynamolocal"
	"github.com/tollgate-gw/tollgate/internal/store/embedded"
	"github.com/tollgate-gw/tollgate/internal/store/storetest"
)

var dynamoServer *dynamolocal.Server

func TestMain(m *testing.M) { os.Exit(dynamolocal.Main(m, &dynamoServer)) }

// backend opens drivers over one shared backing store: each call returns a
// new driver with its own client (standing in for a separate Lambda
// instance); the embedded store, locked by one process, hands out the same
// driver each time.
type backend struct {
	name string
	open func(t *testing.T, clk *clocktest.Clock) func() store.Driver
}

var tableSeq atomic.Int64

var backends = []backend{
	{name: "embedded", open: func(t *testing.T, clk *clocktest.Clock) func() store.Driver {
		d, err := embedded.OpenDriver(t.TempDir(), &embedded.Options{Store: &store.Options{Now: clk.Now}})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { d.Close() })
		return func() store.Driver { return d }
	}},
	{name: "dynamodb", open: func(t *testing.T, clk *clocktest.Clock) func() store.Driver {
		srv := dynamolocal.Require(t, dynamoServer)
		tables := newDynamoTables(t, srv)
		return func() store.Driver { return dynamo.NewDriver(srv.Client(), tables, nil) }
	}},
}

// newDynamoTables creates a fresh set of tables in srv for one test.
func newDynamoTables(t *testing.T, srv *dynamolocal.Server) dynamo.Tables {
	n := tableSeq.Add(1)
	tables := dynamo.Tables{State: fmt.Sprintf("rl-state-%d", n), Spend: fmt.Sprintf("rl-spend-%d", n), Cache: fmt.Sprintf("rl-cache-%d", n)}
	if err := dynamo.CreateTables(context.Background(), srv.Client(), tables); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = dynamo.DeleteTables(context.Background(), srv.Client(), tables) })
	return tables
}

// forEachBackend runs f on each backend; open returns a Store over the
// backend's shared data, on the test's clock.
func forEachBackend(t *testing.T, f func(t *testing.T, clk *clocktest.Clock, open func() *store.Store)) {
	forEachDriver(t, func(t *testing.T, clk *clocktest.Clock, drv func() store.Driver) {
		f(t, clk, func() *store.Store { return store.New(drv(), &store.Options{Now: clk.Now}) })
	})
}

// forEachDriver is forEachBackend for tests that wrap the driver.
func forEachDriver(t *testing.T, f func(t *testing.T, clk *clocktest.Clock, drv func() store.Driver)) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			clk := clocktest.New(storetest.Date(time.March, 10, 12, 0, 5))
			f(t, clk, b.open(t, clk))
		})
	}
}

func ptr[T any](v T) *T { return &v }

func principal(keyLimits, userLimits, teamLimits *store.Limits) *auth.Principal {
	p := &auth.Principal{Kind: auth.KindKey, KeyHash: "k1", UserID: "u1", TeamID: "t1"}
	for _, lv := range []auth.Level{{Kind: "key", ID: "k1", Limits: keyLimits}, {Kind: "user", ID: "u1", Limits: userLimits}, {Kind: "team", ID: "t1", Limits: teamLimits}} {
		if lv.Limits != nil {
			p.Levels = append(p.Levels, lv)
		}
	}
	return p
}

// pricer prices "m" at one nano-dollar per token in and out.
func pricer() *spend.Pricer {
	return spend.NewPricer(spend.Shipped(), map[string]spend.Override{"d1": {InputPerToken: ptr(1e-9), OutputPerToken: ptr(1e-9)}})
}

func request(id string, p *auth.Principal) Request {
	return Request{RequestID: id, Principal: p, ModelGroup: "m", Deployment: "d1", Provider: "fake", Model: "m", EstimatedTokens: 10, Bound: Bound{PromptTokens: 10, OutputTokens: 90}}
}

func usage(in, out int) Outcome {
	return Outcome{Usage: llm.Usage{PromptTokens: in, CompletionTokens: out, TotalTokens: in + out}}
}

// TestRPMExactlyNAcrossInstances: rpm=N admits exactly N of 50 concurrent
// requests from two limiters, each over its own store client (two Lambda
// instances sharing one DynamoDB).
func TestRPMExactlyNAcrossInstances(t *testing.T) {
	forEachBackend(t, func(t *testing.T, clk *clocktest.Clock, open func() *store.Store) {
		const n = 7
		lims := []*Limiter{New(open(), pricer(), &Options{Now: clk.Now}), New(open(), pricer(), &Options{Now: clk.Now})}
		p := principal(&store.Limits{RPMLimit: ptr(int64(n))}, nil, nil)
		var ok, refused atomic.Int64
		var wg sync.WaitGroup
		for i := range 50 {
			wg.Go(func() {
				_, err := lims[i%2].Admit(context.Background(), request(fmt.Sprint("r", i), p))
				var rf *Refusal
				switch {
				case err == nil:
					ok.Add(1)
				case errors.As(err, &rf) && rf.Kind == KindRequests && rf.Status() == 429 && rf.RetryAfter() > 0:
					refused.Add(1)
				default:
					t.Errorf("request %d: %v", i, err)
				}
			})
		}
		wg.Wait()
		if ok.Load() != n || refused.Load() != 50-n {
			t.Fatalf("admitted %d, refused %d; want %d and %d", ok.Load(), refused.Load(), n, 50-n)
		}
		// The next minute is a new window.
		clk.Advance(time.Minute)
		if _, err := lims[0].Admit(context.Background(), request("next", p)); err != nil {
			t.Fatalf("next window: %v", err)
		}
	})
}

// TestBudgetBoundedOvershoot: with LiteLLM's semantics a zero budget admits
// one call then refuses; concurrently, the overshoot is at most the cost of
// the calls admitted while spend was still within budget.
func TestBudgetBoundedOvershoot(t *testing.T) {
	forEachBackend(t, func(t *testing.T, clk *clocktest.Clock, open func() *store.Store) {
		ctx := context.Background()
		l := New(open(), pricer(), &Options{Now: clk.Now})
		p := principal(nil, &store.Limits{MaxBudget: ptr(0.0)}, nil)
		tk, err := l.Admit(ctx, request("first", p))
		if err != nil {
			t.Fatalf("a zero budget admits the first call: %v", err)
		}
		if _, err := tk.Settle(ctx, usage(10, 10)); err != nil {
			t.Fatal(err)
		}
		_, err = l.Admit(ctx, request("second", p))
		var rf *Refusal
		if !errors.As(err, &rf) || rf.Kind != KindBudget || rf.Level != "user" || rf.Status() != 400 || nanos(rf.Spend) != 20 {
			t.Fatalf("second call: %v", err)
		}

		// 40 racing requests from two instances on a budget of 100 nano-USD,
		// 20 nano-USD each: spend never passes budget + in-flight cost.
		budget := 100e-9
		lims := []*Limiter{New(open(), pricer(), &Options{Now: clk.Now}), New(open(), pricer(), &Options{Now: clk.Now})}
		q := principal(nil, nil, &store.Limits{MaxBudget: ptr(budget)})
		const workers = 8
		var wg sync.WaitGroup
		var admitted atomic.Int64
		for w := range workers {
			wg.Go(func() {
				for i := range 5 {
					tk, err := lims[w%2].Admit(ctx, request(fmt.Sprintf("b%d-%d", w, i), q))
					if err != nil {
						continue
					}
					admitted.Add(1)
					if _, err := tk.Settle(ctx, usage(10, 10)); err != nil {
						t.Error(err)
					}
				}
			})
		}
		wg.Wait()
		c, err := open().GetCounter(ctx, store.CounterKey("team", "t1", "budget", "all"))
		if err != nil {
			t.Fatal(err)
		}
		spent := c.Values[fieldSpend]
		if spent != 20*admitted.Load() || spent > 100+workers*20 || spent < 100 {
			t.Fatalf("spent %d nano-USD over %d admitted; budget 100, in-flight bound %d", spent, admitted.Load(), workers*20)
		}
	})
}

// TestStrictNeverExceeds: strict mode reserves the maximum cost (10 input
// tokens + 90 max_tokens = 100 nano-USD) and never lets spend pass the
// budget, however the calls race.
func TestStrictNeverExceeds(t *testing.T) {
	forEachBackend(t, func(t *testing.T, clk *clocktest.Clock, open func() *store.Store) {
		ctx := context.Background()
		lims := []*Limiter{New(open(), pricer(), &Options{Now: clk.Now, Strict: true}), New(open(), pricer(), &Options{Now: clk.Now, Strict: true})}
		p := principal(&store.Limits{MaxBudget: ptr(450e-9)}, nil, nil)
		var wg sync.WaitGroup
		var admitted atomic.Int64
		for w := range 8 {
			wg.Go(func() {
				for i := range 4 {
					tk, err := lims[w%2].Admit(ctx, request(fmt.Sprintf("s%d-%d", w, i), p))
					if err != nil {
						continue
					}
					admitted.Add(1)
					if _, err := tk.Settle(ctx, usage(10, 90)); err != nil {
						t.Error(err)
					}
				}
			})
		}
		wg.Wait()
		c, _ := open().GetCounter(ctx, store.CounterKey("key", "k1", "budget", "all"))
		if got := c.Values[fieldSpend]; got > 450 || got != 100*admitted.Load() || admitted.Load() != 4 {
			t.Fatalf("strict: spent %d of 450 over %d admitted", got, admitted.Load())
		}
	})
}

// TestLeaseRecovery: a parallel slot held by a crashed instance (admitted,
// never settled) stops counting at its TTL.
func TestLeaseRecovery(t *testing.T) {
	forEachBackend(t, func(t *testing.T, clk *clocktest.Clock, open func() *store.Store) {
		ctx := context.Background()
		crashed := New(open(), pricer(), &Options{Now: clk.Now, LeaseTTL: time.Minute})
		live := New(open(), pricer(), &Options{Now: clk.Now, LeaseTTL: time.Minute})
		p := principal(&store.Limits{MaxParallelRequests: ptr(int64(1))}, nil, nil)
		if _, err := crashed.Admit(ctx, request("lost", p)); err != nil {
			t.Fatal(err)
		}
		_, err := live.Admit(ctx, request("waiting", p))
		var rf *Refusal
		if !errors.As(err, &rf) || rf.Kind != KindParallel || rf.Status() != 429 {
			t.Fatalf("slot taken: %v", err)
		}
		clk.Advance(time.Minute + time.Second)
		tk, err := live.Admit(ctx, request("after", p))
		if err != nil {
			t.Fatalf("after the lease's TTL: %v", err)
		}
		if _, err := tk.Settle(ctx, usage(1, 1)); err != nil {
			t.Fatal(err)
		}
		if _, err := live.Admit(ctx, request("again", p)); err != nil {
			t.Fatalf("after release: %v", err)
		}
	})
}

// TestPeriodReset: a budget with budget_duration starts from zero in the
// next period; no job resets it.
func TestPeriodReset(t *testing.T) {
	forEachBackend(t, func(t *testing.T, clk *clocktest.Clock, open func() *store.Store) {
		ctx := context.Background()
		l := New(open(), pricer(), &Options{Now: clk.Now})
		for _, d := range []string{"30s", "1d", "1mo"} {
			p := principal(&store.Limits{MaxBudget: ptr(0.0), BudgetDuration: d}, nil, nil)
			tk, err := l.Admit(ctx, request("p1-"+d, p))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := tk.Settle(ctx, usage(5, 5)); err != nil {
				t.Fatal(err)
			}
			_, err = l.Admit(ctx, request("p2-"+d, p))
			var rf *Refusal
			if !errors.As(err, &rf) || rf.Reset.IsZero() {
				t.Fatalf("%s: want a budget refusal with a reset time, got %v", d, err)
			}
			clk.Advance(rf.Reset.Sub(clk.Now()))
			if _, err := l.Admit(ctx, request("p3-"+d, p)); err != nil {
				t.Fatalf("%s: a new period: %v", d, err)
			}
		}
	})
}

// TestOneRoundTripEachSide: every limit on key, user and team (windows,
// per-model windows, budgets, leases), the proxy budget and an end-user
// budget cost one Apply before the call and one after it.
func TestOneRoundTripEachSide(t *testing.T) {
	forEachDriver(t, func(t *testing.T, clk *clocktest.Clock, drv func() store.Driver) {
		ctx := context.Background()
		open := func() *store.Store { return store.New(drv(), &store.Options{Now: clk.Now}) }
		cs := &countingDriver{Driver: drv()}
		l := New(store.New(cs, &store.Options{Now: clk.Now}), pricer(), &Options{Now: clk.Now, ProxyBudget: ptr(10.0), ProxyBudgetDuration: "1d", EndUserBudget: ptr(1.0)})
		all := &store.Limits{MaxBudget: ptr(1.0), BudgetDuration: "30d", RPMLimit: ptr(int64(10)), TPMLimit: ptr(int64(1000)),
			MaxParallelRequests: ptr(int64(2)), ModelRPMLimit: map[string]int64{"m": 5}, ModelTPMLimit: map[string]int64{"m": 500},
			ModelMaxBudget: map[string]store.ModelBudget{"m": {BudgetLimit: 0.5, TimePeriod: "1d"}}}
		p := principal(all, all, all)
		req := request("one", p)
		req.EndUser = "customer-1"
		tk, err := l.Admit(ctx, req)
		if err != nil {
			t.Fatal(err)
		}
		if got := cs.n.Load(); got != 1 {
			t.Fatalf("admission: %d round trips", got)
		}
		if _, err := tk.Settle(ctx, usage(100, 20)); err != nil {
			t.Fatal(err)
		}
		if got := cs.n.Load(); got != 2 {
			t.Fatalf("admission + settle: %d round trips", got)
		}
		recs, _, err := open().QuerySpend(ctx, store.SpendQuery{By: store.SpendByUser, ID: "u1"}, store.Page{})
		if err != nil || len(recs) != 1 || nanos(recs[0].Cost) != 120 || recs[0].EndUser != "customer-1" {
			t.Fatalf("spend records: %v %+v", err, recs)
		}
		c, _ := open().GetCounter(ctx, store.CounterKey("user", "u1", "minute", store.FixedWindow(clk.Now(), time.Minute).ID()))
		if c.Values[fieldTokens] != 120 || c.Values[fieldRequests] != 1 {
			t.Fatalf("user window after settle: %v", c.Values)
		}
	})
}

// TestFailModes: an unavailable store refuses (fail_closed) or admits
// (fail_open).
func TestFailModes(t *testing.T) {
	down := store.New(&failingDriver{}, nil)
	p := principal(&store.Limits{RPMLimit: ptr(int64(1))}, nil, nil)
	if _, err := New(down, pricer(), nil).Admit(context.Background(), request("x", p)); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("fail_closed: %v", err)
	}
	tk, err := New(down, pricer(), &Options{FailOpen: true}).Admit(context.Background(), request("x", p))
	if err != nil || tk == nil {
		t.Fatalf("fail_open: %v", err)
	}
	if _, err := tk.Settle(context.Background(), usage(1, 1)); !errors.Is(err, store.ErrUnavailable) {
		t.Fatalf("a settle that cannot be written is reported: %v", err)
	}
}

// TestGates: a ticket gates later admissions exactly when its settle
// writes something an admission reads (a budget, refusing or soft, a token
// limit, a lease); spend that is only reported does not.
func TestGates(t *testing.T) {
	master := &auth.Principal{Kind: auth.KindMaster, ID: "master"}
	cases := []struct {
		name string
		p    *auth.Principal
		opts *Options
		want bool
	}{
		{"no principal, no limits", nil, nil, false},
		{"master key under a proxy budget", master, &Options{ProxyBudget: ptr(1.0)}, false},
		{"key under a proxy budget", principal(&store.Limits{}, nil, nil), &Options{ProxyBudget: ptr(1.0)}, true},
		{"key without limits", principal(&store.Limits{}, nil, nil), nil, false},
		{"rpm only", principal(&store.Limits{RPMLimit: ptr(int64(5))}, nil, nil), nil, false},
		{"soft budget only", principal(&store.Limits{SoftBudget: ptr(1.0)}, nil, nil), nil, true},
		{"key budget", principal(&store.Limits{MaxBudget: ptr(0.0)}, nil, nil), nil, true},
		{"team budget", principal(nil, nil, &store.Limits{MaxBudget: ptr(5.0)}), nil, true},
		{"model budget", principal(&store.Limits{ModelMaxBudget: map[string]store.ModelBudget{"m": {BudgetLimit: 1, TimePeriod: "1d"}}}, nil, nil), nil, true},
		{"other model's budget", principal(&store.Limits{ModelMaxBudget: map[string]store.ModelBudget{"x": {BudgetLimit: 1, TimePeriod: "1d"}}}, nil, nil), nil, false},
		{"user tpm", principal(nil, &store.Limits{TPMLimit: ptr(int64(1000))}, nil), nil, true},
		{"parallel lease", principal(&store.Limits{MaxParallelRequests: ptr(int64(2))}, nil, nil), nil, true},
		{"end-user budget", nil, &Options{EndUserBudget: ptr(1.0)}, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			clk := clocktest.New(storetest.Date(time.March, 10, 12, 0, 5))
			st, err := embedded.Open(t.TempDir(), &embedded.Options{Store: &store.Options{Now: clk.Now}})
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			opts := Options{Now: clk.Now}
			if c.opts != nil {
				opts = *c.opts
				opts.Now = clk.Now
			}
			req := request("r1", c.p)
			req.EndUser = "customer-1"
			tk, err := New(st, pricer(), &opts).Admit(context.Background(), req)
			if err != nil {
				t.Fatal(err)
			}
			if got := tk.Gates(); got != c.want {
				t.Errorf("Gates() = %v, want %v", got, c.want)
			}
		})
	}
}

// TestZeroLimitsAdmitNothing: rpm_limit 0, max_parallel_requests 0 and,
// in strict mode, max_budget 0 refuse the very first request, on every
// store (DynamoDB used to let the first request on a fresh counter
// through, whatever it reserved).
func TestZeroLimitsAdmitNothing(t *testing.T) {
	forEachBackend(t, func(t *testing.T, clk *clocktest.Clock, open func() *store.Store) {
		for _, tc := range []struct {
			name   string
			strict bool
			lim    store.Limits
			kind   string
		}{
			{"rpm_limit 0", false, store.Limits{RPMLimit: ptr(int64(0))}, KindRequests},
			{"tpm_limit 0", false, store.Limits{TPMLimit: ptr(int64(0))}, KindTokens},
			{"max_parallel_requests 0", false, store.Limits{MaxParallelRequests: ptr(int64(0))}, KindParallel},
			{"strict max_budget 0", true, store.Limits{MaxBudget: ptr(0.0)}, KindBudget},
			{"strict max_budget 0 with rpm", true, store.Limits{MaxBudget: ptr(0.0), RPMLimit: ptr(int64(5))}, KindBudget},
		} {
			t.Run(tc.name, func(t *testing.T) {
				l := New(open(), pricer(), &Options{Now: clk.Now, Strict: tc.strict})
				lim := tc.lim
				p := principal(&lim, nil, nil)
				p.KeyHash = "zero-" + strings.ReplaceAll(tc.name, " ", "-")
				p.Levels[0].ID = p.KeyHash
				for i := range 3 {
					_, err := l.Admit(context.Background(), request(fmt.Sprint("z", i), p))
					var rf *Refusal
					if !errors.As(err, &rf) || rf.Kind != tc.kind {
						t.Fatalf("request %d: %v, want a %s refusal", i, err, tc.kind)
					}
				}
			})
		}
	})
}

// TestStrictReservation: strict mode reserves the bound decoded from the
// request: the prompt bound, every one of n choices' output bound (capped
// by the model's output limit, or the model's limit when the request sets
// none) and the images; a call whose priced output nothing bounds is
// refused with a 400 that says what to set, but only where a budget
// applies to it.
func TestStrictReservation(t *testing.T) {
	pr := spend.NewPricer(spend.Shipped(), map[string]spend.Override{
		"custom": {InputPerToken: ptr(1e-9), OutputPerToken: ptr(2e-9)},
		"capped": {InputPerToken: ptr(1e-9), OutputPerToken: ptr(2e-9), MaxOutputTokens: ptr(50)},
		"free":   {InputPerToken: ptr(1e-9), OutputPerToken: ptr(0.0)},
	})
	budget := &store.Limits{MaxBudget: ptr(1.0)}
	for _, tc := range []struct {
		name       string
		deployment string
		limits     *store.Limits
		bound      Bound
		want       int64 // nano-USD reserved
		unbounded  bool
	}{
		{"prompt and max_tokens", "custom", budget, Bound{PromptTokens: 100, OutputTokens: 10}, 100 + 20, false},
		{"n choices", "custom", budget, Bound{PromptTokens: 100, OutputTokens: 10, Choices: 3}, 100 + 3*20, false},
		{"no max_tokens, no model limit", "custom", budget, Bound{PromptTokens: 100}, 0, true},
		{"no max_tokens, no budget", "custom", &store.Limits{RPMLimit: ptr(int64(10))}, Bound{PromptTokens: 100}, 0, false},
		{"model limit when unset", "capped", budget, Bound{PromptTokens: 100, Choices: 2}, 100 + 2*100, false},
		{"max_tokens over the model limit", "capped", budget, Bound{PromptTokens: 100, OutputTokens: 1000}, 100 + 100, false},
		{"free output needs no bound", "free", budget, Bound{PromptTokens: 100}, 100, false},
		{"no output (embeddings)", "custom", budget, Bound{PromptTokens: 100, NoOutput: true}, 100, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clk := clocktest.New(storetest.Date(time.March, 10, 12, 0, 5))
			s, err := embedded.Open(t.TempDir(), &embedded.Options{Store: &store.Options{Now: clk.Now}})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			l := New(s, pr, &Options{Now: clk.Now, Strict: true})
			p := principal(tc.limits, nil, nil)
			req := Request{RequestID: "r1", Principal: p, ModelGroup: "m", Deployment: tc.deployment, Provider: "custom", Model: "my-model", Bound: tc.bound}
			tk, err := l.Admit(context.Background(), req)
			var rf *Refusal
			if tc.unbounded {
				if !errors.As(err, &rf) || rf.Kind != KindUnbounded || rf.Status() != 400 ||
					!strings.Contains(rf.Error(), "set max_tokens or max_completion_tokens") {
					t.Fatalf("want an unbounded refusal, got %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if tc.limits.MaxBudget == nil {
				return
			}
			c, _ := s.GetCounter(context.Background(), store.CounterKey("key", "k1", "budget", "all"))
			if got := c.Values[fieldSpend]; got != tc.want {
				t.Fatalf("reserved %d nano-USD, want %d", got, tc.want)
			}
			// Settling the actual cost returns the rest of the reservation.
			if _, err := tk.Settle(context.Background(), usage(40, 5)); err != nil {
				t.Fatal(err)
			}
			c, _ = s.GetCounter(context.Background(), store.CounterKey("key", "k1", "budget", "all"))
			if got, want := c.Values[fieldSpend], tk.costNanos(usage(40, 5)); got != want {
				t.Fatalf("after settle: %d nano-USD, want %d", got, want)
			}
		})
	}
}

func (t *Ticket) costNanos(o Outcome) int64 { return nanos(t.Cost(o)) }

// TestStrictReservationDearestAlternative: the strict reservation is the
// dearest among the picked deployment and the alternatives that may serve
// the call instead; an alternative whose output nothing bounds refuses the
// call, naming it.
func TestStrictReservationDearestAlternative(t *testing.T) {
	pr := spend.NewPricer(spend.Shipped(), map[string]spend.Override{
		"cheap":     {InputPerToken: ptr(1e-9), OutputPerToken: ptr(2e-9), MaxOutputTokens: ptr(50)},
		"dear":      {InputPerToken: ptr(10e-9), OutputPerToken: ptr(30e-9)},
		"unbounded": {InputPerToken: ptr(1e-9), OutputPerToken: ptr(2e-9)},
	})
	l := New(nil, pr, &Options{Strict: true})
	for _, tc := range []struct {
		name      string
		alts      []string
		maxTokens int64
		want      int64 // nano-USD
		unbounded bool
	}{
		{"alone", nil, 10, 100 + 20, false},
		{"a dearer fallback", []string{"dear"}, 10, 1000 + 300, false},
		{"a cheaper one changes nothing", []string{"cheap"}, 10, 100 + 20, false},
		{"an unbounded fallback", []string{"unbounded"}, 0, 0, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req := Request{Deployment: "cheap", Provider: "custom", Model: "m",
				Bound: Bound{PromptTokens: 100, OutputTokens: tc.maxTokens}}
			for _, a := range tc.alts {
				req.Alternatives = append(req.Alternatives, Candidate{Deployment: a, Provider: "custom", Model: a})
			}
			got, err := l.reservation(req)
			if tc.unbounded {
				var rf *Refusal
				if !errors.As(err, &rf) || rf.Kind != KindUnbounded || rf.ID != "unbounded" {
					t.Fatalf("want an unbounded refusal naming the fallback, got %d, %v", got, err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("reservation = %d, %v; want %d", got, err, tc.want)
			}
		})
	}
}
