package auth_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tollgate-gw/tollgate/internal/auth"
	"github.com/tollgate-gw/tollgate/internal/store"
)

// memStore is a KeyStore over maps that counts reads and can fail.
type memStore struct {
	mu    sync.Mutex
	keys  map[string]*store.Key
	users map[string]*store.User
	reads int
	down  bool
	// afterRead, when set, runs after GetKey has read its record and
	// before it returns it (outside the lock): tests hold a read there.
	afterRead func()
}

func (m *memStore) GetKey(_ context.Context, hash string) (*store.Key, error) {
	m.mu.Lock()
	m.reads++
	hook := m.afterRead
	var k *store.Key
	err := store.ErrNotFound
	switch rec, ok := m.keys[hash]; {
	case m.down:
		err = store.ErrUnavailable
	case ok:
		c := *rec
		k, err = &c, nil
	}
	m.mu.Unlock()
	if hook != nil {
		hook()
	}
	return k, err
}

func (m *memStore) readCount() int { m.mu.Lock(); defer m.mu.Unlock(); return m.reads }

func (m *memStore) GetUser(_ context.Context, id string) (*store.User, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if u, ok := m.users[id]; ok {
		c := *u
		return &c, nil
	}
	return nil, store.ErrNotFound
}

func (m *memStore) GetTeam(context.Context, string) (*store.Team, error) {
	return nil, store.ErrNotFound
}

func (m *memStore) UserTeams(context.Context, string) ([]store.Member, error) { return nil, nil }

func (m *memStore) GetOrganization(context.Context, string) (*store.Organization, error) {
	return nil, store.ErrNotFound
}

func (m *memStore) set(fn func()) { m.mu.Lock(); fn(); m.mu.Unlock() }

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
	ms := &memStore{keys: map[string]*store.Key{hash: {Hash: hash, KeyName: store.KeyName(key), UserID: "u"}},
		users: map[string]*store.User{"u": {UserID: "u", Role: "internal_user", Limits: store.Limits{Models: []string{"m"}}}}}
	c := &clock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	here := auth.NewKeys(ms, &auth.KeysOptions{Now: c.now})
	there := auth.NewKeys(ms, &auth.KeysOptions{Now: c.now})
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
	reads := ms.reads
	if _, err := authHere.Authenticate(context.Background(), req(key)); err != nil || ms.reads != reads {
		t.Fatalf("warm lookup read the store (%d reads) or failed: %v", ms.reads-reads, err)
	}

	ms.set(func() { ms.keys[hash].Blocked = true })
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
	ms := &memStore{keys: map[string]*store.Key{hash: {Hash: hash, KeyName: store.KeyName(key)}}}
	entered, release := make(chan struct{}), make(chan struct{})
	ms.afterRead = func() { close(entered); <-release }
	a := auth.NewAuthenticator(auth.NewMasterKey("master"), nil, auth.NewKeys(ms, nil), nil)

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
	ms := &memStore{keys: map[string]*store.Key{hash: {Hash: hash, KeyName: store.KeyName(key)}}}
	keys := auth.NewKeys(ms, &auth.KeysOptions{TTL: time.Hour})
	a := auth.NewAuthenticator(auth.NewMasterKey("master"), nil, keys, nil)
	entered, release := make(chan struct{}), make(chan struct{})
	ms.afterRead = func() { close(entered); <-release }

	stale := make(chan error, 1)
	go func() { _, err := a.Authenticate(context.Background(), req(key)); stale <- err }()
	<-entered // the lookup has read the unblocked key
	ms.set(func() {
		ms.keys[hash].Blocked = true
		ms.afterRead = nil
	})
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
	ms := &memStore{keys: map[string]*store.Key{hash: {Hash: hash, KeyName: store.KeyName(key)}}}
	a := auth.NewAuthenticator(auth.NewMasterKey("master"), nil, auth.NewKeys(ms, &auth.KeysOptions{MaxEntries: 8}), nil)
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
	ms := &memStore{keys: map[string]*store.Key{}, users: map[string]*store.User{"u": {UserID: "u"}}}
	for k, rec := range map[string]store.Key{ok: {UserID: "u"}, blocked: {UserID: "u", Blocked: true},
		expired: {UserID: "u", Expires: &past}, orphan: {UserID: "gone"}, service: {Limits: store.Limits{Models: []string{"m"}}}} {
		rec.Hash, rec.KeyName = store.HashKey(k), store.KeyName(k)
		ms.keys[rec.Hash] = &rec
	}
	a := auth.NewAuthenticator(auth.NewMasterKey("master"), nil, auth.NewKeys(ms, &auth.KeysOptions{TTL: -1}), nil)
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
			before := ms.reads
			_, err := a.Authenticate(context.Background(), req(tt.key))
			if !errors.Is(err, tt.is) || !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("got %v, want %v containing %q", err, tt.is, tt.msg)
			}
			if tt.key == "sk-wrong" && ms.reads != before {
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
