// Command fakellm is the load-testing fake LLM: it answers OpenAI chat
// completions and Bedrock Converse requests after configurable delays (see
// internal/fakellm for the routes and the FAKELLM_DELAY, FAKELLM_CHUNK_GAP,
// FAKELLM_CHUNKS and FAKELLM_SEED variables).
//
// Inside Lambda (AWS_LAMBDA_RUNTIME_API is set) it answers its own function
// URL with InvokeMode RESPONSE_STREAM, so streamed replies keep their chunk
// gaps. Anywhere else it is an HTTP server (HTTP/1.1 and h2c) on
// FAKELLM_ADDR, default 127.0.0.1:4001; SIGTERM or SIGINT shut it down
// gracefully.
package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/tollgate-gw/tollgate/internal/fakellm"
	"github.com/tollgate-gw/tollgate/internal/lambdafront"
	"github.com/tollgate-gw/tollgate/internal/serve"
)

const defaultAddr = "127.0.0.1:4001"

func main() {
	logger := slog.New(slog.NewJSONHandler(os.Stderr, nil))
	if err := run(logger, os.Getenv); err != nil {
		logger.Error("fakellm stopped", slog.String("error", err.Error()))
		os.Exit(1)
	}
}

func run(logger *slog.Logger, getenv func(string) string) error {
	opts, err := fakellm.OptionsFromEnv(getenv)
	if err != nil {
		return fmt.Errorf("reading fakellm settings: %w", err)
	}
	h := fakellm.New(opts)
	if lambdafront.InLambda(getenv) {
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
