package openai

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/tollgate-gw/tollgate/internal/provider"
	"github.com/tollgate-gw/tollgate/internal/provider/openai/openaitest"
)

// FuzzStream feeds arbitrary upstream bytes to the stream iterator: it must
// end with io.EOF or a *provider.Error, never panic or loop.
func FuzzStream(f *testing.F) {
	for _, events := range [][]string{openaitest.StreamText, openaitest.StreamToolCalls, openaitest.AzureStreamText} {
		var b strings.Builder
		for _, e := range events {
			b.WriteString("data: " + e + "\n\n")
		}
		f.Add([]byte(b.String()))
	}
	f.Add([]byte("event: error\ndata: {\"error\":{\"message\":\"x\",\"code\":\"429\"}}\n\n"))
	f.Add([]byte("data: {\"error\":\"boom\"}\n\ndata: [DONE]\n\n"))
	f.Add([]byte(": ping\r\n\r\ndata: {\"choices\":[{\"delta\":{\"content\":\"a\"}}]}\r\n\r\n"))
	f.Add([]byte("data: {\"id\":"))
	m, err := New(&http.Client{}, Options{BaseURL: "http://upstream.invalid", APIKey: "k", ModelID: "m"})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		ctx, dog := m.limits.Stream(context.Background())
		s := m.newStream(ctx, dog, io.NopCloser(bytes.NewReader(data)))
		defer s.Close()
		for range len(data) + 2 { // each chunk consumes at least one byte
			_, err := s.Recv()
			if err == nil {
				continue
			}
			if err != io.EOF {
				if _, ok := provider.AsError(err); !ok {
					t.Fatalf("Recv error %v (%T) is neither io.EOF nor *provider.Error", err, err)
				}
			}
			return
		}
		t.Fatalf("stream of %d bytes did not end", len(data))
	})
}

// FuzzClassify: any error body, with any status, gives a usable error.
func FuzzClassify(f *testing.F) {
	f.Add(400, []byte(`{"error":{"message":"This model's maximum context length is 10","code":"context_length_exceeded"}}`))
	f.Add(429, []byte(`{"error":{"code":"429","message":"slow down"}}`))
	f.Add(0, []byte(`{"error":{"code":"content_filter","innererror":{"code":"ResponsibleAIPolicyViolation"}}}`))
	f.Add(502, []byte(`<html>bad gateway</html>`))
	f.Add(0, []byte(`{"error":null}`))
	m := &Model{provider: "openai", secret: "sk-secret"}
	f.Fuzz(func(t *testing.T, status int, body []byte) {
		if status != 0 && (status < 100 || status > 999) {
			return // net/http accepts only three-digit statuses; 0 means "inside a 200"
		}
		e := m.classify(status, body)
		if e.Status < 100 || e.Status > 999 {
			t.Fatalf("status %d for upstream status %d", e.Status, status)
		}
		if e.Message == "" {
			t.Fatal("empty message")
		}
		if strings.Contains(e.Message, "sk-secret") {
			t.Fatal("the key leaked into the message")
		}
	})
}
