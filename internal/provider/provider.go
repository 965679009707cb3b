// Package provider declares what the gateway needs from an upstream model
// adapter and the typed error every adapter returns.
//
// An adapter is built once per deployment (one model_list entry) and owns that
// deployment's endpoint, credentials and translation. Adapters live in
// sub-packages, one per wire protocol (openai, azure, bedrock, fake, ...);
// the closed set of them is assembled by a single constructor switch in the
// package that builds deployments from the configuration, never through
// registration from init.
package provider

import (
	"context"

	"github.com/tollgate-gw/tollgate/internal/llm"
)

// ChatModel is the one capability every adapter has.
type ChatModel interface {
	// Chat performs a non-streaming completion.
	Chat(ctx context.Context, req *llm.Request) (*llm.Response, error)
	// ChatStream starts a streaming completion. The returned stream must be
	// closed by the caller. Errors that happen before the first chunk (HTTP
	// status, connection) are returned here, so the router can still retry.
	ChatStream(ctx context.Context, req *llm.Request) (llm.Stream, error)
}

// Embedder is implemented by adapters that can embed text.
type Embedder interface {
	Embed(ctx context.Context, req *llm.EmbeddingRequest) (*llm.EmbeddingResponse, error)
}

// ImageGenerator is implemented by adapters that can generate images.
type ImageGenerator interface {
	GenerateImage(ctx context.Context, req *llm.ImageRequest) (*llm.ImageResponse, error)
}
