package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestChatEvent: the events sent to the gateway under Lambda carry the
// request as plain text, with a true Content-Length and the master key, in
// both header maps of each sample.
func TestChatEvent(t *testing.T) {
	for _, f := range lambdaFronts {
		t.Run(f.Name, func(t *testing.T) {
			tmpl, err := os.ReadFile(filepath.Join("..", "..", "events", "gateway", f.Template))
			if err != nil {
				t.Fatal(err)
			}
			b, err := chatEvent(tmpl, streamBody)
			if err != nil {
				t.Fatal(err)
			}
			var ev map[string]any
			if err := json.Unmarshal(b, &ev); err != nil {
				t.Fatal(err)
			}
			if ev["body"] != streamBody || ev["isBase64Encoded"] != false {
				t.Errorf("body %v, base64 %v", ev["body"], ev["isBase64Encoded"])
			}
			seen := 0
			for _, h := range []string{"headers", "multiValueHeaders"} {
				m, _ := ev[h].(map[string]any)
				for k, v := range m {
					s, _ := v.(string)
					if l, ok := v.([]any); ok && len(l) == 1 {
						s, _ = l[0].(string)
					}
					switch strings.ToLower(k) {
					case "content-length":
						seen++
						if s != strconv.Itoa(len(streamBody)) {
							t.Errorf("%s %s = %q, want %d", h, k, s, len(streamBody))
						}
					case "authorization":
						seen++
						if s != "Bearer "+masterKey {
							t.Errorf("%s %s = %q", h, k, s)
						}
					}
				}
			}
			if seen < 2 {
				t.Errorf("Content-Length and Authorization not both found (%d)", seen)
			}
		})
	}
}

// TestLambdaReport: a run without load phases reports the cold starts and
// the Lambda path against their targets.
func TestLambdaReport(t *testing.T) {
	res := results{
		Settings: settings{Targets: []string{"direct", "tollgate"}, Rounds: 1, LambdaInvokes: 10, CommandLine: "go run ./cmd/loadtest -load=false"},
		Started:  time.Date(2026, 12, 8, 1, 0, 0, 0, time.UTC),
		Finished: time.Date(2026, 12, 8, 1, 1, 0, 0, time.UTC),
		Cold:     []coldRun{{ReadyMs: 20, CPUmsAtReady: 15}, {ReadyMs: 24, CPUmsAtReady: 16}, {ReadyMs: 30, CPUmsAtReady: 17}},
		Lambda: &lambdaResults{
			Cold:       []lambdaCold{{InitMs: 31, InitCPUms: 20}, {InitMs: 35, InitCPUms: 21}, {Error: "boom"}},
			Fronts:     []lambdaFront{{Name: "function URL", Invokes: 20, Chat: pct{P50: 1.5, P99: 3}, TTFB: pct{P50: 1}}},
			DirectChat: pct{P50: 0.25, P99: 0.5},
		},
	}
	md := res.markdown()
	for _, want := range []string{
		"| exec to first successful completion (issue 14: ≤ 25 ms; issue 2: ≤ 50 ms) | ≤ 25 ms | 24.0 ms, CPU 16.0 ms (medians of 3) | met |",
		"| Lambda init duration | ≤ 30 ms | 1 of 3 starts failed (see below) | **not met** |",
		"| exec → the runtime's first `next` (Lambda's Init Duration) | **33.0** (31.0, 35.0) | 20.5 (20.0, 21.0) |",
		"| **added latency per invoke p50 / p99, ms** | +1.250 / +2.500 | – |",
		"Lambda cold start 3 failed: `boom`",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("report lacks %q:\n%s", want, md)
		}
	}
	if strings.Contains(md, "Every round") {
		t.Error("a run without load phases shows the per-round table")
	}
}
