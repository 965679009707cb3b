package fake

import (
	"context"
	"io"
	"testing"

	"github.com/tollgate-gw/tollgate/internal/llm"
)

func benchRequest() *llm.Request {
	return &llm.Request{Model: "fake-model", Messages: []llm.Message{
		text(llm.RoleSystem, "You are a helpful assistant."),
		text(llm.RoleUser, "Write one sentence about serverless gateways and why latency matters."),
	}}
}

func BenchmarkChat(b *testing.B) {
	m := New(Options{})
	req := benchRequest()
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := m.Chat(ctx, req); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkChatStream(b *testing.B) {
	m := New(Options{})
	req := benchRequest()
	req.IncludeUsage = true
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		s, err := m.ChatStream(ctx, req)
		if err != nil {
			b.Fatal(err)
		}
		for {
			if _, err := s.Recv(); err == io.EOF {
				break
			} else if err != nil {
				b.Fatal(err)
			}
		}
		s.Close()
	}
}
