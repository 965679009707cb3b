package httpapi

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
)

// Legacy text completions (POST /v1/completions) are served through the
// chat path: the prompt becomes one user message, the request runs as a
// chat completion (access, limits, routing, spend, streaming: all the
// chat path's), and the answer is rewritten into the text_completion
// shape on its way out. No provider adapter speaks the legacy API, so
// every model is bridged, as LiteLLM bridges providers that lack it.

// completionOnly are text-completion parameters that have no chat
// counterpart; a request that uses one is refused rather than answered
// without it.
var completionOnly = map[string]string{
	"echo":     "echo (returning the prompt with the completion) is not available through the chat bridge",
	"suffix":   "suffix (text after the insertion point) is not available through the chat bridge",
	"best_of":  "best_of is not available through the chat bridge; use n",
	"logprobs": "logprobs on text completions is not available through the chat bridge; use /v1/chat/completions with logprobs",
}

// completions serves POST /v1/completions and /completions.
func (d *DataPlane) completions(w http.ResponseWriter, r *http.Request) {
	body, err := d.readBody(w, r)
	if err != nil {
		writeError(w, r, err)
		return
	}
	chat, err := chatBodyOf(body)
	if err != nil {
		writeError(w, r, err)
		return
	}
	r.Body, r.ContentLength = io.NopCloser(bytes.NewReader(chat)), int64(len(chat))
	cw := &completionWriter{w: w}
	d.chat(cw, r)
	cw.finish()
}

// chatBodyOf turns a text-completion body into a chat-completion body.
func chatBodyOf(body []byte) ([]byte, error) {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(body, &fields); err != nil {
		return nil, badRequest("", "request body is not a JSON object: %v", err)
	}
	for name, why := range completionOnly {
		if v, ok := fields[name]; ok && !asksNothing(v) {
			return nil, badRequest(name, "%s", why)
		}
		delete(fields, name)
	}
	prompt, ok := fields["prompt"]
	if !ok {
		return nil, badRequest("prompt", "prompt is required: the text to complete")
	}
	delete(fields, "prompt")
	var text string
	if err := json.Unmarshal(prompt, &text); err != nil {
		var list []string
		if err := json.Unmarshal(prompt, &list); err != nil || len(list) != 1 {
			return nil, badRequest("prompt", "prompt must be a string or a list of one string (several prompts, or token arrays, are not available through the chat bridge)")
		}
		text = list[0]
	}
	msgs, _ := json.Marshal([]map[string]string{{"role": "user", "content": text}})
	fields["messages"] = msgs
	out, err := json.Marshal(fields)
	if err != nil {
		return nil, badRequest("", "request body: %v", err)
	}
	return out, nil
}

// completionWriter rewrites the chat path's successful answers into the
// text_completion shape: a JSON body once it is complete, a stream event
// by event as it passes. Errors pass unchanged (they share one shape).
type completionWriter struct {
	w      http.ResponseWriter
	status int
	stream bool
	body   []byte // the whole JSON answer, or a partial stream event
}

func (c *completionWriter) Header() http.Header { return c.w.Header() }

// Unwrap lets http.ResponseController reach the client's connection.
func (c *completionWriter) Unwrap() http.ResponseWriter { return c.w }

// FlushError flushes a stream; a JSON answer is held until finish
// rewrites it, so flushing it early would send the headers too soon.
func (c *completionWriter) FlushError() error {
	if !c.stream {
		return nil
	}
	return http.NewResponseController(c.w).Flush()
}

func (c *completionWriter) WriteHeader(status int) {
	if c.status != 0 {
		return
	}
	c.status = status
	h := c.w.Header()
	c.stream = status == http.StatusOK && strings.HasPrefix(h.Get("Content-Type"), "text/event-stream")
	if status != http.StatusOK || c.stream {
		c.w.WriteHeader(status)
		return
	}
	h.Del("Content-Length") // the rewritten body has its own; finish sets it
}

func (c *completionWriter) Write(p []byte) (int, error) {
	if c.status == 0 {
		c.WriteHeader(http.StatusOK)
	}
	switch {
	case c.status != http.StatusOK:
		return c.w.Write(p)
	case !c.stream:
		c.body = append(c.body, p...)
		return len(p), nil
	}
	c.body = append(c.body, p...)
	for {
		i := bytes.Index(c.body, []byte("\n\n"))
		if i < 0 {
			return len(p), nil
		}
		event := textEvent(c.body[:i+2])
		c.body = c.body[i+2:]
		if _, err := c.w.Write(event); err != nil {
			return 0, err
		}
	}
}

// finish writes a buffered JSON answer, rewritten.
func (c *completionWriter) finish() {
	if c.status != http.StatusOK || c.stream {
		return
	}
	out := textCompletion(c.body, "text_completion")
	c.w.Header().Set("Content-Length", strconv.Itoa(len(out)))
	c.w.WriteHeader(http.StatusOK)
	_, _ = c.w.Write(out)
}

// textEvent rewrites one SSE event; [DONE], errors and anything it does
// not recognise pass as they are.
func textEvent(event []byte) []byte {
	data, ok := bytes.CutPrefix(event, []byte("data: "))
	if !ok || !bytes.HasPrefix(data, []byte("{")) || bytes.HasPrefix(data, []byte(`{"error"`)) {
		return event
	}
	out := []byte("data: ")
	out = append(out, textCompletion(bytes.TrimSpace(data), "text_completion")...)
	return append(out, "\n\n"...)
}

// chatShape is what textCompletion reads of a chat completion or chunk.
type chatShape struct {
	ID                string          `json:"id"`
	Created           int64           `json:"created"`
	Model             string          `json:"model"`
	SystemFingerprint *string         `json:"system_fingerprint,omitempty"`
	Usage             json.RawMessage `json:"usage,omitempty"`
	SessionID         string          `json:"session_id,omitempty"`
	Choices           []struct {
		Index        int     `json:"index"`
		FinishReason *string `json:"finish_reason"`
		Message      *struct {
			Content *string `json:"content"`
		} `json:"message"`
		Delta *struct {
			Content *string `json:"content"`
		} `json:"delta"`
	} `json:"choices"`
}

type textChoice struct {
	Text         string          `json:"text"`
	Index        int             `json:"index"`
	Logprobs     json.RawMessage `json:"logprobs"`
	FinishReason *string         `json:"finish_reason"`
}

type textShape struct {
	ID                string          `json:"id"`
	Object            string          `json:"object"`
	Created           int64           `json:"created"`
	Model             string          `json:"model"`
	SystemFingerprint *string         `json:"system_fingerprint,omitempty"`
	Choices           []textChoice    `json:"choices"`
	Usage             json.RawMessage `json:"usage,omitempty"`
	SessionID         string          `json:"session_id,omitempty"`
}

// textCompletion rewrites a chat completion (or chunk) as a text
// completion; what does not parse passes unchanged.
func textCompletion(chat []byte, object string) []byte {
	var in chatShape
	if json.Unmarshal(chat, &in) != nil {
		return chat
	}
	out := textShape{ID: in.ID, Object: object, Created: in.Created, Model: in.Model, SystemFingerprint: in.SystemFingerprint,
		Choices: make([]textChoice, 0, len(in.Choices)), Usage: in.Usage, SessionID: in.SessionID}
	for _, ch := range in.Choices {
		tc := textChoice{Index: ch.Index, Logprobs: json.RawMessage("null"), FinishReason: ch.FinishReason}
		switch {
		case ch.Message != nil && ch.Message.Content != nil:
			tc.Text = *ch.Message.Content
		case ch.Delta != nil && ch.Delta.Content != nil:
			tc.Text = *ch.Delta.Content
		}
		out.Choices = append(out.Choices, tc)
	}
	b, err := json.Marshal(out)
	if err != nil {
		return chat
	}
	return b
}
