package history

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/tollgate-gw/tollgate/internal/llm"
	"github.com/tollgate-gw/tollgate/internal/store"
)

// Defaults.
const (
	// DefaultTTL is how long a session lives after it was created.
	DefaultTTL = 30 * 24 * time.Hour
	// DefaultWriteTimeout bounds the writes of one turn.
	DefaultWriteTimeout = 5 * time.Second
)

// ErrNotFound means the session does not exist, expired, or belongs to
// someone else: callers answer 404 and cannot tell which.
var ErrNotFound = errors.New("chat session not found")

// Options tune a Service; nil or zero fields mean defaults.
type Options struct {
	// TTL is a session's lifetime from its creation: DefaultTTL when zero,
	// no expiry when negative.
	TTL time.Duration
	// WriteTimeout bounds Record: DefaultWriteTimeout when zero.
	WriteTimeout time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Owner is who a session belongs to.
type Owner struct {
	// ID is the owner string sessions are stored under.
	ID string
	// UserID is the caller's user, kept on new sessions for admin views.
	UserID string
}

// Service is chat history over a store.
type Service struct {
	st           *store.Store
	ttl          time.Duration
	writeTimeout time.Duration
	now          func() time.Time
}

// New returns the history service over st.
func New(st *store.Store, opts *Options) *Service {
	s := &Service{st: st, ttl: DefaultTTL, writeTimeout: DefaultWriteTimeout, now: time.Now}
	if opts != nil {
		if opts.TTL != 0 {
			s.ttl = opts.TTL
		}
		if opts.WriteTimeout > 0 {
			s.writeTimeout = opts.WriteTimeout
		}
		if opts.Now != nil {
			s.now = opts.Now
		}
	}
	return s
}

// TTL returns the session lifetime (negative: no expiry).
func (s *Service) TTL() time.Duration { return s.ttl }

// Wants reports whether req uses chat history.
func Wants(req *llm.Request) bool { return req.Gateway.EnableHistory || req.Gateway.SessionID != "" }

// Turn is one call in a session: what the client sent, stored with the
// reply by Record.
type Turn struct {
	// SessionID is the session's id, returned to the client.
	SessionID string
	owner     Owner
	isNew     bool
	sent      []llm.Message
	model     string
}

// Entry is one stored message.
type Entry struct {
	Message llm.Message
	// Incomplete marks a streamed reply that did not finish.
	Incomplete bool
}

// Begin starts the turn req asks for. With a session id it loads the
// owner's session (ErrNotFound when there is none for this owner) and
// replaces req.Messages with the conversation so far followed by the new
// messages (see Conversation); with enable_history alone it picks the id of
// a new session, created when the turn is recorded. It returns nil when req
// uses no history.
func (s *Service) Begin(ctx context.Context, owner Owner, req *llm.Request) (*Turn, error) {
	if !Wants(req) {
		return nil, nil
	}
	t := &Turn{owner: owner, sent: req.Messages, model: req.Model}
	id := req.Gateway.SessionID
	if id == "" {
		t.SessionID, t.isNew = store.NewID(), true
		return t, nil
	}
	entries, err := s.load(ctx, owner.ID, id)
	if err != nil {
		return nil, err
	}
	t.SessionID = id
	req.Messages = Conversation(entries, req.Messages)
	return t, nil
}

// Conversation is what the model sees of a session: the latest system
// prompt (the system messages the new turn leads with, else the last run
// of them stored), then the stored conversation without its system
// messages, then the new turn's other messages. An incomplete reply with no
// text is left out: there is nothing of it to continue from.
func Conversation(entries []Entry, turn []llm.Message) []llm.Message {
	newSystem := 0
	for newSystem < len(turn) && isSystem(turn[newSystem].Role) {
		newSystem++
	}
	out := make([]llm.Message, 0, len(entries)+len(turn))
	out = append(out, turn[:newSystem]...)
	if newSystem == 0 {
		end := len(entries)
		for end > 0 && !isSystem(entries[end-1].Message.Role) {
			end--
		}
		start := end
		for start > 0 && isSystem(entries[start-1].Message.Role) {
			start--
		}
		for i := start; i < end; i++ {
			out = append(out, entries[i].Message)
		}
	}
	for i := range entries {
		e := &entries[i]
		if isSystem(e.Message.Role) || e.Incomplete && len(e.Message.Content) == 0 && len(e.Message.ToolCalls) == 0 {
			continue
		}
		out = append(out, e.Message)
	}
	return append(out, turn[newSystem:]...)
}

func isSystem(r llm.Role) bool { return r == llm.RoleSystem || r == llm.RoleDeveloper }

// Record stores the turn: the messages the client sent, then reply (marked
// incomplete when the stream did not finish). A new session is created
// first. It runs under its own context, bounded by the write timeout and
// not cancelled with ctx, so a client that went away does not lose the
// turn; it returns before the caller's handler does.
func (s *Service) Record(ctx context.Context, t *Turn, reply llm.Message, incomplete bool, requestID string) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.writeTimeout)
	defer cancel()
	msgs := make([]store.Message, 0, len(t.sent)+1)
	for i := range t.sent {
		raw, err := encodeMessage(&t.sent[i])
		if err != nil {
			return err
		}
		msgs = append(msgs, store.Message{Role: string(t.sent[i].Role), Content: raw, RequestID: requestID})
	}
	if reply.Role == "" {
		reply.Role = llm.RoleAssistant
	}
	raw, err := encodeMessage(&reply)
	if err != nil {
		return err
	}
	msgs = append(msgs, store.Message{Role: string(reply.Role), Content: raw, Model: t.model, RequestID: requestID, Incomplete: incomplete})
	if t.isNew {
		sess := &store.Session{ID: t.SessionID, Owner: t.owner.ID, UserID: t.owner.UserID, Model: t.model}
		if s.ttl > 0 {
			sess.ExpiresAt = s.now().Add(s.ttl)
		}
		if err := s.st.CreateSession(ctx, sess); err != nil {
			return fmt.Errorf("recording chat history: %w", err)
		}
		t.isNew = false
	}
	if _, err := s.st.AppendMessages(ctx, t.owner.ID, t.SessionID, msgs); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			// The session expired, or was deleted, since Begin.
			return fmt.Errorf("recording chat history: session %s: %w", t.SessionID, ErrNotFound)
		}
		return fmt.Errorf("recording chat history: %w", err)
	}
	return nil
}

// Messages returns the owner's session history in order, or ErrNotFound.
func (s *Service) Messages(ctx context.Context, owner, id string) ([]Entry, error) {
	return s.load(ctx, owner, id)
}

func (s *Service) load(ctx context.Context, owner, id string) ([]Entry, error) {
	_, msgs, err := s.st.Messages(ctx, owner, id)
	if err != nil {
		// A malformed id names no session either.
		if errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrInvalid) {
			return nil, fmt.Errorf("session %q: %w", id, ErrNotFound)
		}
		return nil, fmt.Errorf("loading chat session: %w", err)
	}
	out := make([]Entry, 0, len(msgs))
	for i := range msgs {
		m, err := decodeMessage(msgs[i].Role, msgs[i].Content)
		if err != nil {
			return nil, fmt.Errorf("session %s message %d: %w", id, msgs[i].Seq, err)
		}
		out = append(out, Entry{Message: m, Incomplete: msgs[i].Incomplete})
	}
	return out, nil
}

// SessionIDs lists the owner's live sessions, oldest first.
func (s *Service) SessionIDs(ctx context.Context, owner string) ([]string, error) {
	ids := []string{}
	p := store.Page{Limit: 1000}
	for {
		sessions, next, err := s.st.ListSessions(ctx, owner, p)
		if err != nil {
			return nil, fmt.Errorf("listing chat sessions: %w", err)
		}
		for _, sess := range sessions {
			ids = append(ids, sess.ID)
		}
		if next == "" {
			return ids, nil
		}
		p.Cursor = next
	}
}
