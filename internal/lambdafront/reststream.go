package lambdafront

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/aws/aws-lambda-go/events"
)

// serveRESTStream serves one API Gateway REST proxy event and answers in the
// streaming integration's format. It returns as soon as the handler has
// fixed its status and headers; the body follows through a pipe, one handler
// Write at a time.
func serveRESTStream(ctx context.Context, h http.Handler, raw json.RawMessage) (*events.APIGatewayProxyStreamingResponse, error) {
	var ev events.APIGatewayProxyRequest
	if err := json.Unmarshal(raw, &ev); err != nil {
		return nil, fmt.Errorf("decoding API Gateway REST event: %w", err)
	}
	inv, ctx, cancel := begin(ctx, Event{Kind: KindRESTStream, RequestID: ev.RequestContext.RequestID, Raw: raw})
	req, err := restRequest(ctx, &ev)
	if err != nil {
		cancel()
		return nil, err
	}

	pr, pw := io.Pipe()
	heads := make(chan head, 1)
	sw := &streamWriter{header: http.Header{}, pipe: pw, heads: heads, isHead: req.Method == http.MethodHead}
	go func() {
		// h is guarded: it recovers panics and records them on inv. The
		// goroutine is owned by the response body, whose Close waits for it.
		h.ServeHTTP(sw, req)
		var err error
		if perr := inv.panicErr.Load(); perr != nil {
			err = perr
		}
		sw.finish(err)
	}()

	hd := <-heads
	if hd.err != nil {
		cancel()
		_ = pr.Close()
		<-inv.done
		return nil, hd.err
	}
	return &events.APIGatewayProxyStreamingResponse{
		StatusCode: hd.status,
		// Every header goes into multiValueHeaders, Set-Cookie included: the
		// REST (payload 1.0) format has no cookies member, and one map keeps
		// repeated headers without API Gateway's headers/multiValueHeaders merge.
		MultiValueHeaders: hd.header,
		Body:              &invocationBody{r: pr, inv: inv, cancel: cancel},
	}, nil
}

// restRequest builds the *http.Request an API Gateway REST proxy event
// describes, for the streaming front; the buffered front uses
// aws-lambda-go-api-proxy's own conversion.
func restRequest(ctx context.Context, ev *events.APIGatewayProxyRequest) (*http.Request, error) {
	if ev.HTTPMethod == "" {
		return nil, errors.New("API Gateway REST event has no httpMethod")
	}
	u, err := restURL(ev)
	if err != nil {
		return nil, err
	}
	// The body is decoded up front rather than as a stream: the event string
	// is in memory already, the handler gets an exact ContentLength, and
	// corrupt base64 fails the invocation before the handler starts.
	var body io.Reader = strings.NewReader(ev.Body)
	if ev.IsBase64Encoded {
		b, err := base64.StdEncoding.DecodeString(ev.Body)
		if err != nil {
			return nil, fmt.Errorf("decoding base64 request body: %w", err)
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, ev.HTTPMethod, u.String(), body)
	if err != nil {
		return nil, fmt.Errorf("building request from API Gateway REST event: %w", err)
	}
	req.RequestURI = u.RequestURI()
	req.RemoteAddr = ev.RequestContext.Identity.SourceIP
	if len(ev.MultiValueHeaders) > 0 {
		for k, vs := range ev.MultiValueHeaders {
			for _, v := range vs {
				req.Header.Add(k, v)
			}
		}
	} else {
		for k, v := range ev.Headers {
			req.Header.Add(k, v)
		}
	}
	// As in net/http's server, the Host header lives in r.Host only.
	if host := req.Header.Get("Host"); host != "" {
		req.Host = host
	}
	req.Header.Del("Host")
	return req, nil
}

// restURL rebuilds the request URL. REST events carry the path still
// percent-encoded (so an escaped "/" inside a Bedrock model ARN stays in one
// segment) and the query already decoded, one list of values per name.
func restURL(ev *events.APIGatewayProxyRequest) (*url.URL, error) {
	path := ev.Path
	if path == "" {
		return nil, errors.New("API Gateway REST event has no path")
	}
	if path[0] != '/' {
		path = "/" + path
	}
	// Characters that cannot appear literally in an encoded path would be
	// read as URL syntax; an emulator that sends a decoded path must not turn
	// "?" into a query.
	u, err := url.ParseRequestURI(strayEscaper.Replace(path))
	if err != nil {
		return nil, fmt.Errorf("parsing request path %q: %w", ev.Path, err)
	}
	u.Scheme = "https"
	u.Host = ev.RequestContext.DomainName
	switch {
	case len(ev.MultiValueQueryStringParameters) > 0:
		u.RawQuery = url.Values(ev.MultiValueQueryStringParameters).Encode()
	case len(ev.QueryStringParameters) > 0:
		q := make(url.Values, len(ev.QueryStringParameters))
		for k, v := range ev.QueryStringParameters {
			q.Set(k, v)
		}
		u.RawQuery = q.Encode()
	}
	return u, nil
}

var strayEscaper = strings.NewReplacer("?", "%3F", "#", "%23", " ", "%20")

// head is what the streaming writer learned when the status was fixed:
// either the status and a snapshot of the headers, or the error that ended
// the handler before it wrote anything.
type head struct {
	status int
	header http.Header
	err    error
}

// streamWriter is the http.ResponseWriter of the REST streaming front. It
// has no buffer and so no Flush method: each Write blocks until the Lambda
// runtime has taken the bytes from the pipe.
type streamWriter struct {
	header      http.Header
	pipe        *io.PipeWriter
	heads       chan<- head // buffered(1); receives exactly one head
	isHead      bool
	wroteHeader bool
	bodyAllowed bool
}

func (w *streamWriter) Header() http.Header { return w.header }

func (w *streamWriter) WriteHeader(code int) {
	if w.wroteHeader {
		return
	}
	w.wroteHeader = true
	w.bodyAllowed = code != http.StatusNoContent && code != http.StatusNotModified
	// Like net/http, later changes to the header map do not reach the client.
	w.heads <- head{status: code, header: w.header.Clone()}
}

func (w *streamWriter) Write(p []byte) (int, error) {
	if !w.wroteHeader {
		w.WriteHeader(http.StatusOK)
	}
	if !w.bodyAllowed {
		return 0, http.ErrBodyNotAllowed
	}
	if w.isHead {
		return len(p), nil
	}
	return w.pipe.Write(p)
}

// finish ends the response once the handler has returned. err is the
// handler's panic, if any: before the status it becomes the invocation's
// error, afterwards the stream's.
func (w *streamWriter) finish(err error) {
	if !w.wroteHeader {
		if err != nil {
			w.wroteHeader = true
			w.heads <- head{err: err}
		} else {
			w.WriteHeader(http.StatusOK)
		}
	}
	_ = w.pipe.CloseWithError(err) // always nil
}
