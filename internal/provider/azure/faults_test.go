package azure_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/tollgate-gw/tollgate/internal/llm"
	"github.com/tollgate-gw/tollgate/internal/provider"
	"github.com/tollgate-gw/tollgate/internal/provider/azure"
	"github.com/tollgate-gw/tollgate/internal/provider/openai/openaitest"
	"github.com/tollgate-gw/tollgate/internal/provider/upstream/faulttest"
)

// TestFaultyUpstreams: an Azure deployment inherits the OpenAI adapter's
// limits, size caps and wrong-body checks; the deployment's timeout and
// stream_timeout reach it through azure.Options. A chat that stalls before
// its headers is providertest's Timeouts/chat.
func TestFaultyUpstreams(t *testing.T) {
	const short = 100 * time.Millisecond
	chat := func(m *azure.Model) error {
		_, err := m.Chat(context.Background(), chatRequest(t, hello))
		return err
	}
	stream := func(m *azure.Model) error {
		s, err := m.ChatStream(context.Background(), chatRequest(t, hello))
		if err != nil {
			return err
		}
		defer s.Close()
		for {
			if _, err := s.Recv(); err != nil {
				return err
			}
		}
	}
	embed := func(m *azure.Model) error {
		_, err := m.Embed(context.Background(), &llm.EmbeddingRequest{Model: "e", Input: []string{"a"}})
		return err
	}
	tests := []struct {
		name    string
		reply   http.HandlerFunc
		call    func(*azure.Model) error
		limit   time.Duration
		kind    provider.Kind
		message string
	}{
		{"HTML page, chat", faulttest.HTML(), chat, time.Minute, provider.KindUnavailable, "malformed response"},
		{"HTML page, stream", faulttest.HTML(), stream, time.Minute, provider.KindUnavailable, "text/html"},
		{"empty stream", faulttest.Typed("text/event-stream", ""), stream, time.Minute, provider.KindUnavailable, "without sending any event"},
		{"stream stalls", faulttest.Stall("text/event-stream", ": hello\n\n", nil), stream, short, provider.KindTimeout, "sent no data for 100ms"},
		{"drip", faulttest.Drip("application/json", "{", 5*time.Millisecond), embed, short, provider.KindTimeout, "did not answer within 100ms"},
		{"oversized", faulttest.Oversized("application/json", `{"id":"`, 200<<20), chat, time.Minute, provider.KindUnavailable, "exceeds 32 MiB"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := openaitest.NewServer(t, tt.reply)
			m := newModel(t, srv, azure.Options{Timeout: tt.limit, StreamTimeout: tt.limit})
			pe, ok := provider.AsError(tt.call(m))
			if !ok || pe.Kind != tt.kind || !pe.Retryable() || !strings.Contains(pe.Message, tt.message) {
				t.Fatalf("error = %+v, want a retryable %v saying %q", pe, tt.kind, tt.message)
			}
		})
	}
}
