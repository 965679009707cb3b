package oidc_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/tollgate-gw/tollgate/internal/auth/oidc"
	"github.com/tollgate-gw/tollgate/internal/clocktest"
)

// verifyOK fails the test unless tok verifies.
func verifyOK(t *testing.T, e *env, tok string) {
	t.Helper()
	if _, err := e.verifier.Verify(context.Background(), tok); err != nil {
		t.Fatalf("Verify: %v", err)
	}
}

// wantHits fails the test unless the IdP has served exactly these requests.
func wantHits(t *testing.T, e *env, discovery, jwks int) {
	t.Helper()
	if d, k := e.idp.hits(); d != discovery || k != jwks {
		t.Fatalf("IdP hits: discovery %d, key set %d; want %d and %d", d, k, discovery, jwks)
	}
}

// TestNoFetchUntilFirstVerify: New and IsJWT touch no network; the first
// Verify discovers and fetches once, later ones use the cache.
func TestNoFetchUntilFirstVerify(t *testing.T) {
	e := newLoopbackEnv(t, nil, nil)
	if e.verifier.Issuer() != e.issuer {
		t.Errorf("Issuer() = %q, want %q", e.verifier.Issuer(), e.issuer)
	}
	wantHits(t, e, 0, 0)
	for range 5 {
		verifyOK(t, e, e.token(t, e.rsa, nil))
		verifyOK(t, e, e.token(t, e.ec, nil))
	}
	wantHits(t, e, 1, 1)
}

// TestKeyRotation: the IdP starts signing with a key the cached set lacks;
// the first token naming it refetches the key set (without rediscovery)
// and verifies.
func TestKeyRotation(t *testing.T) {
	e := newLoopbackEnv(t, nil, nil)
	verifyOK(t, e, e.token(t, e.rsa, nil))

	next := rsaSigner("rsa-2", "rsa-b")
	e.idp.publish(e.rsa, next)
	e.clock.Advance(oidc.DefaultRefetchInterval)
	verifyOK(t, e, e.token(t, next, nil))
	wantHits(t, e, 1, 2)

	// The old key leaves the set; its tokens keep verifying until a fetch
	// happens for another reason, since the set is still fresh.
	e.idp.publish(next)
	verifyOK(t, e, e.token(t, e.rsa, nil))
	verifyOK(t, e, e.token(t, next, nil))
	wantHits(t, e, 1, 2)
}

// TestRotationRightAfterAFetch: a new kid within the refetch interval of
// the last fetch is refused without a fetch; once the interval has passed
// the same token verifies.
func TestRotationRightAfterAFetch(t *testing.T) {
	e := newLoopbackEnv(t, nil, nil)
	verifyOK(t, e, e.token(t, e.rsa, nil))
	next := ecSigner("ec-2", "ec-b")
	e.idp.publish(e.rsa, e.ec, next)
	tok := e.token(t, next, nil)

	e.clock.Advance(oidc.DefaultRefetchInterval - time.Second)
	if _, err := e.verifier.Verify(context.Background(), tok); !errors.Is(err, oidc.ErrUnknownKey) {
		t.Fatalf("within the interval: %v, want ErrUnknownKey", err)
	}
	wantHits(t, e, 1, 1)
	e.clock.Advance(time.Second)
	verifyOK(t, e, tok)
	wantHits(t, e, 1, 2)
}

// TestUnknownKidFlood: tokens with made-up kids, sequential and concurrent,
// cost the IdP at most one key set fetch per refetch interval.
func TestUnknownKidFlood(t *testing.T) {
	const interval = 30 * time.Second
	e := newLoopbackEnv(t, nil, func(o *oidc.Options) { o.RefetchInterval = interval })
	verifyOK(t, e, e.token(t, e.rsa, nil))
	wantHits(t, e, 1, 1)

	n := 0
	flood := func(concurrent bool) {
		t.Helper()
		toks := make([]string, 50)
		for i := range toks {
			n++
			toks[i] = e.token(t, rsaSigner(fmt.Sprintf("made-up-%d", n), "rsa-c"), nil)
		}
		var wg sync.WaitGroup
		errs := make([]error, len(toks))
		for i, tok := range toks {
			run := func() { _, errs[i] = e.verifier.Verify(context.Background(), tok) }
			if concurrent {
				wg.Go(run)
			} else {
				run()
			}
		}
		wg.Wait()
		for _, err := range errs {
			if !errors.Is(err, oidc.ErrUnknownKey) {
				t.Fatalf("made-up kid: %v, want ErrUnknownKey", err)
			}
		}
	}

	flood(false) // the interval since the warm-up fetch has not passed
	wantHits(t, e, 1, 1)
	e.clock.Advance(interval)
	flood(false)
	wantHits(t, e, 1, 2)
	e.clock.Advance(interval - time.Second)
	flood(true)
	wantHits(t, e, 1, 2)
	e.clock.Advance(time.Second)
	flood(true)
	wantHits(t, e, 1, 3)
	// Known keys are unaffected throughout.
	verifyOK(t, e, e.token(t, e.ec, nil))
	wantHits(t, e, 1, 3)
}

// TestCacheTTL: after the TTL the next request rediscovers and refetches;
// the set (and a removed key) is then current.
func TestCacheTTL(t *testing.T) {
	e := newLoopbackEnv(t, nil, nil)
	verifyOK(t, e, e.token(t, e.rsa, nil))
	e.idp.publish(e.ec)

	e.clock.Advance(oidc.DefaultKeyCacheTTL - time.Second)
	verifyOK(t, e, e.token(t, e.rsa, nil))
	wantHits(t, e, 1, 1)

	e.clock.Advance(time.Second)
	verifyOK(t, e, e.token(t, e.ec, nil))
	wantHits(t, e, 2, 2)
	if _, err := e.verifier.Verify(context.Background(), e.token(t, e.rsa, nil)); !errors.Is(err, oidc.ErrUnknownKey) {
		t.Fatalf("key removed from the refreshed set: %v, want ErrUnknownKey", err)
	}
}

// TestIdPDown: with nothing cached, an unreachable or failing IdP is
// ErrIdPUnavailable, whose message does not describe the failure (Cause
// does); within the backoff no request reaches the IdP, after it one does.
func TestIdPDown(t *testing.T) {
	t.Run("connection refused", func(t *testing.T) {
		srv := httptest.NewServer(http.NotFoundHandler())
		issuer := srv.URL
		srv.Close()
		clk := clocktest.New(time.Now())
		v, err := oidc.New(oidc.Config{Issuer: issuer, Audiences: []string{audience}}, &oidc.Options{Now: clk.Now})
		if err != nil {
			t.Fatal(err)
		}
		e := &env{issuer: issuer, now: clk.Now, verifier: v, rsa: rsaSigner("rsa-1", "rsa-a")}
		_, err = v.Verify(context.Background(), e.token(t, e.rsa, nil))
		assertIdPDown(t, err, strings.TrimPrefix(issuer, "http://"))
	})
	t.Run("status 503", func(t *testing.T) {
		e := newLoopbackEnv(t, nil, nil)
		e.idp.set(func(f *fakeIdP) { f.status = http.StatusServiceUnavailable })
		tok := e.token(t, e.rsa, nil)
		_, err := e.verifier.Verify(context.Background(), tok)
		assertIdPDown(t, err, "503")
		wantHits(t, e, 1, 0)

		e.clock.Advance(oidc.DefaultFailureBackoff - time.Second)
		_, err = e.verifier.Verify(context.Background(), tok)
		assertIdPDown(t, err, "503")
		wantHits(t, e, 1, 0)

		e.idp.set(func(f *fakeIdP) { f.status = 0 })
		e.clock.Advance(time.Second)
		verifyOK(t, e, tok)
		wantHits(t, e, 2, 1)
	})
	t.Run("key set fails after discovery", func(t *testing.T) {
		e := newLoopbackEnv(t, nil, nil)
		e.idp.set(func(f *fakeIdP) { f.keys = []map[string]any{{"kty": "oct", "k": "c2VjcmV0"}} })
		_, err := e.verifier.Verify(context.Background(), e.token(t, e.rsa, nil))
		assertIdPDown(t, err, "no usable")
	})
}

func assertIdPDown(t *testing.T, err error, inCause string) {
	t.Helper()
	var ve *oidc.Error
	if !errors.Is(err, oidc.ErrIdPUnavailable) || !errors.As(err, &ve) {
		t.Fatalf("Verify = %v, want ErrIdPUnavailable", err)
	}
	if ve.Cause == nil || !strings.Contains(ve.Cause.Error(), inCause) {
		t.Errorf("Cause = %v, want it to mention %q", ve.Cause, inCause)
	}
	if strings.Contains(err.Error(), inCause) || strings.Contains(err.Error(), "127.0.0.1") {
		t.Errorf("client-facing message %q describes the internal failure", err)
	}
}

// TestStaleKeysWhileIdPDown: once the TTL has passed and the IdP fails,
// cached keys keep verifying (one attempt per backoff) until MaxStale past
// the TTL; unknown kids and later tokens then fail as unavailable.
func TestStaleKeysWhileIdPDown(t *testing.T) {
	const maxStale = 2 * time.Hour
	e := newLoopbackEnv(t, nil, func(o *oidc.Options) { o.MaxStale = maxStale })
	verifyOK(t, e, e.token(t, e.rsa, nil))
	e.idp.set(func(f *fakeIdP) { f.status = http.StatusBadGateway })

	e.clock.Advance(oidc.DefaultKeyCacheTTL)
	verifyOK(t, e, e.token(t, e.rsa, nil))
	wantHits(t, e, 2, 1) // one rediscovery attempt, failed
	verifyOK(t, e, e.token(t, e.ec, nil))
	wantHits(t, e, 2, 1) // within the backoff: no attempt

	if _, err := e.verifier.Verify(context.Background(), e.token(t, rsaSigner("new", "rsa-b"), nil)); !errors.Is(err, oidc.ErrIdPUnavailable) {
		t.Fatalf("unknown kid while the IdP is down: %v, want ErrIdPUnavailable", err)
	}

	e.clock.Advance(maxStale - time.Second)
	verifyOK(t, e, e.token(t, e.rsa, nil))
	wantHits(t, e, 3, 1)

	e.clock.Advance(time.Second) // past MaxStale, within the backoff
	_, err := e.verifier.Verify(context.Background(), e.token(t, e.rsa, nil))
	assertIdPDown(t, err, "502")
	wantHits(t, e, 3, 1)

	e.clock.Advance(oidc.DefaultFailureBackoff)
	_, err = e.verifier.Verify(context.Background(), e.token(t, e.rsa, nil))
	assertIdPDown(t, err, "502")
	wantHits(t, e, 4, 1)
}

// TestNoStaleKeys: MaxStale < 0 turns stale use off.
func TestNoStaleKeys(t *testing.T) {
	e := newLoopbackEnv(t, nil, func(o *oidc.Options) { o.MaxStale = -1 })
	verifyOK(t, e, e.token(t, e.rsa, nil))
	e.idp.set(func(f *fakeIdP) { f.status = http.StatusBadGateway })
	e.clock.Advance(oidc.DefaultKeyCacheTTL)
	_, err := e.verifier.Verify(context.Background(), e.token(t, e.rsa, nil))
	assertIdPDown(t, err, "502")
}

// TestDiscovery: the document must name the configured issuer exactly and
// point at a secure jwks_uri; an explicit DiscoveryURL (Okta's
// oauth-authorization-server document) is honoured.
func TestDiscovery(t *testing.T) {
	tests := []struct {
		name    string
		cfg     func(c *oidc.Config)
		idp     func(f *fakeIdP)
		inCause string // "" means Verify succeeds
	}{
		{name: "openid-configuration"},
		{name: "oauth-authorization-server", cfg: func(c *oidc.Config) {
			c.DiscoveryURL = c.Issuer + "/.well-known/oauth-authorization-server"
		}},
		{name: "issuer mismatch", idp: func(f *fakeIdP) { f.issuer = "https://evil.example.com" }, inCause: "names issuer"},
		{name: "issuer differs by a trailing slash", idp: func(f *fakeIdP) { f.issuer = f.base + "/" }, inCause: "names issuer"},
		{name: "no jwks_uri", idp: func(f *fakeIdP) { f.jwksURI = " " }, inCause: "jwks_uri"},
		{name: "plain http jwks_uri off loopback", idp: func(f *fakeIdP) { f.jwksURI = "http://keys.example.com/keys" }, inCause: "https"},
		{name: "key set too large", idp: func(f *fakeIdP) { f.jwksURI = f.base + "/huge" }, inCause: "exceeds"},
		{name: "key set not JSON", idp: func(f *fakeIdP) { f.jwksURI = f.base + "/html" }, inCause: "decoding"},
		{name: "discovery document missing", cfg: func(c *oidc.Config) { c.DiscoveryURL = c.Issuer + "/nowhere" }, inCause: "404"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newLoopbackEnv(t, tc.cfg, nil)
			if tc.idp != nil {
				e.idp.set(tc.idp)
			}
			_, err := e.verifier.Verify(context.Background(), e.token(t, e.rsa, nil))
			if tc.inCause == "" {
				if err != nil {
					t.Fatalf("Verify: %v", err)
				}
				return
			}
			assertIdPDown(t, err, tc.inCause)
			if _, k := e.idp.hits(); k != 0 {
				t.Errorf("the published key set was fetched %d times; discovery should have failed or pointed elsewhere", k)
			}
		})
	}
}

// TestSingleFlight: a burst of first requests makes one discovery and one
// key set fetch; every caller waits for it and verifies.
func TestSingleFlight(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newInProcessEnv(t, nil, nil)
		gate := make(chan struct{})
		open := sync.OnceFunc(func() { close(gate) })
		defer open() // a failed check must not strand the callers in the bubble
		e.idp.set(func(f *fakeIdP) { f.gate = gate })
		tok := e.token(t, e.rsa, nil)

		const callers = 20
		errs := make([]error, callers)
		var wg sync.WaitGroup
		for i := range callers {
			wg.Go(func() { _, errs[i] = e.verifier.Verify(context.Background(), tok) })
		}
		synctest.Wait() // one caller is inside the IdP, the rest wait for it
		wantHits(t, e, 1, 1)
		open()
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Errorf("caller %d: %v", i, err)
			}
		}
		wantHits(t, e, 1, 1)
	})
}

// TestStaleWhileRefreshing: while one caller refreshes an aged set, the
// others verify known kids against it without waiting.
func TestStaleWhileRefreshing(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newInProcessEnv(t, nil, nil)
		verifyOK(t, e, e.token(t, e.rsa, nil))
		time.Sleep(oidc.DefaultKeyCacheTTL)

		gate := make(chan struct{})
		open := sync.OnceFunc(func() { close(gate) })
		defer open()
		e.idp.set(func(f *fakeIdP) { f.gate = gate })
		var wg sync.WaitGroup
		wg.Go(func() { verifyOK(t, e, e.token(t, e.rsa, nil)) })
		synctest.Wait() // the refresher is inside the IdP
		wantHits(t, e, 2, 2)
		verifyOK(t, e, e.token(t, e.ec, nil)) // would deadlock the bubble if it waited
		open()
		wg.Wait()
		wantHits(t, e, 2, 2)
	})
}

// TestLeaderGivesUp: when the caller that started the fetch is cancelled,
// it gets a context error at once, while the fetch goes on for the callers
// still waiting: no second fetch, no backoff.
func TestLeaderGivesUp(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newInProcessEnv(t, nil, nil)
		gate := make(chan struct{})
		open := sync.OnceFunc(func() { close(gate) })
		defer open()
		e.idp.set(func(f *fakeIdP) { f.gate = gate })
		tok := e.token(t, e.rsa, nil)

		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		var leaderErr, followerErr error
		var wg sync.WaitGroup
		wg.Go(func() { _, leaderErr = e.verifier.Verify(ctx, tok) })
		synctest.Wait() // the leader's fetch is inside the IdP
		wg.Go(func() { _, followerErr = e.verifier.Verify(context.Background(), tok) })
		synctest.Wait() // the follower waits for the same fetch
		wantHits(t, e, 1, 1)

		cancel()
		synctest.Wait()
		if !errors.Is(leaderErr, oidc.ErrIdPUnavailable) || !errors.Is(leaderErr, context.Canceled) {
			t.Errorf("leader: %v, want ErrIdPUnavailable and context.Canceled", leaderErr)
		}
		open()
		wg.Wait()
		wantHits(t, e, 1, 1)
		if followerErr != nil {
			t.Errorf("follower: %v", followerErr)
		}
		verifyOK(t, e, tok)
		wantHits(t, e, 1, 1)
	})
}

// TestFetchTimeout: an IdP that never answers fails the request after
// FetchTimeout, and the failure counts for the backoff.
func TestFetchTimeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newInProcessEnv(t, nil, func(o *oidc.Options) { o.FetchTimeout = 2 * time.Second })
		e.idp.set(func(f *fakeIdP) { f.gate = make(chan struct{}) }) // never opens
		tok := e.token(t, e.rsa, nil)
		start := time.Now()
		_, err := e.verifier.Verify(context.Background(), tok)
		if !errors.Is(err, oidc.ErrIdPUnavailable) || !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Verify = %v, want ErrIdPUnavailable from a deadline", err)
		}
		if d := time.Since(start); d != 2*time.Second {
			t.Errorf("failed after %s, want the 2s fetch timeout", d)
		}
		if _, err := e.verifier.Verify(context.Background(), tok); !errors.Is(err, oidc.ErrIdPUnavailable) {
			t.Fatalf("second Verify = %v, want ErrIdPUnavailable", err)
		}
		if time.Since(start) != 2*time.Second {
			t.Error("the second request waited for the IdP during the backoff")
		}
		wantHits(t, e, 1, 1)
	})
}
