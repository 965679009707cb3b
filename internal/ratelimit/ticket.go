package ratelimit

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/tollgate-gw/tollgate/internal/llm"
	"github.com/tollgate-gw/tollgate/internal/store"
)

// Ticket is an admitted request: what was reserved and leased before the
// call, to settle after it.
type Ticket struct {
	l        *Limiter
	req      Request
	start    time.Time
	admitted bool // an admission Apply was made
	budgets  []budgetCounter
	tokens   []tokenCounter
	leases   []string
	rate     rateInfo
	soft     []SoftBudgetHit
	gates    bool // a later admission reads what Settle writes
	settled  bool
}

// Gates reports whether a later admission reads what this ticket's Settle
// writes: a budget (refusing or soft), a token limit, or a
// parallel-request lease. Such a ticket is settled before the client sees its response
// complete, so that the client's next request finds this one counted (a
// zero budget admits one call, not two). Any other ticket only feeds
// reports and running totals, and may settle after the response has gone.
func (t *Ticket) Gates() bool { return t != nil && t.gates }

// FailsClosed reports whether a call whose settle could not be written must
// be withheld from its client where that is still possible (limits fail
// closed, the default), rather than delivered uncounted (Options.FailOpen).
func (t *Ticket) FailsClosed() bool { return t != nil && !t.l.o.FailOpen }

// SoftBudgetHit is a soft budget the request's level had reached when it
// was admitted (allowed, but flagged).
type SoftBudgetHit struct {
	Level, ID  string
	Spend      float64
	SoftBudget float64
}

// rateOp is an admission op of an rpm or tpm limit.
type rateOp struct {
	op    int
	what  string
	limit int64
	reset time.Time
}

// softOp is the admission op whose value is a soft-budgeted level's spend
// (plus this request's strict reservation).
type softOp struct {
	op      int
	hit     SoftBudgetHit
	reserve int64
}

// observe reads what the admission left behind: the remaining requests and
// tokens of the tightest limits, and the soft budgets reached. Values the
// store did not report stay unknown.
func (t *Ticket) observe(a *store.Applied, rates []rateOp, softs []softOp) {
	if a == nil {
		return
	}
	for _, r := range rates {
		v, ok := a.Value(r.op)
		if !ok {
			continue
		}
		t.rate.remain(r.what, r.limit, max(r.limit-v, 0), r.reset)
	}
	for _, s := range softs {
		v, ok := a.Value(s.op)
		if !ok {
			continue
		}
		spent := v - s.reserve
		if spent >= nanos(s.hit.SoftBudget) && (s.hit.SoftBudget > 0 || spent > 0) {
			h := s.hit
			h.Spend = float64(spent) / 1e9
			t.soft = append(t.soft, h)
		}
	}
}

type budgetCounter struct {
	counter string
	reserve int64
	expires time.Time
}

type tokenCounter struct {
	counter  string
	estimate int64
	expires  time.Time
}

// rateInfo is the tightest request and token limits that applied, for the
// x-ratelimit-* headers, and what remains of them (-1: unknown).
type rateInfo struct {
	rpm, tpm     int64
	rpmAt, tpmAt time.Time
	// known is set once a remaining count was reported; the tightest limit
	// is then the one with the least remaining.
	rpmKnown, tpmKnown   bool
	rpmRemain, tpmRemain int64
}

// remain records what remains of one limit after admission; the limit with
// the least remaining is the one reported.
func (r *rateInfo) remain(what string, limit, remaining int64, reset time.Time) {
	switch what {
	case KindRequests:
		if !r.rpmKnown || remaining < r.rpmRemain {
			r.rpm, r.rpmAt, r.rpmRemain, r.rpmKnown = limit, reset, remaining, true
		}
	case KindTokens:
		if !r.tpmKnown || remaining < r.tpmRemain {
			r.tpm, r.tpmAt, r.tpmRemain, r.tpmKnown = limit, reset, remaining, true
		}
	}
}

func (r *rateInfo) requests(n int64, reset time.Time) {
	if !r.rpmKnown && (r.rpm == 0 || n < r.rpm) {
		r.rpm, r.rpmAt = n, reset
	}
}

func (r *rateInfo) tokens(n int64, reset time.Time) {
	if !r.tpmKnown && (r.tpm == 0 || n < r.tpm) {
		r.tpm, r.tpmAt = n, reset
	}
}

// SetHeaders sets x-ratelimit-limit-*, x-ratelimit-remaining-* and
// x-ratelimit-reset-* for the tightest rpm and tpm limits that applied to
// the request (remaining: after this request, left out when the store did
// not report it), and X-Litellm-Soft-Budget-Exceeded when a soft budget
// was reached.
func (t *Ticket) SetHeaders(h http.Header) {
	if t == nil {
		return
	}
	rr, tr := int64(-1), int64(-1)
	if t.rate.rpmKnown {
		rr = t.rate.rpmRemain
	}
	if t.rate.tpmKnown {
		tr = t.rate.tpmRemain
	}
	setRate(h, "requests", t.rate.rpm, rr, t.rate.rpmAt, t.start)
	setRate(h, "tokens", t.rate.tpm, tr, t.rate.tpmAt, t.start)
	if len(t.soft) > 0 {
		h.Set(HeaderSoftBudgetExceeded, "true")
	}
}

// HeaderSoftBudgetExceeded flags a response whose key, user or team had
// reached its soft_budget (the request was allowed).
const HeaderSoftBudgetExceeded = "X-Litellm-Soft-Budget-Exceeded"

func setRate(h http.Header, what string, limit, remaining int64, reset, now time.Time) {
	if limit == 0 && remaining < 0 {
		return
	}
	h.Set("X-Ratelimit-Limit-"+what, strconv.FormatInt(limit, 10))
	if remaining >= 0 {
		h.Set("X-Ratelimit-Remaining-"+what, strconv.FormatInt(remaining, 10))
	}
	if !reset.IsZero() {
		h.Set("X-Ratelimit-Reset-"+what, strconv.FormatInt(int64(max(reset.Sub(now), time.Second)/time.Second), 10)+"s")
	}
}

// Outcome is what happened to an admitted request, as the serving path
// reports it: the deployment that served (after any retry or fallback),
// its usage, whether the response cache answered, and how the call ended.
// Settle prices and records exactly this.
type Outcome struct {
	Usage llm.Usage
	// UsageEstimated: the upstream reported no usable usage (a stream cut
	// short, or one without a usage chunk), so Usage is the gateway's
	// estimate (docs/data-model.md, "Billing policy").
	UsageEstimated bool
	// Images is the number of images generated (priced per image).
	Images int
	// Deployment, Provider and Model are those that served (after any
	// fallback); empty ones keep the admitted request's (a call that
	// failed before anything served).
	Deployment, Provider, Model string
	// Status is one of the Status* values ("" means StatusSuccess).
	Status string
	// CacheHit: the response cache answered. It costs nothing and uses no
	// tokens of a tpm limit; the request still counts for rpm (at
	// admission).
	CacheHit bool
	Tags     []string
	// End is when the call ended, for the record's latency; zero means
	// when Settle runs (a settle deferred past the response passes it).
	End time.Time
}

// Statuses of a settled call, as its spend record states them.
const (
	// StatusSuccess: the whole response was served.
	StatusSuccess = "success"
	// StatusFailure: the call failed before anything was served.
	StatusFailure = "failure"
	// StatusClientDisconnected: the client left before the response was
	// complete; the call is billed for what the provider bills.
	StatusClientDisconnected = "client_disconnected"
	// StatusUpstreamError: the upstream failed after the response had
	// started (mid-stream), or reported impossible usage; the call is
	// billed for the tokens produced.
	StatusUpstreamError = "upstream_error"
)

// Cost returns the USD cost of the outcome.
func (t *Ticket) Cost(o Outcome) float64 {
	if t == nil || o.CacheHit {
		return 0
	}
	t.fill(&o)
	pr, _ := t.l.pricer.Price(o.Deployment, o.Provider, o.Model)
	return pr.Cost(o.Usage, o.Images)
}

func (t *Ticket) fill(o *Outcome) {
	if o.Deployment == "" {
		o.Deployment, o.Provider, o.Model = t.req.Deployment, t.req.Provider, t.req.Model
	}
}

// Settle counts the outcome in one store round trip: the actual tokens in
// each tpm window, the cost on every running total (key, user, team, end
// user, proxy, per budget period), the release of each lease and the spend
// record, each written on its own (store.Store.ApplyEach). A record the
// store refuses as invalid or too large is logged in full and the counters
// are settled without it, so only the store being unavailable can fail a
// settle (the failed writes are logged, with the record, never dropped
// silently); the caller then follows FailsClosed. Settling twice is a
// no-op.
func (t *Ticket) Settle(ctx context.Context, o Outcome) (float64, error) {
	if t == nil || t.settled {
		return 0, nil
	}
	t.settled = true
	t.fill(&o)
	cost := t.Cost(o)
	now := o.End
	if now.IsZero() {
		now = t.l.o.Now()
	}
	c := nanos(cost)
	var ops []store.Op
	for _, b := range t.budgets {
		if d := c - b.reserve; d != 0 {
			ops = append(ops, store.Add{Counter: b.counter, Field: fieldSpend, Delta: d, Expires: maxTime(b.expires, now)})
		}
	}
	tok := int64(o.Usage.TotalTokens)
	if tok == 0 {
		tok = int64(o.Usage.PromptTokens + o.Usage.CompletionTokens)
	}
	if o.CacheHit {
		tok = 0 // no upstream tokens were used
	}
	for _, tc := range t.tokens {
		if d := tok - tc.estimate; d != 0 {
			ops = append(ops, store.Add{Counter: tc.counter, Field: fieldTokens, Delta: d, Expires: tc.expires})
		}
	}
	for _, l := range t.leases {
		ops = append(ops, store.Release{Counter: l, Holder: t.req.RequestID})
	}
	var rec *store.SpendRecord
	if !t.l.o.NoSpendLogs {
		rec = t.record(o, cost, now)
	}
	if rec != nil {
		ops = append(ops, store.PutSpend{Record: rec})
	}
	if len(ops) == 0 {
		return cost, nil // nothing to write: no budget, token limit, lease or record
	}
	// Each op on its own: a failed one (the store unavailable, a record
	// refused) leaves the others counted. Nothing is retried here, as a
	// counter add is not idempotent; the store client retries what it
	// knows was not applied.
	var failed []error
	for i, err := range t.l.st.ApplyEach(ctx, ops...) {
		if err == nil {
			continue
		}
		if _, ok := ops[i].(store.PutSpend); ok {
			switch {
			case errors.Is(err, store.ErrConflict):
				// A record with this id exists: the counters still count the call.
				t.l.o.Logger.WarnContext(ctx, "spend record already written under this request id",
					slog.String("request_id", t.req.RequestID))
				continue
			case errors.Is(err, store.ErrInvalid), errors.Is(err, store.ErrTooLarge):
				// A record the store refuses must not cost the call its
				// counting: the counters were written without it.
				t.l.o.Logger.ErrorContext(ctx, "spend record refused by the store; counters settled without it",
					slog.String("request_id", t.req.RequestID), slog.Any("spend_record", rec), slog.String("error", err.Error()))
				continue
			}
		}
		failed = append(failed, err)
	}
	if err := errors.Join(failed...); err != nil {
		t.l.o.Logger.ErrorContext(ctx, "spend not recorded: the settle write failed",
			slog.String("request_id", t.req.RequestID), slog.Any("spend_record", rec), slog.String("error", err.Error()),
			slog.Bool("fail_open", t.l.o.FailOpen))
		return cost, fmt.Errorf("settling request %s: %w", t.req.RequestID, err)
	}
	return cost, nil
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func (t *Ticket) record(o Outcome, cost float64, now time.Time) *store.SpendRecord {
	if t.req.RequestID == "" {
		return nil
	}
	r := &store.SpendRecord{
		RequestID: t.req.RequestID, Time: t.start, EndUser: t.req.EndUser,
		ModelGroup: t.req.ModelGroup, Model: o.Model, Deployment: o.Deployment, Provider: o.Provider,
		PromptTokens: int64(o.Usage.PromptTokens), CompletionTokens: int64(o.Usage.CompletionTokens),
		TotalTokens:     int64(o.Usage.TotalTokens),
		CacheReadTokens: int64(o.Usage.CacheReadTokens), CacheWriteTokens: int64(o.Usage.CacheWriteTokens),
		Cost: cost, LatencyMS: now.Sub(t.start).Milliseconds(), Status: o.Status, CacheHit: o.CacheHit, Tags: o.Tags,
	}
	if r.TotalTokens == 0 {
		r.TotalTokens = r.PromptTokens + r.CompletionTokens
	}
	if d := t.l.o.SpendRetention; d > 0 {
		r.ExpiresAt = t.start.Add(d)
	}
	if r.Status == "" {
		r.Status = StatusSuccess
	}
	if p := t.req.Principal; p != nil {
		r.KeyHash, r.UserID, r.TeamID = p.KeyHash, p.UserID, p.TeamID
	}
	return r
}
