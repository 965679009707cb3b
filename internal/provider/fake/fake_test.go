package fake

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/tollgate-gw/tollgate/internal/llm"
	"github.com/tollgate-gw/tollgate/internal/provider"
)

func ptr[T any](v T) *T { return &v }

func text(role llm.Role, s string) llm.Message {
	return llm.Message{Role: role, Content: []llm.Part{{Type: llm.PartText, Text: s}}}
}

func userReq(s string) *llm.Request {
	return &llm.Request{Model: "fake-model", Messages: []llm.Message{text(llm.RoleUser, s)}}
}

func chat(t *testing.T, m *Model, req *llm.Request) *llm.Response {
	t.Helper()
	resp, err := m.Chat(context.Background(), req)
	if err != nil {
		t.Fatalf("Chat: %v", err)
	}
	return resp
}

func TestChatText(t *testing.T) {
	weatherCall := llm.Message{Role: llm.RoleAssistant, ToolCalls: []llm.ToolCall{
		{ID: "call_1", Type: "function", Name: "get_weather", Arguments: `{"city":"Oslo"}`},
		{ID: "call_2", Type: "function", Name: "get_time", Arguments: `{}`},
	}}
	tests := []struct {
		name       string
		opts       Options
		req        *llm.Request
		want       string // exact text, unless wantPrefix is set
		wantPrefix string
		wantFinish string
	}{
		{
			name:       "echoes the user",
			req:        userReq("Hello there"),
			wantPrefix: `You said: "Hello there". `,
			wantFinish: llm.FinishStop,
		},
		{
			name:       "collapses whitespace and cuts long text",
			req:        userReq("  a\n\tb   " + strings.Repeat("x", 100)),
			wantPrefix: `You said: "a b ` + strings.Repeat("x", echoLimit-4) + `…". `,
			wantFinish: llm.FinishStop,
		},
		{
			name: "echoes the last user message, not the system prompt",
			req: &llm.Request{Messages: []llm.Message{
				text(llm.RoleSystem, "be brief"), text(llm.RoleUser, "first"),
				text(llm.RoleAssistant, "ok"), text(llm.RoleUser, "second"),
			}},
			wantPrefix: `You said: "second". `,
			wantFinish: llm.FinishStop,
		},
		{
			name:       "mock response",
			opts:       Options{MockResponse: "fixed reply"},
			req:        userReq("anything"),
			want:       "fixed reply",
			wantFinish: llm.FinishStop,
		},
		{
			name:       "stop sequence cuts at its match",
			opts:       Options{MockResponse: "alpha beta gamma"},
			req:        &llm.Request{Messages: userReq("x").Messages, Stop: []string{"beta"}},
			want:       "alpha ",
			wantFinish: llm.FinishStop,
		},
		{
			name:       "earliest of several stop sequences wins",
			opts:       Options{MockResponse: "alpha beta gamma"},
			req:        &llm.Request{Messages: userReq("x").Messages, Stop: []string{"", "gamma", "ta"}},
			want:       "alpha be",
			wantFinish: llm.FinishStop,
		},
		{
			name:       "max_tokens truncates",
			opts:       Options{MockResponse: "abcdefghij"},
			req:        &llm.Request{Messages: userReq("x").Messages, MaxTokens: ptr(2)},
			want:       "abcdefgh",
			wantFinish: llm.FinishLength,
		},
		{
			name:       "max_tokens that fits leaves the reply whole",
			opts:       Options{MockResponse: "abcdefghij"},
			req:        &llm.Request{Messages: userReq("x").Messages, MaxTokens: ptr(3)},
			want:       "abcdefghij",
			wantFinish: llm.FinishStop,
		},
		{
			name: "max_completion_tokens wins over max_tokens",
			opts: Options{MockResponse: "abcdefghij"},
			req: &llm.Request{Messages: userReq("x").Messages,
				MaxTokens: ptr(100), MaxCompletionTokens: ptr(1)},
			want:       "abcd",
			wantFinish: llm.FinishLength,
		},
		{
			name:       "max_tokens zero gives nothing",
			opts:       Options{MockResponse: "abc"},
			req:        &llm.Request{Messages: userReq("x").Messages, MaxTokens: ptr(0)},
			want:       "",
			wantFinish: llm.FinishLength,
		},
		{
			name:       "truncation keeps whole runes",
			opts:       Options{MockResponse: "ééééé"},
			req:        &llm.Request{Messages: userReq("x").Messages, MaxTokens: ptr(1)},
			want:       "éé",
			wantFinish: llm.FinishLength,
		},
		{
			name:       "truncation backs off a split rune",
			opts:       Options{MockResponse: "a€€"},
			req:        &llm.Request{Messages: userReq("x").Messages, MaxTokens: ptr(1)},
			want:       "a€",
			wantFinish: llm.FinishLength,
		},
		{
			name: "answers tool results, naming each tool",
			opts: Options{MockResponse: "ignored after tool results"},
			req: &llm.Request{Messages: []llm.Message{
				text(llm.RoleUser, "weather and time?"),
				weatherCall,
				{Role: llm.RoleTool, ToolCallID: "call_1", Content: []llm.Part{{Type: llm.PartText, Text: `{"temp": 21}`}}},
				{Role: llm.RoleTool, ToolCallID: "call_2", Content: []llm.Part{{Type: llm.PartText, Text: "noon"}}},
			}, Tools: []llm.Tool{{Name: "get_weather"}}},
			want:       `The get_weather tool returned: "{"temp": 21}". The get_time tool returned: "noon".`,
			wantFinish: llm.FinishStop,
		},
		{
			name: "tool result with an unknown call id",
			req: &llm.Request{Messages: []llm.Message{
				{Role: llm.RoleTool, ToolCallID: "nope", Content: []llm.Part{{Type: llm.PartText, Text: "42"}}},
			}},
			want:       `The tool returned: "42".`,
			wantFinish: llm.FinishStop,
		},
		{
			name: "json_schema gives a placeholder instance",
			req: &llm.Request{Messages: userReq("x").Messages, ResponseFormat: &llm.ResponseFormat{
				Type:       "json_schema",
				JSONSchema: json.RawMessage(`{"name":"r","schema":{"type":"object","properties":{"n":{"type":"integer"}},"required":["n"]}}`),
			}},
			want:       `{"n":0}`,
			wantFinish: llm.FinishStop,
		},
		{
			name:       "unreadable json_schema gives an empty object",
			req:        &llm.Request{Messages: userReq("x").Messages, ResponseFormat: &llm.ResponseFormat{Type: "json_schema", JSONSchema: json.RawMessage(`[`)}},
			want:       `{}`,
			wantFinish: llm.FinishStop,
		},
		{
			name:       "json_object wraps the sentence",
			req:        &llm.Request{Messages: userReq(`say "hi"`).Messages, ResponseFormat: &llm.ResponseFormat{Type: "json_object"}},
			wantPrefix: `{"reply":"You said: \"say \"hi\"\". `,
			wantFinish: llm.FinishStop,
		},
		{
			name:       "no user text gives just a sentence",
			req:        &llm.Request{Messages: []llm.Message{text(llm.RoleSystem, "sys")}},
			wantFinish: llm.FinishStop,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := New(tt.opts)
			resp := chat(t, m, tt.req)
			if len(resp.Choices) != 1 {
				t.Fatalf("got %d choices, want 1", len(resp.Choices))
			}
			c := resp.Choices[0]
			got := c.Message.Text()
			switch {
			case tt.wantPrefix != "":
				if !strings.HasPrefix(got, tt.wantPrefix) || !strings.HasSuffix(got, ".") && !strings.HasSuffix(got, `."}`) {
					t.Errorf("text = %q, want prefix %q and a full stop", got, tt.wantPrefix)
				}
			case tt.want != "" || tt.opts.MockResponse != "":
				if got != tt.want {
					t.Errorf("text = %q, want %q", got, tt.want)
				}
			default:
				if strings.Contains(got, "You said") || len(got) < 10 {
					t.Errorf("text = %q, want a bare sentence", got)
				}
			}
			if c.FinishReason != tt.wantFinish {
				t.Errorf("finish = %q, want %q", c.FinishReason, tt.wantFinish)
			}
			if c.Message.Role != llm.RoleAssistant || len(c.Message.ToolCalls) != 0 {
				t.Errorf("message = %+v, want an assistant text message", c.Message)
			}
			if tt.req.ResponseFormat != nil && !json.Valid([]byte(got)) {
				t.Errorf("text %q is not JSON", got)
			}
			if u := resp.Usage; u.CompletionTokens != tokens(len(got)) || u.TotalTokens != u.PromptTokens+u.CompletionTokens {
				t.Errorf("usage = %+v for %d bytes of reply", *u, len(got))
			}
			if again := chat(t, m, tt.req); again.Choices[0].Message.Text() != got || again.ID != resp.ID {
				t.Errorf("second identical request answered %q (id %s), first %q (id %s)",
					again.Choices[0].Message.Text(), again.ID, got, resp.ID)
			}
		})
	}
}

func TestChatDeterminism(t *testing.T) {
	m := New(Options{})
	a := chat(t, m, userReq("Hello")).Choices[0].Message.Text()
	tests := []struct {
		name string
		req  *llm.Request
		same bool
	}{
		{"identical request", userReq("Hello"), true},
		{"other sampling parameters", &llm.Request{Model: "fake-model", Messages: userReq("Hello").Messages, Temperature: ptr(1.5), TopP: ptr(0.1)}, true},
		{"seed", &llm.Request{Model: "fake-model", Messages: userReq("Hello").Messages, Seed: ptr[int64](7)}, false},
		{"other model", &llm.Request{Model: "other", Messages: userReq("Hello").Messages}, false},
		{"system prompt", &llm.Request{Model: "fake-model", Messages: []llm.Message{text(llm.RoleSystem, "s"), text(llm.RoleUser, "Hello")}}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := chat(t, m, tt.req).Choices[0].Message.Text()
			// All replies echo "Hello"; the sentence after the echo carries the hash.
			if (a == b) != tt.same {
				t.Errorf("reply %q vs %q: same = %v, want %v", b, a, a == b, tt.same)
			}
		})
	}
}

func TestChatModelAndN(t *testing.T) {
	tests := []struct {
		name      string
		opts      Options
		n         *int
		wantModel string
		wantN     int
	}{
		{"echoes the requested model", Options{}, nil, "fake-model", 1},
		{"reports ModelID", Options{ModelID: "fake/gpt-4o"}, nil, "fake/gpt-4o", 1},
		{"n=3", Options{}, ptr(3), "fake-model", 3},
		{"n=0 means one", Options{}, ptr(0), "fake-model", 1},
		{"n at the limit", Options{}, ptr(maxChoices), "fake-model", maxChoices},
	}
	single := chat(t, New(Options{}), userReq("pick")).Choices[0].Message.Text()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := userReq("pick")
			req.N = tt.n
			resp := chat(t, New(tt.opts), req)
			if resp.Model != tt.wantModel {
				t.Errorf("model = %q, want %q", resp.Model, tt.wantModel)
			}
			if len(resp.Choices) != tt.wantN {
				t.Fatalf("%d choices, want %d", len(resp.Choices), tt.wantN)
			}
			if !strings.HasPrefix(resp.ID, "chatcmpl-fake-") || resp.Created == 0 {
				t.Errorf("id %q created %d", resp.ID, resp.Created)
			}
			completion := 0
			seen := map[string]bool{}
			for i, c := range resp.Choices {
				if c.Index != i {
					t.Errorf("choice %d has index %d", i, c.Index)
				}
				completion += tokens(len(c.Message.Text()))
				seen[c.Message.Text()] = true
			}
			if resp.Choices[0].Message.Text() != single {
				t.Errorf("first choice %q differs from the n=1 reply %q", resp.Choices[0].Message.Text(), single)
			}
			if tt.wantN > 1 && len(seen) < 2 {
				t.Errorf("all %d choices are the same", tt.wantN)
			}
			if resp.Usage.CompletionTokens != completion {
				t.Errorf("completion tokens = %d, want %d (all choices)", resp.Usage.CompletionTokens, completion)
			}
		})
	}
}

func TestRefusedCounts(t *testing.T) {
	m := New(Options{})
	ctx := context.Background()
	tooMany := userReq("x")
	tooMany.N = ptr(maxChoices + 1)
	calls := []struct {
		name  string
		param string
		call  func() error
	}{
		{"chat n", "n", func() error { _, err := m.Chat(ctx, tooMany); return err }},
		{"stream n", "n", func() error { _, err := m.ChatStream(ctx, tooMany); return err }},
		{"image n", "n", func() error {
			_, err := m.GenerateImage(ctx, &llm.ImageRequest{Prompt: "p", N: ptr(maxImages + 1)})
			return err
		}},
		{"dimensions", "dimensions", func() error {
			_, err := m.Embed(ctx, &llm.EmbeddingRequest{Input: []string{"a"}, Dimensions: ptr(maxDimensions + 1)})
			return err
		}},
	}
	for _, tt := range calls {
		t.Run(tt.name, func(t *testing.T) {
			pe, ok := provider.AsError(tt.call())
			if !ok {
				t.Fatal("want a *provider.Error")
			}
			if pe.Kind != provider.KindBadRequest || pe.Status != http.StatusBadRequest || pe.Param != tt.param || pe.Provider != Name {
				t.Errorf("error = %+v", pe)
			}
		})
	}
}

func TestPromptTokens(t *testing.T) {
	tests := []struct {
		name string
		req  *llm.Request
		want int
	}{
		{"empty request", &llm.Request{}, replyPriming},
		{"one short message", userReq("Hello"), replyPriming + perMessage + 2},
		{"name costs one", &llm.Request{Messages: []llm.Message{{Role: llm.RoleUser, Name: "bob",
			Content: []llm.Part{{Type: llm.PartText, Text: "12345678"}}}}}, replyPriming + perMessage + perName + 2},
		{"text parts add up before rounding", &llm.Request{Messages: []llm.Message{{Role: llm.RoleUser,
			Content: []llm.Part{{Type: llm.PartText, Text: "ab"}, {Type: llm.PartText, Text: "cd"}}}}}, replyPriming + perMessage + 1},
		{"images", &llm.Request{Messages: []llm.Message{{Role: llm.RoleUser, Content: []llm.Part{
			{Type: llm.PartImage, Image: &llm.Image{URL: "https://x/y.png"}},
			{Type: llm.PartImage, Image: &llm.Image{URL: "https://x/z.png"}}}}}}, replyPriming + perMessage + 2*perImage},
		{"documents count their bytes", &llm.Request{Messages: []llm.Message{{Role: llm.RoleUser, Content: []llm.Part{
			{Type: llm.PartDocument, Document: &llm.Document{Data: make([]byte, 40)}}}}}}, replyPriming + perMessage + 10},
		{"tool calls", &llm.Request{Messages: []llm.Message{{Role: llm.RoleAssistant, ToolCalls: []llm.ToolCall{
			{Name: "abcd", Arguments: "{}"}}}}}, replyPriming + perMessage + toolCallTokens + 2},
		{"tool definitions", &llm.Request{Tools: []llm.Tool{{Name: "abcd", Description: "efgh",
			Parameters: json.RawMessage(`{}`)}}}, replyPriming + perTool + 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := promptTokens(tt.req); got != tt.want {
				t.Errorf("promptTokens = %d, want %d", got, tt.want)
			}
		})
	}
}

func TestChatLatency(t *testing.T) {
	tests := []struct {
		name    string
		latency time.Duration
		cancel  time.Duration // 0: never
		wantAt  time.Duration
		wantErr error
	}{
		{"zero latency answers at once", 0, 0, 0, nil},
		{"answers after the latency", 1500 * time.Millisecond, 0, 1500 * time.Millisecond, nil},
		{"cancel during the latency", 2 * time.Second, 300 * time.Millisecond, 300 * time.Millisecond, context.Canceled},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				ctx, cancel := context.WithCancel(t.Context())
				defer cancel()
				if tt.cancel > 0 {
					time.AfterFunc(tt.cancel, cancel)
				}
				m := New(Options{Latency: tt.latency})
				start := time.Now()
				resp, err := m.Chat(ctx, userReq("hi"))
				if at := time.Since(start); at != tt.wantAt {
					t.Errorf("returned after %v, want %v", at, tt.wantAt)
				}
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("err = %v, want %v", err, tt.wantErr)
				}
				if err == nil && len(resp.Choices) != 1 {
					t.Errorf("resp = %+v", resp)
				}
			})
		})
	}
}

func TestChatDeadline(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithTimeout(t.Context(), time.Second)
		defer cancel()
		_, err := New(Options{Latency: time.Minute}).Chat(ctx, userReq("hi"))
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("err = %v, want DeadlineExceeded", err)
		}
	})
}

func TestChatCanceledBeforeStart(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	m := New(Options{})
	if _, err := m.Chat(ctx, userReq("hi")); !errors.Is(err, context.Canceled) {
		t.Errorf("Chat err = %v, want Canceled", err)
	}
	if _, err := m.ChatStream(ctx, userReq("hi")); !errors.Is(err, context.Canceled) {
		t.Errorf("ChatStream err = %v, want Canceled", err)
	}
}
