package app

import (
	"log/slog"
	"sync"
	"time"
)

// maxLater bounds the settles waiting to run after their responses; past
// it a handler settles before returning, which slows the clients of a
// store that cannot keep up instead of queueing without limit.
const maxLater = 1024

// workerIdle is how long a worker waits for more work before it exits.
const workerIdle = time.Second

// later runs work after the handler that asked for it has returned
// (httpapi.Deferrer). Only a long-lived server uses it: the settle of a
// call that gates no later admission then no longer holds the client's
// connection, and concurrent settles share the embedded store's commits.
// Close waits for everything started, before the store closes.
//
// Work runs on reused workers rather than a goroutine each: a settle needs
// a deeper stack than a new goroutine starts with, and growing one per
// request cost 3–5% of the gateway's CPU in stack copies. A
// worker keeps its stack while it is busy or idle, and exits after
// workerIdle without work.
type later struct {
	work     chan func()   // unbuffered: an idle worker takes the work itself
	slots    chan struct{} // one per worker, busy or idle
	stop     chan struct{} // closed by wait: idle workers exit
	stopOnce sync.Once
	wg       sync.WaitGroup
	logger   *slog.Logger
}

func newLater(logger *slog.Logger) *later {
	return &later{
		work:   make(chan func()),
		slots:  make(chan struct{}, maxLater),
		stop:   make(chan struct{}),
		logger: logger,
	}
}

// Go runs f on an idle worker, else on a new one, else (maxLater workers
// busy) at once.
func (l *later) Go(f func()) {
	select {
	case l.work <- f:
		return
	default:
	}
	select {
	case l.slots <- struct{}{}:
		l.wg.Go(func() { l.worker(f) })
	default:
		f()
	}
}

func (l *later) worker(f func()) {
	defer func() { <-l.slots }()
	idle := time.NewTimer(workerIdle)
	defer idle.Stop()
	for {
		l.run(f)
		idle.Reset(workerIdle)
		select {
		case f = <-l.work:
		case <-idle.C:
			return
		case <-l.stop:
			return
		}
	}
}

func (l *later) run(f func()) {
	defer func() {
		// A panic here has no handler to answer for it: log it and keep
		// serving, as the request middleware does.
		if v := recover(); v != nil {
			l.logger.Error("panic in work after a response", slog.Any("panic", v))
		}
	}()
	f()
}

// wait returns once all work started has finished and the idle workers
// have exited. Work given to Go afterwards still runs, each on a worker of
// its own that exits when done.
func (l *later) wait() {
	if l == nil {
		return
	}
	l.stopOnce.Do(func() { close(l.stop) })
	l.wg.Wait()
}
