package app

import (
	"context"
	"strings"
	"testing"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
)

// TestAzureSDKRoutes: requests in the Azure OpenAI SDKs' shape (the
// deployment in the path, ?api-version=, the key in the api-key header and
// no Authorization) reach the configured models through
// /openai/deployments/{deployment}/…, with a virtual key.
func TestAzureSDKRoutes(t *testing.T) {
	forEachStore(t, func(t *testing.T, newStoreEnv func(*testing.T) map[string]string) {
		a := startLocalApp(t, newStoreEnv(t), Options{})
		st, body := call(t, a.gw.URL, "POST", "/key/generate", idMaster, `{"models":["gpt-4o-mini","text-embedding-3-small"]}`)
		if st != 200 {
			t.Fatalf("/key/generate: %d %s", st, body)
		}
		key := between(body, `"key":"`, `"`)
		azure := func(deployment string) openai.Client {
			return openai.NewClient(option.WithBaseURL(a.gw.URL+"/openai/deployments/"+deployment+"/"),
				option.WithQuery("api-version", "2024-10-21"), option.WithHeader("api-key", key),
				option.WithHeaderDel("Authorization"), option.WithMaxRetries(0))
		}
		ctx := context.Background()
		c := azure("gpt-4o-mini")
		chat, err := c.Chat.Completions.New(ctx, openai.ChatCompletionNewParams{Model: "gpt-4o-mini",
			Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("hi")}})
		if err != nil || len(chat.Choices) == 0 || chat.Model != "gpt-4o-mini" {
			t.Fatalf("Azure chat: %v %+v", err, chat)
		}
		c = azure("text-embedding-3-small")
		emb, err := c.Embeddings.New(ctx, openai.EmbeddingNewParams{Model: "text-embedding-3-small",
			Input: openai.EmbeddingNewParamsInputUnion{OfString: openai.String("hi")}})
		if err != nil || len(emb.Data) != 1 {
			t.Fatalf("Azure embeddings: %v", err)
		}
		// The deployment in the path is the model: one the key may not use
		// is refused, whatever the body says.
		st, body = call(t, a.gw.URL, "POST", "/openai/deployments/claude-3-haiku/chat/completions?api-version=2024-10-21", "",
			`{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}]}`, "api-key", key)
		if st != 403 || !strings.Contains(body, "claude-3-haiku") {
			t.Errorf("deployment outside the key: %d %s", st, body)
		}
		st, body = call(t, a.gw.URL, "POST", "/engines/gpt-4o-mini/chat/completions", key, `{"messages":[{"role":"user","content":"hi"}]}`)
		if st != 200 || !strings.Contains(body, `"model":"gpt-4o-mini"`) {
			t.Errorf("/engines route: %d %s", st, body)
		}
	})
}
