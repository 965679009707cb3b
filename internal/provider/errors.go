package provider

import (
	"errors"
	"fmt"
	"net/http"
	"time"
)

// Kind classifies an upstream failure. The router branches on it (retry,
// fall back, cool down) and the HTTP layer maps it to a status and an
// OpenAI-style error type.
type Kind int

// Error kinds.
const (
	KindUnknown Kind = iota
	// KindBadRequest: the request was invalid for this provider (400).
	KindBadRequest
	// KindAuth: the upstream rejected the deployment's credentials (401).
	KindAuth
	// KindPermission: the credentials lack access (403).
	KindPermission
	// KindNotFound: model or deployment not found upstream (404).
	KindNotFound
	// KindRateLimit: the upstream throttled the call (429); retryable.
	KindRateLimit
	// KindContextWindow: the prompt exceeds the model's context (400).
	KindContextWindow
	// KindContentPolicy: the upstream refused on content grounds (400).
	KindContentPolicy
	// KindTimeout: the upstream did not answer in time (504); retryable.
	KindTimeout
	// KindUnavailable: connection failure or 5xx from the upstream; retryable.
	KindUnavailable
	// KindUnsupported: the adapter cannot do what was asked, e.g. an
	// unsupported parameter or operation (400).
	KindUnsupported
)

var kindNames = [...]string{
	KindUnknown:       "unknown",
	KindBadRequest:    "bad_request",
	KindAuth:          "authentication",
	KindPermission:    "permission_denied",
	KindNotFound:      "not_found",
	KindRateLimit:     "rate_limit",
	KindContextWindow: "context_window_exceeded",
	KindContentPolicy: "content_policy_violation",
	KindTimeout:       "timeout",
	KindUnavailable:   "unavailable",
	KindUnsupported:   "unsupported",
}

func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("kind(%d)", int(k))
}

// Error is the error every adapter returns for an upstream failure. Reach it
// with errors.As.
type Error struct {
	Kind Kind
	// Provider names the adapter, e.g. "openai", "azure", "bedrock".
	Provider string
	// Status is the HTTP status the gateway should answer with.
	Status int
	// Code and Type are the upstream's error code and type when it gave them
	// (OpenAI "code"/"type", AWS exception name).
	Code string
	Type string
	// Param names the offending request parameter, when known.
	Param string
	// Message is safe to show the client; it never contains credentials.
	Message string
	// RetryAfter is the upstream's Retry-After, zero when absent.
	RetryAfter time.Duration
	// Err is the underlying cause, if any.
	Err error
}

func (e *Error) Error() string {
	if e.Provider != "" {
		return e.Provider + ": " + e.Message
	}
	return e.Message
}

func (e *Error) Unwrap() error { return e.Err }

// Retryable reports whether the router may retry the call or move on to
// another deployment of the same group.
func (e *Error) Retryable() bool {
	switch e.Kind {
	case KindRateLimit, KindTimeout, KindUnavailable:
		return true
	}
	return false
}

// StatusFor returns the HTTP status that matches a kind.
func StatusFor(k Kind) int {
	switch k {
	case KindBadRequest, KindContextWindow, KindContentPolicy, KindUnsupported:
		return http.StatusBadRequest
	case KindAuth:
		return http.StatusUnauthorized
	case KindPermission:
		return http.StatusForbidden
	case KindNotFound:
		return http.StatusNotFound
	case KindRateLimit:
		return http.StatusTooManyRequests
	case KindTimeout:
		return http.StatusGatewayTimeout
	case KindUnavailable:
		return http.StatusBadGateway
	}
	return http.StatusInternalServerError
}

// KindForStatus classifies an upstream HTTP status.
func KindForStatus(status int) Kind {
	switch {
	case status == http.StatusBadRequest, status == http.StatusUnprocessableEntity,
		status == http.StatusRequestEntityTooLarge:
		return KindBadRequest
	case status == http.StatusUnauthorized:
		return KindAuth
	case status == http.StatusForbidden:
		return KindPermission
	case status == http.StatusNotFound:
		return KindNotFound
	case status == http.StatusTooManyRequests:
		return KindRateLimit
	case status == http.StatusRequestTimeout, status == http.StatusGatewayTimeout:
		return KindTimeout
	case status >= 500:
		return KindUnavailable
	}
	return KindUnknown
}

// Unsupported returns the error for a parameter an adapter cannot send. The
// message tells the client how to proceed.
func Unsupported(providerName, param string) *Error {
	return &Error{
		Kind:     KindUnsupported,
		Provider: providerName,
		Status:   http.StatusBadRequest,
		Type:     "invalid_request_error",
		Code:     "unsupported_params",
		Param:    param,
		Message: fmt.Sprintf("%s does not support parameter %q; remove it, or set drop_params: true "+
			"(in the request or litellm_settings) to drop unsupported parameters", providerName, param),
	}
}

// AsError returns err's *Error, if it has one.
func AsError(err error) (*Error, bool) {
	var pe *Error
	ok := errors.As(err, &pe)
	return pe, ok
}
