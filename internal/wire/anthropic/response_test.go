package anthropic_test

import (
	"errors"
	"reflect"
	"testing"

	"github.com/tollgate-gw/tollgate/internal/llm"
	"github.com/tollgate-gw/tollgate/internal/wire/anthropic"
)

func TestDecodeResponse(t *testing.T) {
	data := `{"id":"msg_1","type":"message","role":"assistant","model":"claude-x","content":[` +
		`{"type":"thinking","thinking":"let me see","signature":"sig"},{"type":"text","text":"It is "},{"type":"text","text":"sunny"},` +
		`{"type":"tool_use","id":"t1","name":"w","input":{"c":"P"}}],"stop_reason":"tool_use","stop_sequence":null,` +
		`"usage":{"input_tokens":10,"output_tokens":5,"cache_creation_input_tokens":100,"cache_read_input_tokens":1000,"service_tier":"standard"}}`
	got, err := anthropic.DecodeResponse([]byte(data))
	if err != nil {
		t.Fatal(err)
	}
	want := &llm.Response{ID: "msg_1", Model: "claude-x", Choices: []llm.Choice{{
		Message: llm.Message{Role: llm.RoleAssistant, Content: []llm.Part{{Type: llm.PartText, Text: "It is sunny"}}, StringContent: true,
			ToolCalls: []llm.ToolCall{{ID: "t1", Type: "function", Name: "w", Arguments: `{"c":"P"}`}},
			Reasoning: &llm.Reasoning{Text: "let me see", Signature: "sig"}},
		FinishReason: llm.FinishToolCalls}},
		// prompt_tokens counts the cache reads and writes, as OpenAI's does.
		Usage: &llm.Usage{PromptTokens: 1110, CompletionTokens: 5, TotalTokens: 1115, CacheReadTokens: 1000, CacheWriteTokens: 100}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got  %+v\nwant %+v", got, want)
	}
}

func TestDecodeResponseRefuses(t *testing.T) {
	for _, data := range []string{
		``, `[]`, `{"type":"error","error":{"type":"api_error","message":"x"}}`,
		`{"type":"message","content":[]}`,
		`{"type":"message","content":[],"usage":{"input_tokens":-1,"output_tokens":1}}`,
	} {
		if _, err := anthropic.DecodeResponse([]byte(data)); err == nil {
			t.Errorf("DecodeResponse(%q) succeeded", data)
		}
	}
}

func TestStreamDecoder(t *testing.T) {
	events := []string{
		`{"type":"message_start","message":{"id":"msg_1","type":"message","role":"assistant","model":"claude-x","content":[],"usage":{"input_tokens":10,"cache_read_input_tokens":1000,"cache_creation_input_tokens":0,"output_tokens":1}}}`,
		`{"type":"ping"}`,
		`{"type":"content_block_start","index":0,"content_block":{"type":"thinking","thinking":""}}`,
		`{"type":"content_block_delta","index":0,"delta":{"type":"thinking_delta","thinking":"hmm"}}`,
		`{"type":"content_block_delta","index":0,"delta":{"type":"signature_delta","signature":"sig"}}`,
		`{"type":"content_block_stop","index":0}`,
		`{"type":"content_block_start","index":1,"content_block":{"type":"text","text":""}}`,
		`{"type":"content_block_delta","index":1,"delta":{"type":"text_delta","text":"Hi"}}`,
		`{"type":"content_block_stop","index":1}`,
		`{"type":"content_block_start","index":2,"content_block":{"type":"tool_use","id":"t1","name":"w","input":{}}}`,
		`{"type":"content_block_delta","index":2,"delta":{"type":"input_json_delta","partial_json":""}}`,
		`{"type":"content_block_delta","index":2,"delta":{"type":"input_json_delta","partial_json":"{\"c\":"}}`,
		`{"type":"content_block_delta","index":2,"delta":{"type":"input_json_delta","partial_json":"\"P\"}"}}`,
		`{"type":"content_block_stop","index":2}`,
		`{"type":"message_delta","delta":{"stop_reason":"tool_use","stop_sequence":null},"usage":{"output_tokens":7}}`,
		`{"type":"message_stop"}`,
	}
	var d anthropic.StreamDecoder
	var got []llm.ChunkChoice
	var usage *llm.Usage
	for _, e := range events {
		c, err := d.Decode([]byte(e))
		if err != nil {
			t.Fatalf("%s: %v", e, err)
		}
		if c == nil {
			continue
		}
		if c.ID != "msg_1" || c.Model != "claude-x" {
			t.Errorf("chunk id/model = %q/%q", c.ID, c.Model)
		}
		got = append(got, c.Choices...)
		if c.Usage != nil {
			usage = c.Usage
		}
	}
	want := []llm.ChunkChoice{
		{Delta: llm.Delta{Role: llm.RoleAssistant, HasContent: true}},
		{Delta: llm.Delta{Reasoning: &llm.Reasoning{Text: "hmm"}}},
		{Delta: llm.Delta{Reasoning: &llm.Reasoning{Signature: "sig"}}},
		{Delta: llm.Delta{Content: "Hi"}},
		{Delta: llm.Delta{ToolCalls: []llm.ToolCallDelta{{Index: 0, ID: "t1", Type: "function", Name: "w"}}}},
		{Delta: llm.Delta{ToolCalls: []llm.ToolCallDelta{{Index: 0, Arguments: `{"c":`}}}},
		{Delta: llm.Delta{ToolCalls: []llm.ToolCallDelta{{Index: 0, Arguments: `"P"}`}}}},
		{FinishReason: llm.FinishToolCalls},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("choices:\n got  %+v\n want %+v", got, want)
	}
	if wantU := (&llm.Usage{PromptTokens: 1010, CompletionTokens: 7, TotalTokens: 1017, CacheReadTokens: 1000}); !reflect.DeepEqual(usage, wantU) {
		t.Errorf("usage = %+v, want %+v", usage, wantU)
	}
	if !d.Stopped || !d.Finished {
		t.Error("decoder did not record the end of the message")
	}
}

func TestStreamDecoderErrors(t *testing.T) {
	var d anthropic.StreamDecoder
	_, err := d.Decode([]byte(`{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}`))
	if !errors.Is(err, anthropic.ErrStreamError) || d.Err == nil || d.Err.Error.Type != "overloaded_error" {
		t.Errorf("error event: err %v, Err %+v", err, d.Err)
	}
	for _, seq := range [][]string{
		{`{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"x"}}`},
		{`{"type":"message_start","message":{"id":"m","usage":{"input_tokens":1,"output_tokens":1}}}`,
			`{"type":"content_block_delta","index":3,"delta":{"type":"input_json_delta","partial_json":"{"}}`},
		{`not json`},
	} {
		var d anthropic.StreamDecoder
		var err error
		for _, e := range seq {
			if _, err = d.Decode([]byte(e)); err != nil {
				break
			}
		}
		if err == nil {
			t.Errorf("%v decoded without error", seq)
		}
	}
}
