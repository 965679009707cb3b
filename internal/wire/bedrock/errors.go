package bedrock

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"strconv"

	"github.com/aws/aws-sdk-go-v2/aws/protocol/eventstream"

	"github.com/tollgate-gw/tollgate/internal/provider"
	"github.com/tollgate-gw/tollgate/internal/wire/rawjson"
)

// Bedrock runtime exceptions, as named in the service model. The SDKs pick
// the exception class from the x-amzn-ErrorType header (or, mid-stream, the
// :exception-type header), so these names are the contract.
const (
	errAccessDenied       = "AccessDeniedException"
	errInternalServer     = "InternalServerException"
	errModelError         = "ModelErrorException"
	errModelNotReady      = "ModelNotReadyException"
	errModelStreamError   = "ModelStreamErrorException"
	errModelTimeout       = "ModelTimeoutException"
	errResourceNotFound   = "ResourceNotFoundException"
	errServiceQuota       = "ServiceQuotaExceededException"
	errServiceUnavailable = "ServiceUnavailableException"
	errThrottling         = "ThrottlingException"
	errValidation         = "ValidationException"
)

// exceptionStatus returns the HTTP status the bedrock-runtime service model
// gives an exception (its @httpError trait), and false for names it does
// not define.
func exceptionStatus(name string) (int, bool) {
	switch name {
	case errAccessDenied:
		return http.StatusForbidden, true
	case errInternalServer:
		return http.StatusInternalServerError, true
	case errModelError, errModelStreamError:
		return http.StatusFailedDependency, true
	case errModelNotReady, errThrottling:
		return http.StatusTooManyRequests, true
	case errModelTimeout:
		return http.StatusRequestTimeout, true
	case errResourceNotFound:
		return http.StatusNotFound, true
	case errServiceQuota, errValidation:
		return http.StatusBadRequest, true
	case errServiceUnavailable:
		return http.StatusServiceUnavailable, true
	}
	return 0, false
}

// classify picks the Bedrock exception for err and the message safe to show
// the client.
func classify(err error) (name, message string) {
	var de *DecodeError
	if errors.As(err, &de) {
		return errValidation, de.Error()
	}
	if pe, ok := provider.AsError(err); ok {
		message = pe.Message
		if message == "" {
			message = pe.Kind.String()
		}
		// A Bedrock upstream's own exception passes through as it came.
		for _, n := range [...]string{pe.Type, pe.Code} {
			if _, known := exceptionStatus(n); known {
				return n, message
			}
		}
		switch pe.Kind {
		case provider.KindBadRequest, provider.KindContextWindow, provider.KindContentPolicy, provider.KindUnsupported:
			return errValidation, message
		case provider.KindAuth, provider.KindPermission:
			// Bedrock has no 401 exception; AccessDeniedException is the
			// modelled one the SDKs raise for a refused caller.
			return errAccessDenied, message
		case provider.KindNotFound:
			return errResourceNotFound, message
		case provider.KindRateLimit:
			return errThrottling, message
		case provider.KindTimeout:
			return errModelTimeout, message
		case provider.KindUnavailable:
			return errServiceUnavailable, message
		}
		return errInternalServer, message
	}
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &mbe):
		return errValidation, "request body is larger than " + strconv.FormatInt(mbe.Limit, 10) + " bytes"
	case errors.Is(err, context.DeadlineExceeded):
		return errModelTimeout, "the model did not answer in time"
	}
	// Anything else is the gateway's own fault; its text may hold internal
	// detail, so the client gets a generic message.
	return errInternalServer, "internal server error"
}

// ErrorFor maps err to Bedrock's error response: the HTTP status, the
// exception name for the x-amzn-ErrorType header and the JSON body
// {"message": "..."}. A *DecodeError is a ValidationException; a
// *provider.Error keeps a Bedrock upstream's exception name when it carries
// one and is otherwise mapped by Kind (bad request, context window, content
// policy and unsupported → ValidationException 400; auth and permission →
// AccessDeniedException 403; not found → ResourceNotFoundException 404; rate
// limit → ThrottlingException 429; timeout → ModelTimeoutException 408;
// unavailable → ServiceUnavailableException 503; anything else →
// InternalServerException 500). An *http.MaxBytesError is a
// ValidationException and context.DeadlineExceeded a ModelTimeoutException;
// any other error is an InternalServerException with a generic message,
// because its text may hold internal detail.
func ErrorFor(err error) (status int, errorType string, body []byte) {
	name, message := classify(err)
	status, _ = exceptionStatus(name)
	body = rawjson.AppendString(append(make([]byte, 0, len(message)+16), `{"message":`...), message)
	return status, name, append(body, '}')
}

// WriteError writes err as a Bedrock error response, for a failure before a
// response has started.
func WriteError(w http.ResponseWriter, err error) {
	status, name, body := ErrorFor(err)
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("X-Amzn-ErrorType", name)
	if pe, ok := provider.AsError(err); ok && pe.RetryAfter > 0 {
		h.Set("Retry-After", strconv.Itoa(int(math.Ceil(pe.RetryAfter.Seconds()))))
	}
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// streamException returns the ConverseStreamOutput union member that carries
// an exception mid-stream. Only five exceptions are members of that union
// and so reach SDK users as their own types; the others map to the nearest.
func streamException(name string) eventstream.Value {
	switch name {
	case errThrottling, errModelNotReady:
		return eventstream.StringValue("throttlingException")
	case errValidation, errServiceQuota:
		return eventstream.StringValue("validationException")
	case errServiceUnavailable:
		return eventstream.StringValue("serviceUnavailableException")
	case errModelStreamError, errModelError, errModelTimeout:
		return eventstream.StringValue("modelStreamErrorException")
	}
	return eventstream.StringValue("internalServerException")
}

// WriteStreamError writes err as an exception event, for a failure after a
// ConverseStream response has started: the SDKs end the stream and raise the
// matching exception from the stream's error. Exceptions map as in ErrorFor,
// then onto the five the stream can carry (throttling, validation, service
// unavailable, model stream error, internal server error). Nothing may be
// written to the stream afterwards.
func WriteStreamError(w io.Writer, err error) error {
	name, message := classify(err)
	payload := rawjson.AppendString(append(make([]byte, 0, len(message)+16), `{"message":`...), message)
	msg := eventstream.Message{
		Headers: eventstream.Headers{
			{Name: ":exception-type", Value: streamException(name)},
			{Name: ":content-type", Value: eventstream.StringValue("application/json")},
			{Name: ":message-type", Value: eventstream.StringValue("exception")},
		},
		Payload: append(payload, '}'),
	}
	if err := eventstream.NewEncoder().Encode(w, msg); err != nil {
		return fmt.Errorf("writing converse stream exception: %w", err)
	}
	return nil
}
