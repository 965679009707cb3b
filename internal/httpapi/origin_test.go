package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

const (
	originHeader = "X-Tollgate-Origin-Secret"
	originSecret = "origin-5ecret-value-0123456789"
)

// TestRequireOrigin: the guard in front of the real route tree (health,
// models, 404s alike).
func TestRequireOrigin(t *testing.T) {
	type seen struct {
		header string
		other  string
	}
	tests := []struct {
		name    string
		path    string
		values  []string // origin header values sent
		exempt  bool
		status  int
		through bool
	}{
		{name: "right secret", path: "/v1/models", values: []string{originSecret}, status: http.StatusOK, through: true},
		{name: "health needs it too", path: "/health/liveliness", values: nil, status: http.StatusForbidden},
		{name: "health with it", path: "/health/liveliness", values: []string{originSecret}, status: http.StatusOK, through: true},
		{name: "missing", path: "/v1/models", status: http.StatusForbidden},
		{name: "empty", path: "/v1/models", values: []string{""}, status: http.StatusForbidden},
		{name: "wrong", path: "/v1/models", values: []string{"origin-5ecret-value-012345678X"}, status: http.StatusForbidden},
		{name: "prefix", path: "/v1/models", values: []string{originSecret[:10]}, status: http.StatusForbidden},
		{name: "longer", path: "/v1/models", values: []string{originSecret + "0"}, status: http.StatusForbidden},
		{name: "repeated", path: "/v1/models", values: []string{originSecret, originSecret}, status: http.StatusForbidden},
		{name: "wrong then right", path: "/v1/models", values: []string{"x", originSecret}, status: http.StatusForbidden},
		{name: "unknown path with it", path: "/nope", values: []string{originSecret}, status: http.StatusNotFound, through: true},
		{name: "unknown path without it", path: "/nope", status: http.StatusForbidden},
		{name: "exempt front", path: "/v1/models", exempt: true, status: http.StatusOK, through: true},
		{name: "exempt front, header stripped", path: "/v1/models", values: []string{"anything"}, exempt: true, status: http.StatusOK, through: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inner, _ := newServer(t, nil)
			var got *seen
			spy := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				got = &seen{header: strings.Join(r.Header.Values(originHeader), ","), other: r.Header.Get("Authorization")}
				inner.ServeHTTP(w, r)
			})
			var logs bytes.Buffer
			h := RequireOrigin(spy, "x-tollgate-origin-secret", func(context.Context) ([]string, error) { return []string{originSecret}, nil }, &OriginOptions{
				Exempt: func(r *http.Request) bool { return r.Header.Get("X-Test-Front") == "rest" },
				Logger: slog.New(slog.NewJSONHandler(&logs, nil)),
			})
			req := httptest.NewRequest("GET", tt.path, nil)
			req.Header.Set("Authorization", "Bearer "+key)
			for _, v := range tt.values {
				req.Header.Add(originHeader, v)
			}
			if tt.exempt {
				req.Header.Set("X-Test-Front", "rest")
			}
			before := req.Header.Clone()
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)

			if rec.Code != tt.status {
				t.Fatalf("status %d, want %d: %s", rec.Code, tt.status, rec.Body)
			}
			if (got != nil) != tt.through {
				t.Fatalf("reached the handler: %v", got != nil)
			}
			if got != nil && (got.header != "" || got.other != "Bearer "+key) {
				t.Fatalf("handler saw origin header %q, authorization %q", got.header, got.other)
			}
			if len(req.Header) != len(before) || req.Header.Get(originHeader) != before.Get(originHeader) {
				t.Fatal("the caller's request was modified")
			}
			if rec.Code == http.StatusForbidden {
				var body struct {
					Error struct{ Message, Type, Code string }
				}
				if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil || body.Error.Type != "permission_error" || body.Error.Code != "forbidden" {
					t.Fatalf("403 body %s", rec.Body)
				}
				if !strings.Contains(logs.String(), "request refused") {
					t.Fatalf("refusal not logged: %s", logs.String())
				}
			}
			for _, out := range []string{rec.Body.String(), logs.String(), rec.Header().Get("Www-Authenticate")} {
				if strings.Contains(out, "5ecret") || strings.Contains(strings.ToLower(out), "x-tollgate-origin") {
					t.Fatalf("the secret or its header leaked: %s", out)
				}
			}
		})
	}
}

// TestRequireOriginUnavailable: without a value to compare against, the
// guard fails closed with 503.
func TestRequireOriginUnavailable(t *testing.T) {
	for name, secret := range map[string]func(context.Context) ([]string, error){
		"error": func(context.Context) ([]string, error) { return nil, errors.New("reading secret arn:x: throttled") },
		"empty": func(context.Context) ([]string, error) { return []string{""}, nil },
	} {
		t.Run(name, func(t *testing.T) {
			reached := false
			h := RequireOrigin(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { reached = true }), originHeader, secret, nil)
			req := httptest.NewRequest("GET", "/health/liveliness", nil)
			req.Header.Set(originHeader, "")
			req.Header.Set(originHeader, "whatever")
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != http.StatusServiceUnavailable || reached || !strings.Contains(rec.Body.String(), "origin_unverifiable") {
				t.Fatalf("status %d reached %v: %s", rec.Code, reached, rec.Body)
			}
		})
	}
}
