package config_test

import (
	"testing"
	"time"

	"github.com/tollgate-gw/tollgate/internal/config"
)

func TestParsePeriod(t *testing.T) {
	tests := []struct {
		in      string
		want    config.Period
		fixed   time.Duration
		wantErr bool
	}{
		{in: "30s", want: config.Period{N: 30, Unit: config.Second}, fixed: 30 * time.Second},
		{in: "30m", want: config.Period{N: 30, Unit: config.Minute}, fixed: 30 * time.Minute},
		{in: "30h", want: config.Period{N: 30, Unit: config.Hour}, fixed: 30 * time.Hour},
		{in: "30d", want: config.Period{N: 30, Unit: config.Day}, fixed: 30 * 24 * time.Hour},
		{in: "2w", want: config.Period{N: 2, Unit: config.Week}, fixed: 14 * 24 * time.Hour},
		{in: "1mo", want: config.Period{N: 1, Unit: config.Month}},
		{in: " 12mo ", want: config.Period{N: 12, Unit: config.Month}},
		{in: "daily", want: config.Period{N: 24, Unit: config.Hour}, fixed: 24 * time.Hour},
		{in: "Monthly", want: config.Period{N: 30, Unit: config.Day}, fixed: 30 * 24 * time.Hour},
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
		got, err := config.ParsePeriod(tt.in)
		if tt.wantErr {
			if err == nil {
				t.Errorf("ParsePeriod(%q) = %v, want an error", tt.in, got)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("ParsePeriod(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
			continue
		}
		fixed, ok := got.Fixed()
		if ok != (tt.fixed != 0) || fixed != tt.fixed {
			t.Errorf("%q.Fixed() = %v, %v; want %v", tt.in, fixed, ok, tt.fixed)
		}
		if again, err := config.ParsePeriod(got.String()); err != nil || again != got {
			t.Errorf("round trip of %q via %q = %v, %v", tt.in, got.String(), again, err)
		}
	}
}

func TestPeriodNext(t *testing.T) {
	jan31 := time.Date(2025, 1, 31, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		p    config.Period
		want time.Time
	}{
		{config.Period{N: 1, Unit: config.Month}, time.Date(2025, 3, 3, 12, 0, 0, 0, time.UTC)}, // AddDate normalizes Feb 31
		{config.Period{N: 12, Unit: config.Month}, time.Date(2026, 1, 31, 12, 0, 0, 0, time.UTC)},
		{config.Period{N: 30, Unit: config.Day}, time.Date(2025, 3, 2, 12, 0, 0, 0, time.UTC)},
		{config.Period{N: 90, Unit: config.Second}, jan31.Add(90 * time.Second)},
	}
	for _, tt := range tests {
		if got := tt.p.Next(jan31); !got.Equal(tt.want) {
			t.Errorf("%v.Next = %v, want %v", tt.p, got, tt.want)
		}
	}
	if !(config.Period{}).IsZero() || (config.Period{}).String() != "" {
		t.Error("zero Period is not zero")
	}
}
