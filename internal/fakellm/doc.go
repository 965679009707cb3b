// Package fakellm is the load-testing fake LLM server: an http.Handler that
// answers like an upstream model after configurable random delays, so the
// gateway can be load-tested without paying for or waiting on a real model.
// It reproduces the mock backend of the genai-gateway project
// (create-fake-llm-load-testing-server.sh) that Tollgate replaces:
//
//	POST /model/{model_id}/converse          Bedrock Converse response; the model id is ignored
//	POST /model/{model_id}/converse-stream   Bedrock ConverseStream, eventstream framing (a convenience)
//	POST /chat/completions                   OpenAI chat completions, plain or streamed (SSE)
//	POST /v1/chat/completions                the same
//	POST /v1/embeddings                      OpenAI embeddings (a convenience)
//	GET  /v1/models                          one model, "fake-model" (a convenience)
//	GET  /health                             {"status":"healthy"}
//
// Replies come from the built-in fake provider (internal/provider/fake), so
// the fake server and the gateway's fake/ models answer alike: text derived
// from the request, tool calls, realistic usage. Non-streaming answers wait
// a delay drawn uniformly from Options.Delay (the seeds: 1–3 s); streams send
// their chunks with gaps drawn from Options.ChunkGap (the seeds: 0.2–0.8 s).
// With both zero the server never starts a timer, which makes it the backend
// of the gateway's benchmarks.
//
// Errors use OpenAI's error shape, or Bedrock's on the Converse route.
// Unknown paths answer 404 and known paths with the wrong method 405 (with an
// Allow header).
package fakellm
