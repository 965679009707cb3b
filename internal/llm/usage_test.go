package llm

import "testing"

// TestUsageCheck: usage no real call can have is refused, naming the count.
func TestUsageCheck(t *testing.T) {
	tests := []struct {
		name string
		u    Usage
		ok   bool
	}{
		{"zero", Usage{}, true},
		{"typical", Usage{PromptTokens: 19, CompletionTokens: 10, TotalTokens: 29, CacheReadTokens: 5}, true},
		{"largest window", Usage{PromptTokens: MaxUsageTokens}, true},
		{"negative prompt", Usage{PromptTokens: -1000000, CompletionTokens: 5}, false},
		{"negative cache read", Usage{CacheReadTokens: -1}, false},
		{"absurd completion", Usage{CompletionTokens: MaxUsageTokens + 1}, false},
		{"absurd total", Usage{TotalTokens: 1 << 40}, false},
	}
	for _, tt := range tests {
		if err := tt.u.Check(); (err == nil) != tt.ok {
			t.Errorf("%s: Check() = %v, want ok %v", tt.name, err, tt.ok)
		}
	}
}
