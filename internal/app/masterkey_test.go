package app

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"
)

// TestGeneratedMasterKeyOnlyOnTheTerminal: a local master key generated at
// the first start is shown once on the terminal and never written to the
// structured log; the next start uses the saved key and shows nothing.
func TestGeneratedMasterKeyOnlyOnTheTerminal(t *testing.T) {
	env := map[string]string{"TOLLGATE_STORE": "embedded", "TOLLGATE_DATA_DIR": t.TempDir()}
	startOnce := func() (logs, terminal string) {
		var l, term bytes.Buffer
		a, err := New(context.Background(), Options{
			ConfigPaths: []string{localConfig},
			LookupEnv:   func(k string) (string, bool) { v, ok := env[k]; return v, ok },
			Logger:      slog.New(slog.NewJSONHandler(&l, nil)),
			Terminal:    &term,
		})
		if err != nil {
			t.Fatal(err)
		}
		if err := a.Close(); err != nil {
			t.Fatal(err)
		}
		return l.String(), term.String()
	}
	logs, term := startOnce()
	key := between(term, "\n\n    ", "\n")
	if !strings.HasPrefix(key, "sk-") || len(key) < 40 {
		t.Fatalf("terminal shows no key: %q", term)
	}
	if strings.Contains(logs, key) || strings.Contains(logs, key[len(key)-12:]) {
		t.Errorf("the structured log holds the master key:\n%s", logs)
	}
	if !strings.Contains(logs, "generated a local master key") {
		t.Errorf("the log does not say a key was generated:\n%s", logs)
	}
	logs, term = startOnce()
	if term != "" || strings.Contains(logs, key) {
		t.Errorf("second start: terminal %q; log holds the key: %v", term, strings.Contains(logs, key))
	}
}
