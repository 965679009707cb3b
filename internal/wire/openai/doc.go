// Package openai is the OpenAI wire format: chat completions (request,
// response, stream chunks), embeddings, image generation, error bodies and
// the server-sent-events framing of streams.
//
// It converts both ways between those JSON documents and the neutral model in
// internal/llm, so it serves the inbound side (clients calling Tollgate with
// an OpenAI SDK) and the outbound side (adapters calling OpenAI-compatible
// upstreams) alike. Decoding is strict about types and lenient about unknown
// fields, which it keeps verbatim (llm.Field) so that provider-specific extras
// reach an OpenAI-compatible upstream untouched.
//
// Reference: https://platform.openai.com/docs/api-reference/chat
package openai
