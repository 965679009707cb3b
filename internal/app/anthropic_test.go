package app_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"

	"github.com/tollgate-gw/tollgate/internal/app"
	"github.com/tollgate-gw/tollgate/internal/provider/anthropic/anthropictest"
	"github.com/tollgate-gw/tollgate/internal/provider/openai/openaitest"
)

// anthropicUpstream answers as the Messages API: a stream when asked for
// one, else a JSON reply whose usage has prompt-cache reads and writes.
func anthropicUpstream(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	var req struct {
		Stream bool `json:"stream"`
	}
	_ = json.Unmarshal(body, &req)
	if req.Stream {
		openaitest.SSE(anthropictest.MessageStart(10), anthropictest.TextStart(0), anthropictest.Ping,
			anthropictest.TextDelta(0, "Hello"), anthropictest.TextDelta(0, " there"), anthropictest.BlockStop(0),
			anthropictest.MessageDelta("end_turn", 2), anthropictest.MessageStop)(w, r)
		return
	}
	openaitest.JSON(200, anthropictest.Message(`{"type":"text","text":"Hello there"}`, "end_turn",
		`{"input_tokens":10,"output_tokens":2,"cache_read_input_tokens":1000,"cache_creation_input_tokens":100}`))(w, r)
}

func newAnthropicGateway(t *testing.T) (*anthropictest.Server, openai.Client) {
	t.Helper()
	up := anthropictest.NewServer(t, anthropicUpstream)
	cfg := `
model_list:
  - model_name: claude
    litellm_params: {model: anthropic/claude-sonnet-4-5-20250929, api_base: "` + up.URL + `", api_key: os.environ/ANTHROPIC_API_KEY}
`
	path := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"ANTHROPIC_API_KEY": anthropictest.Key, "TOLLGATE_MASTER_KEY": masterKey, "TOLLGATE_DATA_DIR": t.TempDir()}
	a, err := app.New(context.Background(), app.Options{
		ConfigPaths: []string{path},
		LookupEnv:   func(k string) (string, bool) { v, ok := env[k]; return v, ok },
		Logger:      slog.New(slog.NewJSONHandler(io.Discard, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	gw := httptest.NewServer(a.Handler)
	t.Cleanup(func() { gw.Close(); a.Close() })
	return up, openai.NewClient(option.WithBaseURL(gw.URL+"/v1/"), option.WithAPIKey(masterKey), option.WithMaxRetries(0))
}

// TestAnthropicChat: an OpenAI client reaches an anthropic/ deployment
// through the whole HTTP stack; the upstream gets a Messages body (strictly
// checked by anthropictest), and prompt-cache usage comes back as OpenAI's
// cached_tokens and is priced at the cache rates.
func TestAnthropicChat(t *testing.T) {
	up, client := newAnthropicGateway(t)
	var raw *http.Response
	resp, err := client.Chat.Completions.New(context.Background(), openai.ChatCompletionNewParams{
		Model:    "claude",
		Messages: []openai.ChatCompletionMessageParamUnion{openai.SystemMessage("be brief"), openai.UserMessage("hi")},
	}, option.WithResponseInto(&raw))
	if err != nil {
		t.Fatal(err)
	}
	if got := resp.Choices[0].Message.Content; got != "Hello there" || resp.Choices[0].FinishReason != "stop" {
		t.Fatalf("response %+v", resp)
	}
	if u := resp.Usage; u.PromptTokens != 1110 || u.CompletionTokens != 2 || u.TotalTokens != 1112 || u.PromptTokensDetails.CachedTokens != 1000 {
		t.Fatalf("usage %+v", resp.Usage)
	}
	// 10 input at $3/M, 1000 cache reads at $0.30/M, 100 cache writes at
	// $3.75/M, 2 output at $15/M.
	want := 10*3e-6 + 1000*3e-7 + 100*3.75e-6 + 2*1.5e-5
	if cost, err := strconv.ParseFloat(raw.Header.Get("X-Litellm-Response-Cost"), 64); err != nil || math.Abs(cost-want) > 1e-12 {
		t.Fatalf("response cost %q, want %v", raw.Header.Get("X-Litellm-Response-Cost"), want)
	}
	call := up.Last(t)
	if string(call.Field("max_tokens")) != "4096" || !strings.Contains(string(call.Field("system")), "be brief") ||
		string(call.Field("model")) != `"claude-sonnet-4-5-20250929"` || call.Header.Get("Anthropic-Version") == "" {
		t.Fatalf("upstream got %s %v", call.Body, call.Header)
	}
}

func TestAnthropicChatStreaming(t *testing.T) {
	up, client := newAnthropicGateway(t)
	stream := client.Chat.Completions.NewStreaming(context.Background(), openai.ChatCompletionNewParams{
		Model:         "claude",
		Messages:      []openai.ChatCompletionMessageParamUnion{openai.UserMessage("hi")},
		StreamOptions: openai.ChatCompletionStreamOptionsParam{IncludeUsage: openai.Bool(true)},
	})
	var acc openai.ChatCompletionAccumulator
	for stream.Next() {
		acc.AddChunk(stream.Current())
	}
	if err := stream.Err(); err != nil {
		t.Fatal(err)
	}
	if got := acc.Choices[0].Message.Content; got != "Hello there" || acc.Choices[0].FinishReason != "stop" {
		t.Fatalf("stream gave %q, finish %q", got, acc.Choices[0].FinishReason)
	}
	if acc.Usage.PromptTokens != 10 || acc.Usage.CompletionTokens != 2 {
		t.Fatalf("usage %+v", acc.Usage)
	}
	if last := up.Last(t); string(last.Field("stream")) != "true" {
		t.Fatalf("upstream body %s", last.Body)
	}
}
