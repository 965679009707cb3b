package openai

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/tollgate-gw/tollgate/internal/llm"
	"github.com/tollgate-gw/tollgate/internal/provider/openai/openaitest"
)

// TestStreamTimerLifecycle checks what the black-box tests cannot see: the
// idle timer is not running between Recvs, and is stopped by the end of
// the stream and by Close, whatever the deployment set.
func TestStreamTimerLifecycle(t *testing.T) {
	srv := openaitest.NewServer(t, openaitest.SSE(openaitest.StreamText...))
	client := &http.Client{}
	defer client.CloseIdleConnections()
	req := &llm.Request{Model: "g", Messages: []llm.Message{{Role: llm.RoleUser, Content: []llm.Part{{Type: llm.PartText, Text: "hi"}}}}}

	for _, tt := range []struct {
		name          string
		timeout, idle time.Duration
	}{
		{"no timeouts", 0, 0},
		{"headers only", time.Minute, 0},
		{"idle", 0, time.Minute},
		{"both", time.Minute, time.Minute},
	} {
		t.Run(tt.name, func(t *testing.T) {
			m, err := New(client, Options{BaseURL: srv.URL, APIKey: "k", ModelID: "m", Timeout: tt.timeout, StreamTimeout: tt.idle})
			if err != nil {
				t.Fatal(err)
			}
			ls, err := m.ChatStream(context.Background(), req)
			if err != nil {
				t.Fatal(err)
			}
			s := ls.(*stream)
			if _, err := s.Recv(); err != nil {
				t.Fatal(err)
			}
			if s.dog.Running() {
				t.Fatal("the idle timer runs while the caller handles a chunk")
			}
			s.dog.Arm()
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			if s.dog.Running() {
				t.Error("the timer was still running after Close")
			}
			if s.ctx.Err() == nil {
				t.Error("the request context is still live after Close")
			}
		})
	}
}

func TestRedactKeepsTheKeyOut(t *testing.T) {
	m := &Model{secret: "sk-live-abc"}
	if got := m.redact("bad key sk-live-abc, sk-live-abc"); strings.Contains(got, "sk-live-abc") {
		t.Fatalf("redact = %q", got)
	}
	if got := (&Model{}).redact("nothing to hide"); got != "nothing to hide" {
		t.Fatalf("redact without a key = %q", got)
	}
}
