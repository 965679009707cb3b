package ratelimit

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"time"

	"github.com/tollgate-gw/tollgate/internal/auth"
	"github.com/tollgate-gw/tollgate/internal/spend"
	"github.com/tollgate-gw/tollgate/internal/store"
)

// Options are the limiter's optional settings; nil means defaults.
type Options struct {
	// Now is the clock (default time.Now).
	Now func() time.Time
	// Strict reserves each request's maximum possible cost (Request.Bound
	// at the deployment's prices) on every budget before the call and
	// settles the difference after, so that no budget is ever exceeded; a
	// call whose output nothing bounds is refused (KindUnbounded) when a
	// budget applies to it. Off: a budget
	// admits while spend ≤ max_budget, and the overshoot is bounded by the
	// cost of the requests already in flight.
	Strict bool
	// FailOpen admits requests (and logs) when the store is unavailable;
	// the default, fail closed, refuses them with ErrUnavailable.
	FailOpen bool
	// LeaseTTL bounds a max_parallel_requests slot, so a crashed instance
	// cannot hold one longer (default 15 minutes, Lambda's longest run).
	LeaseTTL time.Duration
	// ProxyBudget is litellm_settings.max_budget, per ProxyBudgetDuration;
	// it does not apply to the master key.
	ProxyBudget         *float64
	ProxyBudgetDuration string
	// EndUserBudget is litellm_settings.max_end_user_budget: each end user
	// (the request's "user" field) may spend this much.
	EndUserBudget *float64
	// Logger receives fail-open admissions, soft budgets exceeded and
	// settles that could not be written (default: discard).
	Logger *slog.Logger
	// PriorityHeadroom turns on priority shedding: the top fraction
	// (0 to 1) of every rpm, tpm and max_parallel_requests limit is kept
	// for more important requests. A request of priority p (lower is more
	// important; clamped to 0..PriorityLevels) may use the limit only up to
	// limit − ⌊limit × PriorityHeadroom × p / PriorityLevels⌋, so as a limit
	// fills up the least important requests are refused first and priority
	// 0 keeps the whole limit. 0 (the default) turns shedding off.
	PriorityHeadroom float64
	// PriorityLevels is the priority that is shed first (default 10).
	PriorityLevels int
	// DefaultPriority is the priority of a request that sets none (default
	// 0: the most important).
	DefaultPriority int
	// NoSpendLogs is general_settings.disable_spend_logs: no spend record
	// per call (so /spend/logs and the spend reports have nothing new),
	// while budgets, limits and the key, user, team and end-user totals
	// are kept as before.
	NoSpendLogs bool
	// SpendRetention is general_settings.maximum_spend_logs_retention_period:
	// each spend record expires this long after its call started (0: the
	// store's default, store.DefaultSpendRetention).
	SpendRetention time.Duration
}

// DefaultPriorityLevels is the default of Options.PriorityLevels.
const DefaultPriorityLevels = 10

// DefaultLeaseTTL is the default lifetime of a parallel-request lease.
const DefaultLeaseTTL = 15 * time.Minute

// Limiter admits and settles requests.
type Limiter struct {
	st     *store.Store
	pricer *spend.Pricer
	o      Options
}

// New returns a limiter over st, pricing with pricer.
func New(st *store.Store, pricer *spend.Pricer, opts *Options) *Limiter {
	l := &Limiter{st: st, pricer: pricer}
	if opts != nil {
		l.o = *opts
	}
	if l.o.Now == nil {
		l.o.Now = time.Now
	}
	if l.o.LeaseTTL <= 0 {
		l.o.LeaseTTL = DefaultLeaseTTL
	}
	if l.o.Logger == nil {
		l.o.Logger = slog.New(slog.DiscardHandler)
	}
	if l.o.PriorityLevels <= 0 {
		l.o.PriorityLevels = DefaultPriorityLevels
	}
	l.o.PriorityHeadroom = min(max(l.o.PriorityHeadroom, 0), 1)
	if math.IsNaN(l.o.PriorityHeadroom) {
		l.o.PriorityHeadroom = 0
	}
	return l
}

// priorityOf is the request's priority, clamped to 0..PriorityLevels.
func (l *Limiter) priorityOf(req Request) int {
	p := l.o.DefaultPriority
	switch {
	case req.Priority != nil:
		p = *req.Priority
	case req.DefaultPriority != nil:
		p = *req.DefaultPriority
	}
	return min(max(p, 0), l.o.PriorityLevels)
}

// shedCap is how much of limit a request of priority p may use.
func (l *Limiter) shedCap(limit int64, p int) int64 {
	if l.o.PriorityHeadroom == 0 || p == 0 || limit <= 0 {
		return limit
	}
	kept := math.Floor(float64(limit) * l.o.PriorityHeadroom * float64(p) / float64(l.o.PriorityLevels))
	return limit - int64(kept)
}

// Request is what admission needs to know about a request.
type Request struct {
	// RequestID names the lease holder and the spend record.
	RequestID string
	Principal *auth.Principal
	// ModelGroup is the model the client asked for (per-model limits and
	// budgets are keyed by it).
	ModelGroup string
	// Deployment, Provider and Model price the strict reservation.
	Deployment, Provider, Model string
	// Alternatives are the other deployments that may serve the call
	// (retries and fallbacks, router.Router.Reachable): a call is priced
	// as whichever serves it, so the strict reservation is the dearest.
	Alternatives []Candidate
	// EndUser is the request's "user" field.
	EndUser string
	// EstimatedTokens count against tpm limits before the call.
	EstimatedTokens int64
	// Bound is the most the call can consume, decoded from the request:
	// the strict budget reserves its cost.
	Bound Bound
	// Priority is the request's priority (the body's "priority"; lower is
	// more important); nil falls back to DefaultPriority, the key's or
	// team's, then to Options.DefaultPriority.
	Priority, DefaultPriority *int
}

// Candidate is a deployment that may serve a call, as the pricer names it.
type Candidate struct {
	Deployment, Provider, Model string
}

// Bound is what a request can consume at most, from its decoded body.
type Bound struct {
	// PromptTokens is an upper bound of the input tokens (for chat,
	// router.PromptTokenBound).
	PromptTokens int64
	// OutputTokens bounds each choice's output: max_completion_tokens,
	// else max_tokens; 0 when the request sets neither, and then the
	// model's output limit bounds it.
	OutputTokens int64
	// Choices is the request's n (0 counts as 1).
	Choices int64
	// Images is the number of images the call generates (priced per image).
	Images int64
	// NoOutput says the call produces no output tokens (embeddings, image
	// generation), so nothing needs to bound them.
	NoOutput bool
}

// reservation is the strict-mode reservation of req in nano-USD: the
// dearest reservation among the deployments that may serve it (the picked
// one and its Alternatives), since a retry or a fallback is priced as
// itself.
func (l *Limiter) reservation(req Request) (int64, error) {
	most, err := l.reserveFor(Candidate{req.Deployment, req.Provider, req.Model}, req.Bound)
	if err != nil {
		return 0, err
	}
	for _, c := range req.Alternatives {
		n, err := l.reserveFor(c, req.Bound)
		if err != nil {
			return 0, err
		}
		most = max(most, n)
	}
	return most, nil
}

// reserveFor is the reservation of a call bounded by b on deployment c:
// the prompt bound at the input price, plus every choice's output bound
// (the request's, capped by the model's output limit) at the output price,
// plus its images. It fails with a *Refusal of KindUnbounded when the
// output is priced but nothing bounds it; a model nothing prices reserves
// 0, as it is counted at 0.
func (l *Limiter) reserveFor(c Candidate, b Bound) (int64, error) {
	pr, ok := l.pricer.Price(c.Deployment, c.Provider, c.Model)
	if !ok {
		return 0, nil
	}
	var out int64
	if !b.NoOutput && pr.OutputPerToken > 0 {
		per := max(b.OutputTokens, 0)
		if lim := int64(pr.MaxOutputTokens); lim > 0 && (per == 0 || per > lim) {
			per = lim
		}
		if per == 0 {
			return 0, &Refusal{Kind: KindUnbounded, Level: "deployment", ID: c.Deployment, What: c.Model}
		}
		out = per * max(b.Choices, 1)
	}
	return nanos(pr.MaxCost(max(b.PromptTokens, 0), out, max(b.Images, 0))), nil
}

// Strict reports whether the limiter reserves each call's maximum cost
// (strict budget mode): only then do callers need Request.Alternatives.
func (l *Limiter) Strict() bool { return l != nil && l.o.Strict }

// ErrUnavailable matches an admission refused because the store could not
// be reached (fail closed).
var ErrUnavailable = errors.New("limits cannot be checked right now")

// Admit checks every limit and budget that applies to the request in one
// store round trip and returns the ticket to settle after the call. A
// refusal is a *Refusal.
func (l *Limiter) Admit(ctx context.Context, req Request) (*Ticket, error) {
	a := l.newAdmission(req)
	for _, lv := range levelsOf(req.Principal) {
		a.level(lv)
	}
	a.gatewayBudgets()
	if a.checked && a.unbounded != nil {
		// A reservation that bounds nothing would break the promise
		// that strict mode never overshoots: refuse before any write.
		return nil, a.unbounded
	}
	if len(a.ops) == 0 {
		return a.t, nil
	}
	// The values the writes leave behind (where the store reports them in
	// the same round trip: a multi-item DynamoDB transaction returns none)
	// set x-ratelimit-remaining-* and flag soft budgets.
	applied, err := l.st.ApplyValues(ctx, a.ops...)
	return a.outcome(ctx, applied, err)
}

// admission is one Admit being planned: the store ops to apply in one
// round trip, and for each the refusal it stands for (nil: it refuses
// nothing), in the same order.
type admission struct {
	l      *Limiter
	t      *Ticket
	req    Request
	now    time.Time
	minute store.Window
	prio   int
	est    int64 // the request's estimated tokens (tpm)

	reserve   int64 // strict mode: each checked budget's reservation
	unbounded error // strict mode could not bound the call's cost
	checked   bool  // a budget refuses this request

	ops    []store.Op
	checks []*Refusal
	rates  []rateOp
	softs  []softOp
}

func (l *Limiter) newAdmission(req Request) *admission {
	now := l.o.Now()
	a := &admission{l: l, t: &Ticket{l: l, req: req, start: now}, req: req, now: now,
		minute: store.FixedWindow(now, time.Minute), prio: l.priorityOf(req), est: max(req.EstimatedTokens, 0)}
	if l.o.Strict {
		a.reserve, a.unbounded = l.reservation(req)
	}
	return a
}

// add appends op and the refusal it stands for, returning its index.
func (a *admission) add(op store.Op, r *Refusal) int {
	a.ops = append(a.ops, op)
	a.checks = append(a.checks, r)
	return len(a.ops) - 1
}

// level plans the limits of one level of the principal (key, user, team,
// member): its budgets, its per-model budget, its rate windows and its
// parallel-request lease.
func (a *admission) level(lv auth.Level) {
	lim := lv.Limits
	if lim == nil {
		return
	}
	pre := []string{lv.Kind, lv.ID}
	group := a.req.ModelGroup
	maxBudget := 0.0
	if lim.MaxBudget != nil {
		maxBudget = *lim.MaxBudget
	}
	a.budget(lv.Kind, lv.ID, "", BudgetCounter(lv.Kind, lv.ID, lim.BudgetDuration, a.now),
		lim.BudgetDuration, maxBudget, lim.MaxBudget != nil, lim.SoftBudget)
	if mb, ok := lim.ModelMaxBudget[group]; ok {
		a.budget(lv.Kind, lv.ID, group, store.CounterKey(append(pre, "model", group, "budget", periodID(mb.TimePeriod, a.now))...),
			mb.TimePeriod, mb.BudgetLimit, true, nil)
	}
	a.window(lv.Kind, lv.ID, store.CounterKey(append(pre, "minute", a.minute.ID())...), lim.RPMLimit, lim.TPMLimit)
	mrpm, hasR := lim.ModelRPMLimit[group]
	mtpm, hasT := lim.ModelTPMLimit[group]
	if hasR || hasT {
		var rp, tp *int64
		if hasR {
			rp = &mrpm
		}
		if hasT {
			tp = &mtpm
		}
		a.window(lv.Kind, lv.ID, store.CounterKey(append(pre, "model", group, "minute", a.minute.ID())...), rp, tp)
	}
	if n := lim.MaxParallelRequests; n != nil && a.req.RequestID != "" {
		a.parallel(lv, store.CounterKey(append(pre, "parallel")...), *n)
	}
}

// gatewayBudgets plans the budgets above every principal: the end user's
// (max_end_user_budget) and the proxy's (litellm_settings.max_budget,
// which the master key is not held to).
func (a *admission) gatewayBudgets() {
	o := &a.l.o
	if a.req.EndUser != "" && o.EndUserBudget != nil {
		a.budget("end_user", a.req.EndUser, "", store.CounterKey("end_user", a.req.EndUser, "budget", "all"), "", *o.EndUserBudget, true, nil)
	}
	if o.ProxyBudget != nil {
		d := o.ProxyBudgetDuration
		counter, _ := ProxyBudgetPeriod(d, a.now)
		p := a.req.Principal
		a.budget("proxy", "", "", counter, d, *o.ProxyBudget, p == nil || p.Kind != auth.KindMaster, nil)
	}
}

// budget plans one budget counter: a bounded Add when check (the budget
// refuses), else for a soft budget an Add of 0 that reports the spend.
func (a *admission) budget(kind, id, what, counter, duration string, maxBudget float64, check bool, soft *float64) {
	_, w, bounded := periodOf(duration, a.now)
	exp := expiresOf(w, bounded, a.now)
	b := budgetCounter{counter: counter, expires: exp}
	op := -1
	if check {
		a.checked = true
		a.t.gates = true
		limit := nanos(maxBudget)
		b.reserve = a.reserve
		atMost := limit - a.reserve
		r := &Refusal{Kind: KindBudget, Level: kind, ID: id, What: what, Budget: maxBudget, Reserve: a.reserve}
		if bounded {
			r.Reset = w.End
		}
		op = a.add(store.Add{Counter: counter, Field: fieldSpend, Delta: a.reserve, AtMost: &atMost, Expires: exp}, r)
	} else if soft != nil {
		// A soft budget alone refuses nothing: an unbounded Add of 0
		// reports the spend so far.
		op = a.add(store.Add{Counter: counter, Field: fieldSpend, Delta: 0, Expires: exp}, nil)
	}
	if soft != nil {
		a.t.gates = true // the next admission reads the spend to flag it
		a.softs = append(a.softs, softOp{op: op, hit: SoftBudgetHit{Level: kind, ID: id, SoftBudget: *soft}, reserve: b.reserve})
	}
	a.t.budgets = append(a.t.budgets, b)
}

// window plans a minute window's request and token counters.
func (a *admission) window(kind, id, counter string, rpm, tpm *int64) {
	exp, end := a.minute.Expires(), a.minute.End
	if rpm != nil {
		c := a.l.shedCap(*rpm, a.prio)
		atMost := c - 1
		op := a.add(store.Add{Counter: counter, Field: fieldRequests, Delta: 1, AtMost: &atMost, Expires: exp},
			&Refusal{Kind: KindRequests, Level: kind, ID: id, Limit: *rpm, Cap: c, Priority: a.prio, Reset: end})
		a.t.rate.requests(*rpm, end)
		a.rates = append(a.rates, rateOp{op: op, what: KindRequests, limit: *rpm, reset: end})
	}
	if tpm != nil {
		c := a.l.shedCap(*tpm, a.prio)
		// Every call uses a token, so tpm_limit 0 admits nothing; an
		// estimate above the whole limit still fits an empty window.
		e := max(min(a.est, *tpm), 1)
		atMost := c - e
		op := a.add(store.Add{Counter: counter, Field: fieldTokens, Delta: e, AtMost: &atMost, Expires: exp},
			&Refusal{Kind: KindTokens, Level: kind, ID: id, Limit: *tpm, Cap: c, Priority: a.prio, Reset: end})
		a.t.tokens = append(a.t.tokens, tokenCounter{counter: counter, estimate: e, expires: exp})
		a.t.gates = true
		a.t.rate.tokens(*tpm, end)
		a.rates = append(a.rates, rateOp{op: op, what: KindTokens, limit: *tpm, reset: end})
	}
}

// parallel plans a max_parallel_requests lease, held until the settle.
func (a *admission) parallel(lv auth.Level, counter string, n int64) {
	c := a.l.shedCap(n, a.prio)
	a.add(store.Acquire{Counter: counter, Holder: a.req.RequestID, Max: c, Expires: a.now.Add(a.l.o.LeaseTTL)},
		&Refusal{Kind: KindParallel, Level: lv.Kind, ID: lv.ID, Limit: n, Cap: c, Priority: a.prio})
	a.t.leases = append(a.t.leases, counter)
	a.t.gates = true
}

// outcome turns the apply's result into the ticket, the refusal of the
// limit that failed, or (store unreachable) an admission without limits
// (fail_open) or ErrUnavailable.
func (a *admission) outcome(ctx context.Context, applied *store.Applied, err error) (*Ticket, error) {
	l, t := a.l, a.t
	var le *store.LimitError
	switch {
	case err == nil:
		t.admitted = true
		t.observe(applied, a.rates, a.softs)
		for _, h := range t.soft {
			l.o.Logger.WarnContext(ctx, "soft budget exceeded", slog.String("request_id", a.req.RequestID),
				slog.Bool("soft_budget_exceeded", true), slog.String("level", h.Level), slog.String("id", h.ID),
				slog.Float64("spend", h.Spend), slog.Float64("soft_budget", h.SoftBudget))
		}
		return t, nil
	case errors.As(err, &le) && le.Op >= 0 && le.Op < len(a.checks) && a.checks[le.Op] != nil:
		r := *a.checks[le.Op]
		r.Value = le.Value
		if r.Kind == KindBudget {
			r.Spend = float64(le.Value) / 1e9
		}
		r.now = a.now
		return nil, &r
	case errors.Is(err, store.ErrUnavailable) && l.o.FailOpen:
		l.o.Logger.WarnContext(ctx, "limits not checked: the store is unavailable; admitting (fail_open)",
			slog.String("request_id", a.req.RequestID), slog.String("error", err.Error()))
		// Nothing was reserved or leased: settle only adds the spend.
		for i := range t.budgets {
			t.budgets[i].reserve = 0
		}
		for i := range t.tokens {
			t.tokens[i].estimate = 0
		}
		t.leases = nil
		return t, nil
	case errors.Is(err, store.ErrUnavailable):
		return nil, fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	return nil, fmt.Errorf("admitting request: %w", err)
}

func levelsOf(p *auth.Principal) []auth.Level {
	if p == nil {
		return nil
	}
	return p.Levels
}

func periodID(duration string, now time.Time) string {
	id, _, _ := periodOf(duration, now)
	return id
}

// BudgetCounter names the counter that holds the spend of a key, user or
// team (kind "key", "user", "team"; id the key hash, user or team id) in
// the budget period of duration that holds now.
func BudgetCounter(kind, id, duration string, now time.Time) string {
	return store.CounterKey(kind, id, "budget", periodID(duration, now))
}

// BudgetPeriod returns the budget counter of a level and when its period
// resets (zero when the budget never resets): the spend /key/info and
// /user/info show.
func BudgetPeriod(kind, id, duration string, now time.Time) (counter string, reset time.Time) {
	_, w, bounded := periodOf(duration, now)
	if bounded {
		reset = w.End
	}
	return BudgetCounter(kind, id, duration, now), reset
}

// ProxyBudgetPeriod returns the counter of the proxy-wide budget
// (litellm_settings.max_budget) in the period of duration that holds now,
// and when that period resets (zero: never).
func ProxyBudgetPeriod(duration string, now time.Time) (counter string, reset time.Time) {
	_, w, bounded := periodOf(duration, now)
	if bounded {
		reset = w.End
	}
	return store.CounterKey("proxy", "budget", periodID(duration, now)), reset
}

// SpendOf is the USD spend a budget counter holds (store.Counter values).
func SpendOf(values map[string]int64) float64 {
	return float64(values[fieldSpend]) / 1e9
}

// Counter fields.
const (
	fieldRequests = "requests"
	fieldTokens   = "tokens"
	fieldSpend    = "spend_nanos"
)

// nanos converts USD to nano-dollars, rounding up so that a tiny cost is
// never counted as zero, and saturating far above any real budget.
func nanos(usd float64) int64 {
	if usd <= 0 || math.IsNaN(usd) {
		return 0
	}
	v := usd * 1e9
	if r := math.Round(v); math.Abs(v-r) < 1e-6 {
		v = r // float noise (1e-9*10 + 1e-9*90 is not exactly 1e-7)
	} else {
		v = math.Ceil(v)
	}
	if v >= math.MaxInt64/4 {
		return math.MaxInt64 / 4
	}
	return int64(v)
}
