package bedrock

import (
	"encoding/json"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/document"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/types"

	"github.com/tollgate-gw/tollgate/internal/llm"
	"github.com/tollgate-gw/tollgate/internal/provider"
)

// FuzzBuildConverse feeds arbitrary client input through both chat
// translations. Whatever is refused must be a *provider.Error; whatever is
// accepted must serialise to valid JSON (documents included) and never panic.
func FuzzBuildConverse(f *testing.F) {
	f.Add("hi", `{"city":"Paris"}`, []byte(`{"type":"object"}`), "top_k", []byte(`50`), "data:image/png;base64,iVBORw0KGgo=",
		[]byte(`{"type":"ephemeral","ttl":"1h"}`), []byte(`{"name":"a","schema":{"type":"object"}}`), "high", "anthropic.claude-sonnet-4")
	f.Add("", "", []byte(nil), "guardrailConfig", []byte(`{"guardrailIdentifier":"g","guardrailVersion":"1"}`), "https://x/y.png",
		[]byte(nil), []byte(`null`), "", "amazon.nova-pro-v1:0")
	f.Add(" ", "{", []byte(`[1]`), "additionalModelRequestFields", []byte(`{"a":1e400}`), "data:,", []byte(`7`), []byte(`{}`), "low", "openai.gpt-oss-120b-1:0")
	f.Add("x", `{"n":12345678901234567890}`, []byte(`{"properties":{"n":{"type":"integer"}}}`), "promptVariables", []byte(`{"v":{"text":"t"}}`),
		"data:image/webp;base64,UklGRg==", []byte(`{}`), []byte(`{"schema":{}}`), "minimal", "meta.llama3")
	f.Fuzz(func(t *testing.T, msg, args string, schema []byte, extraName string, extraValue []byte, imageURL string,
		cacheControl, rfSchema []byte, effort, family string) {
		req := &llm.Request{
			Messages: []llm.Message{
				{Role: llm.RoleSystem, Content: []llm.Part{{Type: llm.PartText, Text: msg, CacheControl: cacheControl}}},
				{Role: llm.RoleUser, Content: []llm.Part{
					{Type: llm.PartText, Text: msg, CacheControl: cacheControl},
					{Type: llm.PartImage, Image: &llm.Image{URL: imageURL}},
				}},
				{Role: llm.RoleAssistant, Content: []llm.Part{{Type: llm.PartText, Text: msg}},
					ToolCalls: []llm.ToolCall{{ID: "t1", Name: "f", Arguments: args}}},
				{Role: llm.RoleTool, ToolCallID: "t1", Content: []llm.Part{{Type: llm.PartText, Text: msg}}},
			},
			Tools:           []llm.Tool{{Name: "f", Parameters: schema, CacheControl: cacheControl}},
			ResponseFormat:  &llm.ResponseFormat{Type: "json_schema", JSONSchema: rfSchema},
			ReasoningEffort: effort,
			Extra:           []llm.Field{{Name: extraName, Value: extraValue}},
		}
		for _, drop := range []bool{false, true} {
			c, err := buildConverse(req, family, drop)
			if err != nil {
				if _, ok := provider.AsError(err); !ok {
					t.Fatalf("untyped error %T: %v", err, err)
				}
			} else {
				checkDocuments(t, c)
			}
			body, _, err := buildAnthropic(req, family, drop)
			if err != nil {
				if _, ok := provider.AsError(err); !ok {
					t.Fatalf("untyped error %T: %v", err, err)
				}
				continue
			}
			raw, err := json.Marshal(body)
			if err != nil || !json.Valid(raw) {
				t.Fatalf("anthropic body does not encode: %v", err)
			}
		}
	})
}

// checkDocuments encodes every smithy document the request carries, as the
// SDK will; an encoding failure there would silently send broken JSON.
func checkDocuments(t *testing.T, c *converseRequest) {
	t.Helper()
	docs := []document.Interface{}
	if len(c.additional) > 0 {
		docs = append(docs, document.NewLazyDocument(c.additional))
	}
	for _, m := range c.messages {
		for _, b := range m.Content {
			if tu, ok := b.(*types.ContentBlockMemberToolUse); ok {
				docs = append(docs, tu.Value.Input)
			}
		}
	}
	if c.tools != nil {
		for _, tool := range c.tools.Tools {
			if ts, ok := tool.(*types.ToolMemberToolSpec); ok {
				docs = append(docs, ts.Value.InputSchema.(*types.ToolInputSchemaMemberJson).Value)
			}
		}
	}
	for _, d := range docs {
		raw, err := d.MarshalSmithyDocument()
		if err != nil || !json.Valid(raw) {
			t.Fatalf("document does not encode: %v %q", err, raw)
		}
	}
}

// FuzzStreamMapper drives the chunk mapper with arbitrary event sequences:
// it must never panic, and tool call indices must be dense and stable per
// content block.
func FuzzStreamMapper(f *testing.F) {
	f.Add([]byte{0, 1, 2, 3, 4, 5, 6, 7})
	f.Add([]byte{1, 1, 2, 2, 9, 200, 3})
	f.Fuzz(func(t *testing.T, script []byte) {
		m := chunkMapper{id: "x", model: "m", toolIndex: map[int32]int{}}
		seen := map[int32]int{}
		for i, b := range script {
			block := int32(b >> 4)
			var ev types.ConverseStreamOutput
			switch b % 8 {
			case 0:
				ev = &types.ConverseStreamOutputMemberMessageStart{Value: types.MessageStartEvent{Role: "assistant"}}
			case 1:
				ev = &types.ConverseStreamOutputMemberContentBlockStart{Value: types.ContentBlockStartEvent{
					ContentBlockIndex: aws.Int32(block),
					Start:             &types.ContentBlockStartMemberToolUse{Value: types.ToolUseBlockStart{ToolUseId: aws.String("id"), Name: aws.String("n")}}}}
			case 2:
				ev = &types.ConverseStreamOutputMemberContentBlockDelta{Value: types.ContentBlockDeltaEvent{
					ContentBlockIndex: aws.Int32(block), Delta: &types.ContentBlockDeltaMemberToolUse{Value: types.ToolUseBlockDelta{Input: aws.String("{")}}}}
			case 3:
				ev = &types.ConverseStreamOutputMemberContentBlockDelta{Value: types.ContentBlockDeltaEvent{
					ContentBlockIndex: aws.Int32(block), Delta: &types.ContentBlockDeltaMemberText{Value: string(script[i:])}}}
			case 4:
				ev = &types.ConverseStreamOutputMemberContentBlockDelta{Value: types.ContentBlockDeltaEvent{
					ContentBlockIndex: nil, Delta: &types.ContentBlockDeltaMemberReasoningContent{Value: &types.ReasoningContentBlockDeltaMemberSignature{Value: "s"}}}}
			case 5:
				ev = &types.ConverseStreamOutputMemberMessageStop{Value: types.MessageStopEvent{StopReason: types.StopReason(script[i:])}}
			case 6:
				ev = &types.ConverseStreamOutputMemberMetadata{Value: types.ConverseStreamMetadataEvent{Usage: &types.TokenUsage{InputTokens: aws.Int32(int32(b))}}}
			default:
				ev = &types.ConverseStreamOutputMemberContentBlockDelta{Value: types.ContentBlockDeltaEvent{}}
			}
			c := m.chunk(ev)
			if c == nil || len(c.Choices) == 0 {
				continue
			}
			for _, tc := range c.Choices[0].Delta.ToolCalls {
				if prev, ok := seen[block]; ok && prev != tc.Index {
					t.Fatalf("block %d changed tool index %d → %d", block, prev, tc.Index)
				}
				seen[block] = tc.Index
				if tc.Index >= len(m.toolIndex) {
					t.Fatalf("tool index %d beyond %d calls", tc.Index, len(m.toolIndex))
				}
			}
		}
	})
}
