package awscred

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
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

	mu        sync.Mutex
	creds     aws.Credentials
	have      bool
	refreshAt time.Time // when to start refreshing ahead of expiry
	retryAt   time.Time // no refresh attempt before this after a failure
	inflight  *flight
}

// flight is one fetch in progress that other callers wait for.
type flight struct {
	done  chan struct{}
	creds aws.Credentials
	err   error
}

// Retrieve returns cached credentials, fetching them when absent, expired or
// due for refresh. Concurrent callers share one fetch. While a refresh is in
// flight, callers holding still-valid credentials get them without waiting.
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
		if f := e.inflight; f != nil {
			if usable {
				c := e.creds
				e.mu.Unlock()
				return c, nil
			}
			e.mu.Unlock()
			select {
			case <-f.done:
			case <-ctx.Done():
				return aws.Credentials{}, ctx.Err()
			}
			if f.err != nil && isContextErr(f.err) && ctx.Err() == nil {
				// The leader gave up with its own context; this caller
				// still wants credentials, so it leads the next attempt.
				continue
			}
			return f.creds, f.err
		}
		if usable && now.Before(e.retryAt) {
			c := e.creds
			e.mu.Unlock()
			return c, nil
		}
		f := &flight{done: make(chan struct{})}
		e.inflight = f
		e.mu.Unlock()

		c, err := e.fetch(ctx)

		e.mu.Lock()
		e.inflight = nil
		now = e.now()
		switch {
		case err == nil:
			e.creds, e.have = c, true
			e.refreshAt = refreshPoint(c, now, e.window)
			e.retryAt = time.Time{}
			f.creds = c
		case usable && now.Before(e.creds.Expires):
			// Same identity, still valid: keep serving it and try again
			// later rather than failing requests that need not fail.
			e.retryAt = now.Add(retryBackoff)
			e.log.Warn("refreshing AWS credentials failed; using the current ones until they expire",
				"credentials", e.what, "expires", e.creds.Expires, "error", err)
			f.creds = e.creds
			err = nil
		default:
			f.err = err
		}
		close(f.done)
		e.mu.Unlock()
		return f.creds, err
	}
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
