package httpapi

// What a model call served, as billing needs it. The serving path (route.go
// and the handlers) returns it as a value; the admission prices and settles
// exactly that (spend_admission.go). The billing policy this implements is
// stated in docs/data-model.md ("Billing policy") and the README.

import (
	"context"
	"errors"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/tollgate-gw/tollgate/internal/llm"
	"github.com/tollgate-gw/tollgate/internal/provider"
	"github.com/tollgate-gw/tollgate/internal/ratelimit"
	"github.com/tollgate-gw/tollgate/internal/router"
)

// source is what answered a call: the deployment that served it after any
// retries and fallbacks (the one picked first on a cache hit), and whether
// the response cache answered.
type source struct {
	dep      *router.Deployment
	cacheHit bool
}

// outcome is the settle's view of a call that source served with usage u
// (nil: none reported) and images, ending with status.
func (s source) outcome(u *llm.Usage, images int, status string) ratelimit.Outcome {
	o := ratelimit.Outcome{Images: images, Status: status, CacheHit: s.cacheHit, End: time.Now()}
	if s.dep != nil {
		o.Deployment, o.Provider, o.Model = s.dep.ID, s.dep.Provider, s.dep.ModelID
	}
	if u != nil {
		o.Usage = *u
	}
	return o
}

// finished is the status of a call whose whole answer the gateway has:
// success, unless the client left while it waited.
func finished(r *http.Request) string {
	if r.Context().Err() != nil {
		return ratelimit.StatusClientDisconnected
	}
	return ratelimit.StatusSuccess
}

// checkUsage refuses usage that no real call can have (negative, or more
// tokens than any context window) as the upstream's fault: a 502, retried
// and cooled down like any other upstream failure, and never priced.
func checkUsage(dep *router.Deployment, u *llm.Usage) error {
	if u == nil {
		return nil
	}
	if err := u.Check(); err != nil {
		return &provider.Error{Kind: provider.KindUnavailable, Provider: dep.Provider, Status: http.StatusBadGateway,
			Code: "invalid_upstream_usage", Message: "deployment " + dep.Label() + " answered with impossible usage: " + err.Error(), Err: err}
	}
	return nil
}

// chatUsage is the usage to bill for a whole chat answer: the upstream's,
// or, when it reported none, an estimate (the prompt from the request, the
// completion from the answer), so that a call is never free for lack of a
// usage report.
func chatUsage(req *llm.Request, resp *llm.Response) (u *llm.Usage, estimated bool) {
	if resp.Usage != nil {
		return resp.Usage, false
	}
	var c router.TokenCounter
	for i := range resp.Choices {
		m := &resp.Choices[i].Message
		c.Add(m.Text())
		c.Add(m.Refusal)
		if m.Reasoning != nil {
			c.Add(m.Reasoning.Text)
		}
		for _, tc := range m.ToolCalls {
			c.Add(tc.Name)
			c.Add(string(tc.Arguments))
		}
	}
	return estimate(router.EstimateTokens(req), c.Tokens()), true
}

func estimate(prompt, completion int) *llm.Usage {
	return &llm.Usage{PromptTokens: prompt, CompletionTokens: completion, TotalTokens: prompt + completion}
}

// DefaultDrainLimit bounds how long an upstream call goes on once its
// client has left: long enough for a generation of a few thousand tokens to
// reach its usage report, short enough that a stalled upstream cannot hold
// an instance. Between chunks the deployment's stream_timeout still
// applies.
const DefaultDrainLimit = 2 * time.Minute

// errDrainLimit is why an upstream call was cut after its client left.
var errDrainLimit = errors.New("the client left and the upstream did not finish within the drain limit")

// upstream is the context upstream calls run under: the request's values
// and deadline but not its cancellation, because a client that leaves does
// not stop what the provider bills. Once the client has left, the call has
// at most the drain limit more. stop ends it; handlers defer it.
type upstream struct {
	ctx      context.Context
	cancel   context.CancelCauseFunc
	deadline context.CancelFunc
	after    func() bool

	mu      sync.Mutex
	timer   *time.Timer
	stopped bool
}

func (d *DataPlane) newUpstream(r *http.Request) *upstream {
	limit := d.drainLimit
	if limit <= 0 {
		limit = DefaultDrainLimit
	}
	parent := r.Context()
	u := &upstream{deadline: func() {}}
	ctx := context.WithoutCancel(parent)
	if dl, ok := parent.Deadline(); ok {
		ctx, u.deadline = context.WithDeadline(ctx, dl) // the invocation's deadline still holds
	}
	u.ctx, u.cancel = context.WithCancelCause(ctx)
	u.after = context.AfterFunc(parent, func() {
		u.mu.Lock()
		defer u.mu.Unlock()
		if !u.stopped {
			u.timer = time.AfterFunc(limit, func() { u.cancel(errDrainLimit) })
		}
	})
	return u
}

// cut reports whether the call was cut at the drain limit after the client
// left.
func (u *upstream) cut() bool { return errors.Is(context.Cause(u.ctx), errDrainLimit) }

func (u *upstream) stop() {
	u.after()
	u.mu.Lock()
	u.stopped = true
	if u.timer != nil {
		u.timer.Stop()
	}
	u.mu.Unlock()
	u.cancel(context.Canceled)
	u.deadline()
}

// meter relays a served stream and keeps its accounts: the source that
// serves it, the usage the upstream reported (checked: impossible usage
// ends the stream as an upstream error), and an estimate of the completion
// from every chunk received, for a stream that ends without usage. At the
// stream's end it tells the router the deployment's usage and stores the
// complete reply in the cache.
type meter struct {
	llm.Stream
	d          *DataPlane
	r          *http.Request
	req        *llm.Request
	src        source
	lookup     *cacheLookup // nil: the reply is not cached
	col        streamCollector
	usage      *llm.Usage
	completion router.TokenCounter
	err        error // the stream's end (io.EOF, its failure or a usage fault), returned from then on
}

func (m *meter) Recv() (*llm.Chunk, error) {
	if m.err != nil {
		return nil, m.err
	}
	c, err := m.Stream.Recv()
	if c != nil {
		if c.Usage != nil {
			if uerr := checkUsage(m.src.dep, c.Usage); uerr != nil {
				m.err = uerr
				return nil, uerr
			}
			u := *c.Usage
			m.usage = &u
		}
		m.completion.AddChunk(c)
		if m.lookup != nil {
			m.col.add(c)
		}
	}
	if err != nil {
		m.err = err
	}
	if err == io.EOF {
		if !m.src.cacheHit {
			m.d.served(m.r.Context(), m.src.dep, m.usage)
		}
		if m.lookup != nil {
			m.lookup.putChat(m.r.Context(), m.col.response())
		}
	}
	return c, err
}

// drain reads on, relaying nothing, after the client left: until the
// upstream reports its usage or the stream ends (bounded by the upstream
// context, see upstream). It returns the stream's failure, if any.
func (m *meter) drain() error {
	for m.usage == nil {
		if _, err := m.Recv(); err != nil {
			if err == io.EOF {
				return nil
			}
			return err
		}
	}
	return nil
}

// outcome is what the stream served, ending with status: the upstream's
// usage, or (a stream cut short or without a usage chunk) an estimate from
// the request and the chunks received.
func (m *meter) outcome(status string) ratelimit.Outcome {
	if m.usage != nil || m.src.cacheHit {
		return m.src.outcome(m.usage, 0, status)
	}
	o := m.src.outcome(estimate(router.EstimateTokens(m.req), m.completion.Tokens()), 0, status)
	o.UsageEstimated = true
	return o
}

// streamStatus is how a relayed stream ended: the client left (gone), the
// upstream failed after the first chunk (err), or it completed.
func streamStatus(gone bool, err error) string {
	switch {
	case gone:
		return ratelimit.StatusClientDisconnected
	case err != nil && err != io.EOF:
		return ratelimit.StatusUpstreamError
	}
	return ratelimit.StatusSuccess
}
