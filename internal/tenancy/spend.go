package tenancy

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"sort"
	"strings"
	"time"

	"github.com/tollgate-gw/tollgate/internal/auth"
	"github.com/tollgate-gw/tollgate/internal/ratelimit"
	"github.com/tollgate-gw/tollgate/internal/store"
)

// Spend query limits.
const (
	// DefaultSpendDays is the date range of a spend query that sets none.
	DefaultSpendDays = 30
	// MaxSpendDays bounds a date range scanned day by day.
	MaxSpendDays = 366
	// MaxSpendRecords bounds the records one unpaged /spend/logs answer or
	// one report reads; past it the caller pages or narrows the range.
	MaxSpendRecords = 10000
)

// SpendLogsQuery is /spend/logs' query (LiteLLM's parameters, plus
// team_id and paging).
type SpendLogsQuery struct {
	// APIKey is the key (sk-…) or its hash (LiteLLM's token).
	APIKey, UserID, TeamID, RequestID string
	// StartDate and EndDate are days (YYYY-MM-DD, both included) or
	// RFC 3339 instants (EndDate excluded).
	StartDate, EndDate string
	// PageSize and Cursor page the answer; without them it is one list.
	PageSize int
	Cursor   string
}

// SpendLogsPage is one page of spend records.
type SpendLogsPage struct {
	Data       []*store.SpendRecord `json:"data"`
	NextCursor string               `json:"next_cursor,omitempty"`
}

// SpendLogs serves /spend/logs: spend records by key, user, team and date
// range, oldest first. Internal users see only their own (records of
// their user).
func (s *Service) SpendLogs(ctx context.Context, p *auth.Principal, q SpendLogsQuery) (*SpendLogsPage, error) {
	a, err := authorize(p, OpSpendLogs)
	if err != nil {
		return nil, err
	}
	sc, err := s.spendScan(p, a, spendFilter{apiKey: q.APIKey, userID: q.UserID, teamID: q.TeamID, requestID: q.RequestID},
		q.StartDate, q.EndDate)
	if err != nil {
		return nil, err
	}
	if q.PageSize > 0 || q.Cursor != "" {
		return sc.page(ctx, q.Cursor, q.PageSize)
	}
	recs, err := sc.all(ctx)
	if err != nil {
		return nil, err
	}
	return &SpendLogsPage{Data: recs}, nil
}

// SpendReportQuery is /global/spend/report's query (LiteLLM's).
type SpendReportQuery struct {
	StartDate, EndDate string
	// GroupBy is "team" (default), "api_key", "customer" or "model".
	GroupBy string
	// APIKey, UserID (internal_user_id), TeamID and CustomerID filter.
	APIKey, UserID, TeamID, CustomerID string
}

// SpendGroup is one group's spend on one day, with its spend per model.
type SpendGroup struct {
	Name        string       `json:"-"`
	TotalSpend  float64      `json:"total_spend"`
	TotalTokens int64        `json:"total_tokens"`
	Input       int64        `json:"total_input_tokens"`
	Output      int64        `json:"total_output_tokens"`
	Requests    int64        `json:"total_requests"`
	Models      []ModelSpend `json:"metadata"`
}

// ModelSpend is one model's part of a group's spend.
type ModelSpend struct {
	Model            string  `json:"model"`
	Spend            float64 `json:"spend"`
	TotalTokens      int64   `json:"total_tokens"`
	PromptTokens     int64   `json:"prompt_tokens"`
	CompletionTokens int64   `json:"completion_tokens"`
	Requests         int64   `json:"requests"`
}

// SpendReportDay is one day of a report: its groups, by spend.
type SpendReportDay struct {
	Day     string
	GroupBy string
	Groups  []SpendGroup
}

// MarshalJSON renders LiteLLM's shapes: {"group_by_day", "teams": [{
// "team_name", "total_spend", "metadata": [per model]}]} (customers,
// models alike), and one row per day and key for api_key.
func (d SpendReportDay) MarshalJSON() ([]byte, error) {
	list, field := "teams", "team_name"
	switch d.GroupBy {
	case "customer":
		list, field = "customers", "customer"
	case "model":
		list, field = "models", "model"
	case "api_key":
		rows := make([]map[string]any, 0, len(d.Groups))
		for _, g := range d.Groups {
			rows = append(rows, map[string]any{"group_by_day": d.Day, "api_key": g.Name, "total_cost": g.TotalSpend,
				"total_input_tokens": g.Input, "total_output_tokens": g.Output, "model_details": g.Models})
		}
		return json.Marshal(rows)
	}
	groups := make([]map[string]any, 0, len(d.Groups))
	for _, g := range d.Groups {
		groups = append(groups, map[string]any{field: g.Name, "total_spend": g.TotalSpend, "total_tokens": g.TotalTokens,
			"total_input_tokens": g.Input, "total_output_tokens": g.Output, "total_requests": g.Requests, "metadata": g.Models})
	}
	return json.Marshal(map[string]any{"group_by_day": d.Day, list: groups})
}

// SpendReport is /global/spend/report's answer, by day.
type SpendReport []SpendReportDay

// MarshalJSON flattens api_key days into one list, as LiteLLM does.
func (r SpendReport) MarshalJSON() ([]byte, error) {
	out := []json.RawMessage{}
	for _, d := range r {
		b, err := d.MarshalJSON()
		if err != nil {
			return nil, err
		}
		if d.GroupBy == "api_key" {
			var rows []json.RawMessage
			if err := json.Unmarshal(b, &rows); err != nil {
				return nil, err
			}
			out = append(out, rows...)
			continue
		}
		out = append(out, b)
	}
	return json.Marshal(out)
}

// GlobalSpendReport serves /global/spend/report: spend grouped by day ×
// team, key, customer (end user) or model. Internal users see only their
// own spend.
func (s *Service) GlobalSpendReport(ctx context.Context, p *auth.Principal, q SpendReportQuery) (SpendReport, error) {
	a, err := authorize(p, OpSpendReport)
	if err != nil {
		return nil, err
	}
	group := q.GroupBy
	if group == "" {
		group = "team"
	}
	var name func(r *store.SpendRecord) string
	switch group {
	case "team":
		name = func(r *store.SpendRecord) string { return r.TeamID }
	case "api_key":
		name = func(r *store.SpendRecord) string { return r.KeyHash }
	case "customer":
		name = func(r *store.SpendRecord) string { return r.EndUser }
	case "model":
		name = func(r *store.SpendRecord) string { return r.ModelGroup }
	default:
		return nil, invalid("group_by", "group_by %s: want team, api_key, customer or model", quote(group))
	}
	sc, err := s.spendScan(p, a, spendFilter{apiKey: q.APIKey, userID: q.UserID, teamID: q.TeamID, endUser: q.CustomerID},
		q.StartDate, q.EndDate)
	if err != nil {
		return nil, err
	}
	recs, err := sc.all(ctx)
	if err != nil {
		return nil, err
	}
	type gkey struct{ day, name string }
	groups := map[gkey]*SpendGroup{}
	models := map[gkey]map[string]*ModelSpend{}
	for _, r := range recs {
		k := gkey{r.Time.UTC().Format(time.DateOnly), name(r)}
		g := groups[k]
		if g == nil {
			g = &SpendGroup{Name: k.name}
			groups[k] = g
			models[k] = map[string]*ModelSpend{}
		}
		g.TotalSpend += r.Cost
		g.TotalTokens += r.TotalTokens
		g.Input += r.PromptTokens
		g.Output += r.CompletionTokens
		g.Requests++
		m := models[k][r.ModelGroup]
		if m == nil {
			m = &ModelSpend{Model: r.ModelGroup}
			models[k][r.ModelGroup] = m
		}
		m.Spend += r.Cost
		m.TotalTokens += r.TotalTokens
		m.PromptTokens += r.PromptTokens
		m.CompletionTokens += r.CompletionTokens
		m.Requests++
	}
	days := map[string]*SpendReportDay{}
	for k, g := range groups {
		for _, m := range models[k] {
			g.Models = append(g.Models, *m)
		}
		sort.Slice(g.Models, func(i, j int) bool {
			a, b := g.Models[i], g.Models[j]
			return a.Spend > b.Spend || (a.Spend == b.Spend && a.Model < b.Model)
		})
		d := days[k.day]
		if d == nil {
			d = &SpendReportDay{Day: k.day, GroupBy: group}
			days[k.day] = d
		}
		d.Groups = append(d.Groups, *g)
	}
	out := SpendReport{}
	for _, d := range days {
		sort.Slice(d.Groups, func(i, j int) bool {
			a, b := d.Groups[i], d.Groups[j]
			return a.TotalSpend > b.TotalSpend || (a.TotalSpend == b.TotalSpend && a.Name < b.Name)
		})
		out = append(out, *d)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Day < out[j].Day })
	return out, nil
}

// spendFilter is what a spend query selects; empty fields select all.
type spendFilter struct {
	apiKey, userID, teamID, endUser, requestID string
}

func (f spendFilter) match(r *store.SpendRecord) bool {
	return (f.apiKey == "" || r.KeyHash == f.apiKey) && (f.userID == "" || r.UserID == f.userID) &&
		(f.teamID == "" || r.TeamID == f.teamID) && (f.endUser == "" || r.EndUser == f.endUser) &&
		(f.requestID == "" || r.RequestID == f.requestID)
}

// spendScan is a planned spend query: one index (key, user or team) over
// the range, or the range day by day, with the rest of the filter applied
// to each record.
type spendScan struct {
	st       *store.Store
	by       store.SpendBy // 0: day by day
	id       string
	from, to time.Time
	f        spendFilter
}

// spendScan plans a query: the caller's rights, the filter and the range.
func (s *Service) spendScan(p *auth.Principal, a Access, f spendFilter, start, end string) (*spendScan, error) {
	st := s.st
	if f.apiKey != "" {
		f.apiKey = keyHashOf(f.apiKey)
	}
	if a != All {
		// Internal users: their own user's records only.
		if p.UserID == "" {
			return nil, forbidden("", "only a user's key or JWT may read its own spend")
		}
		if f.userID != "" && f.userID != p.UserID {
			return nil, forbidden("user_id", "you may not read another user's spend (user_id %s)", quote(f.userID))
		}
		f.userID = p.UserID
	}
	from, to, err := spendRange(start, end, s.now())
	if err != nil {
		return nil, err
	}
	sc := &spendScan{st: st, from: from, to: to, f: f}
	switch {
	case f.apiKey != "":
		sc.by, sc.id = store.SpendByKey, f.apiKey
	case f.userID != "":
		sc.by, sc.id = store.SpendByUser, f.userID
	case f.teamID != "":
		sc.by, sc.id = store.SpendByTeam, f.teamID
	default:
		if days := int(to.Sub(from) / (24 * time.Hour)); days > MaxSpendDays {
			return nil, invalid("start_date", "the date range spans %d days; without api_key, user_id or team_id it may span at most %d", days, MaxSpendDays)
		}
	}
	return sc, nil
}

// keyHashOf is a key's hash from the key (sk-…) or the hash itself.
func keyHashOf(ref string) string {
	ref = strings.TrimSpace(ref)
	if strings.HasPrefix(ref, "sk-") {
		return store.HashKey(ref)
	}
	return ref
}

// spendRange parses start and end: days (YYYY-MM-DD, end included) or
// RFC 3339 instants (end excluded). Unset, the range is the last
// DefaultSpendDays days up to now.
func spendRange(start, end string, now time.Time) (from, to time.Time, err error) {
	parse := func(field, v string, isEnd bool) (time.Time, error) {
		if d, err := time.Parse(time.DateOnly, v); err == nil {
			if isEnd {
				d = d.AddDate(0, 0, 1)
			}
			return d, nil
		}
		t, err := time.Parse(time.RFC3339, v)
		if err != nil {
			return time.Time{}, invalid(field, "%s %s: want a day (YYYY-MM-DD) or an RFC 3339 time", field, quote(v))
		}
		return t.UTC(), nil
	}
	to = now.UTC().Add(time.Nanosecond)
	if end != "" {
		if to, err = parse("end_date", end, true); err != nil {
			return
		}
	}
	from = time.Date(to.Year(), to.Month(), to.Day(), 0, 0, 0, 0, time.UTC).AddDate(0, 0, -DefaultSpendDays+1)
	if start != "" {
		if from, err = parse("start_date", start, false); err != nil {
			return
		}
	}
	if !from.Before(to) {
		return from, to, invalid("start_date", "start_date must be before end_date")
	}
	return from, to, nil
}

// spendCursor continues a scan: the day being scanned (day-by-day scans)
// and the store's cursor within it.
type spendCursor struct {
	Day    string `json:"d,omitempty"`
	Cursor string `json:"c,omitempty"`
}

func (c spendCursor) encode() string {
	b, _ := json.Marshal(c)
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeSpendCursor(s string) (spendCursor, error) {
	var c spendCursor
	if s == "" {
		return c, nil
	}
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err == nil {
		err = json.Unmarshal(b, &c)
	}
	if err != nil {
		return c, invalid("cursor", "cursor is not one this endpoint returned")
	}
	return c, nil
}

// page reads up to size matching records from cursor. A page may hold
// fewer records than size (filtered out, or a day boundary) and still have
// a next cursor; an empty next cursor is the end.
func (sc *spendScan) page(ctx context.Context, cursor string, size int) (*SpendLogsPage, error) {
	if size <= 0 {
		size = 100
	}
	c, err := decodeSpendCursor(cursor)
	if err != nil {
		return nil, err
	}
	out := &SpendLogsPage{Data: []*store.SpendRecord{}}
	var recs []*store.SpendRecord
	var next string
	if sc.by != 0 {
		recs, next, err = sc.st.QuerySpend(ctx, store.SpendQuery{By: sc.by, ID: sc.id, From: sc.from, To: sc.to},
			store.Page{Limit: size, Cursor: c.Cursor})
		if err != nil {
			return nil, storeErr("reading spend records", err)
		}
		if next != "" {
			out.NextCursor = spendCursor{Cursor: next}.encode()
		}
	} else {
		day := time.Date(sc.from.Year(), sc.from.Month(), sc.from.Day(), 0, 0, 0, 0, time.UTC)
		if c.Day != "" {
			if day, err = time.Parse(time.DateOnly, c.Day); err != nil {
				return nil, invalid("cursor", "cursor is not one this endpoint returned")
			}
		}
		recs, next, err = sc.st.SpendOfDay(ctx, day, sc.from, sc.to, store.Page{Limit: size, Cursor: c.Cursor})
		if err != nil {
			return nil, storeErr("reading spend records", err)
		}
		switch {
		case next != "":
			out.NextCursor = spendCursor{Day: day.Format(time.DateOnly), Cursor: next}.encode()
		case day.AddDate(0, 0, 1).Before(sc.to):
			out.NextCursor = spendCursor{Day: day.AddDate(0, 0, 1).Format(time.DateOnly)}.encode()
		}
	}
	for _, r := range recs {
		if sc.f.match(r) {
			out.Data = append(out.Data, r)
		}
	}
	return out, nil
}

// all reads every matching record, up to MaxSpendRecords.
func (sc *spendScan) all(ctx context.Context) ([]*store.SpendRecord, error) {
	out := []*store.SpendRecord{}
	cursor := ""
	for {
		pg, err := sc.page(ctx, cursor, 1000)
		if err != nil {
			return nil, err
		}
		out = append(out, pg.Data...)
		if len(out) > MaxSpendRecords {
			return nil, invalid("", "more than %d spend records match: narrow the date range or page with page_size", MaxSpendRecords)
		}
		if pg.NextCursor == "" {
			return out, nil
		}
		cursor = pg.NextCursor
	}
}

// spentTeamView is teamView with the team's current spend.
func (s *Service) spentTeamView(ctx context.Context, t *store.Team) (TeamView, error) {
	v := s.teamView(ctx, t)
	var err error
	v.Spend, v.BudgetResetAt, err = s.levelSpend(ctx, "team", t.TeamID, t.BudgetDuration)
	return v, err
}

// levelSpend is the current spend of a key, user or team (the limiter's
// budget counter of its current period) and when that period resets (nil:
// never).
func (s *Service) levelSpend(ctx context.Context, kind, id, duration string) (float64, *time.Time, error) {
	if id == "" {
		return 0, nil, nil
	}
	counter, reset := ratelimit.BudgetPeriod(kind, id, duration, s.now())
	c, err := s.st.GetCounter(ctx, counter)
	if err != nil {
		return 0, nil, storeErr("reading spend", err)
	}
	var at *time.Time
	if !reset.IsZero() {
		at = &reset
	}
	return ratelimit.SpendOf(c.Values), at, nil
}
