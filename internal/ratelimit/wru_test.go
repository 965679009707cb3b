package ratelimit

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/tollgate-gw/tollgate/internal/auth"
	"github.com/tollgate-gw/tollgate/internal/clocktest"
	"github.com/tollgate-gw/tollgate/internal/store"
	"github.com/tollgate-gw/tollgate/internal/store/dynamo"
	"github.com/tollgate-gw/tollgate/internal/store/dynamo/dynamolocal"
	"github.com/tollgate-gw/tollgate/internal/store/storetest"
)

// TestWriteUnitsPerCall measures, with ReturnConsumedCapacity against
// DynamoDB Local, the write units one call's admission and settle consume
// (a warm call: the key is cached, so no reads), and fails above the bound
// docs/data-model.md states. The figures are logged for that table.
func TestWriteUnitsPerCall(t *testing.T) {
	srv := dynamolocal.Require(t, dynamoServer)
	tables := newDynamoTables(t, srv)
	client, meter := srv.MeteredClient()
	clk := clocktest.New(storetest.Date(time.March, 10, 12, 0, 5))
	l := New(dynamo.New(client, tables, &dynamo.Options{Store: &store.Options{Now: clk.Now}}), pricer(), &Options{Now: clk.Now})
	key := func(id, user, team string, lim *store.Limits) *auth.Principal {
		p := &auth.Principal{Kind: auth.KindKey, KeyHash: id, UserID: user, TeamID: team,
			Levels: []auth.Level{{Kind: "key", ID: id, Limits: lim}}}
		if user != "" {
			p.Levels = append(p.Levels, auth.Level{Kind: "user", ID: user, Limits: &store.Limits{}})
		}
		if team != "" {
			p.Levels = append(p.Levels, auth.Level{Kind: "team", ID: team, Limits: &store.Limits{}})
		}
		return p
	}
	budgetRPM := &store.Limits{MaxBudget: ptr(10.0), RPMLimit: ptr(int64(1000))}
	for _, tc := range []struct {
		name string
		p    *auth.Principal
		max  float64 // WRU per call; 0: measured only
	}{
		{"key with a budget and an rpm limit", key("k-budget-rpm", "", "", budgetRPM), 8},
		{"the same key of a user in a team", key("k-user-team", "u1", "t1", budgetRPM), 0},
		{"key with an rpm limit, of a user in a team", key("k-rpm", "u2", "t2", &store.Limits{RPMLimit: ptr(int64(1000))}), 8},
		{"key rpm+tpm+parallel, user rpm, team budget", principal(
			&store.Limits{RPMLimit: ptr(int64(1000)), TPMLimit: ptr(int64(1e6)), MaxParallelRequests: ptr(int64(10))},
			&store.Limits{RPMLimit: ptr(int64(1000))}, &store.Limits{MaxBudget: ptr(10.0)}), 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rid := store.HashKey(tc.name)[:12]
			for i := range 3 { // a new counter, then existing ones
				meter.Reset()
				tk, err := l.Admit(context.Background(), Request{RequestID: fmt.Sprintf("%s-%d", rid, i), Principal: tc.p, ModelGroup: "m",
					Deployment: "d1", Provider: "fake", Model: "m", EstimatedTokens: 120, Bound: Bound{PromptTokens: 400, OutputTokens: 256}})
				if err != nil {
					t.Fatal(err)
				}
				admit := meter.Usage().WriteUnits
				o := usage(100, 20)
				o.Tags = []string{"team-a", "prod"}
				if _, err := tk.Settle(context.Background(), o); err != nil {
					t.Fatal(err)
				}
				u := meter.Usage()
				total := u.WriteUnits
				t.Logf("call %d: admission %.1f WRU, settle %.1f WRU, total %.1f WRU in %d requests",
					i, admit, total-admit, total, u.Calls)
				if u.Failed > 0 {
					t.Fatalf("call %d: %d requests failed", i, u.Failed)
				}
				if tc.max > 0 && total > tc.max {
					t.Fatalf("call %d consumed %.1f WRU, more than %.0f", i, total, tc.max)
				}
			}
		})
	}
}
