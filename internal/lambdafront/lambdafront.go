package lambdafront

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"strings"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/aws/aws-lambda-go/lambdaurl"
)

// ErrUnknownEvent is returned for an invocation whose event is neither a
// function URL request nor an API Gateway REST proxy request.
var ErrUnknownEvent = errors.New("lambdafront: event is neither a function URL request nor an API Gateway REST proxy request")

// Kind names the front an invocation came through.
type Kind string

const (
	// KindFunctionURL is a function URL request (payload format 2.0) served
	// with InvokeMode RESPONSE_STREAM.
	KindFunctionURL Kind = "function_url"
	// KindRESTStream is an API Gateway REST proxy request served through a
	// STREAM response transfer mode integration.
	KindRESTStream Kind = "rest_stream"
	// KindREST is an API Gateway REST proxy request served through the default
	// buffered integration.
	KindREST Kind = "rest"
)

// Event describes the Lambda invocation a request came from. It carries no
// aws-lambda-go types so that packages below lambdafront can read it without
// importing that module.
type Event struct {
	// Kind is the front the event came through.
	Kind Kind
	// InvocationID is Lambda's request ID for the invocation
	// (Lambda-Runtime-Aws-Request-Id); empty when the handler is called
	// outside the Lambda runtime.
	InvocationID string
	// RequestID is the front's own ID for the HTTP request
	// (requestContext.requestId).
	RequestID string
	// Raw is the event JSON exactly as Lambda delivered it. It is shared, so
	// callers must not modify it.
	Raw json.RawMessage
}

type eventKey struct{}

// EventFromContext returns the event a request was built from. It reports
// false for requests that did not come through this package.
func EventFromContext(ctx context.Context) (*Event, bool) {
	ev, ok := ctx.Value(eventKey{}).(*Event)
	return ev, ok
}

// Option configures Handler, BufferedHandler, Start and StartBuffered.
type Option func(*options)

type options struct {
	logger *slog.Logger
}

// WithLogger sets the logger that records recovered handler panics. The
// default is slog.Default().
func WithLogger(l *slog.Logger) Option {
	return func(o *options) {
		if l != nil {
			o.logger = l
		}
	}
}

func newOptions(opts []Option) options {
	o := options{logger: slog.Default()}
	for _, opt := range opts {
		opt(&o)
	}
	return o
}

// StreamFunc is a Lambda handler whose response body is streamed: the
// io.Reader it returns is read by the Lambda runtime while the HTTP handler
// is still writing. Its response type carries the
// application/vnd.awslambda.http-integration-response content type, so it
// only works with the provided.al2/al2023 runtimes or -tags lambda.norpc.
type StreamFunc func(ctx context.Context, event json.RawMessage) (io.Reader, error)

// Handler returns a streaming Lambda handler that serves h for both function
// URL events (InvokeMode RESPONSE_STREAM) and API Gateway REST proxy events
// (ResponseTransferMode STREAM). The event kind is recognised from its JSON:
// function URL events have rawPath and requestContext.http, REST events have
// httpMethod, resource or requestContext.resourcePath. Anything else fails
// with ErrUnknownEvent.
//
// A REST event from a buffered integration must not reach this handler:
// API Gateway would pass the streaming prelude to the client as body bytes.
// Use BufferedHandler for those.
func Handler(h http.Handler, opts ...Option) StreamFunc {
	o := newOptions(opts)
	guarded := guard(h, o.logger)
	functionURL := lambdaurl.Wrap(guarded)
	return func(ctx context.Context, event json.RawMessage) (io.Reader, error) {
		kind, err := classify(event)
		if err != nil {
			return nil, err
		}
		if kind == KindFunctionURL {
			resp, err := serveFunctionURL(ctx, functionURL, event)
			if err != nil {
				return nil, err
			}
			return resp, nil
		}
		resp, err := serveRESTStream(ctx, guarded, event)
		if err != nil {
			return nil, err
		}
		return resp, nil
	}
}

// Start serves h as a streaming Lambda function (see Handler). It talks to
// the Runtime API named by AWS_LAMBDA_RUNTIME_API and never returns; without
// that variable it exits the process, as lambda.Start does.
func Start(h http.Handler, opts ...Option) {
	// StartHandlerFunc's constraint has no ~, so it takes only the unnamed type.
	lambda.StartHandlerFunc((func(context.Context, json.RawMessage) (io.Reader, error))(Handler(h, opts...)))
}

// StartBuffered serves h as a Lambda function behind a buffered API Gateway
// REST proxy integration (see BufferedHandler). Like Start it never returns.
func StartBuffered(h http.Handler, opts ...Option) {
	lambda.StartHandlerFunc((func(context.Context, json.RawMessage) (events.APIGatewayProxyResponse, error))(BufferedHandler(h, opts...)))
}

// InLambda reports whether the process runs inside the Lambda runtime, which
// is the case exactly when AWS_LAMBDA_RUNTIME_API is set.
func InLambda(getenv func(string) string) bool {
	return getenv("AWS_LAMBDA_RUNTIME_API") != ""
}

// eventShape holds just the members that tell the event kinds apart, so the
// body is not decoded twice.
type eventShape struct {
	RawPath        *string `json:"rawPath"`
	HTTPMethod     string  `json:"httpMethod"`
	Resource       string  `json:"resource"`
	RequestContext struct {
		HTTP         json.RawMessage `json:"http"`
		ResourcePath string          `json:"resourcePath"`
	} `json:"requestContext"`
}

func classify(event json.RawMessage) (Kind, error) {
	var s eventShape
	if err := json.Unmarshal(event, &s); err != nil {
		return "", fmt.Errorf("decoding Lambda event: %w", err)
	}
	switch {
	case s.RawPath != nil && len(s.RequestContext.HTTP) > 0 && string(s.RequestContext.HTTP) != "null":
		return KindFunctionURL, nil
	case s.HTTPMethod != "" || s.Resource != "" || s.RequestContext.ResourcePath != "":
		return KindRESTStream, nil
	}
	return "", ErrUnknownEvent
}

// begin sets up the per-invocation state shared by the adapters and the
// guard: a context that the adapter cancels when the invocation ends, the
// Event, and the invocation record the guard fills in.
func begin(ctx context.Context, ev Event) (*invocation, context.Context, context.CancelFunc) {
	if lc, ok := lambdacontext.FromContext(ctx); ok {
		ev.InvocationID = lc.AwsRequestID
	}
	inv := &invocation{done: make(chan struct{})}
	ctx, cancel := context.WithCancel(ctx)
	ctx = context.WithValue(ctx, invocationKey{}, inv)
	ctx = context.WithValue(ctx, eventKey{}, &ev)
	return inv, ctx, cancel
}

// invocationBody is the response body handed to the Lambda runtime. It turns
// a handler panic recorded after the status was sent into a read error, which
// the runtime reports in the Lambda-Runtime-Function-Error-* trailers, and
// its Close ends the invocation.
type invocationBody struct {
	r      io.ReadCloser
	inv    *invocation
	cancel context.CancelFunc
}

func (b *invocationBody) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	if err == io.EOF {
		if perr := b.inv.panicErr.Load(); perr != nil {
			return n, perr
		}
	}
	return n, err
}

// Close cancels the request context, makes the handler's further writes fail
// and waits for the handler to return, so that no handler outlives its
// invocation (Lambda freezes the process once the invocation ends). The
// runtime calls it after it has read the body to the end.
func (b *invocationBody) Close() error {
	b.cancel()
	err := b.r.Close()
	<-b.inv.done
	return err
}

// serveFunctionURL serves one function URL event through lambdaurl.
func serveFunctionURL(
	ctx context.Context,
	wrapped func(context.Context, *events.LambdaFunctionURLRequest) (*events.LambdaFunctionURLStreamingResponse, error),
	raw json.RawMessage,
) (*events.LambdaFunctionURLStreamingResponse, error) {
	var ev events.LambdaFunctionURLRequest
	if err := json.Unmarshal(raw, &ev); err != nil {
		return nil, fmt.Errorf("decoding function URL event: %w", err)
	}
	prepared, err := lambdaurlEvent(&ev)
	if err != nil {
		return nil, err
	}
	inv, ctx, cancel := begin(ctx, Event{Kind: KindFunctionURL, RequestID: ev.RequestContext.RequestID, Raw: raw})
	resp, err := wrapped(ctx, prepared)
	if err != nil {
		cancel()
		return nil, fmt.Errorf("building request from function URL event: %w", err)
	}
	// lambdaurl returns once the status is fixed. When that happened only
	// because the handler panicked before writing, lambdaurl has filled in a
	// 200; fail the invocation instead, as net/http drops the connection.
	if perr := inv.panicErr.Load(); perr != nil && !inv.started.Load() {
		cancel()
		_ = resp.Close() // unblocks lambdaurl's final empty write
		<-inv.done
		return nil, perr
	}
	body, ok := resp.Body.(io.ReadCloser)
	if !ok {
		body = io.NopCloser(resp.Body)
	}
	resp.Body = &invocationBody{r: body, inv: inv, cancel: cancel}
	return resp, nil
}

// lambdaurlEvent prepares the event for lambdaurl, on a copy so that the
// raw event stays as Lambda sent it. Function URLs move the Cookie header
// into the cookies array, and lambdaurl reads only the headers, so the header
// is restored. A base64 body is decoded here rather than by lambdaurl's
// streaming decoder: the handler then gets an exact ContentLength, as on the
// REST front, and corrupt base64 fails the invocation before it starts.
func lambdaurlEvent(ev *events.LambdaFunctionURLRequest) (*events.LambdaFunctionURLRequest, error) {
	cp := *ev
	if ev.IsBase64Encoded {
		b, err := base64.StdEncoding.DecodeString(ev.Body)
		if err != nil {
			return nil, fmt.Errorf("decoding base64 request body: %w", err)
		}
		cp.Body, cp.IsBase64Encoded = string(b), false
	}
	if len(ev.Cookies) == 0 {
		return &cp, nil
	}
	for k := range ev.Headers {
		if http.CanonicalHeaderKey(k) == "Cookie" {
			return &cp, nil
		}
	}
	cp.Headers = maps.Clone(ev.Headers)
	if cp.Headers == nil {
		cp.Headers = make(map[string]string, 1)
	}
	cp.Headers["cookie"] = strings.Join(ev.Cookies, "; ")
	return &cp, nil
}
