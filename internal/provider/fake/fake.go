package fake

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/tollgate-gw/tollgate/internal/llm"
	"github.com/tollgate-gw/tollgate/internal/provider"
)

// Name is the provider prefix of this adapter ("fake/<model>").
const Name = "fake"

// Defaults used when Options leave a field zero.
const (
	DefaultStreamChunks = 8
	DefaultDimensions   = 256
)

// Limits above which a request is refused, as the real APIs refuse it.
const (
	maxChoices    = 128
	maxImages     = 10
	maxDimensions = 65536
)

// Options configure one fake deployment. The zero value is a usable model
// that answers at once.
type Options struct {
	// ModelID is reported as the responses' model; empty echoes the model
	// the request named.
	ModelID string
	// MockResponse, when set, is the text of every chat reply (LiteLLM's
	// mock_response). Stop sequences and max_tokens still apply to it; tool
	// calls and answers to tool results take precedence over it.
	MockResponse string
	// Latency is waited before the answer: before Chat, Embed and
	// GenerateImage return, and before a stream's first chunk.
	Latency time.Duration
	// StreamChunks is how many pieces a streamed reply's text, and each tool
	// call's arguments, is split into; zero or less means DefaultStreamChunks.
	StreamChunks int
	// ChunkDelay is waited before each streamed chunk after the first.
	ChunkDelay time.Duration
	// Dimensions is the embedding size when the request names none; zero or
	// less means DefaultDimensions.
	Dimensions int
}

// Model is the fake adapter for one deployment. It holds no mutable state and
// is safe for concurrent use.
type Model struct {
	opts Options
}

// New returns a fake model. It cannot fail: every Options value is usable.
func New(opts Options) *Model {
	if opts.StreamChunks <= 0 {
		opts.StreamChunks = DefaultStreamChunks
	}
	if opts.Dimensions <= 0 {
		opts.Dimensions = DefaultDimensions
	}
	if opts.Latency < 0 {
		opts.Latency = 0
	}
	if opts.ChunkDelay < 0 {
		opts.ChunkDelay = 0
	}
	return &Model{opts: opts}
}

// Chat answers after Options.Latency.
func (m *Model) Chat(ctx context.Context, req *llm.Request) (*llm.Response, error) {
	if err := checkCount("n", req.N, maxChoices); err != nil {
		return nil, err
	}
	if err := wait(ctx, m.opts.Latency); err != nil {
		return nil, err
	}
	return m.respond(req, time.Now()), nil
}

// ChatStream returns at once; the stream waits Options.Latency before its
// first chunk and Options.ChunkDelay before each later one. The stream's
// Recv returns ctx.Err() once ctx is done.
func (m *Model) ChatStream(ctx context.Context, req *llm.Request) (llm.Stream, error) {
	if err := checkCount("n", req.N, maxChoices); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	resp := m.respond(req, time.Now())
	return &stream{
		ctx:    ctx,
		chunks: chunksOf(resp, m.opts.StreamChunks, req.IncludeUsage),
		first:  m.opts.Latency,
		gap:    m.opts.ChunkDelay,
	}, nil
}

// checkCount refuses a count above limit, the way the real API refuses it.
func checkCount(param string, n *int, limit int) error {
	if n == nil || *n <= limit {
		return nil
	}
	return &provider.Error{
		Kind:     provider.KindBadRequest,
		Provider: Name,
		Status:   http.StatusBadRequest,
		Type:     "invalid_request_error",
		Param:    param,
		Message:  fmt.Sprintf("%s must be at most %d, got %d", param, limit, *n),
	}
}

// wait blocks for d or until ctx is done. A zero d starts no timer, so the
// zero-delay configuration that benchmarks use stays cheap.
func wait(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// Interface guards.
var (
	_ provider.ChatModel      = (*Model)(nil)
	_ provider.Embedder       = (*Model)(nil)
	_ provider.ImageGenerator = (*Model)(nil)
)
