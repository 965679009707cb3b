package httpapi

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"log/slog"
	"net/http"

	oai "github.com/tollgate-gw/tollgate/internal/wire/openai"
)

// OriginOptions adjust RequireOrigin. A nil *OriginOptions means defaults.
type OriginOptions struct {
	// Exempt, when set, reports requests that need no origin header because
	// they did not come through the front the header protects (API Gateway
	// REST events, which have their own WAF). The header is stripped from
	// them all the same. Nil means every request needs it.
	Exempt func(*http.Request) bool
	// Logger receives one line per refused request (never the header's
	// value); nil discards them.
	Logger *slog.Logger
}

// RequireOrigin lets a request through to next only when it carries header
// with one of the values secret returns (the current origin secret and,
// during a rotation, the previous one): the origin secret CloudFront adds, which
// proves the request came through the distribution (and its WAF) rather than
// straight to the function URL. Health routes are no exception, since
// CloudFront fronts them too.
//
// The value is compared in constant time, as SHA-256 digests so that its
// length does not leak either. A request without the header, with another
// value or with the header repeated is answered 403 in OpenAI's error shape,
// which names neither the header nor the value. The header is removed before
// next sees the request, so no handler can log it or send it upstream.
// secret is called per request; it should be cheap (a cache) and fails only
// when no value can be had, which is answered 503.
func RequireOrigin(next http.Handler, header string, secret func(context.Context) ([]string, error), opts *OriginOptions) http.Handler {
	var o OriginOptions
	if opts != nil {
		o = *opts
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return &originGuard{next: next, header: http.CanonicalHeaderKey(header), secret: secret, exempt: o.Exempt, logger: o.Logger}
}

type originGuard struct {
	next   http.Handler
	header string
	secret func(context.Context) ([]string, error)
	exempt func(*http.Request) bool
	logger *slog.Logger
}

func (g *originGuard) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	values := r.Header.Values(g.header)
	if g.exempt != nil && g.exempt(r) {
		g.next.ServeHTTP(w, g.strip(r, values))
		return
	}
	if len(values) == 0 {
		g.refuse(w, r, "missing")
		return
	}
	want, err := g.secret(r.Context())
	if err != nil || len(want) == 0 || want[0] == "" {
		reason := "no origin secret"
		if err != nil {
			reason = err.Error()
		}
		g.logger.ErrorContext(r.Context(), "origin secret unavailable; refusing requests",
			slog.String("method", r.Method), slog.String("path", r.URL.Path), slog.String("error", reason))
		oai.WriteError(w, http.StatusServiceUnavailable, "service_unavailable", "origin_unverifiable",
			"", "the gateway cannot verify where this request came from right now; retry shortly")
		return
	}
	gotSum, match := sha256.Sum256([]byte(values[0])), 0
	for _, w := range want { // every value is compared: no early exit
		if w != "" {
			wantSum := sha256.Sum256([]byte(w))
			match |= subtle.ConstantTimeCompare(gotSum[:], wantSum[:])
		}
	}
	if len(values) != 1 || match != 1 {
		g.refuse(w, r, "mismatch")
		return
	}
	g.next.ServeHTTP(w, g.strip(r, values))
}

// strip returns r without the origin header. It copies the request and its
// header map rather than edit the caller's request.
func (g *originGuard) strip(r *http.Request, values []string) *http.Request {
	if len(values) == 0 {
		return r
	}
	r2 := new(http.Request)
	*r2 = *r
	r2.Header = r.Header.Clone()
	r2.Header.Del(g.header)
	return r2
}

func (g *originGuard) refuse(w http.ResponseWriter, r *http.Request, reason string) {
	g.logger.WarnContext(r.Context(), "request refused: it did not come through the CloudFront front",
		slog.String("reason", "origin header "+reason), slog.String("method", r.Method), slog.String("path", r.URL.Path),
		slog.String("remote_addr", r.RemoteAddr))
	oai.WriteError(w, http.StatusForbidden, "permission_error", "forbidden", "",
		"this gateway only accepts requests through its configured front door")
}
