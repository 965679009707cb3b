// Package fake is the built-in "fake/" provider: a deterministic model that
// answers without any network, for local development, tests and load tests.
//
// One Model serves one deployment. It implements provider.ChatModel,
// provider.Embedder and provider.ImageGenerator:
//
//   - Chat replies are derived from the request, so identical requests get
//     identical replies: by default `You said: "<last user text>". ` followed
//     by a sentence of words chosen by a hash of the conversation (and of
//     seed, when given). Options.MockResponse replaces that text, like
//     LiteLLM's mock_response. After tool results the reply names each tool
//     and echoes what it returned; with response_format json_object or
//     json_schema the reply is JSON (a placeholder instance of the schema).
//   - When tools are offered, tool_choice is not "none" and the last message
//     is the user's, the reply is one call to the named (else the first) tool
//     whose arguments are a JSON object holding every required property with a
//     placeholder value that satisfies its schema (const, enum, default, type,
//     format, minimum, minLength, minItems, $ref into $defs/definitions).
//   - Stop sequences cut the reply at the earliest match (finish_reason
//     "stop"); max_completion_tokens, else max_tokens, truncates it to that
//     many tokens (finish_reason "length"); n gives n choices, the first of
//     which is the n=1 reply.
//   - Usage is estimated the way OpenAI counts: about one token per four bytes
//     of text, three tokens of overhead per message, 85 per image, plus the
//     tool definitions; completion tokens count every choice.
//   - Streams send a role chunk, the text in Options.StreamChunks pieces,
//     tool calls as a header delta (id and name) followed by argument
//     fragments, a finish chunk per choice, and a usage chunk when the client
//     asked for stream_options.include_usage. Choices are interleaved the way
//     OpenAI interleaves them.
//   - Embeddings are unit vectors derived from a hash of each input; images are
//     small solid-colour PNGs whose colour derives from the prompt.
//
// Options.Latency and Options.ChunkDelay simulate a slow upstream. Waiting
// always ends early with ctx.Err() when ctx is done, and a zero delay costs
// no timer at all, so the fake doubles as the backend of benchmarks.
//
// The fake accepts every request parameter: it is for local development, where
// an "unsupported parameter" error would only get in the way. The exceptions
// are counts a real model refuses too (n above 128, more than 10 images,
// dimensions above 65536): they are rejected as bad requests so that a stray
// request cannot exhaust memory.
package fake
