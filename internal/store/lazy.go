package store

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
)

// Lazy returns a Driver that calls open on its first use and then
// delegates to the driver open returned, so a process that never needs the
// store (a gateway used only with the master key) never opens it. An open
// that fails is an error wrapping ErrUnavailable, and the next call tries
// again. Close closes the opened driver, if any; a call after Close opens
// it anew.
func Lazy(open func(context.Context) (Driver, error)) Driver {
	return &lazy{open: open}
}

type lazy struct {
	open func(context.Context) (Driver, error)
	mu   sync.Mutex
	d    atomic.Pointer[Driver]
}

var (
	_ Driver      = (*lazy)(nil)
	_ ValueWriter = (*lazy)(nil)
	_ EachWriter  = (*lazy)(nil)
)

func (l *lazy) get(ctx context.Context) (Driver, error) {
	if d := l.d.Load(); d != nil {
		return *d, nil
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if d := l.d.Load(); d != nil {
		return *d, nil
	}
	d, err := l.open(ctx)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrUnavailable, err)
	}
	l.d.Store(&d)
	return d, nil
}

func (l *lazy) Get(ctx context.Context, t Table, pk, sk string) (*Item, error) {
	d, err := l.get(ctx)
	if err != nil {
		return nil, err
	}
	return d.Get(ctx, t, pk, sk)
}

func (l *lazy) Query(ctx context.Context, q *Query) ([]*Item, string, error) {
	d, err := l.get(ctx)
	if err != nil {
		return nil, "", err
	}
	return d.Query(ctx, q)
}

func (l *lazy) Write(ctx context.Context, now int64, ws []*Write) error {
	d, err := l.get(ctx)
	if err != nil {
		return err
	}
	return d.Write(ctx, now, ws)
}

func (l *lazy) Update(ctx context.Context, now int64, w *Write) (*Item, error) {
	d, err := l.get(ctx)
	if err != nil {
		return nil, err
	}
	return d.Update(ctx, now, w)
}

// WriteValues keeps the opened driver's ValueWriter visible to Store.
func (l *lazy) WriteValues(ctx context.Context, now int64, ws []*Write) ([]*Item, error) {
	d, err := l.get(ctx)
	if err != nil {
		return nil, err
	}
	if vw, ok := d.(ValueWriter); ok {
		return vw.WriteValues(ctx, now, ws)
	}
	return nil, d.Write(ctx, now, ws) // values unknown, as without a ValueWriter
}

// WriteEach keeps the opened driver's EachWriter visible to Store.
func (l *lazy) WriteEach(ctx context.Context, now int64, ws []*Write) []error {
	d, err := l.get(ctx)
	if err != nil {
		errs := make([]error, len(ws))
		for i := range errs {
			errs[i] = err
		}
		return errs
	}
	return writeEach(ctx, d, now, ws)
}

func (l *lazy) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if d := l.d.Swap(nil); d != nil {
		return (*d).Close()
	}
	return nil
}
