package dynamo

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/tollgate-gw/tollgate/internal/store"
)

// Tables names the three tables.
type Tables struct {
	State, Spend, Cache string
}

// Check reports a table without a name; every one is required. The names
// come from TOLLGATE_STATE_TABLE, TOLLGATE_SPEND_TABLE and
// TOLLGATE_CACHE_TABLE (internal/env), which the errors name.
func (t Tables) Check() error {
	for _, n := range []struct{ env, v string }{
		{"TOLLGATE_STATE_TABLE", t.State}, {"TOLLGATE_SPEND_TABLE", t.Spend}, {"TOLLGATE_CACHE_TABLE", t.Cache},
	} {
		if n.v == "" {
			return fmt.Errorf("%s is not set: the DynamoDB store needs TOLLGATE_STATE_TABLE, TOLLGATE_SPEND_TABLE and TOLLGATE_CACHE_TABLE", n.env)
		}
	}
	return nil
}

func (t Tables) name(tb store.Table) *string {
	switch tb {
	case store.SpendTable:
		return aws.String(t.Spend)
	case store.CacheTable:
		return aws.String(t.Cache)
	}
	return aws.String(t.State)
}

// Options are the DynamoDB driver's settings; nil means defaults.
type Options struct {
	// Store configures the portable store (clock, retention).
	Store *store.Options
	// ConsistentReads makes Get and base-table queries strongly consistent
	// (twice the read cost). Default true: a key update or block must be
	// seen by the next read. Index queries are always eventually
	// consistent (DynamoDB offers nothing else on a GSI).
	ConsistentReads *bool
	// MaxAttempts bounds the retries of a write refused by a transaction
	// conflict or by expired state it had to clear (default 25).
	MaxAttempts int
}

// Driver is the DynamoDB store.Driver.
type Driver struct {
	c           *dynamodb.Client
	tables      Tables
	consistent  bool
	maxAttempts int
}

var _ store.Driver = (*Driver)(nil)

// New returns a Store over the tables, using client as it is configured.
func New(client *dynamodb.Client, tables Tables, opts *Options) *store.Store {
	var so *store.Options
	if opts != nil {
		so = opts.Store
	}
	return store.New(NewDriver(client, tables, opts), so)
}

// NewDriver returns the driver alone (New wraps it in a Store).
func NewDriver(client *dynamodb.Client, tables Tables, opts *Options) *Driver {
	d := &Driver{c: client, tables: tables, consistent: true, maxAttempts: 25}
	if opts != nil {
		if opts.ConsistentReads != nil {
			d.consistent = *opts.ConsistentReads
		}
		if opts.MaxAttempts > 0 {
			d.maxAttempts = opts.MaxAttempts
		}
	}
	return d
}

// Close implements store.Driver; the client needs no closing.
func (d *Driver) Close() error { return nil }

// Get implements store.Driver.
func (d *Driver) Get(ctx context.Context, t store.Table, pk, sk string) (*store.Item, error) {
	out, err := d.c.GetItem(ctx, &dynamodb.GetItemInput{
		TableName:      d.tables.name(t),
		Key:            key(&store.Item{Table: t, PK: pk, SK: sk}),
		ConsistentRead: aws.Bool(d.consistent),
	})
	if err != nil {
		return nil, classify("GetItem", err)
	}
	if out.Item == nil {
		return nil, store.ErrNotFound
	}
	return fromAttrs(t, out.Item)
}

// backoff waits before retry attempt (1-based), with full jitter capped
// at 100ms, or returns the context's error.
func backoff(ctx context.Context, attempt int) error {
	limit := time.Duration(1<<min(attempt, 7)) * time.Millisecond
	t := time.NewTimer(jitter(limit))
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

var errTooManyAttempts = errors.New("too many attempts")
