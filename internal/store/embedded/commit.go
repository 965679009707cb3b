package embedded

import (
	"errors"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/tollgate-gw/tollgate/internal/store"
)

// maxGroup bounds the writes one commit carries, so that a long queue
// cannot make one transaction (and its callers' wait) arbitrarily long.
const maxGroup = 512

// holdDeferred is how long a deferred write (store.WithDeferredCommit: a
// settle after its response) may wait for company before it commits. At
// 500 requests a second it turns 500 commits, each with its fsync, into
// about 40; a client never waits for it.
const holdDeferred = 25 * time.Millisecond

// committer is the store's single writer: group commit. Every write waits
// in one queue; one goroutine takes whatever has queued while the previous
// commit ran and applies it in one transaction, with one fsync. Under load
// a commit carries many writes; a lone write commits at once, with no
// batching delay. (bbolt's own Batch collects only for a fixed delay and
// then waits for the writer lock, so under load it still commits — and
// syncs — about once per write.) Deferred writes are held up to
// holdDeferred, and ride along with the next commit that happens sooner.
//
// A write that its conditions refuse (store.CondFailed) changes nothing
// (Driver.apply checks every condition before it saves), so it fails alone
// and the others commit. Any other error aborts the transaction; each write
// of that group is then retried in its own transaction, so that one bad
// write cannot fail its neighbours.
type committer struct {
	db *bolt.DB
	q  chan *groupWrite

	mu     sync.RWMutex // held to send on q; Close takes it to close q
	closed bool
	done   chan struct{} // closed when run returns
}

type groupWrite struct {
	fn       func(*bolt.Tx) error
	deferred bool
	err      chan error
}

func newCommitter(db *bolt.DB) *committer {
	c := &committer{db: db, q: make(chan *groupWrite, maxGroup), done: make(chan struct{})}
	go c.run()
	return c
}

// errClosed is the error of a write after Close.
var errClosed = errors.New("store is closed")

// write runs fn in a write transaction shared with other writes and
// returns once that transaction has committed (or fn's error). A deferred
// write may wait up to holdDeferred for others.
func (c *committer) write(fn func(*bolt.Tx) error, deferred bool) error {
	w := &groupWrite{fn: fn, deferred: deferred, err: make(chan error, 1)}
	c.mu.RLock()
	if c.closed {
		c.mu.RUnlock()
		return errClosed
	}
	c.q <- w
	c.mu.RUnlock()
	return <-w.err
}

func (c *committer) run() {
	defer close(c.done)
	var held []*groupWrite // deferred writes waiting for company
	var timer *time.Timer
	var expired <-chan time.Time
	release := func(group []*groupWrite) {
		if timer != nil {
			timer.Stop()
			timer, expired = nil, nil
		}
		held = nil
		c.commit(group)
	}
	for {
		select {
		case w, ok := <-c.q:
			if !ok {
				if len(held) > 0 {
					release(held)
				}
				return
			}
			if w.deferred {
				held = append(held, w)
				if len(held) < maxGroup {
					if timer == nil {
						timer = time.NewTimer(holdDeferred)
						expired = timer.C
					}
					continue
				}
				release(held)
				continue
			}
			group := append(held, w)
		fill:
			for len(group) < len(held)+maxGroup {
				select {
				case w, ok := <-c.q:
					if !ok {
						break fill
					}
					group = append(group, w)
				default:
					break fill
				}
			}
			release(group)
		case <-expired:
			release(held)
		}
	}
}

// commit applies group in one transaction and answers every write.
func (c *committer) commit(group []*groupWrite) {
	errs := make([]error, len(group))
	err := c.db.Update(func(tx *bolt.Tx) error {
		for i, w := range group {
			err := w.fn(tx)
			var cf *store.CondFailed
			if errors.As(err, &cf) {
				errs[i] = err // refused before writing anything
				continue
			}
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil && len(group) > 1 {
		for _, w := range group {
			c.commit([]*groupWrite{w})
		}
		return
	}
	for i, w := range group {
		if err != nil {
			errs[i] = err
		}
		w.err <- errs[i]
	}
}

// close stops accepting writes, lets the queued ones commit and returns
// when the writer has stopped.
func (c *committer) close() {
	c.mu.Lock()
	if !c.closed {
		c.closed = true
		close(c.q)
	}
	c.mu.Unlock()
	<-c.done
}
