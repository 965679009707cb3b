// Package obs holds the per-request record that handlers fill in as a call
// proceeds and that becomes the one log line written per request.
//
// The record never holds keys or message content: only identifiers, counts
// and timings.
package obs

import (
	"context"
	"log/slog"
	"time"
)

// Record describes one request.
type Record struct {
	RequestID string
	// ClientRequestID is the X-Request-Id the client sent when it was not
	// usable as ours and was replaced (kept so the client's logs still
	// correlate); at most 256 bytes of it.
	ClientRequestID string
	Method          string
	// Route is the matched mux pattern (low cardinality), not the raw path.
	Route     string
	Principal string
	Start     time.Time

	Model      string // model group requested
	Deployment string // deployment id that served
	Provider   string
	Stream     bool

	Status           int
	PromptTokens     int
	CompletionTokens int
	// Upstream is the time spent waiting on the provider (to the full
	// response, or to the end of the stream).
	Upstream time.Duration
	// ErrorType is the OpenAI error type returned to the client, if any.
	ErrorType string
	// Error is the internal error text, for failures; it never contains
	// credentials.
	Error string

	// CacheHit is set when the response came from the response cache: no
	// upstream call was made, and the call costs nothing in spend.
	CacheHit bool
	// Outcome is how the model call ended, as billed: success, failure,
	// client_disconnected or upstream_error (ratelimit.Status*).
	Outcome string
	// UsageEstimated: the upstream reported no usage, so the tokens are the
	// gateway's estimate.
	UsageEstimated bool
	// Attempts lists every upstream call the router made (retries and
	// fallbacks included), in order; Deployment is the one that served.
	Attempts []Attempt
}

// Attempt is one upstream call of a request.
type Attempt struct {
	Deployment string        `json:"deployment"`
	Group      string        `json:"group"`
	Fallback   bool          `json:"fallback,omitempty"`
	Retry      int           `json:"retry,omitempty"`
	Duration   time.Duration `json:"duration_ns"`
	// ErrorKind and Error describe a failed attempt (empty when it served).
	ErrorKind string `json:"error_kind,omitempty"`
	Error     string `json:"error,omitempty"`
}

type ctxKey struct{}

// WithRecord returns a context carrying rec.
func WithRecord(ctx context.Context, rec *Record) context.Context {
	return context.WithValue(ctx, ctxKey{}, rec)
}

// RecordFrom returns the context's record, or a throwaway one, so callers
// never need a nil check.
func RecordFrom(ctx context.Context) *Record {
	if rec, ok := ctx.Value(ctxKey{}).(*Record); ok {
		return rec
	}
	return &Record{}
}

// Log writes the record as one line.
func (rec *Record) Log(ctx context.Context, logger *slog.Logger) {
	level := slog.LevelInfo
	if rec.Status >= 500 {
		level = slog.LevelError
	}
	attrs := make([]slog.Attr, 0, 16)
	attrs = append(attrs,
		slog.String("request_id", rec.RequestID),
		slog.String("method", rec.Method),
		slog.String("route", rec.Route),
		slog.Int("status", rec.Status),
		slog.Float64("latency_ms", ms(time.Since(rec.Start))),
	)
	if rec.ClientRequestID != "" {
		attrs = append(attrs, slog.String("client_request_id", rec.ClientRequestID))
	}
	if rec.Principal != "" {
		attrs = append(attrs, slog.String("principal", rec.Principal))
	}
	if rec.Model != "" {
		attrs = append(attrs,
			slog.String("model", rec.Model),
			slog.String("deployment", rec.Deployment),
			slog.String("provider", rec.Provider),
			slog.Bool("stream", rec.Stream),
			slog.Float64("upstream_ms", ms(rec.Upstream)),
			slog.Int("prompt_tokens", rec.PromptTokens),
			slog.Int("completion_tokens", rec.CompletionTokens),
		)
	}
	if rec.ErrorType != "" {
		attrs = append(attrs, slog.String("error_type", rec.ErrorType), slog.String("error", rec.Error))
	}
	if rec.Outcome != "" {
		attrs = append(attrs, slog.String("outcome", rec.Outcome))
	}
	if rec.UsageEstimated {
		attrs = append(attrs, slog.Bool("usage_estimated", true))
	}
	if rec.CacheHit {
		attrs = append(attrs, slog.Bool("cache_hit", true))
	}
	if len(rec.Attempts) > 1 || len(rec.Attempts) == 1 && rec.Attempts[0].ErrorKind != "" {
		attrs = append(attrs, slog.Any("attempts", rec.Attempts))
	}
	logger.LogAttrs(ctx, level, "request", attrs...)
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// Fold adds the record of one call made on rec's behalf (a model of a
// batch completion, which has its own request id) to rec, so that rec's
// log line covers every call: tokens add up, attempts are appended, and
// the model, deployment and outcome are the last call's.
func (rec *Record) Fold(sub *Record) {
	rec.PromptTokens += sub.PromptTokens
	rec.CompletionTokens += sub.CompletionTokens
	rec.Upstream += sub.Upstream
	rec.Attempts = append(rec.Attempts, sub.Attempts...)
	rec.Model, rec.Deployment, rec.Provider = sub.Model, sub.Deployment, sub.Provider
	rec.Outcome, rec.UsageEstimated = sub.Outcome, rec.UsageEstimated || sub.UsageEstimated
	if sub.ErrorType != "" {
		rec.ErrorType, rec.Error = sub.ErrorType, sub.Error
	}
}
