package oidc

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"
)

// maxDocBytes bounds the discovery document and the key set; both are a
// few kilobytes in practice.
const maxDocBytes = 1 << 20

// keyCache holds the issuer's key set. Refreshes run on request paths, one
// at a time through a singleflight group: nothing runs in the background
// between requests, which matters once Lambda freezes the container between
// invocations.
//
// When it fetches:
//   - no set yet, or the set is older than ttl: discovery, then the key set;
//   - a token names a kid the fresh set lacks, and the last successful fetch
//     is at least minRefetch old: the key set alone (key rotation);
//   - never within backoff of a failed fetch.
//
// While a refresh of an aged set is in flight or has just failed, tokens
// whose key the old set holds keep verifying against it, up to maxStale
// past the ttl.
//
// A fetch is not tied to the request that started it: it runs under
// fetchTimeout alone, so a caller that gives up leaves the result to the
// others waiting for it.
type keyCache struct {
	client       *http.Client
	now          func() time.Time
	log          *slog.Logger
	issuer       string
	discoveryURL string
	ttl          time.Duration
	minRefetch   time.Duration
	backoff      time.Duration
	maxStale     time.Duration
	fetchTimeout time.Duration

	flight   singleflight.Group
	mu       sync.Mutex
	set      *keySet // nil until the first successful fetch
	fetched  time.Time
	jwksURI  string // from discovery; "" forces discovery on the next fetch
	failedAt time.Time
	lastErr  error
	inFlight bool // a fetch is running (read under mu, for stale answers)
	// generation counts finished fetches, so a caller that decided to
	// fetch before another fetch finished does not fetch again.
	generation uint64
}

// keysFor returns the keys that may verify a token with kid and alg,
// fetching the key set when the rules above say so.
func (c *keyCache) keysFor(ctx context.Context, kid, alg string) ([]*jwk, *Error) {
	for attempt := 0; ; attempt++ {
		c.mu.Lock()
		now := c.now()
		var keys []*jwk
		var findErr *Error
		if c.set != nil {
			keys, findErr = c.set.find(kid, alg)
		}
		answered := keys != nil || findErr != nil
		age := now.Sub(c.fetched)
		fresh := c.set != nil && age < c.ttl
		if fresh && answered {
			c.mu.Unlock()
			return keys, findErr
		}
		stale := c.set != nil && !fresh && age < c.ttl+c.maxStale
		inBackoff := !c.failedAt.IsZero() && now.Sub(c.failedAt) < c.backoff
		if stale && answered && (c.inFlight || inBackoff) {
			c.mu.Unlock()
			return keys, findErr
		}
		switch {
		case attempt > 0 && fresh:
			// A fetch has just run and the set still lacks the kid.
			err := c.lastErr
			c.mu.Unlock()
			return nil, &Error{Kind: ErrUnknownKey, Cause: err}
		case attempt > 0 || (!fresh && inBackoff):
			err := c.lastErr
			c.mu.Unlock()
			return nil, &Error{Kind: ErrIdPUnavailable, Reason: "could not fetch the issuer's signing keys", Cause: err}
		case fresh && (age < c.minRefetch || inBackoff):
			// The set is fresh and lacks the kid: refetch only if the
			// last fetch is old enough and the IdP is not failing.
			err := c.lastErr
			c.mu.Unlock()
			return nil, &Error{Kind: ErrUnknownKey, Cause: err}
		}
		// An aged set rediscovers the jwks_uri too; a kid refetch reuses it.
		uri := c.jwksURI
		if !fresh {
			uri = ""
		}
		seen := c.generation
		c.mu.Unlock()

		ch := c.flight.DoChan("", func() (any, error) { return nil, c.refresh(uri, seen) })
		select {
		case <-ch:
			// Loop once more: the cache now answers, from the new set,
			// the stale one, or with the failure just recorded.
		case <-ctx.Done():
			return nil, &Error{Kind: ErrIdPUnavailable, Reason: "request ended while fetching the issuer's keys", Cause: ctx.Err()}
		}
	}
}

// refresh runs one fetch and records its outcome; it runs inside the
// singleflight group. seen is the generation the caller decided on: if a
// fetch has finished since (the caller lost the race to join it), the
// decision is stale and the caller re-examines the cache instead.
func (c *keyCache) refresh(uri string, seen uint64) error {
	c.mu.Lock()
	if c.generation != seen {
		c.mu.Unlock()
		return nil
	}
	c.inFlight = true
	c.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), c.fetchTimeout)
	defer cancel()
	set, newURI, err := c.fetch(ctx, uri)

	c.mu.Lock()
	c.inFlight = false
	c.generation++
	if err == nil {
		c.set, c.fetched, c.jwksURI = set, c.now(), newURI
		c.failedAt, c.lastErr = time.Time{}, nil
	} else {
		c.failedAt, c.lastErr = c.now(), err
		c.jwksURI = "" // rediscover next time in case it moved
	}
	haveKeys := c.set != nil
	c.mu.Unlock()
	if err != nil {
		c.log.Warn("fetching the OIDC issuer's signing keys failed",
			"issuer", c.issuer, "cached_keys", haveKeys, "error", err)
	}
	return err
}

// fetch gets the key set, running discovery first when jwksURI is empty.
func (c *keyCache) fetch(ctx context.Context, jwksURI string) (*keySet, string, error) {
	if jwksURI == "" {
		var doc struct {
			Issuer  string `json:"issuer"`
			JWKSURI string `json:"jwks_uri"`
		}
		if err := c.getJSON(ctx, c.discoveryURL, &doc); err != nil {
			return nil, "", fmt.Errorf("discovery: %w", err)
		}
		// OpenID Connect Discovery §4.3: the document must name exactly
		// the issuer it was fetched for, or its keys are someone else's.
		if doc.Issuer != c.issuer {
			return nil, "", fmt.Errorf("discovery document at %s names issuer %q, want %q", c.discoveryURL, doc.Issuer, c.issuer)
		}
		if err := checkURL("jwks_uri", doc.JWKSURI); err != nil {
			return nil, "", fmt.Errorf("discovery document at %s: %w", c.discoveryURL, err)
		}
		jwksURI = doc.JWKSURI
	}
	var body json.RawMessage
	if err := c.getJSON(ctx, jwksURI, &body); err != nil {
		return nil, "", fmt.Errorf("key set: %w", err)
	}
	set, bad, err := parseJWKS(body)
	for _, e := range bad {
		c.log.Warn("skipping an unusable key in the OIDC issuer's key set", "issuer", c.issuer, "error", e)
	}
	if err != nil {
		return nil, "", fmt.Errorf("key set at %s: %w", jwksURI, err)
	}
	return set, jwksURI, nil
}

func (c *keyCache) getJSON(ctx context.Context, url string, v any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return fmt.Errorf("GET %s: %w", url, err)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := c.client.Do(req)
	if err != nil {
		return fmt.Errorf("GET %s: %w", url, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: status %s", url, resp.Status)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxDocBytes+1))
	if err != nil {
		return fmt.Errorf("GET %s: reading body: %w", url, err)
	}
	if len(body) > maxDocBytes {
		return fmt.Errorf("GET %s: body exceeds %d bytes", url, maxDocBytes)
	}
	if err := json.Unmarshal(body, v); err != nil {
		return fmt.Errorf("GET %s: decoding: %w", url, err)
	}
	return nil
}
