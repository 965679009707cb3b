package router

import (
	"strings"
	"testing"

	"github.com/tollgate-gw/tollgate/internal/llm"
)

// TestPromptTokenBound: the strict reservation's prompt bound is at least
// the estimate, grows with every part a prompt can carry, and counts text
// by its bytes, which no tokenizer beats.
func TestPromptTokenBound(t *testing.T) {
	text := func(s string) llm.Message {
		return llm.Message{Role: "user", Content: []llm.Part{{Type: llm.PartText, Text: s}}}
	}
	for _, tc := range []struct {
		name string
		req  llm.Request
		min  int64
	}{
		{"empty", llm.Request{}, 3},
		{"ascii", llm.Request{Messages: []llm.Message{text("hello world")}}, 3 + 4 + 11},
		{"random alphanumerics", llm.Request{Messages: []llm.Message{text("x7Qz9Kp2Lm4Rt8Wv")}}, 3 + 4 + 16},
		{"non-latin", llm.Request{Messages: []llm.Message{text(strings.Repeat("漢", 10))}}, 3 + 4 + 30},
		{"image", llm.Request{Messages: []llm.Message{{Role: "user", Content: []llm.Part{{Type: llm.PartImage, Image: &llm.Image{URL: "https://x"}}}}}}, 3 + 4 + ImageTokenBound},
		{"document", llm.Request{Messages: []llm.Message{{Role: "user", Content: []llm.Part{{Type: llm.PartDocument, Document: &llm.Document{Data: make([]byte, 5000)}}}}}}, 3 + 4 + ImageTokenBound + 5000},
		{"tools and tool calls", llm.Request{
			Messages: []llm.Message{{Role: "assistant", ToolCalls: []llm.ToolCall{{Name: "f", Arguments: `{"a":1}`}}}},
			Tools:    []llm.Tool{{Name: "f", Description: "does f", Parameters: []byte(`{"type":"object"}`)}}}, 3 + 4 + 1 + 7 + 3 + 1 + 6 + 17 + 8},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := PromptTokenBound(&tc.req)
			if got < tc.min || got < int64(EstimateTokens(&tc.req)) {
				t.Fatalf("bound %d, want at least %d and the estimate %d", got, tc.min, EstimateTokens(&tc.req))
			}
		})
	}
}
