package openai

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/tollgate-gw/tollgate/internal/provider"
	"github.com/tollgate-gw/tollgate/internal/provider/upstream"
	wire "github.com/tollgate-gw/tollgate/internal/wire/openai"
)

// statusError turns a non-2xx upstream response into a *provider.Error.
func (m *Model) statusError(resp *http.Response) *provider.Error {
	data, _ := io.ReadAll(io.LimitReader(resp.Body, upstream.MaxErrorBytes)) // a partial body still says something
	e := m.classify(resp.StatusCode, data)
	switch resp.StatusCode {
	case http.StatusTooManyRequests, http.StatusServiceUnavailable:
		e.RetryAfter = upstream.RetryAfter(resp.Header, time.Now())
	}
	if resp.StatusCode/100 == 3 {
		e.Kind, e.Status = provider.KindUnavailable, http.StatusBadGateway
		e.Message = fmt.Sprintf("upstream answered %d (redirect to %q): check the deployment's api_base",
			resp.StatusCode, resp.Header.Get("Location"))
	}
	return e
}

// classify builds the error for an upstream error body. status is the HTTP
// status, or 0 for an error that arrived inside a 200 (mid-stream, or a
// server that reports errors in a 200 body).
func (m *Model) classify(status int, raw []byte) *provider.Error {
	eb := wire.DecodeErrorBody(raw)
	kind := provider.KindForStatus(status)
	if status == 0 || kind == provider.KindBadRequest || kind == provider.KindUnknown {
		if k, ok := kindFromBody(eb, raw); ok {
			kind = k
		}
	}
	if status == 0 && kind == provider.KindUnknown {
		kind = kindInStream(eb)
	}
	if status == 0 {
		status = provider.StatusFor(kind)
		if n, err := strconv.Atoi(eb.Code); err == nil && n >= 400 && n <= 599 {
			status = n // Azure puts the HTTP status in error.code
		}
	}
	msg := eb.Message
	if msg == "" {
		msg = "upstream error"
		if t := http.StatusText(status); t != "" {
			msg = fmt.Sprintf("upstream error: %d %s", status, t)
		}
	}
	return &provider.Error{
		Kind:     kind,
		Provider: m.provider,
		Status:   status,
		Code:     eb.Code,
		Type:     eb.Type,
		Param:    eb.Param,
		Message:  m.redact(msg),
	}
}

// kindFromBody recognises, in a 400-class error, the refusals the router and
// the client need told apart from a plain bad request. Codes come first;
// message patterns cover providers that only say it in words (the patterns
// are LiteLLM's, from exception_mapping_utils.py).
func kindFromBody(eb wire.ErrorBody, raw []byte) (provider.Kind, bool) {
	switch eb.Code {
	case "context_length_exceeded":
		return provider.KindContextWindow, true
	case "content_policy_violation", "content_filter", "contentFilter", "ResponsibleAIPolicyViolation":
		return provider.KindContentPolicy, true
	case "DeploymentNotFound", "model_not_found":
		return provider.KindNotFound, true
	}
	msg := strings.ToLower(eb.Message)
	if isContextWindowMessage(msg) {
		return provider.KindContextWindow, true
	}
	// Azure nests the content-filter verdict in innererror (or inner_error
	// for images) under an outer code that is not always content_filter.
	if bytes.Contains(raw, []byte("ResponsibleAIPolicyViolation")) ||
		bytes.Contains(raw, []byte("content_filter_result")) ||
		strings.Contains(msg, "content management policy") ||
		strings.Contains(msg, "as a result of our safety system") {
		return provider.KindContentPolicy, true
	}
	return provider.KindUnknown, false
}

func isContextWindowMessage(msg string) bool {
	// OpenAI's 64-character limit on "user" is not a context-window error.
	if strings.Contains(msg, "string_above_max_length") || strings.Contains(msg, "invalid 'user'") {
		return false
	}
	for _, s := range [...]string{
		"maximum context length",
		"exceed context limit",
		"model's maximum context limit",
		"is longer than the model's context length",
		"input tokens exceed the configured limit",
		"exceeds the available context size",
		"exceeds the maximum number of tokens allowed",
		"`inputs` tokens + `max_new_tokens` must be",
		"prompt is too long",
	} {
		if strings.Contains(msg, s) {
			return true
		}
	}
	return false
}

// kindInStream classifies an error that came without an HTTP status by its
// code or type. Anything unrecognised is treated as an upstream failure.
func kindInStream(eb wire.ErrorBody) provider.Kind {
	if n, err := strconv.Atoi(eb.Code); err == nil {
		if k := provider.KindForStatus(n); k != provider.KindUnknown {
			return k
		}
	}
	for _, s := range [...]string{eb.Code, eb.Type} {
		switch s {
		case "rate_limit_exceeded", "rate_limit_error", "tokens", "requests":
			return provider.KindRateLimit
		case "invalid_request_error":
			return provider.KindBadRequest
		case "authentication_error", "invalid_api_key":
			return provider.KindAuth
		case "server_error", "overloaded_error", "service_unavailable", "internal_error":
			return provider.KindUnavailable
		}
	}
	return provider.KindUnavailable
}

// errorPayload reports whether a 200 body or a stream event is an error
// object ({"error": ...}) rather than a completion or chunk.
func errorPayload(data []byte) bool {
	if !bytes.Contains(data, []byte(`"error"`)) {
		return false
	}
	var probe struct {
		Error json.RawMessage `json:"error"`
	}
	return json.Unmarshal(data, &probe) == nil && len(probe.Error) > 0 && string(probe.Error) != "null"
}

// badBody reports a 2xx body the codec could not decode: an error object
// some servers send with 200, or garbage (an HTML page from a proxy or a
// maintenance screen). The codec's error is kept as text only: its type,
// wire.DecodeError, means "the client's request is malformed" to the HTTP
// layer, which would turn the upstream's fault into a 400.
func (m *Model) badBody(data []byte, err error) error {
	if errorPayload(data) {
		e := m.classify(0, data)
		e.Err = errors.New(err.Error())
		return e
	}
	return m.malformed("upstream sent a malformed response", errors.New(err.Error()))
}

// malformed is the error for an upstream reply the gateway cannot use.
func (m *Model) malformed(msg string, err error) *provider.Error {
	return &provider.Error{
		Kind:     provider.KindUnavailable,
		Provider: m.provider,
		Status:   http.StatusBadGateway,
		Message:  msg,
		Err:      err,
	}
}

// transportError classifies a failure to get (or keep reading) a response;
// see upstream.TransportError.
func (m *Model) transportError(ctx context.Context, err error, expired string) error {
	return upstream.TransportError(ctx, m.provider, err, expired)
}

// redact removes the deployment's key from text an upstream wrote (some
// echo the key they rejected).
func (m *Model) redact(s string) string {
	if m.secret == "" || !strings.Contains(s, m.secret) {
		return s
	}
	return strings.ReplaceAll(s, m.secret, "[redacted]")
}
