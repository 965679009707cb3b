package httpapi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"testing"
	"time"

	"github.com/tollgate-gw/tollgate/internal/ratelimit"
	"github.com/tollgate-gw/tollgate/internal/store"
)

// spendFixture: user u1 (key k1, team t1) and user u2 (key k2, no team),
// with spend records over two days.
type spendFixture struct {
	m             *mgmt
	k1, k2, u1key string
	hash1, hash2  string
	day1, day2    time.Time
}

func newSpendFixture(t *testing.T) *spendFixture {
	m := newMgmt(t)
	f := &spendFixture{m: m}
	f.u1key = m.newUser("u1", "internal_user", "")
	m.newUser("u2", "internal_user", "")
	m.must(mgmtMaster, "POST", "/team/new", `{"team_id":"t1","members_with_roles":[{"user_id":"u1","role":"user"}]}`)
	f.k1 = m.must(mgmtMaster, "POST", "/key/generate", `{"user_id":"u1","team_id":"t1"}`)["key"].(string)
	f.k2 = m.must(mgmtMaster, "POST", "/key/generate", `{"user_id":"u2"}`)["key"].(string)
	f.hash1, f.hash2 = store.HashKey(f.k1), store.HashKey(f.k2)
	f.day1 = time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	f.day2 = f.day1.AddDate(0, 0, 1)
	recs := []*store.SpendRecord{
		{RequestID: "a", Time: f.day1, KeyHash: f.hash1, UserID: "u1", TeamID: "t1", ModelGroup: "gpt-4o", Cost: 0.5, PromptTokens: 10, CompletionTokens: 5, TotalTokens: 15},
		{RequestID: "b", Time: f.day1.Add(time.Hour), KeyHash: f.hash2, UserID: "u2", ModelGroup: "gpt-4o", Cost: 0.25, TotalTokens: 7, EndUser: "cust"},
		{RequestID: "c", Time: f.day2, KeyHash: f.hash1, UserID: "u1", TeamID: "t1", ModelGroup: "claude", Cost: 1, TotalTokens: 3},
		{RequestID: "d", Time: f.day2.Add(time.Minute), KeyHash: f.hash1, UserID: "u1", TeamID: "t1", ModelGroup: "gpt-4o", Cost: 2, TotalTokens: 4},
		{RequestID: "e", Time: f.day2.AddDate(0, 0, 5), KeyHash: f.hash2, UserID: "u2", ModelGroup: "gpt-4o", Cost: 9}, // out of range
	}
	for _, r := range recs {
		if err := m.store.PutSpend(context.Background(), r); err != nil {
			t.Fatal(err)
		}
	}
	return f
}

func requestIDs(t *testing.T, body any) []string {
	t.Helper()
	list, ok := body.([]any)
	if !ok {
		t.Fatalf("not a list: %v", body)
	}
	var out []string
	for _, r := range list {
		out = append(out, r.(map[string]any)["request_id"].(string))
	}
	sort.Strings(out)
	return out
}

// getAny is a GET whose answer may be a JSON list.
func (m *mgmt) getAny(key, path string) (int, any) {
	m.t.Helper()
	req, _ := http.NewRequest("GET", m.url+path, nil)
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		m.t.Fatal(err)
	}
	defer resp.Body.Close()
	var out any
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		m.t.Fatal(err)
	}
	return resp.StatusCode, out
}

func TestSpendLogs(t *testing.T) {
	f := newSpendFixture(t)
	rng := "start_date=2026-03-01&end_date=2026-03-02"
	tests := []struct {
		name, key, query string
		status           int
		want             []string
	}{
		{"admin, all in range", mgmtMaster, rng, 200, []string{"a", "b", "c", "d"}},
		{"admin, one day", mgmtMaster, "start_date=2026-03-02&end_date=2026-03-02", 200, []string{"c", "d"}},
		{"admin, by key plaintext", mgmtMaster, rng + "&api_key=" + f.k1, 200, []string{"a", "c", "d"}},
		{"admin, by key hash", mgmtMaster, rng + "&api_key=" + f.hash2, 200, []string{"b"}},
		{"admin, by user", mgmtMaster, rng + "&user_id=u2", 200, []string{"b"}},
		{"admin, by team", mgmtMaster, rng + "&team_id=t1", 200, []string{"a", "c", "d"}},
		{"admin, by team and key", mgmtMaster, rng + "&team_id=t1&api_key=" + f.hash2, 200, nil},
		{"admin, by request id", mgmtMaster, rng + "&request_id=c", 200, []string{"c"}},
		{"admin, RFC 3339 range", mgmtMaster, "start_date=2026-03-01T10:30:00Z&end_date=2026-03-02T10:00:30Z", 200, []string{"b", "c"}},
		{"internal user sees only their own", f.u1key, rng, 200, []string{"a", "c", "d"}},
		{"internal user, another's key", f.u1key, rng + "&api_key=" + f.k2, 200, nil},
		{"internal user, another user", f.u1key, rng + "&user_id=u2", 403, nil},
		{"bad date", mgmtMaster, "start_date=yesterday", 400, nil},
		{"reversed range", mgmtMaster, "start_date=2026-03-02&end_date=2026-03-01", 400, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f.m.t = t
			status, body := f.m.getAny(tt.key, "/spend/logs?"+tt.query)
			if status != tt.status {
				t.Fatalf("status %d, want %d: %v", status, tt.status, body)
			}
			if status != 200 {
				return
			}
			if got := requestIDs(t, body); fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Fatalf("records %v, want %v", got, tt.want)
			}
		})
	}
}

// TestSpendLogsPaging: page_size pages with cursors, day by day or on an
// index, and reads every record once.
func TestSpendLogsPaging(t *testing.T) {
	f := newSpendFixture(t)
	for _, q := range []string{"start_date=2026-02-28&end_date=2026-03-03", "start_date=2026-02-28&end_date=2026-03-03&user_id=u1"} {
		f.m.t = t
		var got []string
		cursor := ""
		for pages := 0; ; pages++ {
			if pages > 20 {
				t.Fatalf("%s: too many pages", q)
			}
			_, out := f.m.call(mgmtMaster, "GET", "/spend/logs?page_size=1&"+q+"&cursor="+url.QueryEscape(cursor), "")
			data, ok := out["data"].([]any)
			if !ok {
				t.Fatalf("%s: no data: %v", q, out)
			}
			got = append(got, requestIDs(t, data)...)
			next, _ := out["next_cursor"].(string)
			if next == "" {
				break
			}
			cursor = next
		}
		sort.Strings(got)
		want := "[a b c d]"
		if q != "start_date=2026-02-28&end_date=2026-03-03" {
			want = "[a c d]"
		}
		if fmt.Sprint(got) != want {
			t.Errorf("%s: paged %v, want %s", q, got, want)
		}
	}
	if st, out := f.m.call(mgmtMaster, "GET", "/spend/logs?cursor=nonsense", ""); st != 400 {
		t.Errorf("bad cursor: %d %v", st, out)
	}
}

func TestGlobalSpendReport(t *testing.T) {
	f := newSpendFixture(t)
	rng := "start_date=2026-03-01&end_date=2026-03-02"
	tests := []struct {
		name, key, query string
		status           int
		want             string // fmt of the decoded JSON
	}{
		{"by team", mgmtMaster, rng, 200,
			"[map[group_by_day:2026-03-01 teams:[map[metadata:[map[completion_tokens:5 model:gpt-4o prompt_tokens:10 requests:1 spend:0.5 total_tokens:15]] team_name:t1 total_input_tokens:10 total_output_tokens:5 total_requests:1 total_spend:0.5 total_tokens:15] map[metadata:[map[completion_tokens:0 model:gpt-4o prompt_tokens:0 requests:1 spend:0.25 total_tokens:7]] team_name: total_input_tokens:0 total_output_tokens:0 total_requests:1 total_spend:0.25 total_tokens:7]]] " +
				"map[group_by_day:2026-03-02 teams:[map[metadata:[map[completion_tokens:0 model:gpt-4o prompt_tokens:0 requests:1 spend:2 total_tokens:4] map[completion_tokens:0 model:claude prompt_tokens:0 requests:1 spend:1 total_tokens:3]] team_name:t1 total_input_tokens:0 total_output_tokens:0 total_requests:2 total_spend:3 total_tokens:7]]]]"},
		{"by model, one user", mgmtMaster, rng + "&group_by=model&internal_user_id=u1", 200,
			"[map[group_by_day:2026-03-01 models:[map[metadata:[map[completion_tokens:5 model:gpt-4o prompt_tokens:10 requests:1 spend:0.5 total_tokens:15]] model:gpt-4o total_input_tokens:10 total_output_tokens:5 total_requests:1 total_spend:0.5 total_tokens:15]]] " +
				"map[group_by_day:2026-03-02 models:[map[metadata:[map[completion_tokens:0 model:gpt-4o prompt_tokens:0 requests:1 spend:2 total_tokens:4]] model:gpt-4o total_input_tokens:0 total_output_tokens:0 total_requests:1 total_spend:2 total_tokens:4] map[metadata:[map[completion_tokens:0 model:claude prompt_tokens:0 requests:1 spend:1 total_tokens:3]] model:claude total_input_tokens:0 total_output_tokens:0 total_requests:1 total_spend:1 total_tokens:3]]]]"},
		{"by customer", mgmtMaster, rng + "&group_by=customer&customer_id=cust", 200,
			"[map[customers:[map[customer:cust metadata:[map[completion_tokens:0 model:gpt-4o prompt_tokens:0 requests:1 spend:0.25 total_tokens:7]] total_input_tokens:0 total_output_tokens:0 total_requests:1 total_spend:0.25 total_tokens:7]] group_by_day:2026-03-01]]"},
		{"by key, internal user's own", f.u1key, "start_date=2026-03-02&end_date=2026-03-02&group_by=api_key", 200,
			"[map[api_key:" + f.hash1 + " group_by_day:2026-03-02 model_details:[map[completion_tokens:0 model:gpt-4o prompt_tokens:0 requests:1 spend:2 total_tokens:4] map[completion_tokens:0 model:claude prompt_tokens:0 requests:1 spend:1 total_tokens:3]] total_cost:3 total_input_tokens:0 total_output_tokens:0]]"},
		{"empty range", mgmtMaster, "start_date=2025-01-01&end_date=2025-01-02", 200, "[]"},
		{"bad group_by", mgmtMaster, rng + "&group_by=planet", 400, ""},
		{"internal user, another user", f.u1key, rng + "&internal_user_id=u2", 403, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f.m.t = t
			status, body := f.m.getAny(tt.key, "/global/spend/report?"+tt.query)
			if status != tt.status {
				t.Fatalf("status %d, want %d: %v", status, tt.status, body)
			}
			if tt.want != "" && fmt.Sprint(body) != tt.want {
				t.Fatalf("report\n got %v\nwant %s", body, tt.want)
			}
		})
	}
}

// TestInfoShowsSpend: /key/info, /user/info, /team/info and /team/list
// show the current period's spend from the limiter's counters and when the
// period resets.
func TestInfoShowsSpend(t *testing.T) {
	f := newSpendFixture(t)
	m := f.m
	ctx := context.Background()
	now := time.Now()
	far := now.Add(24 * time.Hour)
	counterU, reset := ratelimit.BudgetPeriod("user", "u1", "1mo", now) // the harness's user default
	if err := m.store.Apply(ctx,
		store.Add{Counter: ratelimit.BudgetCounter("key", f.hash1, "", now), Field: "spend_nanos", Delta: 1_500_000_000, Expires: far},
		store.Add{Counter: counterU, Field: "spend_nanos", Delta: 250_000_000, Expires: far},
		store.Add{Counter: ratelimit.BudgetCounter("team", "t1", "", now), Field: "spend_nanos", Delta: 3_000_000_000, Expires: far}); err != nil {
		t.Fatal(err)
	}
	team := m.must(f.u1key, "GET", "/team/info?team_id=t1", "")["team_info"].(map[string]any)
	if team["spend"] != 3.0 || team["budget_reset_at"] != nil {
		t.Errorf("/team/info spend %v, reset %v; want 3 and none", team["spend"], team["budget_reset_at"])
	}
	for _, caller := range []string{f.u1key, mgmtMaster} {
		var teams []map[string]any
		raw := m.must(caller, "GET", "/team/list", "")["_raw"].(string)
		if err := json.Unmarshal([]byte(raw), &teams); err != nil || len(teams) != 1 || teams[0]["spend"] != 3.0 {
			t.Errorf("/team/list spend: %s", raw)
		}
	}
	info := m.must(f.u1key, "GET", "/key/info?key="+f.k1, "")["info"].(map[string]any)
	if info["spend"] != 1.5 || info["budget_reset_at"] != nil {
		t.Errorf("/key/info spend %v, reset %v; want 1.5 and none", info["spend"], info["budget_reset_at"])
	}
	user := m.must(f.u1key, "GET", "/user/info?user_id=u1", "")["user_info"].(map[string]any)
	if user["spend"] != 0.25 || user["budget_reset_at"] != reset.Format(time.RFC3339) {
		t.Errorf("/user/info spend %v, reset %v; want 0.25 and %s", user["spend"], user["budget_reset_at"], reset.Format(time.RFC3339))
	}
	other := m.must(mgmtMaster, "GET", "/key/info?key="+f.k2, "")["info"].(map[string]any)
	if other["spend"] != 0.0 {
		t.Errorf("a key with no spend: %v", other["spend"])
	}
}
