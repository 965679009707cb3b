package dynamolocal

import (
	"context"
	"sync"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go/middleware"
)

// Meter counts the capacity units the requests of a client consume, as
// DynamoDB reports them (ReturnConsumedCapacity INDEXES, which it sets on
// every request that takes it): the write and read units of the tables
// and of their indexes. Tests hold the cost of an operation to a bound
// with it.
type Meter struct {
	mu    sync.Mutex
	write float64
	read  float64
	calls int
	// failed counts requests that returned an error: DynamoDB charges
	// for a failed condition but reports no capacity for it.
	failed int
}

// MeteredClient returns a client whose every request is counted by the
// returned meter.
func (s *Server) MeteredClient() (*dynamodb.Client, *Meter) {
	m := &Meter{}
	c := s.Client()
	return dynamodb.New(c.Options(), func(o *dynamodb.Options) {
		o.APIOptions = append(o.APIOptions, m.install)
	}), m
}

// Reset zeroes the counts.
func (m *Meter) Reset() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.write, m.read, m.calls, m.failed = 0, 0, 0, 0
}

// Usage is what a Meter counted since its last Reset.
type Usage struct {
	WriteUnits, ReadUnits float64
	// Calls are the requests made; Failed those that returned an error
	// (DynamoDB charges a failed condition but reports no capacity for it).
	Calls, Failed int
}

// Usage returns what was counted since the last Reset.
func (m *Meter) Usage() Usage {
	m.mu.Lock()
	defer m.mu.Unlock()
	return Usage{WriteUnits: m.write, ReadUnits: m.read, Calls: m.calls, Failed: m.failed}
}

func (m *Meter) install(st *middleware.Stack) error {
	return st.Initialize.Add(middleware.InitializeMiddlewareFunc("tollgateMeter",
		func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
			const all = types.ReturnConsumedCapacityIndexes
			switch p := in.Parameters.(type) {
			case *dynamodb.PutItemInput:
				p.ReturnConsumedCapacity = all
			case *dynamodb.UpdateItemInput:
				p.ReturnConsumedCapacity = all
			case *dynamodb.DeleteItemInput:
				p.ReturnConsumedCapacity = all
			case *dynamodb.TransactWriteItemsInput:
				p.ReturnConsumedCapacity = all
			case *dynamodb.GetItemInput:
				p.ReturnConsumedCapacity = all
			case *dynamodb.QueryInput:
				p.ReturnConsumedCapacity = all
			}
			out, md, err := next.HandleInitialize(ctx, in)
			var used []types.ConsumedCapacity
			switch r := out.Result.(type) {
			case *dynamodb.PutItemOutput:
				used = one(r.ConsumedCapacity)
			case *dynamodb.UpdateItemOutput:
				used = one(r.ConsumedCapacity)
			case *dynamodb.DeleteItemOutput:
				used = one(r.ConsumedCapacity)
			case *dynamodb.TransactWriteItemsOutput:
				used = r.ConsumedCapacity
			case *dynamodb.GetItemOutput:
				used = one(r.ConsumedCapacity)
			case *dynamodb.QueryOutput:
				used = one(r.ConsumedCapacity)
			}
			m.mu.Lock()
			defer m.mu.Unlock()
			m.calls++
			if err != nil {
				m.failed++
			}
			for _, c := range used {
				m.write += units(c.WriteCapacityUnits, c.CapacityUnits, c.ReadCapacityUnits)
				m.read += val(c.ReadCapacityUnits)
			}
			return out, md, err
		}), middleware.After)
}

func one(c *types.ConsumedCapacity) []types.ConsumedCapacity {
	if c == nil {
		return nil
	}
	return []types.ConsumedCapacity{*c}
}

// units is the write units of a ConsumedCapacity: WriteCapacityUnits when
// reported, else the total less the read units.
func units(write, total, read *float64) float64 {
	if write != nil {
		return *write
	}
	return val(total) - val(read)
}

func val(p *float64) float64 {
	if p == nil {
		return 0
	}
	return *p
}
