package awsfake

import (
	"bytes"
	"io"
	"net/http"
)

// OwnBodyClient is an SDK HTTP client (aws.HTTPClient) that gives net/http
// its own copy of each request body. Use it for an aws-sdk-go-v2 client
// talking to a loopback server.
//
// The SDK's HTTP handler closes the request body as soon as Do returns,
// while the transport's write loop may still be finishing the request: when
// a loopback server answers at once, that write fails, and the transport
// then closes the connection under the response stream ("use of closed
// network connection" mid-ConverseStream). Real networks hide the race
// behind latency; the copy removes it instead of sleeping.
type OwnBodyClient struct {
	// Client sends the requests; nil means http.DefaultClient.
	Client *http.Client
}

// Do sends r with a body net/http owns.
func (o OwnBodyClient) Do(r *http.Request) (*http.Response, error) {
	if r.Body != nil && r.Body != http.NoBody {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			return nil, err
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
	}
	c := o.Client
	if c == nil {
		c = http.DefaultClient
	}
	return c.Do(r)
}
