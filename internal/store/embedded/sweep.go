package embedded

import (
	"bytes"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/tollgate-gw/tollgate/internal/store"
)

// The sweep deletes expired items, which reads already treat as absent but
// which would otherwise keep their space for good: DynamoDB deletes by TTL,
// a bbolt file does not. Every sweepEvery the sweep looks at up to
// sweepBatch items of each table, resuming where it stopped, and deletes
// the expired ones (with their index entries) in the writer's next commit.
// While it keeps finding expired items it goes on, up to sweepRounds
// batches per table a tick, so a backlog (a shorter retention, a burst of
// short-lived counters) clears in minutes, not days.
const (
	sweepEvery  = 10 * time.Second
	sweepBatch  = 2000
	sweepRounds = 20
)

var sweptTables = [...]store.Table{store.StateTable, store.SpendTable, store.CacheTable}

// sweeper holds where each table's sweep resumes; only the driver's
// background loop uses it.
type sweeper struct {
	from [len(sweptTables)][]byte // nil: from the first key
}

// tick runs one sweep over every table and returns how many items it
// deleted.
func (s *sweeper) tick(d *Driver, now int64) (int, error) {
	total := 0
	for i, t := range sweptTables {
		for range sweepRounds {
			var next []byte
			var deleted int
			// The committer may run this more than once (a failed group is
			// retried write by write); each run starts afresh from s.from.
			err := d.w.write(func(tx *bolt.Tx) (err error) {
				next, deleted, err = sweep(tx, t, s.from[i], now, sweepBatch)
				return err
			}, true)
			if err != nil {
				return total, fmt.Errorf("sweeping expired %s items: %w", t, err)
			}
			s.from[i] = next
			total += deleted
			if next == nil || deleted == 0 {
				break // wrapped around, or nothing expired here: next tick
			}
		}
	}
	return total, nil
}

// sweep deletes the expired items among the first limit items of table t
// from the key from (nil: the first key) and returns the key to resume at
// (nil once it has reached the end) and how many it deleted.
func sweep(tx *bolt.Tx, t store.Table, from []byte, now int64, limit int) (next []byte, deleted int, err error) {
	c := tx.Bucket(bucket(t, 0)).Cursor()
	k, v := c.First()
	if from != nil {
		k, v = c.Seek(from)
	}
	var dead []*store.Item
	for n := 0; k != nil && n < limit; k, v = c.Next() {
		n++
		r, _, err := decodeRecord(v) // the document is not needed
		if err != nil {
			return nil, 0, fmt.Errorf("decoding %s item %q: %w", t, k, err)
		}
		it := &store.Item{Table: t, TTL: r.TTL}
		if it.Live(now) {
			continue
		}
		if r.Index != nil {
			it.Index = *r.Index // save removes the index entries too
		}
		pk, sk, ok := bytes.Cut(k, []byte{sep})
		if !ok {
			return nil, 0, fmt.Errorf("%s key %q has no sort key", t, k)
		}
		it.PK, it.SK = string(pk), string(sk)
		dead = append(dead, it)
	}
	if k != nil {
		next = bytes.Clone(k)
	}
	// Deleted after the walk: a bbolt cursor does not survive deletes
	// under it.
	for _, it := range dead {
		if err := save(tx, t, it.PK, it.SK, it, nil); err != nil {
			return nil, 0, err
		}
	}
	return next, len(dead), nil
}
