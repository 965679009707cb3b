// Command admin serves Tollgate's management API (keys, users, teams,
// models, spend) and health.
//
// Inside Lambda (AWS_LAMBDA_RUNTIME_API is set) it answers API Gateway REST
// events from the default buffered integration: its answers are small JSON
// documents that gain nothing from streaming. Anywhere else it is an HTTP
// server (HTTP/1.1 and h2c) on TOLLGATE_ADDR, default 127.0.0.1:4002;
// SIGTERM or SIGINT shut it down gracefully. It reads the same configuration
// as the gateway (TOLLGATE_CONFIG, TOLLGATE_MASTER_KEY, ...).
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/tollgate-gw/tollgate/internal/app"
	"github.com/tollgate-gw/tollgate/internal/env"
	"github.com/tollgate-gw/tollgate/internal/gctune"
	"github.com/tollgate-gw/tollgate/internal/lambdafront"
	"github.com/tollgate-gw/tollgate/internal/serve"
)

const defaultAddr = "127.0.0.1:4002"

func main() {
	routes := flag.Bool("routes", false, "print the routes served and exit")
	vars := flag.Bool("env", false, "print the environment variables read and exit")
	flag.Parse()
	if *routes || *vars {
		if err := app.Describe(os.Stdout, env.Admin, app.GroupManagement, *routes); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		return
	}
	logger := slog.New(slog.NewJSONHandler(os.Stderr, nil))
	if err := run(logger, os.Getenv); err != nil {
		logger.Error("admin stopped", slog.String("error", err.Error()))
		os.Exit(1)
	}
}

func run(logger *slog.Logger, getenv func(string) string) error {
	ctx := context.Background()
	e := env.Read(func(k string) (string, bool) { v := getenv(k); return v, v != "" })
	if e.InLambda {
		if err := env.CheckLambda(env.Admin, e.Has); err != nil {
			return err
		}
	}
	if _, err := gctune.Apply(getenv); err != nil {
		return err
	}
	a, err := app.New(ctx, app.Options{Logger: logger, Groups: app.GroupManagement, Env: &e})
	if err != nil {
		return fmt.Errorf("assembling the admin API: %w", err)
	}
	defer a.Close()
	if e.InLambda {
		lambdafront.StartBuffered(a.Handler, lambdafront.WithLogger(logger)) // never returns
	}
	ctx, stop := signal.NotifyContext(ctx, syscall.SIGTERM, os.Interrupt)
	defer stop()
	addr := e.Addr
	if addr == "" {
		addr = defaultAddr
	}
	return serve.Run(ctx, a.Handler, serve.Options{Addr: addr, Logger: logger})
}
