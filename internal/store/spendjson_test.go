package store

import (
	"encoding/json"
	"math"
	"reflect"
	"testing"
	"time"
)

// sameAsMarshal fails unless r.appendJSON and json.Marshal agree: both
// fail, or both succeed with documents that decode to the same members.
func sameAsMarshal(t *testing.T, r *SpendRecord) {
	t.Helper()
	got, gotErr := r.appendJSON(nil)
	want, wantErr := json.Marshal(r)
	if (gotErr != nil) != (wantErr != nil) {
		t.Fatalf("appendJSON error = %v, json.Marshal error = %v", gotErr, wantErr)
	}
	if gotErr != nil {
		return
	}
	var g, w map[string]any
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatalf("appendJSON wrote invalid JSON %s: %v", got, err)
	}
	if err := json.Unmarshal(want, &w); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(g, w) {
		t.Fatalf("appendJSON:\n %s\njson.Marshal:\n %s", got, want)
	}
	var back SpendRecord
	if err := json.Unmarshal(got, &back); err != nil {
		t.Fatal(err)
	}
	if !back.Time.Equal(r.Time) || !back.ExpiresAt.Equal(r.ExpiresAt) || back.Cost != r.Cost {
		t.Fatalf("read back %+v from %s", back, got)
	}
}

func TestSpendRecordJSON(t *testing.T) {
	at := time.Date(2026, 11, 21, 15, 4, 5, 123456789, time.UTC)
	tests := []struct {
		name string
		r    SpendRecord
	}{
		{"bare", SpendRecord{RequestID: "r1", Time: at}},
		{"full", SpendRecord{
			RequestID: "r2", Time: at, KeyHash: "k", UserID: "u", TeamID: "t", EndUser: "e", ModelGroup: "g",
			Model: "m", Deployment: "d", Provider: "openai", PromptTokens: 12, CompletionTokens: 34, TotalTokens: 46,
			CacheReadTokens: 5, CacheWriteTokens: 6, Cost: 0.000123, LatencyMS: 7, Status: "success", CacheHit: true,
			Tags: []string{"a", "<b>&\u2028", "é"}, ExpiresAt: at.Add(90 * 24 * time.Hour),
		}},
		{"empty tags are left out", SpendRecord{RequestID: "r3", Time: at, Tags: []string{}}},
		{"costs", SpendRecord{RequestID: "r4", Time: at, Cost: 1e-9, Status: "failure"}},
		{"large cost", SpendRecord{RequestID: "r5", Time: at, Cost: 1e22}},
		{"integral cost", SpendRecord{RequestID: "r6", Time: at, Cost: 3}},
		{"negative values", SpendRecord{RequestID: "r7", Time: at, Cost: -0.5, PromptTokens: -1}},
		{"strings to escape", SpendRecord{RequestID: "r\"8\\\n", Time: at, EndUser: "\x00\x1f\xff"}},
		{"another zone", SpendRecord{RequestID: "r9", Time: at.In(time.FixedZone("x", -(5*3600 + 30*60)))}},
		{"year 10000", SpendRecord{RequestID: "r10", Time: time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)}},
		{"NaN", SpendRecord{RequestID: "r11", Time: at, Cost: math.NaN()}},
		{"Inf", SpendRecord{RequestID: "r12", Time: at, Cost: math.Inf(-1)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { sameAsMarshal(t, &tt.r) })
	}
}

func FuzzSpendRecordJSON(f *testing.F) {
	f.Add("r", "k", "<tag>", int64(1700000000), int64(5), 0.25, int64(3), true, 0)
	f.Add("\xff", "", "\u2028", int64(-62135596800), int64(0), 1e300, int64(-1), false, 60)
	f.Fuzz(func(t *testing.T, id, user, tag string, unix, nanos int64, cost float64, tokens int64, hit bool, offset int) {
		// Whole minutes: RFC 3339 offsets have no seconds, so neither
		// encoder can carry others.
		when := time.Unix(unix, nanos).In(time.FixedZone("z", offset%(24*60)*60))
		r := SpendRecord{
			RequestID: id, Time: when, UserID: user, Tags: []string{tag}, Cost: cost,
			PromptTokens: tokens, CacheReadTokens: tokens, CacheHit: hit, ExpiresAt: when.Add(time.Hour),
		}
		sameAsMarshal(t, &r)
	})
}

func BenchmarkSpendRecordJSON(b *testing.B) {
	at := time.Date(2026, 11, 21, 15, 4, 5, 123456789, time.UTC)
	r := SpendRecord{
		RequestID: "0b9f7e0e-8a39-4c4e-9a7d-1f9b3b2c4d5e", Time: at, ModelGroup: "gpt-4o-mini", Model: "gpt-4o-mini",
		Deployment: "471332b207436b07", Provider: "openai", PromptTokens: 27, CompletionTokens: 24, TotalTokens: 51,
		Cost: 0.0000185, LatencyMS: 1, Status: "success", ExpiresAt: at.Add(90 * 24 * time.Hour),
	}
	b.Run("appendJSON", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := r.appendJSON(make([]byte, 0, 512)); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("json.Marshal", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := json.Marshal(&r); err != nil {
				b.Fatal(err)
			}
		}
	})
}
