package awscall

import (
	"fmt"

	"github.com/aws/smithy-go"
)

// OperationError is every error Call returns: the service, the operation
// and what went wrong, read as the SDK's "operation error" messages read.
type OperationError struct {
	Service, Operation string
	Err                error
}

func (e *OperationError) Error() string {
	return fmt.Sprintf("operation error %s: %s, %v", e.Service, e.Operation, e.Err)
}

func (e *OperationError) Unwrap() error { return e.Err }

// Error is an answer other than 2xx, or one that could not be read. It
// satisfies smithy.APIError, and the SDK's retryer classifies it by its code
// (throttling) and status (5xx), as it classifies the SDK's own errors.
type Error struct {
	StatusCode int
	RequestID  string
	// Code is the service's error code (ParameterNotFound,
	// ResourceNotFoundException, ThrottlingException, …), namespace and URI
	// removed.
	Code    string
	Message string

	err error // a read or decode failure, for errors.Is and As
}

func (e *Error) Error() string {
	return fmt.Sprintf("https response error StatusCode: %d, RequestID: %s, %s: %s", e.StatusCode, e.RequestID, e.Code, e.Message)
}

func (e *Error) Unwrap() error { return e.err }

// ErrorCode, ErrorMessage and ErrorFault make Error a smithy.APIError.
func (e *Error) ErrorCode() string    { return e.Code }
func (e *Error) ErrorMessage() string { return e.Message }

// ErrorFault says whose fault the error is: the service's for a 5xx, the
// caller's for a 4xx.
func (e *Error) ErrorFault() smithy.ErrorFault {
	switch {
	case e.StatusCode >= 500:
		return smithy.FaultServer
	case e.StatusCode >= 400:
		return smithy.FaultClient
	}
	return smithy.FaultUnknown
}

var _ smithy.APIError = (*Error)(nil)

// HTTPStatusCode is what the retryer reads to retry 5xx answers.
func (e *Error) HTTPStatusCode() int { return e.StatusCode }
