// Command gateway is Tollgate's data plane: the OpenAI- and Bedrock-style
// model routes, history and health.
//
// Inside Lambda (AWS_LAMBDA_RUNTIME_API is set) it answers function URL
// events (InvokeMode RESPONSE_STREAM) and API Gateway REST events from a
// STREAM integration, streaming every response, and mounts the data-plane
// route groups only. Anywhere else it is an HTTP server (HTTP/1.1 and h2c) on
// TOLLGATE_ADDR, default 127.0.0.1:4000, serving every route group on one
// port; SIGTERM or SIGINT shut it down gracefully.
//
// Usage:
//
//	gateway                 serve
//	gateway -routes         print the routes this function serves in Lambda
//	                        (METHOD PATTERN, one a line) and exit
//	gateway -env            print the environment variables it reads (JSON:
//	                        name and the Lambda requirement it meets) and exit
//	gateway -check FILE     load the config FILE (repeat the flag, or separate
//	                        files with commas, to merge several), print the
//	                        deployments it defines and exit; exit status 1 and
//	                        every problem on stderr if it does not load
//
// The rest of the configuration comes from the environment, read once at
// start (internal/env lists every variable), and the AWS SDK's own
// variables.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/tollgate-gw/tollgate/internal/app"
	"github.com/tollgate-gw/tollgate/internal/config"
	"github.com/tollgate-gw/tollgate/internal/env"
	"github.com/tollgate-gw/tollgate/internal/gctune"
	"github.com/tollgate-gw/tollgate/internal/lambdafront"
	"github.com/tollgate-gw/tollgate/internal/obs"
	"github.com/tollgate-gw/tollgate/internal/serve"
)

const defaultAddr = "127.0.0.1:4000"

// logDelay is how long a log line may wait to be written with others
// outside Lambda.
const logDelay = 100 * time.Millisecond

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr, os.Getenv))
}

// run is main with its inputs passed in, returning the exit status.
func run(args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	fs := flag.NewFlagSet("gateway", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var check fileList
	fs.Var(&check, "check", "load config `FILE` (repeatable, or comma-separated), print its deployments and exit")
	routes := fs.Bool("routes", false, "print the routes served in Lambda and exit")
	vars := fs.Bool("env", false, "print the environment variables read and exit")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "gateway: unexpected argument %q\n", fs.Arg(0))
		fs.Usage()
		return 2
	}
	if len(check) > 0 {
		return checkConfig(check, stdout, stderr)
	}
	if *routes || *vars {
		if err := app.Describe(stdout, env.Gateway, app.GroupDataPlane, *routes); err != nil {
			fmt.Fprintln(stderr, err)
			return 1
		}
		return 0
	}

	e := env.Read(func(k string) (string, bool) { v := getenv(k); return v, v != "" })
	inLambda := e.InLambda
	logOut := stderr
	if !inLambda {
		// A long-lived server writes a line per request; writing them in
		// batches saves a system call each. Under Lambda they go straight
		// out: the environment may freeze right after a response.
		lines := obs.NewBufferedWriter(stderr, logDelay)
		defer lines.Close()
		logOut = lines
	}
	logger := slog.New(slog.NewJSONHandler(logOut, nil))
	if err := serveGateway(logger, e, getenv); err != nil {
		logger.Error("gateway stopped", slog.String("error", err.Error()))
		return 1
	}
	return 0
}

// checkConfig loads files the way the gateway does and prints the result;
// config errors are multi-line lists of file:line problems, so they go to
// stderr as plain text rather than through the JSON logger.
func checkConfig(files []string, stdout, stderr io.Writer) int {
	cfg, err := config.Load(nil, files...)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	if err := cfg.WriteTable(stdout); err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	return 0
}

func serveGateway(logger *slog.Logger, e env.Env, getenv func(string) string) error {
	ctx := context.Background()
	inLambda := e.InLambda
	if inLambda {
		if err := env.CheckLambda(env.Gateway, e.Has); err != nil {
			return err
		}
	}
	gc, err := gctune.Apply(getenv)
	if err != nil {
		return err
	}
	logger.Info("garbage collector", slog.Int("gc_percent", gc.GCPercent), slog.Int64("memory_limit", gc.MemoryLimit), slog.Any("from_env", gc.FromEnv))
	opts := appOptions(logger, inLambda)
	opts.Env = &e
	a, err := app.New(ctx, opts)
	if err != nil {
		return fmt.Errorf("assembling the gateway: %w", err)
	}
	defer a.Close()
	if inLambda {
		lambdafront.Start(a.Handler, lambdafront.WithLogger(logger)) // never returns
	}
	ctx, stop := signal.NotifyContext(ctx, syscall.SIGTERM, os.Interrupt)
	defer stop()
	addr := e.Addr
	if addr == "" {
		addr = defaultAddr
	}
	return serve.Run(ctx, a.Handler, serve.Options{Addr: addr, Logger: logger})
}

// fileList is a flag that may be repeated and holds comma-separated values.
// appOptions is how the gateway assembles the app: under Lambda only the
// data plane (management routes are the admin function's), with every
// settle finished before the handler returns; outside it every group, as a
// long-lived server that closes the app on the way out, so that settles
// which gate nothing may outlive their handlers.
func appOptions(logger *slog.Logger, inLambda bool) app.Options {
	opts := app.Options{Logger: logger, LongLived: !inLambda}
	if inLambda {
		opts.Groups = app.GroupDataPlane
	}
	return opts
}

type fileList []string

func (f *fileList) String() string { return strings.Join(*f, ",") }

func (f *fileList) Set(v string) error {
	for _, p := range strings.Split(v, ",") {
		if p = strings.TrimSpace(p); p != "" {
			*f = append(*f, p)
		}
	}
	if len(*f) == 0 {
		return errors.New("no file named")
	}
	return nil
}
