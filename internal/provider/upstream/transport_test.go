package upstream_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/tollgate-gw/tollgate/internal/provider/upstream"
)

func TestRetryAfter(t *testing.T) {
	now := time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name    string
		headers map[string]string
		want    time.Duration
	}{
		{"none", nil, 0},
		{"seconds", map[string]string{"Retry-After": "7"}, 7 * time.Second},
		{"fractional seconds", map[string]string{"Retry-After": "0.25"}, 250 * time.Millisecond},
		{"HTTP date", map[string]string{"Retry-After": "Sat, 21 Nov 2026 12:00:30 GMT"}, 30 * time.Second},
		{"HTTP date in the past", map[string]string{"Retry-After": "Sat, 21 Nov 2026 11:59:00 GMT"}, 0},
		{"milliseconds win", map[string]string{"Retry-After": "7", "Retry-After-Ms": "1500"}, 1500 * time.Millisecond},
		{"bad milliseconds fall back", map[string]string{"Retry-After": "7", "Retry-After-Ms": "soon"}, 7 * time.Second},
		{"negative", map[string]string{"Retry-After": "-3"}, 0},
		{"NaN", map[string]string{"Retry-After": "NaN"}, 0},
		{"absurd", map[string]string{"Retry-After": "1e30"}, 0},
		{"far date is capped", map[string]string{"Retry-After": "Sun, 21 Nov 2027 12:00:00 GMT"}, upstream.MaxRetryAfter},
		{"garbage", map[string]string{"Retry-After": "later"}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := http.Header{}
			for k, v := range tt.headers {
				h.Set(k, v)
			}
			if got := upstream.RetryAfter(h, now); got != tt.want {
				t.Fatalf("retryAfter = %v, want %v", got, tt.want)
			}
		})
	}
}
