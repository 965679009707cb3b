package rawjson

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestValid pins Valid to encoding/json.Valid on the grammar's corners;
// FuzzScan checks the same agreement on generated input.
func TestValid(t *testing.T) {
	deep := func(n int) string { return strings.Repeat("[", n) + strings.Repeat("]", n) }
	for _, s := range []string{
		``, ` `, `0`, `-0`, `01`, `-`, `1.`, `.5`, `1.5`, `1e5`, `1E+5`, `1e-5`, `1e`, `1e+`, `+1`, `-01`, `0.0e0`,
		`true`, `tru`, `truex`, `false`, `null`, `nul`, `True`,
		`""`, `"a`, `"\"`, `"\\"`, `"\/"`, `"\x"`, `"\u12"`, `"\u12g4"`, `"\u00E9"`, "\"\x1f\"", "\"\x7f\"", "\"\xff\xfe\"",
		`{}`, `{ }`, `[]`, `[ ]`, `{"a":1}`, `{"a":1,}`, `{,}`, `{"a"}`, `{"a":}`, `{1:2}`, `{"a" : 1 , "b" : [ ] }`,
		`[1,]`, `[,1]`, `[1 2]`, `[1,[2,[3]]]`, `[{"a":[{"b":{}}]}]`, `{"a":1}}`, `[[]`, `[]]`, `{"a":[}`, `[}`, `{]`,
		`1 2`, " \t\r\n1\n", "\v1", `{"a":1} x`, `[` + deep(200) + `]`,
		deep(maxDepth), deep(maxDepth + 1), strings.Repeat(`{"a":`, maxDepth) + `1` + strings.Repeat(`}`, maxDepth),
		strings.Repeat(`{"a":`, maxDepth+1) + `1` + strings.Repeat(`}`, maxDepth+1),
	} {
		if got, want := Valid([]byte(s)), json.Valid([]byte(s)); got != want {
			name := s
			if len(name) > 40 {
				name = name[:40] + "…"
			}
			t.Errorf("Valid(%q) = %v, encoding/json says %v", name, got, want)
		}
	}
}

// BenchmarkValid compares Valid with encoding/json.Valid on a chat request
// and a chat response of typical size.
func BenchmarkValid(b *testing.B) {
	docs := map[string]string{
		"request":  `{"model":"gpt-4o-mini","messages":[{"role":"system","content":"You are a helpful assistant."},{"role":"user","content":"Say hello and tell me a short fact about benchmarks."}],"max_tokens":64,"temperature":0.2}`,
		"response": `{"id":"chatcmpl-123","object":"chat.completion","created":1700000000,"model":"gpt-4o-mini-2024-07-18","choices":[{"index":0,"message":{"role":"assistant","content":"Hello! Here is a short fact about benchmarks: the first widely used CPU benchmark, Whetstone, dates from 1972.","refusal":null},"logprobs":null,"finish_reason":"stop"}],"usage":{"prompt_tokens":27,"completion_tokens":24,"total_tokens":51,"prompt_tokens_details":{"cached_tokens":0},"completion_tokens_details":{"reasoning_tokens":0}},"system_fingerprint":"fp_0123456789"}`,
	}
	for name, doc := range docs {
		data := []byte(doc)
		b.Run(name+"/rawjson", func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			for b.Loop() {
				if !Valid(data) {
					b.Fatal("invalid")
				}
			}
		})
		b.Run(name+"/encoding-json", func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			for b.Loop() {
				if !json.Valid(data) {
					b.Fatal("invalid")
				}
			}
		})
	}
}
