package router

import (
	"context"
	"sync"
	"time"

	"github.com/tollgate-gw/tollgate/internal/store"
)

// Usage is a deployment's use in the current minute.
type Usage struct {
	Requests, Tokens int64
}

// State is what gateway instances share about deployments: cooldowns,
// failures and usage per minute. Reads may be served from a short warm
// cache; a State never fails a request: errors degrade to "no cooldown,
// no usage".
type State interface {
	// CoolingDown returns the deployments of group cooling down, with the
	// instant each becomes usable again.
	CoolingDown(ctx context.Context, group string) map[string]time.Time
	// Cooldown takes a deployment out of routing until until.
	Cooldown(ctx context.Context, group, deployment string, until time.Time, reason string) error
	// Fail counts a failure of a deployment in the current minute and
	// returns the minute's count.
	Fail(ctx context.Context, group, deployment string) (int64, error)
	// Usage returns a deployment's usage this minute.
	Usage(ctx context.Context, deployment string) Usage
	// AddUsage adds requests and tokens to a deployment's minute.
	AddUsage(ctx context.Context, deployment string, requests, tokens int64) error
}

// memoryState keeps State in this process (no store configured).
type memoryState struct {
	now   func() time.Time
	mu    sync.Mutex
	cool  map[string]map[string]time.Time
	fails map[string]int64 // deployment#minute
	usage map[string]Usage // deployment#minute
}

// NewMemoryState returns a State private to this process.
func NewMemoryState(now func() time.Time) State {
	if now == nil {
		now = time.Now
	}
	return &memoryState{now: now, cool: map[string]map[string]time.Time{}, fails: map[string]int64{}, usage: map[string]Usage{}}
}

func minuteKey(now time.Time, dep string) string {
	return store.CounterKey(dep, store.FixedWindow(now, time.Minute).ID())
}

func (m *memoryState) CoolingDown(_ context.Context, group string) map[string]time.Time {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := map[string]time.Time{}
	now := m.now()
	for d, until := range m.cool[group] {
		if now.Before(until) {
			out[d] = until
		}
	}
	return out
}

func (m *memoryState) Cooldown(_ context.Context, group, dep string, until time.Time, _ string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.cool[group] == nil {
		m.cool[group] = map[string]time.Time{}
	}
	m.cool[group][dep] = until
	return nil
}

func (m *memoryState) Fail(_ context.Context, _, dep string) (int64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	k := minuteKey(m.now(), dep)
	m.fails[k]++
	return m.fails[k], nil
}

func (m *memoryState) Usage(_ context.Context, dep string) Usage {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.usage[minuteKey(m.now(), dep)]
}

func (m *memoryState) AddUsage(_ context.Context, dep string, requests, tokens int64) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	k := minuteKey(m.now(), dep)
	u := m.usage[k]
	u.Requests += requests
	u.Tokens += tokens
	m.usage[k] = u
	return nil
}

// DefaultWarm is how long the shared state's reads are reused.
const DefaultWarm = time.Second

// StoreState shares State through the store (DynamoDB in production) so
// that every instance sees the same cooldowns and usage. Reads are cached
// for Warm: routing reads the store at most once per group (cooldowns) and
// deployment (usage) per Warm, not once per request; this instance's own
// usage is added to the cached value at once.
type StoreState struct {
	st   *store.Store
	now  func() time.Time
	warm time.Duration
	log  func(msg string, err error)

	mu    sync.Mutex
	cool  map[string]warmCool
	usage map[string]warmUsage
}

type warmCool struct {
	at   time.Time
	deps map[string]time.Time
}

type warmUsage struct {
	at     time.Time
	minute string
	u      Usage
}

// NewStoreState returns a State kept in st. warm ≤ 0 means DefaultWarm;
// log, if set, hears store errors (which never fail a request).
func NewStoreState(st *store.Store, now func() time.Time, warm time.Duration, log func(string, error)) *StoreState {
	if now == nil {
		now = time.Now
	}
	if warm <= 0 {
		warm = DefaultWarm
	}
	if log == nil {
		log = func(string, error) {}
	}
	return &StoreState{st: st, now: now, warm: warm, log: log, cool: map[string]warmCool{}, usage: map[string]warmUsage{}}
}

func (s *StoreState) CoolingDown(ctx context.Context, group string) map[string]time.Time {
	now := s.now()
	s.mu.Lock()
	w, ok := s.cool[group]
	s.mu.Unlock()
	if !ok || now.Sub(w.at) >= s.warm {
		w = warmCool{at: now, deps: map[string]time.Time{}}
		cs, err := s.st.Cooldowns(ctx, group)
		if err != nil {
			s.log("reading cooldowns", err)
		}
		for _, c := range cs {
			w.deps[c.Deployment] = c.Until
		}
		s.mu.Lock()
		s.cool[group] = w
		s.mu.Unlock()
	}
	out := map[string]time.Time{}
	for d, until := range w.deps {
		if now.Before(until) {
			out[d] = until
		}
	}
	return out
}

func (s *StoreState) Cooldown(ctx context.Context, group, dep string, until time.Time, reason string) error {
	s.mu.Lock()
	if w, ok := s.cool[group]; ok {
		deps := make(map[string]time.Time, len(w.deps)+1)
		for k, v := range w.deps {
			deps[k] = v
		}
		deps[dep] = until
		s.cool[group] = warmCool{at: w.at, deps: deps}
	}
	s.mu.Unlock()
	return s.st.SetCooldown(ctx, store.Cooldown{Group: group, Deployment: dep, Until: until, Reason: reason})
}

func (s *StoreState) Fail(ctx context.Context, _, dep string) (int64, error) {
	win := store.FixedWindow(s.now(), time.Minute)
	key := store.CounterKey("deployment", dep, "fails", win.ID())
	if err := s.st.Apply(ctx, store.Add{Counter: key, Field: "fails", Delta: 1, Expires: win.Expires()}); err != nil {
		return 0, err
	}
	c, err := s.st.GetCounter(ctx, key)
	if err != nil {
		return 0, err
	}
	return c.Values["fails"], nil
}

func usageKey(dep, window string) string { return store.CounterKey("deployment", dep, "usage", window) }

func (s *StoreState) Usage(ctx context.Context, dep string) Usage {
	now := s.now()
	minute := store.FixedWindow(now, time.Minute).ID()
	s.mu.Lock()
	w, ok := s.usage[dep]
	s.mu.Unlock()
	if ok && w.minute == minute && now.Sub(w.at) < s.warm {
		return w.u
	}
	w = warmUsage{at: now, minute: minute}
	c, err := s.st.GetCounter(ctx, usageKey(dep, minute))
	if err != nil {
		s.log("reading deployment usage", err)
	} else {
		w.u = Usage{Requests: c.Values["requests"], Tokens: c.Values["tokens"]}
	}
	s.mu.Lock()
	s.usage[dep] = w
	s.mu.Unlock()
	return w.u
}

func (s *StoreState) AddUsage(ctx context.Context, dep string, requests, tokens int64) error {
	win := store.FixedWindow(s.now(), time.Minute)
	minute := win.ID()
	s.mu.Lock()
	if w, ok := s.usage[dep]; ok && w.minute == minute {
		w.u.Requests += requests
		w.u.Tokens += tokens
		s.usage[dep] = w
	}
	s.mu.Unlock()
	ops := []store.Op{store.Add{Counter: usageKey(dep, minute), Field: "requests", Delta: requests, Expires: win.Expires()}}
	if tokens != 0 {
		ops = append(ops, store.Add{Counter: usageKey(dep, minute), Field: "tokens", Delta: tokens, Expires: win.Expires()})
	}
	return s.st.Apply(ctx, ops...)
}

// local is per-instance state: latency averages and calls in flight.
type local struct {
	mu       sync.Mutex
	latency  map[string]time.Duration // exponentially weighted mean
	inflight map[string]int
}

func newLocal() *local {
	return &local{latency: map[string]time.Duration{}, inflight: map[string]int{}}
}

func (l *local) begin(dep string) {
	l.mu.Lock()
	l.inflight[dep]++
	l.mu.Unlock()
}

func (l *local) end(dep string, latency time.Duration, ok bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.inflight[dep]--
	if !ok {
		return
	}
	if prev, seen := l.latency[dep]; seen {
		l.latency[dep] = (prev*7 + latency) / 8
	} else {
		l.latency[dep] = latency
	}
}

func (l *local) stats(dep string) (time.Duration, int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.latency[dep], l.inflight[dep]
}
