package anthropic

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/tollgate-gw/tollgate/internal/provider"
	"github.com/tollgate-gw/tollgate/internal/provider/upstream"
	wire "github.com/tollgate-gw/tollgate/internal/wire/anthropic"
)

// statusOverloaded is Anthropic's "overloaded_error" status: the API is
// temporarily over capacity.
const statusOverloaded = 529

// statusError turns a non-2xx upstream response into a *provider.Error.
func (m *Model) statusError(resp *http.Response) *provider.Error {
	data, _ := io.ReadAll(io.LimitReader(resp.Body, upstream.MaxErrorBytes)) // a partial body still says something
	e, ok := wire.DecodeError(data)
	if !ok {
		e.Message = strings.TrimSpace(string(data[:min(len(data), 500)]))
	}
	pe := m.classify(resp.StatusCode, e)
	switch resp.StatusCode {
	case http.StatusTooManyRequests, http.StatusServiceUnavailable, statusOverloaded:
		pe.RetryAfter = upstream.RetryAfter(resp.Header, time.Now())
	}
	if resp.StatusCode/100 == 3 {
		pe.Kind, pe.Status = provider.KindUnavailable, http.StatusBadGateway
		pe.Message = fmt.Sprintf("upstream answered %d (redirect to %q): check the deployment's api_base",
			resp.StatusCode, resp.Header.Get("Location"))
	}
	return pe
}

// kindOfType classifies Anthropic's error types
// (https://docs.anthropic.com/en/api/errors), for errors that come without
// a status (stream error events, an error in a 200 body).
var kindOfType = map[string]provider.Kind{
	"invalid_request_error": provider.KindBadRequest,
	"authentication_error":  provider.KindAuth,
	"permission_error":      provider.KindPermission,
	"not_found_error":       provider.KindNotFound,
	"request_too_large":     provider.KindBadRequest,
	"rate_limit_error":      provider.KindRateLimit,
	"api_error":             provider.KindUnavailable,
	"overloaded_error":      provider.KindUnavailable,
	"timeout_error":         provider.KindTimeout,
}

// classify builds the error for an upstream error. status is the HTTP
// status, or 0 for one that arrived inside a 200 or a stream.
func (m *Model) classify(status int, e wire.Error) *provider.Error {
	kind := provider.KindForStatus(status)
	if status == 0 {
		var ok bool
		if kind, ok = kindOfType[e.Type]; !ok {
			kind = provider.KindUnavailable
		}
	}
	if kind == provider.KindBadRequest && strings.Contains(strings.ToLower(e.Message), "prompt is too long") {
		kind = provider.KindContextWindow
	}
	switch {
	case status == 0, status == statusOverloaded:
		// 529 is Anthropic's own; clients and the router know 503.
		status = provider.StatusFor(kind)
		if e.Type == "overloaded_error" {
			status = http.StatusServiceUnavailable
		}
	}
	msg := e.Message
	if msg == "" {
		msg = fmt.Sprintf("upstream error: %d %s", status, http.StatusText(status))
	}
	if m.secret != "" {
		msg = strings.ReplaceAll(msg, m.secret, "[redacted]")
	}
	return &provider.Error{Kind: kind, Provider: name, Status: status, Type: e.Type, Message: msg}
}

// malformed is the error for an upstream reply the gateway cannot use.
func (m *Model) malformed(msg string, err error) *provider.Error {
	return &provider.Error{Kind: provider.KindUnavailable, Provider: name, Status: http.StatusBadGateway, Message: msg, Err: err}
}

func (m *Model) transportError(ctx context.Context, err error, expired string) error {
	return upstream.TransportError(ctx, name, err, expired)
}
