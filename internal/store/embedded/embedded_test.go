package embedded_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/tollgate-gw/tollgate/internal/store"
	"github.com/tollgate-gw/tollgate/internal/store/embedded"
	"github.com/tollgate-gw/tollgate/internal/store/storetest"
)

func open(t *testing.T, opts *store.Options) *store.Store {
	s, err := embedded.Open(t.TempDir(), &embedded.Options{Store: opts})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func TestConformance(t *testing.T) { storetest.Run(t, open) }

// TestLazyConformance: a store opened lazily behaves as the store itself.
func TestLazyConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T, opts *store.Options) *store.Store {
		dir := t.TempDir()
		s := store.New(store.Lazy(func(context.Context) (store.Driver, error) {
			return embedded.OpenDriver(dir, &embedded.Options{Store: opts})
		}), opts)
		t.Cleanup(func() { _ = s.Close() })
		return s
	})
}

// TestLazyOpensOnFirstUse: nothing is opened before the first call, a
// failed open is ErrUnavailable and is tried again by the next call, and
// Close releases the file for another process.
func TestLazyOpensOnFirstUse(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	opens, fail := 0, true
	s := store.New(store.Lazy(func(context.Context) (store.Driver, error) {
		opens++
		if fail {
			return nil, fmt.Errorf("disk on fire")
		}
		return embedded.OpenDriver(dir, nil)
	}), nil)
	if opens != 0 {
		t.Fatalf("opened %d times before any use", opens)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("Close before any use: %v", err)
	}
	_, err := s.GetKey(ctx, "h")
	if !errors.Is(err, store.ErrUnavailable) || !strings.Contains(err.Error(), "disk on fire") {
		t.Fatalf("failed open: err = %v, want ErrUnavailable naming the cause", err)
	}
	fail = false
	if _, err := s.GetKey(ctx, "h"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("after a failed open: err = %v, want ErrNotFound", err)
	}
	if _, err := s.GetKey(ctx, "h"); !errors.Is(err, store.ErrNotFound) || opens != 2 {
		t.Fatalf("err = %v after %d opens, want ErrNotFound after 2", err, opens)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	// The file lock is released: the directory opens again at once.
	other, err := embedded.Open(dir, &embedded.Options{LockTimeout: 50 * time.Millisecond})
	if err != nil {
		t.Fatalf("after Close: %v", err)
	}
	_ = other.Close()
}

// TestSurvivesRestart: what one process wrote, the next one reads.
func TestSurvivesRestart(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	clock := storetest.NewClock(storetest.Date(time.November, 21, 12, 0, 0))
	opts := &embedded.Options{Store: &store.Options{Now: clock.Now}}
	s, err := embedded.Open(dir, opts)
	if err != nil {
		t.Fatal(err)
	}
	k := &store.Key{Hash: store.HashKey("sk-persist"), UserID: "alice"}
	if err := s.CreateKey(ctx, k); err != nil {
		t.Fatal(err)
	}
	exp := clock.Now().Add(time.Hour)
	if err := s.Apply(ctx, store.Add{Counter: "c", Field: "n", Delta: 5, Expires: exp}); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s, err = embedded.Open(dir, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	got, err := s.GetKey(ctx, k.Hash)
	if err != nil || got.UserID != "alice" || got.Version != 1 {
		t.Fatalf("after reopen: %+v, %v", got, err)
	}
	c, err := s.GetCounter(ctx, "c")
	if err != nil || c.Values["n"] != 5 {
		t.Fatalf("counter after reopen: %+v, %v", c, err)
	}
}

// TestLocked: a second process cannot open a data directory in use; it
// fails after the lock timeout instead of corrupting the file.
func TestLocked(t *testing.T) {
	dir := t.TempDir()
	s, err := embedded.Open(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := embedded.Open(dir, &embedded.Options{LockTimeout: time.Millisecond}); err == nil {
		t.Fatal("second open of a locked store succeeded")
	}
}

// TestSpendDaySharded: a day's spend records are spread over
// store.SpendShards partitions (DAY#<date>#<n>), not one hot partition,
// and records written before the day was sharded (DAY#<date>) are still
// read with the rest.
func TestSpendDaySharded(t *testing.T) {
	clk := storetest.NewClock(storetest.Date(time.November, 21, 12, 0, 0))
	d, err := embedded.OpenDriver(t.TempDir(), &embedded.Options{Store: &store.Options{Now: clk.Now}})
	if err != nil {
		t.Fatal(err)
	}
	s := store.New(d, &store.Options{Now: clk.Now})
	t.Cleanup(func() { _ = s.Close() })
	ctx := context.Background()
	day := clk.Now()
	const n = 200
	for i := range n {
		r := &store.SpendRecord{RequestID: fmt.Sprintf("req-%d", i), Time: day.Add(time.Duration(i) * time.Second), Status: "success"}
		if err := s.PutSpend(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	date := day.UTC().Format(time.DateOnly)
	used, total := 0, 0
	for shard := range store.SpendShards {
		items, _, err := d.Query(ctx, &store.Query{Table: store.SpendTable, PK: fmt.Sprintf("DAY#%s#%d", date, shard), Limit: n})
		if err != nil {
			t.Fatal(err)
		}
		if len(items) > 0 {
			used++
		}
		if len(items) > 3*n/store.SpendShards {
			t.Errorf("shard %d holds %d of %d records", shard, len(items), n)
		}
		total += len(items)
	}
	if used != store.SpendShards || total != n {
		t.Fatalf("%d records in %d of %d shards", total, used, store.SpendShards)
	}

	// A record from before the sharding, under DAY#<date>.
	legacy := &store.Item{Table: store.SpendTable, PK: "DAY#" + date, SK: day.UTC().Format("2006-01-02T15:04:05.000000000Z") + "#old",
		TTL: day.Add(time.Hour).Unix(), Doc: []byte(`{"request_id":"old","start_time":"` + day.UTC().Format(time.RFC3339Nano) + `","spend":1,"status":"success"}`)}
	if err := d.Write(ctx, day.Unix(), []*store.Write{{Kind: store.WritePut, Item: legacy}}); err != nil {
		t.Fatal(err)
	}
	recs, next, err := s.SpendOfDay(ctx, day, time.Time{}, time.Time{}, store.Page{Limit: 1000})
	if err != nil || next != "" || len(recs) != n+1 || recs[0].RequestID != "old" {
		t.Fatalf("SpendOfDay: %d records, next %q, %v", len(recs), next, err)
	}
}
