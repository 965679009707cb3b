package upstream_test

import (
	"context"
	"errors"
	"testing"
	"testing/synctest"
	"time"

	"github.com/tollgate-gw/tollgate/internal/provider/upstream"
)

func TestNewLimits(t *testing.T) {
	const d, s = upstream.DefaultTimeout, upstream.DefaultStreamTimeout
	tests := []struct {
		name          string
		timeout, idle time.Duration
		want          upstream.Limits
		wantErr       bool
	}{
		{name: "nothing set: the defaults", want: upstream.Limits{Timeout: d, StreamTimeout: s, Headers: s}},
		{name: "timeout only", timeout: 30 * time.Second, want: upstream.Limits{Timeout: 30 * time.Second, StreamTimeout: s, Headers: 30 * time.Second}},
		{name: "stream_timeout only", idle: 10 * time.Second, want: upstream.Limits{Timeout: d, StreamTimeout: 10 * time.Second, Headers: 10 * time.Second}},
		{name: "both", timeout: time.Minute, idle: 5 * time.Second, want: upstream.Limits{Timeout: time.Minute, StreamTimeout: 5 * time.Second, Headers: time.Minute}},
		{name: "negative timeout", timeout: -1, wantErr: true},
		{name: "negative stream_timeout", idle: -1, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := upstream.NewLimits(tt.timeout, tt.idle)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, want error: %v", err, tt.wantErr)
			}
			if got != tt.want {
				t.Fatalf("limits = %+v, want %+v", got, tt.want)
			}
		})
	}
}

// TestCallAndWatchdogOnFakeClock pins down when each limit fires, and that
// Expired tells a limit from the caller going away.
func TestCallAndWatchdogOnFakeClock(t *testing.T) {
	l, err := upstream.NewLimits(30*time.Second, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Run("call", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			start := time.Now()
			ctx, cancel := l.Call(context.Background())
			defer cancel()
			<-ctx.Done()
			if got := time.Since(start); got != 30*time.Second {
				t.Errorf("call ended after %v, want 30s", got)
			}
			if !upstream.Expired(ctx) {
				t.Errorf("Expired = false, cause %v", context.Cause(ctx))
			}
		})
	})
	t.Run("stream: headers, then each gap", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			start := time.Now()
			ctx, dog := l.Stream(context.Background())
			defer dog.Release()
			time.Sleep(29 * time.Second) // headers arrive just in time
			for range 5 {
				dog.Arm()
				time.Sleep(9 * time.Second) // an event arrives just in time
			}
			if ctx.Err() != nil {
				t.Fatalf("cancelled after %v although no limit ran out", time.Since(start))
			}
			dog.Arm()
			<-ctx.Done()
			if got := time.Since(start); got != 29*time.Second+45*time.Second+10*time.Second {
				t.Errorf("stream ended after %v", got)
			}
			if !upstream.Expired(ctx) {
				t.Errorf("Expired = false, cause %v", context.Cause(ctx))
			}
		})
	})
	t.Run("caller cancels", func(t *testing.T) {
		parent, cancel := context.WithCancel(context.Background())
		ctx, dog := l.Stream(parent)
		defer dog.Release()
		cancel()
		<-ctx.Done()
		if upstream.Expired(ctx) {
			t.Error("Expired = true for a caller that went away")
		}
	})
	t.Run("release stops the timer and ends the call", func(t *testing.T) {
		ctx, dog := l.Stream(context.Background())
		dog.Release()
		if dog.Running() {
			t.Error("timer still running after Release")
		}
		if ctx.Err() == nil || upstream.Expired(ctx) {
			t.Errorf("after Release: err %v, cause %v", ctx.Err(), context.Cause(ctx))
		}
	})
}

func TestTimeoutError(t *testing.T) {
	cause := errors.New("read: deadline")
	e := upstream.Timeout("bedrock", "did not answer within 1s", cause)
	if !e.Retryable() || e.Status != 504 || e.Message != "upstream did not answer within 1s" || !errors.Is(e, cause) {
		t.Fatalf("Timeout = %+v", e)
	}
}
