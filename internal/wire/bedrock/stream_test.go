package bedrock

import (
	"bytes"
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws/protocol/eventstream"

	"github.com/tollgate-gw/tollgate/internal/llm"
)

// frame is one decoded eventstream message: its :event-type (or
// "!"+:exception-type for an exception) and its JSON payload.
type frame struct {
	Type    string
	Payload string
}

// decodeFrames parses an eventstream body with the SDK's decoder and checks
// the headers every frame must carry.
func decodeFrames(t testing.TB, body []byte) []frame {
	t.Helper()
	dec := eventstream.NewDecoder()
	r := bytes.NewReader(body)
	var out []frame
	for {
		msg, err := dec.Decode(r, nil)
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatalf("frame %d: %v", len(out), err)
		}
		header := func(name string) string {
			v := msg.Headers.Get(name)
			if v == nil {
				t.Fatalf("frame %d: no %s header", len(out), name)
			}
			return v.String()
		}
		if ct := header(":content-type"); ct != "application/json" {
			t.Fatalf("frame %d: content type %q", len(out), ct)
		}
		f := frame{Payload: string(msg.Payload)}
		switch mt := header(":message-type"); mt {
		case "event":
			f.Type = header(":event-type")
		case "exception":
			f.Type = "!" + header(":exception-type")
		default:
			t.Fatalf("frame %d: message type %q", len(out), mt)
		}
		out = append(out, f)
	}
}

func textChunk(s string) *llm.Chunk {
	return &llm.Chunk{Choices: []llm.ChunkChoice{{Delta: llm.Delta{Content: s}}}}
}

func toolChunk(index int, id, name, args string) *llm.Chunk {
	return &llm.Chunk{Choices: []llm.ChunkChoice{{Delta: llm.Delta{ToolCalls: []llm.ToolCallDelta{
		{Index: index, ID: id, Type: "function", Name: name, Arguments: args}}}}}}
}

func finishChunk(reason string) *llm.Chunk {
	return &llm.Chunk{Choices: []llm.ChunkChoice{{FinishReason: reason}}}
}

func usageChunk(u llm.Usage) *llm.Chunk { return &llm.Chunk{Usage: &u} }

const (
	start = `{"role":"assistant"}`
)

func TestStreamEncoder(t *testing.T) {
	tests := []struct {
		caseName
		chunks  []*llm.Chunk
		usage   *llm.Usage
		latency time.Duration
		want    []frame
	}{{
		caseName: name("text"),
		chunks: []*llm.Chunk{
			{Choices: []llm.ChunkChoice{{Delta: llm.Delta{Role: llm.RoleAssistant, HasContent: true}}}},
			textChunk("Hel"), textChunk("lo"), finishChunk("stop"),
			usageChunk(llm.Usage{PromptTokens: 5, CompletionTokens: 2, TotalTokens: 7}),
		},
		latency: 250 * time.Millisecond,
		want: []frame{
			{"messageStart", start},
			{"contentBlockDelta", `{"contentBlockIndex":0,"delta":{"text":"Hel"}}`},
			{"contentBlockDelta", `{"contentBlockIndex":0,"delta":{"text":"lo"}}`},
			{"contentBlockStop", `{"contentBlockIndex":0}`},
			{"messageStop", `{"stopReason":"end_turn"}`},
			{"metadata", `{"usage":{"inputTokens":5,"outputTokens":2,"totalTokens":7},"metrics":{"latencyMs":250}}`},
		},
	}, {
		caseName: name("text then two tool calls map to blocks 1 and 2"),
		chunks: []*llm.Chunk{
			textChunk("Let me check."),
			toolChunk(0, "call_a", "weather", ""),
			toolChunk(0, "", "", `{"city":`),
			toolChunk(0, "", "", `"Paris"}`),
			toolChunk(1, "call_b", "time", `{"tz":"CET"}`),
			finishChunk("tool_calls"),
		},
		usage: &llm.Usage{PromptTokens: 100, CompletionTokens: 30, TotalTokens: 130, CacheReadTokens: 80},
		want: []frame{
			{"messageStart", start},
			{"contentBlockDelta", `{"contentBlockIndex":0,"delta":{"text":"Let me check."}}`},
			{"contentBlockStop", `{"contentBlockIndex":0}`},
			{"contentBlockStart", `{"contentBlockIndex":1,"start":{"toolUse":{"toolUseId":"call_a","name":"weather"}}}`},
			{"contentBlockDelta", `{"contentBlockIndex":1,"delta":{"toolUse":{"input":"{\"city\":"}}}`},
			{"contentBlockDelta", `{"contentBlockIndex":1,"delta":{"toolUse":{"input":"\"Paris\"}"}}}`},
			{"contentBlockStop", `{"contentBlockIndex":1}`},
			{"contentBlockStart", `{"contentBlockIndex":2,"start":{"toolUse":{"toolUseId":"call_b","name":"time"}}}`},
			{"contentBlockDelta", `{"contentBlockIndex":2,"delta":{"toolUse":{"input":"{\"tz\":\"CET\"}"}}}`},
			{"contentBlockStop", `{"contentBlockIndex":2}`},
			{"messageStop", `{"stopReason":"tool_use"}`},
			{"metadata", `{"usage":{"inputTokens":20,"outputTokens":30,"totalTokens":130,"cacheReadInputTokens":80},"metrics":{"latencyMs":0}}`},
		},
	}, {
		caseName: name("two calls in one chunk, every call with index 0"),
		chunks: []*llm.Chunk{{Choices: []llm.ChunkChoice{{Delta: llm.Delta{ToolCalls: []llm.ToolCallDelta{
			{ID: "x", Name: "f", Arguments: `{}`},
			{ID: "y", Name: "g", Arguments: `{"a":1}`},
		}}, FinishReason: "tool_calls"}}}},
		want: []frame{
			{"messageStart", start},
			{"contentBlockStart", `{"contentBlockIndex":0,"start":{"toolUse":{"toolUseId":"x","name":"f"}}}`},
			{"contentBlockDelta", `{"contentBlockIndex":0,"delta":{"toolUse":{"input":"{}"}}}`},
			{"contentBlockStop", `{"contentBlockIndex":0}`},
			{"contentBlockStart", `{"contentBlockIndex":1,"start":{"toolUse":{"toolUseId":"y","name":"g"}}}`},
			{"contentBlockDelta", `{"contentBlockIndex":1,"delta":{"toolUse":{"input":"{\"a\":1}"}}}`},
			{"contentBlockStop", `{"contentBlockIndex":1}`},
			{"messageStop", `{"stopReason":"tool_use"}`},
			{"metadata", `{"usage":{"inputTokens":0,"outputTokens":0,"totalTokens":0},"metrics":{"latencyMs":0}}`},
		},
	}, {
		caseName: name("reasoning then text"),
		chunks: []*llm.Chunk{
			{Choices: []llm.ChunkChoice{{Delta: llm.Delta{Reasoning: &llm.Reasoning{Text: "Think"}}}}},
			{Choices: []llm.ChunkChoice{{Delta: llm.Delta{Reasoning: &llm.Reasoning{Text: "ing.", Signature: "sig"}}}}},
			{Choices: []llm.ChunkChoice{{Delta: llm.Delta{Reasoning: &llm.Reasoning{Redacted: []byte{0xff}}}}}},
			textChunk("Answer"),
		},
		want: []frame{
			{"messageStart", start},
			{"contentBlockDelta", `{"contentBlockIndex":0,"delta":{"reasoningContent":{"text":"Think"}}}`},
			{"contentBlockDelta", `{"contentBlockIndex":0,"delta":{"reasoningContent":{"text":"ing."}}}`},
			{"contentBlockDelta", `{"contentBlockIndex":0,"delta":{"reasoningContent":{"signature":"sig"}}}`},
			{"contentBlockDelta", `{"contentBlockIndex":0,"delta":{"reasoningContent":{"redactedContent":"/w=="}}}`},
			{"contentBlockStop", `{"contentBlockIndex":0}`},
			{"contentBlockDelta", `{"contentBlockIndex":1,"delta":{"text":"Answer"}}`},
			{"contentBlockStop", `{"contentBlockIndex":1}`},
			{"messageStop", `{"stopReason":"end_turn"}`},
			{"metadata", `{"usage":{"inputTokens":0,"outputTokens":0,"totalTokens":0},"metrics":{"latencyMs":0}}`},
		},
	}, {
		caseName: name("no finish reason after tool call, usage from chunk"),
		chunks: []*llm.Chunk{
			toolChunk(0, "c", "f", `{}`),
			usageChunk(llm.Usage{PromptTokens: 3, CompletionTokens: 4}),
		},
		want: []frame{
			{"messageStart", start},
			{"contentBlockStart", `{"contentBlockIndex":0,"start":{"toolUse":{"toolUseId":"c","name":"f"}}}`},
			{"contentBlockDelta", `{"contentBlockIndex":0,"delta":{"toolUse":{"input":"{}"}}}`},
			{"contentBlockStop", `{"contentBlockIndex":0}`},
			{"messageStop", `{"stopReason":"tool_use"}`},
			{"metadata", `{"usage":{"inputTokens":3,"outputTokens":4,"totalTokens":7},"metrics":{"latencyMs":0}}`},
		},
	}, {
		caseName: name("empty upstream"),
		want: []frame{
			{"messageStart", start},
			{"messageStop", `{"stopReason":"end_turn"}`},
			{"metadata", `{"usage":{"inputTokens":0,"outputTokens":0,"totalTokens":0},"metrics":{"latencyMs":0}}`},
		},
	}, {
		caseName: name("other choices, refusal, content after finish"),
		chunks: []*llm.Chunk{
			{Choices: []llm.ChunkChoice{{Index: 1, Delta: llm.Delta{Content: "ignored"}}}},
			{Choices: []llm.ChunkChoice{{Delta: llm.Delta{Refusal: "No."}, FinishReason: "content_filter"}}},
			textChunk("late"),
		},
		want: []frame{
			{"messageStart", start},
			{"contentBlockDelta", `{"contentBlockIndex":0,"delta":{"text":"No."}}`},
			{"contentBlockStop", `{"contentBlockIndex":0}`},
			{"contentBlockDelta", `{"contentBlockIndex":1,"delta":{"text":"late"}}`},
			{"contentBlockStop", `{"contentBlockIndex":1}`},
			{"messageStop", `{"stopReason":"content_filtered"}`},
			{"metadata", `{"usage":{"inputTokens":0,"outputTokens":0,"totalTokens":0},"metrics":{"latencyMs":0}}`},
		},
	}}
	for _, tt := range tests {
		tt.run(t, func(t *testing.T) {
			var buf bytes.Buffer
			e := NewStreamEncoder(&buf)
			for i, c := range tt.chunks {
				if err := e.WriteChunk(c); err != nil {
					t.Fatalf("chunk %d: %v", i, err)
				}
			}
			if err := e.Finish(tt.usage, tt.latency); err != nil {
				t.Fatal(err)
			}
			// Finish happens once; a second call writes nothing.
			n := buf.Len()
			if err := e.Finish(tt.usage, tt.latency); err != nil || buf.Len() != n {
				t.Fatalf("second Finish: err %v, wrote %d bytes", err, buf.Len()-n)
			}
			if err := e.WriteChunk(textChunk("x")); err == nil {
				t.Fatal("WriteChunk after Finish succeeded")
			}
			got := decodeFrames(t, buf.Bytes())
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("frames:\n got %s\nwant %s", dump(got), dump(tt.want))
			}
		})
	}
}

// TestStreamEncoderWritesAsChunksArrive checks that each chunk's events are
// written before the next chunk is given, not buffered to the end.
func TestStreamEncoderWritesAsChunksArrive(t *testing.T) {
	var buf bytes.Buffer
	e := NewStreamEncoder(&buf)
	if err := e.WriteChunk(textChunk("a")); err != nil {
		t.Fatal(err)
	}
	got := decodeFrames(t, buf.Bytes())
	want := []frame{{"messageStart", start}, {"contentBlockDelta", `{"contentBlockIndex":0,"delta":{"text":"a"}}`}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("after one chunk:\n got %s\nwant %s", dump(got), dump(want))
	}
}

func TestStreamEncoderLateToolFragment(t *testing.T) {
	for _, late := range []*llm.Chunk{toolChunk(0, "", "", `"x"}`), toolChunk(5, "a", "", `"x"}`)} {
		var buf bytes.Buffer
		e := NewStreamEncoder(&buf)
		for _, c := range []*llm.Chunk{toolChunk(0, "a", "f", `{"k":`), toolChunk(1, "b", "g", `{}`)} {
			if err := e.WriteChunk(c); err != nil {
				t.Fatal(err)
			}
		}
		err := e.WriteChunk(late)
		const want = `converse stream: tool call`
		if err == nil || !strings.Contains(err.Error(), "continued after its content block was closed") {
			t.Fatalf("late fragment %+v: error %v, want one saying %q…", late.Choices[0].Delta.ToolCalls[0], err, want)
		}
	}
}

type failingWriter struct{ n int }

func (w *failingWriter) Write(p []byte) (int, error) {
	if w.n == 0 {
		return 0, errors.New("broken pipe")
	}
	w.n--
	return len(p), nil
}

func TestStreamEncoderWriteError(t *testing.T) {
	e := NewStreamEncoder(&failingWriter{n: 1})
	err := e.WriteChunk(textChunk("a")) // messageStart succeeds, the delta fails
	if err == nil || !strings.Contains(err.Error(), "broken pipe") {
		t.Fatalf("WriteChunk error %v, want broken pipe", err)
	}
	if err2 := e.WriteChunk(textChunk("b")); err2 != err {
		t.Fatalf("second WriteChunk error %v, want the first one again", err2)
	}
	if err2 := e.Finish(nil, 0); err2 != err {
		t.Fatalf("Finish error %v, want the first one again", err2)
	}
}

func BenchmarkStreamEncoderText(b *testing.B) {
	c := textChunk("a token or two")
	e := NewStreamEncoder(io.Discard)
	b.ReportAllocs()
	for b.Loop() {
		if err := e.WriteChunk(c); err != nil {
			b.Fatal(err)
		}
	}
}
