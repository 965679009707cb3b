// Command gateway is Tollgate's data plane: the OpenAI- and Bedrock-style
// model routes, history and health.
//
// Inside Lambda (AWS_LAMBDA_RUNTIME_API is set) it answers function URL
// events (InvokeMode RESPONSE_STREAM) and API Gateway REST events from a
// STREAM integration, streaming every response, and mounts the data-plane
// route groups only. Anywhere else it is an HTTP server (HTTP/1.1 and h2c) on
// TOLLGATE_ADDR, default 127.0.0.1:4000, serving every route group on one
// port; SIGTERM or SIGINT shut it down gracefully, with exit status 0.
//
// Usage:
//
//	gateway                 serve
//	gateway -routes         print the routes this function serves in Lambda
//	                        (METHOD PATTERN, one a line) and exit
//	gateway -env            print the environment variables it reads (JSON:
//	                        name and the Lambda requirement it meets) and exit
//	gateway -check [FILE]   load the config FILE (several files, or a
//	                        comma-separated list, are merged in order; none
//	                        means the config the gateway would serve:
//	                        TOLLGATE_CONFIG, else ./config.yaml, else
//	                        testdata/config/local.yaml), print the
//	                        deployments it defines and exit; exit status 1
//	                        and every problem on stderr if it does not load
//
// The rest of the configuration comes from the environment, read once at
// start (internal/env lists every variable), and the AWS SDK's own
// variables. For a person (a terminal, or TOLLGATE_LOG_FORMAT=text) the log
// is text, a config that does not load is printed one problem a line, and
// once listening the gateway prints its address, where its master key is
// and a first request to try; elsewhere (Lambda, a container) the log is
// JSON.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
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

// usage is printed by -h and after a usage error.
const usage = `usage:
  gateway                  serve (outside Lambda: on TOLLGATE_ADDR, default 127.0.0.1:4000)
  gateway -check [FILE...] check a config without serving; no FILE checks the one the
                           gateway would use (TOLLGATE_CONFIG, else ./config.yaml, else
                           testdata/config/local.yaml)
  gateway -routes          print the routes this function serves in Lambda
  gateway -env             print the environment variables it reads (JSON)
`

// run is main with its inputs passed in, returning the exit status.
func run(args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	fs := flag.NewFlagSet("gateway", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(fs.Output(), usage) }
	var check checkFlag
	fs.Var(&check, "check", "check the config `FILE`s and exit")
	routes := fs.Bool("routes", false, "print the routes served in Lambda and exit")
	vars := fs.Bool("env", false, "print the environment variables read and exit")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if !check.set && fs.NArg() > 0 {
		fmt.Fprintf(stderr, "gateway: unexpected argument %q\n", fs.Arg(0))
		fs.Usage()
		return 2
	}
	e := env.Read(func(k string) (string, bool) { v := getenv(k); return v, v != "" })
	if check.set {
		files, err := check.with(fs.Args())
		if err != nil {
			fmt.Fprintf(stderr, "gateway: -check: %v\n", err)
			fs.Usage()
			return 2
		}
		return checkConfig(files, e, stdout, stderr)
	}
	if *routes || *vars {
		if err := app.Describe(stdout, env.Gateway, app.GroupDataPlane, *routes); err != nil {
			fmt.Fprintln(stderr, err)
			return 1
		}
		return 0
	}

	inLambda := e.InLambda
	forPerson := false
	if !inLambda {
		var err error
		if forPerson, err = obs.ForPerson(stderr, e.LogFormat); err != nil {
			fmt.Fprintf(stderr, "gateway: %v\n", err)
			return 2
		}
	}
	logOut := stderr
	var lines *obs.BufferedWriter
	if !inLambda {
		// A long-lived server writes a line per request; writing them in
		// batches saves a system call each. Under Lambda they go straight
		// out: the environment may freeze right after a response.
		lines = obs.NewBufferedWriter(stderr, logDelay)
		defer lines.Close()
		logOut = lines
	}
	logger := obs.NewLogger(logOut, forPerson)
	var ready func(addr string, a *app.App)
	if forPerson {
		ready = func(addr string, a *app.App) {
			_ = lines.Flush() // the start-up lines first
			writeBanner(stdout, addr, a)
		}
	}
	if err := serveGateway(logger, e, getenv, ready); err != nil {
		if forPerson {
			_ = lines.Flush()
			fmt.Fprintf(stderr, "gateway: %s\n", personError(err))
			return 1
		}
		logger.Error("gateway stopped", slog.String("error", err.Error()))
		return 1
	}
	return 0
}

// personError formats a start-up failure for a terminal: a config that
// does not load is one problem a line (file:line: key path: what to do),
// not one line with escaped line breaks.
func personError(err error) string {
	var ce *config.Error
	if !errors.As(err, &ce) {
		return err.Error()
	}
	var b strings.Builder
	if len(ce.Problems) == 1 {
		b.WriteString("the config does not load:")
	} else {
		fmt.Fprintf(&b, "the config does not load (%d problems):", len(ce.Problems))
	}
	for _, p := range ce.Problems {
		b.WriteString("\n  ")
		b.WriteString(p.Error())
	}
	return b.String()
}

// writeBanner tells the person who ran the gateway where it listens, where
// its master key is and what to try first.
func writeBanner(w io.Writer, addr string, a *app.App) {
	cfg, rt := a.Current()
	base := "http://" + addr
	fmt.Fprintf(w, "\nTollgate is listening on %s (%d models from %s)\n", base, len(rt.Models()), strings.Join(cfg.Files, ", "))
	from := a.MasterKeyFrom()
	keyRef := "$TOLLGATE_MASTER_KEY"
	switch {
	case strings.HasSuffix(from, "master_key"): // the file local mode keeps it in
		fmt.Fprintf(w, "  master key:  in %s (set TOLLGATE_MASTER_KEY to choose your own)\n", from)
		keyRef = "$(cat " + from + ")"
	default:
		fmt.Fprintf(w, "  master key:  from %s\n", from)
	}
	if models := rt.Models(); len(models) > 0 {
		fmt.Fprintf(w, "  try:         curl %s/v1/chat/completions -H \"Authorization: Bearer %s\" \\\n"+
			"                 -H \"Content-Type: application/json\" -d '{\"model\": \"%s\", \"messages\": [{\"role\": \"user\", \"content\": \"Hello\"}]}'\n",
			base, keyRef, models[0])
	}
	fmt.Fprintf(w, "  health:      %s/health/readiness\n  stop:        Ctrl-C\n\n", base)
}

// checkConfig loads files the way the gateway does and prints the result;
// no files means the ones the gateway would read. Config errors are
// multi-line lists of file:line problems, so they go to stderr as plain
// text rather than through the JSON logger.
func checkConfig(files []string, e env.Env, stdout, stderr io.Writer) int {
	if len(files) == 0 {
		var err error
		if files, err = app.ConfigPaths(e.Config); err != nil {
			fmt.Fprintln(stderr, err)
			return 1
		}
		fmt.Fprintf(stderr, "checking %s, the config the gateway would serve\n", strings.Join(files, ", "))
	}
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

// serveGateway assembles the gateway and serves it until a signal; ready,
// when set, is called once it listens.
func serveGateway(logger *slog.Logger, e env.Env, getenv func(string) string, ready func(addr string, a *app.App)) error {
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
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", addr)
	if err != nil {
		return fmt.Errorf("listening on %s: %w", addr, err)
	}
	if ready != nil {
		ready(ln.Addr().String(), a)
	}
	return serve.Serve(ctx, ln, a.Handler, serve.Options{Logger: logger})
}

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

// checkFlag is -check: a switch that may name files (-check=a.yaml), be
// repeated before each file (-check a.yaml -check b.yaml) or be followed by
// them (-check a.yaml b.yaml); any form may hold comma-separated lists.
type checkFlag struct {
	set   bool
	files []string
}

func (c *checkFlag) IsBoolFlag() bool { return true }

func (c *checkFlag) String() string {
	if c == nil {
		return ""
	}
	return strings.Join(c.files, ",")
}

func (c *checkFlag) Set(v string) error {
	c.set = true
	if v == "true" {
		return nil
	}
	return c.add(v)
}

func (c *checkFlag) add(v string) error {
	n := len(c.files)
	for _, p := range strings.Split(v, ",") {
		if p = strings.TrimSpace(p); p != "" {
			c.files = append(c.files, p)
		}
	}
	if len(c.files) == n {
		return fmt.Errorf("no file named in %q", v)
	}
	return nil
}

// with returns the files named by the flag and the arguments after it.
func (c *checkFlag) with(args []string) ([]string, error) {
	for _, a := range args {
		switch {
		case a == "-check", a == "--check":
		case strings.HasPrefix(a, "-"):
			return nil, fmt.Errorf("unexpected flag %q among the files", a)
		default:
			if err := c.add(a); err != nil {
				return nil, err
			}
		}
	}
	return c.files, nil
}
