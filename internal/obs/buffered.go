package obs

import (
	"io"
	"sync"
	"time"
)

// BufferedWriter gathers log lines and writes them to the underlying writer
// together: at most delay after the first unwritten line, at once when
// maxBuffered bytes are waiting, and on Flush or Close. A long-lived gateway
// logs a line per request, and one write system call per line costs a few
// percent of its CPU at thousands of requests a second.
//
// It is for a process that owns its lifetime (Close before exit). Under
// Lambda the environment may freeze or vanish after a response, so lines
// there go straight to stderr.
type BufferedWriter struct {
	w     io.Writer
	delay time.Duration

	mu      sync.Mutex
	buf     []byte
	pending *time.Timer // a flush is scheduled while set
	closed  bool
}

// maxBuffered is how much waits before a write goes through at once.
const maxBuffered = 64 << 10

// NewBufferedWriter returns a writer that holds lines for up to delay.
func NewBufferedWriter(w io.Writer, delay time.Duration) *BufferedWriter {
	return &BufferedWriter{w: w, delay: delay, buf: make([]byte, 0, 8<<10)}
}

// Write appends p, which slog hands over as one whole line, and writes it
// through once enough is waiting. After Close it writes directly.
func (b *BufferedWriter) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return b.w.Write(p)
	}
	b.buf = append(b.buf, p...)
	if len(b.buf) >= maxBuffered {
		return len(p), b.flushLocked()
	}
	if b.pending == nil {
		b.pending = time.AfterFunc(b.delay, func() { _ = b.Flush() })
	}
	return len(p), nil
}

// Flush writes everything waiting.
func (b *BufferedWriter) Flush() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.flushLocked()
}

func (b *BufferedWriter) flushLocked() error {
	if b.pending != nil {
		b.pending.Stop()
		b.pending = nil
	}
	if len(b.buf) == 0 {
		return nil
	}
	_, err := b.w.Write(b.buf)
	if cap(b.buf) > 4*maxBuffered {
		b.buf = make([]byte, 0, 8<<10) // do not keep a burst's buffer
	} else {
		b.buf = b.buf[:0]
	}
	return err
}

// Close writes everything waiting; later writes go straight through, so
// that lines logged while the process exits are not lost.
func (b *BufferedWriter) Close() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.closed = true
	return b.flushLocked()
}
