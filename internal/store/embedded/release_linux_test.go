//go:build linux

package embedded

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"

	bolt "go.etcd.io/bbolt"
)

// rssFileKiB reads this process's resident file-backed memory.
func rssFileKiB(t *testing.T) int64 {
	t.Helper()
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Skip("no /proc/self/status:", err)
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "RssFile:"); ok {
			n, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
	}
	t.Skip("no RssFile in /proc/self/status")
	return 0
}

// TestReleaseMapped: after a scan has mapped every page of the store, the
// release drops them from the process's resident set, and the data still
// reads.
func TestReleaseMapped(t *testing.T) {
	d, err := OpenDriver(t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	const n, size = 4000, 4 << 10 // 16 MiB of values
	val := bytes.Repeat([]byte("x"), size)
	if err := d.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket([]byte("spend"))
		for i := range n {
			if err := b.Put([]byte(fmt.Sprintf("k%06d", i)), val); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	scan := func() (total int) {
		_ = d.db.View(func(tx *bolt.Tx) error {
			return tx.Bucket([]byte("spend")).ForEach(func(_, v []byte) error { total += int(v[0]) + len(v); return nil })
		})
		return total
	}
	want := scan()
	before := rssFileKiB(t)
	if err := d.releaseMapped(); err != nil {
		t.Fatal(err)
	}
	after := rssFileKiB(t)
	if dropped := before - after; dropped < 12<<10 {
		t.Errorf("RssFile %d -> %d KiB: released %d KiB of a 16 MiB store, want at least 12 MiB", before, after, dropped)
	}
	if got := scan(); got != want {
		t.Errorf("after the release the store reads %d, want %d", got, want)
	}
}
