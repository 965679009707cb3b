package store

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/go-json-experiment/json/jsontext"
)

// SpendRecord is one request's spend (LiteLLM's spend log fields).
type SpendRecord struct {
	RequestID string    `json:"request_id"`
	Time      time.Time `json:"start_time"`
	// KeyHash is the caller's key hash ("" for the master key).
	KeyHash    string `json:"api_key,omitempty"`
	UserID     string `json:"user,omitempty"`
	TeamID     string `json:"team_id,omitempty"`
	EndUser    string `json:"end_user,omitempty"`
	ModelGroup string `json:"model_group,omitempty"`
	Model      string `json:"model,omitempty"`
	Deployment string `json:"model_id,omitempty"`
	Provider   string `json:"custom_llm_provider,omitempty"`

	PromptTokens     int64 `json:"prompt_tokens"`
	CompletionTokens int64 `json:"completion_tokens"`
	TotalTokens      int64 `json:"total_tokens"`
	CacheReadTokens  int64 `json:"cache_read_input_tokens,omitempty"`
	CacheWriteTokens int64 `json:"cache_creation_input_tokens,omitempty"`
	// Cost is in USD.
	Cost      float64  `json:"spend"`
	LatencyMS int64    `json:"latency_ms"`
	Status    string   `json:"status"`
	CacheHit  bool     `json:"cache_hit,omitempty"`
	Tags      []string `json:"request_tags,omitempty"`
	// ExpiresAt is when the record is dropped; zero means
	// DefaultSpendRetention after Time.
	ExpiresAt time.Time `json:"expires_at"`
}

// appendJSON appends r as encoding/json encodes it (the names and omitempty
// rules of its tags), written out by hand: one is encoded per request, and
// reflection made json.Marshal the costliest step of a settle and the
// reason its goroutine outgrew its first stack. TestSpendRecordJSON and
// FuzzSpendRecordJSON hold it to json.Marshal.
func (r *SpendRecord) appendJSON(b []byte) ([]byte, error) {
	if math.IsNaN(r.Cost) || math.IsInf(r.Cost, 0) {
		return nil, fmt.Errorf("encoding record: spend %v is not a JSON number", r.Cost)
	}
	b = append(b, `{"request_id":`...)
	b = appendString(b, r.RequestID)
	var err error
	if b, err = appendTime(append(b, `,"start_time":`...), r.Time); err != nil {
		return nil, err
	}
	for _, f := range [...]struct{ name, v string }{
		{`,"api_key":`, r.KeyHash}, {`,"user":`, r.UserID}, {`,"team_id":`, r.TeamID}, {`,"end_user":`, r.EndUser},
		{`,"model_group":`, r.ModelGroup}, {`,"model":`, r.Model}, {`,"model_id":`, r.Deployment},
		{`,"custom_llm_provider":`, r.Provider},
	} {
		if f.v != "" {
			b = appendString(append(b, f.name...), f.v)
		}
	}
	b = strconv.AppendInt(append(b, `,"prompt_tokens":`...), r.PromptTokens, 10)
	b = strconv.AppendInt(append(b, `,"completion_tokens":`...), r.CompletionTokens, 10)
	b = strconv.AppendInt(append(b, `,"total_tokens":`...), r.TotalTokens, 10)
	if r.CacheReadTokens != 0 {
		b = strconv.AppendInt(append(b, `,"cache_read_input_tokens":`...), r.CacheReadTokens, 10)
	}
	if r.CacheWriteTokens != 0 {
		b = strconv.AppendInt(append(b, `,"cache_creation_input_tokens":`...), r.CacheWriteTokens, 10)
	}
	b = appendFloat(append(b, `,"spend":`...), r.Cost)
	b = strconv.AppendInt(append(b, `,"latency_ms":`...), r.LatencyMS, 10)
	b = appendString(append(b, `,"status":`...), r.Status)
	if r.CacheHit {
		b = append(b, `,"cache_hit":true`...)
	}
	if len(r.Tags) > 0 {
		b = append(b, `,"request_tags":[`...)
		for i, t := range r.Tags {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendString(b, t)
		}
		b = append(b, ']')
	}
	if b, err = appendTime(append(b, `,"expires_at":`...), r.ExpiresAt); err != nil {
		return nil, err
	}
	return append(b, '}'), nil
}

// appendString appends s as a JSON string. Invalid UTF-8 becomes U+FFFD, as
// encoding/json writes it; jsontext reports it too, which a record, whose
// strings come from clients, does not refuse.
func appendString(b []byte, s string) []byte {
	b, _ = jsontext.AppendQuote(b, s)
	return b
}

// appendFloat appends f as encoding/json writes a float64 that is an
// integer below 1e21 or not: digits only, or the shortest 'g' form. Costs
// are small fractions; whole dollars are common in tests and budgets.
func appendFloat(b []byte, f float64) []byte {
	if f == math.Trunc(f) && math.Abs(f) < 1e21 {
		return strconv.AppendFloat(b, f, 'f', -1, 64)
	}
	return strconv.AppendFloat(b, f, 'g', -1, 64)
}

// appendTime appends t as time.Time's MarshalJSON does, refusing the years
// it refuses.
func appendTime(b []byte, t time.Time) ([]byte, error) {
	if y := t.Year(); y < 0 || y > 9999 {
		return nil, fmt.Errorf("encoding record: time %v: year outside [0,9999]", t)
	}
	b = append(b, '"')
	b = t.AppendFormat(b, time.RFC3339Nano)
	return append(b, '"'), nil
}

// spendItem validates r and builds its item: the record, keyed by day and
// time, with an index entry for each of its key, user and team.
func spendItem(r *SpendRecord) (*Item, error) {
	if r == nil {
		return nil, invalid("spend record is nil")
	}
	if err := checkID("request_id", r.RequestID); err != nil {
		return nil, err
	}
	if r.Time.IsZero() {
		return nil, invalid("spend record %s has no time", r.RequestID)
	}
	for _, f := range [...]struct{ what, id string }{{"api_key", r.KeyHash}, {"user", r.UserID}, {"team_id", r.TeamID}} {
		if err := checkOptionalID(f.what, f.id); err != nil {
			return nil, err
		}
	}
	rec := *r
	rec.Time = r.Time.UTC()
	if rec.ExpiresAt.IsZero() {
		rec.ExpiresAt = rec.Time.Add(DefaultSpendRetention)
	}
	doc, err := rec.appendJSON(make([]byte, 0, 512))
	if err == nil {
		err = checkDocSize(doc)
	}
	if err != nil {
		return nil, err
	}
	sk := spendSK(rec.Time, rec.RequestID)
	it := &Item{Table: SpendTable, PK: pkSpendDay(rec.Time, rec.RequestID), SK: sk, TTL: ttlOf(rec.ExpiresAt), Doc: doc}
	if rec.KeyHash != "" {
		it.Index[0] = IndexKey{PK: pkKey(rec.KeyHash), SK: sk}
	}
	if rec.UserID != "" {
		it.Index[1] = IndexKey{PK: pkUser(rec.UserID), SK: sk}
	}
	if rec.TeamID != "" {
		it.Index[2] = IndexKey{PK: pkTeam(rec.TeamID), SK: sk}
	}
	return it, nil
}

// PutSpend writes one spend record; ErrConflict if it was already written.
// On the hot path the record goes into the settle Apply instead (PutSpend
// op), so it costs no extra round trip.
func (s *Store) PutSpend(ctx context.Context, r *SpendRecord) error {
	it, err := spendItem(r)
	if err != nil {
		return fmt.Errorf("writing spend record: %w", err)
	}
	if err := s.write(ctx, &Write{Kind: WritePut, Item: it, Cond: Cond{Kind: CondAbsent}}); err != nil {
		return fmt.Errorf("writing spend record %s: %w", r.RequestID, err)
	}
	return nil
}

// SpendBy says whose spend a SpendQuery selects.
type SpendBy int

// What spend queries select by.
const (
	SpendByKey SpendBy = iota + 1
	SpendByUser
	SpendByTeam
)

// SpendQuery selects spend records of one key, user or team in [From, To),
// oldest first. A zero From or To leaves that end open.
type SpendQuery struct {
	By SpendBy
	// ID is the key hash, user id or team id.
	ID       string
	From, To time.Time
}

// QuerySpend returns one page of spend records.
func (s *Store) QuerySpend(ctx context.Context, sq SpendQuery, p Page) ([]*SpendRecord, string, error) {
	if err := checkID("spend query id", sq.ID); err != nil {
		return nil, "", fmt.Errorf("querying spend: %w", err)
	}
	q := Query{Table: SpendTable}
	switch sq.By {
	case SpendByKey:
		q.Index, q.PK = 1, pkKey(sq.ID)
	case SpendByUser:
		q.Index, q.PK = 2, pkUser(sq.ID)
	case SpendByTeam:
		q.Index, q.PK = 3, pkTeam(sq.ID)
	default:
		return nil, "", fmt.Errorf("querying spend: %w", invalid("spend query by %d: want key, user or team", sq.By))
	}
	if emptyRange(sq.From, sq.To) {
		return nil, "", nil
	}
	timeRange(&q, sq.From, sq.To)
	return s.spendPage(ctx, q, p)
}

// SpendOfDay returns one page of the spend records of the UTC day that
// holds day, in [From, To) within it when those are set, oldest first:
// the report query (group by day × team/key/model). The day's records are
// spread over SpendShards partitions; each page reads them all at once and
// merges them in time order, and the cursor holds where each stopped.
func (s *Store) SpendOfDay(ctx context.Context, day time.Time, from, to time.Time, p Page) ([]*SpendRecord, string, error) {
	if emptyRange(from, to) {
		return nil, "", nil
	}
	parts := spendDayPartitions(day)
	after, err := decodeDayCursor(p.Cursor, len(parts))
	if err != nil {
		return nil, "", fmt.Errorf("querying spend: %w", err)
	}
	limit := p.limit()
	// Each partition is read a share of the page (at least 8), so a page
	// costs about two pages of reads, not seventeen; the merge below only
	// returns what it knows is next in time order.
	per := max(2*limit/len(parts), 8)
	type batch struct {
		items []*Item
		more  bool
		err   error
	}
	got := make([]batch, len(parts))
	var wg sync.WaitGroup
	for i, pk := range parts {
		if after[i] == dayDone {
			continue
		}
		wg.Go(func() {
			q := Query{Table: SpendTable, PK: pk}
			timeRange(&q, from, to)
			n := per
			if after[i] != "" {
				q.From, n = after[i], per+1 // From is inclusive: the first item may be the last one returned
			}
			items, next, err := s.query(ctx, q, Page{Limit: n})
			if len(items) > 0 && after[i] != "" && items[0].SK == after[i] {
				items = items[1:]
			}
			got[i] = batch{items: items, more: next != "", err: err}
		})
	}
	wg.Wait()
	// Items up to the smallest last sort key among partitions that have
	// more are surely next: nothing unread sorts before them.
	bound := ""
	var all []*Item
	src := make(map[*Item]int)
	for i, b := range got {
		if b.err != nil {
			return nil, "", fmt.Errorf("querying spend: %w", b.err)
		}
		if after[i] == dayDone {
			continue
		}
		if b.more && len(b.items) > 0 {
			if last := b.items[len(b.items)-1].SK; bound == "" || last < bound {
				bound = last
			}
		}
		for _, it := range b.items {
			src[it] = i
		}
		all = append(all, b.items...)
	}
	slices.SortFunc(all, func(a, b *Item) int { return strings.Compare(a.SK, b.SK) })
	var out []*SpendRecord
	for _, it := range all {
		if len(out) == limit || (bound != "" && it.SK > bound) {
			break
		}
		var r SpendRecord
		if err := decode(it, &r); err != nil {
			return nil, "", err
		}
		out = append(out, &r)
		after[src[it]] = it.SK
	}
	for i, b := range got {
		if after[i] == dayDone || b.more {
			continue
		}
		if len(b.items) == 0 || after[i] == b.items[len(b.items)-1].SK {
			after[i] = dayDone // read to its end and all returned
		}
	}
	return out, encodeDayCursor(after), nil
}

// dayDone marks a partition read to its end in a day cursor ('~' sorts
// after every sort key, which begin with a year).
const dayDone = "~"

// encodeDayCursor encodes where each partition of a day stopped; "" when
// every one is done.
func encodeDayCursor(after []string) string {
	for _, a := range after {
		if a != dayDone {
			b, _ := json.Marshal(after)
			return base64.RawURLEncoding.EncodeToString(b)
		}
	}
	return ""
}

func decodeDayCursor(c string, parts int) ([]string, error) {
	if c == "" {
		return make([]string, parts), nil
	}
	b, err := base64.RawURLEncoding.DecodeString(c)
	var after []string
	if err == nil {
		err = json.Unmarshal(b, &after)
	}
	if err != nil || len(after) != parts {
		return nil, invalid("bad spend cursor")
	}
	return after, nil
}

// emptyRange reports whether [from, to) holds no instant.
func emptyRange(from, to time.Time) bool {
	return !from.IsZero() && !to.IsZero() && !from.Before(to)
}

// timeRange bounds a spend query's sort keys ("<time>#<request id>") to
// [from, to).
func timeRange(q *Query, from, to time.Time) {
	if !from.IsZero() {
		q.From = sortTime(from)
	}
	if !to.IsZero() {
		// '$' sorts right after '#', so this bound keeps every request of
		// the last instant before to.
		q.To = sortTime(to.Add(-time.Nanosecond)) + "$"
	}
}

func (s *Store) spendPage(ctx context.Context, q Query, p Page) ([]*SpendRecord, string, error) {
	items, next, err := s.query(ctx, q, p)
	if err != nil {
		return nil, "", fmt.Errorf("querying spend: %w", err)
	}
	out := make([]*SpendRecord, 0, len(items))
	for _, it := range items {
		var r SpendRecord
		if err := decode(it, &r); err != nil {
			return nil, "", err
		}
		out = append(out, &r)
	}
	return out, next, nil
}
