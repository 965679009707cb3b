package ratelimit

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/tollgate-gw/tollgate/internal/auth"
)

// Kinds of refusal.
const (
	KindBudget   = "budget"
	KindRequests = "requests"
	KindTokens   = "tokens"
	KindParallel = "parallel"
	// KindUnbounded is a call that strict budget mode cannot bound: its
	// output is priced, and neither the request nor the model limits it.
	KindUnbounded = "unbounded"
)

// Refusal is a request refused by a budget or a rate limit. It names the
// level ("key", "user", "team", "end_user", "proxy") and its id.
type Refusal struct {
	Kind  string
	Level string
	ID    string
	// What is the model of a per-model budget ("" for the level's own).
	What string
	// Budget and Spend are the budget and the spend so far (USD), and
	// Reserve the strict-mode reservation (nano-dollars).
	Budget, Spend float64
	Reserve       int64
	// Limit and Value are the rate limit and the count so far.
	Limit, Value int64
	// Cap is the part of Limit the request's Priority may use (priority
	// shedding; Cap = Limit when nothing is kept back for it).
	Cap      int64
	Priority int
	// Reset is when the window or budget period ends (zero: never).
	Reset time.Time
	now   time.Time
}

func (r *Refusal) who() string {
	switch r.Level {
	case "key":
		return "key " + shortHash(r.ID)
	case "proxy":
		return "the proxy"
	case auth.LevelTeamMember:
		team, user, _ := strings.Cut(r.ID, "#")
		return "user " + user + " in team " + team
	case auth.LevelOrgMember:
		org, user, _ := strings.Cut(r.ID, "#")
		return "user " + user + " in organization " + org
	}
	return r.Level + " " + r.ID
}

func shortHash(h string) string {
	if len(h) > 8 {
		return h[:8] + "…"
	}
	return h
}

func (r *Refusal) Error() string {
	switch r.Kind {
	case KindBudget:
		what := ""
		if r.What != "" {
			what = " for model " + r.What
		}
		msg := fmt.Sprintf("Budget has been exceeded! %s%s: current spend %g USD, max budget %g USD", r.who(), what, r.Spend, r.Budget)
		if r.Reserve > 0 {
			msg += fmt.Sprintf(" (strict mode reserves %g USD for this request)", float64(r.Reserve)/1e9)
		}
		if !r.Reset.IsZero() {
			msg += "; the budget resets at " + r.Reset.UTC().Format(time.RFC3339)
		}
		return msg
	case KindUnbounded:
		return fmt.Sprintf("strict budget mode cannot bound the cost of this request: model %s (deployment %s) has no known "+
			"output limit; set max_tokens or max_completion_tokens in the request, or model_info.max_output_tokens on "+
			"the deployment", r.What, r.ID)
	case KindParallel:
		return fmt.Sprintf("Max parallel request limit reached for %s: %d of %d in flight%s", r.who(), r.Value, r.Limit, r.shedNote())
	}
	return fmt.Sprintf("Rate limit reached for %s: %s per minute limit %d, used %d%s; retry after %ds",
		r.who(), r.Kind, r.Limit, r.Value, r.shedNote(), r.RetryAfter())
}

// Shed reports whether the request was refused by priority shedding: the
// limit itself was not reached, but the rest is kept for more important
// requests.
func (r *Refusal) Shed() bool {
	return (r.Kind == KindRequests || r.Kind == KindTokens || r.Kind == KindParallel) && r.Cap < r.Limit && r.Value < r.Limit
}

func (r *Refusal) shedNote() string {
	if !r.Shed() {
		return ""
	}
	return fmt.Sprintf(" (at priority %d, requests may use %d of it; the rest is kept for more important requests)", r.Priority, r.Cap)
}

// Status is the HTTP status: 400 for a budget (LiteLLM's) or an unbounded
// call, 429 otherwise.
func (r *Refusal) Status() int {
	if r.Kind == KindBudget || r.Kind == KindUnbounded {
		return http.StatusBadRequest
	}
	return http.StatusTooManyRequests
}

// RetryAfter is the whole seconds until the limit's window resets (at
// least 1; 1 for a parallel-request limit, and 0 for a budget that never
// resets).
func (r *Refusal) RetryAfter() int {
	if r.Reset.IsZero() {
		if r.Kind == KindParallel {
			return 1
		}
		return 0
	}
	return int(max((r.Reset.Sub(r.now)+time.Second-1)/time.Second, 1))
}

// SetHeaders sets the x-ratelimit-* headers of a refused rate limit
// (remaining 0).
func (r *Refusal) SetHeaders(h http.Header) {
	switch r.Kind {
	case KindRequests, KindTokens:
		setRate(h, r.Kind, r.Limit, 0, r.Reset, r.now)
	case KindBudget:
		h.Set("X-Litellm-Key-Max-Budget", strconv.FormatFloat(r.Budget, 'g', -1, 64))
	}
}
