package fake

import (
	"encoding/json"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/tollgate-gw/tollgate/internal/llm"
)

// vocabulary is the read-only word list the reply sentences draw from.
var vocabulary = [...]string{
	"the", "gateway", "routes", "every", "request", "to", "a", "model", "that", "answers",
	"quickly", "and", "tokens", "stream", "back", "while", "latency", "stays", "low", "under",
	"load", "each", "deployment", "keeps", "its", "own", "credentials", "budget", "limits",
	"apply", "before", "upstream", "call", "starts", "responses", "arrive", "in", "order",
	"with", "usage", "counted", "for", "spend", "logs", "record", "what", "happened", "here",
	"fake", "replies", "are", "deterministic", "so", "tests", "can", "check", "them", "easily",
	"serverless", "functions", "scale", "out",
}

// echoLimit is how many bytes of the user's text a reply echoes.
const echoLimit = 64

// respond computes the whole answer to req. Everything is a pure function of
// the request except Created, which is now.
func (m *Model) respond(req *llm.Request, now time.Time) *llm.Response {
	h := requestHash(req)
	n := 1
	if req.N != nil && *req.N > 1 {
		n = *req.N
	}
	model := m.opts.ModelID
	if model == "" {
		model = req.Model
	}
	// One allocation holds the response, its usage and, in the common n=1
	// case, its choice.
	a := &struct {
		resp  llm.Response
		usage llm.Usage
		one   [1]llm.Choice
	}{}
	resp := &a.resp
	resp.ID = hexID("chatcmpl-fake-", h)
	resp.Model = model
	resp.Created = now.Unix()
	if n == 1 {
		resp.Choices = a.one[:]
	} else {
		resp.Choices = make([]llm.Choice, n)
	}
	completion := 0
	for i := range resp.Choices {
		c := &resp.Choices[i]
		c.Index = i
		completion += m.choose(req, choiceHash(h, i), c)
	}
	prompt := promptTokens(req)
	a.usage = llm.Usage{
		PromptTokens:     prompt,
		CompletionTokens: completion,
		TotalTokens:      prompt + completion,
	}
	resp.Usage = &a.usage
	return resp
}

// choose fills one choice and returns its completion tokens.
func (m *Model) choose(req *llm.Request, h uint64, c *llm.Choice) int {
	c.Message.Role = llm.RoleAssistant
	if tc, ok := toolCall(req, h); ok {
		c.Message.ToolCalls = []llm.ToolCall{tc}
		c.FinishReason = llm.FinishToolCalls
		return toolCallTokens + tokens(len(tc.Name)+len(tc.Arguments))
	}
	text, finish := limit(m.text(req, h), req.Stop, maxTokens(req))
	c.Message.Content = []llm.Part{{Type: llm.PartText, Text: text}}
	c.Message.StringContent = true
	c.FinishReason = finish
	return tokens(len(text))
}

// text is the untruncated reply text.
func (m *Model) text(req *llm.Request, h uint64) string {
	if n := len(req.Messages); n > 0 && req.Messages[n-1].Role == llm.RoleTool {
		return toolResultReply(req.Messages)
	}
	if m.opts.MockResponse != "" {
		return m.opts.MockResponse
	}
	if rf := req.ResponseFormat; rf != nil {
		switch rf.Type {
		case "json_schema":
			var js struct {
				Schema json.RawMessage `json:"schema"`
			}
			if json.Unmarshal(rf.JSONSchema, &js) == nil {
				return string(placeholder(js.Schema, "value"))
			}
			return "{}"
		case "json_object":
			b, _ := json.Marshal(struct {
				Reply string `json:"reply"`
			}{sentence(lastUserText(req.Messages), h)})
			return string(b)
		}
	}
	return sentence(lastUserText(req.Messages), h)
}

// sentence builds `You said: "<echo>". ` and a hash-chosen sentence.
func sentence(user []llm.Part, h uint64) string {
	var b strings.Builder
	b.Grow(echoLimit + 200)
	if hasText(user) {
		b.WriteString(`You said: "`)
		writeEcho(&b, user, echoLimit)
		b.WriteString(`". `)
	}
	words := 8 + int(h%9)
	s := h
	for i := range words {
		s = splitmix(s)
		w := vocabulary[s%uint64(len(vocabulary))]
		if i == 0 {
			b.WriteByte(w[0] - 'a' + 'A')
			b.WriteString(w[1:])
			continue
		}
		b.WriteByte(' ')
		b.WriteString(w)
	}
	b.WriteByte('.')
	return b.String()
}

// toolResultReply answers the trailing run of tool-result messages by naming
// each tool and echoing what it returned.
func toolResultReply(msgs []llm.Message) string {
	start := len(msgs)
	for start > 0 && msgs[start-1].Role == llm.RoleTool {
		start--
	}
	var b strings.Builder
	for i := start; i < len(msgs); i++ {
		if i > start {
			b.WriteByte(' ')
		}
		b.WriteString("The ")
		if name := toolName(msgs[:start], msgs[i].ToolCallID); name != "" {
			b.WriteString(name)
			b.WriteByte(' ')
		}
		b.WriteString(`tool returned: "`)
		writeEcho(&b, msgs[i].Content, echoLimit*2)
		b.WriteString(`".`)
	}
	return b.String()
}

// toolName finds the name of the call id among the assistant's tool calls.
func toolName(msgs []llm.Message, id string) string {
	for i := len(msgs) - 1; i >= 0; i-- {
		for _, tc := range msgs[i].ToolCalls {
			if tc.ID == id {
				return tc.Name
			}
		}
	}
	return ""
}

// lastUserText returns the content of the last user message.
func lastUserText(msgs []llm.Message) []llm.Part {
	for i := len(msgs) - 1; i >= 0; i-- {
		if msgs[i].Role == llm.RoleUser {
			return msgs[i].Content
		}
	}
	return nil
}

func hasText(parts []llm.Part) bool {
	for i := range parts {
		if parts[i].Type == llm.PartText && strings.TrimSpace(parts[i].Text) != "" {
			return true
		}
	}
	return false
}

// writeEcho writes the text parts with whitespace runs collapsed to one
// space, cut after about limit bytes at a rune boundary with "…". It copies
// whole words at a time: the echo is on the path of every fake reply.
func writeEcho(b *strings.Builder, parts []llm.Part, limit int) {
	n := 0
	space := false
	for i := range parts {
		if parts[i].Type != llm.PartText {
			continue
		}
		s := parts[i].Text
		for j := 0; j < len(s); {
			if size, ok := spaceAt(s, j); ok {
				space = n > 0
				j += size
				continue
			}
			k := j + 1
			for k < len(s) {
				if c := s[k]; c < utf8.RuneSelf {
					if asciiSpace(c) {
						break
					}
					k++
					continue
				}
				size, ok := spaceAt(s, k)
				if ok {
					break
				}
				k += size
			}
			if n >= limit {
				b.WriteString("…")
				return
			}
			if space {
				b.WriteByte(' ')
				n++
				space = false
			}
			word := s[j:k]
			if n+len(word) > limit {
				cut := max(limit-n, 1)
				for cut < len(word) && !utf8.RuneStart(word[cut]) {
					cut++
				}
				b.WriteString(word[:cut])
				if cut < len(word) {
					b.WriteString("…")
					return
				}
			} else {
				b.WriteString(word)
			}
			n += len(word)
			j = k
		}
		space = n > 0
	}
}

func asciiSpace(c byte) bool { return c == ' ' || '\t' <= c && c <= '\r' }

// spaceAt reports whether s[i:] starts with white space, and the size of
// the rune there.
func spaceAt(s string, i int) (int, bool) {
	if c := s[i]; c < utf8.RuneSelf {
		return 1, asciiSpace(c)
	}
	r, size := utf8.DecodeRuneInString(s[i:])
	return size, unicode.IsSpace(r)
}

// limit applies stop sequences, then the token limit.
func limit(text string, stop []string, max *int) (string, string) {
	for _, s := range stop {
		if s == "" {
			continue
		}
		if i := strings.Index(text, s); i >= 0 {
			text = text[:i]
		}
	}
	if max == nil {
		return text, llm.FinishStop
	}
	maxBytes := max0(*max) * bytesPerToken
	if len(text) <= maxBytes {
		return text, llm.FinishStop
	}
	for maxBytes > 0 && !utf8.RuneStart(text[maxBytes]) {
		maxBytes--
	}
	return text[:maxBytes], llm.FinishLength
}

func maxTokens(req *llm.Request) *int {
	if req.MaxCompletionTokens != nil {
		return req.MaxCompletionTokens
	}
	return req.MaxTokens
}

func max0(n int) int {
	if n < 0 {
		return 0
	}
	return n
}
