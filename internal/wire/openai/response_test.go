package openai

import (
	"encoding/json"
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"

	"github.com/tollgate-gw/tollgate/internal/llm"
)

func TestChatResponseRoundTrip(t *testing.T) {
	resp := &llm.Response{
		ID: "chatcmpl-1", Model: "gpt-4o-mini", Created: 1700000000, SystemFingerprint: "fp",
		Choices: []llm.Choice{
			{Index: 0, FinishReason: "stop", Message: llm.Message{Role: "assistant", Content: []llm.Part{{Type: llm.PartText, Text: "hello \"world\"\n"}}, StringContent: true}},
			{Index: 1, FinishReason: "tool_calls", Message: llm.Message{Role: "assistant", ToolCalls: []llm.ToolCall{{ID: "c", Type: "function", Name: "f", Arguments: `{"x":1}`}}}},
		},
		Usage: &llm.Usage{PromptTokens: 3, CompletionTokens: 4, TotalTokens: 7, CacheReadTokens: 1, ReasoningTokens: 2},
	}
	b := EncodeChatResponse(resp)
	if !json.Valid(b) {
		t.Fatalf("invalid JSON: %s", b)
	}
	got, err := DecodeChatResponse(b)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, resp) {
		t.Fatalf("round trip:\n got  %+v\n want %+v\n json %s", got, resp, b)
	}
}

func TestChunkRoundTrip(t *testing.T) {
	chunks := []*llm.Chunk{
		{ID: "c", Model: "m", Created: 1, Choices: []llm.ChunkChoice{{Delta: llm.Delta{Role: "assistant", Content: "", HasContent: true}}}},
		{ID: "c", Model: "m", Created: 1, Choices: []llm.ChunkChoice{{Delta: llm.Delta{Content: "Hel", HasContent: true}}}},
		{ID: "c", Model: "m", Created: 1, Choices: []llm.ChunkChoice{{Delta: llm.Delta{ToolCalls: []llm.ToolCallDelta{{Index: 0, ID: "t1", Type: "function", Name: "f", Arguments: ""}}}}}},
		{ID: "c", Model: "m", Created: 1, Choices: []llm.ChunkChoice{{Delta: llm.Delta{ToolCalls: []llm.ToolCallDelta{{Index: 0, Arguments: `{"a"`}}}}}},
		{ID: "c", Model: "m", Created: 1, Choices: []llm.ChunkChoice{{FinishReason: "stop"}}},
		{ID: "c", Model: "m", Created: 1, Usage: &llm.Usage{PromptTokens: 1, CompletionTokens: 2, TotalTokens: 3}},
	}
	for i, c := range chunks {
		b := EncodeChunk(c)
		got, err := DecodeChunk(b)
		if err != nil {
			t.Fatalf("chunk %d: %v", i, err)
		}
		if !reflect.DeepEqual(got, c) {
			t.Fatalf("chunk %d round trip:\n got  %+v\n want %+v\n json %s", i, got, c, b)
		}
	}
}

func TestEventReader(t *testing.T) {
	in := ": keep-alive\n\ndata: {\"a\":1}\n\nevent: error\ndata: {\"error\":{}}\n\r\ndata: line1\ndata: line2\n\n\ndata:[DONE]\n\ndata: tail"
	r := NewEventReader(strings.NewReader(in))
	want := []struct{ data, event string }{{`{"a":1}`, ""}, {`{"error":{}}`, "error"}, {"line1\nline2", ""}, {"[DONE]", ""}, {"tail", ""}}
	for i, w := range want {
		got, err := r.Next()
		if err != nil {
			t.Fatalf("event %d: %v", i, err)
		}
		if string(got) != w.data || r.Event() != w.event {
			t.Fatalf("event %d = %q (%q), want %q (%q)", i, got, r.Event(), w.data, w.event)
		}
	}
	if _, err := r.Next(); err != io.EOF {
		t.Fatalf("after last event: %v, want io.EOF", err)
	}
}

func TestEventReaderLimits(t *testing.T) {
	big := "data: " + strings.Repeat("x", MaxEventSize+10) + "\n\n"
	if _, err := NewEventReader(strings.NewReader(big)).Next(); !errors.Is(err, ErrEventTooLarge) {
		t.Fatalf("err = %v, want ErrEventTooLarge", err)
	}
	if _, err := NewEventReader(strings.NewReader("event: x")).Next(); err != io.EOF {
		t.Fatalf("event without data: %v, want io.EOF", err)
	}
}

// TestEventReaderRefusesOtherBodies: a body that is not made of SSE fields
// (an HTML page, a JSON document, NDJSON) is refused at its first line,
// instead of being skipped to an empty end. id and retry are SSE fields.
func TestEventReaderRefusesOtherBodies(t *testing.T) {
	for _, body := range []string{
		"<!DOCTYPE html>\n<html><body>maintenance</body></html>\n",
		`{"error":{"message":"overloaded"}}` + "\n",
		`{"id":"c","choices":[]}` + "\n" + `{"id":"c","choices":[]}` + "\n",
		"data: {\"a\":1}\n\nnot a field\n\n",
	} {
		r := NewEventReader(strings.NewReader(body))
		var err error
		for err == nil {
			_, err = r.Next()
		}
		if !errors.Is(err, ErrNotEventStream) {
			t.Errorf("%q: %v, want ErrNotEventStream", body, err)
		}
	}
	r := NewEventReader(strings.NewReader("id: 7\nretry: 1000\ndata: x\n\n"))
	if got, err := r.Next(); err != nil || string(got) != "x" {
		t.Fatalf("id and retry fields: %q, %v", got, err)
	}
}

func TestDecodeErrorBody(t *testing.T) {
	tests := []struct {
		body string
		want ErrorBody
	}{
		{`{"error":{"message":"m","type":"invalid_request_error","param":"x","code":"c"}}`, ErrorBody{"m", "invalid_request_error", "x", "c"}},
		{`{"error":{"code":"429","message":"Rate limit"}}`, ErrorBody{Message: "Rate limit", Code: "429"}},
		{`{"error":{"message":"m","code":400}}`, ErrorBody{Message: "m", Code: "400"}},
		{`{"error":"plain"}`, ErrorBody{Message: "plain"}},
		{`{"message":"bare","type":"t"}`, ErrorBody{Message: "bare", Type: "t"}},
		{`{"detail":"not found"}`, ErrorBody{Message: "not found"}},
		{`<html>bad gateway</html>`, ErrorBody{Message: "<html>bad gateway</html>"}},
	}
	for _, tt := range tests {
		if got := DecodeErrorBody([]byte(tt.body)); got != tt.want {
			t.Errorf("%s: got %+v want %+v", tt.body, got, tt.want)
		}
	}
	b := AppendError(nil, ErrorBody{Message: "x", Type: "t"})
	if string(b) != `{"error":{"message":"x","type":"t","param":null,"code":null}}` {
		t.Fatalf("AppendError = %s", b)
	}
}

func TestEmbeddings(t *testing.T) {
	req, err := DecodeEmbeddingRequest([]byte(`{"model":"e","input":["a","b"],"encoding_format":"base64","dimensions":2}`))
	if err != nil {
		t.Fatal(err)
	}
	if len(req.Input) != 2 || req.EncodingFormat != "base64" || *req.Dimensions != 2 {
		t.Fatalf("decoded %+v", req)
	}
	resp := &llm.EmbeddingResponse{Model: "e", Vectors: [][]float32{{0.5, -1.25}, {3, 0}}, Usage: &llm.Usage{PromptTokens: 2}}
	for _, format := range []string{"float", "base64"} {
		req.EncodingFormat = format
		b := EncodeEmbeddingResponse(resp, req)
		got, err := DecodeEmbeddingResponse(b)
		if err != nil {
			t.Fatalf("%s: %v", format, err)
		}
		if !reflect.DeepEqual(got.Vectors, resp.Vectors) || got.Usage.PromptTokens != 2 {
			t.Fatalf("%s round trip: %+v from %s", format, got, b)
		}
	}
	single, err := DecodeEmbeddingRequest([]byte(`{"model":"e","input":"one"}`))
	if err != nil || !single.SingleInput || string(EncodeEmbeddingRequest(single, RequestOptions{Model: "up"})) != `{"model":"up","input":"one"}` {
		t.Fatalf("single input: %+v %v", single, err)
	}
	tokens, err := DecodeEmbeddingRequest([]byte(`{"model":"e","input":[[1,2],[3]]}`))
	if err != nil || string(tokens.InputTokens) != `[[1,2],[3]]` {
		t.Fatalf("token input: %+v %v", tokens, err)
	}
	for _, bad := range []string{`{"input":"x"}`, `{"model":"e"}`, `{"model":"e","input":[]}`, `{"model":"e","input":[1,"a"]}`, `{"model":"e","input":"x","encoding_format":"hex"}`} {
		if _, err := DecodeEmbeddingRequest([]byte(bad)); err == nil {
			t.Errorf("%s: no error", bad)
		}
	}
}

func TestImages(t *testing.T) {
	req, err := DecodeImageRequest([]byte(`{"model":"i","prompt":"a cat","n":2,"size":"512x512","response_format":"b64_json","background":"transparent"}`))
	if err != nil {
		t.Fatal(err)
	}
	up := EncodeImageRequest(req, RequestOptions{Model: "dall-e-3"})
	if string(up) != `{"model":"dall-e-3","prompt":"a cat","n":2,"size":"512x512","response_format":"b64_json","background":"transparent"}` {
		t.Fatalf("encoded %s", up)
	}
	// Dropped parameters stay behind, named ones and passthrough alike.
	up = EncodeImageRequest(req, RequestOptions{Model: "m", Drop: map[string]bool{"n": true, "size": true, "background": true}})
	if string(up) != `{"model":"m","prompt":"a cat","response_format":"b64_json"}` {
		t.Fatalf("encoded with drops %s", up)
	}
	resp := &llm.ImageResponse{Created: 5, Images: []llm.GeneratedImage{{B64JSON: "AAAA", RevisedPrompt: "r"}}}
	got, err := DecodeImageResponse(EncodeImageResponse(resp))
	if err != nil || !reflect.DeepEqual(got, resp) {
		t.Fatalf("round trip %+v %v", got, err)
	}
	for _, bad := range []string{`{"prompt":"x"}`, `{"model":"i"}`, `{"model":"i","prompt":"x","n":0}`, `{"model":"i","prompt":"x","response_format":"png"}`} {
		if _, err := DecodeImageRequest([]byte(bad)); err == nil {
			t.Errorf("%s: no error", bad)
		}
	}
}

// TestDecodeChatResponseShapes: what upstreams really send decodes, and
// what is not a chat completion is refused with the field at fault.
func TestDecodeChatResponseShapes(t *testing.T) {
	cases := []struct {
		name, in string
		check    func(t *testing.T, r *llm.Response)
		err      string
	}{
		{name: "null content with tool calls, annotations, logprobs", in: `{"id":"x","object":"chat.completion","created":5,"model":"m",
			"choices":[{"index":0,"message":{"role":"assistant","content":null,"refusal":null,"annotations":[{"type":"url_citation"}],
			"tool_calls":[{"id":"t","type":"function","function":{"name":"f","arguments":"{}"}}]},"logprobs":{"content":[]},"finish_reason":"tool_calls"}],
			"usage":{"prompt_tokens":5,"completion_tokens":6,"total_tokens":11,"prompt_tokens_details":{"cached_tokens":2},"completion_tokens_details":{"reasoning_tokens":3}},
			"service_tier":"default","system_fingerprint":null}`,
			check: func(t *testing.T, r *llm.Response) {
				c := r.Choices[0]
				if c.Message.Content != nil || len(c.Message.ToolCalls) != 1 || c.Message.ToolCalls[0].Name != "f" || c.FinishReason != "tool_calls" ||
					string(c.Logprobs) != `{"content":[]}` || len(c.Message.Extra) != 1 || r.Created != 5 || r.ServiceTier != "default" {
					t.Errorf("%+v", r)
				}
				if u := r.Usage; u.CacheReadTokens != 2 || u.ReasoningTokens != 3 || u.TotalTokens != 11 {
					t.Errorf("usage %+v", u)
				}
			}},
		{name: "reasoning, empty annotations, null logprobs", in: `{"choices":[{"message":{"role":"assistant","content":"","reasoning_content":"think","annotations":[]},"logprobs":null,"finish_reason":"stop"}]}`,
			check: func(t *testing.T, r *llm.Response) {
				m := r.Choices[0].Message
				if !m.StringContent || m.Text() != "" || m.Reasoning == nil || m.Reasoning.Text != "think" || m.Extra != nil || r.Choices[0].Logprobs != nil || r.Usage != nil {
					t.Errorf("%+v", r)
				}
			}},
		{name: "empty choices", in: `{"choices":[]}`, check: func(t *testing.T, r *llm.Response) {
			if r.Choices == nil || len(r.Choices) != 0 {
				t.Errorf("choices %#v", r.Choices)
			}
		}},
		{name: "no choices", in: `{"id":"x"}`, err: "no choices"},
		{name: "null choices", in: `{"choices":null}`, err: "no choices"},
		{name: "not JSON", in: `{"choices":[`, err: "decoding chat completion"},
		{name: "array", in: `[]`, err: "decoding chat completion"},
		{name: "created as a string", in: `{"created":"now","choices":[]}`, err: "created"},
		{name: "content as a number", in: `{"choices":[{"message":{"content":5}}]}`, err: "content"},
		{name: "fractional tokens", in: `{"choices":[],"usage":{"prompt_tokens":1.5}}`, err: "prompt_tokens"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r, err := DecodeChatResponse([]byte(c.in))
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("err = %v, want one mentioning %q", err, c.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			c.check(t, r)
		})
	}
}
