package awscred

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"golang.org/x/sync/singleflight"
)

// retryBackoff spaces out refresh attempts after a failed refresh while the
// old credentials are still valid, so a failing STS sees one call per
// interval rather than one per request.
const retryBackoff = 5 * time.Second

// entry caches one set of temporary credentials. It is an
// aws.CredentialsProvider. Refreshes run on the goroutine of the request that
// found the credentials due: nothing runs in the background, which matters
// once Lambda freezes the container.
type entry struct {
	fetch  func(ctx context.Context) (aws.Credentials, error)
	now    func() time.Time
	window time.Duration
	log    *slog.Logger
	what   string // for logs: which role or source this entry holds

	flight singleflight.Group

	mu        sync.Mutex
	creds     aws.Credentials
	have      bool
	refreshAt time.Time // when to start refreshing ahead of expiry
	retryAt   time.Time // no refresh attempt before this after a failure
	inFlight  bool      // a fetch is running
	gen       uint64    // counts finished fetches
}

// Retrieve returns cached credentials, fetching them when absent, expired or
// due for refresh. Concurrent callers share one fetch (singleflight). While a
// refresh is in flight, callers holding still-valid credentials get them
// without waiting.
func (e *entry) Retrieve(ctx context.Context) (aws.Credentials, error) {
	for {
		e.mu.Lock()
		now := e.now()
		if e.have && (!e.creds.CanExpire || now.Before(e.refreshAt)) {
			c := e.creds
			e.mu.Unlock()
			return c, nil
		}
		usable := e.have && now.Before(e.creds.Expires)
		if usable && (e.inFlight || now.Before(e.retryAt)) {
			c := e.creds
			e.mu.Unlock()
			return c, nil
		}
		seen := e.gen
		e.mu.Unlock()

		ch := e.flight.DoChan("", func() (any, error) { return e.refresh(ctx, seen) })
		select {
		case r := <-ch:
			if r.Err != nil && isContextErr(r.Err) && ctx.Err() == nil {
				// The leader gave up with its own context; this caller
				// still wants credentials, so it leads the next attempt.
				continue
			}
			return r.Val.(aws.Credentials), r.Err
		case <-ctx.Done():
			return aws.Credentials{}, ctx.Err()
		}
	}
}

// refresh fetches and records the outcome; it runs inside the singleflight
// group, on the leader's context. seen is the generation the leader decided
// on: when a fetch has finished since, its fresh credentials are used.
func (e *entry) refresh(ctx context.Context, seen uint64) (aws.Credentials, error) {
	e.mu.Lock()
	if e.gen != seen && e.have && (!e.creds.CanExpire || e.now().Before(e.refreshAt)) {
		c := e.creds
		e.mu.Unlock()
		return c, nil
	}
	e.inFlight = true
	e.mu.Unlock()

	c, err := e.fetch(ctx)

	e.mu.Lock()
	defer e.mu.Unlock()
	e.inFlight = false
	e.gen++
	now := e.now()
	switch {
	case err == nil:
		e.creds, e.have = c, true
		e.refreshAt = refreshPoint(c, now, e.window)
		e.retryAt = time.Time{}
		return c, nil
	case isContextErr(err):
		return aws.Credentials{}, err
	case e.have && now.Before(e.creds.Expires):
		// Same identity, still valid: keep serving it and try again
		// later rather than failing requests that need not fail.
		e.retryAt = now.Add(retryBackoff)
		e.log.Warn("refreshing AWS credentials failed; using the current ones until they expire",
			"credentials", e.what, "expires", e.creds.Expires, "error", err)
		return e.creds, nil
	}
	return aws.Credentials{}, err
}

// refreshPoint is when credentials valid until c.Expires should be renewed:
// window ahead of expiry, but never in the first half of their life, so
// short-lived credentials are not refreshed on every request.
func refreshPoint(c aws.Credentials, now time.Time, window time.Duration) time.Time {
	if !c.CanExpire {
		return time.Time{}
	}
	life := c.Expires.Sub(now)
	if window > life/2 {
		window = life / 2
	}
	return c.Expires.Add(-window)
}

func isContextErr(err error) bool {
	return errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}
