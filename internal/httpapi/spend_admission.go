package httpapi

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/tollgate-gw/tollgate/internal/auth"
	"github.com/tollgate-gw/tollgate/internal/llm"
	"github.com/tollgate-gw/tollgate/internal/obs"
	"github.com/tollgate-gw/tollgate/internal/ratelimit"
	"github.com/tollgate-gw/tollgate/internal/router"
	"github.com/tollgate-gw/tollgate/internal/store"
)

// settleTimeout bounds the settle write, which runs after the client may
// have gone (its context is detached from the request's cancellation).
const settleTimeout = 5 * time.Second

// admission is a model call admitted by d.limits: the hook before the
// upstream call and after it. Without a limiter it has no ticket and only
// records the outcome in the log record.
type admission struct {
	t     *ratelimit.Ticket // nil: no limits
	r     *http.Request
	later Deferrer
	// o is what the call served, as the serving path reported it (served);
	// until then, a failure that served nothing.
	o    ratelimit.Outcome
	done bool // settled (or handed to later)
}

// admit runs admission for a model call: every limit and budget in one
// store round trip, right after the deployment is picked. A refusal is an
// *Error (400 budget_exceeded, 429 with Retry-After and x-ratelimit-*
// headers, 503 when the store cannot be reached and fail_closed). An
// admitted request gets x-ratelimit-limit/remaining/reset-* and, when its
// key, user or team reached a soft_budget, X-Litellm-Soft-Budget-Exceeded.
// priority (lower is more important; nil for none) drives priority shedding;
// est counts against tpm limits and b bounds the strict reservation, both
// from the decoded request.
func (d *DataPlane) admit(w http.ResponseWriter, r *http.Request, dep *router.Deployment, model, endUser string,
	est int64, b ratelimit.Bound, priority *int, alts []ratelimit.Candidate) (*admission, error) {
	adm := &admission{r: r, later: d.later, o: ratelimit.Outcome{Status: ratelimit.StatusFailure}}
	if d.limits == nil {
		return adm, nil
	}
	if err := checkEndUser(endUser); err != nil {
		return nil, err
	}
	rec := obs.RecordFrom(r.Context())
	req := ratelimit.Request{RequestID: rec.RequestID, Principal: auth.FromContext(r.Context()), ModelGroup: model,
		Deployment: dep.ID, Provider: dep.Provider, Model: dep.ModelID, EndUser: endUser,
		EstimatedTokens: est, Bound: b, Priority: priority, Alternatives: alts}
	t, err := d.limits.Admit(r.Context(), req)
	var rf *ratelimit.Refusal
	switch {
	case err == nil:
		t.SetHeaders(w.Header())
		adm.t = t
		return adm, nil
	case errors.As(err, &rf) && rf.Kind == ratelimit.KindUnbounded:
		return nil, &Error{Status: rf.Status(), Type: "invalid_request_error", Code: "max_tokens_required", Param: "max_tokens",
			Message: rf.Error(), Err: err}
	case errors.As(err, &rf):
		rf.SetHeaders(w.Header())
		if rf.Kind == ratelimit.KindBudget {
			return nil, &Error{Status: rf.Status(), Type: "budget_exceeded", Code: "budget_exceeded", Message: rf.Error(), Err: err}
		}
		// Set here too, for the Bedrock interface's error writer.
		w.Header().Set("Retry-After", strconv.Itoa(rf.RetryAfter()))
		return nil, &Error{Status: rf.Status(), Type: "rate_limit_error", Code: "rate_limit_exceeded", Message: rf.Error(),
			RetryAfter: rf.RetryAfter(), Err: err}
	case errors.Is(err, ratelimit.ErrUnavailable):
		return nil, limitsUnavailable("budgets and rate limits cannot be checked right now; retry shortly", err)
	}
	return nil, err
}

// limitsUnavailable is the answer when the store that holds budgets and
// limits cannot be reached and limits fail closed.
func limitsUnavailable(msg string, err error) *Error {
	return &Error{Status: http.StatusServiceUnavailable, Type: "server_error", Code: "limits_unavailable",
		Message: msg, RetryAfter: 1, Err: err}
}

// maxEndUser bounds the request's "user" field, which names the end user's
// budget counter and goes into the spend record.
const maxEndUser = 256

// checkEndUser refuses a "user" field that could not be counted, so that no
// client input can make a settle fail.
func checkEndUser(u string) error {
	if len(u) > maxEndUser {
		return badRequest("user", "user is %d bytes; send an end-user id of at most %d bytes", len(u), maxEndUser)
	}
	for i := 0; i < len(u); i++ {
		if u[i] < 0x20 || u[i] == 0x7f {
			return badRequest("user", "user contains a control character; send a printable end-user id")
		}
	}
	return nil
}

// served takes what the serving path served: the log record shows it, and
// the settle prices and records exactly it. h, when not nil, gets
// x-litellm-response-cost (pass it before the response's headers are
// written).
func (a *admission) served(h http.Header, o ratelimit.Outcome) {
	a.o = o
	rec := obs.RecordFrom(a.r.Context())
	rec.PromptTokens, rec.CompletionTokens = o.Usage.PromptTokens, o.Usage.CompletionTokens
	rec.CacheHit, rec.Outcome, rec.UsageEstimated = o.CacheHit, o.Status, o.UsageEstimated
	if h != nil && a.t != nil {
		h.Set("X-Litellm-Response-Cost", strconv.FormatFloat(a.t.Cost(o), 'g', -1, 64))
	}
}

// settle counts the call (tokens, cost, lease release, spend record) in one
// store round trip; handlers defer it, so it runs before they return, as
// Lambda requires, unless it gates nothing and a long-lived server defers
// it past the handler (DataPlane.Later). Its error (the store failed) is
// for settleFirst; every failure is logged in full by Settle.
func (a *admission) settle() error {
	if a.done {
		return nil
	}
	a.done = true
	if a.t == nil {
		return nil
	}
	o := a.o
	if o.End.IsZero() {
		o.End = time.Now()
	}
	settle := func(deferred bool) error {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(a.r.Context()), settleTimeout)
		defer cancel()
		if deferred {
			// Nobody waits for this write: the store may hold it briefly
			// to commit it with others.
			ctx = store.WithDeferredCommit(ctx)
		}
		_, err := a.t.Settle(ctx, o)
		return err
	}
	if a.later != nil && !a.t.Gates() {
		a.later.Go(func() { _ = settle(true) })
		return nil
	}
	return settle(false)
}

// settleFirst settles now when a later admission reads what the settle
// writes (ratelimit.Ticket.Gates): call it just before the response is
// complete on the wire. Other calls settle in the handler's deferred
// settle, after the client has its response, which keeps the store write
// out of the client's latency (and the handler still waits for it before
// returning, as Lambda requires). An error means the call could not be
// counted and limits fail closed: the caller withholds what it still can
// of the response (the whole JSON answer; a stream's end).
func (a *admission) settleFirst() error {
	if a.t.Gates() {
		if err := a.settle(); err != nil && a.t.FailsClosed() {
			return limitsUnavailable("this call could not be counted against its budgets and limits, so its answer is withheld; retry shortly", err)
		}
	}
	return nil
}

// admitChat is admit for a chat request, bounded by its decoded messages,
// n and its output bound: max_completion_tokens, else max_tokens.
func (d *DataPlane) admitChat(w http.ResponseWriter, r *http.Request, dep *router.Deployment, req *llm.Request) (*admission, error) {
	if d.limits == nil {
		return d.admit(w, r, dep, req.Model, req.User, 0, ratelimit.Bound{}, nil, nil) // nothing to bound
	}
	b := ratelimit.Bound{PromptTokens: router.PromptTokenBound(req)}
	maxTokens := req.MaxCompletionTokens
	if maxTokens == nil {
		maxTokens = req.MaxTokens
	}
	if maxTokens != nil {
		b.OutputTokens = int64(*maxTokens)
	}
	if req.N != nil {
		b.Choices = int64(*req.N)
	}
	return d.admit(w, r, dep, req.Model, req.User, int64(router.EstimateTokens(req)), b, req.Gateway.Priority,
		d.alternatives(r, req.Model, &req.Gateway, dep))
}

// alternatives are the deployments other than dep that may serve a call
// (retries and fallbacks the caller may use), for the strict reservation;
// nil outside strict mode, where nothing is reserved.
func (d *DataPlane) alternatives(r *http.Request, model string, gw *llm.GatewayOptions, dep *router.Deployment) []ratelimit.Candidate {
	if !d.limits.Strict() {
		return nil
	}
	var out []ratelimit.Candidate
	for _, c := range d.router.Reachable(d.routeRequest(r, model, gw, nil, 0)) {
		if c != dep {
			out = append(out, ratelimit.Candidate{Deployment: c.ID, Provider: c.Provider, Model: c.ModelID})
		}
	}
	return out
}
