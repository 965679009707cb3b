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
	var c TokenCounter
	c.Add(s)
	return c.Tokens()
}

// TokenCounter estimates the tokens of text that arrives in pieces, such
// as a stream's deltas, as EstimateTextTokens would count the whole text:
// a word split across two pieces counts once. Billing uses it for the
// completion of a stream that ended without usage.
type TokenCounter struct{ n, run int }

// Add counts the next piece of text.
func (c *TokenCounter) Add(s string) {
	for i := 0; i < len(s); {
		b := s[i]
		if b < utf8.RuneSelf {
			i++
			switch {
			case b >= 'a' && b <= 'z', b >= 'A' && b <= 'Z', b >= '0' && b <= '9':
				c.run++
			case b == ' ' || b == '\n' || b == '\t' || b == '\r':
				c.flush()
			default:
				c.flush()
				c.n++
			}
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		c.flush()
		if !unicode.IsSpace(r) {
			c.n++
		}
	}
}

// AddChunk counts what a stream chunk carries: text, reasoning, refusal
// and tool calls of every choice.
func (c *TokenCounter) AddChunk(ch *llm.Chunk) {
	for i := range ch.Choices {
		d := &ch.Choices[i].Delta
		c.Add(d.Content)
		if d.Reasoning != nil {
			c.Add(d.Reasoning.Text)
		}
		c.Add(d.Refusal)
		for j := range d.ToolCalls {
			c.Add(d.ToolCalls[j].Name)
			c.Add(d.ToolCalls[j].Arguments)
		}
	}
}

// Tokens returns the estimate so far.
func (c *TokenCounter) Tokens() int { return c.n + (c.run+3)/4 }

func (c *TokenCounter) flush() {
	if c.run > 0 {
		c.n += (c.run + 3) / 4
		c.run = 0
	}
}

// ImageTokenBound is what the strict budget reserves for each image of a
// prompt. An image's tokens depend on its pixels, which the gateway does
// not decode: 1,600 covers OpenAI's gpt-4o family at high detail (at most
// 1,445 for a 2048×768 image), Anthropic's Claude (about 1,600 for the
// largest image it takes without resizing) and Gemini (258 per tile).
// Models that count an image as far more tokens at a lower price (the
// gpt-4o-mini family) can cost more than the reservation; see
// docs/data-model.md, "Strict budgets".
const ImageTokenBound = 1600

// PromptTokenBound is an upper bound of a chat request's prompt tokens, for
// the strict budget reservation, taken from the decoded request whatever
// its transfer encoding. Every tokenizer the gateway prices (byte-level
// BPE, SentencePiece with byte fallback) spends at least one byte of text
// per token, so the text's UTF-8 length bounds its tokens; to that come
// OpenAI's per-message overhead, ImageTokenBound per image, and for
// documents and audio their byte length (a file's text is no longer than
// the file) plus, for a document, ImageTokenBound for pages read as images.
func PromptTokenBound(req *llm.Request) int64 {
	n := int64(3)
	for i := range req.Messages {
		m := &req.Messages[i]
		n += 4 + int64(len(m.Name)+len(m.Refusal))
		for j := range m.Content {
			switch p := &m.Content[j]; p.Type {
			case llm.PartImage:
				n += ImageTokenBound
			case llm.PartDocument:
				n += ImageTokenBound // a document's pages may be read as images too
				if p.Document != nil {
					n += int64(len(p.Document.Data))
				}
			case llm.PartAudio:
				if p.Audio != nil {
					n += int64(len(p.Audio.Data))
				}
			default:
				n += int64(len(p.Text))
			}
		}
		for _, tc := range m.ToolCalls {
			n += int64(len(tc.Name)+len(tc.Arguments)) + 3
		}
		if m.Reasoning != nil {
			n += int64(len(m.Reasoning.Text))
		}
	}
	for _, t := range req.Tools {
		n += int64(len(t.Name)+len(t.Description)+len(t.Parameters)) + 8
	}
	if rf := req.ResponseFormat; rf != nil {
		n += int64(len(rf.JSONSchema))
	}
	return n
}

// EmbeddingTokenBound is an upper bound of an embedding request's input
// tokens: the inputs' UTF-8 length, or for pre-tokenized inputs the length
// of their JSON (every token id takes at least a digit and a separator).
func EmbeddingTokenBound(req *llm.EmbeddingRequest) int64 {
	n := int64(len(req.InputTokens))
	for _, s := range req.Input {
		n += int64(len(s))
	}
	return n
}
