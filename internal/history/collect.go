package history

import (
	"strings"

	"github.com/tollgate-gw/tollgate/internal/llm"
)

// Collector rebuilds the assistant message of a streamed reply from its
// chunks (choice 0, the one a conversation continues with). The zero value
// is ready; the handler that relays the stream owns it, so it needs no lock.
type Collector struct {
	role      llm.Role
	text      strings.Builder
	refusal   strings.Builder
	reasoning strings.Builder
	signature string
	redacted  []byte
	calls     []llm.ToolCall
	// callAt maps a tool-call delta index to its place in calls.
	callAt map[int]int
}

// Add takes in one chunk.
func (c *Collector) Add(ch *llm.Chunk) {
	for i := range ch.Choices {
		cc := &ch.Choices[i]
		if cc.Index != 0 {
			continue
		}
		d := &cc.Delta
		if d.Role != "" {
			c.role = d.Role
		}
		c.text.WriteString(d.Content)
		c.refusal.WriteString(d.Refusal)
		if r := d.Reasoning; r != nil {
			c.reasoning.WriteString(r.Text)
			if r.Signature != "" {
				c.signature = r.Signature
			}
			c.redacted = append(c.redacted, r.Redacted...)
		}
		for _, td := range d.ToolCalls {
			at, ok := c.callAt[td.Index]
			if !ok {
				if c.callAt == nil {
					c.callAt = map[int]int{}
				}
				at = len(c.calls)
				c.callAt[td.Index] = at
				c.calls = append(c.calls, llm.ToolCall{Type: "function"})
			}
			tc := &c.calls[at]
			if td.ID != "" {
				tc.ID = td.ID
			}
			if td.Type != "" {
				tc.Type = td.Type
			}
			if td.Name != "" {
				tc.Name = td.Name
			}
			tc.Arguments += td.Arguments
		}
	}
}

// Message returns the reply collected so far. complete says whether the
// stream ended normally: an incomplete reply keeps its text but not its
// tool calls, whose arguments may be cut off mid-JSON.
func (c *Collector) Message(complete bool) llm.Message {
	m := llm.Message{Role: c.role, Refusal: c.refusal.String()}
	if m.Role == "" {
		m.Role = llm.RoleAssistant
	}
	if c.text.Len() > 0 {
		m.Content = []llm.Part{{Type: llm.PartText, Text: c.text.String()}}
	}
	if c.reasoning.Len() > 0 || c.signature != "" || len(c.redacted) > 0 {
		m.Reasoning = &llm.Reasoning{Text: c.reasoning.String(), Signature: c.signature, Redacted: c.redacted}
	}
	if complete {
		m.ToolCalls = c.calls
	}
	return m
}
