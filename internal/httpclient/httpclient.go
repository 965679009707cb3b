// Package httpclient builds the one tuned HTTP client that every HTTP
// upstream (OpenAI, Azure OpenAI and the OpenAI-compatible family) shares.
//
// main owns the instance: it calls New once and passes the client to each
// adapter constructor, so all deployments draw from one connection pool and
// tests build their own. Nothing here is global.
//
// The client deliberately has no overall Timeout and the transport no
// ResponseHeaderTimeout: a total timeout would cut long streams, and the
// right limits differ per deployment (litellm_params.timeout and
// stream_timeout), so adapters enforce them per call through the request
// context. What the transport does bound is everything that is the same for
// every upstream: dialing, the TLS handshake, idle connections and, on
// HTTP/2, dead-connection detection by ping.
package httpclient

import (
	"crypto/tls"
	"net"
	"net/http"
	"net/url"
	"time"
)

// Defaults applied by New and NewTransport for zero Options fields.
const (
	DefaultDialTimeout         = 5 * time.Second
	DefaultKeepAlive           = 30 * time.Second
	DefaultTLSHandshakeTimeout = 5 * time.Second
	DefaultIdleConnTimeout     = 90 * time.Second
	DefaultMaxIdleConns        = 1024
	DefaultMaxIdleConnsPerHost = 256
	DefaultHTTP2PingAfter      = 30 * time.Second
	DefaultHTTP2PingTimeout    = 15 * time.Second
)

// Options tune the shared transport. The zero value (or a nil *Options) gives
// the defaults above. For durations, zero means the default and a negative
// value means no limit; for counts, zero means the default and a negative
// value means unlimited.
type Options struct {
	// DialTimeout bounds establishing a TCP connection.
	DialTimeout time.Duration
	// KeepAlive is the TCP keep-alive probe interval of dialed connections.
	KeepAlive time.Duration
	// TLSHandshakeTimeout bounds the TLS handshake.
	TLSHandshakeTimeout time.Duration
	// IdleConnTimeout closes pooled connections idle for this long. It stays
	// below the idle timeouts of the NAT gateways and load balancers in
	// front of typical upstreams, so a pooled connection is rarely dead.
	IdleConnTimeout time.Duration
	// MaxIdleConns caps idle connections across all hosts.
	MaxIdleConns int
	// MaxIdleConnsPerHost caps idle connections per host. net/http's default
	// of 2 would make a burst of concurrent calls to one upstream dial (and
	// handshake) again as soon as it ends; a high cap keeps the burst's
	// connections for the next one.
	MaxIdleConnsPerHost int
	// MaxConnsPerHost caps all connections per host; zero or negative means
	// no cap (the default): queueing belongs to the router, not the pool.
	MaxConnsPerHost int
	// HTTP2PingAfter sends an HTTP/2 health-check ping on a connection that
	// has received nothing for this long, so a connection that died while
	// the process was frozen (Lambda) or behind a silent NAT drop is noticed
	// instead of hanging a call.
	HTTP2PingAfter time.Duration
	// HTTP2PingTimeout closes a connection whose ping is not answered in time.
	HTTP2PingTimeout time.Duration
	// TLSConfig, when set, is cloned and used for upstream TLS (custom CAs,
	// client certificates).
	TLSConfig *tls.Config
	// Proxy selects a proxy per request; nil means direct connections. main
	// may pass http.ProxyFromEnvironment to honour HTTPS_PROXY.
	Proxy func(*http.Request) (*url.URL, error)
}

// NewTransport returns a transport tuned for many concurrent calls to a few
// upstream hosts. HTTP/2 is attempted over TLS.
func NewTransport(opts *Options) *http.Transport {
	var o Options
	if opts != nil {
		o = *opts
	}
	dialer := &net.Dialer{
		Timeout:   duration(o.DialTimeout, DefaultDialTimeout),
		KeepAlive: duration(o.KeepAlive, DefaultKeepAlive),
	}
	if o.KeepAlive < 0 {
		dialer.KeepAlive = -1 // net.Dialer: negative disables keep-alive probes
	}
	t := &http.Transport{
		Proxy:                 o.Proxy,
		DialContext:           dialer.DialContext,
		ForceAttemptHTTP2:     true, // a custom DialContext turns HTTP/2 off unless forced
		TLSHandshakeTimeout:   duration(o.TLSHandshakeTimeout, DefaultTLSHandshakeTimeout),
		IdleConnTimeout:       duration(o.IdleConnTimeout, DefaultIdleConnTimeout),
		MaxIdleConns:          count(o.MaxIdleConns, DefaultMaxIdleConns),
		MaxIdleConnsPerHost:   count(o.MaxIdleConnsPerHost, DefaultMaxIdleConnsPerHost),
		MaxConnsPerHost:       max(o.MaxConnsPerHost, 0),
		ExpectContinueTimeout: 0, // request bodies are small and sent at once
		HTTP2: &http.HTTP2Config{
			SendPingTimeout: duration(o.HTTP2PingAfter, DefaultHTTP2PingAfter),
			PingTimeout:     duration(o.HTTP2PingTimeout, DefaultHTTP2PingTimeout),
		},
	}
	if o.TLSConfig != nil {
		t.TLSClientConfig = o.TLSConfig.Clone()
	}
	return t
}

// New returns a client over NewTransport(opts). It has no overall timeout
// (adapters bound each call through its context) and does not follow
// redirects: an API upstream that redirects a POST is misconfigured, and
// following it would turn the POST into a GET or resend credentials, so the
// 3xx response is returned for the adapter to report.
func New(opts *Options) *http.Client {
	return &http.Client{
		Transport: NewTransport(opts),
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
}

// duration maps zero to def and negative to zero (no limit in net/http).
func duration(v, def time.Duration) time.Duration {
	switch {
	case v == 0:
		return def
	case v < 0:
		return 0
	}
	return v
}

// count maps zero to def and negative to zero (unlimited in net/http).
func count(v, def int) int {
	switch {
	case v == 0:
		return def
	case v < 0:
		return 0
	}
	return v
}
