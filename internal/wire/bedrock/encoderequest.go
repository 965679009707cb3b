package bedrock

import (
	"fmt"
	"strconv"
	"unicode/utf8"

	"github.com/tollgate-gw/tollgate/internal/llm"
	"github.com/tollgate-gw/tollgate/internal/wire/rawjson"
)

// EncodeConverseRequest encodes req as a Converse request body, the inverse
// of DecodeConverseRequest: decoding its output gives back req. The model id
// is not part of the body (it travels in the URL path), and neither is the
// choice between Converse and ConverseStream.
//
// A leading system or developer message becomes the system blocks; a run of
// tool messages becomes one user message of toolResult blocks, joined by the
// user message that follows it, if any. Anything req holds that Converse
// cannot express (n, seed, penalties, logprobs, an image given by http URL, a
// gateway control other than chat history, ...) is an error naming the field,
// never silently dropped.
func EncodeConverseRequest(req *llm.Request) ([]byte, error) {
	if err := checkConverseRequest(req); err != nil {
		return nil, fmt.Errorf("encoding converse request: %w", err)
	}
	b := make([]byte, 0, requestSize(req))
	b = append(b, '{')
	msgs := req.Messages
	var err error
	if len(msgs) > 0 && (msgs[0].Role == llm.RoleSystem || msgs[0].Role == llm.RoleDeveloper) {
		b = rawjson.AppendKey(b, "system")
		if b, err = appendParts(append(b, '['), msgs[0].Content, systemParts); err != nil {
			return nil, fmt.Errorf("encoding converse request: messages[0]: %w", err)
		}
		b = append(b, ']')
		msgs = msgs[1:]
	}
	if len(msgs) > 0 {
		b = rawjson.AppendKey(b, "messages")
		if b, err = appendMessages(b, msgs, len(req.Messages)-len(msgs)); err != nil {
			return nil, fmt.Errorf("encoding converse request: %w", err)
		}
	}
	if req.MaxTokens != nil || req.MaxCompletionTokens != nil || req.Temperature != nil || req.TopP != nil ||
		req.Stop != nil {
		b = rawjson.AppendKey(b, "inferenceConfig")
		b = appendInference(b, req)
	}
	if req.Tools != nil {
		b = rawjson.AppendKey(b, "toolConfig")
		if b, err = appendToolConfig(b, req); err != nil {
			return nil, fmt.Errorf("encoding converse request: %w", err)
		}
	}
	if req.ResponseFormat != nil || req.ReasoningEffort != "" {
		b = rawjson.AppendKey(b, "outputConfig")
		if b, err = appendOutputConfig(b, req); err != nil {
			return nil, fmt.Errorf("encoding converse request: %w", err)
		}
	}
	if req.Metadata != nil {
		b = append(rawjson.AppendKey(b, "requestMetadata"), req.Metadata...)
	}
	if req.Gateway.PromptVariables != nil {
		b = append(rawjson.AppendKey(b, "promptVariables"), req.Gateway.PromptVariables...)
	}
	additional := false
	for _, f := range req.Extra {
		b = rawjson.AppendKey(b, f.Name)
		if f.Name == ExtraAdditionalModelRequestFields {
			additional = true
			b = appendAdditionalFields(b, f.Value, &req.Gateway)
			continue
		}
		b = append(b, f.Value...)
	}
	if !additional && (req.Gateway.EnableHistory || req.Gateway.SessionID != "") {
		b = rawjson.AppendKey(b, ExtraAdditionalModelRequestFields)
		b = appendAdditionalFields(b, nil, &req.Gateway)
	}
	return append(b, '}'), nil
}

// checkConverseRequest refuses what Converse cannot express.
func checkConverseRequest(req *llm.Request) error {
	var field string
	switch {
	case req.N != nil:
		field = "n"
	case req.Seed != nil:
		field = "seed"
	case req.PresencePenalty != nil:
		field = "presence_penalty"
	case req.FrequencyPenalty != nil:
		field = "frequency_penalty"
	case req.Logprobs != nil:
		field = "logprobs"
	case req.TopLogprobs != nil:
		field = "top_logprobs"
	case req.LogitBias != nil:
		field = "logit_bias"
	case req.ParallelToolCalls != nil:
		field = "parallel_tool_calls"
	case req.User != "":
		field = "user"
	case req.MaxTokens != nil && req.MaxCompletionTokens != nil:
		field = "max_completion_tokens (with max_tokens)"
	case req.ToolChoice != nil && req.Tools == nil:
		field = "tool_choice (without tools)"
	case req.Gateway.DropParams != nil:
		field = "gateway drop_params"
	case req.Gateway.Tags != nil:
		field = "gateway tags"
	case req.Gateway.Fallbacks != nil:
		field = "gateway fallbacks"
	case req.Gateway.NumRetries != nil:
		field = "gateway num_retries"
	case req.Gateway.Cache != nil:
		field = "gateway cache"
	case req.Gateway.Priority != nil:
		field = "gateway priority"
	case req.Gateway.Guardrails != nil:
		field = "gateway guardrails"
	}
	if field != "" {
		return fmt.Errorf("%s has no Converse equivalent", field)
	}
	for _, f := range req.Extra {
		switch f.Name {
		case ExtraAdditionalModelRequestFields:
			if !jsonObject(f.Value) {
				return fmt.Errorf("%s must be a JSON object", f.Name)
			}
		case ExtraGuardrailConfig, ExtraPerformanceConfig, ExtraServiceTier, ExtraAdditionalModelResponseFieldPaths:
			if !validRaw(f.Value) {
				return fmt.Errorf("%s is not valid JSON", f.Name)
			}
		default:
			return fmt.Errorf("extra field %q has no Converse equivalent", f.Name)
		}
	}
	if req.Metadata != nil && !jsonObject(req.Metadata) {
		return fmt.Errorf("metadata must be a JSON object")
	}
	if req.Gateway.PromptVariables != nil && !jsonObject(req.Gateway.PromptVariables) {
		return fmt.Errorf("prompt variables must be a JSON object")
	}
	return nil
}

func requestSize(req *llm.Request) int {
	n := 256
	for i := range req.Messages {
		m := &req.Messages[i]
		n += 64
		for j := range m.Content {
			p := &m.Content[j]
			n += len(p.Text) + 32
			switch {
			case p.Image != nil:
				n += len(p.Image.Data)*4/3 + len(p.Image.URL) + 64
			case p.Document != nil:
				n += len(p.Document.Data)*4/3 + len(p.Document.FileID) + 64
			case p.Audio != nil:
				n += len(p.Audio.Data)*4/3 + 64
			}
		}
		for j := range m.ToolCalls {
			n += len(m.ToolCalls[j].Arguments) + 128
		}
		if r := m.Reasoning; r != nil {
			n += len(r.Text) + len(r.Signature) + len(r.Redacted)*4/3 + 64
		}
	}
	for i := range req.Tools {
		n += len(req.Tools[i].Description) + len(req.Tools[i].Parameters) + 64
	}
	for _, f := range req.Extra {
		n += len(f.Name) + len(f.Value) + 4
	}
	return n
}

// partContext says where parts are going, which decides what they may be.
type partContext uint8

const (
	systemParts partContext = iota
	messageParts
	toolResultParts
)

func appendMessages(b []byte, msgs []llm.Message, offset int) ([]byte, error) {
	b = append(b, '[')
	for i := 0; i < len(msgs); {
		m := &msgs[i]
		if err := checkMessage(m); err != nil {
			return b, fmt.Errorf("messages[%d]: %w", offset+i, err)
		}
		b = rawjson.AppendSep(b)
		var err error
		switch m.Role {
		case llm.RoleTool:
			// A run of tool results, and the user turn that follows them,
			// are one Converse user message.
			b = append(b, `{"role":"user","content":[`...)
			for ; i < len(msgs) && msgs[i].Role == llm.RoleTool; i++ {
				if err := checkMessage(&msgs[i]); err != nil {
					return b, fmt.Errorf("messages[%d]: %w", offset+i, err)
				}
				if b, err = appendToolResult(rawjson.AppendSep(b), &msgs[i]); err != nil {
					return b, fmt.Errorf("messages[%d]: %w", offset+i, err)
				}
			}
			// An empty user turn stays a message of its own, so that decoding
			// the result gives back the same messages.
			if i < len(msgs) && msgs[i].Role == llm.RoleUser && len(msgs[i].Content) > 0 {
				if err := checkMessage(&msgs[i]); err != nil {
					return b, fmt.Errorf("messages[%d]: %w", offset+i, err)
				}
				if b, err = appendParts(b, msgs[i].Content, messageParts); err != nil {
					return b, fmt.Errorf("messages[%d]: %w", offset+i, err)
				}
				i++
			}
			b = append(b, `]}`...)
			continue
		case llm.RoleUser:
			b = append(b, `{"role":"user","content":[`...)
			b, err = appendParts(b, m.Content, messageParts)
		case llm.RoleSystem, llm.RoleDeveloper:
			b = append(b, `{"role":"system","content":[`...)
			b, err = appendParts(b, m.Content, systemParts)
		case llm.RoleAssistant:
			b = append(b, `{"role":"assistant","content":[`...)
			b, err = appendAssistant(b, m)
		default:
			err = fmt.Errorf("role %q has no Converse equivalent", m.Role)
		}
		if err != nil {
			return b, fmt.Errorf("messages[%d]: %w", offset+i, err)
		}
		b = append(b, `]}`...)
		i++
	}
	return append(b, ']'), nil
}

func checkMessage(m *llm.Message) error {
	switch {
	case m.Name != "":
		return fmt.Errorf("name has no Converse equivalent")
	case m.Refusal != "":
		return fmt.Errorf("refusal has no Converse equivalent")
	case m.Extra != nil:
		return fmt.Errorf("extra message fields have no Converse equivalent")
	case m.ToolCallID != "" && m.Role != llm.RoleTool:
		return fmt.Errorf("tool_call_id is only valid on a tool message")
	case m.ToolCalls != nil && m.Role != llm.RoleAssistant:
		return fmt.Errorf("tool_calls are only valid on an assistant message")
	case m.Reasoning != nil && m.Role != llm.RoleAssistant:
		return fmt.Errorf("reasoning is only valid on an assistant message")
	}
	return nil
}

func appendAssistant(b []byte, m *llm.Message) ([]byte, error) {
	if m.Reasoning != nil {
		b = appendReasoningBlocks(b, m.Reasoning)
	}
	b, err := appendParts(b, m.Content, messageParts)
	if err != nil {
		return b, err
	}
	for i := range m.ToolCalls {
		tc := &m.ToolCalls[i]
		if tc.Type != "" && tc.Type != "function" {
			return b, fmt.Errorf("tool_calls[%d]: type %q has no Converse equivalent", i, tc.Type)
		}
		b = rawjson.AppendSep(b)
		b = append(b, `{"toolUse":{"toolUseId":`...)
		b = rawjson.AppendString(b, tc.ID)
		b = append(b, `,"name":`...)
		b = rawjson.AppendString(b, tc.Name)
		b = append(b, `,"input":`...)
		switch {
		case tc.Arguments == "":
			b = append(b, '{', '}')
		case validRaw([]byte(tc.Arguments)):
			b = append(b, tc.Arguments...)
		default:
			return b, fmt.Errorf("tool_calls[%d].arguments: not valid JSON", i)
		}
		b = append(b, `}}`...)
	}
	return b, nil
}

func appendToolResult(b []byte, m *llm.Message) ([]byte, error) {
	b = append(b, `{"toolResult":{"toolUseId":`...)
	b = rawjson.AppendString(b, m.ToolCallID)
	b = append(b, `,"content":[`...)
	b, err := appendParts(b, m.Content, toolResultParts)
	return append(b, `]}}`...), err
}

// appendParts appends parts as content blocks to a list that b has opened.
// A part's CacheControl becomes a cachePoint after it.
func appendParts(b []byte, parts []llm.Part, ctx partContext) ([]byte, error) {
	for i := range parts {
		p := &parts[i]
		b = rawjson.AppendSep(b)
		var err error
		switch {
		case p.Type == llm.PartText:
			b = rawjson.AppendString(append(b, `{"text":`...), p.Text)
			b = append(b, '}')
		case p.Type == llm.PartCachePoint && ctx != toolResultParts:
			b = appendCachePoint(b, p.CacheControl)
			continue
		case p.Type == llm.PartImage && p.Image != nil && ctx != systemParts:
			b, err = appendImageBlock(b, "image", p.Image)
		case p.Type == llm.PartImage && p.Image != nil:
			// The system may hold images only as guard content, which is
			// where the decoder found them.
			b = append(b, `{"guardContent":`...)
			b, err = appendImageBlock(b, "image", p.Image)
			b = append(b, '}')
		case p.Type == llm.PartDocument && p.Document != nil && ctx != systemParts:
			b, err = appendDocument(b, p.Document)
		case p.Type == llm.PartAudio && p.Audio != nil && ctx == messageParts:
			b = append(b, `{"audio":{"format":`...)
			b = rawjson.AppendString(b, p.Audio.Format)
			b = append(b, `,"source":{"bytes":`...)
			b = rawjson.AppendBase64(b, p.Audio.Data)
			b = append(b, `}}}`...)
		default:
			err = fmt.Errorf("a %q part has no place here in a Converse request", p.Type)
		}
		if err != nil {
			return b, fmt.Errorf("content[%d]: %w", i, err)
		}
		if p.CacheControl != nil {
			b = appendCachePoint(rawjson.AppendSep(b), nil)
		}
	}
	return b, nil
}

// appendCachePoint appends a cachePoint block: the Converse object the
// decoder kept, or the default one.
func appendCachePoint(b []byte, raw []byte) []byte {
	b = append(b, `{"cachePoint":`...)
	if raw != nil && jsonObject(raw) && utf8.Valid(raw) {
		b = append(b, raw...)
	} else {
		b = append(b, `{"type":"default"}`...)
	}
	return append(b, '}')
}

func appendDocument(b []byte, d *llm.Document) ([]byte, error) {
	if d.Name == "" {
		return b, fmt.Errorf("document: Converse requires a name")
	}
	b = append(b, `{"document":{`...)
	if d.Format != "" {
		b = rawjson.AppendString(append(b, `"format":`...), d.Format)
		b = append(b, ',')
	}
	b = rawjson.AppendString(append(b, `"name":`...), d.Name)
	if uri, ok := s3URI(d.FileID); ok {
		b = append(b, `,"source":{"s3Location":{"uri":`...)
		b = rawjson.AppendString(b, uri)
		return append(b, `}}}}`...), nil
	}
	if d.FileID != "" {
		return b, fmt.Errorf("document: file id %q is not an s3:// URI", d.FileID)
	}
	b = append(b, `,"source":{"bytes":`...)
	b = rawjson.AppendBase64(b, d.Data)
	return append(b, `}}}`...), nil
}

func appendInference(b []byte, req *llm.Request) []byte {
	b = append(b, '{')
	if mt := req.MaxTokens; mt != nil || req.MaxCompletionTokens != nil {
		if mt == nil {
			mt = req.MaxCompletionTokens
		}
		b = rawjson.AppendInt(rawjson.AppendKey(b, "maxTokens"), int64(*mt))
	}
	if req.Temperature != nil {
		b = rawjson.AppendFloat(rawjson.AppendKey(b, "temperature"), *req.Temperature)
	}
	if req.TopP != nil {
		b = rawjson.AppendFloat(rawjson.AppendKey(b, "topP"), *req.TopP)
	}
	if req.Stop != nil {
		b = append(rawjson.AppendKey(b, "stopSequences"), '[')
		for _, s := range req.Stop {
			b = rawjson.AppendString(rawjson.AppendSep(b), s)
		}
		b = append(b, ']')
	}
	return append(b, '}')
}

func appendToolConfig(b []byte, req *llm.Request) ([]byte, error) {
	b = append(b, `{"tools":[`...)
	for i := range req.Tools {
		t := &req.Tools[i]
		if t.Type != "" && t.Type != "function" {
			return b, fmt.Errorf("tools[%d]: type %q has no Converse equivalent", i, t.Type)
		}
		b = rawjson.AppendSep(b)
		b = append(b, `{"toolSpec":{"name":`...)
		b = rawjson.AppendString(b, t.Name)
		if t.Description != "" {
			b = rawjson.AppendString(append(b, `,"description":`...), t.Description)
		}
		b = append(b, `,"inputSchema":{"json":`...)
		switch {
		case t.Parameters == nil:
			b = append(b, '{', '}')
		case jsonObject(t.Parameters) && utf8.Valid(t.Parameters):
			b = append(b, t.Parameters...)
		default:
			return b, fmt.Errorf("tools[%d].parameters: not a JSON object", i)
		}
		b = append(b, '}')
		if t.Strict != nil {
			b = strconv.AppendBool(append(b, `,"strict":`...), *t.Strict)
		}
		b = append(b, `}}`...)
		if t.CacheControl != nil {
			b = appendCachePoint(rawjson.AppendSep(b), t.CacheControl)
		}
	}
	b = append(b, ']')
	if tc := req.ToolChoice; tc != nil {
		b = append(b, `,"toolChoice":`...)
		switch tc.Mode {
		case "auto":
			b = append(b, `{"auto":{}}`...)
		case "required":
			b = append(b, `{"any":{}}`...)
		case "function":
			b = rawjson.AppendString(append(b, `{"tool":{"name":`...), tc.Function)
			b = append(b, `}}`...)
		default:
			return b, fmt.Errorf("tool_choice %q has no Converse equivalent", tc.Mode)
		}
	}
	return append(b, '}'), nil
}

func appendOutputConfig(b []byte, req *llm.Request) ([]byte, error) {
	b = append(b, '{')
	if req.ReasoningEffort != "" {
		b = rawjson.AppendString(rawjson.AppendKey(b, "effort"), req.ReasoningEffort)
	}
	if rf := req.ResponseFormat; rf != nil {
		if rf.Type != "json_schema" {
			return b, fmt.Errorf("response_format %q has no Converse equivalent", rf.Type)
		}
		if !jsonObject(rf.JSONSchema) {
			return b, fmt.Errorf("response_format.json_schema: not a JSON object")
		}
		var name, desc, schema []byte
		obj, _ := rawjson.Object(rf.JSONSchema)
		for obj.Next() {
			switch string(obj.Key()) {
			case "name":
				name = obj.Value()
			case "description":
				desc = obj.Value()
			case "schema":
				schema = obj.Value()
			case "strict":
				// Converse's structured output is always constrained.
			default:
				return b, fmt.Errorf("response_format.json_schema.%s has no Converse equivalent", obj.Key())
			}
		}
		if schema == nil || schema[0] != '{' {
			return b, fmt.Errorf("response_format.json_schema.schema: not a JSON object")
		}
		b = rawjson.AppendKey(b, "textFormat")
		b = append(b, `{"type":"json_schema","structure":{"jsonSchema":{"schema":`...)
		b = rawjson.AppendString(b, string(schema))
		for _, m := range [...]struct {
			key string
			val []byte
		}{{"name", name}, {"description", desc}} {
			if m.val == nil {
				continue
			}
			s, err := str(m.val)
			if err != nil {
				return b, fmt.Errorf("response_format.json_schema.%s: %w", m.key, err)
			}
			b = rawjson.AppendString(rawjson.AppendKey(b, m.key), s)
		}
		b = append(b, `}}}`...)
	}
	return append(b, '}'), nil
}

// appendAdditionalFields appends additionalModelRequestFields with the chat
// history controls put back, the inverse of the decoder lifting them out.
func appendAdditionalFields(b []byte, raw []byte, g *llm.GatewayOptions) []byte {
	if !g.EnableHistory && g.SessionID == "" {
		return append(b, raw...)
	}
	b = append(b, '{')
	if g.EnableHistory {
		b = append(rawjson.AppendKey(b, gatewayEnableHistory), "true"...)
	}
	if g.SessionID != "" {
		b = rawjson.AppendString(rawjson.AppendKey(b, gatewaySessionID), g.SessionID)
	}
	if raw != nil {
		obj, _ := rawjson.Object(raw)
		for obj.Next() {
			b = rawjson.AppendSep(b)
			b = append(b, obj.RawKey()...)
			b = append(b, ':')
			b = append(b, obj.Value()...)
		}
	}
	return append(b, '}')
}
