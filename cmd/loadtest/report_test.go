package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestRewrite: -from writes an earlier run's report into the document's
// section and leaves the hand-written text around it alone.
func TestRewrite(t *testing.T) {
	dir := t.TempDir()
	res := results{
		Settings: settings{Targets: []string{"direct"}, Rounds: 1, CommandLine: "go run ./cmd/loadtest"},
		Started:  time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC),
		Finished: time.Date(2026, 12, 1, 10, 5, 0, 0, time.UTC),
		Machine:  machine{CPUs: 2, CPUModel: "Test CPU 9000"},
	}
	b, err := json.Marshal(&res)
	if err != nil {
		t.Fatal(err)
	}
	from := filepath.Join(dir, "loadtest.json")
	doc := filepath.Join(dir, "performance.md")
	if err := os.WriteFile(from, b, 0o600); err != nil {
		t.Fatal(err)
	}
	before := "# Performance\n\nhand-written\n\n" + beginMarker + "\nold figures\n" + endMarker + "\n\nafter\n"
	if err := os.WriteFile(doc, []byte(before), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := rewrite(from, doc); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(doc)
	want := res.markdown()
	if !strings.Contains(string(got), beginMarker+"\n"+want+endMarker) || strings.Contains(string(got), "old figures") ||
		!strings.HasPrefix(string(got), "# Performance\n\nhand-written\n\n") || !strings.HasSuffix(string(got), "\nafter\n") {
		t.Errorf("document:\n%s", got)
	}
	if err := rewrite(filepath.Join(dir, "missing.json"), doc); err == nil || !strings.Contains(err.Error(), "make bench") {
		t.Errorf("missing run: %v", err)
	}
}
