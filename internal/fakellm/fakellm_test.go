package fakellm

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws/protocol/eventstream"

	"github.com/tollgate-gw/tollgate/internal/llm"
	oai "github.com/tollgate-gw/tollgate/internal/wire/openai"
)

const chatBody = `{"model":"fake-model","messages":[{"role":"user","content":"Hello fake"}]}`

func serve(t *testing.T, h http.Handler, method, path, body string) *httptest.ResponseRecorder {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(method, path, strings.NewReader(body)))
	return rec
}

// events parses an SSE body into its data payloads.
func events(t *testing.T, body []byte) []string {
	t.Helper()
	if !bytes.HasSuffix(body, []byte("\n\n")) {
		t.Errorf("body does not end with a blank line: %q", body[max(0, len(body)-40):])
	}
	var out []string
	for ev := range strings.SplitSeq(strings.TrimSuffix(string(body), "\n\n"), "\n\n") {
		data, ok := strings.CutPrefix(ev, "data: ")
		if !ok || strings.Contains(data, "\n") {
			t.Fatalf("malformed event %q", ev)
		}
		out = append(out, data)
	}
	return out
}

// streamText checks an OpenAI stream's framing and returns its text, usage
// and number of content chunks.
func streamText(t *testing.T, body []byte) (string, *llm.Usage, int) {
	t.Helper()
	evs := events(t, body)
	if len(evs) < 3 || evs[len(evs)-1] != oai.Done {
		t.Fatalf("want chunks then [DONE] last, got %d events ending %q", len(evs), evs[len(evs)-1])
	}
	var text strings.Builder
	var usage *llm.Usage
	contents := 0
	for i, ev := range evs[:len(evs)-1] {
		if ev == oai.Done {
			t.Fatalf("[DONE] at event %d of %d", i, len(evs))
		}
		c, err := oai.DecodeChunk([]byte(ev))
		if err != nil {
			t.Fatalf("event %d: %v: %s", i, err, ev)
		}
		if i == 0 && (len(c.Choices) != 1 || c.Choices[0].Delta.Role != llm.RoleAssistant) {
			t.Errorf("first chunk is not the role chunk: %s", ev)
		}
		for _, ch := range c.Choices {
			if ch.Delta.Content != "" {
				contents++
			}
			text.WriteString(ch.Delta.Content)
		}
		if c.Usage != nil {
			usage = c.Usage
		}
	}
	return text.String(), usage, contents
}

func TestChatRoutes(t *testing.T) {
	h := New(Options{Chunks: 4})
	plain := serve(t, h, "POST", "/v1/chat/completions", chatBody)
	want, err := oai.DecodeChatResponse(plain.Body.Bytes())
	if err != nil {
		t.Fatalf("decoding the reference answer: %v", err)
	}
	wantText := want.Choices[0].Message.Text()
	if !strings.HasPrefix(wantText, `You said: "Hello fake". `) {
		t.Fatalf("reference answer %q does not echo the request", wantText)
	}

	tests := []struct {
		name       string
		path       string
		body       string
		stream     bool
		wantUsage  bool
		wantChunks int
	}{
		{"v1 plain", "/v1/chat/completions", chatBody, false, true, 0},
		{"bare plain", "/chat/completions", chatBody, false, true, 0},
		{"v1 stream", "/v1/chat/completions", strings.Replace(chatBody, `{`, `{"stream":true,`, 1), true, false, 4},
		{"bare stream with usage", "/chat/completions",
			strings.Replace(chatBody, `{`, `{"stream":true,"stream_options":{"include_usage":true},`, 1), true, true, 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := serve(t, h, "POST", tt.path, tt.body)
			if rec.Code != http.StatusOK {
				t.Fatalf("status %d: %s", rec.Code, rec.Body)
			}
			if !tt.stream {
				if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
					t.Errorf("Content-Type %q", ct)
				}
				if cl := rec.Header().Get("Content-Length"); cl != strconv.Itoa(rec.Body.Len()) {
					t.Errorf("Content-Length %q for %d bytes", cl, rec.Body.Len())
				}
				resp, err := oai.DecodeChatResponse(rec.Body.Bytes())
				if err != nil {
					t.Fatal(err)
				}
				if got := resp.Choices[0].Message.Text(); got != wantText || resp.Choices[0].FinishReason != llm.FinishStop {
					t.Errorf("text %q (%s), want %q", got, resp.Choices[0].FinishReason, wantText)
				}
				if resp.Usage == nil || resp.Usage.TotalTokens == 0 || resp.Model != "fake-model" {
					t.Errorf("usage %+v model %q", resp.Usage, resp.Model)
				}
				return
			}
			if ct := rec.Header().Get("Content-Type"); ct != "text/event-stream" {
				t.Errorf("Content-Type %q", ct)
			}
			if !rec.Flushed {
				t.Error("the stream was never flushed")
			}
			text, usage, contents := streamText(t, rec.Body.Bytes())
			if text != wantText {
				t.Errorf("streamed %q, want %q", text, wantText)
			}
			if contents != tt.wantChunks {
				t.Errorf("%d content chunks, want %d", contents, tt.wantChunks)
			}
			if (usage != nil) != tt.wantUsage {
				t.Errorf("usage %+v, want present = %v", usage, tt.wantUsage)
			}
			if usage != nil && *usage != *want.Usage {
				t.Errorf("usage %+v, want %+v", *usage, *want.Usage)
			}
		})
	}
}

func TestChatToolCall(t *testing.T) {
	body := `{"model":"m","messages":[{"role":"user","content":"weather?"}],"tools":[{"type":"function","function":{
		"name":"get_weather","parameters":{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}}}]}`
	rec := serve(t, New(Options{}), "POST", "/v1/chat/completions", body)
	resp, err := oai.DecodeChatResponse(rec.Body.Bytes())
	if err != nil {
		t.Fatalf("%v: %s", err, rec.Body)
	}
	c := resp.Choices[0]
	if c.FinishReason != llm.FinishToolCalls || len(c.Message.ToolCalls) != 1 ||
		c.Message.ToolCalls[0].Name != "get_weather" || c.Message.ToolCalls[0].Arguments != `{"city":"fake-city"}` {
		t.Errorf("choice = %+v", c)
	}
}

func TestConverse(t *testing.T) {
	body := `{"messages":[{"role":"user","content":[{"text":"Create a list of 3 pop songs."}]}]}`
	for _, id := range []string{"anthropic.claude-3-5-sonnet-20240620-v1:0", "arn%3Aaws%3Abedrock%3Aus-west-2%3A1%3Aprompt%2FX"} {
		t.Run(id, func(t *testing.T) {
			rec := serve(t, New(Options{}), "POST", "/model/"+id+"/converse", body)
			if rec.Code != http.StatusOK || rec.Header().Get("Content-Type") != "application/json" {
				t.Fatalf("status %d, %q: %s", rec.Code, rec.Header().Get("Content-Type"), rec.Body)
			}
			var out struct {
				Output struct {
					Message struct {
						Role    string
						Content []struct{ Text string }
					}
				}
				StopReason string
				Usage      struct{ InputTokens, OutputTokens, TotalTokens int }
				Metrics    struct{ LatencyMs *int64 }
			}
			if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil {
				t.Fatal(err)
			}
			m := out.Output.Message
			if m.Role != "assistant" || len(m.Content) != 1 || !strings.HasPrefix(m.Content[0].Text, `You said: "Create a list of 3 pop songs.". `) {
				t.Errorf("message %+v", m)
			}
			if out.StopReason != "end_turn" || out.Usage.InputTokens == 0 || out.Usage.OutputTokens == 0 ||
				out.Usage.TotalTokens != out.Usage.InputTokens+out.Usage.OutputTokens || out.Metrics.LatencyMs == nil {
				t.Errorf("stop %q usage %+v metrics %+v", out.StopReason, out.Usage, out.Metrics)
			}
		})
	}
}

func TestConverseStream(t *testing.T) {
	body := `{"messages":[{"role":"user","content":[{"text":"stream please"}]}]}`
	rec := serve(t, New(Options{Chunks: 3}), "POST", "/model/any-model/converse-stream", body)
	if rec.Code != http.StatusOK || rec.Header().Get("Content-Type") != "application/vnd.amazon.eventstream" || !rec.Flushed {
		t.Fatalf("status %d, %q, flushed %v: %s", rec.Code, rec.Header().Get("Content-Type"), rec.Flushed, rec.Body)
	}
	dec := eventstream.NewDecoder()
	var types []string
	var text strings.Builder
	r := bytes.NewReader(rec.Body.Bytes())
	for r.Len() > 0 {
		msg, err := dec.Decode(r, nil)
		if err != nil {
			t.Fatalf("after %v: %v", types, err)
		}
		typ := msg.Headers.Get(":event-type").String()
		types = append(types, typ)
		if typ == "contentBlockDelta" {
			var d struct{ Delta struct{ Text string } }
			if err := json.Unmarshal(msg.Payload, &d); err != nil {
				t.Fatal(err)
			}
			text.WriteString(d.Delta.Text)
		}
	}
	want := []string{"messageStart", "contentBlockDelta", "contentBlockDelta", "contentBlockDelta", "contentBlockStop", "messageStop", "metadata"}
	if strings.Join(types, ",") != strings.Join(want, ",") {
		t.Errorf("events %v, want %v", types, want)
	}
	if !strings.HasPrefix(text.String(), `You said: "stream please". `) {
		t.Errorf("text %q", text.String())
	}
}

func TestConveniences(t *testing.T) {
	h := New(Options{})
	tests := []struct {
		name, method, path, body string
		check                    func(t *testing.T, body []byte)
	}{
		{"embeddings", "POST", "/v1/embeddings", `{"model":"emb","input":["a","b"]}`, func(t *testing.T, body []byte) {
			resp, err := oai.DecodeEmbeddingResponse(body)
			if err != nil {
				t.Fatal(err)
			}
			if len(resp.Vectors) != 2 || len(resp.Vectors[0]) != 256 || resp.Usage == nil || resp.Usage.PromptTokens != 2 {
				t.Errorf("%d vectors of %d, usage %+v", len(resp.Vectors), len(resp.Vectors[0]), resp.Usage)
			}
		}},
		{"embeddings with dimensions", "POST", "/v1/embeddings", `{"model":"emb","input":"a","dimensions":8}`, func(t *testing.T, body []byte) {
			resp, err := oai.DecodeEmbeddingResponse(body)
			if err != nil || len(resp.Vectors) != 1 || len(resp.Vectors[0]) != 8 {
				t.Errorf("resp %+v, err %v", resp, err)
			}
		}},
		{"models", "GET", "/v1/models", "", func(t *testing.T, body []byte) {
			var list struct {
				Object string
				Data   []struct{ ID, Object string }
			}
			if err := json.Unmarshal(body, &list); err != nil || list.Object != "list" || len(list.Data) != 1 || list.Data[0].ID != "fake-model" {
				t.Errorf("%s: %v", body, err)
			}
		}},
		{"health", "GET", "/health", "", func(t *testing.T, body []byte) {
			if string(body) != `{"status":"healthy"}` {
				t.Errorf("body %s", body)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := serve(t, h, tt.method, tt.path, tt.body)
			if rec.Code != http.StatusOK || rec.Header().Get("Content-Type") != "application/json" {
				t.Fatalf("status %d %q: %s", rec.Code, rec.Header().Get("Content-Type"), rec.Body)
			}
			tt.check(t, rec.Body.Bytes())
		})
	}
}

func TestErrors(t *testing.T) {
	h := New(Options{})
	tests := []struct {
		name, method, path, body string
		wantStatus               int
		wantParam                string
		wantAllow                string
		bedrock                  bool // Bedrock's error shape
	}{
		{"malformed JSON", "POST", "/v1/chat/completions", `{"model":`, 400, "", "", false},
		{"not an object", "POST", "/chat/completions", `[1]`, 400, "", "", false},
		{"missing messages", "POST", "/v1/chat/completions", `{"model":"m"}`, 400, "messages", "", false},
		{"n too large", "POST", "/v1/chat/completions", `{"model":"m","n":1000,"messages":[{"role":"user","content":"x"}]}`, 400, "n", "", false},
		{"n too large, streamed", "POST", "/v1/chat/completions", `{"model":"m","n":1000,"stream":true,"messages":[{"role":"user","content":"x"}]}`, 400, "n", "", false},
		{"embeddings malformed", "POST", "/v1/embeddings", `{`, 400, "", "", false},
		{"body too large", "POST", "/v1/chat/completions", `{"model":"` + strings.Repeat("x", maxBody) + `"}`, 413, "", "", false},
		{"converse malformed", "POST", "/model/m/converse", `{"messages":`, 400, "", "", true},
		{"converse unknown member", "POST", "/model/m/converse", `{"messages":[],"bogus":1}`, 400, "", "", true},
		{"converse-stream malformed", "POST", "/model/m/converse-stream", `nope`, 400, "", "", true},
		{"wrong method on chat", "GET", "/v1/chat/completions", "", 405, "", "POST", false},
		{"wrong method on health", "POST", "/health", "", 405, "", "GET, HEAD", false},
		{"wrong method on converse", "PUT", "/model/x/converse", "", 405, "", "POST", false},
		{"unknown path", "POST", "/v2/chat/completions", "", 404, "", "", false},
		{"root", "GET", "/", "", 404, "", "", false},
		{"model id with a raw slash", "POST", "/model/a/b/converse", "{}", 404, "", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := serve(t, h, tt.method, tt.path, tt.body)
			if rec.Code != tt.wantStatus {
				t.Fatalf("status %d, want %d: %s", rec.Code, tt.wantStatus, rec.Body)
			}
			if got := rec.Header().Get("Allow"); got != tt.wantAllow {
				t.Errorf("Allow %q, want %q", got, tt.wantAllow)
			}
			if rec.Header().Get("Content-Type") != "application/json" {
				t.Errorf("Content-Type %q", rec.Header().Get("Content-Type"))
			}
			if tt.bedrock {
				var e struct{ Message string }
				if json.Unmarshal(rec.Body.Bytes(), &e) != nil || e.Message == "" || rec.Header().Get("X-Amzn-ErrorType") != "ValidationException" {
					t.Errorf("not a Bedrock validation error: %s %v", rec.Body, rec.Header())
				}
				return
			}
			var e struct {
				Error struct {
					Message string
					Type    string
					Param   *string
				}
			}
			if err := json.Unmarshal(rec.Body.Bytes(), &e); err != nil || e.Error.Message == "" || e.Error.Type != "invalid_request_error" {
				t.Fatalf("not an OpenAI error: %s (%v)", rec.Body, err)
			}
			if got := ""; e.Error.Param != nil && *e.Error.Param != tt.wantParam || e.Error.Param == nil && tt.wantParam != "" {
				if e.Error.Param != nil {
					got = *e.Error.Param
				}
				t.Errorf("param %q, want %q", got, tt.wantParam)
			}
		})
	}
}

func TestNewRejectsInvalidOptions(t *testing.T) {
	tests := []struct {
		name string
		opts Options
	}{
		{"negative delay", Options{Delay: [2]time.Duration{-1, 0}}},
		{"inverted delay", Options{Delay: [2]time.Duration{2 * time.Second, time.Second}}},
		{"inverted gap", Options{ChunkGap: [2]time.Duration{time.Second, 0}}},
		{"negative chunks", Options{Chunks: -1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Error("New did not panic")
				}
			}()
			New(tt.opts)
		})
	}
}

// noFlush hides the recorder's Flush, like Lambda's streaming writer.
type noFlush struct{ rec *httptest.ResponseRecorder }

func (w noFlush) Header() http.Header         { return w.rec.Header() }
func (w noFlush) Write(b []byte) (int, error) { return w.rec.Write(b) }
func (w noFlush) WriteHeader(status int)      { w.rec.WriteHeader(status) }

// failAfter fails every write after the first n, like a client that left.
type failAfter struct {
	noFlush
	n, writes int
}

func (w *failAfter) Write(b []byte) (int, error) {
	w.writes++
	if w.writes > w.n {
		return 0, errors.New("broken pipe")
	}
	return w.noFlush.Write(b)
}

func (w *failAfter) Flush() { w.rec.Flush() }

func TestStreamWriters(t *testing.T) {
	body := strings.Replace(chatBody, `{`, `{"stream":true,`, 1)
	tests := []struct {
		name       string
		wrap       func(*httptest.ResponseRecorder) http.ResponseWriter
		wantEvents int // role, content, finish and [DONE] events written
		wantDone   bool
	}{
		{"unflushable writer is taken as unbuffered", func(r *httptest.ResponseRecorder) http.ResponseWriter { return noFlush{r} }, 1 + 4 + 1 + 1, true},
		{"a failed write ends the stream", func(r *httptest.ResponseRecorder) http.ResponseWriter {
			return &failAfter{noFlush: noFlush{r}, n: 2}
		}, 2, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			New(Options{Chunks: 4}).ServeHTTP(tt.wrap(rec), httptest.NewRequest("POST", "/v1/chat/completions", strings.NewReader(body)))
			evs := events(t, rec.Body.Bytes())
			if len(evs) != tt.wantEvents || (evs[len(evs)-1] == oai.Done) != tt.wantDone {
				t.Errorf("%d events ending %q; want %d, [DONE] last = %v", len(evs), evs[len(evs)-1], tt.wantEvents, tt.wantDone)
			}
		})
	}
}
