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

// admission is a model call admitted by d.Limits: the hook before the
// upstream call and after it. A nil *admission (no limiter) does nothing.
type admission struct {
	t     *ratelimit.Ticket
	r     *http.Request
	later Deferrer
	done  bool // settled (or handed to later)
	usage *llm.Usage
	imgs  int
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
	est int64, b ratelimit.Bound, priority *int) (*admission, error) {
	if d.Limits == nil {
		return nil, nil
	}
	rec := obs.RecordFrom(r.Context())
	req := ratelimit.Request{RequestID: rec.RequestID, Principal: auth.FromContext(r.Context()), ModelGroup: model,
		Deployment: dep.ID, Provider: dep.Provider, Model: dep.ModelID, EndUser: endUser,
		EstimatedTokens: est, Bound: b, Priority: priority}
	t, err := d.Limits.Admit(r.Context(), req)
	var rf *ratelimit.Refusal
	switch {
	case err == nil:
		t.SetHeaders(w.Header())
		return &admission{t: t, r: r, later: d.Later}, nil
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
		return nil, &Error{Status: http.StatusServiceUnavailable, Type: "server_error", Code: "limits_unavailable",
			Message: "budgets and rate limits cannot be checked right now; retry shortly", RetryAfter: 1, Err: err}
	}
	return nil, err
}

// priced records the call's usage and sets x-litellm-response-cost; call
// it before the response's headers are written.
func (a *admission) priced(h http.Header, u *llm.Usage, images int) {
	if a == nil {
		return
	}
	a.usage, a.imgs = u, images
	h.Set("X-Litellm-Response-Cost", strconv.FormatFloat(a.t.Cost(a.outcome()), 'g', -1, 64))
}

func (a *admission) outcome() ratelimit.Outcome {
	rec := obs.RecordFrom(a.r.Context())
	// Priced as the admitted deployment; a router that falls back sets the
	// served one here.
	o := ratelimit.Outcome{Images: a.imgs, Status: "success", End: time.Now()}
	if a.usage != nil {
		o.Usage = *a.usage
	} else {
		o.Usage = llm.Usage{PromptTokens: rec.PromptTokens, CompletionTokens: rec.CompletionTokens}
	}
	if rec.ErrorType != "" {
		o.Status = "failure"
	}
	return o
}

// settle counts the call (tokens, cost, lease release, spend record) in one
// store round trip; handlers defer it, so it runs before they return, as
// Lambda requires, unless it gates nothing and a long-lived server defers
// it past the handler (DataPlane.Later).
func (a *admission) settle() {
	if a == nil || a.done {
		return
	}
	a.done = true
	o := a.outcome() // now: the request's record is the handler's
	settle := func(deferred bool) {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(a.r.Context()), settleTimeout)
		defer cancel()
		if deferred {
			// Nobody waits for this write: the store may hold it briefly
			// to commit it with others.
			ctx = store.WithDeferredCommit(ctx)
		}
		_, _ = a.t.Settle(ctx, o) // a failure is logged in full by Settle
	}
	if a.later != nil && !a.t.Gates() {
		a.later.Go(func() { settle(true) })
		return
	}
	settle(false)
}

// settleFirst settles now when a later admission reads what the settle
// writes (ratelimit.Ticket.Gates): call it just before the response is
// complete on the wire. Other calls settle in the handler's deferred
// settle, after the client has its response, which keeps the store write
// out of the client's latency (and the handler still waits for it before
// returning, as Lambda requires).
func (a *admission) settleFirst() {
	if a != nil && a.t.Gates() {
		a.settle()
	}
}

// admitChat is admit for a chat request, bounded by its decoded messages,
// n and its output bound: max_completion_tokens, else max_tokens.
func (d *DataPlane) admitChat(w http.ResponseWriter, r *http.Request, dep *router.Deployment, req *llm.Request) (*admission, error) {
	if d.Limits == nil {
		return nil, nil
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
	return d.admit(w, r, dep, req.Model, req.User, int64(router.EstimateTokens(req)), b, req.Gateway.Priority)
}
