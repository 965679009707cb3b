package openaitest

// Replies shaped like the real services' (captured field for field from
// OpenAI's and Azure OpenAI's documented responses; ids shortened).

// ChatCompletion is a non-streamed chat.completion with text and usage.
const ChatCompletion = `{
  "id": "chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT",
  "object": "chat.completion",
  "created": 1741569952,
  "model": "gpt-4o-2024-08-06",
  "choices": [
    {
      "index": 0,
      "message": {
        "role": "assistant",
        "content": "Hello! How can I assist you today?",
        "refusal": null,
        "annotations": []
      },
      "logprobs": null,
      "finish_reason": "stop"
    }
  ],
  "usage": {
    "prompt_tokens": 19,
    "completion_tokens": 10,
    "total_tokens": 29,
    "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
    "completion_tokens_details": {"reasoning_tokens": 0, "audio_tokens": 0, "accepted_prediction_tokens": 0, "rejected_prediction_tokens": 0}
  },
  "service_tier": "default",
  "system_fingerprint": "fp_fc9f1d7035"
}`

// ChatCompletionToolCall is a non-streamed reply that calls a tool.
const ChatCompletionToolCall = `{
  "id": "chatcmpl-abc123",
  "object": "chat.completion",
  "created": 1699896916,
  "model": "gpt-4o-mini",
  "choices": [
    {
      "index": 0,
      "message": {
        "role": "assistant",
        "content": null,
        "tool_calls": [
          {
            "id": "call_abc123",
            "type": "function",
            "function": {"name": "get_current_weather", "arguments": "{\n\"location\": \"Boston, MA\"\n}"}
          }
        ]
      },
      "logprobs": null,
      "finish_reason": "tool_calls"
    }
  ],
  "usage": {"prompt_tokens": 82, "completion_tokens": 17, "total_tokens": 99}
}`

// StreamText is a streamed text reply with the usage chunk OpenAI sends
// when stream_options.include_usage is set, then [DONE].
var StreamText = []string{
	`{"id":"chatcmpl-123","object":"chat.completion.chunk","created":1694268190,"model":"gpt-4o-mini","system_fingerprint":"fp_44709d6fcb","choices":[{"index":0,"delta":{"role":"assistant","content":"","refusal":null},"logprobs":null,"finish_reason":null}],"usage":null}`,
	`{"id":"chatcmpl-123","object":"chat.completion.chunk","created":1694268190,"model":"gpt-4o-mini","system_fingerprint":"fp_44709d6fcb","choices":[{"index":0,"delta":{"content":"Hello"},"logprobs":null,"finish_reason":null}],"usage":null}`,
	`{"id":"chatcmpl-123","object":"chat.completion.chunk","created":1694268190,"model":"gpt-4o-mini","system_fingerprint":"fp_44709d6fcb","choices":[{"index":0,"delta":{"content":" there"},"logprobs":null,"finish_reason":null}],"usage":null}`,
	`{"id":"chatcmpl-123","object":"chat.completion.chunk","created":1694268190,"model":"gpt-4o-mini","system_fingerprint":"fp_44709d6fcb","choices":[{"index":0,"delta":{},"logprobs":null,"finish_reason":"stop"}],"usage":null}`,
	`{"id":"chatcmpl-123","object":"chat.completion.chunk","created":1694268190,"model":"gpt-4o-mini","system_fingerprint":"fp_44709d6fcb","choices":[],"usage":{"prompt_tokens":9,"completion_tokens":2,"total_tokens":11,"prompt_tokens_details":{"cached_tokens":0},"completion_tokens_details":{"reasoning_tokens":0}}}`,
	`[DONE]`,
}

// StreamToolCalls is a streamed reply that calls two tools in parallel,
// arguments arriving in fragments, then usage and [DONE].
var StreamToolCalls = []string{
	`{"id":"chatcmpl-9","object":"chat.completion.chunk","created":1723000000,"model":"gpt-4o","choices":[{"index":0,"delta":{"role":"assistant","content":null,"tool_calls":[{"index":0,"id":"call_A","type":"function","function":{"name":"get_weather","arguments":""}}]},"logprobs":null,"finish_reason":null}]}`,
	`{"id":"chatcmpl-9","object":"chat.completion.chunk","created":1723000000,"model":"gpt-4o","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"{\"loc"}}]},"logprobs":null,"finish_reason":null}]}`,
	`{"id":"chatcmpl-9","object":"chat.completion.chunk","created":1723000000,"model":"gpt-4o","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"ation\": \"Paris\"}"}}]},"logprobs":null,"finish_reason":null}]}`,
	`{"id":"chatcmpl-9","object":"chat.completion.chunk","created":1723000000,"model":"gpt-4o","choices":[{"index":0,"delta":{"tool_calls":[{"index":1,"id":"call_B","type":"function","function":{"name":"get_time","arguments":""}}]},"logprobs":null,"finish_reason":null}]}`,
	`{"id":"chatcmpl-9","object":"chat.completion.chunk","created":1723000000,"model":"gpt-4o","choices":[{"index":0,"delta":{"tool_calls":[{"index":1,"function":{"arguments":"{\"tz\": \"CET\"}"}}]},"logprobs":null,"finish_reason":null}]}`,
	`{"id":"chatcmpl-9","object":"chat.completion.chunk","created":1723000000,"model":"gpt-4o","choices":[{"index":0,"delta":{},"logprobs":null,"finish_reason":"tool_calls"}]}`,
	`{"id":"chatcmpl-9","object":"chat.completion.chunk","created":1723000000,"model":"gpt-4o","choices":[],"usage":{"prompt_tokens":80,"completion_tokens":40,"total_tokens":120}}`,
	`[DONE]`,
}

// AzureStreamText is Azure OpenAI's shape of a streamed reply: a leading
// chunk with no choices that carries prompt_filter_results, content filter
// verdicts on each choice, then usage and [DONE].
var AzureStreamText = []string{
	`{"choices":[],"created":0,"id":"","model":"","object":"","prompt_filter_results":[{"prompt_index":0,"content_filter_results":{"hate":{"filtered":false,"severity":"safe"},"self_harm":{"filtered":false,"severity":"safe"},"sexual":{"filtered":false,"severity":"safe"},"violence":{"filtered":false,"severity":"safe"}}}]}`,
	`{"choices":[{"content_filter_results":{},"delta":{"content":"","role":"assistant"},"finish_reason":null,"index":0,"logprobs":null}],"created":1718000000,"id":"chatcmpl-az1","model":"gpt-4o-2024-05-13","object":"chat.completion.chunk","system_fingerprint":"fp_5f4bad809a","usage":null}`,
	`{"choices":[{"content_filter_results":{"hate":{"filtered":false,"severity":"safe"}},"delta":{"content":"Hi"},"finish_reason":null,"index":0,"logprobs":null}],"created":1718000000,"id":"chatcmpl-az1","model":"gpt-4o-2024-05-13","object":"chat.completion.chunk","system_fingerprint":"fp_5f4bad809a","usage":null}`,
	`{"choices":[{"content_filter_results":{},"delta":{},"finish_reason":"stop","index":0,"logprobs":null}],"created":1718000000,"id":"chatcmpl-az1","model":"gpt-4o-2024-05-13","object":"chat.completion.chunk","system_fingerprint":"fp_5f4bad809a","usage":null}`,
	`{"choices":[],"created":1718000000,"id":"chatcmpl-az1","model":"gpt-4o-2024-05-13","object":"chat.completion.chunk","system_fingerprint":"fp_5f4bad809a","usage":{"completion_tokens":1,"prompt_tokens":8,"total_tokens":9}}`,
	`[DONE]`,
}

// Embeddings is an embeddings list with two float vectors.
const Embeddings = `{
  "object": "list",
  "data": [
    {"object": "embedding", "index": 0, "embedding": [0.0023064255, -0.009327292, 0.015797347]},
    {"object": "embedding", "index": 1, "embedding": [0.5, -1.25, 3]}
  ],
  "model": "text-embedding-3-small",
  "usage": {"prompt_tokens": 8, "total_tokens": 8}
}`

// EmbeddingsBase64 is one vector, [1, -2, 0.5] as little-endian float32,
// in base64 (encoding_format: base64).
const EmbeddingsBase64 = `{
  "object": "list",
  "data": [{"object": "embedding", "index": 0, "embedding": "AACAPwAAAMAAAAA/"}],
  "model": "text-embedding-3-small",
  "usage": {"prompt_tokens": 3, "total_tokens": 3}
}`

// Images is an images/generations reply with one URL image.
const Images = `{
  "created": 1713833628,
  "data": [{"url": "https://example.invalid/img-1.png", "revised_prompt": "A cute baby sea otter floating on its back"}]
}`

// ImagesB64 is an images/generations reply with inline data and usage
// (gpt-image-1 style).
const ImagesB64 = `{
  "created": 1713833628,
  "data": [{"b64_json": "iVBORw0KGgo="}],
  "usage": {"input_tokens": 50, "output_tokens": 4160, "total_tokens": 4210, "input_tokens_details": {"text_tokens": 50, "image_tokens": 0}}
}`
