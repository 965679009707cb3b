package lambdafront

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/aws/aws-lambda-go/events"
	"github.com/awslabs/aws-lambda-go-api-proxy/httpadapter"
)

// BufferedFunc is a Lambda handler for API Gateway REST proxy events whose
// response is returned whole, as the default (BUFFERED) integration expects.
type BufferedFunc func(ctx context.Context, event json.RawMessage) (events.APIGatewayProxyResponse, error)

// BufferedHandler returns a Lambda handler that serves h for API Gateway REST
// proxy events (payload format 1.0) through aws-lambda-go-api-proxy's
// httpadapter. Responses whose body is not valid UTF-8 are sent base64
// encoded. The admin function uses it: its answers are small documents that
// gain nothing from streaming.
func BufferedHandler(h http.Handler, opts ...Option) BufferedFunc {
	o := newOptions(opts)
	adapter := httpadapter.New(guard(h, o.logger))
	return func(ctx context.Context, raw json.RawMessage) (events.APIGatewayProxyResponse, error) {
		var ev events.APIGatewayProxyRequest
		if err := json.Unmarshal(raw, &ev); err != nil {
			return events.APIGatewayProxyResponse{}, fmt.Errorf("decoding API Gateway REST event: %w", err)
		}
		if ev.HTTPMethod == "" {
			return events.APIGatewayProxyResponse{}, ErrUnknownEvent
		}
		inv, ctx, cancel := begin(ctx, Event{Kind: KindREST, RequestID: ev.RequestContext.RequestID, Raw: raw})
		defer cancel()
		resp, err := adapter.ProxyWithContext(ctx, ev)
		if err != nil {
			return events.APIGatewayProxyResponse{}, fmt.Errorf("serving API Gateway REST event: %w", err)
		}
		// The whole response is still in hand, so a panic fails the
		// invocation even if the handler had written part of it.
		if perr := inv.panicErr.Load(); perr != nil {
			return events.APIGatewayProxyResponse{}, perr
		}
		return resp, nil
	}
}
