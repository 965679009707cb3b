package dynamo

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"

	"github.com/tollgate-gw/tollgate/internal/store"
)

// unavailableCodes are the error codes that mean "try again later": the
// table or account is throttled, a transaction holds the item, or the
// service failed.
var unavailableCodes = map[string]bool{
	"ProvisionedThroughputExceededException": true,
	"ThrottlingException":                    true,
	"RequestLimitExceeded":                   true,
	"LimitExceededException":                 true,
	"TransactionInProgressException":         true,
	"InternalServerError":                    true,
	"ServiceUnavailable":                     true,
	"ResourceNotFoundException":              true, // a missing table: misdeployed, not the caller's fault
}

// classify maps an AWS error to the store's errors, in one place:
// conditional-check failures become *store.CondFailed (with the item as it
// was), throttling, transaction collisions that outlived their retries,
// 5xx and network failures become store.ErrUnavailable. The AWS error stays
// wrapped for logs.
func classify(op string, err error) error {
	if err == nil {
		return nil
	}
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) {
		return &condFailure{reasons: []reason{{code: "ConditionalCheckFailed", item: ccf.Item}}}
	}
	var tce *types.TransactionCanceledException
	if errors.As(err, &tce) {
		cf := &condFailure{}
		for _, r := range tce.CancellationReasons {
			cf.reasons = append(cf.reasons, reason{code: deref(r.Code), item: r.Item})
		}
		return cf
	}
	if unavailableError(err) {
		return fmt.Errorf("dynamodb %s: %w: %w", op, store.ErrUnavailable, err)
	}
	return fmt.Errorf("dynamodb %s: %w", op, err)
}

func unavailableError(err error) bool {
	var api smithy.APIError
	if errors.As(err, &api) && (unavailableCodes[api.ErrorCode()] || api.ErrorFault() == smithy.FaultServer) {
		return true
	}
	var re *awshttp.ResponseError
	if errors.As(err, &re) && re.HTTPStatusCode() >= 500 {
		return true
	}
	var maxAttempts *retry.MaxAttemptsError
	if errors.As(err, &maxAttempts) {
		return true
	}
	var ne net.Error
	return errors.As(err, &ne)
}

// condFailure is a conditional write refused by DynamoDB: one reason per
// item of a transaction (in order), or one for a single-item write.
type condFailure struct {
	reasons []reason
}

type reason struct {
	code string // "None", "ConditionalCheckFailed", "TransactionConflict", …
	item map[string]types.AttributeValue
}

func (c *condFailure) Error() string {
	codes := make([]string, len(c.reasons))
	for i, r := range c.reasons {
		codes[i] = r.code
	}
	return fmt.Sprintf("dynamodb: write canceled: %v", codes)
}

// conflicted reports whether the write lost a race with another
// transaction (and no condition failed): it is retried.
func (c *condFailure) conflicted() bool {
	conflict := false
	for _, r := range c.reasons {
		switch r.code {
		case "ConditionalCheckFailed":
			return false
		case "TransactionConflict":
			conflict = true
		}
	}
	return conflict
}

// otherFailure is a cancellation for a reason that is neither a condition
// nor a conflict (throttling, validation, item size).
func (c *condFailure) otherFailure() (string, bool) {
	for _, r := range c.reasons {
		switch r.code {
		case "", "None", "ConditionalCheckFailed", "TransactionConflict":
		default:
			return r.code, true
		}
	}
	return "", false
}

var throttledReasons = map[string]bool{"ThrottlingError": true, "ProvisionedThroughputExceeded": true}

func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

func jitter(limit time.Duration) time.Duration {
	if limit <= 0 {
		return 0
	}
	return rand.N(limit)
}
