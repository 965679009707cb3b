package auth_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tollgate-gw/tollgate/internal/auth"
	"github.com/tollgate-gw/tollgate/internal/store"
	"github.com/tollgate-gw/tollgate/internal/store/embedded"
)

// memStore is the embedded store over a driver that counts key reads, can
// fail every read (down) and can hold a key read once it has read its
// record (afterRead, run outside the lock: tests hold a read there).
type memStore struct {
	*store.Store
	raw *store.Store // the same data, read and written without the hooks

	mu        sync.Mutex
	reads     int
	down      bool
	afterRead func()
}

// newMemStore opens a store holding keys and users.
func newMemStore(t testing.TB, keys []*store.Key, users ...*store.User) *memStore {
	t.Helper()
	d, err := embedded.OpenDriver(t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	m := &memStore{raw: store.New(d, nil)}
	m.Store = store.New(&watchedDriver{Driver: d, m: m}, nil)
	ctx := context.Background()
	for _, u := range users {
		if err := m.raw.CreateUser(ctx, u); err != nil {
			t.Fatal(err)
		}
	}
	for _, k := range keys {
		if err := m.raw.CreateKey(ctx, k); err != nil {
			t.Fatal(err)
		}
	}
	return m
}

// watchedDriver is the driver under memStore's hooks.
type watchedDriver struct {
	store.Driver
	m *memStore
}

func (w *watchedDriver) Get(ctx context.Context, t store.Table, pk, sk string) (*store.Item, error) {
	m := w.m
	isKey := t == store.StateTable && strings.HasPrefix(pk, "KEY#") && sk == "KEY"
	m.mu.Lock()
	down := m.down
	var hook func()
	if isKey {
		m.reads++
		hook = m.afterRead
	}
	m.mu.Unlock()
	if down {
		return nil, fmt.Errorf("%w: throttled", store.ErrUnavailable)
	}
	it, err := w.Driver.Get(ctx, t, pk, sk)
	if hook != nil {
		hook()
	}
	return it, err
}

func (m *memStore) readCount() int { m.mu.Lock(); defer m.mu.Unlock(); return m.reads }

func (m *memStore) set(fn func()) { m.mu.Lock(); fn(); m.mu.Unlock() }

// block blocks the key with hash behind the hooks' back.
func (m *memStore) block(t *testing.T, hash string) {
	t.Helper()
	ctx := context.Background()
	k, err := m.raw.GetKey(ctx, hash)
	if err != nil {
		t.Fatal(err)
	}
	k.Blocked = true
	if err := m.raw.UpdateKey(ctx, k); err != nil {
		t.Fatal(err)
	}
}

type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func req(key string) *http.Request {
	r, _ := http.NewRequest("GET", "/", nil)
	if key != "" {
		r.Header.Set("Authorization", "Bearer "+key)
	}
	return r
}

func TestNewKeyShape(t *testing.T) {
	a, b := auth.NewKey(), auth.NewKey()
	if a == b || !strings.HasPrefix(a, "sk-") || len(a) != 46 || !auth.LooksLikeKey(a) {
		t.Fatalf("keys %q %q", a, b)
	}
	for _, s := range []string{"", "sk-", "sk-short", a[:45], a + "x", "pk-" + a[3:], a[:10] + "!" + a[11:]} {
		if auth.LooksLikeKey(s) {
			t.Errorf("LooksLikeKey(%q)", s)
		}
	}
}

// TestKeyCacheBound: two containers share a store. A block made in one is
// seen there at once (invalidation) and in the other once its entry
// expires, never later than the TTL.
func TestKeyCacheBound(t *testing.T) {
	key := auth.NewKey()
	hash := store.HashKey(key)
	ms := newMemStore(t, []*store.Key{{Hash: hash, KeyName: store.KeyName(key), UserID: "u"}},
		&store.User{UserID: "u", Role: "internal_user", Limits: store.Limits{Models: []string{"m"}}})
	c := &clock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	here := auth.NewKeys(ms.Store, &auth.KeysOptions{Now: c.now})
	there := auth.NewKeys(ms.Store, &auth.KeysOptions{Now: c.now})
	authHere := auth.NewAuthenticator(auth.NewMasterKey("master"), nil, here, nil)
	authThere := auth.NewAuthenticator(auth.NewMasterKey("master"), nil, there, nil)

	for _, a := range []*auth.Authenticator{authHere, authThere} {
		p, err := a.Authenticate(context.Background(), req(key))
		if err != nil {
			t.Fatal(err)
		}
		if p.UserID != "u" || p.Role != auth.RoleInternalUser || p.KeyHash != hash || len(p.Scopes) != 1 || p.Scopes[0].Level != "user" {
			t.Fatalf("principal %+v", p)
		}
	}
	reads := ms.readCount()
	if _, err := authHere.Authenticate(context.Background(), req(key)); err != nil || ms.readCount() != reads {
		t.Fatalf("warm lookup read the store (%d reads) or failed: %v", ms.readCount()-reads, err)
	}

	ms.block(t, hash)
	here.InvalidateKey(hash)
	if _, err := authHere.Authenticate(context.Background(), req(key)); !errors.Is(err, auth.ErrInvalidKey) || !strings.Contains(err.Error(), "is blocked") {
		t.Errorf("after block, same container: %v", err)
	}
	c.t = c.t.Add(auth.DefaultKeyCacheTTL - time.Millisecond)
	if _, err := authThere.Authenticate(context.Background(), req(key)); err != nil {
		t.Errorf("within the TTL another container may still accept: %v", err)
	}
	c.t = c.t.Add(time.Millisecond)
	if _, err := authThere.Authenticate(context.Background(), req(key)); err == nil || !strings.Contains(err.Error(), "is blocked") {
		t.Errorf("at the TTL every container refuses: %v", err)
	}
}

// TestKeyCacheConcurrentMisses: callers missing the same key at once cost
// one store read.
func TestKeyCacheConcurrentMisses(t *testing.T) {
	key := auth.NewKey()
	hash := store.HashKey(key)
	ms := newMemStore(t, []*store.Key{{Hash: hash, KeyName: store.KeyName(key)}})
	entered, release := make(chan struct{}), make(chan struct{})
	ms.set(func() { ms.afterRead = func() { close(entered); <-release } })
	a := auth.NewAuthenticator(auth.NewMasterKey("master"), nil, auth.NewKeys(ms.Store, nil), nil)

	const callers = 20
	errs := make(chan error, callers)
	go func() { _, err := a.Authenticate(context.Background(), req(key)); errs <- err }()
	<-entered // the first caller's read is in the store
	ms.set(func() { ms.afterRead = nil })
	var joined sync.WaitGroup
	for range callers - 1 {
		joined.Go(func() { _, err := a.Authenticate(context.Background(), req(key)); errs <- err })
	}
	close(release)
	joined.Wait()
	for range callers {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	// The others joined the first read, or found its cached entry.
	if n := ms.readCount(); n != 1 {
		t.Errorf("%d store reads for %d concurrent callers, want 1", n, callers)
	}
}

// TestKeyCacheInvalidationDuringLookup: a key blocked (and invalidated)
// while a lookup of it is in flight is refused by the next request: the
// lookup, which read the key before the block, must not put it back in the
// cache, and a caller arriving after the invalidation must not join it.
func TestKeyCacheInvalidationDuringLookup(t *testing.T) {
	key := auth.NewKey()
	hash := store.HashKey(key)
	ms := newMemStore(t, []*store.Key{{Hash: hash, KeyName: store.KeyName(key)}})
	keys := auth.NewKeys(ms.Store, &auth.KeysOptions{TTL: time.Hour})
	a := auth.NewAuthenticator(auth.NewMasterKey("master"), nil, keys, nil)
	entered, release := make(chan struct{}), make(chan struct{})
	ms.set(func() { ms.afterRead = func() { close(entered); <-release } })

	stale := make(chan error, 1)
	go func() { _, err := a.Authenticate(context.Background(), req(key)); stale <- err }()
	<-entered // the lookup has read the unblocked key
	ms.set(func() { ms.afterRead = nil })
	ms.block(t, hash)
	keys.InvalidateKey(hash)

	if _, err := a.Authenticate(context.Background(), req(key)); err == nil || !strings.Contains(err.Error(), "is blocked") {
		t.Errorf("a caller after the invalidation joined the stale lookup: %v", err)
	}
	close(release)
	if err := <-stale; err != nil {
		t.Fatalf("the lookup in flight: %v", err) // it read before the block
	}
	if _, err := a.Authenticate(context.Background(), req(key)); err == nil || !strings.Contains(err.Error(), "is blocked") {
		t.Errorf("the stale lookup was cached: %v", err)
	}
}

// TestKeyCacheJunkCannotFlush: a flood of well-formed but unknown keys
// never evicts the keys that exist: misses live in a cache of their own.
func TestKeyCacheJunkCannotFlush(t *testing.T) {
	key := auth.NewKey()
	hash := store.HashKey(key)
	ms := newMemStore(t, []*store.Key{{Hash: hash, KeyName: store.KeyName(key)}})
	a := auth.NewAuthenticator(auth.NewMasterKey("master"), nil, auth.NewKeys(ms.Store, &auth.KeysOptions{MaxEntries: 8}), nil)
	if _, err := a.Authenticate(context.Background(), req(key)); err != nil {
		t.Fatal(err)
	}
	for range 100 {
		if _, err := a.Authenticate(context.Background(), req(auth.NewKey())); !errors.Is(err, auth.ErrInvalidKey) {
			t.Fatalf("junk key: %v", err)
		}
	}
	before := ms.readCount()
	if _, err := a.Authenticate(context.Background(), req(key)); err != nil {
		t.Fatal(err)
	}
	if ms.readCount() != before {
		t.Error("100 junk keys flushed a real key from the cache")
	}
}

func TestAuthenticatorRefusals(t *testing.T) {
	ok, blocked, expired, orphan, service := auth.NewKey(), auth.NewKey(), auth.NewKey(), auth.NewKey(), auth.NewKey()
	past := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	var keys []*store.Key
	for k, rec := range map[string]store.Key{ok: {UserID: "u"}, blocked: {UserID: "u", Blocked: true},
		expired: {UserID: "u", Expires: &past}, orphan: {UserID: "gone"}, service: {Limits: store.Limits{Models: []string{"m"}}}} {
		rec.Hash, rec.KeyName = store.HashKey(k), store.KeyName(k)
		keys = append(keys, &rec)
	}
	ms := newMemStore(t, keys, &store.User{UserID: "u"})
	a := auth.NewAuthenticator(auth.NewMasterKey("master"), nil, auth.NewKeys(ms.Store, &auth.KeysOptions{TTL: -1}), nil)
	tests := []struct {
		name, key string
		is        error
		msg       string
	}{
		{"missing", "", auth.ErrMissingKey, "no API key"},
		{"junk never reaches the store", "sk-wrong", auth.ErrInvalidKey, "invalid API key"},
		{"unknown", auth.NewKey(), auth.ErrInvalidKey, "invalid API key"},
		{"blocked", blocked, auth.ErrInvalidKey, "is blocked"},
		{"expired", expired, auth.ErrInvalidKey, "expired at 2025-01-01T00:00:00Z"},
		{"user gone", orphan, auth.ErrInvalidKey, "no longer exists"},
		{"jwt without issuer", "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.", auth.ErrInvalidKey, "not configured"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := ms.readCount()
			_, err := a.Authenticate(context.Background(), req(tt.key))
			if !errors.Is(err, tt.is) || !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("got %v, want %v containing %q", err, tt.is, tt.msg)
			}
			if tt.key == "sk-wrong" && ms.readCount() != before {
				t.Error("a malformed key was looked up")
			}
		})
	}
	p, err := a.Authenticate(context.Background(), req(service))
	if err != nil || !p.IsService() || p.Role != "" || p.Scopes[0].Level != "key" {
		t.Errorf("service key: %+v %v", p, err)
	}
	if p, err := a.Authenticate(context.Background(), req("master")); err != nil || !p.IsAdmin() || p.Kind != auth.KindMaster {
		t.Errorf("master: %+v %v", p, err)
	}
	ms.set(func() { ms.down = true })
	if _, err := a.Authenticate(context.Background(), req(ok)); !errors.Is(err, auth.ErrUnavailable) {
		t.Errorf("store down: %v", err)
	}
}
