package store

import (
	"context"
	"errors"
	"fmt"
)

// deferKey marks a context whose writes no client is waiting for.
type deferKey struct{}

// WithDeferredCommit marks ctx's writes as ones no client is waiting for
// (the settle of a response already sent): a driver may hold them for a
// few milliseconds to commit them together with others, which on a local
// disk saves an fsync per request. The caller still learns each write's
// outcome when its call returns.
func WithDeferredCommit(ctx context.Context) context.Context {
	return context.WithValue(ctx, deferKey{}, true)
}

// DeferredCommit reports whether ctx's writes may be held (WithDeferredCommit).
func DeferredCommit(ctx context.Context) bool {
	v, _ := ctx.Value(deferKey{}).(bool)
	return v
}

// Driver is what a backend implements: a small item store with the key
// schema of Tollgate's three DynamoDB tables (pk/sk plus up to three global
// secondary indexes, a ttl attribute), conditional writes, atomic counters
// and all-or-none multi-item writes. Everything that gives items a meaning
// (key layout, record encoding, validation, TTL filtering, error
// classification) lives once in Store, so a driver never needs to change
// when an aggregate is added.
//
// Drivers return items as stored, expired or not: Store decides what is
// live. Times are epoch seconds, passed in as now so that tests drive
// expiry with a clock instead of waiting.
type Driver interface {
	// Get returns the item with the given key, or an error wrapping
	// ErrNotFound.
	Get(ctx context.Context, t Table, pk, sk string) (*Item, error)
	// Query returns up to q.Limit items of one partition in sort-key order,
	// and a cursor to pass back for the next page ("" when there is none).
	Query(ctx context.Context, q *Query) ([]*Item, string, error)
	// Write applies every write or none. When a condition fails it returns
	// a *CondFailed naming the first write whose condition failed.
	// Writes never touch the same item twice (Store merges them).
	Write(ctx context.Context, now int64, ws []*Write) error
	// Update applies one WriteAdd and returns the item as it is afterwards.
	Update(ctx context.Context, now int64, w *Write) (*Item, error)
	// Close releases the driver's resources.
	Close() error
}

// Table names one of Tollgate's tables.
type Table int

// Tables.
const (
	// StateTable holds keys, users, teams, members, sessions, messages,
	// counters, leases and cooldowns (pk, sk, gsi1).
	StateTable Table = iota
	// SpendTable holds spend records (pk, sk, gsi1..gsi3).
	SpendTable
	// CacheTable holds response cache items (pk only; sk is always "").
	CacheTable
)

func (t Table) String() string {
	switch t {
	case StateTable:
		return "state"
	case SpendTable:
		return "spend"
	case CacheTable:
		return "cache"
	}
	return fmt.Sprintf("table(%d)", int(t))
}

// Indexes is the number of global secondary indexes a table may have.
const Indexes = 3

// IndexKey is an item's key in one global secondary index; an item with an
// empty PK is not in that index (a sparse index).
type IndexKey struct {
	PK, SK string
}

// Item is one stored item.
type Item struct {
	Table Table
	PK    string
	// SK is "" on the cache table, which has no sort key.
	SK string
	// Index holds the item's keys in gsi1..gsi3.
	Index [Indexes]IndexKey
	// TTL is the expiry in epoch seconds; 0 means the item never expires.
	// An item is live while now < TTL.
	TTL int64
	// Version is the optimistic-concurrency version of mutable records.
	Version int64
	// Owner is checked by writes whose Cond names an owner (sessions).
	Owner string
	// Doc is the encoded record.
	Doc []byte
	// Counts are atomic counters, by field name.
	Counts map[string]int64
	// Holders are the leases on the item: holder id → expiry (epoch s).
	Holders map[string]int64
}

// Live reports whether the item has not expired at now.
func (it *Item) Live(now int64) bool { return it.TTL == 0 || now < it.TTL }

// Query selects items of one partition of a table or index.
type Query struct {
	Table Table
	// Index is 0 for the table itself, or 1..3 for gsi1..gsi3.
	Index int
	PK    string
	// Prefix keeps sort keys that begin with it. It excludes From/To.
	Prefix string
	// From and To bound sort keys, both inclusive; "" is unbounded.
	From, To string
	// Limit is the page size (> 0).
	Limit  int
	Cursor string
}

// WriteKind is what a Write does.
type WriteKind int

// Write kinds.
const (
	// WritePut replaces the whole item with Write.Item.
	WritePut WriteKind = iota + 1
	// WriteDelete removes the item.
	WriteDelete
	// WriteCheck only checks Cond.
	WriteCheck
	// WriteAdd adds Adds to the item's counters (a missing or expired
	// item counts from zero) and sets its TTL to Expires when non-zero.
	// It keeps the item's other attributes.
	WriteAdd
	// WriteAcquire adds Holder to the item's holders, with its lease
	// lasting until Expires, unless MaxHolders live leases are already held
	// or Holder already holds one (holder ids are unique per lease). It
	// drops expired holders and sets the item's TTL to Expires.
	WriteAcquire
	// WriteRelease removes Holder from the item's holders; releasing a
	// lease that is not held (expired, released, never acquired) is a
	// no-op that never fails.
	WriteRelease
)

// CondKind is the condition a write makes on the item's current state.
type CondKind int

// Conditions. Expired items count as absent in every condition.
const (
	CondNone CondKind = iota
	// CondAbsent: no live item has this key.
	CondAbsent
	// CondLive: a live item has this key.
	CondLive
	// CondVersion: a live item with Version == Cond.Version has this key.
	CondVersion
)

// Cond is a write's condition.
type Cond struct {
	Kind    CondKind
	Version int64
	// Owner, when set with CondLive or CondVersion, also requires the
	// item's Owner to equal it.
	Owner string
}

// FieldAdd is one counter change of a WriteAdd.
type FieldAdd struct {
	Field string
	Delta int64
	// AtMost, when set, refuses the write unless the field's current value
	// (0 when missing or expired) is ≤ *AtMost.
	AtMost *int64
}

// Write is one write of a Driver.Write call.
type Write struct {
	Kind WriteKind
	// Item holds the key (Table, PK, SK) for every kind and the whole new
	// item for WritePut.
	Item *Item
	Cond Cond
	// Adds are the counter changes of a WriteAdd.
	Adds []FieldAdd
	// Expires is the TTL set by WriteAdd and WriteAcquire (0: unchanged).
	Expires int64
	// Holder is the lease holder of WriteAcquire and WriteRelease; its
	// lease lasts until Expires.
	Holder     string
	MaxHolders int64
}

// CondFailed is returned by Driver.Write and Driver.Update when a write's
// condition (Cond, an AtMost bound or MaxHolders) failed.
type CondFailed struct {
	// Index is the position of the failed write.
	Index int
	// Item is the item as it was when the condition failed (nil if absent
	// or unknown).
	Item *Item
}

func (e *CondFailed) Error() string {
	return fmt.Sprintf("condition of write %d failed", e.Index)
}

// Is makes a CondFailed match ErrConflict.
func (e *CondFailed) Is(target error) bool { return target == ErrConflict }

// LiveHolders counts the holders whose lease has not expired at now.
func (it *Item) LiveHolders(now int64) int64 {
	var n int64
	for _, exp := range it.Holders {
		if now < exp {
			n++
		}
	}
	return n
}

// Check reports whether w's conditions hold against cur (the current item,
// nil when absent) at now. Drivers that evaluate conditions themselves
// (embedded) use it, so both backends share one definition of every
// condition; the DynamoDB driver expresses the same rules as condition
// expressions.
func (w *Write) Check(cur *Item, now int64) bool {
	if cur != nil && !cur.Live(now) {
		cur = nil
	}
	switch w.Cond.Kind {
	case CondAbsent:
		if cur != nil {
			return false
		}
	case CondLive, CondVersion:
		if cur == nil || (w.Cond.Owner != "" && cur.Owner != w.Cond.Owner) {
			return false
		}
		if w.Cond.Kind == CondVersion && cur.Version != w.Cond.Version {
			return false
		}
	}
	switch w.Kind {
	case WriteAdd:
		for _, a := range w.Adds {
			if a.AtMost == nil {
				continue
			}
			var v int64
			if cur != nil {
				v = cur.Counts[a.Field]
			}
			if v > *a.AtMost {
				return false
			}
		}
	case WriteAcquire:
		if cur != nil {
			if exp, ok := cur.Holders[w.Holder]; ok && now < exp {
				return false
			}
			if cur.LiveHolders(now) >= w.MaxHolders {
				return false
			}
		} else if w.MaxHolders < 1 {
			return false
		}
	}
	return true
}

// Apply returns the item that results from applying w to cur (nil when
// absent) at now, or nil when w deletes it. Check must have passed.
func (w *Write) Apply(cur *Item, now int64) *Item {
	if cur != nil && !cur.Live(now) {
		cur = nil
	}
	switch w.Kind {
	case WritePut:
		return w.Item.clone()
	case WriteDelete:
		return nil
	case WriteCheck:
		return cur
	case WriteRelease:
		if cur == nil {
			return nil
		}
		next := cur.clone()
		delete(next.Holders, w.Holder)
		return next
	}
	var next *Item
	if cur != nil {
		next = cur.clone()
	} else {
		next = &Item{Table: w.Item.Table, PK: w.Item.PK, SK: w.Item.SK}
	}
	switch w.Kind {
	case WriteAdd:
		if next.Counts == nil {
			next.Counts = map[string]int64{}
		}
		for _, a := range w.Adds {
			next.Counts[a.Field] += a.Delta
		}
	case WriteAcquire:
		if next.Holders == nil {
			next.Holders = map[string]int64{}
		}
		for h, exp := range next.Holders {
			if exp <= now {
				delete(next.Holders, h)
			}
		}
		next.Holders[w.Holder] = w.Expires
	}
	if w.Expires != 0 {
		next.TTL = w.Expires
	}
	return next
}

func (it *Item) clone() *Item {
	c := *it
	c.Doc = append([]byte(nil), it.Doc...)
	if it.Counts != nil {
		c.Counts = make(map[string]int64, len(it.Counts))
		for k, v := range it.Counts {
			c.Counts[k] = v
		}
	}
	if it.Holders != nil {
		c.Holders = make(map[string]int64, len(it.Holders))
		for k, v := range it.Holders {
			c.Holders[k] = v
		}
	}
	return &c
}

// Clone returns a deep copy of the item.
func (it *Item) Clone() *Item { return it.clone() }

// asCondFailed unwraps a driver's CondFailed.
func asCondFailed(err error) (*CondFailed, bool) {
	var cf *CondFailed
	ok := errors.As(err, &cf)
	return cf, ok
}
