package anthropic_test

import (
	"testing"

	"github.com/tollgate-gw/tollgate/internal/wire/anthropic"
)

// FuzzDecodeResponse: any upstream body decodes or fails; never a panic,
// never usage that cannot be priced.
func FuzzDecodeResponse(f *testing.F) {
	f.Add([]byte(`{"id":"m","type":"message","content":[{"type":"text","text":"hi"},{"type":"tool_use","id":"t","name":"n","input":{}}],"stop_reason":"end_turn","usage":{"input_tokens":1,"output_tokens":2,"cache_read_input_tokens":3}}`))
	f.Add([]byte(`{"type":"message","content":[{"type":"redacted_thinking","data":"x"}],"usage":{"input_tokens":1e3,"output_tokens":0}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := anthropic.DecodeResponse(data)
		if err != nil {
			return
		}
		if r.Usage == nil || r.Usage.Check() != nil || len(r.Choices) != 1 {
			t.Fatalf("decoded %+v", r)
		}
	})
}

// FuzzStreamDecoder: any sequence of events (split on newlines) decodes
// or fails; a usage chunk is always one that can be priced.
func FuzzStreamDecoder(f *testing.F) {
	f.Add([]byte(`{"type":"message_start","message":{"id":"m","usage":{"input_tokens":1,"output_tokens":1}}}` + "\n" +
		`{"type":"content_block_start","index":0,"content_block":{"type":"tool_use","id":"t","name":"n"}}` + "\n" +
		`{"type":"content_block_delta","index":0,"delta":{"type":"input_json_delta","partial_json":"{}"}}` + "\n" +
		`{"type":"message_delta","delta":{"stop_reason":"tool_use"},"usage":{"output_tokens":3}}` + "\n" + `{"type":"message_stop"}`))
	f.Add([]byte(`{"type":"error","error":{"type":"overloaded_error","message":"x"}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var d anthropic.StreamDecoder
		start := 0
		for i := 0; i <= len(data); i++ {
			if i < len(data) && data[i] != '\n' {
				continue
			}
			c, err := d.Decode(data[start:i])
			start = i + 1
			if err != nil {
				return
			}
			if c != nil && c.Usage != nil && c.Usage.Check() != nil {
				t.Fatalf("unpriceable usage %+v", c.Usage)
			}
		}
	})
}
