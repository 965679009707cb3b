package bedrock

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/schemas"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/types"
	"github.com/aws/smithy-go/transport/http/protocol/restjson1"

	"github.com/tollgate-gw/tollgate/internal/llm"
)

func testdataRequests(t testing.TB) map[string][]byte {
	t.Helper()
	paths, err := filepath.Glob("testdata/requests/*.json")
	if err != nil || len(paths) == 0 {
		t.Fatalf("no testdata requests: %v", err)
	}
	out := make(map[string][]byte, len(paths))
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		out[filepath.Base(p)] = b
	}
	return out
}

// TestTestdataRequests checks that every captured or hand-written request
// decodes (stream_* files as ConverseStream) and survives a round trip.
func TestTestdataRequests(t *testing.T) {
	for file, body := range testdataRequests(t) {
		t.Run(file, func(t *testing.T) {
			decode := DecodeConverseRequest
			if strings.HasPrefix(file, "stream_") {
				decode = DecodeConverseStreamRequest
			}
			req, err := decode("m", body)
			if err != nil {
				t.Fatal(err)
			}
			checkRoundTrip(t, decode, req)
		})
	}
}

func checkRoundTrip(t *testing.T, decode func(string, []byte) (*llm.Request, error), req *llm.Request) {
	t.Helper()
	enc, err := EncodeConverseRequest(req)
	if err != nil {
		t.Fatalf("a decoded request does not encode: %v\n%s", err, dump(req))
	}
	if !json.Valid(enc) {
		t.Fatalf("encoded invalid JSON: %q", enc)
	}
	again, err := decode(req.Model, enc)
	if err != nil {
		t.Fatalf("re-decoding %s: %v", enc, err)
	}
	if !reflect.DeepEqual(again, req) {
		t.Fatalf("round trip via %s:\n got %s\nwant %s", enc, dump(again), dump(req))
	}
}

// FuzzConverseDecode: arbitrary bodies never panic, every failure is a
// *DecodeError, and whatever decodes encodes and decodes back to the same
// request.
func FuzzConverseDecode(f *testing.F) {
	for _, body := range testdataRequests(f) {
		f.Add(body, false)
		f.Add(body, true)
	}
	f.Add([]byte(`{"messages":[{"role":"user","content":[{"toolResult":{"toolUseId":"a","content":[]}}]},{"role":"user","content":[]}]}`), false)
	f.Add([]byte(`{"system":[],"messages":[{"content":[{"text":"\u2028\ud800"}],"role":"system"}]}`), false)
	f.Add([]byte(`{"messages":[{"role":"assistant","content":[{"reasoningContent":{"reasoningText":{"text":""}}},{"toolUse":{"toolUseId":"x","name":"y","input":"s"}}]}]}`), false)
	f.Fuzz(func(t *testing.T, body []byte, stream bool) {
		decode := DecodeConverseRequest
		if stream {
			decode = DecodeConverseStreamRequest
		}
		req, err := decode("m", body)
		if err != nil {
			var de *DecodeError
			if !errors.As(err, &de) {
				t.Fatalf("error %T %v is not a *DecodeError", err, err)
			}
			return
		}
		checkRoundTrip(t, decode, req)
	})
}

// chunkScript turns fuzz bytes into a stream of chunks: each op byte picks a
// kind of delta and the bytes after it supply its text, tool index or
// reason, so the fuzzer explores interleavings of text, reasoning, tool-call
// fragments, finish reasons and usage.
func chunkScript(script []byte) []*llm.Chunk {
	var chunks []*llm.Chunk
	take := func() string {
		if len(script) == 0 {
			return ""
		}
		n := min(int(script[0]%8), len(script)-1)
		s := string(script[1 : 1+n])
		script = script[1+n:]
		return s
	}
	arg := func() int {
		if len(script) == 0 {
			return 0
		}
		b := script[0]
		script = script[1:]
		return int(b)
	}
	reasons := []string{"stop", "length", "tool_calls", "content_filter", "stop_sequence", "weird"}
	for len(script) > 0 {
		op := script[0] % 9
		script = script[1:]
		var c llm.Chunk
		d := llm.Delta{}
		switch op {
		case 0:
			d.Content = take()
		case 1:
			d.Reasoning = &llm.Reasoning{Text: take()}
		case 2:
			d.Reasoning = &llm.Reasoning{Signature: take(), Redacted: []byte(take())}
		case 3:
			i := arg() % 3
			d.ToolCalls = []llm.ToolCallDelta{{Index: i, ID: fmt.Sprintf("call_%d_%d", i, len(chunks)), Name: take(), Arguments: take()}}
		case 4:
			d.ToolCalls = []llm.ToolCallDelta{{Index: arg() % 3, Arguments: take()}}
		case 5:
			c.Choices = []llm.ChunkChoice{{FinishReason: reasons[arg()%len(reasons)]}}
		case 6:
			c.Usage = &llm.Usage{PromptTokens: arg(), CompletionTokens: arg(), CacheReadTokens: arg() % 4}
		case 7:
			d.Refusal = take()
		case 8:
			c.Choices = []llm.ChunkChoice{{Index: 1, Delta: llm.Delta{Content: take()}}}
		}
		if c.Choices == nil && c.Usage == nil {
			c.Choices = []llm.ChunkChoice{{Delta: d}}
		}
		chunks = append(chunks, &c)
	}
	return chunks
}

// sdkEvents parses a ConverseStream body with the SDK's own protocol codec
// (the one bedrockruntime's stream reader runs), returning the typed events
// and the error that ended the stream, if any.
func sdkEvents(t *testing.T, body []byte) ([]any, error) {
	t.Helper()
	p := restjson1.New(schemas.AmazonBedrockFrontendService)
	r := bytes.NewReader(body)
	var evs []any
	for {
		ev, err := p.DeserializeEventMessage(schemas.ConverseStreamOutput, bedrockruntime.TypeRegistry, r)
		if errors.Is(err, io.EOF) {
			return evs, nil
		}
		if err != nil {
			return evs, err
		}
		evs = append(evs, ev)
	}
}

// FuzzEventStream: for any chunk sequence the encoder's output parses with
// the SDK's eventstream decoder and its Converse codec; content blocks open,
// fill and close in order with consecutive indexes and one kind each;
// messageStop and metadata come exactly once, last; and the text, reasoning
// and tool input the client reassembles are exactly what the chunks carried.
func FuzzEventStream(f *testing.F) {
	f.Add([]byte{0, 3, 'h', 'i', '!', 3, 0, 2, 'f', 'n', 4, '{', '}', 'x', 3, 1, 1, 'g', 4, 0, 1, 2, 5, 2, 6, 9, 9, 9})
	f.Add([]byte{1, 4, 't', 'h', 'i', 'n', 2, 2, 's', 'g', 1, 'r', 0, 1, 'a', 3, 0, 1, 'f', 0, 4, 1, 2, '{', '}', 4, 0, 1, 'x'})
	f.Add([]byte{5, 0, 0, 3, 'a', 'b', 'c', 8, 2, 'z', 'z', 7, 3, 'n', 'o', '.', 6, 1, 2, 3})
	f.Add([]byte{3, 0, 1, 'a', 3, '{', '"', 'k', 3, 0, 1, 'b', 1, '}', 4, 0, 2, '"', '}'})
	f.Fuzz(func(t *testing.T, script []byte) {
		chunks := chunkScript(script)
		var buf bytes.Buffer
		e := NewStreamEncoder(&buf)
		var text, reasoning, signature, redacted, args strings.Builder
		var usage *llm.Usage
		finish := ""
		tools := false
		var failed error
		for _, c := range chunks {
			mark := buf.Len()
			if err := e.WriteChunk(c); err != nil {
				if !strings.Contains(err.Error(), "continued after its content block was closed") {
					t.Fatalf("unexpected WriteChunk error: %v", err)
				}
				// The chunk may have written events for its earlier parts;
				// the expectations below count whole chunks, so drop them.
				buf.Truncate(mark)
				failed = err
				break
			}
			if c.Usage != nil {
				usage = c.Usage
			}
			for _, ch := range c.Choices {
				if ch.Index != 0 {
					continue
				}
				// Each fragment is a JSON string on the wire, so invalid
				// UTF-8 in it arrives as U+FFFD, byte by byte.
				text.WriteString(sanitize(ch.Delta.Content))
				text.WriteString(sanitize(ch.Delta.Refusal))
				if r := ch.Delta.Reasoning; r != nil {
					reasoning.WriteString(sanitize(r.Text))
					signature.WriteString(sanitize(r.Signature))
					redacted.Write(r.Redacted)
				}
				for _, tc := range ch.Delta.ToolCalls {
					args.WriteString(sanitize(tc.Arguments))
					tools = true
				}
				if ch.FinishReason != "" {
					finish = ch.FinishReason
				}
			}
		}
		if failed != nil {
			if err := WriteStreamError(&buf, failed); err != nil {
				t.Fatal(err)
			}
		} else if err := e.Finish(nil, 42*time.Millisecond); err != nil {
			t.Fatal(err)
		}

		frames := decodeFrames(t, buf.Bytes()) // the SDK's eventstream.Decoder
		for i, fr := range frames {
			if !json.Valid([]byte(fr.Payload)) {
				t.Fatalf("frame %d payload is not JSON: %q", i, fr.Payload)
			}
		}
		evs, streamErr := sdkEvents(t, buf.Bytes())
		if len(evs) != len(frames)-btoi(failed != nil) {
			t.Fatalf("%d frames but the SDK decoded %d events (err %v)", len(frames), len(evs), streamErr)
		}
		if failed != nil {
			var ise *types.InternalServerException
			if !errors.As(streamErr, &ise) {
				t.Fatalf("stream error %T %v, want InternalServerException", streamErr, streamErr)
			}
		} else if streamErr != nil {
			t.Fatalf("SDK decode: %v", streamErr)
		}

		var gotText, gotReasoning, gotSig, gotRedacted, gotArgs strings.Builder
		open, next := -1, 0
		kinds := map[int]string{}
		stops, metas := 0, 0
		for i, ev := range evs {
			if i == 0 {
				if ms, ok := ev.(*types.MessageStartEvent); !ok || ms.Role != types.ConversationRoleAssistant {
					t.Fatalf("first event %#v, want messageStart assistant", ev)
				}
				continue
			}
			if stops > 0 && metas > 0 {
				t.Fatalf("event %d (%T) after metadata", i, ev)
			}
			kind := func(idx *int32, k string) {
				t.Helper()
				n := int(aws.ToInt32(idx))
				switch {
				case n == open:
				case open == -1 && n == next && k != "":
					open, next = n, next+1
				default:
					t.Fatalf("event %d for block %d; open %d, next %d", i, n, open, next)
				}
				if k == "" {
					return
				}
				if kinds[n] == "" {
					kinds[n] = k
				}
				if kinds[n] != k {
					t.Fatalf("block %d holds %s and %s", n, kinds[n], k)
				}
			}
			switch ev := ev.(type) {
			case *types.ContentBlockStartEvent:
				if _, ok := ev.Start.(*types.ContentBlockStartMemberToolUse); !ok || int(aws.ToInt32(ev.ContentBlockIndex)) != next {
					t.Fatalf("event %d: bad start %#v", i, ev)
				}
				kind(ev.ContentBlockIndex, "toolUse")
			case *types.ContentBlockDeltaEvent:
				switch d := ev.Delta.(type) {
				case *types.ContentBlockDeltaMemberText:
					kind(ev.ContentBlockIndex, "text")
					gotText.WriteString(d.Value)
				case *types.ContentBlockDeltaMemberToolUse:
					if kinds[int(aws.ToInt32(ev.ContentBlockIndex))] != "toolUse" {
						t.Fatalf("event %d: toolUse delta in a block without a toolUse start", i)
					}
					kind(ev.ContentBlockIndex, "toolUse")
					gotArgs.WriteString(aws.ToString(d.Value.Input))
				case *types.ContentBlockDeltaMemberReasoningContent:
					kind(ev.ContentBlockIndex, "reasoning")
					switch r := d.Value.(type) {
					case *types.ReasoningContentBlockDeltaMemberText:
						gotReasoning.WriteString(r.Value)
					case *types.ReasoningContentBlockDeltaMemberSignature:
						gotSig.WriteString(r.Value)
					case *types.ReasoningContentBlockDeltaMemberRedactedContent:
						gotRedacted.Write(r.Value)
					}
				default:
					t.Fatalf("event %d: delta %T", i, d)
				}
			case *types.ContentBlockStopEvent:
				kind(ev.ContentBlockIndex, "")
				open = -1
			case *types.MessageStopEvent:
				if open != -1 {
					t.Fatalf("messageStop with block %d open", open)
				}
				if want := types.StopReason(stopReason(finish, tools)); ev.StopReason != want {
					t.Fatalf("stop reason %q, want %q", ev.StopReason, want)
				}
				stops++
			case *types.ConverseStreamMetadataEvent:
				if stops != 1 {
					t.Fatal("metadata before messageStop")
				}
				u := usage
				if u == nil {
					u = &llm.Usage{}
				}
				if aws.ToInt32(ev.Usage.OutputTokens) != int32(u.CompletionTokens) ||
					aws.ToInt32(ev.Usage.CacheReadInputTokens) != int32(u.CacheReadTokens) ||
					aws.ToInt64(ev.Metrics.LatencyMs) != 42 {
					t.Fatalf("metadata %#v for usage %+v", ev, u)
				}
				metas++
			default:
				t.Fatalf("event %d: unexpected %T", i, ev)
			}
		}
		if failed == nil && (stops != 1 || metas != 1) {
			t.Fatalf("%d messageStop and %d metadata events, want one each", stops, metas)
		}
		if failed != nil && (stops != 0 || metas != 0) {
			t.Fatal("messageStop or metadata written before the exception")
		}
		for _, c := range [...]struct {
			what      string
			got, want string
		}{
			{"text", gotText.String(), text.String()},
			{"reasoning", gotReasoning.String(), reasoning.String()},
			{"signature", gotSig.String(), signature.String()},
			{"redacted", gotRedacted.String(), redacted.String()},
			{"tool input", gotArgs.String(), args.String()},
		} {
			if c.got != c.want {
				t.Fatalf("%s: the client reassembles %q, the chunks carried %q", c.what, c.got, c.want)
			}
		}
	})
}

// sanitize replaces each invalid UTF-8 byte with U+FFFD, as JSON encoders do.
func sanitize(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		b.WriteRune(r)
		i += n
	}
	return b.String()
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}
