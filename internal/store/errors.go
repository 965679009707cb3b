package store

import (
	"errors"
	"fmt"
)

// Sentinel errors. Every error a Store returns for one of these reasons
// matches it with errors.Is; callers branch on these, never on messages.
var (
	// ErrNotFound: no live record has that id (or it belongs to another
	// owner: the store does not reveal which).
	ErrNotFound = errors.New("not found")
	// ErrConflict: a condition failed: the record already exists, its
	// version changed since it was read, or it is gone.
	ErrConflict = errors.New("conflict")
	// ErrLimitExceeded: a counter's conditional change or a lease was
	// refused. The error is a *LimitError that names the op.
	ErrLimitExceeded = errors.New("limit exceeded")
	// ErrUnavailable: the backing store is down or throttling; the request
	// may succeed later.
	ErrUnavailable = errors.New("store unavailable")
	// ErrInvalid: the record or argument failed validation.
	ErrInvalid = errors.New("invalid")
	// ErrTooLarge: the record does not fit in one item (DynamoDB's 400 KB).
	ErrTooLarge = errors.New("too large")
)

// LimitError reports which op of an Apply call was refused.
type LimitError struct {
	// Op is the index of the refused op in the Apply call.
	Op int
	// Counter is the op's counter key.
	Counter string
	// Field is the refused counter field ("" for a lease).
	Field string
	// Value is the field's current value, or the number of live leases.
	Value int64
	// Limit is the bound that refused it: the op's AtMost, or its lease Max.
	Limit int64
}

func (e *LimitError) Error() string {
	if e.Field == "" {
		return fmt.Sprintf("limit exceeded: op %d: lease %s: %d of %d held", e.Op, e.Counter, e.Value, e.Limit)
	}
	return fmt.Sprintf("limit exceeded: op %d: counter %s field %s is %d, needs at most %d",
		e.Op, e.Counter, e.Field, e.Value, e.Limit)
}

// Is makes a LimitError match ErrLimitExceeded.
func (e *LimitError) Is(target error) bool { return target == ErrLimitExceeded }

func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalid, fmt.Sprintf(format, args...))
}
