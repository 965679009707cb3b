package history_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tollgate-gw/tollgate/internal/history"
	"github.com/tollgate-gw/tollgate/internal/llm"
	"github.com/tollgate-gw/tollgate/internal/store"
	"github.com/tollgate-gw/tollgate/internal/store/embedded"
)

// clock is a settable test clock shared by the store and the service.
type clock struct{ ns atomic.Int64 }

func (c *clock) now() time.Time          { return time.Unix(0, c.ns.Load()) }
func (c *clock) advance(d time.Duration) { c.ns.Add(int64(d)) }

func newService(t *testing.T, opts *history.Options) (*history.Service, *clock) {
	t.Helper()
	c := &clock{}
	c.ns.Store(time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC).UnixNano())
	st, err := embedded.Open(t.TempDir(), &embedded.Options{Store: &store.Options{Now: c.now}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	if opts == nil {
		opts = &history.Options{}
	}
	opts.Now = c.now
	return history.New(st, opts), c
}

func text(role llm.Role, s string) llm.Message {
	return llm.Message{Role: role, Content: []llm.Part{{Type: llm.PartText, Text: s}}, StringContent: true}
}

func texts(msgs []llm.Message) []string {
	out := make([]string, len(msgs))
	for i := range msgs {
		out[i] = string(msgs[i].Role) + ":" + msgs[i].Text()
	}
	return out
}

func entryTexts(es []history.Entry) []string {
	out := make([]string, len(es))
	for i := range es {
		out[i] = string(es[i].Message.Role) + ":" + es[i].Message.Text()
		if es[i].Incomplete {
			out[i] += " (incomplete)"
		}
	}
	return out
}

var (
	alice = history.Owner{ID: "hash-alice", UserID: "alice"}
	bob   = history.Owner{ID: "hash-bob", UserID: "bob"}
)

// turn runs one call through the service: Begin, then Record with reply.
func turn(t *testing.T, s *history.Service, o history.Owner, sessionID, user, reply string) (*history.Turn, *llm.Request) {
	t.Helper()
	req := &llm.Request{Model: "m", Messages: []llm.Message{text(llm.RoleUser, user)},
		Gateway: llm.GatewayOptions{EnableHistory: sessionID == "", SessionID: sessionID}}
	tr, err := s.Begin(context.Background(), o, req)
	if err != nil {
		t.Fatalf("Begin: %v", err)
	}
	if err := s.Record(context.Background(), tr, text(llm.RoleAssistant, reply), false, "req-1"); err != nil {
		t.Fatalf("Record: %v", err)
	}
	return tr, req
}

// TestSessionLifecycle starts a session, continues it (the model sees the
// conversation so far), and reads and lists it.
func TestSessionLifecycle(t *testing.T) {
	s, _ := newService(t, nil)
	ctx := context.Background()
	first, req1 := turn(t, s, alice, "", "hi", "hello")
	if first.SessionID == "" {
		t.Fatal("no session id for enable_history")
	}
	if got := texts(req1.Messages); !reflect.DeepEqual(got, []string{"user:hi"}) {
		t.Errorf("first turn sent %v", got)
	}
	_, req2 := turn(t, s, alice, first.SessionID, "and now?", "still here")
	if got, want := texts(req2.Messages), []string{"user:hi", "assistant:hello", "user:and now?"}; !reflect.DeepEqual(got, want) {
		t.Errorf("second turn sent %v, want %v", got, want)
	}
	es, err := s.Messages(ctx, alice.ID, first.SessionID)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := entryTexts(es), []string{"user:hi", "assistant:hello", "user:and now?", "assistant:still here"}; !reflect.DeepEqual(got, want) {
		t.Errorf("history %v, want %v", got, want)
	}
	ids, err := s.SessionIDs(ctx, alice.ID)
	if err != nil || !reflect.DeepEqual(ids, []string{first.SessionID}) {
		t.Errorf("SessionIDs = %v, %v; want [%s]", ids, err, first.SessionID)
	}
	// A request without history is left alone.
	plain := &llm.Request{Messages: []llm.Message{text(llm.RoleUser, "x")}}
	if tr, err := s.Begin(ctx, alice, plain); tr != nil || err != nil || len(plain.Messages) != 1 {
		t.Errorf("Begin without history = %v, %v, %d messages", tr, err, len(plain.Messages))
	}
}

// TestNotFound: another owner's session, an unknown id and a malformed id
// are all ErrNotFound, alike; nothing is created for them.
func TestNotFound(t *testing.T) {
	s, _ := newService(t, nil)
	ctx := context.Background()
	mine, _ := turn(t, s, alice, "", "secret", "ok")
	cases := []struct {
		name  string
		owner history.Owner
		id    string
	}{
		{"another owner's session", bob, mine.SessionID},
		{"unknown id", alice, "0123456789abcdef0123456789abcdef"},
		{"malformed id", alice, "a#b"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			req := &llm.Request{Messages: []llm.Message{text(llm.RoleUser, "x")}, Gateway: llm.GatewayOptions{SessionID: c.id}}
			if _, err := s.Begin(ctx, c.owner, req); !errors.Is(err, history.ErrNotFound) {
				t.Errorf("Begin: %v, want ErrNotFound", err)
			}
			if _, err := s.Messages(ctx, c.owner.ID, c.id); !errors.Is(err, history.ErrNotFound) {
				t.Errorf("Messages: %v, want ErrNotFound", err)
			}
		})
	}
	if ids, _ := s.SessionIDs(ctx, bob.ID); len(ids) != 0 {
		t.Errorf("bob lists %v", ids)
	}
}

// TestConcurrentTurns: 20 turns at once on one session lose no message,
// and each turn's messages stay together.
func TestConcurrentTurns(t *testing.T) {
	s, _ := newService(t, nil)
	ctx := context.Background()
	first, _ := turn(t, s, alice, "", "start", "started")
	const n = 20
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req := &llm.Request{Messages: []llm.Message{text(llm.RoleUser, fmt.Sprint("q", i))}, Gateway: llm.GatewayOptions{SessionID: first.SessionID}}
			tr, err := s.Begin(ctx, alice, req)
			if err == nil {
				err = s.Record(ctx, tr, text(llm.RoleAssistant, fmt.Sprint("a", i)), false, "")
			}
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	es, err := s.Messages(ctx, alice.ID, first.SessionID)
	if err != nil {
		t.Fatal(err)
	}
	if len(es) != 2+2*n {
		t.Fatalf("%d messages stored, want %d", len(es), 2+2*n)
	}
	seen := map[string]bool{}
	for i := 2; i < len(es); i += 2 {
		q, a := es[i].Message.Text(), es[i+1].Message.Text()
		if q[1:] != a[1:] || q[0] != 'q' || a[0] != 'a' {
			t.Errorf("messages %d and %d are %q, %q: a turn was split", i, i+1, q, a)
		}
		seen[q] = true
	}
	if len(seen) != n {
		t.Errorf("%d distinct turns stored, want %d", len(seen), n)
	}
}

// TestTTL: a session lives TTL from its creation, messages included; "off"
// (a negative TTL) keeps it.
func TestTTL(t *testing.T) {
	for _, c := range []struct {
		name  string
		ttl   time.Duration
		after time.Duration
		alive bool
	}{
		{"default, within", 0, history.DefaultTTL - time.Minute, true},
		{"default, past", 0, history.DefaultTTL + time.Minute, false},
		{"short, past", time.Hour, time.Hour + time.Second, false},
		{"off", -1, 10 * history.DefaultTTL, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			s, clk := newService(t, &history.Options{TTL: c.ttl})
			first, _ := turn(t, s, alice, "", "hi", "hello")
			clk.advance(c.after)
			_, err := s.Messages(context.Background(), alice.ID, first.SessionID)
			ids, _ := s.SessionIDs(context.Background(), alice.ID)
			if alive := err == nil; alive != c.alive || (len(ids) == 1) != c.alive {
				t.Errorf("after %v: Messages err %v, listed %v; want alive=%v", c.after, err, ids, c.alive)
			}
		})
	}
}

// TestRecordOutlivesCancel: a client that hung up (its ctx cancelled) does
// not lose the turn.
func TestRecordOutlivesCancel(t *testing.T) {
	s, _ := newService(t, nil)
	ctx, cancel := context.WithCancel(context.Background())
	req := &llm.Request{Messages: []llm.Message{text(llm.RoleUser, "hi")}, Gateway: llm.GatewayOptions{EnableHistory: true}}
	tr, err := s.Begin(ctx, alice, req)
	if err != nil {
		t.Fatal(err)
	}
	cancel()
	if err := s.Record(ctx, tr, text(llm.RoleAssistant, "par"), true, ""); err != nil {
		t.Fatalf("Record after cancel: %v", err)
	}
	es, err := s.Messages(context.Background(), alice.ID, tr.SessionID)
	if err != nil || !reflect.DeepEqual(entryTexts(es), []string{"user:hi", "assistant:par (incomplete)"}) {
		t.Errorf("stored %v, %v", entryTexts(es), err)
	}
}

// TestConversation: what the model sees of a session.
func TestConversation(t *testing.T) {
	sys := func(s string) history.Entry { return history.Entry{Message: text(llm.RoleSystem, s)} }
	u := func(s string) history.Entry { return history.Entry{Message: text(llm.RoleUser, s)} }
	a := func(s string) history.Entry { return history.Entry{Message: text(llm.RoleAssistant, s)} }
	cut := func(s string) history.Entry {
		e := history.Entry{Message: llm.Message{Role: llm.RoleAssistant}, Incomplete: true}
		if s != "" {
			e.Message = text(llm.RoleAssistant, s)
		}
		return e
	}
	cases := []struct {
		name    string
		entries []history.Entry
		turn    []llm.Message
		want    []string
	}{
		{"plain", []history.Entry{u("q1"), a("a1")}, []llm.Message{text(llm.RoleUser, "q2")},
			[]string{"user:q1", "assistant:a1", "user:q2"}},
		{"stored system first", []history.Entry{sys("be brief"), u("q1"), a("a1")}, []llm.Message{text(llm.RoleUser, "q2")},
			[]string{"system:be brief", "user:q1", "assistant:a1", "user:q2"}},
		{"latest stored system wins", []history.Entry{sys("old"), u("q1"), a("a1"), sys("new"), u("q2"), a("a2")},
			[]llm.Message{text(llm.RoleUser, "q3")},
			[]string{"system:new", "user:q1", "assistant:a1", "user:q2", "assistant:a2", "user:q3"}},
		{"the turn's system wins", []history.Entry{sys("old"), u("q1"), a("a1")},
			[]llm.Message{text(llm.RoleSystem, "now"), text(llm.RoleUser, "q2")},
			[]string{"system:now", "user:q1", "assistant:a1", "user:q2"}},
		{"cut reply with text kept", []history.Entry{u("q1"), cut("par")}, []llm.Message{text(llm.RoleUser, "q2")},
			[]string{"user:q1", "assistant:par", "user:q2"}},
		{"cut reply without text left out", []history.Entry{u("q1"), cut("")}, []llm.Message{text(llm.RoleUser, "q2")},
			[]string{"user:q1", "user:q2"}},
		{"empty session", nil, []llm.Message{text(llm.RoleUser, "q1")}, []string{"user:q1"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := texts(history.Conversation(c.entries, c.turn)); !reflect.DeepEqual(got, c.want) {
				t.Errorf("got %v, want %v", got, c.want)
			}
		})
	}
}

// TestStoredMessageRoundTrip: every field of a message survives the store.
func TestStoredMessageRoundTrip(t *testing.T) {
	s, _ := newService(t, nil)
	ctx := context.Background()
	sent := []llm.Message{
		{Role: llm.RoleSystem, Content: []llm.Part{{Type: llm.PartText, Text: "sys", CacheControl: []byte(`{"type":"ephemeral"}`)}}},
		{Role: llm.RoleUser, Name: "ann", Content: []llm.Part{
			{Type: llm.PartText, Text: "look"},
			{Type: llm.PartImage, Image: &llm.Image{Data: []byte{1, 2, 3}, MediaType: "image/png", Detail: "low"}},
			{Type: llm.PartImage, Image: &llm.Image{URL: "https://example.com/a.png"}},
			{Type: llm.PartDocument, Document: &llm.Document{Name: "d", Format: "pdf", Data: []byte("%PDF"), MediaType: "application/pdf"}},
			{Type: llm.PartAudio, Audio: &llm.Audio{Data: []byte{9}, Format: "wav"}},
			{Type: llm.PartCachePoint},
		}, Extra: []llm.Field{{Name: "x_note", Value: []byte(`{"k":1}`)}}},
		{Role: llm.RoleAssistant, ToolCalls: []llm.ToolCall{{ID: "call_1", Type: "function", Name: "f", Arguments: `{"a":1}`}},
			Reasoning: &llm.Reasoning{Text: "think", Signature: "sig", Redacted: []byte{7}}, Refusal: "no"},
		{Role: llm.RoleTool, ToolCallID: "call_1", Content: []llm.Part{{Type: llm.PartText, Text: "42"}}, StringContent: true},
	}
	req := &llm.Request{Messages: sent, Gateway: llm.GatewayOptions{EnableHistory: true}}
	tr, err := s.Begin(ctx, alice, req)
	if err != nil {
		t.Fatal(err)
	}
	reply := text(llm.RoleAssistant, "done")
	if err := s.Record(ctx, tr, reply, false, ""); err != nil {
		t.Fatal(err)
	}
	es, err := s.Messages(ctx, alice.ID, tr.SessionID)
	if err != nil {
		t.Fatal(err)
	}
	want := append(append([]llm.Message{}, sent...), reply)
	if len(es) != len(want) {
		t.Fatalf("%d messages, want %d", len(es), len(want))
	}
	for i := range want {
		if !reflect.DeepEqual(es[i].Message, want[i]) {
			t.Errorf("message %d:\n got %#v\nwant %#v", i, es[i].Message, want[i])
		}
	}
}
