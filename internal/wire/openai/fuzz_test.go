package openai

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"testing"
)

func FuzzOpenAIDecode(f *testing.F) {
	for _, s := range []string{
		`{"model":"m","messages":[{"role":"user","content":"hi"}]}`,
		`{"model":"m","messages":[{"role":"user","content":[{"type":"text","text":"a"},{"type":"image_url","image_url":"http://x"}]}],"tools":[{"type":"function","function":{"name":"f","parameters":{}}}],"tool_choice":"auto","stop":["a","b"],"x":[1,{"y":"z"}]}`,
		`{"model":"m","messages":[{"role":"tool","tool_call_id":"1","content":"r"}],"extra_body":{"k":1},"metadata":{"tags":["t"]}}`,
		`{"model":"\u00e9","messages":[{"role":"assistant","content":null,"tool_calls":[{"id":"1","function":{"name":"f","arguments":"{}"}}]}]}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		req, err := DecodeChatRequest(data)
		if err != nil {
			var de *DecodeError
			if !errors.As(err, &de) {
				t.Fatalf("error of type %T: %v", err, err)
			}
			// encoding/json is the reference for what is JSON: a document
			// it reads is never refused as a syntax error.
			if de.Line > 0 && json.Valid(data) {
				t.Fatalf("valid JSON %q refused as a syntax error: %v", data, err)
			}
			return
		}
		if !json.Valid(data) {
			t.Fatalf("decoded %q, which encoding/json refuses", data)
		}
		out := EncodeChatRequest(req, RequestOptions{})
		if !json.Valid(out) {
			t.Fatalf("encoded invalid JSON %s from %s", out, data)
		}
		again, err := DecodeChatRequest(out)
		if err != nil {
			t.Fatalf("re-decoding %s: %v", out, err)
		}
		if !bytes.Equal(EncodeChatRequest(again, RequestOptions{}), out) {
			t.Fatalf("encoding not stable for %s", data)
		}
	})
}

func FuzzSSE(f *testing.F) {
	f.Add([]byte("data: {\"a\":1}\n\ndata: [DONE]\n\n"))
	f.Add([]byte(": c\r\nevent: e\r\ndata: x\r\ndata: y\r\n\r\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		r := NewEventReader(bytes.NewReader(data))
		var events [][]byte
		for {
			ev, err := r.Next()
			if err != nil {
				if err != io.EOF && !errors.Is(err, ErrEventTooLarge) {
					t.Fatalf("unexpected error %v", err)
				}
				break
			}
			events = append(events, append([]byte(nil), ev...))
		}
		// Whatever we read, re-framed by AppendEvent, reads back the same
		// when each event is a single line.
		var buf []byte
		var single [][]byte
		for _, ev := range events {
			if bytes.ContainsAny(ev, "\r\n") {
				continue
			}
			single = append(single, ev)
			buf = AppendEvent(buf, ev)
		}
		r2 := NewEventReader(bytes.NewReader(buf))
		for i, want := range single {
			got, err := r2.Next()
			if err != nil || !bytes.Equal(got, want) {
				t.Fatalf("event %d: got %q, %v; want %q", i, got, err, want)
			}
		}
	})
}

func FuzzChunkDecode(f *testing.F) {
	f.Add([]byte(`{"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"role":"assistant","content":"hi","tool_calls":[{"index":0,"id":"t","type":"function","function":{"name":"f","arguments":"{"}}]},"finish_reason":null}],"usage":{"prompt_tokens":1,"completion_tokens":2,"total_tokens":3,"prompt_tokens_details":{"cached_tokens":1}}}`))
	f.Add([]byte(`{"error":{"message":"m","type":"t"}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := DecodeChunk(data)
		if err != nil {
			return
		}
		if !json.Valid(data) {
			t.Fatalf("decoded %q, which encoding/json refuses", data)
		}
		out := EncodeChunk(c)
		again, err := DecodeChunk(out)
		if err != nil {
			t.Fatalf("re-decoding %s: %v", out, err)
		}
		if !bytes.Equal(EncodeChunk(again), out) {
			t.Fatalf("chunk encoding not stable for %s", data)
		}
	})
}

func FuzzChatResponseDecode(f *testing.F) {
	f.Add([]byte(`{"id":"x","object":"chat.completion","created":1,"model":"m","choices":[{"index":0,"message":{"role":"assistant","content":"hi","refusal":null,"annotations":[{"a":1}],"tool_calls":[{"id":"t","type":"function","function":{"name":"f","arguments":"{}"}}]},"logprobs":null,"finish_reason":"stop"}],"usage":{"prompt_tokens":1,"completion_tokens":2,"total_tokens":3,"prompt_tokens_details":{"cached_tokens":1}},"service_tier":"default"}`))
	f.Add([]byte(`{"choices":[{"message":{"content":null,"reasoning_content":"r"},"logprobs":{"content":[]}}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := DecodeChatResponse(data)
		if err != nil {
			return
		}
		if !json.Valid(data) {
			t.Fatalf("decoded %q, which encoding/json refuses", data)
		}
		out := EncodeChatResponse(r)
		if !json.Valid(out) {
			t.Fatalf("encoded invalid JSON %s from %s", out, data)
		}
		again, err := DecodeChatResponse(out)
		if err != nil {
			t.Fatalf("re-decoding %s: %v", out, err)
		}
		if !bytes.Equal(EncodeChatResponse(again), out) {
			t.Fatalf("encoding not stable for %s", data)
		}
	})
}
