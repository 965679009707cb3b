package bedrock

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/document"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/types"

	"github.com/tollgate-gw/tollgate/internal/llm"
)

// converseRequest is the part of ConverseInput and ConverseStreamInput they
// share, built once from an llm.Request.
type converseRequest struct {
	system     []types.SystemContentBlock
	messages   []types.Message
	inference  *types.InferenceConfiguration
	tools      *types.ToolConfiguration
	additional map[string]any
	guardrail  *guardrailConfig
	perf       *types.PerformanceConfiguration
	// metadata is an explicit requestMetadata field (Extra); reqMetadata
	// holds the string members of the request's own metadata (a Converse
	// client's requestMetadata, an OpenAI client's metadata). Both are
	// sent as requestMetadata, the explicit one winning on a shared key.
	metadata    map[string]string
	reqMetadata map[string]string
	output      *types.OutputConfig
	tier        *types.ServiceTier
	variables   map[string]types.PromptVariableValues
	fieldPaths  []string
}

// guardrailConfig is the guardrailConfig request field; ConverseStream's
// variant adds streamProcessingMode.
type guardrailConfig struct {
	Identifier string `json:"guardrailIdentifier"`
	Version    string `json:"guardrailVersion"`
	Trace      string `json:"trace"`
	StreamMode string `json:"streamProcessingMode"`
}

func (c *converseRequest) input(modelID string) *bedrockruntime.ConverseInput {
	metadata := c.metadata
	if len(c.reqMetadata) > 0 {
		metadata = make(map[string]string, len(c.reqMetadata)+len(c.metadata))
		for k, v := range c.reqMetadata {
			metadata[k] = v
		}
		for k, v := range c.metadata {
			metadata[k] = v
		}
	}
	in := &bedrockruntime.ConverseInput{
		ModelId:                           aws.String(modelID),
		Messages:                          c.messages,
		System:                            c.system,
		InferenceConfig:                   c.inference,
		ToolConfig:                        c.tools,
		PerformanceConfig:                 c.perf,
		RequestMetadata:                   metadata,
		OutputConfig:                      c.output,
		ServiceTier:                       c.tier,
		PromptVariables:                   c.variables,
		AdditionalModelResponseFieldPaths: c.fieldPaths,
	}
	if len(c.additional) > 0 {
		in.AdditionalModelRequestFields = document.NewLazyDocument(c.additional)
	}
	if g := c.guardrail; g != nil {
		in.GuardrailConfig = &types.GuardrailConfiguration{
			GuardrailIdentifier: aws.String(g.Identifier),
			GuardrailVersion:    aws.String(g.Version),
			Trace:               types.GuardrailTrace(g.Trace),
		}
	}
	return in
}

func (c *converseRequest) streamInput(modelID string) *bedrockruntime.ConverseStreamInput {
	in := c.input(modelID)
	out := &bedrockruntime.ConverseStreamInput{
		ModelId:                           in.ModelId,
		Messages:                          in.Messages,
		System:                            in.System,
		InferenceConfig:                   in.InferenceConfig,
		ToolConfig:                        in.ToolConfig,
		PerformanceConfig:                 in.PerformanceConfig,
		RequestMetadata:                   in.RequestMetadata,
		OutputConfig:                      in.OutputConfig,
		ServiceTier:                       in.ServiceTier,
		PromptVariables:                   in.PromptVariables,
		AdditionalModelResponseFieldPaths: in.AdditionalModelResponseFieldPaths,
		AdditionalModelRequestFields:      in.AdditionalModelRequestFields,
	}
	if g := c.guardrail; g != nil {
		out.GuardrailConfig = &types.GuardrailStreamConfiguration{
			GuardrailIdentifier:  aws.String(g.Identifier),
			GuardrailVersion:     aws.String(g.Version),
			Trace:                types.GuardrailTrace(g.Trace),
			StreamProcessingMode: types.GuardrailStreamProcessingMode(g.StreamMode),
		}
	}
	return out
}

// buildConverse translates a chat request for model family fam. It does no
// I/O; every refusal is a *provider.Error.
func buildConverse(req *llm.Request, fam string, drop bool) (*converseRequest, error) {
	p := params{drop: drop}
	if err := p.checkOpenAIParams(req); err != nil {
		return nil, err
	}
	if err := checkCacheControls(req); err != nil {
		return nil, err
	}
	c := &converseRequest{additional: map[string]any{}}
	if err := c.setInference(req); err != nil {
		return nil, err
	}
	if err := c.setMessages(req.Messages); err != nil {
		return nil, err
	}
	if err := c.setTools(req, p); err != nil {
		return nil, err
	}
	if err := c.setResponseFormat(req.ResponseFormat, p); err != nil {
		return nil, err
	}
	if err := c.setExtra(req.Extra, p); err != nil {
		return nil, err
	}
	c.reqMetadata = stringMembers(req.Metadata)
	if req.ReasoningEffort != "" {
		if _, explicit := c.additional["thinking"]; !explicit {
			key, val, ok := reasoningFields(fam, req.ReasoningEffort)
			switch {
			case !ok:
				if err := p.unsupported("reasoning_effort"); err != nil {
					return nil, err
				}
			case key != "":
				c.additional[key] = val
			}
		}
	}
	if len(req.Gateway.PromptVariables) > 0 {
		if err := c.setPromptVariables(req.Gateway.PromptVariables); err != nil {
			return nil, err
		}
	}
	return c, nil
}

func (c *converseRequest) setInference(req *llm.Request) error {
	ic := &types.InferenceConfiguration{StopSequences: req.Stop}
	maxTokens := req.MaxCompletionTokens
	if maxTokens == nil {
		maxTokens = req.MaxTokens
	}
	if maxTokens != nil {
		n, err := toInt32("max_tokens", *maxTokens)
		if err != nil {
			return err
		}
		ic.MaxTokens = aws.Int32(n)
	}
	if req.Temperature != nil {
		ic.Temperature = aws.Float32(float32(*req.Temperature))
	}
	if req.TopP != nil {
		ic.TopP = aws.Float32(float32(*req.TopP))
	}
	if ic.MaxTokens != nil || ic.Temperature != nil || ic.TopP != nil || len(ic.StopSequences) > 0 {
		c.inference = ic
	}
	return nil
}

// setMessages hoists system and developer messages into system blocks and
// folds the rest into alternating user/assistant turns: tool results travel
// in user turns, and consecutive turns of one role merge, as Converse wants.
func (c *converseRequest) setMessages(msgs []llm.Message) error {
	for i := range msgs {
		m := &msgs[i]
		param := fmt.Sprintf("messages[%d]", i)
		switch m.Role {
		case llm.RoleSystem, llm.RoleDeveloper:
			blocks, err := systemBlocks(m, param)
			if err != nil {
				return err
			}
			c.system = append(c.system, blocks...)
		case llm.RoleUser:
			blocks, err := contentBlocks(m.Content, param)
			if err != nil {
				return err
			}
			c.appendTurn(types.ConversationRoleUser, blocks)
		case llm.RoleAssistant:
			blocks, err := assistantBlocks(m, param)
			if err != nil {
				return err
			}
			c.appendTurn(types.ConversationRoleAssistant, blocks)
		case llm.RoleTool:
			block, err := toolResultBlock(m, param)
			if err != nil {
				return err
			}
			c.appendTurn(types.ConversationRoleUser, []types.ContentBlock{block})
		default:
			return badRequest(param+".role", "unknown message role %q", m.Role)
		}
	}
	for i, m := range c.messages {
		if len(m.Content) == 0 {
			return badRequest(fmt.Sprintf("messages[%d]", i), "message has no content; Bedrock needs text, "+
				"an image, a document, a tool call or a tool result in every turn")
		}
	}
	if len(c.messages) == 0 {
		return badRequest("messages", "the request has no user or assistant message; Bedrock needs at least one")
	}
	return nil
}

func (c *converseRequest) appendTurn(role types.ConversationRole, blocks []types.ContentBlock) {
	if n := len(c.messages); n > 0 && c.messages[n-1].Role == role {
		c.messages[n-1].Content = append(c.messages[n-1].Content, blocks...)
		return
	}
	c.messages = append(c.messages, types.Message{Role: role, Content: blocks})
}

func systemBlocks(m *llm.Message, param string) ([]types.SystemContentBlock, error) {
	var out []types.SystemContentBlock
	for j, part := range m.Content {
		switch part.Type {
		case llm.PartText:
			if strings.TrimSpace(part.Text) != "" {
				out = append(out, &types.SystemContentBlockMemberText{Value: part.Text})
			}
		case llm.PartCachePoint:
			out = append(out, &types.SystemContentBlockMemberCachePoint{Value: cachePoint(part.CacheControl)})
			continue
		default:
			return nil, unsupportedContent(fmt.Sprintf("%s.content[%d]", param, j),
				"bedrock system prompts take text only, not %s", part.Type)
		}
		if len(part.CacheControl) > 0 {
			out = append(out, &types.SystemContentBlockMemberCachePoint{Value: cachePoint(part.CacheControl)})
		}
	}
	return out, nil
}

// contentBlocks translates user content parts.
func contentBlocks(parts []llm.Part, param string) ([]types.ContentBlock, error) {
	var out []types.ContentBlock
	docs := 0
	for j := range parts {
		part := &parts[j]
		pp := fmt.Sprintf("%s.content[%d]", param, j)
		switch part.Type {
		case llm.PartText:
			// Converse refuses blank text blocks; an empty string adds nothing.
			if strings.TrimSpace(part.Text) != "" {
				out = append(out, &types.ContentBlockMemberText{Value: part.Text})
			}
		case llm.PartImage:
			img, err := imageBlock(part.Image, pp)
			if err != nil {
				return nil, err
			}
			out = append(out, &types.ContentBlockMemberImage{Value: img})
		case llm.PartDocument:
			docs++
			doc, err := documentBlock(part.Document, pp, docs)
			if err != nil {
				return nil, err
			}
			out = append(out, &types.ContentBlockMemberDocument{Value: doc})
		case llm.PartAudio:
			if part.Audio == nil || len(part.Audio.Data) == 0 {
				return nil, badRequest(pp, "audio part has no data")
			}
			out = append(out, &types.ContentBlockMemberAudio{Value: types.AudioBlock{
				Format: types.AudioFormat(strings.ToLower(part.Audio.Format)),
				Source: &types.AudioSourceMemberBytes{Value: part.Audio.Data},
			}})
		case llm.PartCachePoint:
			out = append(out, &types.ContentBlockMemberCachePoint{Value: cachePoint(part.CacheControl)})
			continue
		default:
			return nil, unsupportedContent(pp, "bedrock does not take %q content parts", part.Type)
		}
		if len(part.CacheControl) > 0 {
			out = append(out, &types.ContentBlockMemberCachePoint{Value: cachePoint(part.CacheControl)})
		}
	}
	return out, nil
}

// assistantBlocks translates an assistant turn: reasoning first (Anthropic
// requires thinking blocks to lead), then content, then tool calls.
func assistantBlocks(m *llm.Message, param string) ([]types.ContentBlock, error) {
	var out []types.ContentBlock
	if r := m.Reasoning; r != nil {
		switch {
		case len(r.Redacted) > 0:
			out = append(out, &types.ContentBlockMemberReasoningContent{
				Value: &types.ReasoningContentBlockMemberRedactedContent{Value: r.Redacted}})
		case r.Text != "" || r.Signature != "":
			rt := types.ReasoningTextBlock{Text: aws.String(r.Text)}
			if r.Signature != "" {
				rt.Signature = aws.String(r.Signature)
			}
			out = append(out, &types.ContentBlockMemberReasoningContent{
				Value: &types.ReasoningContentBlockMemberReasoningText{Value: rt}})
		}
	}
	blocks, err := contentBlocks(m.Content, param)
	if err != nil {
		return nil, err
	}
	out = append(out, blocks...)
	if m.Refusal != "" {
		out = append(out, &types.ContentBlockMemberText{Value: m.Refusal})
	}
	for k, tc := range m.ToolCalls {
		pp := fmt.Sprintf("%s.tool_calls[%d]", param, k)
		args := strings.TrimSpace(tc.Arguments)
		if args == "" {
			args = "{}"
		}
		input, err := decodeJSON([]byte(args))
		if err != nil {
			return nil, badRequest(pp+".function.arguments", "tool call arguments are not valid JSON: %v", err)
		}
		if tc.ID == "" || tc.Name == "" {
			return nil, badRequest(pp, "tool call needs an id and a function name")
		}
		out = append(out, &types.ContentBlockMemberToolUse{Value: types.ToolUseBlock{
			ToolUseId: aws.String(tc.ID),
			Name:      aws.String(tc.Name),
			Input:     document.NewLazyDocument(input),
		}})
	}
	return out, nil
}

func toolResultBlock(m *llm.Message, param string) (types.ContentBlock, error) {
	if m.ToolCallID == "" {
		return nil, badRequest(param+".tool_call_id", "tool message needs tool_call_id")
	}
	var content []types.ToolResultContentBlock
	for j := range m.Content {
		part := &m.Content[j]
		pp := fmt.Sprintf("%s.content[%d]", param, j)
		switch part.Type {
		case llm.PartText:
			content = append(content, &types.ToolResultContentBlockMemberText{Value: part.Text})
		case llm.PartImage:
			img, err := imageBlock(part.Image, pp)
			if err != nil {
				return nil, err
			}
			content = append(content, &types.ToolResultContentBlockMemberImage{Value: img})
		case llm.PartDocument:
			doc, err := documentBlock(part.Document, pp, j+1)
			if err != nil {
				return nil, err
			}
			content = append(content, &types.ToolResultContentBlockMemberDocument{Value: doc})
		case llm.PartCachePoint:
			// A cache point cannot sit inside a tool result; the breakpoint
			// after the result is as close as Converse allows.
		default:
			return nil, unsupportedContent(pp, "bedrock tool results take text, images and documents, not %s", part.Type)
		}
	}
	if len(content) == 0 {
		// Converse requires content; an empty tool output is still an answer.
		content = append(content, &types.ToolResultContentBlockMemberText{Value: ""})
	}
	return &types.ContentBlockMemberToolResult{Value: types.ToolResultBlock{
		ToolUseId: aws.String(m.ToolCallID),
		Content:   content,
	}}, nil
}

func (c *converseRequest) setTools(req *llm.Request, p params) error {
	choice := req.ToolChoice
	if choice != nil && choice.Mode == "none" {
		if !usesTools(req.Messages) {
			// Without tools the model cannot call one: exactly "none".
			return nil
		}
		if err := p.unsupported("tool_choice"); err != nil {
			return err
		}
		choice = nil
	}
	var specs []types.Tool
	for i, t := range req.Tools {
		pp := fmt.Sprintf("tools[%d]", i)
		if t.Type != "" && t.Type != "function" {
			return unsupportedContent(pp+".type", "bedrock takes function tools only, not %q", t.Type)
		}
		if t.Name == "" {
			return badRequest(pp+".function.name", "tool needs a name")
		}
		schema := t.Parameters
		if len(schema) == 0 || string(schema) == "null" {
			schema = json.RawMessage(`{"type":"object","properties":{}}`)
		}
		sv, err := decodeObject(schema)
		if err != nil {
			return badRequest(pp+".function.parameters", "tool parameters must be a JSON Schema object: %v", err)
		}
		spec := types.ToolSpecification{
			Name:        aws.String(t.Name),
			InputSchema: &types.ToolInputSchemaMemberJson{Value: document.NewLazyDocument(sv)},
			Strict:      t.Strict,
		}
		if t.Description != "" {
			spec.Description = aws.String(t.Description)
		}
		specs = append(specs, &types.ToolMemberToolSpec{Value: spec})
		if len(t.CacheControl) > 0 {
			specs = append(specs, &types.ToolMemberCachePoint{Value: cachePoint(t.CacheControl)})
		}
	}
	if len(specs) == 0 {
		if choice != nil && choice.Mode != "auto" {
			return badRequest("tool_choice", "tool_choice %q needs tools", choice.Mode)
		}
		return nil
	}
	tc := &types.ToolConfiguration{Tools: specs}
	if choice != nil {
		switch choice.Mode {
		case "auto", "":
			tc.ToolChoice = &types.ToolChoiceMemberAuto{}
		case "required":
			tc.ToolChoice = &types.ToolChoiceMemberAny{}
		case "function":
			tc.ToolChoice = &types.ToolChoiceMemberTool{Value: types.SpecificToolChoice{Name: aws.String(choice.Function)}}
		default:
			return badRequest("tool_choice", "unknown tool_choice %q", choice.Mode)
		}
	}
	c.tools = tc
	return nil
}

func usesTools(msgs []llm.Message) bool {
	for i := range msgs {
		if msgs[i].Role == llm.RoleTool || len(msgs[i].ToolCalls) > 0 {
			return true
		}
	}
	return false
}

func (c *converseRequest) setResponseFormat(rf *llm.ResponseFormat, p params) error {
	if rf == nil {
		return nil
	}
	switch rf.Type {
	case "", "text":
		return nil
	case "json_object":
		return p.unsupported("response_format")
	case "json_schema":
		var js struct {
			Name        string          `json:"name"`
			Description string          `json:"description"`
			Schema      json.RawMessage `json:"schema"`
		}
		if err := json.Unmarshal(rf.JSONSchema, &js); err != nil || len(js.Schema) == 0 {
			return badRequest("response_format.json_schema", "json_schema needs a schema object")
		}
		def := types.JsonSchemaDefinition{Schema: aws.String(string(js.Schema))}
		if js.Name != "" {
			def.Name = aws.String(js.Name)
		}
		if js.Description != "" {
			def.Description = aws.String(js.Description)
		}
		c.output = &types.OutputConfig{TextFormat: &types.OutputFormat{
			Type:      types.OutputFormatTypeJsonSchema,
			Structure: &types.OutputFormatStructureMemberJsonSchema{Value: def},
		}}
		return nil
	}
	return badRequest("response_format.type", "unknown response_format type %q", rf.Type)
}

// setExtra maps the request fields Converse names and passes the others on
// in additionalModelRequestFields.
func (c *converseRequest) setExtra(extra []llm.Field, p params) error {
	for _, f := range extra {
		var err error
		switch f.Name {
		case "additionalModelRequestFields", "additional_model_request_fields":
			var m map[string]any
			if m, err = decodeObject(f.Value); err == nil {
				for k, v := range m {
					c.additional[k] = v
				}
			}
		case "guardrailConfig", "guardrail_config":
			var g guardrailConfig
			if err = json.Unmarshal(f.Value, &g); err == nil && (g.Identifier == "" || g.Version == "") {
				err = fmt.Errorf("guardrailIdentifier and guardrailVersion are required")
			}
			c.guardrail = &g
		case "performanceConfig":
			var v struct{ Latency string }
			err = json.Unmarshal(f.Value, &v)
			c.perf = &types.PerformanceConfiguration{Latency: types.PerformanceConfigLatency(v.Latency)}
		case "requestMetadata":
			err = json.Unmarshal(f.Value, &c.metadata)
		case "additionalModelResponseFieldPaths":
			err = json.Unmarshal(f.Value, &c.fieldPaths)
		case "serviceTier", "service_tier":
			err = c.setServiceTier(f.Value)
		case "promptVariables":
			err = c.setPromptVariables(f.Value)
		default:
			if openAIOnlyFields[f.Name] {
				if uerr := p.unsupported(f.Name); uerr != nil {
					return uerr
				}
				continue
			}
			var v any
			if v, err = decodeJSON(f.Value); err == nil {
				c.additional[f.Name] = v
			}
		}
		if err != nil {
			return badRequest(f.Name, "invalid %s: %v", f.Name, err)
		}
	}
	return nil
}

// setServiceTier takes OpenAI's service_tier string or Converse's
// {"type": ...}; "auto" leaves the choice to Bedrock.
func (c *converseRequest) setServiceTier(raw json.RawMessage) error {
	var tier string
	if err := json.Unmarshal(raw, &tier); err != nil {
		var v struct{ Type string }
		if err := json.Unmarshal(raw, &v); err != nil {
			return err
		}
		tier = v.Type
	}
	if tier == "" || tier == "auto" {
		return nil
	}
	c.tier = &types.ServiceTier{Type: types.ServiceTierType(tier)}
	return nil
}

// setPromptVariables takes Converse's {"name": {"text": "..."}} or the
// plainer {"name": "..."} an OpenAI client sends in extra_body.
func (c *converseRequest) setPromptVariables(raw json.RawMessage) error {
	var vars map[string]json.RawMessage
	if err := json.Unmarshal(raw, &vars); err != nil {
		return badRequest("promptVariables", "promptVariables must be an object: %v", err)
	}
	c.variables = make(map[string]types.PromptVariableValues, len(vars))
	names := make([]string, 0, len(vars))
	for k := range vars {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		var s string
		if err := json.Unmarshal(vars[k], &s); err != nil {
			var v struct {
				Text *string `json:"text"`
			}
			if err := json.Unmarshal(vars[k], &v); err != nil || v.Text == nil {
				return badRequest("promptVariables."+k, "prompt variable %q must be a string or {\"text\": string}", k)
			}
			s = *v.Text
		}
		c.variables[k] = &types.PromptVariableValuesMemberText{Value: s}
	}
	return nil
}

// stringMembers returns the string-valued members of a request's metadata
// object. Both inbound formats carry key-value metadata there (Converse's
// requestMetadata, OpenAI's metadata), which Bedrock takes as
// requestMetadata for its invocation logs. Members of other types are the
// gateway's own metadata (LiteLLM's tags and the like) and stay here. The
// metadata only describes the call, so where an upstream API has no place
// for it (InvokeModel) it is not sent, rather than refused.
func stringMembers(raw json.RawMessage) map[string]string {
	if len(raw) == 0 {
		return nil
	}
	var members map[string]json.RawMessage
	if json.Unmarshal(raw, &members) != nil {
		return nil
	}
	var out map[string]string
	for k, v := range members {
		var s string
		if json.Unmarshal(v, &s) != nil {
			continue
		}
		if out == nil {
			out = make(map[string]string, len(members))
		}
		out[k] = s
	}
	return out
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}
