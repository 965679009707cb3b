package openai

import "testing"

var benchChunk = []byte(`{"id":"chatcmpl-AbC123","object":"chat.completion.chunk","created":1721172741,"model":"gpt-4o-mini-2024-07-18","system_fingerprint":"fp_0ba0d124f1","choices":[{"index":0,"delta":{"content":" a couple of words"},"logprobs":null,"finish_reason":null}]}`)

func BenchmarkDecodeChunk(b *testing.B) {
	b.ReportAllocs()
	b.SetBytes(int64(len(benchChunk)))
	for b.Loop() {
		if _, err := DecodeChunk(benchChunk); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkChunkRelay(b *testing.B) {
	c, err := DecodeChunk(benchChunk)
	if err != nil {
		b.Fatal(err)
	}
	buf := make([]byte, 0, 1024)
	b.ReportAllocs()
	for b.Loop() {
		buf = AppendChunkEvent(buf[:0], c, nil)
	}
}

var benchRequest = []byte(`{"model":"gpt-4o-mini","messages":[{"role":"system","content":"You are a helpful assistant."},{"role":"user","content":"Write a haiku about gateways."}],"temperature":0.7,"max_tokens":256,"stream":true,"stream_options":{"include_usage":true}}`)

func BenchmarkDecodeEncodeRequest(b *testing.B) {
	b.ReportAllocs()
	b.SetBytes(int64(len(benchRequest)))
	for b.Loop() {
		req, err := DecodeChatRequest(benchRequest)
		if err != nil {
			b.Fatal(err)
		}
		_ = EncodeChatRequest(req, RequestOptions{Model: "gpt-4o-mini", IncludeUsage: true})
	}
}
