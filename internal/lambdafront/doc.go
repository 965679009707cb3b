// Package lambdafront serves a net/http handler tree from AWS Lambda. It is
// the only package under internal/ that imports aws-lambda-go: everything
// below it sees a plain *http.Request and http.ResponseWriter.
//
// Three fronts are supported:
//
//   - Function URLs with InvokeMode RESPONSE_STREAM, through aws-lambda-go's
//     lambdaurl package.
//   - API Gateway REST proxy integrations with ResponseTransferMode STREAM
//     (integration URI .../2021-11-15/functions/<arn>/response-streaming-invocations),
//     through a small adapter of our own that answers with
//     events.APIGatewayProxyStreamingResponse.
//   - API Gateway REST proxy integrations in the default buffered mode,
//     through aws-lambda-go-api-proxy's httpadapter (used by the admin
//     function).
//
// Handler serves both streaming kinds from one function and tells them apart
// by the shape of the event JSON. In both streaming fronts the response starts
// to flow once the handler has fixed its status and headers, and every later
// Write goes straight to Lambda through an io.Pipe: nothing is buffered, so
// there is nothing to flush, and http.ResponseController.Flush reports
// http.ErrNotSupported. The request context is cancelled when the invocation
// ends, and EventFromContext returns the event the request came from.
//
// A handler panic fails the invocation instead of killing the process: before
// the status is sent the invocation returns a *PanicError, afterwards the
// stream ends with that error, which the Lambda runtime reports through the
// Lambda-Runtime-Function-Error-Type and -Body trailers.
//
// The wire formats are documented in aws-lambda-go's events package
// (lambda_function_urls.go, apigw.go) and in the API Gateway developer guide
// ("Set up a Lambda proxy integration with payload response streaming").
package lambdafront
