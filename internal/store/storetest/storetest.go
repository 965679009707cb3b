// Package storetest is the conformance suite every store.Driver passes:
// embedded runs it always, dynamo against DynamoDB Local. It is meant to be
// complete enough that a backend needs few tests of its own.
package storetest

import (
	"testing"
	"time"

	"github.com/tollgate-gw/tollgate/internal/clocktest"
	"github.com/tollgate-gw/tollgate/internal/store"
)

// Opener returns a new, empty store built with opts, which carries the
// suite's clock. The opener registers the store's cleanup with t.
type Opener func(t *testing.T, opts *store.Options) *store.Store

// Run runs the conformance suite against the stores open returns.
func Run(t *testing.T, open Opener) {
	suites := []struct {
		name string
		run  func(t *testing.T, h *harness)
	}{
		{"Keys", testKeys},
		{"KeyValidation", testKeyValidation},
		{"KeyLimitsRoundTrip", testKeyLimitsRoundTrip},
		{"ListKeys", testListKeys},
		{"Users", testUsers},
		{"Teams", testTeams},
		{"Organizations", testOrganizations},
		{"Models", testModels},
		{"Sessions", testSessions},
		{"MessagesConcurrent", testMessagesConcurrent},
		{"Counters", testCounters},
		{"ZeroLimits", testZeroLimits},
		{"CountersAllOrNone", testCountersAllOrNone},
		{"CountersConcurrent", testCountersConcurrent},
		{"ApplyValues", testApplyValues},
		{"CounterValidation", testCounterValidation},
		{"Leases", testLeases},
		{"LeasesConcurrent", testLeasesConcurrent},
		{"Settle", testSettle},
		{"ApplyEach", testApplyEach},
		{"Spend", testSpend},
		{"SpendDayPaging", testSpendDayPaging},
		{"Cache", testCache},
		{"Cooldowns", testCooldowns},
	}
	for _, s := range suites {
		t.Run(s.name, func(t *testing.T) {
			t.Parallel()
			clock := NewClock(Date(time.November, 21, 12, 0, 0))
			st := open(t, &store.Options{Now: clock.Now})
			s.run(t, &harness{Store: st, clock: clock})
		})
	}
}

type harness struct {
	*store.Store
	clock *Clock
}

// Date returns the given moment of next year, UTC. Suites start their
// clocks there rather than at a fixed date: DynamoDB Local really deletes
// items whose TTL attribute is in the wall-clock past, so a fixed date
// makes a suite pass until the day it passes, then flake.
func Date(month time.Month, day, hour, min, sec int) time.Time {
	return time.Date(time.Now().UTC().Year()+1, month, day, hour, min, sec, 0, time.UTC)
}

// Clock is the settable clock the suites run stores on.
type Clock = clocktest.Clock

// NewClock returns a clock stopped at t.
func NewClock(t time.Time) *Clock { return clocktest.New(t) }
