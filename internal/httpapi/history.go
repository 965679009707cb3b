package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"github.com/tollgate-gw/tollgate/internal/history"
	"github.com/tollgate-gw/tollgate/internal/llm"
	"github.com/tollgate-gw/tollgate/internal/obs"
	brwire "github.com/tollgate-gw/tollgate/internal/wire/bedrock"
	oai "github.com/tollgate-gw/tollgate/internal/wire/openai"
)

// HistoryService is chat history as the data plane uses it (a
// *history.Service).
type HistoryService interface {
	Begin(ctx context.Context, owner history.Owner, req *llm.Request) (*history.Turn, error)
	Record(ctx context.Context, t *history.Turn, reply llm.Message, incomplete bool, requestID string) error
	Messages(ctx context.Context, owner, id string) ([]history.Entry, error)
	SessionIDs(ctx context.Context, owner string) ([]string, error)
}

// History wires chat history into the data plane.
type History struct {
	Service HistoryService
	// Owner returns who owns the calling principal's sessions, reading the
	// principal authentication put in ctx; false when the caller cannot
	// keep sessions.
	Owner func(ctx context.Context) (history.Owner, bool)
}

// sessionHeader carries the session id on the Bedrock interface, whose
// response bodies have no room for it.
const sessionHeader = "X-Session-Id"

// registerHistory mounts the chat-history endpoints (the genai-gateway
// middleware's paths and shapes).
func (d *DataPlane) registerHistory(mux Mux) {
	handle(mux, "POST", "/chat-history", d.authed(d.chatHistory))
	handle(mux, "POST", "/session-ids", d.authed(d.sessionIDs))
	handle(mux, "POST", "/bedrock/chat-history", d.authedWith(writeBedrockError, d.bedrockChatHistory))
}

// historyOwner returns the caller's session owner.
func (d *DataPlane) historyOwner(ctx context.Context) (history.Owner, error) {
	if d.history == nil {
		return history.Owner{}, &Error{Status: http.StatusNotImplemented, Type: "invalid_request_error", Code: "history_unavailable",
			Message: "chat history is not enabled on this gateway (it needs the key store)"}
	}
	owner, ok := d.history.Owner(ctx)
	if !ok {
		return history.Owner{}, &Error{Status: http.StatusForbidden, Type: "permission_error", Code: "history_not_allowed",
			Message: "this credential cannot keep chat history: use an API key"}
	}
	return owner, nil
}

// historyError classifies a history failure: an unknown session is a 404
// that does not say whether the id exists for another key.
func historyError(id string, err error) error {
	if errors.Is(err, history.ErrNotFound) {
		return &Error{Status: http.StatusNotFound, Type: "invalid_request_error", Code: "session_not_found", Param: "session_id",
			Message: "session_id " + strconv.Quote(id) + " was not found: it does not exist, has expired, or belongs to another key", Err: err}
	}
	var ae *Error
	if errors.As(err, &ae) {
		return err
	}
	return &Error{Status: http.StatusServiceUnavailable, Type: "server_error", Code: "history_unavailable",
		Message: "chat history is unavailable right now; retry, or call without session_id", Err: err}
}

// beginHistory starts the history turn req asks for and prepends the
// session's conversation to req.Messages. A request that uses no history
// (or a gateway without it) costs a branch and gets a nil turn.
func (d *DataPlane) beginHistory(r *http.Request, req *llm.Request) (*history.Turn, error) {
	if d.history == nil || !history.Wants(req) {
		return nil, nil
	}
	owner, err := d.historyOwner(r.Context())
	if err != nil {
		return nil, err
	}
	t, err := d.history.Service.Begin(r.Context(), owner, req)
	if err != nil {
		return nil, historyError(req.Gateway.SessionID, err)
	}
	return t, nil
}

// recordHistory stores a turn before the response completes, so the client
// can continue the session as soon as it has the answer. The answer is
// already paid for, so a failed write does not fail the call: it is in the
// request log line.
func (d *DataPlane) recordHistory(r *http.Request, t *history.Turn, reply llm.Message, incomplete bool) {
	rec := obs.RecordFrom(r.Context())
	if err := d.history.Service.Record(r.Context(), t, reply, incomplete, rec.RequestID); err != nil {
		msg := "chat history not recorded for session " + t.SessionID + ": " + err.Error()
		if rec.Error != "" {
			msg = rec.Error + "; " + msg
		}
		rec.Error = msg
	}
}

// replyOf is the message a conversation continues with: choice 0's.
func replyOf(resp *llm.Response) llm.Message {
	if len(resp.Choices) == 0 {
		return llm.Message{Role: llm.RoleAssistant}
	}
	return resp.Choices[0].Message
}

// sessionField is the top-level session_id member of an OpenAI-format
// response or first chunk.
func sessionField(t *history.Turn) []llm.Field {
	v, _ := json.Marshal(t.SessionID) // a string always encodes
	return []llm.Field{{Name: "session_id", Value: v}}
}

// historyRequest is the body of /chat-history and /bedrock/chat-history.
type historyRequest struct {
	SessionID string `json:"session_id"`
}

// loadHistory reads the request's session for its owner.
func (d *DataPlane) loadHistory(w http.ResponseWriter, r *http.Request) ([]history.Entry, error) {
	body, err := d.readBody(w, r)
	if err != nil {
		return nil, err
	}
	var hr historyRequest
	if err := json.Unmarshal(body, &hr); err != nil {
		return nil, badRequest("", "the body must be a JSON object with session_id: %v", err)
	}
	if hr.SessionID == "" {
		return nil, badRequest("session_id", "session_id is required")
	}
	owner, err := d.historyOwner(r.Context())
	if err != nil {
		return nil, err
	}
	entries, err := d.history.Service.Messages(r.Context(), owner.ID, hr.SessionID)
	if err != nil {
		return nil, historyError(hr.SessionID, err)
	}
	return entries, nil
}

// chatHistory serves POST /chat-history: {"messages": [...]}, every stored
// message in OpenAI's chat format, in order; a streamed reply that did not
// finish carries "incomplete": true.
func (d *DataPlane) chatHistory(w http.ResponseWriter, r *http.Request) {
	entries, err := d.loadHistory(w, r)
	if err != nil {
		writeError(w, r, err)
		return
	}
	msgs := make([]llm.Message, len(entries))
	for i := range entries {
		msgs[i] = entries[i].Message
	}
	var enc struct {
		Messages []json.RawMessage `json:"messages"`
	}
	if err := json.Unmarshal(oai.EncodeChatRequest(&llm.Request{Messages: msgs}, oai.RequestOptions{}), &enc); err != nil {
		writeError(w, r, fmt.Errorf("encoding chat history: %w", err))
		return
	}
	if len(enc.Messages) != len(entries) {
		writeError(w, r, fmt.Errorf("encoding chat history: %d messages encoded of %d", len(enc.Messages), len(entries)))
		return
	}
	if enc.Messages == nil {
		enc.Messages = []json.RawMessage{}
	}
	for i := range entries {
		if raw := enc.Messages[i]; entries[i].Incomplete && len(raw) > 1 && raw[len(raw)-1] == '}' {
			enc.Messages[i] = append(raw[:len(raw)-1:len(raw)-1], `,"incomplete":true}`...)
		}
	}
	writeHistoryJSON(w, r, writeError, enc)
}

// bedrockChatHistory serves POST /bedrock/chat-history: {"messages": [...],
// "system": [...]} in Converse's format, the conversation as the model sees
// it on the next turn (the latest system prompt; a reply cut off before any
// text left out).
func (d *DataPlane) bedrockChatHistory(w http.ResponseWriter, r *http.Request) {
	entries, err := d.loadHistory(w, r)
	if err != nil {
		writeBedrockError(w, r, err)
		return
	}
	conv := history.Conversation(entries, nil)
	// Converse has one system field: the system messages become its blocks.
	var system llm.Message
	n := 0
	for n < len(conv) && (conv[n].Role == llm.RoleSystem || conv[n].Role == llm.RoleDeveloper) {
		system.Content = append(system.Content, conv[n].Content...)
		n++
	}
	req := &llm.Request{Messages: conv[n:]}
	if n > 0 {
		system.Role = llm.RoleSystem
		req.Messages = append([]llm.Message{system}, conv[n:]...)
	}
	body, err := brwire.EncodeConverseRequest(req)
	if err != nil {
		writeBedrockError(w, r, badRequest("session_id", "the session holds content the Converse format cannot express (%v); read it from /chat-history", err))
		return
	}
	var enc struct {
		Messages json.RawMessage `json:"messages"`
		System   json.RawMessage `json:"system"`
	}
	if err := json.Unmarshal(body, &enc); err != nil {
		writeBedrockError(w, r, fmt.Errorf("encoding chat history: %w", err))
		return
	}
	if enc.Messages == nil {
		enc.Messages = json.RawMessage("[]")
	}
	if enc.System == nil {
		enc.System = json.RawMessage("[]")
	}
	writeHistoryJSON(w, r, writeBedrockError, enc)
}

// sessionIDs serves POST /session-ids: {"session_ids": [...]}, the caller's
// live sessions, oldest first. The body, if any, is ignored.
func (d *DataPlane) sessionIDs(w http.ResponseWriter, r *http.Request) {
	owner, err := d.historyOwner(r.Context())
	if err != nil {
		writeError(w, r, err)
		return
	}
	ids, err := d.history.Service.SessionIDs(r.Context(), owner.ID)
	if err != nil {
		writeError(w, r, historyError("", err))
		return
	}
	writeHistoryJSON(w, r, writeError, struct {
		SessionIDs []string `json:"session_ids"`
	}{ids})
}

// writeHistoryJSON answers v as JSON, or renders the failure with fail.
func writeHistoryJSON(w http.ResponseWriter, r *http.Request, fail func(http.ResponseWriter, *http.Request, error), v any) {
	b, err := json.Marshal(v)
	if err != nil {
		fail(w, r, fmt.Errorf("encoding chat history: %w", err))
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(b)
}
