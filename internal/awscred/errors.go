package awscred

import (
	"errors"
	"fmt"

	"github.com/aws/smithy-go"
)

// Error is a failure to obtain a deployment's credentials from STS. Adapters
// reach it with errors.As to answer with a clear, non-retryable error (or a
// retryable one when STS itself was throttled or unreachable).
type Error struct {
	// Op is the STS operation: AssumeRole, AssumeRoleWithWebIdentity or
	// GetCallerIdentity.
	Op string
	// RoleARN is the role being assumed (empty for GetCallerIdentity).
	RoleARN string
	// Source describes the identity that made the call, without secrets:
	// "explicit keys AKIA...", "profile dev", "ambient credentials", ...
	Source string
	// Code is STS's error code (AccessDenied, ExpiredToken,
	// InvalidIdentityToken, ...); empty when STS was not reached.
	Code string
	// Err is the underlying error.
	Err error
}

func (e *Error) Error() string {
	what := e.Op
	if e.RoleARN != "" {
		what = fmt.Sprintf("%s %s", e.Op, e.RoleARN)
	}
	reason := e.Err.Error()
	var ae smithy.APIError
	if errors.As(e.Err, &ae) {
		reason = ae.ErrorCode() + ": " + ae.ErrorMessage()
	}
	return fmt.Sprintf("%s as %s failed: %s", what, e.Source, reason)
}

func (e *Error) Unwrap() error { return e.Err }

func stsError(op, role, source string, err error) *Error {
	e := &Error{Op: op, RoleARN: role, Source: source, Err: err}
	var ae smithy.APIError
	if errors.As(err, &ae) {
		e.Code = ae.ErrorCode()
	}
	return e
}
