package embedded

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"reflect"
	"runtime"
	"sync"
	"testing"

	bolt "go.etcd.io/bbolt"

	"github.com/tollgate-gw/tollgate/internal/store"
)

// TestCommitterGroups: writes queued together share a transaction, yet each
// succeeds or fails on its own: a refused write (CondFailed) changes nothing
// and does not hold back the others; a write that fails midway aborts its
// group, whose other writes are then committed one by one. Writes queued
// when close is called still commit; writes after it are refused.
func TestCommitterGroups(t *testing.T) {
	db, err := bolt.Open(filepath.Join(t.TempDir(), "t.db"), 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Update(func(tx *bolt.Tx) error { _, err := tx.CreateBucket([]byte("b")); return err }); err != nil {
		t.Fatal(err)
	}
	c := newCommitter(db)
	put := func(k string) func(*bolt.Tx) error {
		return func(tx *bolt.Tx) error { return tx.Bucket([]byte("b")).Put([]byte(k), []byte("v")) }
	}
	refused := func(tx *bolt.Tx) error { return &store.CondFailed{Index: 0} }
	broken := errors.New("disk on fire")
	halfway := func(tx *bolt.Tx) error {
		if err := tx.Bucket([]byte("b")).Put([]byte("half"), []byte("v")); err != nil {
			return err
		}
		return broken
	}

	// Hold the writer so that everything below queues into groups.
	hold := make(chan struct{})
	started := make(chan struct{})
	go func() {
		_ = c.write(func(*bolt.Tx) error { close(started); <-hold; return nil }, false)
	}()
	<-started
	const n = 300
	errs := make([]error, n)
	var wg sync.WaitGroup
	queued := make(chan struct{}, n)
	for i := range n {
		wg.Go(func() {
			fn := put(fmt.Sprintf("k%03d", i))
			switch i % 10 {
			case 3:
				fn = refused
			case 7:
				fn = halfway
			}
			queued <- struct{}{}
			errs[i] = c.write(fn, i%4 == 0) // some deferred: they commit with the rest
		})
	}
	for range n {
		<-queued
	}
	close(hold)
	wg.Wait()

	for i, err := range errs {
		var cf *store.CondFailed
		switch i % 10 {
		case 3:
			if !errors.As(err, &cf) {
				t.Errorf("write %d: %v, want CondFailed", i, err)
			}
		case 7:
			if !errors.Is(err, broken) {
				t.Errorf("write %d: %v, want %v", i, err, broken)
			}
		default:
			if err != nil {
				t.Errorf("write %d: %v", i, err)
			}
		}
	}
	if err := db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket([]byte("b"))
		if b.Get([]byte("half")) != nil {
			t.Error("a write that failed midway left its change")
		}
		for i := range n {
			got := b.Get([]byte(fmt.Sprintf("k%03d", i))) != nil
			if want := i%10 != 3 && i%10 != 7; got != want {
				t.Errorf("k%03d stored: %v, want %v", i, got, want)
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}

	c.close()
	if err := c.write(put("late"), false); !errors.Is(err, errClosed) {
		t.Errorf("write after close: %v", err)
	}
}

// TestReadsOldLayout: items written before the record/document split (one
// JSON object, the document base64-encoded) still read, and rewriting one
// stores the new layout.
func TestReadsOldLayout(t *testing.T) {
	dir := t.TempDir()
	d, err := OpenDriver(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	type oldRecord struct {
		Index   [store.Indexes]store.IndexKey `json:"i,omitempty"`
		TTL     int64                         `json:"t,omitempty"`
		Version int64                         `json:"v,omitempty"`
		Owner   string                        `json:"o,omitempty"`
		Doc     []byte                        `json:"d,omitempty"`
		Counts  map[string]int64              `json:"c,omitempty"`
	}
	old, _ := json.Marshal(oldRecord{Index: [store.Indexes]store.IndexKey{{PK: "OWNER#u", SK: "x"}}, TTL: 7, Version: 2,
		Owner: "u", Doc: []byte(`{"a":"b"}`), Counts: map[string]int64{"n": 3}})
	if err := d.db.Update(func(tx *bolt.Tx) error {
		return tx.Bucket(bucket(store.StateTable, 0)).Put(join("PK", "SK"), old)
	}); err != nil {
		t.Fatal(err)
	}
	it, err := d.Get(context.Background(), store.StateTable, "PK", "SK")
	if err != nil {
		t.Fatal(err)
	}
	want := &store.Item{Table: store.StateTable, PK: "PK", SK: "SK", Index: [store.Indexes]store.IndexKey{{PK: "OWNER#u", SK: "x"}},
		TTL: 7, Version: 2, Owner: "u", Doc: []byte(`{"a":"b"}`), Counts: map[string]int64{"n": 3}}
	if !reflect.DeepEqual(it, want) {
		t.Fatalf("old layout read as\n%+v, want\n%+v", it, want)
	}
	// Written back, it takes the new layout and reads the same.
	if err := d.db.Update(func(tx *bolt.Tx) error { return save(tx, store.StateTable, "PK", "SK", it, it) }); err != nil {
		t.Fatal(err)
	}
	if err := d.db.View(func(tx *bolt.Tx) error {
		v := tx.Bucket(bucket(store.StateTable, 0)).Get(join("PK", "SK"))
		if !bytes.Contains(v, []byte("\x00{\"a\":\"b\"}")) {
			t.Errorf("rewritten value %q is not in the new layout", v)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	again, err := d.Get(context.Background(), store.StateTable, "PK", "SK")
	if err != nil || !reflect.DeepEqual(again, want) {
		t.Fatalf("new layout read as %+v, %v", again, err)
	}
}

// TestDeferredWritesRideAlong: a deferred write waits for the next commit
// (here an ordinary write queued after it) and shares its transaction; a
// deferred write alone still commits, when its hold ends.
func TestDeferredWritesRideAlong(t *testing.T) {
	db, err := bolt.Open(filepath.Join(t.TempDir(), "t.db"), 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	c := newCommitter(db)
	defer c.close()
	queued := func(n int) {
		for len(c.q) < n {
			runtime.Gosched()
		}
	}
	hold, started := make(chan struct{}), make(chan struct{})
	go func() { _ = c.write(func(*bolt.Tx) error { close(started); <-hold; return nil }, false) }()
	<-started

	var txs [2]*bolt.Tx
	var wg sync.WaitGroup
	wg.Go(func() { _ = c.write(func(tx *bolt.Tx) error { txs[0] = tx; return nil }, true) })
	queued(1)
	wg.Go(func() { _ = c.write(func(tx *bolt.Tx) error { txs[1] = tx; return nil }, false) })
	queued(2)
	close(hold)
	wg.Wait()
	if txs[0] == nil || txs[0] != txs[1] {
		t.Errorf("the deferred write committed in %p, the next write in %p: want one transaction", txs[0], txs[1])
	}

	if err := c.write(func(*bolt.Tx) error { return nil }, true); err != nil {
		t.Errorf("a lone deferred write: %v", err)
	}
}

// TestReleaseIsPacedByWritesNotGrowth: once expired records are swept, new
// writes reuse freed pages and the file stops growing, while every page
// they touch becomes resident. The release must still come due; paced by
// the file's growth, as it was, it never did again.
func TestReleaseIsPacedByWritesNotGrowth(t *testing.T) {
	d, err := OpenDriver(t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	const n, size = 4000, 4 << 10 // 16 MiB of values, twice releaseWritten
	val := bytes.Repeat([]byte("x"), size)
	fill := func(put bool) {
		t.Helper()
		if err := d.db.Update(func(tx *bolt.Tx) error {
			b := tx.Bucket([]byte("spend"))
			for i := range n {
				k := []byte(fmt.Sprintf("k%06d", i))
				if !put {
					if err := b.Delete(k); err != nil {
						return err
					}
					continue
				}
				if err := b.Put(k, val); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	used := func() (s int64) {
		_ = d.db.View(func(tx *bolt.Tx) error { s = tx.Size(); return nil })
		return s
	}
	var mark int64
	fill(true)
	if !d.releaseDue(&mark) {
		t.Fatal("no release due after writing 16 MiB to a new file")
	}
	fill(false) // the sweep deletes the expired records
	before := used()
	fill(true) // new records take the freed pages
	if grew := used() - before; grew >= releaseWritten {
		t.Fatalf("the file grew by %d bytes: the test no longer reuses freed pages", grew)
	}
	if !d.releaseDue(&mark) {
		t.Error("no release due after rewriting 16 MiB of freed pages")
	}
	if d.releaseDue(&mark) {
		t.Error("a release came due again without any write")
	}
}
