package openai_test

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/tollgate-gw/tollgate/internal/httpclient"
	"github.com/tollgate-gw/tollgate/internal/llm"
	"github.com/tollgate-gw/tollgate/internal/provider"
	"github.com/tollgate-gw/tollgate/internal/provider/openai"
	"github.com/tollgate-gw/tollgate/internal/provider/openai/openaitest"
)

const hello = `{"model":"g","messages":[{"role":"user","content":"hi"}]}`

// drain reads a stream to its end and returns the chunks and the final error.
func drain(s llm.Stream) ([]*llm.Chunk, error) {
	var chunks []*llm.Chunk
	for {
		c, err := s.Recv()
		if err != nil {
			return chunks, err
		}
		chunks = append(chunks, c)
	}
}

func TestStreamText(t *testing.T) {
	srv := openaitest.NewServer(t, openaitest.SSE(openaitest.StreamText...))
	m := newModel(t, srv, openai.Options{})
	// The client did not ask for usage; the adapter asks the upstream anyway.
	s, err := m.ChatStream(context.Background(), chatRequest(t, hello))
	if err != nil {
		t.Fatal(err)
	}
	chunks, err := drain(s)
	if err != io.EOF {
		t.Fatalf("stream ended with %v, want io.EOF", err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}

	body := fields(t, srv.Last(t).Body)
	if string(body["stream"]) != "true" || string(body["stream_options"]) != `{"include_usage":true}` {
		t.Errorf("stream = %s, stream_options = %s; want usage requested upstream", body["stream"], body["stream_options"])
	}
	if len(chunks) != 5 {
		t.Fatalf("got %d chunks, want 5 (role, 2 content, finish, usage)", len(chunks))
	}
	if chunks[0].Choices[0].Delta.Role != llm.RoleAssistant || !chunks[0].Choices[0].Delta.HasContent {
		t.Errorf("first delta = %+v", chunks[0].Choices[0].Delta)
	}
	var text string
	for _, c := range chunks {
		for _, ch := range c.Choices {
			text += ch.Delta.Content
		}
	}
	if text != "Hello there" {
		t.Errorf("text = %q", text)
	}
	if chunks[3].Choices[0].FinishReason != "stop" {
		t.Errorf("finish = %q", chunks[3].Choices[0].FinishReason)
	}
	if u := chunks[4].Usage; u == nil || u.PromptTokens != 9 || u.CompletionTokens != 2 || u.TotalTokens != 11 {
		t.Errorf("usage = %+v", chunks[4].Usage)
	}
	if chunks[1].ID != "chatcmpl-123" || chunks[1].SystemFingerprint != "fp_44709d6fcb" {
		t.Errorf("chunk = %+v", chunks[1])
	}
}

func TestStreamToolCallDeltas(t *testing.T) {
	srv := openaitest.NewServer(t, openaitest.SSE(openaitest.StreamToolCalls...))
	m := newModel(t, srv, openai.Options{ModelID: "gpt-4o"})
	s, err := m.ChatStream(context.Background(), chatRequest(t, `{"model":"g","messages":[{"role":"user","content":"hi"}],"stream":true,"stream_options":{"include_usage":true}}`))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	chunks, err := drain(s)
	if err != io.EOF {
		t.Fatal(err)
	}
	type call struct{ id, name, args string }
	calls := map[int]*call{}
	finish := ""
	var usage *llm.Usage
	for _, c := range chunks {
		if c.Usage != nil {
			usage = c.Usage
		}
		for _, ch := range c.Choices {
			if ch.FinishReason != "" {
				finish = ch.FinishReason
			}
			for _, d := range ch.Delta.ToolCalls {
				if calls[d.Index] == nil {
					calls[d.Index] = &call{}
				}
				cl := calls[d.Index]
				if d.ID != "" {
					cl.id, cl.name = d.ID, d.Name
				}
				cl.args += d.Arguments
			}
		}
	}
	want := map[int]call{0: {"call_A", "get_weather", `{"location": "Paris"}`}, 1: {"call_B", "get_time", `{"tz": "CET"}`}}
	for i, w := range want {
		if calls[i] == nil || *calls[i] != w {
			t.Errorf("tool call %d = %+v, want %+v", i, calls[i], w)
		}
	}
	if finish != "tool_calls" {
		t.Errorf("finish = %q", finish)
	}
	if usage == nil || usage.TotalTokens != 120 {
		t.Errorf("usage = %+v", usage)
	}
}

// TestStreamForwardsChunksAsTheyArrive proves there is no buffering: the
// upstream holds the second chunk back until the test has received the
// first one, so a buffering adapter would never return.
func TestStreamForwardsChunksAsTheyArrive(t *testing.T) {
	release := make(chan struct{})
	srv := openaitest.NewServer(t, func(w http.ResponseWriter, r *http.Request) {
		openaitest.StartSSE(w)
		openaitest.WriteEvent(w, openaitest.StreamText[1])
		select {
		case <-release:
		case <-r.Context().Done():
			return
		}
		for _, e := range openaitest.StreamText[2:] {
			openaitest.WriteEvent(w, e)
		}
	})
	m := newModel(t, srv, openai.Options{})
	s, err := m.ChatStream(context.Background(), chatRequest(t, hello))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	c, err := s.Recv()
	if err != nil || c.Choices[0].Delta.Content != "Hello" {
		t.Fatalf("first Recv = %+v, %v", c, err)
	}
	close(release)
	rest, err := drain(s)
	if err != io.EOF || len(rest) != 3 {
		t.Fatalf("rest = %d chunks, %v", len(rest), err)
	}
}

func TestStreamEndings(t *testing.T) {
	tests := []struct {
		name       string
		events     []string
		abort      bool // the upstream drops the connection after the events
		wantChunks int
		wantKind   provider.Kind // 0: the stream ends with io.EOF
	}{
		{name: "[DONE]", events: openaitest.StreamText, wantChunks: 5},
		{name: "body ends without [DONE]", events: openaitest.StreamText[:5], wantChunks: 5},
		{name: "comments and blank events are skipped", events: []string{": keep-alive\n\n", openaitest.StreamText[1], ": ping\n\n", "[DONE]"}, wantChunks: 1},
		{name: "CRLF framing", events: []string{"data: " + openaitest.StreamText[1] + "\r\n\r\n", "data: [DONE]\r\n\r\n"}, wantChunks: 1},
		{name: "nothing after [DONE] is read", events: []string{openaitest.StreamText[1], "[DONE]", openaitest.StreamText[2]}, wantChunks: 1},
		{name: "cut inside an event", events: []string{openaitest.StreamText[1], `data: {"id":"chatcmpl-123","choi`}, wantChunks: 1, wantKind: provider.KindUnavailable},
		{name: "connection dropped mid-stream", events: openaitest.StreamText[:3], abort: true, wantChunks: 3, wantKind: provider.KindUnavailable},
		{name: "malformed chunk", events: []string{openaitest.StreamText[1], `{"choices": 7}`}, wantChunks: 1, wantKind: provider.KindUnavailable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := openaitest.NewServer(t, func(w http.ResponseWriter, r *http.Request) {
				openaitest.SSE(tt.events...)(w, r)
				if tt.abort {
					panic(http.ErrAbortHandler)
				}
			})
			m := newModel(t, srv, openai.Options{})
			s, err := m.ChatStream(context.Background(), chatRequest(t, hello))
			if err != nil {
				t.Fatal(err)
			}
			chunks, err := drain(s)
			if len(chunks) != tt.wantChunks {
				t.Errorf("got %d chunks, want %d", len(chunks), tt.wantChunks)
			}
			if tt.wantKind == 0 {
				if err != io.EOF {
					t.Fatalf("ended with %v, want io.EOF", err)
				}
			} else {
				pe := asProviderError(t, err)
				if pe.Kind != tt.wantKind || pe.Status != http.StatusBadGateway {
					t.Fatalf("error = %+v, want kind %v", pe, tt.wantKind)
				}
			}
			if _, again := s.Recv(); again != err {
				t.Errorf("Recv after the end = %v, want the same %v", again, err)
			}
			if err := s.Close(); err != nil {
				t.Errorf("Close: %v", err)
			}
			if _, err := s.Recv(); err == nil {
				t.Error("Recv after Close returned a chunk")
			}
		})
	}
}

func TestStreamErrorMidStream(t *testing.T) {
	tests := []struct {
		name       string
		event      string
		wantKind   provider.Kind
		wantStatus int
		wantMsg    string
	}{
		{
			name:     "event: error",
			event:    "event: error\ndata: {\"error\":{\"message\":\"The server had an error while processing your request.\",\"type\":\"server_error\",\"param\":null,\"code\":null}}\n\n",
			wantKind: provider.KindUnavailable, wantStatus: http.StatusBadGateway, wantMsg: "The server had an error",
		},
		{
			name:     "error object as data",
			event:    `{"error":{"message":"Rate limit reached for requests","type":"requests","param":null,"code":"rate_limit_exceeded"}}`,
			wantKind: provider.KindRateLimit, wantStatus: http.StatusTooManyRequests, wantMsg: "Rate limit reached",
		},
		{
			name:     "Azure status in code",
			event:    `{"error":{"code":"429","message":"Requests to the ChatCompletions_Create Operation have exceeded token rate limit."}}`,
			wantKind: provider.KindRateLimit, wantStatus: http.StatusTooManyRequests, wantMsg: "exceeded token rate limit",
		},
		{
			name:     "content filter mid-stream",
			event:    `{"error":{"message":"The response was filtered","type":null,"param":"prompt","code":"content_filter","status":400}}`,
			wantKind: provider.KindContentPolicy, wantStatus: http.StatusBadRequest, wantMsg: "filtered",
		},
		{
			name:     "unknown error",
			event:    `{"error":"something broke"}`,
			wantKind: provider.KindUnavailable, wantStatus: http.StatusBadGateway, wantMsg: "something broke",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := openaitest.NewServer(t, openaitest.SSE(openaitest.StreamText[0], openaitest.StreamText[1], tt.event, openaitest.StreamText[2], "[DONE]"))
			m := newModel(t, srv, openai.Options{Provider: "openai"})
			s, err := m.ChatStream(context.Background(), chatRequest(t, hello))
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			chunks, err := drain(s)
			if len(chunks) != 2 {
				t.Errorf("got %d chunks before the error, want 2", len(chunks))
			}
			pe := asProviderError(t, err)
			if pe.Kind != tt.wantKind || pe.Status != tt.wantStatus || !strings.Contains(pe.Message, tt.wantMsg) || pe.Provider != "openai" {
				t.Fatalf("error = %+v, want kind %v status %d message ~%q", pe, tt.wantKind, tt.wantStatus, tt.wantMsg)
			}
		})
	}
}

func TestStreamRequestAnsweredWithJSON(t *testing.T) {
	tests := []struct {
		name     string
		body     string
		wantKind provider.Kind
	}{
		{"error object with 200", `{"error":{"message":"model is loading","type":"server_error"}}`, provider.KindUnavailable},
		{"a completion instead of a stream", openaitest.ChatCompletion, provider.KindUnavailable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := openaitest.NewServer(t, openaitest.JSON(http.StatusOK, tt.body))
			m := newModel(t, srv, openai.Options{})
			s, err := m.ChatStream(context.Background(), chatRequest(t, hello))
			if err == nil {
				s.Close()
				t.Fatal("ChatStream succeeded")
			}
			if pe := asProviderError(t, err); pe.Kind != tt.wantKind {
				t.Fatalf("error = %+v", pe)
			}
		})
	}
}

// TestStreamsReuseOneConnection: after [DONE] the upstream still owes the
// end of the chunked body; the fake holds it back until [DONE] has been
// received, so only a Close that reads it lets the connection be reused.
func TestStreamsReuseOneConnection(t *testing.T) {
	release := make(chan struct{}, 3)
	srv := openaitest.NewServer(t, func(w http.ResponseWriter, r *http.Request) {
		openaitest.SSE(openaitest.StreamText...)(w, r)
		select {
		case <-release:
		case <-r.Context().Done():
		}
	})
	m := newModel(t, srv, openai.Options{StreamTimeout: time.Minute})
	for range 3 {
		s, err := m.ChatStream(context.Background(), chatRequest(t, hello))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := drain(s); err != io.EOF {
			t.Fatal(err)
		}
		release <- struct{}{}
		s.Close()
	}
	if n := srv.Connections(); n != 1 {
		t.Fatalf("3 sequential streams opened %d connections, want 1", n)
	}
}

func TestCloseMidStreamCancelsTheUpstream(t *testing.T) {
	cancelled := make(chan struct{})
	srv := openaitest.NewServer(t, func(w http.ResponseWriter, r *http.Request) {
		openaitest.StartSSE(w)
		openaitest.WriteEvent(w, openaitest.StreamText[1])
		<-r.Context().Done()
		close(cancelled)
	})
	m := newModel(t, srv, openai.Options{StreamTimeout: time.Minute})
	s, err := m.ChatStream(context.Background(), chatRequest(t, hello))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Recv(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	<-cancelled // the upstream saw the request end
	if err := s.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
}

// TestClientGoingAwayCancelsTheUpstream: the cause of the cancellation
// survives. A client leaving a chat or a stream mid-body is
// providertest's ClientLeaves.
func TestClientGoingAwayCancelsTheUpstream(t *testing.T) {
	t.Run("stream before headers", func(t *testing.T) {
		started, cancelled := make(chan struct{}), make(chan struct{})
		srv := openaitest.NewServer(t, openaitest.Hang(started, cancelled))
		m := newModel(t, srv, openai.Options{Timeout: time.Minute, StreamTimeout: time.Minute})
		ctx, cancel := context.WithCancelCause(context.Background())
		errc := make(chan error, 1)
		go func() {
			_, err := m.ChatStream(ctx, chatRequest(t, hello))
			errc <- err
		}()
		<-started
		clientGone := errors.New("client disconnected")
		cancel(clientGone)
		<-cancelled
		err := <-errc
		if !errors.Is(err, context.Canceled) || !errors.Is(err, clientGone) {
			t.Fatalf("err = %v, want context.Canceled and the cause", err)
		}
	})
}

// The timeouts below are short, but each one only ever expires on a phase
// that blocks until cancelled; nothing the test waits for is timed.
func TestTimeouts(t *testing.T) {
	const short = 50 * time.Millisecond
	t.Run("chat total", func(t *testing.T) {
		cancelled := make(chan struct{})
		srv := openaitest.NewServer(t, openaitest.Hang(nil, cancelled))
		m := newModel(t, srv, openai.Options{Timeout: short})
		_, err := m.Chat(context.Background(), chatRequest(t, hello))
		checkTimeout(t, err, "did not answer within 50ms")
		<-cancelled
	})
	t.Run("chat body stalls after headers", func(t *testing.T) {
		srv := openaitest.NewServer(t, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusOK)
			_, _ = io.WriteString(w, `{"id":"x",`)
			_ = http.NewResponseController(w).Flush()
			<-r.Context().Done()
		})
		m := newModel(t, srv, openai.Options{Timeout: short})
		_, err := m.Chat(context.Background(), chatRequest(t, hello))
		checkTimeout(t, err, "did not answer within 50ms")
	})
	t.Run("stream headers", func(t *testing.T) {
		cancelled := make(chan struct{})
		srv := openaitest.NewServer(t, openaitest.Hang(nil, cancelled))
		m := newModel(t, srv, openai.Options{Timeout: short, StreamTimeout: time.Minute})
		_, err := m.ChatStream(context.Background(), chatRequest(t, hello))
		checkTimeout(t, err, "sent no response headers within 50ms")
		<-cancelled
	})
	t.Run("stream headers under stream_timeout alone", func(t *testing.T) {
		srv := openaitest.NewServer(t, openaitest.Hang(nil, nil))
		m := newModel(t, srv, openai.Options{StreamTimeout: short})
		_, err := m.ChatStream(context.Background(), chatRequest(t, hello))
		checkTimeout(t, err, "sent no response headers within 50ms")
	})
	t.Run("stream idle between chunks", func(t *testing.T) {
		cancelled := make(chan struct{})
		srv := openaitest.NewServer(t, func(w http.ResponseWriter, r *http.Request) {
			// Headers and the first chunk go out in one flush, so the first
			// Recv never waits on the network.
			w.Header().Set("Content-Type", "text/event-stream")
			_, _ = io.WriteString(w, "data: "+openaitest.StreamText[1]+"\n\n")
			_ = http.NewResponseController(w).Flush()
			<-r.Context().Done()
			close(cancelled)
		})
		m := newModel(t, srv, openai.Options{Timeout: time.Minute, StreamTimeout: short})
		s, err := m.ChatStream(context.Background(), chatRequest(t, hello))
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		if _, err := s.Recv(); err != nil {
			t.Fatal(err)
		}
		_, err = s.Recv()
		checkTimeout(t, err, "sent no data for 50ms")
		<-cancelled
	})
	t.Run("caller deadline", func(t *testing.T) {
		srv := openaitest.NewServer(t, openaitest.Hang(nil, nil))
		m := newModel(t, srv, openai.Options{})
		ctx, cancel := context.WithTimeout(context.Background(), short)
		defer cancel()
		_, err := m.Chat(ctx, chatRequest(t, hello))
		checkTimeout(t, err, "deadline")
	})
}

func checkTimeout(t *testing.T, err error, msg string) {
	t.Helper()
	pe := asProviderError(t, err)
	if pe.Kind != provider.KindTimeout || pe.Status != http.StatusGatewayTimeout || !pe.Retryable() {
		t.Fatalf("error = %+v, want a retryable timeout", pe)
	}
	if !strings.Contains(pe.Message, msg) {
		t.Errorf("message %q does not say %q", pe.Message, msg)
	}
}

func TestConnectionFailures(t *testing.T) {
	// A port that was just free: nothing listens there.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	refused := "http://" + ln.Addr().String() + "/v1"
	ln.Close()

	// A server that accepts and closes without answering.
	hangup, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer hangup.Close()
	go func() {
		for {
			c, err := hangup.Accept()
			if err != nil {
				return
			}
			buf := make([]byte, 4096)
			_, _ = c.Read(buf) // take the request, then hang up
			c.Close()
		}
	}()

	tests := []struct {
		name, base, msg string
	}{
		{"connection refused", refused, "could not connect to upstream"},
		{"closed before headers", "http://" + hangup.Addr().String() + "/v1", "upstream closed the connection"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			client := httpclient.New(nil)
			defer client.CloseIdleConnections()
			m, err := openai.New(client, openai.Options{BaseURL: tt.base, APIKey: testKey, ModelID: "m"})
			if err != nil {
				t.Fatal(err)
			}
			_, chatErr := m.Chat(context.Background(), chatRequest(t, hello))
			_, streamErr := m.ChatStream(context.Background(), chatRequest(t, hello))
			for _, err := range []error{chatErr, streamErr} {
				pe := asProviderError(t, err)
				if pe.Kind != provider.KindUnavailable || pe.Status != http.StatusBadGateway || !pe.Retryable() {
					t.Fatalf("error = %+v, want retryable unavailable (502)", pe)
				}
				if !strings.Contains(pe.Message, tt.msg) {
					t.Errorf("message %q, want %q", pe.Message, tt.msg)
				}
				if pe.Err == nil {
					t.Error("the underlying error is not kept for logs")
				}
			}
		})
	}
}
