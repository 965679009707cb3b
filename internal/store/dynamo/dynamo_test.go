package dynamo_test

import (
	"context"
	"fmt"
	"os"
	"sync/atomic"
	"testing"

	"github.com/tollgate-gw/tollgate/internal/store"
	"github.com/tollgate-gw/tollgate/internal/store/dynamo"
	"github.com/tollgate-gw/tollgate/internal/store/dynamo/dynamolocal"
	"github.com/tollgate-gw/tollgate/internal/store/storetest"
)

var server *dynamolocal.Server

func TestMain(m *testing.M) { os.Exit(dynamolocal.Main(m, &server)) }

var tableSeq atomic.Int64

// newTables creates a fresh set of tables for one test.
func newTables(t *testing.T) dynamo.Tables {
	t.Helper()
	srv := dynamolocal.Require(t, server)
	n := tableSeq.Add(1)
	tables := dynamo.Tables{
		State: fmt.Sprintf("state-%d", n), Spend: fmt.Sprintf("spend-%d", n), Cache: fmt.Sprintf("cache-%d", n),
	}
	c := srv.Client()
	if err := dynamo.CreateTables(context.Background(), c, tables); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = dynamo.DeleteTables(context.Background(), c, tables) })
	return tables
}

func open(t *testing.T, opts *store.Options) *store.Store {
	tables := newTables(t)
	return dynamo.New(server.Client(), tables, &dynamo.Options{Store: opts})
}

func TestConformance(t *testing.T) {
	dynamolocal.Require(t, server)
	storetest.Run(t, open)
}
