package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// Options are Store's optional settings; nil means all defaults.
type Options struct {
	// Now is the clock (default time.Now). Tests inject one to move items
	// past their TTL without waiting.
	Now func() time.Time
}

// DefaultSpendRetention is how long a spend record lives when it sets no
// ExpiresAt (general_settings.maximum_spend_logs_retention_period sets it
// per record: ratelimit.Options.SpendRetention).
const DefaultSpendRetention = 400 * 24 * time.Hour

// Store is Tollgate's persistence: keys, users, teams, sessions and their
// messages, counters and leases, cooldowns, spend records and the response
// cache, over a Driver (embedded or DynamoDB). It is safe for concurrent
// use. Services declare interfaces with the methods they call, and a *Store
// satisfies them.
type Store struct {
	d   Driver
	now func() time.Time
}

// New returns a Store over d.
func New(d Driver, opts *Options) *Store {
	s := &Store{d: d, now: time.Now}
	if opts != nil && opts.Now != nil {
		s.now = opts.Now
	}
	return s
}

// Close releases the driver.
func (s *Store) Close() error { return s.d.Close() }

// Page asks for one page of a listing.
type Page struct {
	// Limit is the most items to return (default 100, at most 1000).
	Limit int
	// Cursor continues a previous listing ("" starts at the beginning).
	Cursor string
}

const (
	defaultPageLimit = 100
	maxPageLimit     = 1000
)

func (p Page) limit() int {
	switch {
	case p.Limit <= 0:
		return defaultPageLimit
	case p.Limit > maxPageLimit:
		return maxPageLimit
	}
	return p.Limit
}

// unix is the store's clock in epoch seconds.
func (s *Store) unix() int64 { return s.now().Unix() }

// get returns the live item with the key, or ErrNotFound.
func (s *Store) get(ctx context.Context, t Table, pk, sk string) (*Item, error) {
	it, err := s.d.Get(ctx, t, pk, sk)
	if err != nil {
		return nil, err
	}
	if !it.Live(s.unix()) {
		return nil, ErrNotFound
	}
	return it, nil
}

// query returns one page of live items, fetching more driver pages when
// expired items were dropped, so a page is short only at the end.
func (s *Store) query(ctx context.Context, q Query, p Page) ([]*Item, string, error) {
	want := p.limit()
	q.Cursor = p.Cursor
	var out []*Item
	for {
		q.Limit = want - len(out)
		items, next, err := s.d.Query(ctx, &q)
		if err != nil {
			return nil, "", err
		}
		now := s.unix()
		for _, it := range items {
			if it.Live(now) {
				out = append(out, it)
			}
		}
		if next == "" || len(out) >= want {
			return out, next, nil
		}
		q.Cursor = next
	}
}

// queryAll returns every live item of a query.
func (s *Store) queryAll(ctx context.Context, q Query) ([]*Item, error) {
	var all []*Item
	p := Page{Limit: maxPageLimit}
	for {
		items, next, err := s.query(ctx, q, p)
		if err != nil {
			return nil, err
		}
		all = append(all, items...)
		if next == "" {
			return all, nil
		}
		p.Cursor = next
	}
}

// write runs ws all-or-none. A failed condition becomes ErrConflict, or
// ErrNotFound when the write needed a live item and there was none.
func (s *Store) write(ctx context.Context, ws ...*Write) error {
	err := s.d.Write(ctx, s.unix(), ws)
	if cf, ok := asCondFailed(err); ok {
		w := ws[cf.Index]
		if (w.Cond.Kind == CondLive || w.Cond.Kind == CondVersion) && !itemVisible(cf.Item, s.unix(), w.Cond.Owner) {
			return fmt.Errorf("%w: %s", ErrNotFound, describe(w.Item))
		}
		return fmt.Errorf("%w: %s", ErrConflict, describe(w.Item))
	}
	return err
}

// itemVisible reports whether it is live and, when owner is set, owned by
// owner.
func itemVisible(it *Item, now int64, owner string) bool {
	return it != nil && it.Live(now) && (owner == "" || it.Owner == owner)
}

func describe(it *Item) string {
	if it.SK == "" {
		return fmt.Sprintf("%s item %s", it.Table, it.PK)
	}
	return fmt.Sprintf("%s item %s/%s", it.Table, it.PK, it.SK)
}

// maxDoc keeps an item (doc plus keys and attributes) under DynamoDB's
// 400 KB item limit.
const maxDoc = 390 << 10

func encode(v any) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("encoding record: %w", err)
	}
	return b, checkDocSize(b)
}

// checkDocSize refuses an encoded record over maxDoc.
func checkDocSize(b []byte) error {
	if len(b) > maxDoc {
		return fmt.Errorf("%w: record is %d bytes, the limit is %d", ErrTooLarge, len(b), maxDoc)
	}
	return nil
}

func decode(it *Item, v any) error {
	if err := json.Unmarshal(it.Doc, v); err != nil {
		return fmt.Errorf("decoding %s: %w", describe(it), err)
	}
	return nil
}

// notFound reports whether err means the record is not there.
func notFound(err error) bool { return errors.Is(err, ErrNotFound) }
