package app

import (
	"log/slog"
	"sync"
)

// maxLater bounds the settles waiting to run after their responses; past
// it a handler settles before returning, which slows the clients of a
// store that cannot keep up instead of queueing without limit.
const maxLater = 1024

// later runs work after the handler that asked for it has returned
// (httpapi.Deferrer). Only a long-lived server uses it: the settle of a
// call that gates no later admission then no longer holds the client's
// connection, and concurrent settles share the embedded store's commits.
// Close waits for everything started, before the store closes.
type later struct {
	slots  chan struct{}
	wg     sync.WaitGroup
	logger *slog.Logger
}

func newLater(logger *slog.Logger) *later {
	return &later{slots: make(chan struct{}, maxLater), logger: logger}
}

// Go runs f on its own goroutine, or at once when maxLater are waiting.
func (l *later) Go(f func()) {
	select {
	case l.slots <- struct{}{}:
	default:
		f()
		return
	}
	l.wg.Go(func() {
		defer func() {
			<-l.slots
			// A panic here has no handler to answer for it: log it and
			// keep serving, as the request middleware does.
			if v := recover(); v != nil {
				l.logger.Error("panic in work after a response", slog.Any("panic", v))
			}
		}()
		f()
	})
}

// wait returns once all work started has finished; no Go may start after
// it is called.
func (l *later) wait() {
	if l != nil {
		l.wg.Wait()
	}
}
