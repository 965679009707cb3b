package router

import (
	"context"
	"errors"
	"math/rand/v2"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/tollgate-gw/tollgate/internal/llm"
	"github.com/tollgate-gw/tollgate/internal/provider"
	"github.com/tollgate-gw/tollgate/internal/store"
	"github.com/tollgate-gw/tollgate/internal/store/embedded"
)

// clock is a settable clock whose Sleep advances it (no real sleeps).
type clock struct {
	mu    sync.Mutex
	t     time.Time
	slept []time.Duration
}

func newClock() *clock { return &clock{t: time.Date(2030, 1, 2, 12, 0, 5, 0, time.UTC)} }

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

func (c *clock) Sleep(_ context.Context, d time.Duration) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.slept = append(c.slept, d)
	c.t = c.t.Add(d)
	return nil
}

func seeded() func() float64 { return rand.New(rand.NewPCG(1, 2)).Float64 }

func perr(kind provider.Kind, retryAfter time.Duration) error {
	return &provider.Error{Kind: kind, Status: provider.StatusFor(kind), Message: kind.String(), RetryAfter: retryAfter}
}

// script answers each deployment's calls in turn from a list of errors.
type script struct {
	mu    sync.Mutex
	errs  map[string][]error
	calls []string
}

func (s *script) call(_ context.Context, d *Deployment) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls = append(s.calls, d.ID)
	q := s.errs[d.ID]
	if len(q) == 0 {
		return nil
	}
	s.errs[d.ID] = q[1:]
	return q[0]
}

func TestWeightedSplit(t *testing.T) {
	tests := []struct {
		name string
		a, b *Deployment
		want float64 // share of a
	}{
		{"weight", &Deployment{ID: "a", Group: "g", Weight: 3}, &Deployment{ID: "b", Group: "g", Weight: 1}, 0.75},
		{"rpm", &Deployment{ID: "a", Group: "g", RPM: 900}, &Deployment{ID: "b", Group: "g", RPM: 100}, 0.9},
		{"tpm", &Deployment{ID: "a", Group: "g", TPM: 1000}, &Deployment{ID: "b", Group: "g", TPM: 1000}, 0.5},
		{"equal", &Deployment{ID: "a", Group: "g"}, &Deployment{ID: "b", Group: "g"}, 0.5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := New([]*Deployment{tt.a, tt.b}, &Options{Rand: seeded()})
			const n = 20000
			got := 0
			for range n {
				d, err := r.Pick("g")
				if err != nil {
					t.Fatal(err)
				}
				if d == tt.a {
					got++
				}
			}
			if share := float64(got) / n; share < tt.want-0.02 || share > tt.want+0.02 {
				t.Fatalf("share of a = %.3f, want %.2f±0.02", share, tt.want)
			}
		})
	}
}

func TestUsageBasedSteersAwayFromTPMLimit(t *testing.T) {
	clk := newClock()
	a := &Deployment{ID: "a", Group: "g", TPM: 1000, RPM: 100}
	b := &Deployment{ID: "b", Group: "g", TPM: 1000, RPM: 100}
	st := NewMemoryState(clk.Now)
	r := New([]*Deployment{a, b}, &Options{Rand: seeded(), Now: clk.Now, State: st, Settings: Settings{Strategy: UsageBased}})
	ctx := context.Background()
	r.Served(ctx, a, 300)
	r.Served(ctx, b, 500)
	// Lowest tokens this minute wins.
	if d, _ := r.Choose(ctx, &Request{Model: "g", Tokens: 10}); d != a {
		t.Fatalf("picked %s, want a (fewest tokens)", d.ID)
	}
	// a near its tpm: a request that would exceed it goes to b.
	r.Served(ctx, a, 650) // a: 950
	for range 50 {
		if d, _ := r.Choose(ctx, &Request{Model: "g", Tokens: 100}); d != b {
			t.Fatalf("picked %s, want b (a is near its tpm)", d.ID)
		}
	}
	// Both full: a rate-limit error, so fallbacks can take the call.
	r.Served(ctx, b, 450)
	_, err := r.Choose(ctx, &Request{Model: "g", Tokens: 100})
	if pe, ok := provider.AsError(err); !ok || pe.Kind != provider.KindRateLimit {
		t.Fatalf("err = %v, want a rate limit", err)
	}
	// The next minute starts from zero.
	clk.Sleep(ctx, time.Minute)
	if _, err := r.Choose(ctx, &Request{Model: "g", Tokens: 100}); err != nil {
		t.Fatalf("next minute: %v", err)
	}
	// rpm is respected too.
	c := &Deployment{ID: "c", Group: "h", RPM: 1}
	e := &Deployment{ID: "e", Group: "h", RPM: 10}
	r2 := New([]*Deployment{c, e}, &Options{Rand: seeded(), Now: clk.Now, Settings: Settings{Strategy: UsageBased}})
	r2.Served(ctx, c, 0)
	r2.Served(ctx, e, 5)
	if d, _ := r2.Choose(ctx, &Request{Model: "h"}); d != e {
		t.Fatalf("picked %s, want e (c is at its rpm)", d.ID)
	}
}

func TestStrategies(t *testing.T) {
	ctx := context.Background()
	cheap := &Deployment{ID: "cheap", Group: "g", InputCost: 1e-7, OutputCost: 2e-7}
	dear := &Deployment{ID: "dear", Group: "g", InputCost: 1e-5, OutputCost: 2e-5}
	r := New([]*Deployment{dear, cheap}, &Options{Rand: seeded(), Settings: Settings{Strategy: CostBased}})
	if d, _ := r.Pick("g"); d != cheap {
		t.Fatalf("cost-based picked %s", d.ID)
	}

	busy := &Deployment{ID: "busy", Group: "g"}
	idle := &Deployment{ID: "idle", Group: "g"}
	r = New([]*Deployment{busy, idle}, &Options{Rand: seeded(), Settings: Settings{Strategy: LeastBusy}})
	r.local.begin("busy")
	if d, _ := r.Pick("g"); d != idle {
		t.Fatalf("least-busy picked %s", d.ID)
	}

	fast := &Deployment{ID: "fast", Group: "g"}
	slow := &Deployment{ID: "slow", Group: "g"}
	near := &Deployment{ID: "near", Group: "g"}
	r = New([]*Deployment{slow, fast, near}, &Options{Rand: seeded(), Settings: Settings{Strategy: LatencyBased, LatencyBuffer: 0.2}})
	for _, s := range []struct {
		id string
		d  time.Duration
	}{{"fast", 100 * time.Millisecond}, {"slow", time.Second}, {"near", 110 * time.Millisecond}} {
		r.local.begin(s.id)
		r.local.end(s.id, s.d, true)
	}
	seen := map[string]int{}
	for range 200 {
		d, _ := r.Choose(ctx, &Request{Model: "g"})
		seen[d.ID]++
	}
	if seen["slow"] != 0 || seen["fast"] == 0 || seen["near"] == 0 {
		t.Fatalf("latency-based with a 20%% buffer picked %v", seen)
	}

	// order: the best tier with a usable deployment.
	p1 := &Deployment{ID: "p1", Group: "o", Order: 1}
	p2 := &Deployment{ID: "p2", Group: "o", Order: 2, Weight: 100}
	r = New([]*Deployment{p2, p1}, &Options{Rand: seeded()})
	for range 20 {
		if d, _ := r.Pick("o"); d != p1 {
			t.Fatalf("order picked %s", d.ID)
		}
	}
	_ = r.state.Cooldown(ctx, "o", "p1", time.Now().Add(time.Minute), "test")
	if d, _ := r.Pick("o"); d != p2 {
		t.Fatalf("order with p1 cooling down picked %s", d.ID)
	}
}

func TestTagsAliasesWildcardsPreCall(t *testing.T) {
	ctx := context.Background()
	fin := &Deployment{ID: "fin", Group: "claude", Tags: []string{"finance"}}
	eng := &Deployment{ID: "eng", Group: "claude", Tags: []string{"engineering"}}
	def := &Deployment{ID: "def", Group: "claude", Tags: []string{"default"}}
	r := New([]*Deployment{fin, eng, def}, &Options{Rand: seeded(), Settings: Settings{TagFiltering: true,
		Aliases: map[string]string{"sonnet": "claude"}}})
	for range 20 {
		if d, _ := r.Choose(ctx, &Request{Model: "claude", Tags: []string{"finance"}}); d != fin && d != def {
			t.Fatalf("finance went to %s", d.ID)
		}
		if d, _ := r.Choose(ctx, &Request{Model: "sonnet", Tags: []string{"engineering"}}); d != eng && d != def {
			t.Fatalf("engineering went to %s", d.ID)
		}
		if d, _ := r.Choose(ctx, &Request{Model: "claude"}); d != def {
			t.Fatalf("untagged went to %s, want the default deployment", d.ID)
		}
	}
	strict := New([]*Deployment{fin, eng}, &Options{Settings: Settings{TagFiltering: true}})
	if _, err := strict.Choose(ctx, &Request{Model: "claude", Tags: []string{"legal"}}); err == nil {
		t.Fatal("unknown tag without a default deployment: want an error")
	} else if pe, _ := provider.AsError(err); pe.Status != http.StatusBadRequest {
		t.Fatalf("unknown tag: %v", err)
	}

	tmpl := &Deployment{ID: "bw", Group: "bedrock/*", Provider: "bedrock", ModelID: "*"}
	builds := 0
	r = New([]*Deployment{tmpl}, &Options{Build: func(t *Deployment, id string) (*Deployment, error) {
		builds++
		return &Deployment{ID: t.ID + ":" + id, Provider: t.Provider, ModelID: id}, nil
	}})
	for range 2 {
		d, err := r.Pick("bedrock/anthropic.claude-3-haiku")
		if err != nil || d.ModelID != "anthropic.claude-3-haiku" || d.Group != "bedrock/anthropic.claude-3-haiku" {
			t.Fatalf("wildcard: %+v, %v", d, err)
		}
	}
	if builds != 1 {
		t.Fatalf("built %d times, want once", builds)
	}
	if _, err := r.Pick("openai/gpt-4o"); !errors.Is(err, ErrModelNotFound) {
		t.Fatalf("unmatched wildcard: %v", err)
	}

	small := &Deployment{ID: "small", Group: "g", MaxInputTokens: 100}
	big := &Deployment{ID: "big", Group: "g", MaxInputTokens: 100000}
	r = New([]*Deployment{small, big}, &Options{Rand: seeded(), Settings: Settings{PreCallChecks: true}})
	long := &llm.Request{Model: "g", Messages: []llm.Message{{Role: llm.RoleUser, Content: []llm.Part{{Type: llm.PartText, Text: longText(2000)}}}}}
	tokens := EstimateTokens(long)
	if tokens < 1000 {
		t.Fatalf("estimate %d for 2000 words", tokens)
	}
	for range 20 {
		if d, _ := r.Choose(ctx, &Request{Model: "g", Tokens: tokens}); d != big {
			t.Fatalf("pre-call check picked %s", d.ID)
		}
	}
	r = New([]*Deployment{small, {ID: "small2", Group: "g", MaxInputTokens: 50}}, &Options{Settings: Settings{PreCallChecks: true}})
	_, err := r.Choose(ctx, &Request{Model: "g", Tokens: tokens})
	if pe, ok := provider.AsError(err); !ok || pe.Kind != provider.KindContextWindow {
		t.Fatalf("too long for every deployment: %v", err)
	}
}

func longText(words int) string {
	b := make([]byte, 0, words*6)
	for i := range words {
		if i > 0 {
			b = append(b, ' ')
		}
		b = append(b, "token"...)
	}
	return string(b)
}

func TestRetryWithBackoff(t *testing.T) {
	clk := newClock()
	a := &Deployment{ID: "a", Group: "g", Provider: "openai", ModelID: "m"}
	r := New([]*Deployment{a}, &Options{Rand: func() float64 { return 0.5 }, Now: clk.Now, Sleep: clk.Sleep,
		Settings: Settings{NumRetries: 2}})
	s := &script{errs: map[string][]error{"a": {perr(provider.KindRateLimit, 0)}}}
	res, err := r.Do(context.Background(), &Request{Model: "g"}, s.call)
	if err != nil || res.Deployment != a || len(res.Attempts) != 2 {
		t.Fatalf("Do = %+v, %v", res, err)
	}
	if res.Attempts[0].Kind != "rate_limit" || res.Attempts[1].Kind != "" || res.Attempts[1].Retry != 1 {
		t.Fatalf("attempts %+v", res.Attempts)
	}
	// 500ms base, jitter 0.5 → 375ms.
	if len(clk.slept) != 1 || clk.slept[0] != 375*time.Millisecond {
		t.Fatalf("slept %v", clk.slept)
	}
	// Retry-After from the upstream is honoured; retries stop at num_retries.
	clk.slept = nil
	s = &script{errs: map[string][]error{"a": {perr(provider.KindRateLimit, 3*time.Second), perr(provider.KindUnavailable, 0),
		perr(provider.KindUnavailable, 0), perr(provider.KindUnavailable, 0)}}}
	res, err = r.Do(context.Background(), &Request{Model: "g"}, s.call)
	if err == nil || len(res.Attempts) != 3 || res.Deployment != nil {
		t.Fatalf("Do = %+v, %v; want 3 failed attempts", res, err)
	}
	if clk.slept[0] != 3*time.Second || clk.slept[1] != 750*time.Millisecond {
		t.Fatalf("slept %v", clk.slept)
	}
	// A non-retryable error is not retried; a per-request override and
	// retry_policy are honoured.
	s = &script{errs: map[string][]error{"a": {perr(provider.KindAuth, 0)}}}
	if res, _ = r.Do(context.Background(), &Request{Model: "g"}, s.call); len(res.Attempts) != 1 {
		t.Fatalf("auth error retried: %+v", res.Attempts)
	}
	zero := 0
	s = &script{errs: map[string][]error{"a": {perr(provider.KindRateLimit, 0)}}}
	if res, _ = r.Do(context.Background(), &Request{Model: "g", NumRetries: &zero}, s.call); len(res.Attempts) != 1 {
		t.Fatalf("num_retries 0 retried: %+v", res.Attempts)
	}
	r = New([]*Deployment{a}, &Options{Now: clk.Now, Sleep: clk.Sleep,
		Settings: Settings{NumRetries: 2, RetryPolicy: map[provider.Kind]int{provider.KindAuth: 1, provider.KindRateLimit: 0}}})
	s = &script{errs: map[string][]error{"a": {perr(provider.KindAuth, 0)}}}
	if res, err = r.Do(context.Background(), &Request{Model: "g"}, s.call); err != nil || len(res.Attempts) != 2 {
		t.Fatalf("retry_policy auth 1: %+v, %v", res.Attempts, err)
	}
	s = &script{errs: map[string][]error{"a": {perr(provider.KindRateLimit, 0)}}}
	if res, _ = r.Do(context.Background(), &Request{Model: "g"}, s.call); len(res.Attempts) != 1 {
		t.Fatalf("retry_policy rate limit 0: %+v", res.Attempts)
	}
}

func TestRetryMovesToAnotherDeploymentAtOnce(t *testing.T) {
	clk := newClock()
	a := &Deployment{ID: "a", Group: "g", Weight: 1}
	b := &Deployment{ID: "b", Group: "g", Weight: 1}
	r := New([]*Deployment{a, b}, &Options{Rand: func() float64 { return 0 }, Now: clk.Now, Sleep: clk.Sleep, Settings: Settings{NumRetries: 1}})
	s := &script{errs: map[string][]error{"a": {perr(provider.KindUnavailable, 0)}}}
	res, err := r.Do(context.Background(), &Request{Model: "g"}, s.call)
	if err != nil || res.Deployment != b || len(clk.slept) != 0 {
		t.Fatalf("Do = %+v, %v, slept %v", res, err, clk.slept)
	}
}

func TestFallbacks(t *testing.T) {
	mk := func(group string) *Deployment { return &Deployment{ID: group + "-1", Group: group} }
	main, big, safe, gen, def, req := mk("main"), mk("big"), mk("safe"), mk("general"), mk("default"), mk("perreq")
	all := []*Deployment{main, big, safe, gen, def, req}
	tests := []struct {
		name     string
		set      Settings
		err      error
		perReq   []string
		want     *Deployment
		attempts int
	}{
		{"generic", Settings{Fallbacks: map[string][]string{"main": {"general"}}}, perr(provider.KindUnavailable, 0), nil, gen, 2},
		{"context window", Settings{Fallbacks: map[string][]string{"main": {"general"}},
			ContextWindowFallbacks: map[string][]string{"main": {"big"}}}, perr(provider.KindContextWindow, 0), nil, big, 2},
		{"content policy", Settings{Fallbacks: map[string][]string{"main": {"general"}},
			ContentPolicyFallbacks: map[string][]string{"main": {"safe"}}}, perr(provider.KindContentPolicy, 0), nil, safe, 2},
		{"context window without its own list", Settings{Fallbacks: map[string][]string{"main": {"general"}}},
			perr(provider.KindContextWindow, 0), nil, gen, 2},
		{"default", Settings{DefaultFallbacks: []string{"default"}}, perr(provider.KindAuth, 0), nil, def, 2},
		{"per request", Settings{Fallbacks: map[string][]string{"main": {"general"}}}, perr(provider.KindRateLimit, 0), []string{"perreq"}, req, 2},
		{"bad request does not fall back", Settings{DefaultFallbacks: []string{"default"}}, perr(provider.KindBadRequest, 0), nil, nil, 1},
		{"chain", Settings{Fallbacks: map[string][]string{"main": {"nope", "general"}}}, perr(provider.KindUnavailable, 0), nil, gen, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clk := newClock()
			r := New(all, &Options{Now: clk.Now, Sleep: clk.Sleep, Settings: tt.set})
			s := &script{errs: map[string][]error{"main-1": {tt.err}}}
			res, err := r.Do(context.Background(), &Request{Model: "main", Fallbacks: tt.perReq}, s.call)
			if res.Deployment != tt.want || len(res.Attempts) != tt.attempts {
				t.Fatalf("served by %v after %+v (err %v); want %v after %d", res.Deployment, res.Attempts, err, tt.want, tt.attempts)
			}
			if tt.want != nil && !res.Attempts[len(res.Attempts)-1].Fallback {
				t.Fatalf("last attempt not marked as a fallback: %+v", res.Attempts)
			}
		})
	}
	// All cooling down: the rate-limit fallbacks take over.
	clk := newClock()
	a, b := &Deployment{ID: "a", Group: "g"}, &Deployment{ID: "b", Group: "g"}
	r := New([]*Deployment{a, b, gen}, &Options{Now: clk.Now, Sleep: clk.Sleep, Settings: Settings{Fallbacks: map[string][]string{"g": {"general"}}}})
	_ = r.state.Cooldown(context.Background(), "g", "a", clk.Now().Add(time.Minute), "")
	_ = r.state.Cooldown(context.Background(), "g", "b", clk.Now().Add(time.Minute), "")
	s := &script{}
	if res, err := r.Do(context.Background(), &Request{Model: "g"}, s.call); err != nil || res.Deployment != gen {
		t.Fatalf("all cooling: %+v, %v", res, err)
	}
}

// TestFallbacksPassTheAccessCheck: every kind of fallback (the request's,
// the configured ones, context-window, content-policy, defaults) is tried
// only when the caller's access check accepts it; a refused one is skipped
// (noted in the attempts), the next allowed one serves, and with none
// allowed the client sees its own model's error.
func TestFallbacksPassTheAccessCheck(t *testing.T) {
	mk := func(group string) *Deployment { return &Deployment{ID: group + "-1", Group: group} }
	main, pricey, cheap := mk("main"), mk("pricey"), mk("cheap")
	all := []*Deployment{main, pricey, cheap}
	allow := func(model string) error {
		if model == "pricey" {
			return errors.New("key may not use pricey")
		}
		return nil
	}
	tests := []struct {
		name   string
		set    Settings
		err    error
		perReq []string
		want   *Deployment
	}{
		{"per request", Settings{}, perr(provider.KindUnavailable, 0), []string{"pricey"}, nil},
		{"per request, then an allowed one", Settings{}, perr(provider.KindUnavailable, 0), []string{"pricey", "cheap"}, cheap},
		{"configured", Settings{Fallbacks: map[string][]string{"main": {"pricey"}}}, perr(provider.KindUnavailable, 0), nil, nil},
		{"context window", Settings{ContextWindowFallbacks: map[string][]string{"main": {"pricey"}}}, perr(provider.KindContextWindow, 0), nil, nil},
		{"content policy", Settings{ContentPolicyFallbacks: map[string][]string{"main": {"pricey"}}}, perr(provider.KindContentPolicy, 0), nil, nil},
		{"default", Settings{DefaultFallbacks: []string{"pricey", "cheap"}}, perr(provider.KindAuth, 0), nil, cheap},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clk := newClock()
			r := New(all, &Options{Now: clk.Now, Sleep: clk.Sleep, Settings: tt.set})
			s := &script{errs: map[string][]error{"main-1": {tt.err}}}
			res, err := r.Do(context.Background(), &Request{Model: "main", Fallbacks: tt.perReq, Allow: allow}, s.call)
			if res.Deployment != tt.want {
				t.Fatalf("served by %v after %+v (err %v); want %v", res.Deployment, res.Attempts, err, tt.want)
			}
			for _, c := range s.calls {
				if c == "pricey-1" {
					t.Fatalf("called a refused fallback: %v", s.calls)
				}
			}
			if tt.want == nil && !errors.Is(err, tt.err) {
				t.Fatalf("error %v, want the requested model's %v", err, tt.err)
			}
			skipped := false
			for _, a := range res.Attempts {
				skipped = skipped || a.Group == "pricey" && a.Kind == provider.KindPermission.String()
			}
			if !skipped {
				t.Fatalf("the refused fallback is not in the attempts: %+v", res.Attempts)
			}
		})
	}
}

// openStore opens an embedded store for shared router state, closed with
// the test.
func openStore(t *testing.T) *store.Store {
	t.Helper()
	st, err := embedded.Open(t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func TestCooldownSharedThroughStore(t *testing.T) {
	clk := newClock()
	open := openStore(t)
	deps := func() []*Deployment {
		return []*Deployment{{ID: "a", Group: "g", Weight: 1}, {ID: "b", Group: "g", Weight: 1}}
	}
	one := New(deps(), &Options{Rand: func() float64 { return 0 }, Now: clk.Now, Sleep: clk.Sleep,
		State: NewStoreState(open, clk.Now, time.Second, nil), Settings: Settings{NumRetries: 1, CooldownTime: 30 * time.Second}})
	two := New(deps(), &Options{Rand: func() float64 { return 0 }, Now: clk.Now, Sleep: clk.Sleep,
		State: NewStoreState(open, clk.Now, time.Second, nil), Settings: Settings{NumRetries: 1, CooldownTime: 30 * time.Second}})
	ctx := context.Background()
	if d, _ := two.Pick("g"); d.ID != "a" {
		t.Fatalf("before: %s", d.ID)
	}
	// a answers 429 on instance one: it cools down at once.
	s := &script{errs: map[string][]error{"a": {perr(provider.KindRateLimit, 0)}}}
	if res, err := one.Do(ctx, &Request{Model: "g"}, s.call); err != nil || res.Deployment.ID != "b" {
		t.Fatalf("one: %+v, %v", res, err)
	}
	// Instance two sees it once its warm cache expires.
	clk.Sleep(ctx, time.Second)
	for range 10 {
		if d, _ := two.Pick("g"); d.ID != "b" {
			t.Fatalf("two picked %s while a cools down", d.ID)
		}
	}
	clk.Sleep(ctx, 30*time.Second)
	if d, _ := two.Pick("g"); d.ID != "a" {
		t.Fatalf("after the cooldown: %s", d.ID)
	}
	// Failures below allowed_fails do not cool down; above, they do
	// (counted per minute: start a fresh one).
	clk.Sleep(ctx, time.Minute)
	three := New(deps(), &Options{Rand: func() float64 { return 0 }, Now: clk.Now, Sleep: clk.Sleep,
		State: NewStoreState(open, clk.Now, time.Nanosecond, nil), Settings: Settings{AllowedFails: 1}})
	s = &script{errs: map[string][]error{"a": {perr(provider.KindUnavailable, 0), perr(provider.KindUnavailable, 0)}}}
	three.Do(ctx, &Request{Model: "g"}, s.call)
	if d, _ := three.Pick("g"); d.ID != "a" {
		t.Fatal("one failure with allowed_fails 1 cooled a down")
	}
	three.Do(ctx, &Request{Model: "g"}, s.call)
	if d, _ := three.Pick("g"); d.ID != "b" {
		t.Fatal("two failures with allowed_fails 1 did not cool a down")
	}
	// Under simple-shuffle nothing reads usage, so nothing is written: the
	// hot path keeps its single store write after the call.
	one.Served(ctx, &Deployment{ID: "a"}, 40)
	clk.Sleep(ctx, time.Second)
	if u := two.state.Usage(ctx, "a"); u.Tokens != 0 || u.Requests != 0 {
		t.Fatalf("simple-shuffle recorded usage: %+v", u)
	}
	// Under usage-based routing, usage is shared too.
	ub := New(deps(), &Options{Now: clk.Now, Sleep: clk.Sleep,
		State: NewStoreState(open, clk.Now, time.Second, nil), Settings: Settings{Strategy: UsageBased}})
	ub.Served(ctx, &Deployment{ID: "a"}, 40)
	clk.Sleep(ctx, time.Second)
	if u := two.state.Usage(ctx, "a"); u.Tokens != 40 || u.Requests != 1 {
		t.Fatalf("usage seen by two: %+v", u)
	}
}

// TestDeploymentRetriesAndCooldown: a deployment's num_retries takes the
// place of the router's (a request's own and the retry_policy still win),
// and its cooldown_time that of the router's.
func TestDeploymentRetriesAndCooldown(t *testing.T) {
	zero, one, three := 0, 1, 3
	unavailable := func(n int) []error {
		var errs []error
		for range n {
			errs = append(errs, perr(provider.KindUnavailable, 0))
		}
		return errs
	}
	cases := []struct {
		name     string
		depRetry *int
		reqRetry *int
		policy   map[provider.Kind]int
		want     int // attempts against 5 failures in a row
	}{
		{"router's num_retries", nil, nil, nil, 3},
		{"deployment's 0", &zero, nil, nil, 1},
		{"deployment's 1", &one, nil, nil, 2},
		{"deployment's 3 beats the router's 2", &three, nil, nil, 4},
		{"the request's beats the deployment's", &three, &one, nil, 2},
		{"retry_policy beats the deployment's", &three, nil, map[provider.Kind]int{provider.KindUnavailable: 0}, 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			clk := newClock()
			a := &Deployment{ID: "a", Group: "g", NumRetries: c.depRetry}
			r := New([]*Deployment{a}, &Options{Now: clk.Now, Sleep: clk.Sleep,
				Settings: Settings{NumRetries: 2, RetryPolicy: c.policy}})
			s := &script{errs: map[string][]error{"a": unavailable(5)}}
			res, _ := r.Do(context.Background(), &Request{Model: "g", NumRetries: c.reqRetry}, s.call)
			if len(res.Attempts) != c.want {
				t.Errorf("%d attempts, want %d", len(res.Attempts), c.want)
			}
		})
	}

	t.Run("cooldown_time", func(t *testing.T) {
		clk := newClock()
		open := openStore(t)
		a := &Deployment{ID: "a", Group: "g", Weight: 1, CooldownTime: 5 * time.Second}
		b := &Deployment{ID: "b", Group: "g", Weight: 1}
		r := New([]*Deployment{a, b}, &Options{Rand: func() float64 { return 0 }, Now: clk.Now, Sleep: clk.Sleep,
			State: NewStoreState(open, clk.Now, time.Nanosecond, nil), Settings: Settings{NumRetries: 1, CooldownTime: time.Minute}})
		ctx := context.Background()
		s := &script{errs: map[string][]error{"a": {perr(provider.KindRateLimit, 0)}}}
		if res, err := r.Do(ctx, &Request{Model: "g"}, s.call); err != nil || res.Deployment != b {
			t.Fatalf("Do = %+v, %v", res, err)
		}
		clk.Sleep(ctx, 4*time.Second)
		if d, _ := r.Pick("g"); d != b {
			t.Fatalf("a picked during its own 5 s cooldown")
		}
		clk.Sleep(ctx, 2*time.Second) // 6 s: past a's cooldown, well within the router's minute
		if d, _ := r.Pick("g"); d != a {
			t.Fatalf("a still cooling down after its own cooldown_time: picked %s", d.ID)
		}
	})
}
