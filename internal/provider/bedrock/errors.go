package bedrock

import (
	"context"
	"errors"
	"net"
	"strconv"
	"strings"
	"time"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/tollgate-gw/tollgate/internal/awscred"
	"github.com/tollgate-gw/tollgate/internal/provider"
	"github.com/tollgate-gw/tollgate/internal/provider/upstream"
)

// exceptionKinds is the one table from AWS error codes to provider kinds.
// Codes arrive as smithy APIError.ErrorCode(): Bedrock's exception names,
// the front-end authentication codes, and STS's codes for credential errors.
var exceptionKinds = map[string]provider.Kind{
	"ThrottlingException":           provider.KindRateLimit,
	"ServiceQuotaExceededException": provider.KindRateLimit,
	"TooManyRequestsException":      provider.KindRateLimit,
	"ValidationException":           provider.KindBadRequest,
	"AccessDeniedException":         provider.KindPermission,
	"ResourceNotFoundException":     provider.KindNotFound,
	"ModelNotReadyException":        provider.KindUnavailable,
	"ServiceUnavailableException":   provider.KindUnavailable,
	"InternalServerException":       provider.KindUnavailable,
	"ModelErrorException":           provider.KindUnavailable,
	"ModelStreamErrorException":     provider.KindUnavailable,
	"ModelTimeoutException":         provider.KindTimeout,
	"ConflictException":             provider.KindBadRequest,
	"UnrecognizedClientException":   provider.KindAuth,
	"InvalidSignatureException":     provider.KindAuth,
	"IncompleteSignature":           provider.KindAuth,
	"MissingAuthenticationToken":    provider.KindAuth,
	"ExpiredTokenException":         provider.KindAuth,
	// STS, while obtaining the deployment's credentials.
	"AccessDenied":            provider.KindPermission,
	"ExpiredToken":            provider.KindAuth,
	"InvalidIdentityToken":    provider.KindAuth,
	"InvalidClientTokenId":    provider.KindAuth,
	"SignatureDoesNotMatch":   provider.KindAuth,
	"RegionDisabledException": provider.KindPermission,
	"IDPRejectedClaim":        provider.KindAuth,
	"Throttling":              provider.KindRateLimit,
	"ValidationError":         provider.KindBadRequest,
}

// contextWindowPhrases mark a ValidationException that is really a prompt
// too long for the model; Bedrock has no separate exception for it.
var contextWindowPhrases = []string{
	"input is too long", "too many input tokens", "too many tokens", "context length", "context window",
	"prompt is too long", "maximum context", "exceeds the maximum number of tokens", "input too long",
}

// callError maps the error of a call made under one of the deployment's
// limits (ctx is the call's own context): a limit that ran out is a
// timeout whose message, within, says which; an answer over limit bytes
// (when limit is not zero) is an upstream fault; anything else is
// mapError's.
func callError(ctx context.Context, err error, within string, limit int64) error {
	if upstream.Expired(ctx) {
		return upstream.Timeout(providerName, within, err)
	}
	if limit > 0 && errors.Is(err, upstream.ErrTooLarge) {
		e := upstream.TooLarge(providerName, limit)
		e.Err = err
		return e
	}
	return mapError(ctx, err)
}

// mapError classifies an SDK error. Context cancellation by the caller is
// returned as is; everything else becomes a *provider.Error.
func mapError(ctx context.Context, err error) error {
	if err == nil {
		return nil
	}
	if _, ok := provider.AsError(err); ok {
		return err
	}
	if errors.Is(err, context.Canceled) && ctx.Err() != nil {
		return err
	}
	pe := &provider.Error{Provider: providerName, Err: err}
	var ce *awscred.Error
	var ae smithy.APIError
	switch {
	case errors.As(err, &ce):
		// The deployment's credentials could not be had: name the role and
		// STS's reason, and never call Bedrock with anything else.
		pe.Kind = exceptionKinds[ce.Code]
		if ce.Code == "" {
			pe.Kind = provider.KindUnavailable
		} else if pe.Kind == provider.KindUnknown || pe.Kind == provider.KindBadRequest {
			pe.Kind = provider.KindAuth
		}
		pe.Code = ce.Code
		pe.Type = "aws_credentials_error"
		pe.Message = "cannot obtain the deployment's AWS credentials: " + ce.Error()
	case errors.As(err, &ae):
		code := ae.ErrorCode()
		pe.Kind = exceptionKinds[code]
		pe.Code, pe.Type = code, code
		pe.Message = code + ": " + ae.ErrorMessage()
		if pe.Kind == provider.KindBadRequest && code == "ValidationException" {
			msg := strings.ToLower(ae.ErrorMessage())
			for _, p := range contextWindowPhrases {
				if strings.Contains(msg, p) {
					pe.Kind = provider.KindContextWindow
					break
				}
			}
		}
		if pe.Kind == provider.KindUnknown {
			pe.Kind = provider.KindForStatus(httpStatus(err))
		}
		if pe.Kind == provider.KindUnknown {
			pe.Kind = provider.KindUnavailable
		}
	case errors.Is(err, context.DeadlineExceeded):
		pe.Kind = provider.KindTimeout
		pe.Message = "Bedrock did not answer in time"
	case isTransportError(err):
		pe.Kind = provider.KindUnavailable
		pe.Message = "cannot reach Bedrock: " + err.Error()
	default:
		pe.Kind = provider.KindUnavailable
		pe.Message = "Bedrock call failed: " + err.Error()
	}
	pe.Status = provider.StatusFor(pe.Kind)
	pe.RetryAfter = retryAfter(err)
	return pe
}

// isTransportError picks out failures to send or read over the network.
func isTransportError(err error) bool {
	var se *smithyhttp.RequestSendError
	var ne net.Error
	var oe *net.OpError
	return errors.As(err, &se) || errors.As(err, &ne) || errors.As(err, &oe)
}

func httpStatus(err error) int {
	var re *awshttp.ResponseError
	if errors.As(err, &re) {
		return re.HTTPStatusCode()
	}
	return 0
}

// retryAfter reads a Retry-After header in seconds, when the response had one.
func retryAfter(err error) time.Duration {
	var re *awshttp.ResponseError
	if !errors.As(err, &re) || re.Response == nil {
		return 0
	}
	if s, convErr := strconv.Atoi(re.Response.Header.Get("Retry-After")); convErr == nil && s > 0 {
		return time.Duration(s) * time.Second
	}
	return 0
}
