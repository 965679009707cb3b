package embedded

import (
	"context"
	"fmt"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/tollgate-gw/tollgate/internal/clocktest"
	"github.com/tollgate-gw/tollgate/internal/store"
	"github.com/tollgate-gw/tollgate/internal/store/storetest"
)

// TestSweep: expired items leave the file, with their index entries, over
// as many ticks as the backlog needs; live items and items without a TTL
// stay, and still read.
func TestSweep(t *testing.T) {
	clk := clocktest.New(storetest.Date(time.March, 10, 12, 0, 0))
	d, err := OpenDriver(t.TempDir(), &Options{Store: &store.Options{Now: clk.Now}})
	if err != nil {
		t.Fatal(err)
	}
	// The driver's own background sweep runs on the wall clock and would
	// delete some of the expired items between this test's ticks (it did,
	// on a loaded machine): stop it, so every deletion is counted here.
	close(d.stop)
	<-d.stopped
	t.Cleanup(func() {
		d.w.close()
		d.db.Close()
	})
	ctx := context.Background()
	now := clk.Now().Unix()
	soon, later := now+3600, now+365*24*3600

	// More expired items per table than one tick's first batch, spread
	// between live ones, so the sweep must resume and go on.
	const n = 3*sweepBatch + 17
	live := map[store.Table]int{}
	var writes []*store.Write
	for _, tb := range sweptTables {
		for i := range n {
			it := &store.Item{Table: tb, PK: fmt.Sprintf("p%d", i%7), SK: fmt.Sprintf("s%05d", i), Doc: []byte(`{"x":1}`)}
			switch i % 3 {
			case 0:
				it.TTL = soon // expires
			case 1:
				it.TTL = later
				live[tb]++
			default: // no TTL
				live[tb]++
			}
			if tb == store.SpendTable {
				it.Index[0] = store.IndexKey{PK: "key#" + it.PK, SK: it.SK}
				it.Index[2] = store.IndexKey{PK: "team#t", SK: it.SK}
			}
			writes = append(writes, &store.Write{Kind: store.WritePut, Item: it})
		}
	}
	for len(writes) > 0 {
		k := min(len(writes), 500)
		if err := d.Write(ctx, now, writes[:k]); err != nil {
			t.Fatal(err)
		}
		writes = writes[k:]
	}

	var sw sweeper
	if got, err := sw.tick(d, now); err != nil || got != 0 {
		t.Fatalf("before anything expired: deleted %d, %v", got, err)
	}
	clk.Advance(2 * time.Hour)
	deleted := 0
	for tick := 0; ; tick++ {
		got, err := sw.tick(d, clk.Now().Unix())
		if err != nil {
			t.Fatal(err)
		}
		deleted += got
		if got == 0 {
			break
		}
		if tick > 10 {
			t.Fatalf("still deleting after %d ticks", tick)
		}
	}
	if want := 3 * ((n + 2) / 3); deleted != want {
		t.Errorf("deleted %d items, want %d", deleted, want)
	}

	count := func(tx *bolt.Tx, name []byte) int {
		return tx.Bucket(name).Stats().KeyN
	}
	err = d.db.View(func(tx *bolt.Tx) error {
		for _, tb := range sweptTables {
			if got := count(tx, bucket(tb, 0)); got != live[tb] {
				t.Errorf("%s: %d items left, want %d", tb, got, live[tb])
			}
		}
		for _, i := range []int{1, 3} {
			if got := count(tx, bucket(store.SpendTable, i)); got != live[store.SpendTable] {
				t.Errorf("spend index %d: %d entries left, want %d", i, got, live[store.SpendTable])
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range [][2]string{{"p1", "s00001"}, {"p2", "s00002"}} { // a TTL to come; none
		if it, err := d.Get(ctx, store.SpendTable, k[0], k[1]); err != nil || it == nil {
			t.Errorf("live item %v: %v %v", k, it, err)
		}
	}
	if it, err := d.Get(ctx, store.SpendTable, "p0", "s00000"); err == nil || it != nil {
		t.Errorf("expired item p0/s00000 still there: %+v %v", it, err)
	}
}
