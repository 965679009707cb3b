package fake

import "github.com/tollgate-gw/tollgate/internal/llm"

// Token estimates in the spirit of OpenAI's cookbook: about four bytes of
// English per token, a few tokens of framing per message, a fixed cost per
// image at low detail. Close enough for spend and rate-limit tests to see
// realistic numbers without shipping a tokenizer.
const (
	bytesPerToken  = 4
	perMessage     = 3  // <|start|>role ... <|end|>
	perName        = 1  // a message's name field
	replyPriming   = 3  // every reply is primed with <|start|>assistant<|message|>
	perImage       = 85 // an image part at low detail
	perTool        = 8  // framing of one tool definition
	toolCallTokens = 3  // framing of one tool call
)

// tokens estimates the tokens of n bytes of text: one per four bytes, rounded up.
func tokens(n int) int {
	return (n + bytesPerToken - 1) / bytesPerToken
}

// promptTokens estimates the prompt's tokens, at least 1.
func promptTokens(req *llm.Request) int {
	n := replyPriming
	for i := range req.Messages {
		m := &req.Messages[i]
		n += perMessage
		if m.Name != "" {
			n += perName
		}
		text := 0
		for j := range m.Content {
			p := &m.Content[j]
			switch p.Type {
			case llm.PartText:
				text += len(p.Text)
			case llm.PartImage:
				n += perImage
			case llm.PartDocument:
				if p.Document != nil {
					text += len(p.Document.Data)
				}
			case llm.PartAudio:
				if p.Audio != nil {
					text += len(p.Audio.Data)
				}
			}
		}
		n += tokens(text)
		for _, tc := range m.ToolCalls {
			n += toolCallTokens + tokens(len(tc.Name)+len(tc.Arguments))
		}
	}
	for i := range req.Tools {
		t := &req.Tools[i]
		n += perTool + tokens(len(t.Name)+len(t.Description)+len(t.Parameters))
	}
	return max(n, 1)
}
