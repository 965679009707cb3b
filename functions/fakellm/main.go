// Command fakellm is the load-testing fake LLM: it answers OpenAI chat
// completions and Bedrock Converse requests after configurable delays (see
// internal/fakellm for the routes; `fakellm -h` lists the variables).
//
// Inside Lambda (AWS_LAMBDA_RUNTIME_API is set) it answers its own function
// URL with InvokeMode RESPONSE_STREAM, so streamed replies keep their chunk
// gaps. Anywhere else it is an HTTP server (HTTP/1.1 and h2c) on
// FAKELLM_ADDR, default 127.0.0.1:4001; SIGTERM or SIGINT shut it down
// gracefully, with exit status 0.
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
	"syscall"

	"github.com/tollgate-gw/tollgate/internal/fakellm"
	"github.com/tollgate-gw/tollgate/internal/lambdafront"
	"github.com/tollgate-gw/tollgate/internal/obs"
	"github.com/tollgate-gw/tollgate/internal/serve"
)

const defaultAddr = "127.0.0.1:4001"

// usage is what -h prints: the variables are the whole interface.
const usage = `usage: fakellm

A fake LLM for load tests: OpenAI chat completions (POST /v1/chat/completions,
/chat/completions, plain or streamed) and Bedrock Converse
(POST /model/{id}/converse, /converse-stream), answering after random delays
like the genai-gateway project's fake server (1-3 s before an answer,
0.2-0.8 s between streamed chunks). Set a variable to change that:

  FAKELLM_ADDR       listen address                          default 127.0.0.1:4001
  FAKELLM_DELAY      wait before a non-streamed answer:      default 1s-3s
                     a range "1s-3s", a fixed "2s", or "0"
  FAKELLM_CHUNK_GAP  wait between streamed chunks, same      default 200ms-800ms
                     syntax
  FAKELLM_CHUNKS     text pieces per streamed reply (>= 1)   default 8
  FAKELLM_SEED       seed for the delays, for repeatable     default random
                     runs (an unsigned integer)
  TOLLGATE_LOG_FORMAT  json or text                          default text on a
                                                             terminal, else json

Each delay is drawn uniformly from its range; FAKELLM_DELAY=0 FAKELLM_CHUNK_GAP=0
answers at once. Example:

  FAKELLM_DELAY=0 FAKELLM_CHUNK_GAP=50ms make fakellm

fakellm -routes prints the routes it serves and exits.
`

func main() {
	os.Exit(run(os.Args[1:], os.Stderr, os.Getenv))
}

// run is main with its inputs passed in, returning the exit status.
func run(args []string, stderr io.Writer, getenv func(string) string) int {
	fs := flag.NewFlagSet("fakellm", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(fs.Output(), usage) }
	routes := fs.Bool("routes", false, "print the routes served and exit")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if *routes {
		for _, p := range fakellm.Routes() {
			fmt.Fprintln(os.Stdout, p)
		}
		return 0
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "fakellm: unexpected argument %q (the settings are variables: fakellm -h lists them)\n", fs.Arg(0))
		return 2
	}
	inLambda := lambdafront.InLambda(getenv)
	forPerson := false
	if !inLambda {
		var err error
		if forPerson, err = obs.ForPerson(stderr, getenv("TOLLGATE_LOG_FORMAT")); err != nil {
			fmt.Fprintf(stderr, "fakellm: %v\n", err)
			return 2
		}
	}
	logger := obs.NewLogger(stderr, forPerson)
	if err := serveFake(logger, inLambda, getenv); err != nil {
		if forPerson {
			fmt.Fprintf(stderr, "fakellm: %v\n", err)
		} else {
			logger.Error("fakellm stopped", slog.String("error", err.Error()))
		}
		return 1
	}
	return 0
}

func serveFake(logger *slog.Logger, inLambda bool, getenv func(string) string) error {
	opts, err := fakellm.OptionsFromEnv(getenv)
	if err != nil {
		return fmt.Errorf("reading fakellm settings: %w", err)
	}
	h := fakellm.New(opts)
	if inLambda {
		lambdafront.Start(h, lambdafront.WithLogger(logger)) // never returns
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	addr := getenv("FAKELLM_ADDR")
	if addr == "" {
		addr = defaultAddr
	}
	return serve.Run(ctx, h, serve.Options{Addr: addr, Logger: logger})
}
