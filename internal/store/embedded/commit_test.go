package embedded

import (
	"errors"
	"fmt"
	"path/filepath"
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
		_ = c.write(func(*bolt.Tx) error { close(started); <-hold; return nil })
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
			errs[i] = c.write(fn)
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
	if err := c.write(put("late")); !errors.Is(err, errClosed) {
		t.Errorf("write after close: %v", err)
	}
}
