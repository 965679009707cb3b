package awscred_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/tollgate-gw/tollgate/internal/awscred"
	"github.com/tollgate-gw/tollgate/internal/awsfake"
)

// bubbleEnv is an STS served in-process, so it can run inside a synctest
// bubble where the clock is fake and time.Sleep in the fake costs nothing.
type bubbleEnv struct {
	iam      *awsfake.IAM
	sts      *awsfake.STS
	resolver *awscred.Resolver
	cfg      aws.Config
}

func newBubbleEnv(t *testing.T, ttl time.Duration) *bubbleEnv {
	iam := awsfake.NewIAM(nil)
	user := iam.AddUser(userARN)
	iam.AddRole(awsfake.Role{ARN: deptARole, Trust: []awsfake.Trust{{Principal: userARN}}})
	fake := awsfake.NewSTS(iam, &awsfake.STSOptions{TTL: ttl, Latency: 20 * time.Millisecond})
	base := aws.Config{
		Region:      "us-east-1",
		Credentials: credentials.StaticCredentialsProvider{Value: user},
		HTTPClient:  awsfake.InProcessClient(fake),
	}
	r := awscred.NewResolver(base, &awscred.Options{ExpiryWindow: 5 * time.Minute})
	cfg, err := r.Config(context.Background(), awscred.Spec{
		AccessKeyID: user.AccessKeyID, SecretAccessKey: user.SecretAccessKey,
		RoleARN: deptARole, STSEndpoint: "https://sts.fake.test",
	})
	if err != nil {
		t.Fatal(err)
	}
	return &bubbleEnv{iam: iam, sts: fake, resolver: r, cfg: cfg}
}

func (b *bubbleEnv) retrieve(t *testing.T) aws.Credentials {
	t.Helper()
	c, err := b.cfg.Credentials.Retrieve(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestRefreshAheadOfExpiry: hour-long credentials are reused for 55 minutes,
// then renewed five minutes before they expire, by one STS call, while
// concurrent callers keep signing with the old, still valid ones.
func TestRefreshAheadOfExpiry(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := newBubbleEnv(t, time.Hour)
		first := b.retrieve(t)
		if n := b.sts.Count("AssumeRole"); n != 1 {
			t.Fatalf("AssumeRole calls = %d, want 1", n)
		}

		time.Sleep(54 * time.Minute)
		if c := b.retrieve(t); c.AccessKeyID != first.AccessKeyID || b.sts.Count("") != 1 {
			t.Fatalf("at 54m got %s after %d STS calls; want the cached key and no new call", c.AccessKeyID, b.sts.Count(""))
		}

		time.Sleep(2 * time.Minute) // 56m: inside the five-minute window
		var wg sync.WaitGroup
		var refreshed aws.Credentials
		wg.Go(func() { refreshed = b.retrieve(t) })
		synctest.Wait() // the refresher is now waiting on STS's latency
		if c := b.retrieve(t); c.AccessKeyID != first.AccessKeyID {
			t.Errorf("during the refresh a caller got %s, want the still-valid %s without waiting", c.AccessKeyID, first.AccessKeyID)
		}
		wg.Wait()
		if refreshed.AccessKeyID == first.AccessKeyID || b.sts.Count("AssumeRole") != 2 {
			t.Fatalf("refresh returned %s after %d AssumeRole calls; want new credentials from a second call",
				refreshed.AccessKeyID, b.sts.Count("AssumeRole"))
		}
		if c := b.retrieve(t); c.AccessKeyID != refreshed.AccessKeyID || b.sts.Count("") != 2 {
			t.Errorf("after the refresh got %s after %d calls, want the new key and no further call", c.AccessKeyID, b.sts.Count(""))
		}
	})
}

// TestShortLivedCredentialsRefreshAtHalfLife: credentials shorter-lived
// than twice the window are renewed at half-life, not on every request.
func TestShortLivedCredentialsRefreshAtHalfLife(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := newBubbleEnv(t, 8*time.Minute)
		first := b.retrieve(t)
		time.Sleep(3 * time.Minute)
		if c := b.retrieve(t); c.AccessKeyID != first.AccessKeyID {
			t.Fatalf("at 3m of 8 the credentials were renewed")
		}
		time.Sleep(2 * time.Minute)
		if c := b.retrieve(t); c.AccessKeyID == first.AccessKeyID {
			t.Fatalf("at 5m of 8 the credentials were not renewed")
		}
		if n := b.sts.Count(""); n != 2 {
			t.Errorf("STS calls = %d, want 2", n)
		}
	})
}

// TestFailedRefresh: when STS starts refusing (the trust policy changed),
// callers keep the still-valid credentials, STS sees one attempt per backoff
// interval rather than one per request, and once the old credentials expire
// the refusal reaches the caller — never other credentials.
func TestFailedRefresh(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := newBubbleEnv(t, time.Hour)
		first := b.retrieve(t)
		b.iam.AddRole(awsfake.Role{ARN: deptARole}) // nobody is trusted any more

		time.Sleep(56 * time.Minute)
		for range 10 {
			if c := b.retrieve(t); c.AccessKeyID != first.AccessKeyID {
				t.Fatalf("got %s, want the still-valid %s", c.AccessKeyID, first.AccessKeyID)
			}
		}
		if n := b.sts.Count("AssumeRole"); n != 2 {
			t.Fatalf("AssumeRole calls = %d, want the first plus one refused refresh", n)
		}
		time.Sleep(10 * time.Second)
		b.retrieve(t)
		if n := b.sts.Count("AssumeRole"); n != 3 {
			t.Fatalf("AssumeRole calls = %d after the backoff, want 3", n)
		}

		time.Sleep(5 * time.Minute) // past expiry
		_, err := b.cfg.Credentials.Retrieve(context.Background())
		var ce *awscred.Error
		if !errors.As(err, &ce) || ce.Code != "AccessDenied" || ce.RoleARN != deptARole {
			t.Fatalf("after expiry: %v, want AccessDenied for %s", err, deptARole)
		}
	})
}

// TestCancelledLeaderHandsOver: when the caller doing the fetch gives up,
// a waiting caller whose context is alive fetches instead of inheriting the
// cancellation.
func TestCancelledLeaderHandsOver(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := newBubbleEnv(t, time.Hour)
		ctx, cancel := context.WithCancel(context.Background())
		var wg sync.WaitGroup
		var leaderErr error
		wg.Go(func() { _, leaderErr = b.cfg.Credentials.Retrieve(ctx) })
		synctest.Wait()
		var follower aws.Credentials
		var followerErr error
		wg.Go(func() { follower, followerErr = b.cfg.Credentials.Retrieve(context.Background()) })
		synctest.Wait()
		cancel()
		wg.Wait()
		if leaderErr == nil {
			t.Errorf("the cancelled leader got no error")
		}
		if followerErr != nil || follower.AccessKeyID == "" {
			t.Errorf("follower: %v, want credentials", followerErr)
		}
	})
}
