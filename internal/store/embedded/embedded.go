// Package embedded is the single-file store for local mode: a store.Driver
// over bbolt (go.etcd.io/bbolt), one file under TOLLGATE_DATA_DIR. It keeps
// the same items, keys and indexes as the DynamoDB tables, so the two
// backends share every rule in package store and pass the same conformance
// suite. bbolt transactions are serializable (one writer at a time), which
// makes every multi-item write all-or-none and every counter exact.
//
// The file is locked by the process that opens it: one gateway process per
// data directory.
package embedded

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/tollgate-gw/tollgate/internal/store"
)

// FileName is the store's file inside the data directory.
const FileName = "tollgate.db"

// Options are the embedded driver's settings; nil means defaults.
type Options struct {
	// Store configures the portable store (clock, retention).
	Store *store.Options
	// LockTimeout bounds the wait for another process's file lock
	// (default 5s).
	LockTimeout time.Duration
	// Logger receives the background sweep's failures (default: discard).
	Logger *slog.Logger
}

// Open opens (creating if needed) the store file in dir.
func Open(dir string, opts *Options) (*store.Store, error) {
	d, err := OpenDriver(dir, opts)
	if err != nil {
		return nil, err
	}
	var so *store.Options
	if opts != nil {
		so = opts.Store
	}
	return store.New(d, so), nil
}

// Driver is the bbolt store.Driver.
type Driver struct {
	db     *bolt.DB
	w      *committer // every write goes through it (commit.go)
	now    func() time.Time
	logger *slog.Logger

	stop, stopped chan struct{} // maintain's
}

var _ store.Driver = (*Driver)(nil)

// OpenDriver opens the driver alone (Open wraps it in a Store).
func OpenDriver(dir string, opts *Options) (*Driver, error) {
	timeout := 5 * time.Second
	if opts != nil && opts.LockTimeout > 0 {
		timeout = opts.LockTimeout
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("opening embedded store: %w", err)
	}
	path := filepath.Join(dir, FileName)
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: timeout})
	if err != nil {
		return nil, fmt.Errorf("opening embedded store %s: %w", path, err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		for _, t := range []store.Table{store.StateTable, store.SpendTable, store.CacheTable} {
			if _, err := tx.CreateBucketIfNotExists(bucket(t, 0)); err != nil {
				return err
			}
			for i := 1; i <= store.Indexes; i++ {
				if _, err := tx.CreateBucketIfNotExists(bucket(t, i)); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("opening embedded store %s: %w", path, err)
	}
	d := &Driver{db: db, w: newCommitter(db), now: time.Now, logger: slog.New(slog.DiscardHandler),
		stop: make(chan struct{}), stopped: make(chan struct{})}
	if opts != nil && opts.Store != nil && opts.Store.Now != nil {
		d.now = opts.Store.Now
	}
	if opts != nil && opts.Logger != nil {
		d.logger = opts.Logger
	}
	go d.maintain()
	return d, nil
}

// Close lets the writes already queued commit, then closes the file.
func (d *Driver) Close() error {
	close(d.stop)
	<-d.stopped
	d.w.close()
	return d.db.Close()
}

// releaseEvery and releaseWritten pace releaseMapped: at most once per
// interval, and only when commits have written releaseWritten bytes of
// pages since the last release, so an idle or read-mostly store is left
// alone.
//
// The pace is the pages written, not the file's growth: once records
// expire, the sweep frees pages and new writes reuse them all over the
// file, which stops growing, while every page a write touches stays
// resident. Paced by growth, the release stopped, and a 2-minute soak with
// 20-second retention saw the resident file climb to 56 of its 64 MiB.
const (
	releaseEvery   = 2 * time.Second
	releaseWritten = 8 << 20
)

// maintain is the driver's background work: it releases mapped pages as
// commits write and sweeps expired items (sweep.go).
func (d *Driver) maintain() {
	defer close(d.stopped)
	release := time.NewTicker(releaseEvery)
	defer release.Stop()
	sweepT := time.NewTicker(sweepEvery)
	defer sweepT.Stop()
	var sw sweeper
	var last int64
	for {
		select {
		case <-d.stop:
			return
		case <-sweepT.C:
			if _, err := sw.tick(d, d.now().Unix()); err != nil && !errors.Is(err, errClosed) {
				d.logger.Warn("embedded store sweep failed", slog.String("error", err.Error()))
			}
			continue
		case <-release.C:
		}
		if d.releaseDue(&last) {
			if err := d.releaseMapped(); err != nil {
				d.logger.Warn("embedded store: releasing mapped pages failed", slog.String("error", err.Error()))
			}
		}
	}
}

// releaseDue reports whether commits have written releaseWritten bytes of
// pages since *mark, and moves *mark on when they have. bbolt counts every
// page a commit allocates, in a new part of the file or a reused one.
func (d *Driver) releaseDue(mark *int64) bool {
	st := d.db.Stats()
	written := st.TxStats.GetPageAlloc()
	if written-*mark < releaseWritten {
		return false
	}
	*mark = written
	return true
}

// bucket names the bucket of a table (index 0) or one of its indexes.
func bucket(t store.Table, index int) []byte {
	if index == 0 {
		return []byte(t.String())
	}
	return []byte(fmt.Sprintf("%s/gsi%d", t, index))
}

// sep joins key parts; ids never contain control characters (package
// store rejects them), so keys with one pk are contiguous and sorted by sk.
const sep = 0

func join(parts ...string) []byte {
	var b bytes.Buffer
	for i, p := range parts {
		if i > 0 {
			b.WriteByte(sep)
		}
		b.WriteString(p)
	}
	return b.Bytes()
}

// record is an item's attributes as stored in the file. The value is the
// record in JSON, then a zero byte, then the item's document as it is (raw
// JSON, which never holds a raw zero byte). Files written before this
// layout hold one JSON object with the document base64-encoded in "d"; they
// still read.
type record struct {
	Index   *[store.Indexes]store.IndexKey `json:"i,omitempty"` // nil when no index holds the item
	TTL     int64                          `json:"t,omitempty"`
	Version int64                          `json:"v,omitempty"`
	Owner   string                         `json:"o,omitempty"`
	Doc     []byte                         `json:"d,omitempty"` // only in the old layout
	Counts  map[string]int64               `json:"c,omitempty"`
	Holders map[string]int64               `json:"h,omitempty"`
}

// docSep ends the record's JSON and starts the document.
const docSep = 0

func encodeItem(it *store.Item) ([]byte, error) {
	r := record{TTL: it.TTL, Version: it.Version, Owner: it.Owner, Counts: it.Counts, Holders: it.Holders}
	if it.Index != ([store.Indexes]store.IndexKey{}) {
		r.Index = &it.Index
	}
	v, err := json.Marshal(&r)
	if err != nil {
		return nil, err
	}
	v = append(v, docSep)
	return append(v, it.Doc...), nil
}

// decodeItem decodes a file value. v belongs to the transaction: nothing
// returned refers to it.
func decodeItem(v []byte, it *store.Item) error {
	r, doc, err := decodeRecord(v)
	if err != nil {
		return err
	}
	if r.Index != nil {
		it.Index = *r.Index
	}
	it.TTL, it.Version, it.Owner, it.Counts, it.Holders = r.TTL, r.Version, r.Owner, r.Counts, r.Holders
	it.Doc = r.Doc
	if len(doc) > 0 {
		it.Doc = bytes.Clone(doc)
	}
	return nil
}

// decodeRecord decodes a file value's record and returns its document
// (nil in the old layout, where the record holds it), still in v.
func decodeRecord(v []byte) (r record, doc []byte, err error) {
	meta := v
	if i := bytes.IndexByte(v, docSep); i >= 0 {
		meta, doc = v[:i], v[i+1:]
	}
	err = json.Unmarshal(meta, &r)
	return r, doc, err
}

func load(tx *bolt.Tx, t store.Table, pk, sk string) (*store.Item, error) {
	v := tx.Bucket(bucket(t, 0)).Get(join(pk, sk))
	if v == nil {
		return nil, nil
	}
	it := &store.Item{Table: t, PK: pk, SK: sk}
	if err := decodeItem(v, it); err != nil {
		return nil, fmt.Errorf("decoding %s item %s/%s: %w", t, pk, sk, err)
	}
	return it, nil
}

// appendFill is how full bbolt packs the pages of an append-mostly bucket
// when it splits them (its default, 0.5, suits random inserts).
const appendFill = 0.95

// save replaces cur (may be nil) with next (nil deletes), keeping the
// index buckets in step.
func save(tx *bolt.Tx, t store.Table, pk, sk string, cur, next *store.Item) error {
	if cur != nil {
		for i, ik := range cur.Index {
			if ik.PK != "" {
				if err := tx.Bucket(bucket(t, i+1)).Delete(join(ik.PK, ik.SK, pk, sk)); err != nil {
					return err
				}
			}
		}
	}
	b := tx.Bucket(bucket(t, 0))
	if next == nil {
		return b.Delete(join(pk, sk))
	}
	v, err := encodeItem(next)
	if err != nil {
		return err
	}
	fill := t == store.SpendTable
	if fill {
		// Spend records arrive in time order, so their keys (day, then
		// time) and their index keys (owner, then time) are appended at the
		// end of their ranges: packing pages full, rather than splitting
		// them half-empty, halves what the file (and its mapping) grows by.
		b.FillPercent = appendFill
	}
	if err := b.Put(join(pk, sk), v); err != nil {
		return err
	}
	for i, ik := range next.Index {
		if ik.PK != "" {
			ib := tx.Bucket(bucket(t, i+1))
			if fill {
				ib.FillPercent = appendFill
			}
			if err := ib.Put(join(ik.PK, ik.SK, pk, sk), nil); err != nil {
				return err
			}
		}
	}
	return nil
}

// Get implements store.Driver.
func (d *Driver) Get(ctx context.Context, t store.Table, pk, sk string) (*store.Item, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var it *store.Item
	err := d.db.View(func(tx *bolt.Tx) error {
		var err error
		it, err = load(tx, t, pk, sk)
		return err
	})
	if err != nil {
		return nil, unavailable(err)
	}
	if it == nil {
		return nil, store.ErrNotFound
	}
	return it, nil
}

// Write implements store.Driver: one bbolt transaction.
func (d *Driver) Write(ctx context.Context, now int64, ws []*store.Write) error {
	_, err := d.apply(ctx, now, ws)
	return err
}

// WriteValues implements store.ValueWriter: Write, returning every item as
// it is afterwards.
func (d *Driver) WriteValues(ctx context.Context, now int64, ws []*store.Write) ([]*store.Item, error) {
	return d.apply(ctx, now, ws)
}

// Update implements store.Driver.
func (d *Driver) Update(ctx context.Context, now int64, w *store.Write) (*store.Item, error) {
	items, err := d.apply(ctx, now, []*store.Write{w})
	if err != nil {
		return nil, err
	}
	return items[0], nil
}

func (d *Driver) apply(ctx context.Context, now int64, ws []*store.Write) ([]*store.Item, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	out := make([]*store.Item, len(ws))
	// The committer may run this function more than once (when another
	// write of its group fails, each is retried alone), so it only reads
	// and assigns, and it checks every condition before it saves anything.
	err := d.w.write(func(tx *bolt.Tx) error {
		curs := make([]*store.Item, len(ws))
		for i, w := range ws {
			cur, err := load(tx, w.Item.Table, w.Item.PK, w.Item.SK)
			if err != nil {
				return err
			}
			if !w.Check(cur, now) {
				return &store.CondFailed{Index: i, Item: cur}
			}
			curs[i] = cur
		}
		for i, w := range ws {
			next := w.Apply(curs[i], now)
			if err := save(tx, w.Item.Table, w.Item.PK, w.Item.SK, curs[i], next); err != nil {
				return err
			}
			out[i] = next
		}
		return nil
	}, store.DeferredCommit(ctx))
	var cf *store.CondFailed
	if errors.As(err, &cf) {
		return nil, cf
	}
	if err != nil {
		return nil, unavailable(err)
	}
	return out, nil
}

// Query implements store.Driver. The cursor is the file key of the last
// item returned; it is set only when another matching item follows.
func (d *Driver) Query(ctx context.Context, q *store.Query) ([]*store.Item, string, error) {
	if err := ctx.Err(); err != nil {
		return nil, "", err
	}
	if q.Index < 0 || q.Index > store.Indexes {
		return nil, "", fmt.Errorf("query: no index %d: %w", q.Index, store.ErrInvalid)
	}
	var after []byte
	if q.Cursor != "" {
		c, err := base64.RawURLEncoding.DecodeString(q.Cursor)
		if err != nil {
			return nil, "", fmt.Errorf("query: bad cursor: %w", store.ErrInvalid)
		}
		after = c
	}
	prefix := append([]byte(q.PK), sep)
	var items []*store.Item
	var cursor string
	err := d.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucket(q.Table, q.Index)).Cursor()
		var k []byte
		switch {
		case after != nil:
			if k, _ = c.Seek(after); bytes.Equal(k, after) {
				k, _ = c.Next()
			}
		case q.Prefix != "":
			k, _ = c.Seek(append(bytes.Clone(prefix), q.Prefix...))
		case q.From != "":
			k, _ = c.Seek(append(bytes.Clone(prefix), q.From...))
		default:
			k, _ = c.Seek(prefix)
		}
		var last []byte
		for ; k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
			sk, pk, base := splitKey(k[len(prefix):], q.Index)
			if (q.Prefix != "" && !bytes.HasPrefix(sk, []byte(q.Prefix))) || (q.To != "" && string(sk) > q.To) {
				break
			}
			if q.From != "" && string(sk) < q.From {
				continue
			}
			if len(items) == q.Limit {
				cursor = base64.RawURLEncoding.EncodeToString(last)
				break
			}
			if q.Index == 0 {
				pk, base = q.PK, string(sk)
			}
			it, err := load(tx, q.Table, pk, base)
			if err != nil {
				return err
			}
			if it == nil {
				return fmt.Errorf("%s holds %s/%s, which is missing", bucket(q.Table, q.Index), pk, base)
			}
			items = append(items, it)
			last = bytes.Clone(k)
		}
		return nil
	})
	if err != nil {
		return nil, "", unavailable(err)
	}
	return items, cursor, nil
}

// splitKey splits the part of a file key after "<pk>\x00": for the table
// it is the sk; for an index it is "<index sk>\x00<pk>\x00<sk>".
func splitKey(rest []byte, index int) (sk []byte, pk, baseSK string) {
	if index == 0 {
		return rest, "", ""
	}
	parts := bytes.SplitN(rest, []byte{sep}, 3)
	if len(parts) != 3 {
		return rest, "", ""
	}
	return parts[0], string(parts[1]), string(parts[2])
}

// unavailable marks a file error as ErrUnavailable.
func unavailable(err error) error {
	if errors.Is(err, store.ErrInvalid) {
		return err
	}
	return fmt.Errorf("embedded store: %w: %w", store.ErrUnavailable, err)
}

// WriteEach implements store.EachWriter: the writes share one commit, and
// each is checked and applied on its own.
func (d *Driver) WriteEach(ctx context.Context, now int64, ws []*store.Write) []error {
	errs := make([]error, len(ws))
	if err := ctx.Err(); err != nil {
		for i := range errs {
			errs[i] = err
		}
		return errs
	}
	// As in apply, the function may run more than once: it only reads and
	// assigns.
	err := d.w.write(func(tx *bolt.Tx) error {
		for i, w := range ws {
			errs[i] = nil
			cur, err := load(tx, w.Item.Table, w.Item.PK, w.Item.SK)
			if err != nil {
				return err
			}
			if !w.Check(cur, now) {
				errs[i] = &store.CondFailed{Index: i, Item: cur}
				continue
			}
			if err := save(tx, w.Item.Table, w.Item.PK, w.Item.SK, cur, w.Apply(cur, now)); err != nil {
				return err
			}
		}
		return nil
	}, store.DeferredCommit(ctx))
	if err != nil {
		for i := range errs {
			errs[i] = unavailable(err)
		}
	}
	return errs
}
