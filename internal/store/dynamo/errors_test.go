package dynamo

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"

	"github.com/tollgate-gw/tollgate/internal/store"
)

func TestClassify(t *testing.T) {
	cases := []struct {
		name        string
		err         error
		unavailable bool
		cond        bool
	}{
		{"provisioned throughput", &types.ProvisionedThroughputExceededException{}, true, false},
		{"throttling", &smithy.GenericAPIError{Code: "ThrottlingException"}, true, false},
		{"request limit", &types.RequestLimitExceeded{}, true, false},
		{"internal server error", &types.InternalServerError{}, true, false},
		{"server fault", &smithy.GenericAPIError{Code: "Whatever", Fault: smithy.FaultServer}, true, false},
		{"missing table", &types.ResourceNotFoundException{}, true, false},
		{"transaction in progress", &types.TransactionInProgressException{}, true, false},
		{"network", &net.OpError{Op: "dial", Err: errors.New("connection refused")}, true, false},
		{"validation", &smithy.GenericAPIError{Code: "ValidationException", Fault: smithy.FaultClient}, false, false},
		{"conditional check", &types.ConditionalCheckFailedException{}, false, true},
		{"transaction canceled", &types.TransactionCanceledException{}, false, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := classify("Op", c.err)
			if got := errors.Is(err, store.ErrUnavailable); got != c.unavailable {
				t.Errorf("ErrUnavailable = %v, want %v (%v)", got, c.unavailable, err)
			}
			var cf *condFailure
			if got := errors.As(err, &cf); got != c.cond {
				t.Errorf("condFailure = %v, want %v", got, c.cond)
			}
			if !errors.Is(err, c.err) && !c.cond {
				t.Errorf("the AWS error is not kept: %v", err)
			}
		})
	}
}

// fakeDynamo answers DynamoDB JSON requests from a script, recording the
// operations it was asked for.
type fakeDynamo struct {
	mu      sync.Mutex
	replies []fakeReply
	ops     []string
	bodies  []map[string]any
}

type fakeReply struct {
	status int
	body   string
}

func (f *fakeDynamo) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	op := strings.TrimPrefix(r.Header.Get("X-Amz-Target"), "DynamoDB_20120810.")
	b, _ := io.ReadAll(r.Body)
	var body map[string]any
	_ = json.Unmarshal(b, &body)
	f.ops, f.bodies = append(f.ops, op), append(f.bodies, body)
	rep := fakeReply{status: 200, body: "{}"}
	if len(f.replies) > 0 {
		rep, f.replies = f.replies[0], f.replies[1:]
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.0")
	w.WriteHeader(rep.status)
	_, _ = io.WriteString(w, rep.body)
}

func canceled(reasons string) fakeReply {
	return fakeReply{400, `{"__type":"com.amazonaws.dynamodb.v20120810#TransactionCanceledException",` +
		`"message":"Transaction cancelled","CancellationReasons":` + reasons + `}`}
}

func fakeDriver(t *testing.T, replies ...fakeReply) (*Driver, *fakeDynamo) {
	f := &fakeDynamo{replies: replies}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	c := dynamodb.New(dynamodb.Options{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL), RetryMaxAttempts: 1,
		Credentials: credentials.NewStaticCredentialsProvider("k", "s", "")})
	return NewDriver(c, Tables{State: "state", Spend: "spend", Cache: "cache"}, nil), f
}

func counterWrites() []*store.Write {
	limit := int64(4)
	return []*store.Write{
		{Kind: store.WriteAdd, Item: &store.Item{Table: store.StateTable, PK: "CTR#a", SK: "CTR"}, Adds: []store.FieldAdd{{Field: "requests", Delta: 1}}, Expires: 2000},
		{Kind: store.WriteAdd, Item: &store.Item{Table: store.StateTable, PK: "CTR#b", SK: "CTR"}, Adds: []store.FieldAdd{{Field: "requests", Delta: 1, AtMost: &limit}}, Expires: 2000},
	}
}

// TestTransactionCanceledReasons: each cancellation reason DynamoDB reports
// becomes the store error it means.
func TestTransactionCanceledReasons(t *testing.T) {
	ctx := context.Background()
	t.Run("condition failed names the write and its item", func(t *testing.T) {
		d, f := fakeDriver(t, canceled(`[{"Code":"None"},{"Code":"ConditionalCheckFailed","Message":"failed",`+
			`"Item":{"pk":{"S":"CTR#b"},"sk":{"S":"CTR"},"c_requests":{"N":"5"},"ttl":{"N":"2000"}}}]`))
		err := d.Write(ctx, 1000, counterWrites())
		var cf *store.CondFailed
		if !errors.As(err, &cf) || cf.Index != 1 || cf.Item == nil || cf.Item.Counts["requests"] != 5 {
			t.Fatalf("got %v (%+v)", err, cf)
		}
		if len(f.ops) != 1 || f.ops[0] != "TransactWriteItems" {
			t.Fatalf("ops = %v", f.ops)
		}
	})
	t.Run("throttled item is unavailable", func(t *testing.T) {
		d, _ := fakeDriver(t, canceled(`[{"Code":"None"},{"Code":"ThrottlingError","Message":"slow down"}]`))
		if err := d.Write(ctx, 1000, counterWrites()); !errors.Is(err, store.ErrUnavailable) {
			t.Fatalf("got %v, want ErrUnavailable", err)
		}
	})
	t.Run("transaction conflict is retried", func(t *testing.T) {
		d, f := fakeDriver(t, canceled(`[{"Code":"TransactionConflict"},{"Code":"None"}]`), fakeReply{200, "{}"})
		if err := d.Write(ctx, 1000, counterWrites()); err != nil {
			t.Fatal(err)
		}
		if len(f.ops) != 2 {
			t.Fatalf("ops = %v, want a retry", f.ops)
		}
	})
	t.Run("conflicts that never end are unavailable", func(t *testing.T) {
		var replies []fakeReply
		for range 30 {
			replies = append(replies, canceled(`[{"Code":"TransactionConflict"},{"Code":"None"}]`))
		}
		d, _ := fakeDriver(t, replies...)
		d.maxAttempts = 3
		if err := d.Write(ctx, 1000, counterWrites()); !errors.Is(err, store.ErrUnavailable) {
			t.Fatalf("got %v, want ErrUnavailable", err)
		}
	})
	t.Run("release of a lease not held is dropped", func(t *testing.T) {
		d, f := fakeDriver(t, canceled(`[{"Code":"None"},{"Code":"ConditionalCheckFailed"}]`), fakeReply{200, "{}"})
		ws := []*store.Write{
			counterWrites()[0],
			{Kind: store.WriteRelease, Item: &store.Item{Table: store.StateTable, PK: "LEASE#a", SK: "LEASE"}, Holder: "r1"},
		}
		if err := d.Write(ctx, 1000, ws); err != nil {
			t.Fatal(err)
		}
		if len(f.ops) != 2 || f.ops[1] != "UpdateItem" || f.bodies[1]["Key"].(map[string]any)["pk"].(map[string]any)["S"] != "CTR#a" {
			t.Fatalf("ops = %v, second = %v", f.ops, f.bodies[1])
		}
	})
	t.Run("server error is unavailable", func(t *testing.T) {
		d, _ := fakeDriver(t, fakeReply{500, `{"__type":"com.amazonaws.dynamodb.v20120810#InternalServerError","message":"boom"}`})
		_, err := d.Get(ctx, store.StateTable, "KEY#x", "KEY")
		if !errors.Is(err, store.ErrUnavailable) {
			t.Fatalf("got %v, want ErrUnavailable", err)
		}
	})
	t.Run("single write condition failure", func(t *testing.T) {
		d, f := fakeDriver(t, fakeReply{400, `{"__type":"com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException",` +
			`"message":"The conditional request failed","Item":{"pk":{"S":"KEY#x"},"sk":{"S":"KEY"},"v":{"N":"3"}}}`})
		w := &store.Write{Kind: store.WritePut, Item: &store.Item{Table: store.StateTable, PK: "KEY#x", SK: "KEY", Version: 3},
			Cond: store.Cond{Kind: store.CondVersion, Version: 2}}
		err := d.Write(ctx, 1000, []*store.Write{w})
		var cf *store.CondFailed
		if !errors.As(err, &cf) || cf.Index != 0 || cf.Item.Version != 3 {
			t.Fatalf("got %v", err)
		}
		if f.ops[0] != "PutItem" || f.bodies[0]["ReturnValuesOnConditionCheckFailure"] != "ALL_OLD" {
			t.Fatalf("request = %v %v", f.ops, f.bodies[0])
		}
	})
}
