// Package app assembles Tollgate from its configuration: it loads the config,
// builds the deployments and their adapters, and mounts the route groups a
// front asks for on one handler tree. Every main package calls New; nothing
// else wires dependencies.
package app

import (
	"context"
	"log/slog"
	"net/http"
)

// Options select what New builds. Zero values mean defaults.
type Options struct {
	// ConfigPaths are the config files, merged in order. Empty means the
	// TOLLGATE_CONFIG variable, else ./config.yaml, else the shipped local config.
	ConfigPaths []string
	// Getenv reads the environment; nil means os.Getenv.
	Getenv func(string) string
	// Logger receives the request log; nil means JSON to stderr.
	Logger *slog.Logger
}

// App is an assembled gateway.
type App struct {
	// Handler serves every route group.
	Handler http.Handler
}

// New builds the application.
func New(ctx context.Context, opts Options) (*App, error) {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /health/liveliness", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"status":"healthy"}`))
	})
	return &App{Handler: mux}, nil
}

// Close releases what New acquired.
func (a *App) Close() error { return nil }
