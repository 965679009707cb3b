package main

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"time"
)

// runRefproxy serves the reference proxy: a copy of ../shared/bench/refproxy,
// a bare httputil.ReverseProxy hop that reads the request body first and
// flushes every write. It is the floor any Go gateway hop costs, measured
// here as its own process (this binary re-executed as "loadtest refproxy")
// so that make bench can check the targets stated relative to it.
func runRefproxy(args []string) {
	fs := flag.NewFlagSet("refproxy", flag.ExitOnError)
	addr := fs.String("addr", "127.0.0.1:8788", "listen address")
	upstream := fs.String("upstream", "http://127.0.0.1:9000", "upstream base URL")
	key := fs.String("upstream-key", "sk-mock", "Authorization bearer sent upstream")
	_ = fs.Parse(args)
	u, err := url.Parse(*upstream)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	errLog := log.New(io.Discard, "", 0)
	rp := &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(u)
			pr.Out.Header.Set("Authorization", "Bearer "+*key)
		},
		Transport: &http.Transport{
			MaxIdleConns:        1024,
			MaxIdleConnsPerHost: 1024,
			IdleConnTimeout:     90 * time.Second,
		},
		FlushInterval: -1,
		ErrorLog:      errLog,
	}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, err := io.ReadAll(io.LimitReader(r.Body, 16<<20))
		if err != nil {
			http.Error(w, "bad request body", http.StatusBadRequest)
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(b))
		r.ContentLength = int64(len(b))
		rp.ServeHTTP(w, r)
	})
	srv := &http.Server{Addr: *addr, Handler: h, ReadHeaderTimeout: 10 * time.Second, ErrorLog: errLog}
	fmt.Fprintln(os.Stderr, srv.ListenAndServe())
	os.Exit(1)
}
