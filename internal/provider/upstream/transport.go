package upstream

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"syscall"
	"time"

	"github.com/tollgate-gw/tollgate/internal/provider"
)

// MaxRetryAfter caps a Retry-After value; anything longer is a bogus header
// and would park a deployment for good.
const MaxRetryAfter = 24 * time.Hour

// TransportError classifies a failure to get (or keep reading) a response.
// ctx is the call's context: its cause says whether one of the deployment's
// limits ran out, the caller went away, or neither. expired says, in words,
// which limit ran out ("did not answer within 30s").
func TransportError(ctx context.Context, providerName string, err error, expired string) error {
	if Expired(ctx) {
		return Timeout(providerName, expired, err)
	}
	if ctxErr := ctx.Err(); ctxErr != nil {
		if errors.Is(ctxErr, context.DeadlineExceeded) {
			return Timeout(providerName, "did not answer before the call's deadline", err)
		}
		// The caller went away: nobody is left to answer, so this is not an
		// upstream failure and must not count against the deployment.
		if cause := context.Cause(ctx); cause != nil && cause != ctxErr {
			return fmt.Errorf("%s: call cancelled: %w: %w", providerName, ctxErr, cause)
		}
		return fmt.Errorf("%s: call cancelled: %w", providerName, ctxErr)
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return &provider.Error{
			Kind:     provider.KindTimeout,
			Provider: providerName,
			Status:   http.StatusGatewayTimeout,
			Message:  "connecting to upstream timed out",
			Err:      err,
		}
	}
	msg := "upstream connection failed"
	var op *net.OpError
	switch {
	case errors.As(err, &op) && op.Op == "dial":
		msg = "could not connect to upstream"
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, syscall.ECONNRESET):
		msg = "upstream closed the connection"
	}
	return &provider.Error{
		Kind:     provider.KindUnavailable,
		Provider: providerName,
		Status:   http.StatusBadGateway,
		Message:  msg,
		Err:      err,
	}
}

// RetryAfter reads how long the upstream asked to wait: Azure's and
// OpenAI's retry-after-ms (milliseconds) first, being the more precise, then
// Retry-After as seconds or as an HTTP date. Zero means no usable header.
func RetryAfter(h http.Header, now time.Time) time.Duration {
	if v := h.Get("Retry-After-Ms"); v != "" {
		if f, err := strconv.ParseFloat(v, 64); err == nil && f >= 0 && f <= float64(MaxRetryAfter/time.Millisecond) {
			return time.Duration(f * float64(time.Millisecond))
		}
	}
	v := h.Get("Retry-After")
	if v == "" {
		return 0
	}
	if f, err := strconv.ParseFloat(v, 64); err == nil {
		if f >= 0 && f <= MaxRetryAfter.Seconds() { // also rejects NaN
			return time.Duration(f * float64(time.Second))
		}
		return 0
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := t.Sub(now); d > 0 {
			return min(d, MaxRetryAfter)
		}
	}
	return 0
}
