package bedrock

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/tollgate-gw/tollgate/internal/llm"
)

const (
	pngB64 = "iVBORw0KGgo="
	pdfB64 = "JVBERi0xLjQ="
)

var (
	pngBytes = []byte("\x89PNG\r\n\x1a\n")
	pdfBytes = []byte("%PDF-1.4")
)

func raw(s string) json.RawMessage { return json.RawMessage(s) }

func userText(s string) llm.Message {
	return llm.Message{Role: llm.RoleUser, Content: []llm.Part{{Type: llm.PartText, Text: s}}}
}

func TestDecodeConverseRequest(t *testing.T) {
	const model = "anthropic.claude-3-5-sonnet-20240620-v1:0"
	tests := []struct {
		caseName
		body   string
		stream bool
		want   *llm.Request
	}{{
		caseName: name("minimal"),
		body:     `{"messages":[{"role":"user","content":[{"text":"hi"}]}]}`,
		want:     &llm.Request{Model: model, Messages: []llm.Message{userText("hi")}},
	}, {
		caseName: name("system after messages, inference config"),
		body: `{
			"messages": [{"role": "user", "content": [{"text": "hi"}]}],
			"system": [{"text": "be brief"}, {"cachePoint": {"type": "default", "ttl": "1h"}}],
			"inferenceConfig": {"maxTokens": 100, "temperature": 0.5, "topP": 0.9, "stopSequences": ["END", "\n\nHuman:"]}
		}`,
		want: &llm.Request{
			Model: model,
			Messages: []llm.Message{
				{Role: llm.RoleSystem, Content: []llm.Part{
					{Type: llm.PartText, Text: "be brief"},
					{Type: llm.PartCachePoint, CacheControl: raw(`{"type": "default", "ttl": "1h"}`)},
				}},
				userText("hi"),
			},
			MaxTokens:   ptr(100),
			Temperature: ptr(0.5),
			TopP:        ptr(0.9),
			Stop:        []string{"END", "\n\nHuman:"},
		},
	}, {
		caseName: name("images documents audio"),
		body: `{"messages":[{"role":"user","content":[
			{"image":{"format":"png","source":{"bytes":"` + pngB64 + `"}}},
			{"image":{"format":"jpeg","source":{"s3Location":{"uri":"s3://bucket/cat.jpg"}}}},
			{"document":{"format":"pdf","name":"report","source":{"bytes":"` + pdfB64 + `"}}},
			{"document":{"format":"txt","name":"notes","source":{"text":"plain words"}}},
			{"document":{"name":"remote","source":{"s3Location":{"uri":"s3://bucket/doc.pdf"}}}},
			{"audio":{"format":"wav","source":{"bytes":"` + pngB64 + `"}}},
			{"text":"describe these"}
		]}]}`,
		want: &llm.Request{Model: model, Messages: []llm.Message{{Role: llm.RoleUser, Content: []llm.Part{
			{Type: llm.PartImage, Image: &llm.Image{Data: pngBytes, MediaType: "image/png"}},
			{Type: llm.PartImage, Image: &llm.Image{URL: "s3://bucket/cat.jpg", MediaType: "image/jpeg"}},
			{Type: llm.PartDocument, Document: &llm.Document{Name: "report", Format: "pdf", MediaType: "application/pdf",
				Data: pdfBytes}},
			{Type: llm.PartDocument, Document: &llm.Document{Name: "notes", Format: "txt", MediaType: "text/plain",
				Data: []byte("plain words")}},
			{Type: llm.PartDocument, Document: &llm.Document{Name: "remote", FileID: "s3://bucket/doc.pdf"}},
			{Type: llm.PartAudio, Audio: &llm.Audio{Format: "wav", Data: pngBytes}},
			{Type: llm.PartText, Text: "describe these"},
		}}}},
	}, {
		caseName: name("tool conversation becomes OpenAI shaped"),
		body: `{
			"messages": [
				{"role": "user", "content": [{"text": "weather in Paris and Rome?"}]},
				{"role": "assistant", "content": [
					{"text": "Checking."},
					{"toolUse": {"toolUseId": "tu_1", "name": "weather", "input": {"city": "Paris"}}},
					{"toolUse": {"toolUseId": "tu_2", "name": "weather", "input": {"city": "Rome"}}}
				]},
				{"role": "user", "content": [
					{"text": "here you go"},
					{"toolResult": {"toolUseId": "tu_1", "content": [{"text": "sunny"}], "status": "success"}},
					{"toolResult": {"toolUseId": "tu_2", "content": [{"json": {"temp": 21, "sky": "clear"}}], "status": "error"}}
				]}
			],
			"toolConfig": {
				"tools": [
					{"toolSpec": {"name": "weather", "description": "current weather",
						"inputSchema": {"json": {"type": "object", "properties": {"city": {"type": "string"}}}}, "strict": true}},
					{"cachePoint": {"type": "default"}},
					{"toolSpec": {"name": "noop", "inputSchema": {"json": {}}}}
				],
				"toolChoice": {"any": {}}
			}
		}`,
		want: &llm.Request{
			Model: model,
			Messages: []llm.Message{
				userText("weather in Paris and Rome?"),
				{Role: llm.RoleAssistant, Content: []llm.Part{{Type: llm.PartText, Text: "Checking."}}, ToolCalls: []llm.ToolCall{
					{ID: "tu_1", Type: "function", Name: "weather", Arguments: `{"city": "Paris"}`},
					{ID: "tu_2", Type: "function", Name: "weather", Arguments: `{"city": "Rome"}`},
				}},
				{Role: llm.RoleTool, ToolCallID: "tu_1", Content: []llm.Part{{Type: llm.PartText, Text: "sunny"}}},
				{Role: llm.RoleTool, ToolCallID: "tu_2",
					Content: []llm.Part{{Type: llm.PartText, Text: `{"temp": 21, "sky": "clear"}`}}},
				userText("here you go"),
			},
			Tools: []llm.Tool{
				{Type: "function", Name: "weather", Description: "current weather",
					Parameters:   raw(`{"type": "object", "properties": {"city": {"type": "string"}}}`),
					Strict:       ptr(true),
					CacheControl: raw(`{"type": "default"}`)},
				{Type: "function", Name: "noop", Parameters: raw(`{}`)},
			},
			ToolChoice: &llm.ToolChoice{Mode: "required"},
		},
	}, {
		caseName: name("tool results only: no empty user message"),
		body: `{"messages":[{"role":"user","content":[{"toolResult":{"toolUseId":"a","content":[]}}]}],
			"toolConfig":{"tools":[],"toolChoice":{"tool":{"name":"weather"}}}}`,
		want: &llm.Request{Model: model,
			Messages:   []llm.Message{{Role: llm.RoleTool, ToolCallID: "a"}},
			Tools:      []llm.Tool{},
			ToolChoice: &llm.ToolChoice{Mode: "function", Function: "weather"},
		},
	}, {
		caseName: name("tool choice auto"),
		body:     `{"toolConfig":{"tools":[],"toolChoice":{"auto":{}}}}`,
		want:     &llm.Request{Model: model, Tools: []llm.Tool{}, ToolChoice: &llm.ToolChoice{Mode: "auto"}},
	}, {
		caseName: name("reasoning"),
		body: `{"messages":[{"role":"assistant","content":[
			{"reasoningContent":{"reasoningText":{"text":"think","signature":"sig=="}}},
			{"reasoningContent":{"redactedContent":"` + pngB64 + `"}},
			{"text":"answer"}
		]}]}`,
		want: &llm.Request{Model: model, Messages: []llm.Message{{
			Role:      llm.RoleAssistant,
			Content:   []llm.Part{{Type: llm.PartText, Text: "answer"}},
			Reasoning: &llm.Reasoning{Text: "think", Signature: "sig==", Redacted: pngBytes},
		}}},
	}, {
		caseName: name("guard content"),
		body: `{"system":[{"guardContent":{"text":{"text":"policy","qualifiers":["guard_content"]}}}],
			"messages":[{"role":"user","content":[
				{"guardContent":{"text":{"text":"is this ok?","qualifiers":["query"]}}},
				{"guardContent":{"image":{"format":"png","source":{"bytes":"` + pngB64 + `"}}}}
			]}]}`,
		want: &llm.Request{Model: model, Messages: []llm.Message{
			{Role: llm.RoleSystem, Content: []llm.Part{{Type: llm.PartText, Text: "policy"}}},
			{Role: llm.RoleUser, Content: []llm.Part{
				{Type: llm.PartText, Text: "is this ok?"},
				{Type: llm.PartImage, Image: &llm.Image{Data: pngBytes, MediaType: "image/png"}},
			}},
		}},
	}, {
		caseName: name("guard image in system"),
		body:     `{"system":[{"guardContent":{"image":{"format":"jpeg","source":{"bytes":"` + pngB64 + `"}}}}]}`,
		want: &llm.Request{Model: model, Messages: []llm.Message{{Role: llm.RoleSystem, Content: []llm.Part{
			{Type: llm.PartImage, Image: &llm.Image{Data: pngBytes, MediaType: "image/jpeg"}}}}}},
	}, {
		caseName: name("gateway controls lifted out of additionalModelRequestFields"),
		body: `{"messages":[{"role":"user","content":[{"text":"hi"}]}],
			"additionalModelRequestFields":{"top_k": 200, "enable_history": true,"session_id":"s-1",
				"thinking": {"type": "enabled", "budget_tokens": 1024}}}`,
		want: &llm.Request{Model: model, Messages: []llm.Message{userText("hi")},
			Extra: []llm.Field{{Name: ExtraAdditionalModelRequestFields,
				Value: raw(`{"top_k":200,"thinking":{"type": "enabled", "budget_tokens": 1024}}`)}},
			Gateway: llm.GatewayOptions{EnableHistory: true, SessionID: "s-1"},
		},
	}, {
		caseName: name("only gateway controls: nothing forwarded"),
		body:     `{"additionalModelRequestFields":{"session_id":"s-2"}}`,
		want:     &llm.Request{Model: model, Gateway: llm.GatewayOptions{SessionID: "s-2"}},
	}, {
		caseName: name("additionalModelRequestFields kept byte for byte"),
		body:     `{"additionalModelRequestFields":{ "top_k" : 1e2, "x": 12345678901234567890 }}`,
		want: &llm.Request{Model: model, Extra: []llm.Field{{Name: ExtraAdditionalModelRequestFields,
			Value: raw(`{ "top_k" : 1e2, "x": 12345678901234567890 }`)}}},
	}, {
		caseName: name("managed prompt with verbatim members"),
		body: `{"promptVariables":{"topic":{"text":"fruit"}},
			"requestMetadata":{"team":"search"},
			"guardrailConfig":{"guardrailIdentifier":"gr1","guardrailVersion":"1","trace":"enabled"},
			"performanceConfig":{"latency":"optimized"},
			"serviceTier":{"type":"priority"},
			"additionalModelResponseFieldPaths":["/stop_sequence"]}`,
		want: &llm.Request{Model: model,
			Metadata: raw(`{"team":"search"}`),
			Extra: []llm.Field{
				{Name: ExtraGuardrailConfig, Value: raw(`{"guardrailIdentifier":"gr1","guardrailVersion":"1","trace":"enabled"}`)},
				{Name: ExtraPerformanceConfig, Value: raw(`{"latency":"optimized"}`)},
				{Name: ExtraServiceTier, Value: raw(`{"type":"priority"}`)},
				{Name: ExtraAdditionalModelResponseFieldPaths, Value: raw(`["/stop_sequence"]`)},
			},
			Gateway: llm.GatewayOptions{PromptVariables: raw(`{"topic":{"text":"fruit"}}`)},
		},
	}, {
		caseName: name("output config"),
		body: `{"outputConfig":{"effort":"high","textFormat":{"type":"json_schema","structure":{"jsonSchema":
			{"name":"person","description":"a \"person\"","schema":"{\"type\":\"object\"}"}}}}}`,
		want: &llm.Request{Model: model, ReasoningEffort: "high", ResponseFormat: &llm.ResponseFormat{
			Type: "json_schema", JSONSchema: raw(`{"name":"person","description":"a \"person\"","schema":{"type":"object"}}`)}},
	}, {
		caseName: name("stream guardrail processing mode"),
		stream:   true,
		body:     `{"guardrailConfig":{"guardrailIdentifier":"g","guardrailVersion":"DRAFT","streamProcessingMode":"async"}}`,
		want: &llm.Request{Model: model, Stream: true, IncludeUsage: true, Extra: []llm.Field{{Name: ExtraGuardrailConfig,
			Value: raw(`{"guardrailIdentifier":"g","guardrailVersion":"DRAFT","streamProcessingMode":"async"}`)}}},
	}, {
		caseName: name("nulls are unset, escaped names are names"),
		body: `{"system":null,"messages":[{"r\u006fle":"user","content":[{"text":"a\/b \u00e9","image":null}]}],
			"inferenceConfig":{"maxTokens":null}}`,
		want: &llm.Request{Model: model, Messages: []llm.Message{userText("a/b é")}},
	}, {
		caseName: name("empty lists"),
		body:     `{"messages":[],"system":[],"inferenceConfig":{"stopSequences":[]}}`,
		want:     &llm.Request{Model: model, Messages: []llm.Message{{Role: llm.RoleSystem}}, Stop: []string{}},
	}, {
		caseName: name("system role message and empty user turn"),
		body: `{"messages":[{"role":"system","content":[{"text":"sys"}]},
			{"role":"user","content":[{"toolResult":{"toolUseId":"t","content":[{"text":"r"}]}}]},
			{"role":"user","content":[]}]}`,
		want: &llm.Request{Model: model, Messages: []llm.Message{
			{Role: llm.RoleSystem, Content: []llm.Part{{Type: llm.PartText, Text: "sys"}}},
			{Role: llm.RoleTool, ToolCallID: "t", Content: []llm.Part{{Type: llm.PartText, Text: "r"}}},
			{Role: llm.RoleUser},
		}},
	}}
	for _, tt := range tests {
		tt.run(t, func(t *testing.T) {
			decode := DecodeConverseRequest
			if tt.stream {
				decode = DecodeConverseStreamRequest
			}
			got, err := decode(model, []byte(tt.body))
			if err != nil {
				t.Fatalf("decode: %v", err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("decode:\n got %s\nwant %s", dump(got), dump(tt.want))
			}
			// Round trip: encode, decode again, compare (encoding/json's
			// discipline for every row that succeeds).
			enc, err := EncodeConverseRequest(got)
			if err != nil {
				t.Fatalf("encode: %v", err)
			}
			if !json.Valid(enc) {
				t.Fatalf("encode produced invalid JSON: %s", enc)
			}
			again, err := decode(model, enc)
			if err != nil {
				t.Fatalf("decode of encoded %s: %v", enc, err)
			}
			if !reflect.DeepEqual(again, got) {
				t.Fatalf("round trip via %s:\n got %s\nwant %s", enc, dump(again), dump(got))
			}
		})
	}
}

func TestDecodeConverseRequestErrors(t *testing.T) {
	tests := []struct {
		caseName
		body string
		want *DecodeError
	}{
		{name("empty"), "  ", &DecodeError{Message: "request body is empty"}},
		{name("syntax"), `{"messages": [}`, &DecodeError{
			Message: "invalid JSON at byte 15: invalid character '}' looking for beginning of value"}},
		{name("not UTF-8"), "{\"system\":[{\"text\":\"\xff\"}]}", &DecodeError{Message: "request body is not valid UTF-8"}},
		{name("not an object"), `[1]`, &DecodeError{Message: "request body must be a JSON object, got an array"}},
		{name("unknown top-level"), `{"messages":[],"temperature":1}`, &DecodeError{Field: "temperature", Message: "unknown field"}},
		{name("model id in body"), `{"modelId":"x"}`, &DecodeError{Field: "modelId", Message: "belongs in the URL path, not the body"}},
		{name("duplicate member"), `{"messages":[],"messages":[]}`, &DecodeError{Field: "messages", Message: "appears more than once"}},
		{name("messages not array"), `{"messages":{}}`, &DecodeError{Field: "messages", Message: "must be an array, got an object"}},
		{name("missing role"), `{"messages":[{"content":[]}]}`, &DecodeError{Field: "messages[0].role", Message: "is required"}},
		{name("bad role"), `{"messages":[{"role":"tool","content":[]}]}`,
			&DecodeError{Field: "messages[0].role", Message: `must be "user", "assistant" or "system", got "tool"`}},
		{name("missing content"), `{"messages":[{"role":"user"}]}`, &DecodeError{Field: "messages[0].content", Message: "is required"}},
		{name("content not array"), `{"messages":[{"role":"user","content":"hi"}]}`,
			&DecodeError{Field: "messages[0].content", Message: "must be an array, got a string"}},
		{name("unknown message member"), `{"messages":[{"role":"user","content":[],"name":"bob"}]}`,
			&DecodeError{Field: "messages[0].name", Message: "unknown field"}},
		{name("empty block"), `{"messages":[{"role":"user","content":[{}]}]}`,
			&DecodeError{Field: "messages[0].content[0]", Message: "must set exactly one member"}},
		{name("two members"), `{"messages":[{"role":"user","content":[{"text":"a","image":{}}]}]}`,
			&DecodeError{Field: "messages[0].content[0]", Message: `must set exactly one member, got "text" and "image"`}},
		{name("unknown block"), `{"messages":[{"role":"user","content":[{"text":"a"}]},{"role":"assistant","content":[{"vidoe":{}}]}]}`,
			&DecodeError{Field: "messages[1].content[0].vidoe", Message: "unknown content block type"}},
		{name("text not string"), `{"messages":[{"role":"user","content":[{"text":1}]}]}`,
			&DecodeError{Field: "messages[0].content[0].text", Message: "must be a string, got a number"}},
		{name("image unknown member"), `{"messages":[{"role":"user","content":[{"image":{"format":"png","colour":1}}]}]}`,
			&DecodeError{Field: "messages[0].content[0].image.colour", Message: "unknown field"}},
		{name("image bad format"), `{"messages":[{"role":"user","content":[{"image":{"format":"bmp","source":{"bytes":""}}}]}]}`,
			&DecodeError{Field: "messages[0].content[0].image.format", Message: `must be one of png, jpeg, gif, webp, got "bmp"`}},
		{name("image missing source"), `{"messages":[{"role":"user","content":[{"image":{"format":"png"}}]}]}`,
			&DecodeError{Field: "messages[0].content[0].image.source", Message: "is required"}},
		{name("image bad base64"), `{"messages":[{"role":"user","content":[{"image":{"format":"png","source":{"bytes":"ab$d"}}}]}]}`,
			&DecodeError{Field: "messages[0].content[0].image.source.bytes",
				Message: "must be standard base64: illegal base64 data at input byte 2"}},
		{name("s3 bucket owner"), `{"messages":[{"role":"user","content":[{"image":{"format":"png","source":{"s3Location":{"uri":"s3://b/k","bucketOwner":"123"}}}}]}]}`,
			&DecodeError{Field: "messages[0].content[0].image.source.s3Location.bucketOwner",
				Message: "is not supported by this gateway: S3 locations are forwarded as s3:// URIs only"}},
		{name("s3 uri scheme"), `{"messages":[{"role":"user","content":[{"image":{"format":"png","source":{"s3Location":{"uri":"https://b/k"}}}}]}]}`,
			&DecodeError{Field: "messages[0].content[0].image.source.s3Location.uri", Message: `must be an "s3://bucket/key" URI`}},
		{name("s3 uri without bucket"), `{"messages":[{"role":"user","content":[{"image":{"format":"png","source":{"s3Location":{"uri":"s3://"}}}}]}]}`,
			&DecodeError{Field: "messages[0].content[0].image.source.s3Location.uri", Message: `must be an "s3://bucket/key" URI`}},
		{name("video refused"), `{"messages":[{"role":"user","content":[{"video":{"format":"mp4","source":{"bytes":""}}}]}]}`,
			&DecodeError{Field: "messages[0].content[0].video",
				Message: "is not supported by this gateway: video content has no equivalent in the neutral model"}},
		{name("document without name"), `{"messages":[{"role":"user","content":[{"document":{"format":"pdf","source":{"bytes":""}}}]}]}`,
			&DecodeError{Field: "messages[0].content[0].document.name", Message: "is required"}},
		{name("document citations"), `{"messages":[{"role":"user","content":[{"document":{"name":"a","citations":{"enabled":true},"source":{"text":"x"}}}]}]}`,
			&DecodeError{Field: "messages[0].content[0].document.citations",
				Message: "is not supported by this gateway: document context and citations have no equivalent in the neutral model"}},
		{name("toolUse in user message"), `{"messages":[{"role":"user","content":[{"toolUse":{"toolUseId":"a","name":"b","input":{}}}]}]}`,
			&DecodeError{Field: "messages[0].content[0].toolUse", Message: "is only valid in an assistant message"}},
		{name("toolResult in assistant message"), `{"messages":[{"role":"assistant","content":[{"toolResult":{"toolUseId":"a","content":[]}}]}]}`,
			&DecodeError{Field: "messages[0].content[0].toolResult", Message: "is only valid in a user message"}},
		{name("image in system message"), `{"messages":[{"role":"system","content":[{"image":{"format":"png","source":{"bytes":""}}}]}]}`,
			&DecodeError{Field: "messages[0].content[0].image", Message: "is not valid in a system message"}},
		{name("toolUse without input"), `{"messages":[{"role":"assistant","content":[{"toolUse":{"toolUseId":"a","name":"b"}}]}]}`,
			&DecodeError{Field: "messages[0].content[0].toolUse.input", Message: "is required"}},
		{name("server tool use"), `{"messages":[{"role":"assistant","content":[{"toolUse":{"toolUseId":"a","name":"b","input":{},"type":"server_tool_use"}}]}]}`,
			&DecodeError{Field: "messages[0].content[0].toolUse.type",
				Message: "is not supported by this gateway: server tool use has no equivalent in the neutral model"}},
		{name("toolResult without id"), `{"messages":[{"role":"user","content":[{"toolResult":{"content":[]}}]}]}`,
			&DecodeError{Field: "messages[0].content[0].toolResult.toolUseId", Message: "is required"}},
		{name("toolResult bad status"), `{"messages":[{"role":"user","content":[{"toolResult":{"toolUseId":"a","content":[],"status":"ok"}}]}]}`,
			&DecodeError{Field: "messages[0].content[0].toolResult.status", Message: `must be "success" or "error", got "ok"`}},
		{name("toolResult bad content"), `{"messages":[{"role":"user","content":[{"toolResult":{"toolUseId":"a","content":[{"text":"a"},{"cachePoint":{"type":"default"}}]}}]}]}`,
			&DecodeError{Field: "messages[0].content[0].toolResult.content[1].cachePoint", Message: "unknown tool result content type"}},
		{name("second reasoning text"), `{"messages":[{"role":"assistant","content":[
			{"reasoningContent":{"reasoningText":{"text":"a"}}},{"reasoningContent":{"reasoningText":{"text":"b"}}}]}]}`,
			&DecodeError{Field: "messages[0].content[1].reasoningContent.reasoningText",
				Message: "only one reasoningText block per message is supported"}},
		{name("cache point type"), `{"system":[{"text":"a"},{"cachePoint":{"type":"ephemeral"}}]}`,
			&DecodeError{Field: "system[1].cachePoint.type", Message: `must be "default", got "ephemeral"`}},
		{name("cache point ttl"), `{"system":[{"cachePoint":{"type":"default","ttl":"2h"}}]}`,
			&DecodeError{Field: "system[0].cachePoint.ttl", Message: `must be "5m" or "1h", got "2h"`}},
		{name("guard image format"), `{"system":[{"guardContent":{"image":{"format":"gif","source":{"bytes":""}}}}]}`,
			&DecodeError{Field: "system[0].guardContent.image.format", Message: "guard content images must be png or jpeg"}},
		{name("system image"), `{"system":[{"image":{}}]}`,
			&DecodeError{Field: "system[0].image", Message: "unknown system content block type"}},
		{name("maxTokens type"), `{"inferenceConfig":{"maxTokens":"10"}}`,
			&DecodeError{Field: "inferenceConfig.maxTokens", Message: "must be an integer, got a string"}},
		{name("maxTokens fraction"), `{"inferenceConfig":{"maxTokens":1.5}}`,
			&DecodeError{Field: "inferenceConfig.maxTokens", Message: "must be an integer that fits in 32 bits, got 1.5"}},
		{name("maxTokens zero"), `{"inferenceConfig":{"maxTokens":0}}`,
			&DecodeError{Field: "inferenceConfig.maxTokens", Message: "must be at least 1"}},
		{name("temperature type"), `{"inferenceConfig":{"temperature":"hot"}}`,
			&DecodeError{Field: "inferenceConfig.temperature", Message: "must be a number, got a string"}},
		{name("temperature range"), `{"inferenceConfig":{"temperature":1e999}}`,
			&DecodeError{Field: "inferenceConfig.temperature", Message: "must be a finite number, got 1e999"}},
		{name("stop sequence type"), `{"inferenceConfig":{"stopSequences":["a",1]}}`,
			&DecodeError{Field: "inferenceConfig.stopSequences[1]", Message: "must be a string, got a number"}},
		{name("inference unknown"), `{"inferenceConfig":{"top_k":1}}`,
			&DecodeError{Field: "inferenceConfig.top_k", Message: "unknown field"}},
		{name("toolConfig without tools"), `{"toolConfig":{"toolChoice":{"auto":{}}}}`,
			&DecodeError{Field: "toolConfig.tools", Message: "is required"}},
		{name("toolSpec without schema"), `{"toolConfig":{"tools":[{"toolSpec":{"name":"a"}}]}}`,
			&DecodeError{Field: "toolConfig.tools[0].toolSpec.inputSchema", Message: "is required"}},
		{name("toolSpec schema not object"), `{"toolConfig":{"tools":[{"toolSpec":{"name":"a","inputSchema":{"json":[]}}}]}}`,
			&DecodeError{Field: "toolConfig.tools[0].toolSpec.inputSchema.json", Message: "must be an object, got an array"}},
		{name("toolSpec empty name"), `{"toolConfig":{"tools":[{"toolSpec":{"name":"","inputSchema":{"json":{}}}}]}}`,
			&DecodeError{Field: "toolConfig.tools[0].toolSpec.name", Message: "must not be empty"}},
		{name("cache point before tools"), `{"toolConfig":{"tools":[{"cachePoint":{"type":"default"}}]}}`,
			&DecodeError{Field: "toolConfig.tools[0].cachePoint", Message: "must follow a toolSpec: it marks the end of a cached prefix"}},
		{name("system tool"), `{"toolConfig":{"tools":[{"systemTool":{"name":"nova_grounding"}}]}}`,
			&DecodeError{Field: "toolConfig.tools[0].systemTool",
				Message: "is not supported by this gateway: system tools have no equivalent in the neutral model"}},
		{name("tool choice unknown"), `{"toolConfig":{"tools":[],"toolChoice":{"none":{}}}}`,
			&DecodeError{Field: "toolConfig.toolChoice.none", Message: "unknown tool choice"}},
		{name("tool choice any member"), `{"toolConfig":{"tools":[],"toolChoice":{"any":{"x":1}}}}`,
			&DecodeError{Field: "toolConfig.toolChoice.any.x", Message: "unknown field"}},
		{name("tool choice without name"), `{"toolConfig":{"tools":[],"toolChoice":{"tool":{}}}}`,
			&DecodeError{Field: "toolConfig.toolChoice.tool.name", Message: "is required"}},
		{name("enable_history type"), `{"additionalModelRequestFields":{"enable_history":"yes"}}`,
			&DecodeError{Field: "additionalModelRequestFields.enable_history", Message: "must be a boolean, got a string"}},
		{name("session_id type"), `{"additionalModelRequestFields":{"session_id":5}}`,
			&DecodeError{Field: "additionalModelRequestFields.session_id", Message: "must be a string, got a number"}},
		{name("additional fields not object"), `{"additionalModelRequestFields":[]}`,
			&DecodeError{Field: "additionalModelRequestFields", Message: "must be an object, got an array"}},
		{name("prompt variable type"), `{"promptVariables":{"topic":{"txt":"x"}}}`,
			&DecodeError{Field: "promptVariables.topic.txt", Message: "unknown prompt variable type"}},
		{name("prompt variable value"), `{"promptVariables":{"topic":{"text":1}}}`,
			&DecodeError{Field: "promptVariables.topic.text", Message: "must be a string, got a number"}},
		{name("request metadata value"), `{"requestMetadata":{"a":1}}`,
			&DecodeError{Field: "requestMetadata.a", Message: "must be a string, got a number"}},
		{name("guardrail version"), `{"guardrailConfig":{"guardrailIdentifier":"g"}}`,
			&DecodeError{Field: "guardrailConfig.guardrailVersion", Message: "is required"}},
		{name("stream mode on Converse"), `{"guardrailConfig":{"guardrailIdentifier":"g","guardrailVersion":"1","streamProcessingMode":"sync"}}`,
			&DecodeError{Field: "guardrailConfig.streamProcessingMode", Message: "is only valid for ConverseStream"}},
		{name("performance unknown"), `{"performanceConfig":{"latency":"optimized","region":"x"}}`,
			&DecodeError{Field: "performanceConfig.region", Message: "unknown field"}},
		{name("response paths"), `{"additionalModelResponseFieldPaths":[1]}`,
			&DecodeError{Field: "additionalModelResponseFieldPaths[0]", Message: "must be a string, got a number"}},
		{name("output format type"), `{"outputConfig":{"textFormat":{"type":"xml","structure":{}}}}`,
			&DecodeError{Field: "outputConfig.textFormat.type", Message: `must be "json_schema", got "xml"`}},
		{name("output schema not JSON"), `{"outputConfig":{"textFormat":{"type":"json_schema","structure":{"jsonSchema":{"schema":"{nope"}}}}}`,
			&DecodeError{Field: "outputConfig.textFormat.structure.jsonSchema.schema",
				Message: "must be a JSON object serialized as a string"}},
		{name("output schema unknown"), `{"outputConfig":{"textFormat":{"type":"json_schema","structure":{"jsonSchema":{"schema":"{}","strict":true}}}}}`,
			&DecodeError{Field: "outputConfig.textFormat.structure.jsonSchema.strict", Message: "unknown field"}},
	}
	for _, tt := range tests {
		tt.run(t, func(t *testing.T) {
			got, err := DecodeConverseRequest("m", []byte(tt.body))
			if err == nil {
				t.Fatalf("decode succeeded with %s, want error %v", dump(got), tt.want)
			}
			de, ok := err.(*DecodeError)
			if !ok {
				t.Fatalf("error %T %v, want *DecodeError", err, err)
			}
			if *de != *tt.want {
				t.Fatalf("error\n got %#v\nwant %#v", *de, *tt.want)
			}
			if !strings.Contains(err.Error(), tt.want.Field) {
				t.Fatalf("message %q does not name the field %q", err.Error(), tt.want.Field)
			}
		})
	}
}

func TestEncodeConverseRequestRefuses(t *testing.T) {
	tests := []struct {
		caseName
		req  llm.Request
		want string
	}{
		{name("n"), llm.Request{N: ptr(2)}, "encoding converse request: n has no Converse equivalent"},
		{name("seed"), llm.Request{Seed: ptr(int64(1))}, "encoding converse request: seed has no Converse equivalent"},
		{name("gateway tags"), llm.Request{Gateway: llm.GatewayOptions{Tags: []string{"a"}}},
			"encoding converse request: gateway tags has no Converse equivalent"},
		{name("unknown extra"), llm.Request{Extra: []llm.Field{{Name: "top_k", Value: raw(`1`)}}},
			`encoding converse request: extra field "top_k" has no Converse equivalent`},
		{name("http image"), llm.Request{Messages: []llm.Message{{Role: llm.RoleUser, Content: []llm.Part{
			{Type: llm.PartImage, Image: &llm.Image{URL: "https://example.com/a.png"}}}}}},
			"encoding converse request: messages[0]: content[0]: image: image is given by URL, not inline data"},
		{name("bad arguments"), llm.Request{Messages: []llm.Message{{Role: llm.RoleAssistant,
			ToolCalls: []llm.ToolCall{{ID: "a", Name: "f", Arguments: `{"x":`}}}}},
			"encoding converse request: messages[0]: tool_calls[0].arguments: not valid JSON"},
		{name("tool choice none"), llm.Request{Tools: []llm.Tool{}, ToolChoice: &llm.ToolChoice{Mode: "none"}},
			`encoding converse request: tool_choice "none" has no Converse equivalent`},
		{name("json_object"), llm.Request{ResponseFormat: &llm.ResponseFormat{Type: "json_object"}},
			`encoding converse request: response_format "json_object" has no Converse equivalent`},
	}
	for _, tt := range tests {
		tt.run(t, func(t *testing.T) {
			b, err := EncodeConverseRequest(&tt.req)
			if err == nil {
				t.Fatalf("encoded %s, want error %q", b, tt.want)
			}
			if err.Error() != tt.want {
				t.Fatalf("error\n got %q\nwant %q", err, tt.want)
			}
		})
	}
}

// TestEncodeConverseRequestFromOpenAI encodes a request shaped the way an
// OpenAI-format client sends it: data URL image, cache_control on a part,
// max_completion_tokens, developer message.
func TestEncodeConverseRequestFromOpenAI(t *testing.T) {
	req := &llm.Request{
		Messages: []llm.Message{
			{Role: llm.RoleDeveloper, Content: []llm.Part{{Type: llm.PartText, Text: "sys", CacheControl: raw(`{"type":"ephemeral"}`)}}},
			{Role: llm.RoleUser, StringContent: true, Content: []llm.Part{
				{Type: llm.PartImage, Image: &llm.Image{URL: "data:image/png;base64," + pngB64}},
				{Type: llm.PartText, Text: "what is it?"},
			}},
		},
		MaxCompletionTokens: ptr(50),
		Metadata:            raw(`{"a":"b"}`),
	}
	b, err := EncodeConverseRequest(req)
	if err != nil {
		t.Fatal(err)
	}
	const want = `{"system":[{"text":"sys"},{"cachePoint":{"type":"default"}}],` +
		`"messages":[{"role":"user","content":[{"image":{"format":"png","source":{"bytes":"` + pngB64 + `"}}},{"text":"what is it?"}]}],` +
		`"inferenceConfig":{"maxTokens":50},"requestMetadata":{"a":"b"}}`
	if string(b) != want {
		t.Fatalf("got  %s\nwant %s", b, want)
	}
}

func BenchmarkDecodeConverseRequest(b *testing.B) {
	body := testdataRequests(b)["sdk_converse.json"]
	b.ReportAllocs()
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		if _, err := DecodeConverseRequest("m", body); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkEncodeConverseResponse(b *testing.B) {
	resp := assistant(llm.Message{
		Content:   []llm.Part{{Type: llm.PartText, Text: strings.Repeat("token ", 200)}},
		ToolCalls: []llm.ToolCall{{ID: "call_1", Name: "weather", Arguments: `{"city":"Paris"}`}},
	}, "tool_calls", &llm.Usage{PromptTokens: 100, CompletionTokens: 200})
	b.ReportAllocs()
	for b.Loop() {
		if _, err := EncodeConverseResponse(resp, time.Second); err != nil {
			b.Fatal(err)
		}
	}
}
