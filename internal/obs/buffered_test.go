package obs

import (
	"bytes"
	"fmt"
	"sync"
	"testing"
	"time"
)

// lockedBuffer records what reaches the underlying writer, one entry per
// Write call.
type lockedBuffer struct {
	mu     sync.Mutex
	writes []string
	wrote  chan struct{}
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	l.writes = append(l.writes, string(p))
	l.mu.Unlock()
	if l.wrote != nil {
		l.wrote <- struct{}{}
	}
	return len(p), nil
}

func (l *lockedBuffer) all() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.writes...)
}

func TestBufferedWriter(t *testing.T) {
	t.Run("lines wait and go out together on Flush", func(t *testing.T) {
		var out lockedBuffer
		b := NewBufferedWriter(&out, time.Hour)
		for i := range 3 {
			fmt.Fprintf(b, "line %d\n", i)
		}
		if got := out.all(); len(got) != 0 {
			t.Fatalf("written before the delay: %q", got)
		}
		if err := b.Flush(); err != nil {
			t.Fatal(err)
		}
		if got := out.all(); len(got) != 1 || got[0] != "line 0\nline 1\nline 2\n" {
			t.Fatalf("after Flush: %q", got)
		}
	})
	t.Run("the delay writes them without a Flush", func(t *testing.T) {
		out := lockedBuffer{wrote: make(chan struct{}, 1)}
		b := NewBufferedWriter(&out, time.Millisecond)
		fmt.Fprintln(b, "soon")
		<-out.wrote // the timer's flush; the test times out if it never comes
		if got := out.all(); len(got) != 1 || got[0] != "soon\n" {
			t.Fatalf("after the delay: %q", got)
		}
	})
	t.Run("a full buffer goes out at once", func(t *testing.T) {
		var out lockedBuffer
		b := NewBufferedWriter(&out, time.Hour)
		line := bytes.Repeat([]byte("x"), 1000)
		line[len(line)-1] = '\n'
		n := 0
		for len(out.all()) == 0 {
			if _, err := b.Write(line); err != nil {
				t.Fatal(err)
			}
			n++
		}
		if want := (maxBuffered + len(line) - 1) / len(line); n != want {
			t.Fatalf("first write after %d lines, want %d", n, want)
		}
		if got := out.all()[0]; len(got) != n*len(line) {
			t.Fatalf("wrote %d bytes, want %d whole lines", len(got), n*len(line))
		}
	})
	t.Run("Close flushes and later lines go straight through", func(t *testing.T) {
		var out lockedBuffer
		b := NewBufferedWriter(&out, time.Hour)
		fmt.Fprintln(b, "before")
		if err := b.Close(); err != nil {
			t.Fatal(err)
		}
		fmt.Fprintln(b, "after")
		if got := out.all(); len(got) != 2 || got[0] != "before\n" || got[1] != "after\n" {
			t.Fatalf("writes = %q", got)
		}
	})
	t.Run("concurrent lines stay whole", func(t *testing.T) {
		var out lockedBuffer
		b := NewBufferedWriter(&out, time.Microsecond)
		var wg sync.WaitGroup
		for g := range 8 {
			wg.Go(func() {
				for i := range 200 {
					fmt.Fprintf(b, "g%d-%03d\n", g, i)
				}
			})
		}
		wg.Wait()
		if err := b.Close(); err != nil {
			t.Fatal(err)
		}
		var all bytes.Buffer
		for _, w := range out.all() {
			all.WriteString(w)
		}
		lines := bytes.Split(bytes.TrimSuffix(all.Bytes(), []byte("\n")), []byte("\n"))
		if len(lines) != 8*200 {
			t.Fatalf("%d lines, want %d", len(lines), 8*200)
		}
		for _, l := range lines {
			if len(l) != len("g0-000") {
				t.Fatalf("torn line %q", l)
			}
		}
	})
}
