package httpclient

import (
	"crypto/tls"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"
)

func TestNewTransportSettings(t *testing.T) {
	tests := []struct {
		name string
		opts *Options
		want func(t *testing.T, tr *http.Transport)
	}{
		{
			name: "nil options give the defaults",
			opts: nil,
			want: func(t *testing.T, tr *http.Transport) {
				check(t, "TLSHandshakeTimeout", tr.TLSHandshakeTimeout, DefaultTLSHandshakeTimeout)
				check(t, "IdleConnTimeout", tr.IdleConnTimeout, DefaultIdleConnTimeout)
				check(t, "MaxIdleConns", tr.MaxIdleConns, DefaultMaxIdleConns)
				check(t, "MaxIdleConnsPerHost", tr.MaxIdleConnsPerHost, DefaultMaxIdleConnsPerHost)
				check(t, "MaxConnsPerHost", tr.MaxConnsPerHost, 0)
				check(t, "ResponseHeaderTimeout", tr.ResponseHeaderTimeout, 0)
				check(t, "ForceAttemptHTTP2", tr.ForceAttemptHTTP2, true)
				check(t, "SendPingTimeout", tr.HTTP2.SendPingTimeout, DefaultHTTP2PingAfter)
				check(t, "PingTimeout", tr.HTTP2.PingTimeout, DefaultHTTP2PingTimeout)
				if tr.Proxy != nil {
					t.Error("Proxy is set; want direct connections by default")
				}
				if tr.DialContext == nil {
					t.Error("DialContext is nil; the dial timeout would not apply")
				}
			},
		},
		{
			name: "explicit values win",
			opts: &Options{
				TLSHandshakeTimeout: time.Second, IdleConnTimeout: 2 * time.Second,
				MaxIdleConns: 10, MaxIdleConnsPerHost: 5, MaxConnsPerHost: 7,
				HTTP2PingAfter: 3 * time.Second, HTTP2PingTimeout: 4 * time.Second,
			},
			want: func(t *testing.T, tr *http.Transport) {
				check(t, "TLSHandshakeTimeout", tr.TLSHandshakeTimeout, time.Second)
				check(t, "IdleConnTimeout", tr.IdleConnTimeout, 2*time.Second)
				check(t, "MaxIdleConns", tr.MaxIdleConns, 10)
				check(t, "MaxIdleConnsPerHost", tr.MaxIdleConnsPerHost, 5)
				check(t, "MaxConnsPerHost", tr.MaxConnsPerHost, 7)
				check(t, "SendPingTimeout", tr.HTTP2.SendPingTimeout, 3*time.Second)
				check(t, "PingTimeout", tr.HTTP2.PingTimeout, 4*time.Second)
			},
		},
		{
			name: "negative values mean no limit",
			opts: &Options{TLSHandshakeTimeout: -1, IdleConnTimeout: -1, MaxIdleConns: -1, MaxIdleConnsPerHost: -1, MaxConnsPerHost: -1, HTTP2PingAfter: -1},
			want: func(t *testing.T, tr *http.Transport) {
				check(t, "TLSHandshakeTimeout", tr.TLSHandshakeTimeout, 0)
				check(t, "IdleConnTimeout", tr.IdleConnTimeout, 0)
				check(t, "MaxIdleConns", tr.MaxIdleConns, 0)
				check(t, "MaxIdleConnsPerHost", tr.MaxIdleConnsPerHost, 0)
				check(t, "MaxConnsPerHost", tr.MaxConnsPerHost, 0)
				check(t, "SendPingTimeout", tr.HTTP2.SendPingTimeout, 0)
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.want(t, NewTransport(tt.opts))
		})
	}
}

func TestTLSConfigIsCloned(t *testing.T) {
	cfg := &tls.Config{ServerName: "upstream.example"}
	tr := NewTransport(&Options{TLSConfig: cfg})
	if tr.TLSClientConfig == cfg {
		t.Fatal("TLSClientConfig is the caller's value; want a clone so later edits cannot leak in")
	}
	if tr.TLSClientConfig.ServerName != "upstream.example" {
		t.Fatalf("ServerName = %q, want the caller's", tr.TLSClientConfig.ServerName)
	}
}

func TestClientHasNoOverallTimeout(t *testing.T) {
	if c := New(nil); c.Timeout != 0 {
		t.Fatalf("Client.Timeout = %v; a total timeout would cut long streams", c.Timeout)
	}
}

func TestRedirectIsNotFollowed(t *testing.T) {
	var followed atomic.Bool
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/elsewhere" {
			followed.Store(true)
			return
		}
		http.Redirect(w, r, "/elsewhere", http.StatusFound)
	}))
	defer srv.Close()

	resp, err := New(nil).Post(srv.URL+"/v1/chat/completions", "application/json", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound {
		t.Fatalf("status = %d, want the 302 itself", resp.StatusCode)
	}
	if followed.Load() {
		t.Fatal("the redirect was followed")
	}
}

func check[T comparable](t *testing.T, name string, got, want T) {
	t.Helper()
	if got != want {
		t.Errorf("%s = %v, want %v", name, got, want)
	}
}
