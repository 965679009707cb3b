package openai

import (
	"cmp"

	"github.com/tollgate-gw/tollgate/internal/llm"
)

// toLLM sets d from a delta, or from a response message.
func (w *Delta) toLLM(d *llm.Delta) {
	d.Role, d.Refusal = llm.Role(w.Role), w.Refusal
	if w.Content.Kind == '"' {
		d.Content, d.HasContent = w.Content.S, true
	}
	if r := cmp.Or(w.ReasoningContent, w.Reasoning); r != "" {
		d.Reasoning = &llm.Reasoning{Text: r}
	}
	if len(w.ToolCalls) > 0 {
		d.ToolCalls = make([]llm.ToolCallDelta, len(w.ToolCalls))
		for i := range w.ToolCalls {
			tc := &w.ToolCalls[i]
			d.ToolCalls[i] = llm.ToolCallDelta{Index: int(tc.Index), ID: tc.ID, Type: tc.Type, Name: tc.Function.Name, Arguments: tc.Function.Arguments}
		}
	}
}

// toLLM converts a usage object, which counts cached prompt tokens under
// either of two names, and may leave the total out.
func (w *Usage) toLLM() *llm.Usage {
	if w == nil {
		return nil
	}
	u := &llm.Usage{
		PromptTokens:     int(w.PromptTokens),
		CompletionTokens: int(w.CompletionTokens),
		TotalTokens:      int(w.TotalTokens),
		CacheReadTokens:  int(w.CacheReadInputTokens),
		CacheWriteTokens: int(w.CacheCreationInputTokens),
	}
	if u.CacheReadTokens == 0 {
		u.CacheReadTokens = int(w.PromptTokensDetails.CachedTokens)
	}
	u.ReasoningTokens = int(w.CompletionTokensDetails.ReasoningTokens)
	if u.TotalTokens == 0 {
		u.TotalTokens = u.PromptTokens + u.CompletionTokens
	}
	return u
}
