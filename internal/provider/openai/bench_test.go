package openai_test

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/tollgate-gw/tollgate/internal/httpclient"
	"github.com/tollgate-gw/tollgate/internal/provider/openai"
	"github.com/tollgate-gw/tollgate/internal/provider/openai/openaitest"
	wire "github.com/tollgate-gw/tollgate/internal/wire/openai"
)

// BenchmarkChat is one non-streaming round trip over loopback. "raw" posts
// the same bytes with the same client and reads the reply without the
// adapter, so adapter = the difference.
func BenchmarkChat(b *testing.B) {
	reply := []byte(openaitest.ChatCompletion)
	srv := openaitest.NewServer(b, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Length", strconv.Itoa(len(reply)))
		_, _ = w.Write(reply)
	})
	client := httpclient.New(nil)
	defer client.CloseIdleConnections()
	m, err := openai.New(client, openai.Options{BaseURL: srv.URL + "/v1", APIKey: testKey, ModelID: "gpt-4o-mini", Timeout: time.Minute})
	if err != nil {
		b.Fatal(err)
	}
	req := chatRequest(b, `{"model":"g","messages":[{"role":"system","content":"You are terse."},{"role":"user","content":"Say hello"}],"max_tokens":64,"temperature":0.2}`)
	ctx := context.Background()

	b.Run("adapter", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := m.Chat(ctx, req); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("raw", func(b *testing.B) {
		body := wire.EncodeChatRequest(req, wire.RequestOptions{Model: "gpt-4o-mini"})
		b.ReportAllocs()
		for b.Loop() {
			hr, _ := http.NewRequestWithContext(ctx, http.MethodPost, srv.URL+"/v1/chat/completions", bytes.NewReader(body))
			hr.Header.Set("Authorization", "Bearer "+testKey)
			hr.Header.Set("Content-Type", "application/json")
			resp, err := client.Do(hr)
			if err != nil {
				b.Fatal(err)
			}
			_, _ = io.ReadAll(resp.Body)
			resp.Body.Close()
		}
	})
}

// BenchmarkStreamLoopback streams 100 content chunks plus usage per call
// over loopback and reports the cost per chunk, the fake's writes included.
func BenchmarkStreamLoopback(b *testing.B) {
	const chunksPerStream = 100
	var payload bytes.Buffer
	for range chunksPerStream {
		payload.WriteString("data: " + openaitest.StreamText[1] + "\n\n")
	}
	payload.WriteString("data: " + openaitest.StreamText[4] + "\n\ndata: [DONE]\n\n")
	body := payload.Bytes()
	srv := openaitest.NewServer(b, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		rc := http.NewResponseController(w)
		// One write and flush per event, as a real upstream streams.
		for rest := body; len(rest) > 0; {
			i := bytes.Index(rest, []byte("\n\n")) + 2
			_, _ = w.Write(rest[:i])
			_ = rc.Flush()
			rest = rest[i:]
		}
	})
	client := httpclient.New(nil)
	defer client.CloseIdleConnections()
	m, err := openai.New(client, openai.Options{BaseURL: srv.URL + "/v1", APIKey: testKey, ModelID: "gpt-4o-mini", Timeout: time.Minute, StreamTimeout: time.Minute})
	if err != nil {
		b.Fatal(err)
	}
	req := chatRequest(b, `{"model":"g","messages":[{"role":"user","content":"Say hello"}],"stream":true}`)
	ctx := context.Background()

	b.Run("adapter", func(b *testing.B) {
		b.ReportAllocs()
		chunks := 0
		for b.Loop() {
			s, err := m.ChatStream(ctx, req)
			if err != nil {
				b.Fatal(err)
			}
			for {
				_, err := s.Recv()
				if err == io.EOF {
					break
				}
				if err != nil {
					b.Fatal(err)
				}
				chunks++
			}
			s.Close()
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(chunks), "ns/chunk")
	})
	b.Run("raw", func(b *testing.B) {
		enc := wire.EncodeChatRequest(req, wire.RequestOptions{Model: "gpt-4o-mini", IncludeUsage: true})
		b.ReportAllocs()
		events := 0
		for b.Loop() {
			hr, _ := http.NewRequestWithContext(ctx, http.MethodPost, srv.URL+"/v1/chat/completions", bytes.NewReader(enc))
			hr.Header.Set("Authorization", "Bearer "+testKey)
			hr.Header.Set("Content-Type", "application/json")
			resp, err := client.Do(hr)
			if err != nil {
				b.Fatal(err)
			}
			sc := bufio.NewScanner(resp.Body)
			for sc.Scan() {
				if len(sc.Bytes()) > 0 {
					events++
				}
			}
			resp.Body.Close()
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(events), "ns/chunk")
	})
}
