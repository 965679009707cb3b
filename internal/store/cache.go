package store

import (
	"context"
	"fmt"
	"time"
)

// CacheItem is one response-cache entry. Key is the caller's canonical,
// tenant-scoped request hash; Value is stored as given (the cache service
// compresses it).
type CacheItem struct {
	Key       string
	Value     []byte
	ExpiresAt time.Time
}

func checkCacheKey(key string) error {
	if err := checkCounter(key); err != nil {
		return invalid("cache key: %v", err)
	}
	return nil
}

// GetCache returns the live entry, or ErrNotFound.
func (s *Store) GetCache(ctx context.Context, key string) (*CacheItem, error) {
	if err := checkCacheKey(key); err != nil {
		return nil, fmt.Errorf("reading cache: %w", err)
	}
	it, err := s.get(ctx, CacheTable, pkCache(key), "")
	if err != nil {
		return nil, fmt.Errorf("reading cache: %w", err)
	}
	return &CacheItem{Key: key, Value: it.Doc, ExpiresAt: timeOfTTL(it.TTL)}, nil
}

// PutCache stores an entry, replacing any other. ExpiresAt is required;
// ErrTooLarge if the value does not fit in one item.
func (s *Store) PutCache(ctx context.Context, c *CacheItem) error {
	if err := checkCacheKey(c.Key); err != nil {
		return fmt.Errorf("writing cache: %w", err)
	}
	if c.ExpiresAt.IsZero() {
		return fmt.Errorf("writing cache: %w", invalid("cache item has no expiry"))
	}
	if len(c.Value) > maxDoc {
		return fmt.Errorf("writing cache: %w: value is %d bytes, the limit is %d", ErrTooLarge, len(c.Value), maxDoc)
	}
	it := &Item{Table: CacheTable, PK: pkCache(c.Key), TTL: ttlOf(c.ExpiresAt), Doc: c.Value}
	if err := s.write(ctx, &Write{Kind: WritePut, Item: it}); err != nil {
		return fmt.Errorf("writing cache: %w", err)
	}
	return nil
}

// DeleteCache removes an entry (no error if there is none).
func (s *Store) DeleteCache(ctx context.Context, key string) error {
	if err := checkCacheKey(key); err != nil {
		return fmt.Errorf("deleting cache: %w", err)
	}
	if err := s.write(ctx, &Write{Kind: WriteDelete, Item: &Item{Table: CacheTable, PK: pkCache(key)}}); err != nil {
		return fmt.Errorf("deleting cache: %w", err)
	}
	return nil
}
