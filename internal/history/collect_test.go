package history_test

import (
	"reflect"
	"testing"

	"github.com/tollgate-gw/tollgate/internal/history"
	"github.com/tollgate-gw/tollgate/internal/llm"
)

func TestCollector(t *testing.T) {
	delta := func(d llm.Delta) *llm.Chunk { return &llm.Chunk{Choices: []llm.ChunkChoice{{Delta: d}}} }
	toolChunks := []*llm.Chunk{
		delta(llm.Delta{Role: llm.RoleAssistant, ToolCalls: []llm.ToolCallDelta{{Index: 0, ID: "c1", Type: "function", Name: "f", Arguments: `{"a"`}}}),
		delta(llm.Delta{ToolCalls: []llm.ToolCallDelta{{Index: 1, ID: "c2", Name: "g"}}}),
		delta(llm.Delta{ToolCalls: []llm.ToolCallDelta{{Index: 0, Arguments: `:1}`}, {Index: 1, Arguments: `{}`}}}),
	}
	cases := []struct {
		name     string
		chunks   []*llm.Chunk
		complete bool
		want     llm.Message
	}{
		{"text", []*llm.Chunk{
			delta(llm.Delta{Role: llm.RoleAssistant, HasContent: true}),
			delta(llm.Delta{Content: "Hel"}),
			{Choices: []llm.ChunkChoice{{Index: 1, Delta: llm.Delta{Content: "other choice"}}}},
			delta(llm.Delta{Content: "lo"}),
			{Usage: &llm.Usage{PromptTokens: 1}},
		}, true, llm.Message{Role: llm.RoleAssistant, Content: []llm.Part{{Type: llm.PartText, Text: "Hello"}}}},
		{"tool calls", toolChunks, true, llm.Message{Role: llm.RoleAssistant, ToolCalls: []llm.ToolCall{
			{ID: "c1", Type: "function", Name: "f", Arguments: `{"a":1}`}, {ID: "c2", Type: "function", Name: "g", Arguments: `{}`}}}},
		{"tool calls of a cut stream are dropped", toolChunks, false, llm.Message{Role: llm.RoleAssistant}},
		{"reasoning and refusal", []*llm.Chunk{
			delta(llm.Delta{Reasoning: &llm.Reasoning{Text: "hm"}}),
			delta(llm.Delta{Reasoning: &llm.Reasoning{Text: "m", Signature: "s"}, Refusal: "no"}),
		}, true, llm.Message{Role: llm.RoleAssistant, Refusal: "no", Reasoning: &llm.Reasoning{Text: "hmm", Signature: "s"}}},
		{"nothing", nil, false, llm.Message{Role: llm.RoleAssistant}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var col history.Collector
			for _, ch := range c.chunks {
				col.Add(ch)
			}
			if got := col.Message(c.complete); !reflect.DeepEqual(got, c.want) {
				t.Errorf("got %#v\nwant %#v", got, c.want)
			}
		})
	}
}
