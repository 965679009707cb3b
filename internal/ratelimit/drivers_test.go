package ratelimit

import (
	"context"
	"fmt"
	"sync/atomic"

	"github.com/tollgate-gw/tollgate/internal/store"
)

// countingDriver counts the write round trips through the driver it wraps:
// a Write, a WriteValues or a WriteEach is one.
type countingDriver struct {
	store.Driver
	n atomic.Int64
}

func (c *countingDriver) Write(ctx context.Context, now int64, ws []*store.Write) error {
	c.n.Add(1)
	return c.Driver.Write(ctx, now, ws)
}

func (c *countingDriver) WriteValues(ctx context.Context, now int64, ws []*store.Write) ([]*store.Item, error) {
	c.n.Add(1)
	return c.Driver.(store.ValueWriter).WriteValues(ctx, now, ws)
}

func (c *countingDriver) WriteEach(ctx context.Context, now int64, ws []*store.Write) []error {
	c.n.Add(1)
	return c.Driver.(store.EachWriter).WriteEach(ctx, now, ws)
}

// failingDriver is a store that cannot be reached: every call fails with
// ErrUnavailable. It counts the write round trips attempted.
type failingDriver struct{ n atomic.Int64 }

func throttled() error { return fmt.Errorf("%w: throttled", store.ErrUnavailable) }

func (*failingDriver) Get(context.Context, store.Table, string, string) (*store.Item, error) {
	return nil, throttled()
}

func (*failingDriver) Query(context.Context, *store.Query) ([]*store.Item, string, error) {
	return nil, "", throttled()
}

func (f *failingDriver) Write(context.Context, int64, []*store.Write) error {
	f.n.Add(1)
	return throttled()
}

func (f *failingDriver) Update(context.Context, int64, *store.Write) (*store.Item, error) {
	f.n.Add(1)
	return nil, throttled()
}

func (f *failingDriver) WriteEach(_ context.Context, _ int64, ws []*store.Write) []error {
	f.n.Add(1)
	errs := make([]error, len(ws))
	for i := range errs {
		errs[i] = throttled()
	}
	return errs
}

func (*failingDriver) Close() error { return nil }
