package storetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/tollgate-gw/tollgate/internal/store"
)

// testSettle: the after-call write (actual usage, spend, lease release and
// the spend record) is one all-or-none Apply, and replaying it changes
// nothing.
func testSettle(t *testing.T, h *harness) {
	ctx := context.Background()
	exp := h.clock.Now().Add(time.Hour)
	must(t, h.Apply(ctx,
		store.Add{Counter: "k-usage", Field: "tokens", Delta: 1000, AtMost: ptr(int64(5000)), Expires: exp},
		store.Acquire{Counter: "k-parallel", Holder: "req-1", Max: 1, Expires: exp}))
	rec := &store.SpendRecord{RequestID: "req-1", Time: h.clock.Now(), KeyHash: store.HashKey("sk-1"), UserID: "alice",
		Model: "gpt-4o", PromptTokens: 100, CompletionTokens: 50, TotalTokens: 150, Cost: 0.0042, Status: "success"}
	settle := []store.Op{
		store.Add{Counter: "k-usage", Field: "tokens", Delta: 150 - 1000, Expires: exp},
		store.Add{Counter: "k-budget", Field: "spend_nanos", Delta: 4_200_000, Expires: exp},
		store.Release{Counter: "k-parallel", Holder: "req-1"},
		store.PutSpend{Record: rec},
	}
	must(t, h.Apply(ctx, settle...))
	err := h.Apply(ctx, settle...)
	wantErr(t, err, store.ErrConflict)
	if errors.Is(err, store.ErrLimitExceeded) {
		t.Fatalf("replayed settle reported as a limit: %v", err)
	}
	if got := counter(t, h, "k-usage")["tokens"]; got != 150 {
		t.Errorf("tokens = %d, want 150", got)
	}
	if got := counter(t, h, "k-budget")["spend_nanos"]; got != 4_200_000 {
		t.Errorf("spend = %d, want 4200000", got)
	}
	if n, err := h.Leases(ctx, "k-parallel"); err != nil || n != 0 {
		t.Errorf("leases = %d, %v", n, err)
	}
	recs, _, err := h.QuerySpend(ctx, store.SpendQuery{By: store.SpendByKey, ID: rec.KeyHash}, store.Page{})
	must(t, err)
	if len(recs) != 1 || recs[0].Cost != 0.0042 || recs[0].TotalTokens != 150 {
		t.Fatalf("spend records = %+v", recs)
	}
}

func testSpend(t *testing.T, h *harness) {
	ctx := context.Background()
	day1 := Date(time.November, 20, 23, 59, 0)
	day2 := day1.Add(2 * time.Minute) // the next UTC day
	type spec struct {
		rid, key, user, team string
		at                   time.Time
	}
	specs := []spec{
		{"r1", "ka", "alice", "eng", day1},
		{"r2", "ka", "alice", "eng", day1.Add(30 * time.Second)},
		{"r3", "kb", "bob", "eng", day1.Add(40 * time.Second)},
		{"r4", "ka", "alice", "", day2},
		{"r5", "kc", "", "ops", day2},
		{"r6", "kb", "bob", "eng", day2.Add(time.Second)},
		{"r0", "", "", "", day2}, // the master key: no key, user or team
	}
	for _, s := range specs {
		r := &store.SpendRecord{RequestID: s.rid, Time: s.at, UserID: s.user, TeamID: s.team, Cost: 0.01, Status: "success",
			ExpiresAt: h.clock.Now().Add(48 * time.Hour)}
		if s.key != "" {
			r.KeyHash = store.HashKey(s.key)
		}
		must(t, h.PutSpend(ctx, r))
	}
	wantErr(t, h.PutSpend(ctx, &store.SpendRecord{RequestID: "r1", Time: day1}), store.ErrConflict)
	wantErr(t, h.PutSpend(ctx, &store.SpendRecord{RequestID: "rx"}), store.ErrInvalid)

	cases := []struct {
		name     string
		q        store.SpendQuery
		day      time.Time // SpendOfDay when set
		from, to time.Time
		want     string
	}{
		{name: "key ka", q: store.SpendQuery{By: store.SpendByKey, ID: store.HashKey("ka")}, want: "[r1 r2 r4]"},
		{name: "key kb", q: store.SpendQuery{By: store.SpendByKey, ID: store.HashKey("kb")}, want: "[r3 r6]"},
		{name: "user alice", q: store.SpendQuery{By: store.SpendByUser, ID: "alice"}, want: "[r1 r2 r4]"},
		{name: "user bob", q: store.SpendQuery{By: store.SpendByUser, ID: "bob"}, want: "[r3 r6]"},
		{name: "team eng", q: store.SpendQuery{By: store.SpendByTeam, ID: "eng"}, want: "[r1 r2 r3 r6]"},
		{name: "team ops", q: store.SpendQuery{By: store.SpendByTeam, ID: "ops"}, want: "[r5]"},
		{name: "team none", q: store.SpendQuery{By: store.SpendByTeam, ID: "en"}, want: "[]"},
		{name: "team eng from", q: store.SpendQuery{By: store.SpendByTeam, ID: "eng", From: day1.Add(30 * time.Second)}, want: "[r2 r3 r6]"},
		{name: "team eng to is exclusive", q: store.SpendQuery{By: store.SpendByTeam, ID: "eng", To: day1.Add(40 * time.Second)}, want: "[r1 r2]"},
		{name: "team eng range", q: store.SpendQuery{By: store.SpendByTeam, ID: "eng", From: day1.Add(time.Second), To: day2.Add(time.Second)}, want: "[r2 r3]"},
		{name: "day 1", day: day1, want: "[r1 r2 r3]"},
		{name: "day 2", day: day2, want: "[r0 r4 r5 r6]"},
		{name: "day 2 range", day: day2, from: day2.Add(time.Second), want: "[r6]"},
		{name: "day 3", day: day2.Add(24 * time.Hour), want: "[]"},
		{name: "empty range", q: store.SpendQuery{By: store.SpendByTeam, ID: "eng", From: day2, To: day1}, want: "[]"},
		{name: "empty day range", day: day2, from: day2.Add(time.Second), to: day2.Add(time.Second), want: "[]"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			for _, limit := range []int{1, 3, 100} {
				var got []string
				p := store.Page{Limit: limit}
				for {
					var recs []*store.SpendRecord
					var next string
					var err error
					if c.day.IsZero() {
						recs, next, err = h.QuerySpend(ctx, c.q, p)
					} else {
						recs, next, err = h.SpendOfDay(ctx, c.day, c.from, c.to, p)
					}
					must(t, err)
					for _, r := range recs {
						got = append(got, r.RequestID)
					}
					if next == "" {
						break
					}
					p.Cursor = next
				}
				if fmt.Sprint(got) != c.want && !(got == nil && c.want == "[]") {
					t.Fatalf("page %d: got %v, want %s", limit, got, c.want)
				}
			}
		})
	}

	wantErr(t, func() error {
		_, _, err := h.QuerySpend(ctx, store.SpendQuery{ID: "x"}, store.Page{})
		return err
	}(), store.ErrInvalid)

	// Records past their TTL are gone from every query.
	h.clock.Advance(49 * time.Hour)
	recs, _, err := h.QuerySpend(ctx, store.SpendQuery{By: store.SpendByTeam, ID: "eng"}, store.Page{})
	must(t, err)
	if len(recs) != 0 {
		t.Fatalf("expired records returned: %d", len(recs))
	}
	recs, _, err = h.SpendOfDay(ctx, day2, time.Time{}, time.Time{}, store.Page{})
	must(t, err)
	if len(recs) != 0 {
		t.Fatalf("expired records returned by day: %d", len(recs))
	}
}

func testCache(t *testing.T, h *harness) {
	ctx := context.Background()
	val := bytes.Repeat([]byte{0, 1, 2, 0xff}, 1000)
	must(t, h.PutCache(ctx, &store.CacheItem{Key: "tenant-a/abc", Value: val, ExpiresAt: h.clock.Now().Add(time.Minute)}))
	got, err := h.GetCache(ctx, "tenant-a/abc")
	must(t, err)
	if !bytes.Equal(got.Value, val) {
		t.Fatal("cached value changed")
	}
	if _, err := h.GetCache(ctx, "tenant-b/abc"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("other tenant's key: %v", err)
	}
	must(t, h.PutCache(ctx, &store.CacheItem{Key: "tenant-a/abc", Value: []byte("v2"), ExpiresAt: h.clock.Now().Add(time.Hour)}))
	got, err = h.GetCache(ctx, "tenant-a/abc")
	must(t, err)
	if string(got.Value) != "v2" {
		t.Fatalf("overwritten value = %q", got.Value)
	}
	must(t, h.PutCache(ctx, &store.CacheItem{Key: "short", Value: []byte("x"), ExpiresAt: h.clock.Now().Add(time.Second)}))
	h.clock.Advance(time.Second)
	if _, err := h.GetCache(ctx, "short"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("expired cache item: %v", err)
	}
	must(t, h.DeleteCache(ctx, "tenant-a/abc"))
	must(t, h.DeleteCache(ctx, "tenant-a/abc"))
	if _, err := h.GetCache(ctx, "tenant-a/abc"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("deleted cache item: %v", err)
	}
	wantErr(t, h.PutCache(ctx, &store.CacheItem{Key: "big", Value: make([]byte, 400<<10), ExpiresAt: h.clock.Now().Add(time.Hour)}), store.ErrTooLarge)
	wantErr(t, h.PutCache(ctx, &store.CacheItem{Key: "forever", Value: []byte("x")}), store.ErrInvalid)
}

func testCooldowns(t *testing.T, h *harness) {
	ctx := context.Background()
	now := h.clock.Now()
	must(t, h.SetCooldown(ctx, store.Cooldown{Group: "claude", Deployment: "dep-1", Until: now.Add(time.Minute), Reason: "429"}))
	must(t, h.SetCooldown(ctx, store.Cooldown{Group: "claude", Deployment: "dep-2", Until: now.Add(5 * time.Minute)}))
	must(t, h.SetCooldown(ctx, store.Cooldown{Group: "gpt", Deployment: "dep-9", Until: now.Add(5 * time.Minute)}))
	list := func(group string) string {
		cs, err := h.Cooldowns(ctx, group)
		must(t, err)
		var out []string
		for _, c := range cs {
			out = append(out, c.Deployment+"/"+c.Reason)
		}
		return fmt.Sprint(out)
	}
	if got := list("claude"); got != "[dep-1/429 dep-2/]" {
		t.Fatalf("cooldowns = %s", got)
	}
	h.clock.Advance(time.Minute)
	if got := list("claude"); got != "[dep-2/]" {
		t.Fatalf("after expiry = %s", got)
	}
	must(t, h.ClearCooldown(ctx, "claude", "dep-2"))
	if got := list("claude"); got != "[]" {
		t.Fatalf("after clear = %s", got)
	}
	if got := list("gpt"); got != "[dep-9/]" {
		t.Fatalf("gpt = %s", got)
	}
	wantErr(t, h.SetCooldown(ctx, store.Cooldown{Group: "claude", Deployment: "d"}), store.ErrInvalid)
}

// testApplyEach: the settle's write applies each op on its own. Every op
// lands; replayed, the counters count again while the record is refused
// with ErrConflict on its op alone (a settle runs once per ticket, so a
// replay means a duplicate request id: the call is still counted); an op
// that is invalid or needs Apply fails alone.
func testApplyEach(t *testing.T, h *harness) {
	ctx := context.Background()
	exp := h.clock.Now().Add(time.Hour)
	must(t, h.Apply(ctx, store.Acquire{Counter: "e-parallel", Holder: "req-1", Max: 1, Expires: exp}))
	rec := &store.SpendRecord{RequestID: "req-1", Time: h.clock.Now(), KeyHash: store.HashKey("sk-e"), Model: "gpt-4o",
		PromptTokens: 10, CompletionTokens: 5, TotalTokens: 15, Cost: 0.001, Status: "success"}
	settle := []store.Op{
		store.Add{Counter: "e-budget", Field: "spend_nanos", Delta: 1_000_000, Expires: exp},
		store.Add{Counter: "e-usage", Field: "tokens", Delta: 15, Expires: exp},
		store.Add{Counter: "e-usage", Field: "requests", Delta: 1, Expires: exp},
		store.Release{Counter: "e-parallel", Holder: "req-1"},
		store.PutSpend{Record: rec},
	}
	if errs := h.ApplyEach(ctx, settle...); errs != nil {
		t.Fatalf("ApplyEach: %v", errs)
	}
	errs := h.ApplyEach(ctx, settle...)
	if len(errs) != len(settle) || !errors.Is(errs[4], store.ErrConflict) {
		t.Fatalf("replay: %v, want ErrConflict on the record alone", errs)
	}
	for i, err := range errs[:4] {
		if err != nil {
			t.Fatalf("replay op %d: %v", i, err)
		}
	}
	if got := counter(t, h, "e-budget")["spend_nanos"]; got != 2_000_000 {
		t.Errorf("spend = %d, want 2000000", got)
	}
	if got := counter(t, h, "e-usage"); got["tokens"] != 30 || got["requests"] != 2 {
		t.Errorf("usage = %v", got)
	}
	if n, err := h.Leases(ctx, "e-parallel"); err != nil || n != 0 {
		t.Errorf("leases = %d, %v", n, err)
	}
	recs, _, err := h.QuerySpend(ctx, store.SpendQuery{By: store.SpendByKey, ID: rec.KeyHash}, store.Page{})
	if err != nil || len(recs) != 1 {
		t.Fatalf("records = %v, %v", recs, err)
	}

	// Failing ops fail alone.
	bad := *rec
	bad.RequestID = "x#1"
	errs = h.ApplyEach(ctx,
		store.Add{Counter: "e-budget", Field: "spend_nanos", Delta: 5, Expires: exp},
		store.PutSpend{Record: &bad},
		store.Add{Counter: "e-bounded", Field: "requests", Delta: 1, AtMost: ptr(int64(5)), Expires: exp},
		store.Acquire{Counter: "e-lease", Holder: "r", Max: 1, Expires: exp})
	if len(errs) != 4 || errs[0] != nil {
		t.Fatalf("errs = %v", errs)
	}
	for i, err := range errs[1:] {
		if !errors.Is(err, store.ErrInvalid) {
			t.Errorf("op %d: %v, want ErrInvalid", i+1, err)
		}
	}
	if got := counter(t, h, "e-budget")["spend_nanos"]; got != 2_000_005 {
		t.Errorf("spend = %d, want 2000005", got)
	}
	if got := counter(t, h, "e-bounded"); len(got) != 0 {
		t.Errorf("bounded add applied: %v", got)
	}
}

// testSpendDayPaging: a busy day's records, however the store spreads
// them, page out of SpendOfDay oldest first, each once, within [from, to).
func testSpendDayPaging(t *testing.T, h *harness) {
	ctx := context.Background()
	day := Date(time.November, 20, 0, 0, 0)
	const n = 150
	var want []string
	for i := range n {
		at := day.Add(time.Duration(i*397%n) * time.Minute) // out of order, 150 distinct minutes
		rid := fmt.Sprintf("busy-%03d", i)
		must(t, h.PutSpend(ctx, &store.SpendRecord{RequestID: rid, Time: at, KeyHash: store.HashKey("sk-busy"), Cost: 0.001, Status: "success"}))
		if !at.Before(day.Add(10*time.Minute)) && at.Before(day.Add(140*time.Minute)) {
			want = append(want, at.Format(time.RFC3339)+" "+rid)
		}
	}
	slices.Sort(want)
	var got []string
	cursor := ""
	for pages := 0; ; pages++ {
		if pages > n {
			t.Fatal("paging does not end")
		}
		recs, next, err := h.SpendOfDay(ctx, day, day.Add(10*time.Minute), day.Add(140*time.Minute), store.Page{Limit: 7, Cursor: cursor})
		must(t, err)
		if len(recs) > 7 {
			t.Fatalf("page of %d records, limit 7", len(recs))
		}
		for _, r := range recs {
			got = append(got, r.Time.Format(time.RFC3339)+" "+r.RequestID)
		}
		if next == "" {
			break
		}
		cursor = next
	}
	if !slices.Equal(got, want) {
		t.Fatalf("paged %d records:\n%v\nwant %d:\n%v", len(got), got, len(want), want)
	}
}
