package httpapi

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"github.com/tollgate-gw/tollgate/internal/auth"
	"github.com/tollgate-gw/tollgate/internal/obs"
	"github.com/tollgate-gw/tollgate/internal/provider"
	"github.com/tollgate-gw/tollgate/internal/router"
	oai "github.com/tollgate-gw/tollgate/internal/wire/openai"
)

// Error is an error with the HTTP status and OpenAI error fields it should
// be answered with. Handlers return it (or wrap it) from deep in a call, and
// one function renders it.
type Error struct {
	Status  int
	Type    string // OpenAI error type
	Code    string
	Param   string
	Message string
	// RetryAfter, when set, becomes the Retry-After header (seconds).
	RetryAfter int
	Err        error
}

func (e *Error) Error() string {
	if e.Err != nil {
		return e.Message + ": " + e.Err.Error()
	}
	return e.Message
}

func (e *Error) Unwrap() error { return e.Err }

func badRequest(param, format string, args ...any) *Error {
	return &Error{Status: http.StatusBadRequest, Type: "invalid_request_error", Param: param, Message: fmt.Sprintf(format, args...)}
}

// toAPIError classifies any error into the response the client gets.
func toAPIError(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	var de *oai.DecodeError
	if errors.As(err, &de) {
		return &Error{Status: http.StatusBadRequest, Type: "invalid_request_error", Param: de.Field, Message: de.Error(), Err: err}
	}
	if pe, ok := provider.AsError(err); ok {
		status := pe.Status
		if status == 0 {
			status = provider.StatusFor(pe.Kind)
		}
		ae := &Error{Status: status, Type: openAIType(pe), Code: pe.Code, Param: pe.Param, Message: pe.Error(), Err: err}
		if ae.Code == "" && pe.Kind == provider.KindContextWindow {
			ae.Code = "context_length_exceeded"
		}
		if pe.RetryAfter > 0 {
			ae.RetryAfter = int((pe.RetryAfter + 999_999_999) / 1_000_000_000)
		}
		return ae
	}
	switch {
	case errors.Is(err, router.ErrModelNotFound):
		return &Error{Status: http.StatusNotFound, Type: "invalid_request_error", Code: "model_not_found", Param: "model",
			Message: err.Error() + ": it is not configured on this gateway; GET /v1/models lists the models you can use", Err: err}
	case errors.Is(err, auth.ErrUnavailable):
		return &Error{Status: http.StatusServiceUnavailable, Type: "server_error", Code: "auth_unavailable",
			Message: "credentials could not be checked right now; retry shortly", RetryAfter: 1, Err: err}
	case errors.Is(err, auth.ErrMissingKey), errors.Is(err, auth.ErrInvalidKey):
		return &Error{Status: http.StatusUnauthorized, Type: "authentication_error", Code: "invalid_api_key", Message: err.Error(), Err: err}
	case errors.Is(err, context.DeadlineExceeded):
		return &Error{Status: http.StatusGatewayTimeout, Type: "timeout", Code: "timeout", Message: "the upstream model did not answer in time", Err: err}
	case errors.Is(err, context.Canceled):
		// The client went away; the status is for the log only.
		return &Error{Status: 499, Type: "client_closed_request", Message: "client closed the request", Err: err}
	}
	return &Error{Status: http.StatusInternalServerError, Type: "server_error", Message: "internal error", Err: err}
}

// openAIType maps a provider error kind to OpenAI's error type vocabulary,
// keeping the upstream's own type when it gave one.
func openAIType(pe *provider.Error) string {
	if pe.Type != "" {
		return pe.Type
	}
	switch pe.Kind {
	case provider.KindBadRequest, provider.KindUnsupported, provider.KindContextWindow, provider.KindContentPolicy, provider.KindNotFound:
		return "invalid_request_error"
	case provider.KindAuth:
		return "authentication_error"
	case provider.KindPermission:
		return "permission_error"
	case provider.KindRateLimit:
		return "rate_limit_error"
	case provider.KindTimeout:
		return "timeout"
	}
	return "api_error"
}

// writeError renders err as an OpenAI-style error response and records it.
func writeError(w http.ResponseWriter, r *http.Request, err error) {
	ae := toAPIError(err)
	rec := obs.RecordFrom(r.Context())
	rec.ErrorType = ae.Type
	rec.Error = err.Error()
	if ae.RetryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(ae.RetryAfter))
	}
	msg := ae.Message
	if ae.Status >= 500 && (ae.Type == "server_error" || ae.Type == "internal_server_error" || ae.Type == "no_db_connection") {
		msg += " (request id " + rec.RequestID + ")"
	}
	oai.WriteError(w, ae.Status, ae.Type, ae.Code, ae.Param, msg)
}
