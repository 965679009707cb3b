package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/tollgate-gw/tollgate/internal/store"
)

func testSessions(t *testing.T, h *harness) {
	ctx := context.Background()
	ttl := h.clock.Now().Add(time.Hour)
	a := &store.Session{Owner: "key-a", UserID: "alice", Model: "claude", ExpiresAt: ttl}
	must(t, h.CreateSession(ctx, a))
	if a.ID == "" {
		t.Fatal("no session id generated")
	}
	wantErr(t, h.CreateSession(ctx, &store.Session{ID: a.ID, Owner: "key-b", ExpiresAt: ttl}), store.ErrConflict)
	h.clock.Advance(time.Second)
	must(t, h.CreateSession(ctx, &store.Session{ID: "a-second", Owner: "key-a", ExpiresAt: ttl}))
	must(t, h.CreateSession(ctx, &store.Session{ID: "b-first", Owner: "key-b", ExpiresAt: ttl}))
	must(t, h.CreateSession(ctx, &store.Session{ID: "short", Owner: "key-a", ExpiresAt: h.clock.Now().Add(time.Minute)}))

	if _, err := h.GetSession(ctx, "key-a", a.ID); err != nil {
		t.Fatal(err)
	}
	// Another owner cannot read, append to, list or delete the session, and
	// gets the same error as for a session that does not exist.
	for name, err := range map[string]error{
		"get":    func() error { _, err := h.GetSession(ctx, "key-b", a.ID); return err }(),
		"read":   func() error { _, _, err := h.Messages(ctx, "key-b", a.ID); return err }(),
		"append": func() error { _, err := h.AppendMessages(ctx, "key-b", a.ID, msgs("x")); return err }(),
		"delete": h.DeleteSession(ctx, "key-b", a.ID),
		"absent": func() error { _, err := h.GetSession(ctx, "key-a", "no-such-session"); return err }(),
	} {
		if !errors.Is(err, store.ErrNotFound) {
			t.Errorf("%s: got %v, want ErrNotFound", name, err)
		}
	}

	got, err := h.AppendMessages(ctx, "key-a", a.ID, msgs("hello", "hi there"))
	must(t, err)
	if got[0].Seq != 1 || got[1].Seq != 2 {
		t.Fatalf("seqs = %d, %d", got[0].Seq, got[1].Seq)
	}
	got, err = h.AppendMessages(ctx, "key-a", a.ID, []store.Message{{Role: "assistant", Content: json.RawMessage(`"par"`), Incomplete: true}})
	must(t, err)
	if got[0].Seq != 3 {
		t.Fatalf("third seq = %d", got[0].Seq)
	}
	sess, all, err := h.Messages(ctx, "key-a", a.ID)
	must(t, err)
	if sess.Messages != 3 || len(all) != 3 || string(all[0].Content) != `"hello"` || !all[2].Incomplete || sess.UserID != "alice" {
		t.Fatalf("Messages = %+v %+v", sess, all)
	}

	list := func(owner string) []string {
		var ids []string
		p := store.Page{Limit: 1}
		for {
			ss, next, err := h.ListSessions(ctx, owner, p)
			must(t, err)
			for _, s := range ss {
				ids = append(ids, s.ID)
			}
			if next == "" {
				return ids
			}
			p.Cursor = next
		}
	}
	if ids := list("key-a"); fmt.Sprint(ids) != fmt.Sprint([]string{a.ID, "a-second", "short"}) {
		t.Errorf("sessions of key-a = %v", ids)
	}
	if ids := list("key-b"); fmt.Sprint(ids) != "[b-first]" {
		t.Errorf("sessions of key-b = %v", ids)
	}

	// Expiry: the short session and then everything disappear with no
	// deletion, as DynamoDB leaves expired items in place.
	h.clock.Advance(2 * time.Minute)
	if _, err := h.GetSession(ctx, "key-a", "short"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("expired session: %v", err)
	}
	if _, err := h.AppendMessages(ctx, "key-a", "short", msgs("late")); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("append to expired session: %v", err)
	}
	if ids := list("key-a"); len(ids) != 2 {
		t.Errorf("sessions of key-a after expiry = %v", ids)
	}
	must(t, h.DeleteSession(ctx, "key-a", "a-second"))
	if _, err := h.GetSession(ctx, "key-a", "a-second"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("deleted session: %v", err)
	}
	h.clock.Advance(time.Hour)
	if _, _, err := h.Messages(ctx, "key-a", a.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("expired session messages: %v", err)
	}
	// An expired id can be reused, and the old messages do not reappear.
	must(t, h.CreateSession(ctx, &store.Session{ID: a.ID, Owner: "key-c", ExpiresAt: h.clock.Now().Add(time.Hour)}))
	if _, all, err := h.Messages(ctx, "key-c", a.ID); err != nil || len(all) != 0 {
		t.Errorf("reused session: %v messages, %v", len(all), err)
	}
}

func msgs(texts ...string) []store.Message {
	out := make([]store.Message, len(texts))
	for i, s := range texts {
		b, _ := json.Marshal(s)
		out[i] = store.Message{Role: "user", Content: b}
	}
	return out
}

// testMessagesConcurrent: turns appended at once are all kept, each turn's
// messages stay consecutive, and sequence numbers have no gaps or repeats.
func testMessagesConcurrent(t *testing.T, h *harness) {
	ctx := context.Background()
	sess := &store.Session{Owner: "key-a", ExpiresAt: h.clock.Now().Add(time.Hour)}
	must(t, h.CreateSession(ctx, sess))
	const turns = 40
	var wg sync.WaitGroup
	errs := make(chan error, turns)
	for i := range turns {
		wg.Go(func() {
			_, err := h.AppendMessages(ctx, "key-a", sess.ID, msgs(fmt.Sprintf("q%d", i), fmt.Sprintf("a%d", i)))
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		must(t, err)
	}
	_, all, err := h.Messages(ctx, "key-a", sess.ID)
	must(t, err)
	if len(all) != 2*turns {
		t.Fatalf("%d messages, want %d", len(all), 2*turns)
	}
	for i := 0; i < len(all); i += 2 {
		if all[i].Seq != int64(i+1) || all[i+1].Seq != int64(i+2) {
			t.Fatalf("seq %d, %d at %d", all[i].Seq, all[i+1].Seq, i)
		}
		var q, a string
		must(t, json.Unmarshal(all[i].Content, &q))
		must(t, json.Unmarshal(all[i+1].Content, &a))
		if q[1:] != a[1:] || q[0] != 'q' || a[0] != 'a' {
			t.Fatalf("turn split: %q then %q", q, a)
		}
	}
}
