package period_test

import (
	"testing"
	"time"

	"github.com/tollgate-gw/tollgate/internal/period"
)

func TestParse(t *testing.T) {
	tests := []struct {
		in      string
		want    period.Period
		fixed   time.Duration
		wantErr bool
	}{
		{in: "30s", want: period.Period{N: 30, Unit: period.Second}, fixed: 30 * time.Second},
		{in: "30m", want: period.Period{N: 30, Unit: period.Minute}, fixed: 30 * time.Minute},
		{in: "30h", want: period.Period{N: 30, Unit: period.Hour}, fixed: 30 * time.Hour},
		{in: "30d", want: period.Period{N: 30, Unit: period.Day}, fixed: 30 * 24 * time.Hour},
		{in: "2w", want: period.Period{N: 2, Unit: period.Week}, fixed: 14 * 24 * time.Hour},
		{in: "1mo", want: period.Period{N: 1, Unit: period.Month}},
		{in: " 12mo ", want: period.Period{N: 12, Unit: period.Month}},
		{in: "daily", want: period.Period{N: 24, Unit: period.Hour}, fixed: 24 * time.Hour},
		{in: "Monthly", want: period.Period{N: 30, Unit: period.Day}, fixed: 30 * 24 * time.Hour},
		{in: "", wantErr: true},
		{in: "30", wantErr: true},
		{in: "mo", wantErr: true},
		{in: "0d", wantErr: true},
		{in: "-1d", wantErr: true},
		{in: "1.5h", wantErr: true},
		{in: "30x", wantErr: true},
		{in: "30dd", wantErr: true},
		{in: "99999999999999999999d", wantErr: true},
	}
	for _, tt := range tests {
		got, err := period.Parse(tt.in)
		if tt.wantErr {
			if err == nil {
				t.Errorf("Parse(%q) = %v, want an error", tt.in, got)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("Parse(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
			continue
		}
		fixed, ok := got.Fixed()
		if ok != (tt.fixed != 0) || fixed != tt.fixed {
			t.Errorf("%q.Fixed() = %v, %v; want %v", tt.in, fixed, ok, tt.fixed)
		}
		if again, err := period.Parse(got.String()); err != nil || again != got {
			t.Errorf("round trip of %q via %q = %v, %v", tt.in, got.String(), again, err)
		}
	}
}

func TestPeriodNext(t *testing.T) {
	jan31 := time.Date(2025, 1, 31, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		p    period.Period
		want time.Time
	}{
		{period.Period{N: 1, Unit: period.Month}, time.Date(2025, 3, 3, 12, 0, 0, 0, time.UTC)}, // AddDate normalizes Feb 31
		{period.Period{N: 12, Unit: period.Month}, time.Date(2026, 1, 31, 12, 0, 0, 0, time.UTC)},
		{period.Period{N: 30, Unit: period.Day}, time.Date(2025, 3, 2, 12, 0, 0, 0, time.UTC)},
		{period.Period{N: 90, Unit: period.Second}, jan31.Add(90 * time.Second)},
	}
	for _, tt := range tests {
		if got := tt.p.Next(jan31); !got.Equal(tt.want) {
			t.Errorf("%v.Next = %v, want %v", tt.p, got, tt.want)
		}
	}
	if !(period.Period{}).IsZero() || (period.Period{}).String() != "" {
		t.Error("zero Period is not zero")
	}
}
