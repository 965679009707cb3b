// Package faulttest scripts misbehaving upstreams for adapter tests: one
// that stalls, one that drips, one whose answer is far too large and one
// that answers with the wrong type of body. The handlers speak no wire
// format of their own, so the same faults serve every provider family
// (OpenAI, Azure, Bedrock) behind a loopback httptest server.
//
// Every handler reads the request body first, as a real upstream does (and
// as net/http needs to notice a client that goes away), and returns when
// the client goes away, so a test server can close without waiting on it.
package faulttest

import (
	"io"
	"net/http"
	"time"
)

// HTML answers 200 with an HTML page, as a proxy, a captive portal or a
// maintenance screen in front of the upstream does.
func HTML() http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		readBody(r)
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(http.StatusOK)
		_, _ = io.WriteString(w, "<!DOCTYPE html>\n<html><head><title>Down for maintenance</title></head>\n"+
			"<body><h1>We'll be back soon</h1></body></html>\n")
	}
}

// Typed answers 200 with body labelled as contentType.
func Typed(contentType, body string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		readBody(r)
		w.Header().Set("Content-Type", contentType)
		w.WriteHeader(http.StatusOK)
		_, _ = io.WriteString(w, body)
	}
}

// Stall sends the response headers (with contentType) and prefix, then
// nothing more until the client goes away; it closes gone then, when
// gone is not nil. An empty contentType stalls before the headers.
func Stall(contentType, prefix string, gone chan<- struct{}) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		readBody(r)
		if contentType != "" {
			w.Header().Set("Content-Type", contentType)
			w.WriteHeader(http.StatusOK)
			_, _ = io.WriteString(w, prefix)
			_ = http.NewResponseController(w).Flush()
		}
		<-r.Context().Done()
		if gone != nil {
			close(gone)
		}
	}
}

// Drip sends the headers and prefix at once, then one byte of filler every
// interval, for as long as the client reads: an upstream that is never
// silent for long but never finishes either.
func Drip(contentType, prefix string, interval time.Duration) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		readBody(r)
		w.Header().Set("Content-Type", contentType)
		w.WriteHeader(http.StatusOK)
		rc := http.NewResponseController(w)
		_, _ = io.WriteString(w, prefix)
		_ = rc.Flush()
		tick := time.NewTicker(interval)
		defer tick.Stop()
		for {
			select {
			case <-r.Context().Done():
				return
			case <-tick.C:
			}
			if _, err := io.WriteString(w, " "); err != nil {
				return
			}
			if rc.Flush() != nil {
				return
			}
		}
	}
}

// Oversized answers 200 with prefix followed by filler, size bytes in all,
// without a Content-Length (as a chunked or compressed answer comes), so
// the client cannot refuse it before reading. It stops writing when the
// client goes away.
func Oversized(contentType, prefix string, size int64) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		readBody(r)
		w.Header().Set("Content-Type", contentType)
		w.WriteHeader(http.StatusOK)
		if _, err := io.WriteString(w, prefix); err != nil {
			return
		}
		filler := make([]byte, 64<<10)
		for i := range filler {
			filler[i] = 'a'
		}
		for left := size - int64(len(prefix)); left > 0 && r.Context().Err() == nil; {
			n := min(left, int64(len(filler)))
			if _, err := w.Write(filler[:n]); err != nil {
				return
			}
			left -= n
		}
	}
}

func readBody(r *http.Request) {
	_, _ = io.Copy(io.Discard, r.Body)
	_ = r.Body.Close()
}
