package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// TestReproducibleZip: the root Makefile's zip step gives byte-identical
// artifacts for the same binary whatever its file time or mode, so a
// rebuild of the same commit changes no asset hash and a redeploy of
// unchanged code changes nothing.
func TestReproducibleZip(t *testing.T) {
	dir := t.TempDir()
	var zips [2][]byte
	for i, mtime := range []time.Time{time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), time.Date(2027, 6, 7, 8, 9, 10, 0, time.UTC)} {
		bin := filepath.Join(dir, string(rune('a'+i)), "bootstrap")
		if err := os.MkdirAll(filepath.Dir(bin), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(bin, []byte("\x7fELF same bytes"), os.FileMode(0o700+i*0o55)); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(bin, mtime, mtime); err != nil {
			t.Fatal(err)
		}
		zip := filepath.Join(dir, string(rune('a'+i))+".zip")
		cmd := exec.Command("make", "-s", "-C", "..", "zip-one", "BIN="+bin, "ZIP="+zip)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("make zip-one: %v\n%s", err, out)
		}
		b, err := os.ReadFile(zip)
		if err != nil {
			t.Fatal(err)
		}
		zips[i] = b
	}
	if !bytes.Equal(zips[0], zips[1]) {
		t.Error("the same binary zipped at two file times gives two different artifacts")
	}
}
