// Package openai is the outbound adapter for OpenAI's API and for every
// provider in the catalog's OpenAI-compatible family (groq, deepseek, xai,
// mistral, together_ai, fireworks_ai, openrouter, perplexity, nvidia_nim,
// github, databricks, hosted_vllm, ollama, huggingface, ai21, azure_ai, ...).
//
// One Model serves one deployment. It calls POST {base}/chat/completions
// (plain and streamed), {base}/embeddings and {base}/images/generations with
// Bearer authentication, encoding and decoding through the OpenAI wire codec
// in internal/wire/openai. Azure OpenAI speaks the same wire format under
// other URLs and another auth header: package azure builds a Model through
// NewWithEndpoint, so streaming, timeouts and error mapping exist once.
//
// What the adapter changes on the way out:
//   - model is the deployment's upstream model id, never the gateway's name;
//   - gateway controls (drop_params, tags, fallbacks, ...) never leave;
//   - streams always ask for usage (stream_options.include_usage), so every
//     call can be accounted for; the HTTP layer strips the usage chunk when
//     the client did not ask for it;
//   - parameters a compatible provider is documented to refuse (a small table
//     in params.go) are refused here with provider.Unsupported, or dropped
//     under drop_params;
//   - for OpenAI's reasoning models (ids starting o1, o3, o4 or gpt-5, which
//     refuse max_tokens) max_tokens is sent as max_completion_tokens, as
//     LiteLLM does.
//
// Failures come back as *provider.Error: the upstream's status, type, code
// and param are kept; context-length and content-policy refusals get their
// own kinds; Retry-After (seconds, HTTP date, or Azure's retry-after-ms) is
// parsed on 429 and 503; the deployment's timeouts give KindTimeout and
// connection failures KindUnavailable. A caller that goes away cancels the
// upstream call through its context.
//
// Reference: https://platform.openai.com/docs/api-reference/chat
package openai
