package app

import (
	"encoding/json"
	"testing"
)

// TestReadinessNamesTheStore: /health/readiness names the store the
// gateway actually uses (it said "embedded" on DynamoDB too).
func TestReadinessNamesTheStore(t *testing.T) {
	for _, b := range storeBackends {
		t.Run(b.name, func(t *testing.T) {
			a := startLocalApp(t, b.env(t), Options{})
			st, body := call(t, a.gw.URL, "GET", "/health/readiness", "", "")
			var r struct {
				Store string `json:"store"`
			}
			if err := json.Unmarshal([]byte(body), &r); st != 200 || err != nil || r.Store != b.name {
				t.Fatalf("readiness: %d %s, want store %q", st, body, b.name)
			}
		})
	}
}
