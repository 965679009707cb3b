package app

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tollgate-gw/tollgate/internal/store"
	"github.com/tollgate-gw/tollgate/internal/store/embedded"
)

// TestLongLivedSettlesEverythingByClose: a long-lived server settles the
// calls that gate nothing after their responses, and Close waits for every
// one of them, so no spend record is lost at shutdown; the calls that gate
// (a zero budget) still settle first, so the second call of a zero-budget
// user is refused.
func TestLongLivedSettlesEverythingByClose(t *testing.T) {
	start := time.Now()
	dir := t.TempDir()
	a := startLocalApp(t, map[string]string{"TOLLGATE_STORE": "embedded", "TOLLGATE_DATA_DIR": dir}, Options{LongLived: true})
	gw := a.gw
	call := func(key, path, body string) (int, string) {
		req, _ := http.NewRequest("POST", gw.URL+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+key)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Error(err)
			return 0, ""
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	const chat = `{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}]}`

	st, body := call(idMaster, "/user/new", `{"user_id":"broke","max_budget":0}`)
	if st != 200 {
		t.Fatalf("/user/new: %d %s", st, body)
	}
	broke := between(body, `"key":"`, `"`)
	if st, body := call(broke, "/v1/chat/completions", chat); st != 200 {
		t.Fatalf("a zero budget admits the first call: %d %s", st, body)
	}
	if st, body := call(broke, "/v1/chat/completions", chat); st != 400 || !strings.Contains(body, "budget_exceeded") {
		t.Fatalf("the second call of a zero budget: %d %s", st, body)
	}

	const n = 40
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			if st, body := call(idMaster, "/v1/chat/completions", chat); st != 200 {
				t.Errorf("chat: %d %s", st, body)
			}
		})
	}
	wg.Wait()
	if err := a.stop(); err != nil { // the server, then the app, which drains the background settles
		t.Fatal(err)
	}

	s, err := embedded.Open(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	// The records are filed by UTC day: look at every day the test ran in.
	count := 0
	for day := start.UTC().Truncate(24 * time.Hour); !day.After(time.Now()); day = day.Add(24 * time.Hour) {
		recs, _, err := s.SpendOfDay(context.Background(), day, time.Time{}, time.Time{}, store.Page{Limit: 1000})
		if err != nil {
			t.Fatal(err)
		}
		count += len(recs)
	}
	if count != n+1 { // the master key's calls and the zero-budget user's first
		t.Fatalf("%d spend records after Close, want %d", count, n+1)
	}
}

// TestLater: work runs after Go returns, wait waits for all of it, a full
// queue runs work at once (backpressure), and a panic is logged, not fatal.
func TestLater(t *testing.T) {
	var logs syncBuffer
	l := newLater(slog.New(slog.NewJSONHandler(&logs, nil)))
	release := make(chan struct{})
	var ran atomic.Int64
	for range maxLater {
		l.Go(func() { <-release; ran.Add(1) })
	}
	// Every slot is taken: the next Go runs its work before returning.
	inline := false
	l.Go(func() { inline = true })
	if !inline {
		t.Fatal("a full queue did not run the work at once")
	}
	if ran.Load() != 0 {
		t.Fatal("work ran before it was released: Go ran it inline")
	}
	close(release)
	l.wait()
	if ran.Load() != maxLater {
		t.Fatalf("wait returned with %d of %d done", ran.Load(), maxLater)
	}
	l.Go(func() { panic("boom") })
	l.wait()
	if !strings.Contains(logs.String(), "panic in work after a response") {
		t.Errorf("panic not logged: %s", logs.String())
	}
}
