package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"sort"
	"testing"
	"time"

	"github.com/tollgate-gw/tollgate/internal/store"
)

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func wantErr(t *testing.T, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("got error %v, want %v", err, target)
	}
}

func ptr[T any](v T) *T { return &v }

func newKey(plaintext, user, team string) *store.Key {
	return &store.Key{Hash: store.HashKey(plaintext), KeyName: store.KeyName(plaintext), UserID: user, TeamID: team}
}

func testKeys(t *testing.T, h *harness) {
	ctx := context.Background()
	k := newKey("sk-alpha-0001", "alice", "")
	must(t, h.CreateKey(ctx, k))
	if k.Version != 1 || k.CreatedAt.IsZero() {
		t.Fatalf("created key: version %d, created %v", k.Version, k.CreatedAt)
	}
	if k.KeyName != "sk-...0001" {
		t.Errorf("KeyName = %q", k.KeyName)
	}
	wantErr(t, h.CreateKey(ctx, newKey("sk-alpha-0001", "bob", "")), store.ErrConflict)

	got, err := h.GetKey(ctx, store.HashKey("sk-alpha-0001"))
	must(t, err)
	if got.UserID != "alice" || got.Version != 1 {
		t.Fatalf("GetKey = %+v", got)
	}
	if _, err := h.GetKey(ctx, store.HashKey("sk-unknown")); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("unknown key: %v", err)
	}

	// Optimistic concurrency: two writers read version 1; one wins.
	a, b := *got, *got
	a.KeyAlias, b.KeyAlias = "first", "second"
	must(t, h.UpdateKey(ctx, &a))
	if a.Version != 2 {
		t.Fatalf("updated version = %d, want 2", a.Version)
	}
	wantErr(t, h.UpdateKey(ctx, &b), store.ErrConflict)
	got, err = h.GetKey(ctx, k.Hash)
	must(t, err)
	if got.KeyAlias != "first" || got.Version != 2 || !got.CreatedAt.Equal(k.CreatedAt) {
		t.Fatalf("after update: %+v", got)
	}

	h.clock.Advance(time.Minute)
	got.Blocked = true
	must(t, h.UpdateKey(ctx, got))
	if !got.UpdatedAt.After(got.CreatedAt) {
		t.Errorf("UpdatedAt %v not after CreatedAt %v", got.UpdatedAt, got.CreatedAt)
	}

	wantErr(t, h.DeleteKey(ctx, k.Hash, 1), store.ErrConflict)
	must(t, h.DeleteKey(ctx, k.Hash, got.Version))
	wantErr(t, h.DeleteKey(ctx, k.Hash, 0), store.ErrNotFound)
	if _, err := h.GetKey(ctx, k.Hash); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("deleted key: %v", err)
	}
	gone := *got
	wantErr(t, h.UpdateKey(ctx, &gone), store.ErrNotFound)
	// A deleted hash can be created again.
	must(t, h.CreateKey(ctx, newKey("sk-alpha-0001", "alice", "")))
}

func testKeyValidation(t *testing.T, h *harness) {
	ctx := context.Background()
	cases := []struct {
		name string
		edit func(k *store.Key)
	}{
		{"hash not hex", func(k *store.Key) { k.Hash = "sk-plaintext-must-not-be-stored" }},
		{"short hash", func(k *store.Key) { k.Hash = "abcd" }},
		{"user with separator", func(k *store.Key) { k.UserID = "a#b" }},
		{"team with control char", func(k *store.Key) { k.TeamID = "t\x00" }},
		{"negative budget", func(k *store.Key) { k.MaxBudget = ptr(-1.0) }},
		{"bad budget duration", func(k *store.Key) { k.BudgetDuration = "fortnight" }},
		{"negative rpm", func(k *store.Key) { k.RPMLimit = ptr(int64(-1)) }},
		{"negative model tpm", func(k *store.Key) { k.ModelTPMLimit = map[string]int64{"m": -5} }},
		{"bad model budget period", func(k *store.Key) {
			k.ModelMaxBudget = map[string]store.ModelBudget{"m": {BudgetLimit: 1, TimePeriod: "x"}}
		}},
		{"metadata not json", func(k *store.Key) { k.Metadata = json.RawMessage("{") }},
		{"bad duration", func(k *store.Key) { k.Duration = "0d" }},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			k := newKey(fmt.Sprintf("sk-validate-%d", i), "alice", "")
			c.edit(k)
			wantErr(t, h.CreateKey(ctx, k), store.ErrInvalid)
		})
	}
}

// testKeyLimitsRoundTrip stores a key with every field issue #4 lists and
// reads back the same values.
func testKeyLimitsRoundTrip(t *testing.T, h *harness) {
	ctx := context.Background()
	exp := h.clock.Now().Add(30 * 24 * time.Hour).UTC()
	k := &store.Key{
		Hash: store.HashKey("sk-everything"), KeyName: "sk-...hing", KeyAlias: "ci", UserID: "alice", TeamID: "eng",
		Limits: store.Limits{
			Models:    []string{"gpt-4o", "bedrock/*", "claude-group"},
			MaxBudget: ptr(0.0), BudgetDuration: "1mo", SoftBudget: ptr(80.5),
			ModelMaxBudget: map[string]store.ModelBudget{"gpt-4o": {BudgetLimit: 0.5, TimePeriod: "1d"}},
			TPMLimit:       ptr(int64(10000)), RPMLimit: ptr(int64(10)), MaxParallelRequests: ptr(int64(2)),
			ModelRPMLimit: map[string]int64{"gpt-4o": 1}, ModelTPMLimit: map[string]int64{"gpt-4o": 20000},
		},
		Duration: "30d", Expires: &exp, Metadata: json.RawMessage(`{"owner":"ci","n":1}`), Blocked: true,
		Guardrails: []string{"bedrock-pre-guard"}, Aliases: map[string]string{"fast": "gpt-4o-mini"},
		Tags: []string{"dept-a"}, Priority: ptr(3), CreatedBy: "admin",
	}
	must(t, h.CreateKey(ctx, k))
	got, err := h.GetKey(ctx, k.Hash)
	must(t, err)
	// Times come back in UTC with their instant kept.
	if !got.Expires.Equal(exp) || !got.CreatedAt.Equal(k.CreatedAt) {
		t.Fatalf("times: expires %v created %v, want %v %v", got.Expires, got.CreatedAt, exp, k.CreatedAt)
	}
	got.Expires, got.CreatedAt, got.UpdatedAt = k.Expires, k.CreatedAt, k.UpdatedAt
	if !reflect.DeepEqual(got, k) {
		t.Fatalf("round trip:\n got %+v\nwant %+v", got, k)
	}
	// A zero budget is stored as zero, not as "no budget".
	if got.MaxBudget == nil || *got.MaxBudget != 0 {
		t.Errorf("MaxBudget = %v, want 0", got.MaxBudget)
	}

	var mb store.ModelBudget
	must(t, json.Unmarshal([]byte(`1.25`), &mb))
	if mb.BudgetLimit != 1.25 {
		t.Errorf("bare-number model budget = %+v", mb)
	}
}

func testListKeys(t *testing.T, h *harness) {
	ctx := context.Background()
	want := map[string][]string{} // filter → plaintexts
	add := func(p, user, team string) {
		must(t, h.CreateKey(ctx, newKey(p, user, team)))
		want["all"] = append(want["all"], p)
		if user != "" {
			want["user:"+user] = append(want["user:"+user], p)
		}
		if team != "" {
			want["team:"+team] = append(want["team:"+team], p)
		}
	}
	for i := range 5 {
		add(fmt.Sprintf("sk-bob-%d", i), "bob", "")
	}
	add("sk-bob2-0", "bob2", "eng") // a user id that extends another
	add("sk-bob2-1", "bob2", "")
	add("sk-svc-0", "", "eng") // a service key
	add("sk-alice-0", "alice", "eng")
	add("sk-alice-1", "alice", "eng2")

	cases := []struct {
		name   string
		filter store.KeyFilter
	}{
		{"all", store.KeyFilter{}},
		{"user:bob", store.KeyFilter{UserID: "bob"}},
		{"user:bob2", store.KeyFilter{UserID: "bob2"}},
		{"user:alice", store.KeyFilter{UserID: "alice"}},
		{"user:nobody", store.KeyFilter{UserID: "nobody"}},
		{"team:eng", store.KeyFilter{TeamID: "eng"}},
		{"team:eng2", store.KeyFilter{TeamID: "eng2"}},
	}
	for _, c := range cases {
		for _, limit := range []int{1, 2, 100} {
			got := listKeys(t, h, c.filter, limit)
			if !sameHashes(got, want[c.name]) {
				t.Errorf("%s (page %d): got %d keys %v, want %v", c.name, limit, len(got), got, hashes(want[c.name]))
			}
		}
	}
	wantErr(t, func() error {
		_, _, err := h.ListKeys(ctx, store.KeyFilter{UserID: "a", TeamID: "b"}, store.Page{})
		return err
	}(), store.ErrInvalid)

	// Moving a key to another team moves it in the team listing; dropping
	// the team removes it; deleting removes it everywhere.
	k, err := h.GetKey(ctx, store.HashKey("sk-alice-0"))
	must(t, err)
	k.TeamID = "eng2"
	must(t, h.UpdateKey(ctx, k))
	if got := listKeys(t, h, store.KeyFilter{TeamID: "eng2"}, 10); !sameHashes(got, []string{"sk-alice-0", "sk-alice-1"}) {
		t.Errorf("after team change eng2 = %v", got)
	}
	if got := listKeys(t, h, store.KeyFilter{TeamID: "eng"}, 10); !sameHashes(got, []string{"sk-bob2-0", "sk-svc-0"}) {
		t.Errorf("after team change eng = %v", got)
	}
	k.TeamID = ""
	must(t, h.UpdateKey(ctx, k))
	if got := listKeys(t, h, store.KeyFilter{TeamID: "eng2"}, 10); !sameHashes(got, []string{"sk-alice-1"}) {
		t.Errorf("after team removal eng2 = %v", got)
	}
	must(t, h.DeleteKey(ctx, store.HashKey("sk-alice-1"), 0))
	if got := listKeys(t, h, store.KeyFilter{UserID: "alice"}, 10); !sameHashes(got, []string{"sk-alice-0"}) {
		t.Errorf("after delete alice = %v", got)
	}
	if got := listKeys(t, h, store.KeyFilter{TeamID: "eng2"}, 10); len(got) != 0 {
		t.Errorf("after delete eng2 = %v", got)
	}
}

// listKeys pages through a listing and fails on duplicates.
func listKeys(t *testing.T, h *harness, f store.KeyFilter, limit int) []string {
	t.Helper()
	var out []string
	seen := map[string]bool{}
	p := store.Page{Limit: limit}
	for range 100 {
		keys, next, err := h.ListKeys(context.Background(), f, p)
		must(t, err)
		if len(keys) > limit {
			t.Fatalf("page of %d keys, limit %d", len(keys), limit)
		}
		for _, k := range keys {
			if seen[k.Hash] {
				t.Fatalf("key %s listed twice", k.Hash)
			}
			seen[k.Hash] = true
			out = append(out, k.Hash)
		}
		if next == "" {
			return out
		}
		p.Cursor = next
	}
	t.Fatal("listing did not end")
	return nil
}

func hashes(plaintexts []string) []string {
	out := make([]string, len(plaintexts))
	for i, p := range plaintexts {
		out[i] = store.HashKey(p)
	}
	return out
}

func sameHashes(got, plaintexts []string) bool {
	want := hashes(plaintexts)
	g := append([]string(nil), got...)
	sort.Strings(g)
	sort.Strings(want)
	return len(g) == len(want) && (len(g) == 0 || reflect.DeepEqual(g, want))
}
