package store

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// Session is a chat-history session. It belongs to one owner (the hash of
// the key that created it, or whatever owner string the history service
// chooses); every session method takes the caller's owner and treats a
// session of another owner as not found, so ownership holds at the query
// level and a caller cannot learn whether another owner's session exists.
type Session struct {
	ID    string `json:"session_id"`
	Owner string `json:"owner"`
	// UserID is the owner's user, for listing and admin views.
	UserID    string          `json:"user_id,omitempty"`
	Model     string          `json:"model,omitempty"`
	Metadata  json.RawMessage `json:"metadata,omitempty"`
	CreatedAt time.Time       `json:"created_at"`
	// ExpiresAt is when the session and its messages expire (zero: never).
	// It is fixed at creation, so every message shares the session's TTL.
	ExpiresAt time.Time `json:"expires_at"`
	// Messages is the number of message sequence numbers allocated.
	Messages int64 `json:"-"`
}

// Message is one stored message of a session. Content is the message as
// the history service encodes it (the provider-neutral llm form).
type Message struct {
	// Seq orders messages within a session (1, 2, …); AppendMessages
	// allocates it.
	Seq       int64           `json:"seq"`
	Role      string          `json:"role"`
	Content   json.RawMessage `json:"content"`
	Model     string          `json:"model,omitempty"`
	RequestID string          `json:"request_id,omitempty"`
	// Incomplete marks a streamed reply that did not finish.
	Incomplete bool      `json:"incomplete,omitempty"`
	CreatedAt  time.Time `json:"created_at"`
}

const seqField = "seq"

// NewID returns a random 128-bit id in hex, for sessions and leases.
func NewID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+)
	return hex.EncodeToString(b[:])
}

func sessionFromItem(it *Item) (*Session, error) {
	var s Session
	if err := decode(it, &s); err != nil {
		return nil, err
	}
	s.Messages = it.Counts[seqField]
	return &s, nil
}

// CreateSession stores a new session. An empty ID gets a random one.
func (s *Store) CreateSession(ctx context.Context, sess *Session) error {
	n := *sess
	if n.ID == "" {
		n.ID = NewID()
	}
	if err := checkID("session_id", n.ID); err != nil {
		return fmt.Errorf("creating session: %w", err)
	}
	if err := checkID("session owner", n.Owner); err != nil {
		return fmt.Errorf("creating session: %w", err)
	}
	if len(n.Metadata) > 0 && !json.Valid(n.Metadata) {
		return fmt.Errorf("creating session: %w", invalid("metadata is not valid JSON"))
	}
	n.CreatedAt, n.Messages = s.now().UTC(), 0
	doc, err := encode(&n)
	if err != nil {
		return fmt.Errorf("creating session: %w", err)
	}
	it := &Item{Table: StateTable, PK: pkSession(n.ID), SK: skSession, Owner: n.Owner, TTL: ttlOf(n.ExpiresAt), Doc: doc}
	it.Index[0] = IndexKey{PK: gsiSessions(n.Owner), SK: sortTime(n.CreatedAt) + "#" + n.ID}
	if err := s.write(ctx, &Write{Kind: WritePut, Item: it, Cond: Cond{Kind: CondAbsent}}); err != nil {
		return fmt.Errorf("creating session %s: %w", n.ID, err)
	}
	*sess = n
	return nil
}

// GetSession returns the owner's session, or ErrNotFound (also when it
// belongs to someone else).
func (s *Store) GetSession(ctx context.Context, owner, id string) (*Session, error) {
	if err := checkID("session_id", id); err != nil {
		return nil, fmt.Errorf("getting session: %w", err)
	}
	it, err := s.get(ctx, StateTable, pkSession(id), skSession)
	if err == nil && it.Owner != owner {
		err = ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("getting session %s: %w", id, err)
	}
	return sessionFromItem(it)
}

// ListSessions lists the owner's sessions, oldest first.
func (s *Store) ListSessions(ctx context.Context, owner string, p Page) ([]*Session, string, error) {
	if err := checkID("session owner", owner); err != nil {
		return nil, "", fmt.Errorf("listing sessions: %w", err)
	}
	items, next, err := s.query(ctx, Query{Table: StateTable, Index: 1, PK: gsiSessions(owner)}, p)
	if err != nil {
		return nil, "", fmt.Errorf("listing sessions: %w", err)
	}
	out := make([]*Session, 0, len(items))
	for _, it := range items {
		sess, err := sessionFromItem(it)
		if err != nil {
			return nil, "", err
		}
		out = append(out, sess)
	}
	return out, next, nil
}

// AppendMessages appends msgs to the owner's session and returns them with
// their Seq and CreatedAt. Sequence numbers come from one atomic add on the
// session item, so concurrent appends never collide and never lose a
// message; each message is then written with a create-only condition.
// Messages of one call get consecutive numbers.
func (s *Store) AppendMessages(ctx context.Context, owner, id string, msgs []Message) ([]Message, error) {
	if len(msgs) == 0 {
		return nil, nil
	}
	if err := checkID("session_id", id); err != nil {
		return nil, fmt.Errorf("appending messages: %w", err)
	}
	for i, m := range msgs {
		if m.Role == "" {
			return nil, fmt.Errorf("appending messages: %w", invalid("message %d has no role", i))
		}
		if len(m.Content) > 0 && !json.Valid(m.Content) {
			return nil, fmt.Errorf("appending messages: %w", invalid("message %d content is not valid JSON", i))
		}
	}
	alloc := &Write{Kind: WriteAdd, Item: &Item{Table: StateTable, PK: pkSession(id), SK: skSession},
		Cond: Cond{Kind: CondLive, Owner: owner}, Adds: []FieldAdd{{Field: seqField, Delta: int64(len(msgs))}}}
	sess, err := s.d.Update(ctx, s.unix(), alloc)
	if err != nil {
		if _, ok := asCondFailed(err); ok {
			err = ErrNotFound
		}
		return nil, fmt.Errorf("appending to session %s: %w", id, err)
	}
	last := sess.Counts[seqField]
	now := s.now().UTC()
	out := make([]Message, len(msgs))
	var ws []*Write
	for i, m := range msgs {
		m.Seq, m.CreatedAt = last-int64(len(msgs))+1+int64(i), now
		doc, err := encode(&m)
		if err != nil {
			return nil, fmt.Errorf("appending to session %s: %w", id, err)
		}
		out[i] = m
		ws = append(ws, &Write{Kind: WritePut, Cond: Cond{Kind: CondAbsent},
			Item: &Item{Table: StateTable, PK: pkSession(id), SK: skMessage(m.Seq), TTL: sess.TTL, Doc: doc}})
	}
	for i := 0; i < len(ws); i += maxWrites {
		if err := s.write(ctx, ws[i:min(i+maxWrites, len(ws))]...); err != nil {
			return nil, fmt.Errorf("appending to session %s: %w", id, err)
		}
	}
	return out, nil
}

// Messages returns the owner's session and all its messages in order, in
// one query. ErrNotFound if the session is not the owner's.
func (s *Store) Messages(ctx context.Context, owner, id string) (*Session, []Message, error) {
	if err := checkID("session_id", id); err != nil {
		return nil, nil, fmt.Errorf("reading session: %w", err)
	}
	items, err := s.queryAll(ctx, Query{Table: StateTable, PK: pkSession(id)})
	if err != nil {
		return nil, nil, fmt.Errorf("reading session %s: %w", id, err)
	}
	var sess *Session
	var msgs []Message
	for _, it := range items {
		switch {
		case it.SK == skSession:
			if it.Owner != owner {
				return nil, nil, fmt.Errorf("reading session %s: %w", id, ErrNotFound)
			}
			if sess, err = sessionFromItem(it); err != nil {
				return nil, nil, err
			}
		case strings.HasPrefix(it.SK, msgPrefix):
			var m Message
			if err := decode(it, &m); err != nil {
				return nil, nil, err
			}
			msgs = append(msgs, m)
		}
	}
	if sess == nil {
		return nil, nil, fmt.Errorf("reading session %s: %w", id, ErrNotFound)
	}
	return sess, msgs, nil
}

// DeleteSession deletes the owner's session and its messages.
func (s *Store) DeleteSession(ctx context.Context, owner, id string) error {
	_, msgs, err := s.Messages(ctx, owner, id)
	if err != nil {
		return fmt.Errorf("deleting session: %w", err)
	}
	err = s.write(ctx, &Write{Kind: WriteDelete, Item: &Item{Table: StateTable, PK: pkSession(id), SK: skSession}, Cond: Cond{Kind: CondLive, Owner: owner}})
	if err != nil {
		return fmt.Errorf("deleting session %s: %w", id, err)
	}
	// The session is gone, so its messages are unreachable already; they
	// are deleted now rather than left to their TTL.
	var ws []*Write
	for _, m := range msgs {
		ws = append(ws, &Write{Kind: WriteDelete, Item: &Item{Table: StateTable, PK: pkSession(id), SK: skMessage(m.Seq)}})
	}
	for i := 0; i < len(ws); i += maxWrites {
		if err := s.write(ctx, ws[i:min(i+maxWrites, len(ws))]...); err != nil {
			return fmt.Errorf("deleting messages of session %s: %w", id, err)
		}
	}
	return nil
}
