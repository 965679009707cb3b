package secrets

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"
)

// DefaultTTL is how long a fetched secret is served before the next Get
// refreshes it.
const DefaultTTL = 5 * time.Minute

// retryAfterFailure is how long a previous value keeps being served after a
// failed refresh before the next attempt (capped at the TTL).
const retryAfterFailure = 30 * time.Second

// Caller makes the one Secrets Manager call the Cache needs,
// GetSecretValue: an *awscall.Client of awscall.SecretsManager is one.
type Caller interface {
	Call(ctx context.Context, operation string, in, out any) error
}

// getSecretValueInput and getSecretValueOutput are the members of
// GetSecretValue's input and answer the Cache uses (SecretBinary travels
// base64-encoded, as encoding/json reads a []byte).
type (
	getSecretValueInput struct {
		SecretId string
	}
	getSecretValueOutput struct {
		SecretString *string
		SecretBinary []byte
		VersionId    string
	}
)

// Options adjust a Cache. A nil *Options means defaults.
type Options struct {
	// TTL is how long a value is served before it is refreshed; zero means
	// DefaultTTL.
	TTL time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Logger receives refresh failures that were answered with the previous
	// value (ARN and error only); nil discards them.
	Logger *slog.Logger
}

// Cache fetches secrets by ARN and keeps each for a TTL. It is safe for
// concurrent use; the zero value is not usable, call NewCache.
type Cache struct {
	client Caller
	ttl    time.Duration
	now    func() time.Time
	logger *slog.Logger

	flight singleflight.Group // one GetSecretValue per ARN at a time

	mu      sync.Mutex
	entries map[string]*entry
}

// entry is one secret's cached value.
type entry struct {
	val      Value
	ok       bool // val holds a fetched value (possibly stale)
	expires  time.Time
	inFlight bool   // a fetch of this ARN is running
	gen      uint64 // counts finished fetches
}

// NewCache returns a cache over client. opts may be nil.
func NewCache(client Caller, opts *Options) *Cache {
	var o Options
	if opts != nil {
		o = *opts
	}
	if o.TTL <= 0 {
		o.TTL = DefaultTTL
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return &Cache{client: client, ttl: o.TTL, now: o.Now, logger: o.Logger, entries: map[string]*entry{}}
}

// Get returns the current value of the secret arn, fetching it when it has
// not been fetched yet or its TTL has passed. Only one fetch per ARN runs at
// a time: callers that find a refresh under way get the previous value, and
// callers that find the first fetch under way wait for it (or for ctx).
//
// Once a value has been fetched, Get does not fail: a refresh that fails is
// logged and the previous value is served, retried after a short back-off.
// Errors, from a first fetch, name the ARN and wrap the call's error.
func (c *Cache) Get(ctx context.Context, arn string) (Value, error) {
	for {
		c.mu.Lock()
		e := c.entries[arn]
		if e == nil {
			e = &entry{}
			c.entries[arn] = e
		}
		if e.ok && (c.now().Before(e.expires) || e.inFlight) {
			// Fresh, or stale while another caller refreshes.
			v := e.val
			c.mu.Unlock()
			return v, nil
		}
		seen := e.gen
		c.mu.Unlock()
		ch := c.flight.DoChan(arn, func() (any, error) { return c.refresh(ctx, arn, e, seen) })
		select {
		case r := <-ch:
			if r.Err != nil && isContextErr(r.Err) && ctx.Err() == nil {
				continue // the caller that fetched gave up, not Secrets Manager: fetch for ourselves
			}
			return r.Val.(Value), r.Err
		case <-ctx.Done():
			return Value{}, fmt.Errorf("reading secret %s: %w", arn, ctx.Err())
		}
	}
}

// refresh fetches arn for entry e and publishes the outcome; it runs inside
// the singleflight group, on the leader's context. seen is the generation
// the leader decided on: if a fetch has finished since, its value is used.
func (c *Cache) refresh(ctx context.Context, arn string, e *entry, seen uint64) (Value, error) {
	c.mu.Lock()
	if e.gen != seen && e.ok && c.now().Before(e.expires) {
		v := e.val
		c.mu.Unlock()
		return v, nil
	}
	e.inFlight = true
	c.mu.Unlock()

	v, err := c.fetch(ctx, arn)
	c.mu.Lock()
	defer c.mu.Unlock()
	e.inFlight = false
	e.gen++
	switch {
	case err == nil:
		e.val, e.ok, e.expires = v, true, c.now().Add(c.ttl)
	case e.ok:
		// Serve the previous value rather than fail requests. A caller that
		// gave up is no sign of trouble: leave the expiry, so the next Get
		// tries again at once.
		if !isContextErr(err) {
			e.expires = c.now().Add(min(c.ttl, retryAfterFailure))
			c.logger.WarnContext(ctx, "refreshing a secret failed; serving the previous value",
				slog.String("secret_arn", arn), slog.String("error", err.Error()))
		}
		v, err = e.val, nil
	}
	return v, err
}

// fetch reads the current version of arn.
func (c *Cache) fetch(ctx context.Context, arn string) (Value, error) {
	var out getSecretValueOutput
	if err := c.client.Call(ctx, "GetSecretValue", getSecretValueInput{SecretId: arn}, &out); err != nil {
		return Value{}, fmt.Errorf("reading secret %s: %w", arn, err)
	}
	v := Value{arn: arn, version: out.VersionId}
	switch {
	case out.SecretString != nil:
		v.s = *out.SecretString
	case out.SecretBinary != nil:
		v.s = string(out.SecretBinary)
	default:
		return Value{}, fmt.Errorf("reading secret %s: the current version holds neither SecretString nor SecretBinary", arn)
	}
	return v, nil
}

func isContextErr(err error) bool {
	return errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}
