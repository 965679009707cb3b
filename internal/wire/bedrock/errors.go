package bedrock

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws/protocol/eventstream"
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

// exceptions is the one table of Bedrock's runtime exceptions: the HTTP
// status the service model gives each (its @httpError trait) and the
// ConverseStreamOutput union member that carries it mid-stream. Only five
// exceptions are members of that union and so reach SDK users as their own
// types; the others map to the nearest.
var exceptions = map[string]struct {
	status int
	stream string
}{
	errAccessDenied:       {http.StatusForbidden, "internalServerException"},
	errInternalServer:     {http.StatusInternalServerError, "internalServerException"},
	errModelError:         {http.StatusFailedDependency, "modelStreamErrorException"},
	errModelNotReady:      {http.StatusTooManyRequests, "throttlingException"},
	errModelStreamError:   {http.StatusFailedDependency, "modelStreamErrorException"},
	errModelTimeout:       {http.StatusRequestTimeout, "modelStreamErrorException"},
	errResourceNotFound:   {http.StatusNotFound, "internalServerException"},
	errServiceQuota:       {http.StatusBadRequest, "validationException"},
	errServiceUnavailable: {http.StatusServiceUnavailable, "serviceUnavailableException"},
	errThrottling:         {http.StatusTooManyRequests, "throttlingException"},
	errValidation:         {http.StatusBadRequest, "validationException"},
}

// Exception is a failure in Bedrock's terms, ready to be answered: which
// runtime exception, the message the client may see and the Retry-After.
// Callers build it with ExceptionFor from their own classification of the
// failure; ErrorFor, WriteError and WriteStreamError render it.
type Exception struct {
	// Name is one of the runtime exceptions (ThrottlingException, ...).
	Name string
	// Message is shown to the client; it never holds internal detail.
	Message string
	// RetryAfter becomes the Retry-After header when it is positive.
	RetryAfter time.Duration
}

func (e *Exception) Error() string { return e.Name + ": " + e.Message }

// ExceptionFor names the exception for a failure whose class is the HTTP
// status, unless one of upstream (the codes a Bedrock upstream answered
// with) is itself a runtime exception, which then passes through as it
// came. By status: 400 and any other 4xx are ValidationException; 401 and
// 403 AccessDeniedException (Bedrock models no 401, and this is the
// exception the SDKs raise for a refused caller); 404
// ResourceNotFoundException; 408 and 504 ModelTimeoutException; 429
// ThrottlingException; 500 (and anything not an error status)
// InternalServerException; any other 5xx ServiceUnavailableException.
func ExceptionFor(status int, upstream ...string) string {
	for _, name := range upstream {
		if _, known := exceptions[name]; known {
			return name
		}
	}
	switch {
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		return errAccessDenied
	case status == http.StatusNotFound:
		return errResourceNotFound
	case status == http.StatusRequestTimeout || status == http.StatusGatewayTimeout:
		return errModelTimeout
	case status == http.StatusTooManyRequests:
		return errThrottling
	case status >= 400 && status < 500:
		return errValidation
	case status > 500 && status < 600:
		return errServiceUnavailable
	}
	return errInternalServer
}

// exceptionOf renders err as the exception it is answered with. A
// *DecodeError is a ValidationException and an *Exception is itself; an
// *http.MaxBytesError is a ValidationException and context.DeadlineExceeded
// a ModelTimeoutException. Any other error is an InternalServerException
// with a generic message, because its text may hold internal detail.
func exceptionOf(err error) *Exception {
	var ex *Exception
	var de *DecodeError
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &ex):
		if _, known := exceptions[ex.Name]; known {
			return ex
		}
		return &Exception{Name: errInternalServer, Message: ex.Message, RetryAfter: ex.RetryAfter}
	case errors.As(err, &de):
		return &Exception{Name: errValidation, Message: de.Error()}
	case errors.As(err, &mbe):
		return &Exception{Name: errValidation, Message: "request body is larger than " + strconv.FormatInt(mbe.Limit, 10) + " bytes"}
	case errors.Is(err, context.DeadlineExceeded):
		return &Exception{Name: errModelTimeout, Message: "the model did not answer in time"}
	}
	return &Exception{Name: errInternalServer, Message: "internal server error"}
}

// messageBody is the JSON body of an error response and the payload of a
// stream exception: {"message": "..."}.
type messageBody struct {
	Message string `json:"message"`
}

// ErrorFor maps err to Bedrock's error response: the HTTP status the
// service model gives the exception, its name for the x-amzn-ErrorType
// header and the JSON body {"message": "..."}. err is rendered as
// exceptionOf says.
func ErrorFor(err error) (status int, errorType string, body []byte) {
	ex := exceptionOf(err)
	body, _ = marshal(messageBody{ex.Message}) // a string always marshals
	return exceptions[ex.Name].status, ex.Name, body
}

// WriteError writes err as a Bedrock error response, for a failure before a
// response has started.
func WriteError(w http.ResponseWriter, err error) {
	status, name, body := ErrorFor(err)
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("X-Amzn-ErrorType", name)
	if ex := exceptionOf(err); ex.RetryAfter > 0 {
		h.Set("Retry-After", strconv.Itoa(int(math.Ceil(ex.RetryAfter.Seconds()))))
	}
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// WriteStreamError writes err as an exception event, for a failure after a
// ConverseStream response has started: the SDKs end the stream and raise the
// matching exception from the stream's error. Exceptions map as in ErrorFor,
// then onto the five the stream can carry (throttling, validation, service
// unavailable, model stream error, internal server error). Nothing may be
// written to the stream afterwards.
func WriteStreamError(w io.Writer, err error) error {
	ex := exceptionOf(err)
	payload, _ := marshal(messageBody{ex.Message})
	msg := eventstream.Message{
		Headers: eventstream.Headers{
			{Name: ":exception-type", Value: eventstream.StringValue(exceptions[ex.Name].stream)},
			{Name: ":content-type", Value: eventstream.StringValue("application/json")},
			{Name: ":message-type", Value: eventstream.StringValue("exception")},
		},
		Payload: payload,
	}
	if err := eventstream.NewEncoder().Encode(w, msg); err != nil {
		return fmt.Errorf("writing converse stream exception: %w", err)
	}
	return nil
}
