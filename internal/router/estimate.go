package router

import (
	"unicode"
	"unicode/utf8"

	"github.com/tollgate-gw/tollgate/internal/llm"
)

// EstimateTokens estimates a chat request's prompt tokens for pre-call
// checks and usage limits. It approximates a BPE tokenizer such as
// cl100k: a run of ASCII letters or digits is a token per four bytes, each
// other symbol or non-ASCII character a token, plus OpenAI's per-message
// overhead; an image counts 85 tokens (low detail). It errs high on code
// and non-Latin text, which is the safe side for a context-window check.
func EstimateTokens(req *llm.Request) int {
	n := 3 // the reply's priming
	for i := range req.Messages {
		m := &req.Messages[i]
		n += 4 + textTokens(m.Name)
		for j := range m.Content {
			switch p := &m.Content[j]; p.Type {
			case llm.PartText:
				n += textTokens(p.Text)
			case llm.PartImage:
				n += 85
			default:
				n += 50
			}
		}
		for _, tc := range m.ToolCalls {
			n += textTokens(tc.Name) + textTokens(string(tc.Arguments)) + 3
		}
	}
	for _, t := range req.Tools {
		n += textTokens(t.Name) + textTokens(t.Description) + textTokens(string(t.Parameters)) + 8
	}
	return n
}

// EstimateTextTokens estimates the tokens of plain texts (embeddings).
func EstimateTextTokens(texts []string) int {
	n := 0
	for _, t := range texts {
		n += textTokens(t)
	}
	return n
}

func textTokens(s string) int {
	n, run := 0, 0
	flush := func() {
		if run > 0 {
			n += (run + 3) / 4
			run = 0
		}
	}
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			i++
			switch {
			case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
				run++
			case c == ' ' || c == '\n' || c == '\t' || c == '\r':
				flush()
			default:
				flush()
				n++
			}
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		flush()
		if !unicode.IsSpace(r) {
			n++
		}
	}
	flush()
	return n
}
