package anthropic_test

import (
	"encoding/json"
	"testing"

	"github.com/tollgate-gw/tollgate/internal/llm"
	"github.com/tollgate-gw/tollgate/internal/wire/anthropic"
)

func BenchmarkEncodeRequest(b *testing.B) {
	req := &llm.Request{Messages: []llm.Message{
		{Role: llm.RoleSystem, Content: text("You are a helpful assistant.")},
		{Role: llm.RoleUser, Content: text("What is the weather in Paris today?")}},
		Tools: []llm.Tool{{Name: "get_weather", Description: "Current weather", Parameters: json.RawMessage(`{"type":"object","properties":{"location":{"type":"string"}}}`)}}}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := anthropic.EncodeRequest(req, anthropic.RequestOptions{Model: "claude-sonnet-4-5", Stream: true}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkStreamDelta is the per-chunk cost of a streamed text reply.
func BenchmarkStreamDelta(b *testing.B) {
	var d anthropic.StreamDecoder
	if _, err := d.Decode([]byte(`{"type":"message_start","message":{"id":"msg_1","type":"message","role":"assistant","model":"claude-x","content":[],"usage":{"input_tokens":10,"output_tokens":1}}}`)); err != nil {
		b.Fatal(err)
	}
	ev := []byte(`{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hello there, how"}}`)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := d.Decode(ev); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecodeResponse(b *testing.B) {
	data := []byte(`{"id":"msg_1","type":"message","role":"assistant","model":"claude-x","content":[{"type":"text","text":"Hello there"}],` +
		`"stop_reason":"end_turn","stop_sequence":null,"usage":{"input_tokens":10,"output_tokens":2,"cache_read_input_tokens":0,"cache_creation_input_tokens":0}}`)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := anthropic.DecodeResponse(data); err != nil {
			b.Fatal(err)
		}
	}
}
