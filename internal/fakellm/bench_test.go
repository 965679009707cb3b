package fakellm

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

const benchBody = `{"model":"fake-model","messages":[{"role":"system","content":"You are a helpful assistant."},` +
	`{"role":"user","content":"Write one sentence about serverless gateways and why latency matters."}]}`

// benchServe sends body to path b.N times through the handler at zero delay.
func benchServe(b *testing.B, path, body string) {
	h := New(Options{})
	b.ReportAllocs()
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("POST", path, strings.NewReader(body)))
		if rec.Code != http.StatusOK {
			b.Fatalf("status %d: %s", rec.Code, rec.Body)
		}
	}
}

func BenchmarkChat(b *testing.B) {
	benchServe(b, "/v1/chat/completions", benchBody)
}

func BenchmarkChatStream(b *testing.B) {
	benchServe(b, "/v1/chat/completions", strings.Replace(benchBody, `{`, `{"stream":true,"stream_options":{"include_usage":true},`, 1))
}

func BenchmarkConverse(b *testing.B) {
	benchServe(b, "/model/anthropic.claude-3-5-sonnet-20240620-v1:0/converse",
		`{"system":[{"text":"You are a helpful assistant."}],"messages":[{"role":"user","content":[{"text":"Write one sentence about serverless gateways and why latency matters."}]}]}`)
}

// BenchmarkRecorder is the cost of the harness alone (recorder and request),
// to subtract from the figures above.
func BenchmarkRecorder(b *testing.B) {
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {})
	b.ReportAllocs()
	for b.Loop() {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("POST", "/v1/chat/completions", strings.NewReader(benchBody)))
	}
}
