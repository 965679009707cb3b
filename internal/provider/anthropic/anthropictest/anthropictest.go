// Package anthropictest is a loopback fake of Anthropic's Messages API for
// tests: it answers in the real wire format (JSON, and the SSE event
// sequence message_start, content_block_start/delta/stop, ping,
// message_delta with usage, message_stop) and refuses, with Anthropic's
// error body and status, what the real API refuses: a missing x-api-key or
// anthropic-version, a missing max_tokens, a system role inside messages,
// members the API does not define, empty text blocks, a thinking budget
// not below max_tokens.
package anthropictest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/tollgate-gw/tollgate/internal/provider/openai/openaitest"
	"github.com/tollgate-gw/tollgate/internal/provider/providertest"
	"github.com/tollgate-gw/tollgate/internal/provider/upstream/faulttest"
)

// Key is the API key the fake accepts.
const Key = "sk-ant-test"

// Server is a recording fake; see openaitest.Server for its methods.
type Server = openaitest.Server

// NewServer starts a fake that checks each call as the real API does and
// answers the valid ones with reply.
func NewServer(t testing.TB, reply http.HandlerFunc) *Server {
	return openaitest.NewServer(t, func(w http.ResponseWriter, r *http.Request) {
		if status, typ, msg := Check(r); status != 0 {
			Error(w, status, typ, msg)
			return
		}
		reply(w, r)
	})
}

// Error answers with Anthropic's error body.
func Error(w http.ResponseWriter, status int, typ, msg string, headers ...string) {
	openaitest.JSON(status, ErrorBody(typ, msg), headers...)(w, nil)
}

// ErrorBody is Anthropic's error JSON.
func ErrorBody(typ, msg string) string {
	return `{"type":"error","error":{"type":` + strconv.Quote(typ) + `,"message":` + strconv.Quote(msg) + `}}`
}

// members are the top-level request members the Messages API defines.
var members = []string{"model", "max_tokens", "messages", "system", "tools", "tool_choice", "temperature", "top_p", "top_k",
	"stop_sequences", "stream", "metadata", "thinking", "service_tier", "container", "mcp_servers"}

// Check validates a request as the real API does: status 0 when it is
// valid, else the status, error type and message Anthropic answers.
func Check(r *http.Request) (status int, typ, msg string) {
	switch {
	case r.Method != http.MethodPost || r.URL.Path != "/v1/messages":
		return http.StatusNotFound, "not_found_error", "Not Found"
	case r.Header.Get("X-Api-Key") == "":
		return http.StatusUnauthorized, "authentication_error", "x-api-key header is required"
	case r.Header.Get("X-Api-Key") != Key:
		return http.StatusUnauthorized, "authentication_error", "invalid x-api-key"
	case r.Header.Get("Anthropic-Version") == "":
		return http.StatusBadRequest, "invalid_request_error", "anthropic-version: header is required"
	case r.Header.Get("Authorization") != "":
		return http.StatusUnauthorized, "authentication_error", "unexpected Authorization header next to x-api-key"
	}
	body, _ := io.ReadAll(r.Body)
	r.Body = io.NopCloser(bytes.NewReader(body))
	bad := func(format string, a ...any) (int, string, string) {
		return http.StatusBadRequest, "invalid_request_error", fmt.Sprintf(format, a...)
	}
	var req map[string]json.RawMessage
	if err := json.Unmarshal(body, &req); err != nil {
		return bad("invalid JSON: %v", err)
	}
	for k := range req {
		if !slices.Contains(members, k) {
			return bad("%s: Extra inputs are not permitted", k)
		}
	}
	var typed struct {
		Model     string `json:"model"`
		MaxTokens *int   `json:"max_tokens"`
		Messages  []struct {
			Role    string          `json:"role"`
			Content json.RawMessage `json:"content"`
		} `json:"messages"`
		System   json.RawMessage `json:"system"`
		Thinking *struct {
			Type   string `json:"type"`
			Budget int    `json:"budget_tokens"`
		} `json:"thinking"`
	}
	if err := json.Unmarshal(body, &typed); err != nil {
		return bad("invalid request: %v", err)
	}
	switch {
	case typed.Model == "":
		return bad("model: Field required")
	case typed.MaxTokens == nil:
		return bad("max_tokens: Field required")
	case *typed.MaxTokens < 1:
		return bad("max_tokens: Input should be greater than or equal to 1")
	case len(typed.Messages) == 0:
		return bad("messages: at least one message is required")
	case typed.Thinking != nil && typed.Thinking.Type == "enabled" && typed.Thinking.Budget >= *typed.MaxTokens:
		return bad("`max_tokens` must be greater than `thinking.budget_tokens`")
	case typed.Thinking != nil && typed.Thinking.Type == "enabled" && typed.Thinking.Budget < 1024:
		return bad("thinking.budget_tokens: Input should be greater than or equal to 1024")
	}
	for i, m := range typed.Messages {
		if m.Role != "user" && m.Role != "assistant" {
			return bad("messages.%d.role: Input should be 'user' or 'assistant'", i)
		}
		if i > 0 && typed.Messages[i-1].Role == m.Role {
			return bad("messages: roles must alternate between \"user\" and \"assistant\"")
		}
		var blocks []map[string]json.RawMessage
		if json.Unmarshal(m.Content, &blocks) != nil {
			var s string
			if json.Unmarshal(m.Content, &s) != nil {
				return bad("messages.%d.content: Input should be a valid list or string", i)
			}
			continue
		}
		for j, b := range blocks {
			var t, text string
			_ = json.Unmarshal(b["type"], &t)
			_ = json.Unmarshal(b["text"], &text)
			if t == "text" && strings.TrimSpace(text) == "" {
				return bad("messages.%d.content.%d.text: text content blocks must contain non-whitespace text", i, j)
			}
		}
	}
	return 0, "", ""
}

// Event is one SSE event of the Messages stream: "event: type" then its data.
func Event(typ, data string) string {
	return "event: " + typ + "\ndata: " + data + "\n\n"
}

// MessageStart is the message_start event with the given input tokens.
func MessageStart(inputTokens int) string {
	return Event("message_start", fmt.Sprintf(`{"type":"message_start","message":{"id":"msg_c","type":"message","role":"assistant",`+
		`"model":"claude-test","content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":%d,"output_tokens":1}}}`, inputTokens))
}

// TextStart, TextDelta, BlockStop, MessageDelta, MessageStop and Ping are
// the other events of a text stream.
func TextStart(index int) string {
	return Event("content_block_start", fmt.Sprintf(`{"type":"content_block_start","index":%d,"content_block":{"type":"text","text":""}}`, index))
}

// TextDelta is a text_delta event.
func TextDelta(index int, text string) string {
	return Event("content_block_delta", fmt.Sprintf(`{"type":"content_block_delta","index":%d,"delta":{"type":"text_delta","text":%s}}`, index, strconv.Quote(text)))
}

// BlockStop is a content_block_stop event.
func BlockStop(index int) string {
	return Event("content_block_stop", fmt.Sprintf(`{"type":"content_block_stop","index":%d}`, index))
}

// MessageDelta is the message_delta event with the stop reason and the
// final output tokens.
func MessageDelta(stop string, outputTokens int) string {
	return Event("message_delta", fmt.Sprintf(`{"type":"message_delta","delta":{"stop_reason":%q,"stop_sequence":null},"usage":{"output_tokens":%d}}`, stop, outputTokens))
}

// MessageStop is the message_stop event.
const MessageStop = "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n"

// Ping is a ping event.
const Ping = "event: ping\ndata: {\"type\": \"ping\"}\n\n"

// Message is a complete JSON response with the given content blocks.
func Message(content, stop string, usage string) string {
	return `{"id":"msg_c","type":"message","role":"assistant","model":"claude-test","content":[` + content +
		`],"stop_reason":"` + stop + `","stop_sequence":null,"usage":` + usage + `}`
}

// Conformance answers as the Messages API following s, for providertest.Run.
func Conformance(s providertest.Script) http.HandlerFunc {
	usage := fmt.Sprintf(`{"input_tokens":%d,"output_tokens":%d}`, providertest.PromptTokens, providertest.CompletionTokens)
	rest := providertest.ReplyText[len(providertest.ReplyFirst):]
	head := MessageStart(providertest.PromptTokens) + TextStart(0)
	switch s.Scenario {
	case providertest.Text:
		if s.Stream {
			return openaitest.SSE(MessageStart(providertest.PromptTokens), TextStart(0), Ping, TextDelta(0, providertest.ReplyFirst),
				TextDelta(0, rest), BlockStop(0), MessageDelta("end_turn", providertest.CompletionTokens), MessageStop)
		}
		return openaitest.JSON(http.StatusOK, Message(`{"type":"text","text":`+strconv.Quote(providertest.ReplyText)+`}`, "end_turn", usage))
	case providertest.ToolCall:
		if s.Stream {
			args := providertest.ToolArgs
			delta := func(a string) string {
				return Event("content_block_delta", `{"type":"content_block_delta","index":0,"delta":{"type":"input_json_delta","partial_json":`+strconv.Quote(a)+`}}`)
			}
			return openaitest.SSE(MessageStart(providertest.PromptTokens),
				Event("content_block_start", `{"type":"content_block_start","index":0,"content_block":{"type":"tool_use","id":"`+providertest.ToolID+
					`","name":"`+providertest.ToolName+`","input":{}}}`),
				delta(""), delta(args[:5]), delta(args[5:]), BlockStop(0), MessageDelta("tool_use", providertest.CompletionTokens), MessageStop)
		}
		return openaitest.JSON(http.StatusOK, Message(`{"type":"tool_use","id":"`+providertest.ToolID+`","name":"`+providertest.ToolName+
			`","input":`+providertest.ToolArgs+`}`, "tool_use", usage))
	case providertest.Fail:
		var headers []string
		if s.RetryAfter > 0 {
			headers = []string{"Retry-After", strconv.Itoa(s.RetryAfter)}
		}
		return func(w http.ResponseWriter, _ *http.Request) {
			Error(w, s.Status, "api_error", providertest.ErrorMessage, headers...)
		}
	case providertest.MidStreamFail:
		return openaitest.SSE(head, TextDelta(0, providertest.ReplyFirst),
			Event("error", ErrorBody("overloaded_error", providertest.ErrorMessage)))
	case providertest.Stall:
		prefix, contentType := "", ""
		if s.Stream {
			contentType = "text/event-stream"
			prefix = head + TextDelta(0, providertest.ReplyFirst)
		}
		stall := faulttest.Stall(contentType, prefix, s.Gone)
		var once sync.Once
		return func(w http.ResponseWriter, r *http.Request) {
			if s.Started != nil {
				once.Do(func() { close(s.Started) })
			}
			stall(w, r)
		}
	}
	panic(fmt.Sprintf("anthropictest: unknown scenario %d", s.Scenario))
}
