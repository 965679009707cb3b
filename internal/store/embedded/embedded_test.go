package embedded_test

import (
	"context"
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
