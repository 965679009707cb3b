package app_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tollgate-gw/tollgate/internal/app"
)

// TestRouteGroups checks what each front mounts: the admin function lists
// models but does not serve completions; the gateway serves both.
func TestRouteGroups(t *testing.T) {
	tests := []struct {
		groups    app.Groups
		chat      int
		models    int
		readiness int
	}{
		{app.GroupManagement, http.StatusNotFound, http.StatusOK, http.StatusOK},
		{app.GroupDataPlane, http.StatusOK, http.StatusOK, http.StatusOK},
		{app.GroupAll, http.StatusOK, http.StatusOK, http.StatusOK},
	}
	for _, tt := range tests {
		dataDir := t.TempDir()
		a, err := app.New(context.Background(), app.Options{
			ConfigPaths: []string{filepath.Join("..", "..", app.DefaultLocalConfig)},
			LookupEnv: func(k string) (string, bool) {
				if k == "TOLLGATE_DATA_DIR" { // not the package directory, shared by every test
					return dataDir, true
				}
				if k == "TOLLGATE_MASTER_KEY" {
					return masterKey, true
				}
				return "", false
			},
			Logger: slog.New(slog.NewJSONHandler(io.Discard, nil)),
			Groups: tt.groups,
		})
		if err != nil {
			t.Fatal(err)
		}
		srv := httptest.NewServer(a.Handler)
		do := func(method, path, body string) int {
			req, _ := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
			req.Header.Set("Authorization", "Bearer "+masterKey)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			return resp.StatusCode
		}
		chat := do("POST", "/v1/chat/completions", `{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}]}`)
		models := do("GET", "/v1/models", "")
		ready := do("GET", "/health/readiness", "")
		if chat != tt.chat || models != tt.models || ready != tt.readiness {
			t.Errorf("groups %b: chat %d models %d readiness %d", tt.groups, chat, models, ready)
		}
		srv.Close()
		a.Close()
	}
}
