package secrets_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/smithy-go"

	"github.com/tollgate-gw/tollgate/internal/awscall"
	"github.com/tollgate-gw/tollgate/internal/awsfake"
	"github.com/tollgate-gw/tollgate/internal/clocktest"
	"github.com/tollgate-gw/tollgate/internal/secrets"
)

const (
	arn       = "arn:aws:secretsmanager:us-east-1:111111111111:secret:tollgate/master-AbCdEf"
	otherARN  = "arn:aws:secretsmanager:us-east-1:111111111111:secret:tollgate/keys-GhIjKl"
	principal = "arn:aws:iam::111111111111:user/gateway"
)

func newClock() *clocktest.Clock {
	return clocktest.New(time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC))
}

// harness is a fake Secrets Manager and a real client pointed at it.
type harness struct {
	fake   *awsfake.SecretsManager
	client *awscall.Client
	clock  *clocktest.Clock
	logs   *bytes.Buffer
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	iam := awsfake.NewIAM(nil)
	c := iam.AddUser(principal)
	fake := awsfake.NewSecretsManager(iam, nil)
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	client, err := awscall.New(context.Background(), aws.Config{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL),
		Credentials: credentials.StaticCredentialsProvider{Value: c}, RetryMaxAttempts: 1}, awscall.SecretsManager)
	if err != nil {
		t.Fatal(err)
	}
	return &harness{fake: fake, client: client, clock: newClock(), logs: &bytes.Buffer{}}
}

func (h *harness) cache(ttl time.Duration) *secrets.Cache {
	return secrets.NewCache(h.client, &secrets.Options{TTL: ttl, Now: h.clock.Now,
		Logger: slog.New(slog.NewJSONHandler(&lockedWriter{w: h.logs}, nil))})
}

type lockedWriter struct {
	mu sync.Mutex
	w  *bytes.Buffer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// getAll calls Get from n goroutines at once and returns what they saw.
func getAll(t *testing.T, c *secrets.Cache, n int) map[string]int {
	t.Helper()
	var wg sync.WaitGroup
	var mu sync.Mutex
	seen := map[string]int{}
	start := make(chan struct{})
	for range n {
		wg.Go(func() {
			<-start
			v, err := c.Get(context.Background(), arn)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				seen["error: "+err.Error()]++
				return
			}
			seen[v.Reveal()]++
		})
	}
	close(start)
	wg.Wait()
	return seen
}

// TestSingleFlightPerTTL: 50 concurrent callers cause one GetSecretValue at
// first and one per TTL after that; callers that find a refresh under way
// get the previous value instead of waiting.
func TestSingleFlightPerTTL(t *testing.T) {
	h := newHarness(t)
	h.fake.PutSecretString(arn, "key-one")
	c := h.cache(0) // DefaultTTL

	if seen := getAll(t, c, 50); seen["key-one"] != 50 {
		t.Fatalf("first round saw %v", seen)
	}
	if n := h.fake.Count("GetSecretValue", arn); n != 1 {
		t.Fatalf("first round made %d calls", n)
	}

	h.fake.PutSecretString(arn, "key-two")
	h.clock.Advance(secrets.DefaultTTL - time.Second)
	if seen := getAll(t, c, 50); seen["key-one"] != 50 {
		t.Fatalf("within the TTL saw %v", seen)
	}
	if n := h.fake.Count("GetSecretValue", arn); n != 1 {
		t.Fatalf("within the TTL: %d calls", n)
	}

	h.clock.Advance(time.Second)
	seen := getAll(t, c, 50)
	if seen["key-one"]+seen["key-two"] != 50 || seen["key-two"] == 0 {
		t.Fatalf("after the TTL saw %v", seen)
	}
	if n := h.fake.Count("GetSecretValue", arn); n != 2 {
		t.Fatalf("after the TTL: %d calls, want 2", n)
	}
	if v, err := c.Get(context.Background(), arn); err != nil || v.Reveal() != "key-two" || v.ARN() != arn || v.Version() == "" {
		t.Fatalf("after the refresh: %v %v", v.Reveal(), err)
	}
	for _, call := range h.fake.Calls() {
		if call.Principal != principal {
			t.Fatalf("signed by %s", call.Principal)
		}
	}
}

// TestRefreshFailureServesPrevious: a failed refresh is logged (ARN, no
// value) and answered with the previous value; the next attempt waits for
// the back-off rather than hammering Secrets Manager.
func TestRefreshFailureServesPrevious(t *testing.T) {
	h := newHarness(t)
	h.fake.PutSecretString(arn, "sk-previous-value")
	c := h.cache(time.Minute)
	ctx := context.Background()
	if _, err := c.Get(ctx, arn); err != nil {
		t.Fatal(err)
	}
	h.fake.PutSecretString(arn, "sk-rotated-value")
	h.fake.FailNext(arn, nil)
	h.clock.Advance(time.Minute)

	steps := []struct {
		advance time.Duration
		want    string
		calls   int
	}{
		{0, "sk-previous-value", 2},                // refresh fails: previous value
		{0, "sk-previous-value", 2},                // back-off: no call
		{29 * time.Second, "sk-previous-value", 2}, // still backing off
		{time.Second, "sk-rotated-value", 3},       // retried
	}
	for i, s := range steps {
		h.clock.Advance(s.advance)
		v, err := c.Get(ctx, arn)
		if err != nil || v.Reveal() != s.want || h.fake.Count("GetSecretValue", "") != s.calls {
			t.Fatalf("step %d: %q %v after %d calls", i, v.Reveal(), err, h.fake.Count("GetSecretValue", ""))
		}
	}
	logs := h.logs.String()
	if !strings.Contains(logs, arn) || !strings.Contains(logs, "InternalServiceError") {
		t.Fatalf("refresh failure not logged: %s", logs)
	}
	if strings.Contains(logs, "sk-") {
		t.Fatalf("log shows a secret: %s", logs)
	}
}

// TestFirstFetchErrors: without a previous value, errors reach the caller,
// name the ARN and keep the SDK's error for errors.As.
func TestFirstFetchErrors(t *testing.T) {
	h := newHarness(t)
	c := h.cache(0)
	_, err := c.Get(context.Background(), otherARN)
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != "ResourceNotFoundException" || !strings.Contains(err.Error(), otherARN) {
		t.Fatalf("err = %v", err)
	}
	// A failed first fetch is not cached: the next Get tries again.
	h.fake.PutSecretString(otherARN, "now-there")
	if v, err := c.Get(context.Background(), otherARN); err != nil || v.Reveal() != "now-there" {
		t.Fatalf("retry: %v", err)
	}
}

// blockingClient answers GetSecretValue when told to, so tests can hold a
// fetch in flight.
type blockingClient struct {
	mu      sync.Mutex
	calls   int
	started chan struct{}
	release chan struct{}
}

func (b *blockingClient) Call(ctx context.Context, operation string, in, out any) error {
	b.mu.Lock()
	b.calls++
	b.mu.Unlock()
	b.started <- struct{}{}
	select {
	case <-b.release:
		return json.Unmarshal([]byte(`{"SecretString":"v","VersionId":"1"}`), out)
	case <-ctx.Done():
		return ctx.Err()
	}
}

// TestLeaderGivesUp: when the caller that is fetching gives up, a caller
// waiting on it fetches for itself instead of inheriting the cancellation.
func TestLeaderGivesUp(t *testing.T) {
	bc := &blockingClient{started: make(chan struct{}, 2), release: make(chan struct{})}
	c := secrets.NewCache(bc, nil)
	leaderCtx, cancel := context.WithCancel(context.Background())
	leaderErr := make(chan error, 1)
	go func() {
		_, err := c.Get(leaderCtx, arn)
		leaderErr <- err
	}()
	<-bc.started // the leader's fetch is in flight
	follower := make(chan error, 1)
	go func() {
		v, err := c.Get(context.Background(), arn)
		if err == nil && v.Reveal() != "v" {
			err = errors.New("wrong value " + v.Reveal())
		}
		follower <- err
	}()
	cancel()
	if err := <-leaderErr; !errors.Is(err, context.Canceled) {
		t.Fatalf("leader: %v", err)
	}
	<-bc.started // the follower fetches itself
	close(bc.release)
	if err := <-follower; err != nil {
		t.Fatalf("follower: %v", err)
	}
	if bc.calls != 2 {
		t.Fatalf("calls %d", bc.calls)
	}
}

// TestWaiterContext: a caller waiting for the first fetch stops when its own
// context ends.
func TestWaiterContext(t *testing.T) {
	bc := &blockingClient{started: make(chan struct{}, 1), release: make(chan struct{})}
	c := secrets.NewCache(bc, nil)
	leader := make(chan error, 1)
	go func() {
		_, err := c.Get(context.Background(), arn)
		leader <- err
	}()
	<-bc.started
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := c.Get(ctx, arn); !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), arn) {
		t.Fatalf("waiter: %v", err)
	}
	close(bc.release)
	if err := <-leader; err != nil {
		t.Fatal(err)
	}
}
