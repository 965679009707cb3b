// Package cache is the exact-match response cache (litellm_settings.cache
// and cache_params): a response is stored under a canonical hash of the
// request (call type, model group and every parameter that affects the
// output), scoped per tenant unless configured otherwise, with a TTL, in
// the store's cache table (DynamoDB, or the embedded store locally).
//
// Values are compressed when that helps; one that does not fit in one
// store item even compressed is skipped with a log line, never failing the
// request. Per-request controls follow LiteLLM's `cache` object:
// no-cache (do not read), no-store (do not write), ttl, s-maxage (only
// accept entries this young), namespace, and use-cache (opt in when the
// mode is default_off).
package cache

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"time"

	"github.com/tollgate-gw/tollgate/internal/store"
)

// Call types, in LiteLLM's spelling (supported_call_types).
const (
	Completion = "acompletion"
	Embedding  = "aembedding"
	Image      = "aimage_generation"
)

// Config is cache_params, as far as the DynamoDB cache uses it.
type Config struct {
	// TTL is the default entry lifetime (default DefaultTTL).
	TTL time.Duration
	// Namespace prefixes every key.
	Namespace string
	// CallTypes limits caching to these call types (LiteLLM's names,
	// with or without the leading "a"); empty means all.
	CallTypes []string
	// DefaultOff makes caching opt-in per request (mode: default_off).
	DefaultOff bool
	// Shared drops the per-tenant scope: identical requests of different
	// tenants share entries.
	Shared bool
	// MaxItemBytes is the largest stored value (default MaxItemBytes).
	MaxItemBytes int
}

// Defaults.
const (
	DefaultTTL = 10 * time.Minute
	// MaxItemBytes leaves room under DynamoDB's 400 KB item limit for the
	// item's key and attributes.
	MaxItemBytes = 390 << 10
	// compressAbove is the size from which values are compressed.
	compressAbove = 1 << 10
)

// Cache reads and writes cached responses.
type Cache struct {
	st     *store.Store
	cfg    Config
	now    func() time.Time
	logger *slog.Logger
}

// New returns a cache kept in st.
func New(st *store.Store, cfg Config, now func() time.Time, logger *slog.Logger) *Cache {
	if cfg.TTL <= 0 {
		cfg.TTL = DefaultTTL
	}
	if cfg.MaxItemBytes <= 0 {
		cfg.MaxItemBytes = MaxItemBytes
	}
	if now == nil {
		now = time.Now
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Cache{st: st, cfg: cfg, now: now, logger: logger}
}

// Controls are one request's cache controls.
type Controls struct {
	NoCache, NoStore bool
	// TTL overrides the entry lifetime; SMaxAge accepts only entries at
	// most this old.
	TTL, SMaxAge time.Duration
	Namespace    string
	// UseCache opts in when the mode is default_off.
	UseCache bool
}

// ParseControls reads LiteLLM's `cache` request object; anything it does
// not understand is ignored (it is a hint, never a reason to fail).
func ParseControls(raw json.RawMessage) Controls {
	var c Controls
	if len(raw) == 0 {
		return c
	}
	var m map[string]json.RawMessage
	if json.Unmarshal(raw, &m) != nil {
		return c
	}
	flag := func(k string) bool {
		var b bool
		_ = json.Unmarshal(m[k], &b)
		return b
	}
	secs := func(k string) time.Duration {
		var f float64
		if json.Unmarshal(m[k], &f) != nil || f <= 0 {
			return 0
		}
		return time.Duration(f * float64(time.Second))
	}
	c.NoCache, c.NoStore, c.UseCache = flag("no-cache"), flag("no-store"), flag("use-cache")
	c.TTL, c.SMaxAge = secs("ttl"), secs("s-maxage")
	_ = json.Unmarshal(m["namespace"], &c.Namespace)
	return c
}

// Lookup is one request's view of the cache: nil when the request is not
// cached at all.
type Lookup struct {
	c   *Cache
	Key string
	ctl Controls
}

// For returns the lookup of one request, or nil when caching does not
// apply (call type not cached, mode default_off without use-cache).
// tenant scopes the key unless the cache is shared; parts are the
// canonical request (model group and every output-affecting parameter).
func (c *Cache) For(callType, tenant string, raw json.RawMessage, parts ...any) *Lookup {
	if c == nil {
		return nil
	}
	ctl := ParseControls(raw)
	if c.cfg.DefaultOff && !ctl.UseCache {
		return nil
	}
	if len(c.cfg.CallTypes) > 0 && !slices.Contains(c.cfg.CallTypes, callType) && !slices.Contains(c.cfg.CallTypes, callType[1:]) {
		return nil
	}
	ns := c.cfg.Namespace
	if ctl.Namespace != "" {
		ns = ctl.Namespace
	}
	if c.cfg.Shared {
		tenant = ""
	}
	h := sha256.New()
	enc := json.NewEncoder(h)
	_ = enc.Encode([]any{"v1", ns, tenant, callType})
	for _, p := range parts {
		if err := enc.Encode(p); err != nil {
			return nil // not canonicalisable: do not cache
		}
	}
	key := hex.EncodeToString(h.Sum(nil))
	if ns != "" {
		key = ns + ":" + key
	}
	return &Lookup{c: c, Key: key, ctl: ctl}
}

// Get returns the cached value, honouring no-cache and s-maxage; a store
// error is a miss (logged).
func (l *Lookup) Get(ctx context.Context) ([]byte, bool) {
	if l == nil || l.ctl.NoCache {
		return nil, false
	}
	it, err := l.c.st.GetCache(ctx, l.Key)
	if errors.Is(err, store.ErrNotFound) {
		return nil, false
	}
	if err != nil {
		l.c.logger.WarnContext(ctx, "reading the response cache", "error", err.Error())
		return nil, false
	}
	if !it.ExpiresAt.IsZero() && !l.c.now().Before(it.ExpiresAt) {
		return nil, false // the store filters by its own clock; ours may run ahead
	}
	stored, v, err := unpack(it.Value)
	if err != nil {
		l.c.logger.WarnContext(ctx, "unreadable response cache entry", "error", err.Error())
		return nil, false
	}
	if l.ctl.SMaxAge > 0 && l.c.now().Sub(stored) > l.ctl.SMaxAge {
		return nil, false
	}
	return v, true
}

// Put stores a value, honouring no-store and ttl. It never fails the
// request: a value too large even compressed, or a store error, is logged
// and skipped.
func (l *Lookup) Put(ctx context.Context, value []byte) {
	if l == nil || l.ctl.NoStore {
		return
	}
	ttl := l.c.cfg.TTL
	if l.ctl.TTL > 0 {
		ttl = l.ctl.TTL
	}
	now := l.c.now()
	v := pack(now, value)
	if len(v) > l.c.cfg.MaxItemBytes {
		l.c.logger.InfoContext(ctx, "response too large to cache", "bytes", len(value), "stored_bytes", len(v), "limit", l.c.cfg.MaxItemBytes)
		return
	}
	if err := l.c.st.PutCache(ctx, &store.CacheItem{Key: l.Key, Value: v, ExpiresAt: now.Add(ttl)}); err != nil {
		l.c.logger.WarnContext(ctx, "writing the response cache", "error", err.Error())
	}
}

// Entry format: one format byte ('r' raw, 'z' gzip), the store time in
// Unix nanoseconds (8 bytes, big-endian), then the value.
func pack(at time.Time, v []byte) []byte {
	head := make([]byte, 9, 9+len(v))
	binary.BigEndian.PutUint64(head[1:], uint64(at.UnixNano()))
	if len(v) >= compressAbove {
		var buf bytes.Buffer
		buf.Write(head)
		zw, _ := gzip.NewWriterLevel(&buf, gzip.BestSpeed)
		_, _ = zw.Write(v)
		_ = zw.Close()
		if out := buf.Bytes(); len(out) < len(v)+9 {
			out[0] = 'z'
			return out
		}
	}
	head[0] = 'r'
	return append(head, v...)
}

func unpack(b []byte) (time.Time, []byte, error) {
	if len(b) < 9 {
		return time.Time{}, nil, fmt.Errorf("entry of %d bytes", len(b))
	}
	at := time.Unix(0, int64(binary.BigEndian.Uint64(b[1:9])))
	switch b[0] {
	case 'r':
		return at, b[9:], nil
	case 'z':
		zr, err := gzip.NewReader(bytes.NewReader(b[9:]))
		if err != nil {
			return at, nil, err
		}
		v, err := io.ReadAll(zr)
		return at, v, err
	}
	return at, nil, fmt.Errorf("unknown entry format %q", b[0])
}
