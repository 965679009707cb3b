package router

import (
	"testing"

	"github.com/tollgate-gw/tollgate/internal/llm"
)

// TestTokenCounterMatchesWholeText: text counted in pieces, however it is
// split, is estimated as the whole text is, so a word split across two
// stream chunks counts once.
func TestTokenCounterMatchesWholeText(t *testing.T) {
	texts := []string{"Hello there, how can I help you today?", "func main() { fmt.Println(\"hi\") }", "日本語のテキスト and ASCII", ""}
	for _, s := range texts {
		want := EstimateTextTokens([]string{s})
		for cut := 0; cut <= len(s); cut++ {
			var c TokenCounter
			c.Add(s[:cut])
			c.Add(s[cut:])
			if cut > 0 && cut < len(s) && !splitsRune(s, cut) && c.Tokens() != want {
				t.Errorf("%q cut at %d: %d tokens, want %d", s, cut, c.Tokens(), want)
			}
		}
	}
	var c TokenCounter
	c.AddChunk(&llm.Chunk{Choices: []llm.ChunkChoice{{Delta: llm.Delta{Content: "Hel", Reasoning: &llm.Reasoning{Text: "think"},
		ToolCalls: []llm.ToolCallDelta{{Name: "get", Arguments: `{"a":1}`}}}}}})
	if c.Tokens() == 0 {
		t.Error("a chunk with text, reasoning and a tool call counts no tokens")
	}
}

// splitsRune reports whether cutting s at i splits a UTF-8 sequence (a
// stream never does: each chunk is valid JSON text).
func splitsRune(s string, i int) bool { return i < len(s) && s[i]&0xC0 == 0x80 }
