package awsfake

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"time"
)

// InProcessClient returns an http.Client that serves every request with h on
// the caller's goroutine, without a network. Tests inside a testing/synctest
// bubble use it, because real sockets do not count as durably blocked there.
// Responses are buffered whole, so it suits STS and non-streaming calls.
func InProcessClient(h http.Handler) *http.Client {
	return &http.Client{Transport: handlerTransport{h}}
}

type handlerTransport struct{ h http.Handler }

func (t handlerTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	var body []byte
	if req.Body != nil {
		b, err := io.ReadAll(req.Body)
		_ = req.Body.Close()
		if err != nil {
			return nil, err
		}
		body = b
	}
	sreq := httptest.NewRequestWithContext(req.Context(), req.Method, req.URL.String(), bytes.NewReader(body))
	sreq.Header = req.Header.Clone()
	if req.Host != "" {
		sreq.Host = req.Host
	}
	rec := httptest.NewRecorder()
	t.h.ServeHTTP(rec, sreq)
	if err := req.Context().Err(); err != nil {
		return nil, err
	}
	resp := rec.Result()
	resp.Request = req
	return resp, nil
}

// wait holds a request for the fake's latency, or until the client gives up.
// It reports whether the request should still be answered.
func wait(r *http.Request, d time.Duration) bool {
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-r.Context().Done():
		return false
	}
}
