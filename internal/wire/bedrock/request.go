package bedrock

import (
	"github.com/tollgate-gw/tollgate/internal/llm"
	"github.com/tollgate-gw/tollgate/internal/wire/rawjson"
)

// Names of Converse request members kept verbatim in llm.Request.Extra.
// Adapters for Bedrock read them back by these names.
const (
	// ExtraAdditionalModelRequestFields holds additionalModelRequestFields
	// minus the gateway controls lifted into llm.Request.Gateway.
	ExtraAdditionalModelRequestFields = "additionalModelRequestFields"
	// ExtraAdditionalModelResponseFieldPaths holds additionalModelResponseFieldPaths.
	ExtraAdditionalModelResponseFieldPaths = "additionalModelResponseFieldPaths"
	// ExtraGuardrailConfig holds guardrailConfig.
	ExtraGuardrailConfig = "guardrailConfig"
	// ExtraPerformanceConfig holds performanceConfig.
	ExtraPerformanceConfig = "performanceConfig"
	// ExtraServiceTier holds serviceTier.
	ExtraServiceTier = "serviceTier"
)

// Gateway controls that Bedrock-format clients put in
// additionalModelRequestFields, the only free-form member Converse has (see
// the genai-gateway's README: chat history with boto3).
const (
	gatewayEnableHistory = "enable_history"
	gatewaySessionID     = "session_id"
)

// DecodeConverseRequest decodes the body of a Converse call
// (POST /model/{modelId}/converse) into a neutral request for modelID.
//
// Converse is strict and so is the decoder: a member it does not know, a
// member of the wrong type or a missing required member is a *DecodeError
// naming the JSON path. The mapping to the neutral model is:
//
//   - system blocks become one leading system message; guardContent text and
//     images become ordinary parts (the model sees them, as it does on
//     Bedrock; the guardrail qualifiers are not carried).
//   - toolResult blocks in a user message become one tool message each,
//     placed before a user message holding the remaining blocks, so that an
//     OpenAI-backed model receives tool results right after the call. Tool
//     result json content is carried as its JSON text; the result status is
//     validated but not carried.
//   - toolUse blocks become the assistant's ToolCalls with the input as JSON
//     text; reasoningContent becomes Message.Reasoning.
//   - cachePoint blocks become PartCachePoint parts whose CacheControl is the
//     cachePoint object verbatim; a cachePoint in the tool list sets
//     CacheControl on the tool before it.
//   - S3 locations become "s3://" URIs in Image.URL or Document.FileID.
//   - toolChoice any becomes "required"; tool{name} becomes "function".
//   - outputConfig maps to ResponseFormat (json_schema) and ReasoningEffort;
//     requestMetadata to Metadata; promptVariables to Gateway.PromptVariables.
//   - additionalModelRequestFields, guardrailConfig, performanceConfig,
//     serviceTier and additionalModelResponseFieldPaths are kept verbatim in
//     Extra under their Converse names (the Extra… constants). The gateway
//     controls enable_history and session_id are lifted out of
//     additionalModelRequestFields into Gateway and removed from the copy in
//     Extra, because gateway controls are never sent upstream.
//
// Content Converse has but the neutral model cannot carry (video, search
// results, citations, system tools, server tool use) is refused with a
// *DecodeError rather than dropped.
//
// The returned request aliases body for raw JSON values (tool schemas,
// verbatim members); the caller must not modify body afterwards.
func DecodeConverseRequest(modelID string, body []byte) (*llm.Request, error) {
	return decodeRequest(modelID, body, false)
}

// DecodeConverseStreamRequest decodes the body of a ConverseStream call. It
// is DecodeConverseRequest with Stream and IncludeUsage set (the stream's
// metadata event always carries usage) and with the one member only the
// streaming operation has, guardrailConfig.streamProcessingMode, allowed.
func DecodeConverseStreamRequest(modelID string, body []byte) (*llm.Request, error) {
	return decodeRequest(modelID, body, true)
}

// Top-level members, as bits, to reject duplicates: encoding/json would keep
// the last, and two "messages" arrays would otherwise both be decoded.
const (
	seenMessages = 1 << iota
	seenSystem
	seenInference
	seenToolConfig
	seenGuardrail
	seenAdditional
	seenResponsePaths
	seenPromptVariables
	seenRequestMetadata
	seenPerformance
	seenServiceTier
	seenOutputConfig
)

func decodeRequest(modelID string, body []byte, stream bool) (*llm.Request, error) {
	body, err := checkJSON(body)
	if err != nil {
		return nil, err
	}
	obj, ok := rawjson.Object(body)
	if !ok {
		return nil, &DecodeError{Message: "request body must be a JSON object, got " + rawjson.KindOf(body).String()}
	}
	// A ConverseStream client always receives usage in the metadata event,
	// so the upstream must be asked for it.
	req := &llm.Request{Model: modelID, Stream: stream, IncludeUsage: stream}
	var system *llm.Message
	seen := 0
	for obj.Next() {
		v := obj.Value()
		var bit int
		switch string(obj.Key()) {
		case "messages":
			bit = seenMessages
		case "system":
			bit = seenSystem
		case "inferenceConfig":
			bit = seenInference
		case "toolConfig":
			bit = seenToolConfig
		case "guardrailConfig":
			bit = seenGuardrail
		case "additionalModelRequestFields":
			bit = seenAdditional
		case "additionalModelResponseFieldPaths":
			bit = seenResponsePaths
		case "promptVariables":
			bit = seenPromptVariables
		case "requestMetadata":
			bit = seenRequestMetadata
		case "performanceConfig":
			bit = seenPerformance
		case "serviceTier":
			bit = seenServiceTier
		case "outputConfig":
			bit = seenOutputConfig
		case "modelId":
			return nil, &DecodeError{Field: "modelId", Message: "belongs in the URL path, not the body"}
		default:
			return nil, unknownField(&obj)
		}
		if seen&bit != 0 {
			return nil, &DecodeError{Field: string(obj.Key()), Message: "appears more than once"}
		}
		seen |= bit
		if rawjson.IsNull(v) {
			continue
		}
		switch bit {
		case seenMessages:
			req.Messages, err = decodeMessages(v, req.Messages)
		case seenSystem:
			system, err = decodeSystem(v)
		case seenInference:
			err = decodeInference(v, req)
		case seenToolConfig:
			err = decodeToolConfig(v, req)
		case seenGuardrail:
			err = checkGuardrailConfig(v, stream)
			req.Extra = append(req.Extra, llm.Field{Name: ExtraGuardrailConfig, Value: v})
		case seenAdditional:
			err = decodeAdditionalFields(v, req)
		case seenResponsePaths:
			err = checkStringList(v)
			req.Extra = append(req.Extra, llm.Field{Name: ExtraAdditionalModelResponseFieldPaths, Value: v})
		case seenPromptVariables:
			err = checkPromptVariables(v)
			req.Gateway.PromptVariables = v
		case seenRequestMetadata:
			err = checkStringMap(v)
			req.Metadata = v
		case seenPerformance:
			err = checkStringStruct(v, "latency")
			req.Extra = append(req.Extra, llm.Field{Name: ExtraPerformanceConfig, Value: v})
		case seenServiceTier:
			err = checkStringStruct(v, "type")
			req.Extra = append(req.Extra, llm.Field{Name: ExtraServiceTier, Value: v})
		case seenOutputConfig:
			err = decodeOutputConfig(v, req)
		}
		if err != nil {
			return nil, at(err, string(obj.Key()))
		}
	}
	if system != nil {
		// The system member may follow messages in the document, so the
		// system message is put in front once both are known.
		req.Messages = append(req.Messages, llm.Message{})
		copy(req.Messages[1:], req.Messages)
		req.Messages[0] = *system
	}
	return req, nil
}

func decodeInference(v []byte, req *llm.Request) error {
	obj, ok := rawjson.Object(v)
	if !ok {
		return wrongType("an object", v)
	}
	for obj.Next() {
		v := obj.Value()
		if rawjson.IsNull(v) {
			continue
		}
		var err error
		switch string(obj.Key()) {
		case "maxTokens":
			var n int
			if n, err = integer(v); err == nil {
				if n < 1 {
					err = &DecodeError{Message: "must be at least 1"}
				}
				req.MaxTokens = &n
			}
		case "temperature":
			var f float64
			f, err = number(v)
			req.Temperature = &f
		case "topP":
			var f float64
			f, err = number(v)
			req.TopP = &f
		case "stopSequences":
			req.Stop, err = stringList(v)
		default:
			return unknownField(&obj)
		}
		if err != nil {
			return at(err, string(obj.Key()))
		}
	}
	return nil
}

func decodeToolConfig(v []byte, req *llm.Request) error {
	obj, ok := rawjson.Object(v)
	if !ok {
		return wrongType("an object", v)
	}
	hasTools := false
	for obj.Next() {
		v := obj.Value()
		if rawjson.IsNull(v) {
			continue
		}
		var err error
		switch string(obj.Key()) {
		case "tools":
			hasTools = true
			req.Tools, err = decodeTools(v)
		case "toolChoice":
			req.ToolChoice, err = decodeToolChoice(v)
		default:
			return unknownField(&obj)
		}
		if err != nil {
			return at(err, string(obj.Key()))
		}
	}
	if !hasTools {
		return required("tools")
	}
	return nil
}

func decodeTools(v []byte) ([]llm.Tool, error) {
	it, ok := rawjson.Array(v)
	if !ok {
		return nil, wrongType("an array", v)
	}
	tools := make([]llm.Tool, 0, rawjson.ArrayLen(v))
	for it.Next() {
		key, val, err := union(it.Value())
		if err != nil {
			return nil, atIndex(err, "", it.Index())
		}
		switch string(key) {
		case "toolSpec":
			var t llm.Tool
			if t, err = decodeToolSpec(val); err == nil {
				tools = append(tools, t)
			}
		case "cachePoint":
			if err = checkCachePoint(val); err == nil {
				if len(tools) == 0 {
					err = &DecodeError{Message: "must follow a toolSpec: it marks the end of a cached prefix"}
				} else {
					tools[len(tools)-1].CacheControl = val
				}
			}
		case "systemTool":
			err = unsupported("", "system tools have no equivalent in the neutral model")
		default:
			err = &DecodeError{Message: "unknown tool type"}
		}
		if err != nil {
			return nil, atIndex(at(err, string(key)), "", it.Index())
		}
	}
	return tools, nil
}

func decodeToolSpec(v []byte) (llm.Tool, error) {
	t := llm.Tool{Type: "function"}
	obj, ok := rawjson.Object(v)
	if !ok {
		return t, wrongType("an object", v)
	}
	for obj.Next() {
		v := obj.Value()
		if rawjson.IsNull(v) {
			continue
		}
		var err error
		switch string(obj.Key()) {
		case "name":
			t.Name, err = nonEmptyStr(v)
		case "description":
			t.Description, err = str(v)
		case "inputSchema":
			var key []byte
			if key, t.Parameters, err = union(v); err == nil {
				switch {
				case string(key) != "json":
					err = &DecodeError{Field: string(key), Message: "unknown input schema type"}
				case t.Parameters[0] != '{':
					err = at(wrongType("an object", t.Parameters), "json")
				}
			}
		case "strict":
			var b bool
			b, err = boolean(v)
			t.Strict = &b
		default:
			return t, unknownField(&obj)
		}
		if err != nil {
			return t, at(err, string(obj.Key()))
		}
	}
	if t.Name == "" {
		return t, required("name")
	}
	if t.Parameters == nil {
		return t, required("inputSchema")
	}
	return t, nil
}

func decodeToolChoice(v []byte) (*llm.ToolChoice, error) {
	key, val, err := union(v)
	if err != nil {
		return nil, err
	}
	switch string(key) {
	case "auto":
		return &llm.ToolChoice{Mode: "auto"}, at(checkEmptyObject(val), "auto")
	case "any":
		return &llm.ToolChoice{Mode: "required"}, at(checkEmptyObject(val), "any")
	case "tool":
		tc := &llm.ToolChoice{Mode: "function"}
		obj, ok := rawjson.Object(val)
		if !ok {
			return nil, at(wrongType("an object", val), "tool")
		}
		for obj.Next() {
			if string(obj.Key()) != "name" {
				return nil, at(unknownField(&obj), "tool")
			}
			if tc.Function, err = nonEmptyStr(obj.Value()); err != nil {
				return nil, at(err, "tool.name")
			}
		}
		if tc.Function == "" {
			return nil, required("tool.name")
		}
		return tc, nil
	}
	return nil, &DecodeError{Field: string(key), Message: "unknown tool choice"}
}

// decodeAdditionalFields lifts the gateway controls out of
// additionalModelRequestFields and keeps the rest verbatim.
func decodeAdditionalFields(v []byte, req *llm.Request) error {
	obj, ok := rawjson.Object(v)
	if !ok {
		return wrongType("an object", v)
	}
	lifted, kept := 0, 0
	for obj.Next() {
		var err error
		switch string(obj.Key()) {
		case gatewayEnableHistory:
			lifted++
			if !rawjson.IsNull(obj.Value()) {
				req.Gateway.EnableHistory, err = boolean(obj.Value())
			}
		case gatewaySessionID:
			lifted++
			if !rawjson.IsNull(obj.Value()) {
				req.Gateway.SessionID, err = str(obj.Value())
			}
		default:
			kept++
		}
		if err != nil {
			return at(err, string(obj.Key()))
		}
	}
	switch {
	case lifted == 0:
		req.Extra = append(req.Extra, llm.Field{Name: ExtraAdditionalModelRequestFields, Value: v})
	case kept > 0:
		// Rebuild the object without the gateway members, copying the rest
		// byte for byte so key order and number spelling survive.
		out := make([]byte, 0, len(v))
		out = append(out, '{')
		obj, _ = rawjson.Object(v)
		for obj.Next() {
			if k := string(obj.Key()); k == gatewayEnableHistory || k == gatewaySessionID {
				continue
			}
			out = rawjson.AppendSep(out)
			out = append(out, obj.RawKey()...)
			out = append(out, ':')
			out = append(out, obj.Value()...)
		}
		out = append(out, '}')
		req.Extra = append(req.Extra, llm.Field{Name: ExtraAdditionalModelRequestFields, Value: out})
	}
	return nil
}

func decodeOutputConfig(v []byte, req *llm.Request) error {
	obj, ok := rawjson.Object(v)
	if !ok {
		return wrongType("an object", v)
	}
	for obj.Next() {
		v := obj.Value()
		if rawjson.IsNull(v) {
			continue
		}
		var err error
		switch string(obj.Key()) {
		case "effort":
			req.ReasoningEffort, err = nonEmptyStr(v)
		case "textFormat":
			req.ResponseFormat, err = decodeTextFormat(v)
		default:
			return unknownField(&obj)
		}
		if err != nil {
			return at(err, string(obj.Key()))
		}
	}
	return nil
}

// decodeTextFormat maps Converse's structured-output request onto OpenAI's
// response_format json_schema object ({name, description, schema}).
func decodeTextFormat(v []byte) (*llm.ResponseFormat, error) {
	obj, ok := rawjson.Object(v)
	if !ok {
		return nil, wrongType("an object", v)
	}
	var typ string
	var structure []byte
	for obj.Next() {
		if rawjson.IsNull(obj.Value()) {
			continue
		}
		var err error
		switch string(obj.Key()) {
		case "type":
			if typ, err = str(obj.Value()); err == nil && typ != "json_schema" {
				err = &DecodeError{Message: `must be "json_schema", got ` + quote(typ)}
			}
		case "structure":
			structure = obj.Value()
		default:
			return nil, unknownField(&obj)
		}
		if err != nil {
			return nil, at(err, string(obj.Key()))
		}
	}
	if typ == "" {
		return nil, required("type")
	}
	if structure == nil {
		return nil, required("structure")
	}
	key, val, err := union(structure)
	if err != nil {
		return nil, at(err, "structure")
	}
	if string(key) != "jsonSchema" {
		return nil, &DecodeError{Field: "structure." + string(key), Message: "unknown structure type"}
	}
	var name, desc, schema string
	obj, ok = rawjson.Object(val)
	if !ok {
		return nil, at(wrongType("an object", val), "structure.jsonSchema")
	}
	for obj.Next() {
		if rawjson.IsNull(obj.Value()) {
			continue
		}
		var err error
		switch string(obj.Key()) {
		case "name":
			name, err = str(obj.Value())
		case "description":
			desc, err = str(obj.Value())
		case "schema":
			if schema, err = nonEmptyStr(obj.Value()); err == nil && !isJSONObject(schema) {
				err = &DecodeError{Message: "must be a JSON object serialized as a string"}
			}
		default:
			return nil, at(unknownField(&obj), "structure.jsonSchema")
		}
		if err != nil {
			return nil, at(at(err, string(obj.Key())), "structure.jsonSchema")
		}
	}
	if schema == "" {
		return nil, required("structure.jsonSchema.schema")
	}
	b := make([]byte, 0, len(schema)+len(name)+len(desc)+40)
	b = append(b, '{')
	if name != "" {
		b = rawjson.AppendString(append(b, `"name":`...), name)
		b = append(b, ',')
	}
	if desc != "" {
		b = rawjson.AppendString(append(b, `"description":`...), desc)
		b = append(b, ',')
	}
	b = append(b, `"schema":`...)
	b = append(b, schema...)
	b = append(b, '}')
	return &llm.ResponseFormat{Type: "json_schema", JSONSchema: b}, nil
}

func checkGuardrailConfig(v []byte, stream bool) error {
	obj, ok := rawjson.Object(v)
	if !ok {
		return wrongType("an object", v)
	}
	var id, version bool
	for obj.Next() {
		if rawjson.IsNull(obj.Value()) {
			continue
		}
		var err error
		switch string(obj.Key()) {
		case "guardrailIdentifier":
			id = true
			_, err = nonEmptyStr(obj.Value())
		case "guardrailVersion":
			version = true
			_, err = nonEmptyStr(obj.Value())
		case "trace":
			_, err = str(obj.Value())
		case "streamProcessingMode":
			if !stream {
				return &DecodeError{Field: string(obj.Key()), Message: "is only valid for ConverseStream"}
			}
			_, err = str(obj.Value())
		default:
			return unknownField(&obj)
		}
		if err != nil {
			return at(err, string(obj.Key()))
		}
	}
	if !id {
		return required("guardrailIdentifier")
	}
	if !version {
		return required("guardrailVersion")
	}
	return nil
}

// checkStringStruct checks an object whose only member, field, is a string.
func checkStringStruct(v []byte, field string) error {
	obj, ok := rawjson.Object(v)
	if !ok {
		return wrongType("an object", v)
	}
	for obj.Next() {
		if string(obj.Key()) != field {
			return unknownField(&obj)
		}
		if rawjson.IsNull(obj.Value()) {
			continue
		}
		if _, err := str(obj.Value()); err != nil {
			return at(err, field)
		}
	}
	return nil
}

func checkStringList(v []byte) error {
	it, ok := rawjson.Array(v)
	if !ok {
		return wrongType("an array", v)
	}
	for it.Next() {
		if _, err := str(it.Value()); err != nil {
			return atIndex(err, "", it.Index())
		}
	}
	return nil
}

func stringList(v []byte) ([]string, error) {
	it, ok := rawjson.Array(v)
	if !ok {
		return nil, wrongType("an array", v)
	}
	out := make([]string, 0, rawjson.ArrayLen(v))
	for it.Next() {
		s, err := str(it.Value())
		if err != nil {
			return nil, atIndex(err, "", it.Index())
		}
		out = append(out, s)
	}
	return out, nil
}

func checkStringMap(v []byte) error {
	obj, ok := rawjson.Object(v)
	if !ok {
		return wrongType("an object", v)
	}
	for obj.Next() {
		if _, err := str(obj.Value()); err != nil {
			return at(err, string(obj.Key()))
		}
	}
	return nil
}

// checkPromptVariables checks promptVariables: a map from variable name to a
// PromptVariableValues union whose only member is text.
func checkPromptVariables(v []byte) error {
	obj, ok := rawjson.Object(v)
	if !ok {
		return wrongType("an object", v)
	}
	for obj.Next() {
		key, val, err := union(obj.Value())
		if err == nil {
			if string(key) != "text" {
				err = &DecodeError{Field: string(key), Message: "unknown prompt variable type"}
			} else if _, err = str(val); err != nil {
				err = at(err, "text")
			}
		}
		if err != nil {
			return at(err, string(obj.Key()))
		}
	}
	return nil
}

func checkEmptyObject(v []byte) error {
	obj, ok := rawjson.Object(v)
	if !ok {
		return wrongType("an object", v)
	}
	if obj.Next() {
		return unknownField(&obj)
	}
	return nil
}

// union returns the one member set in a Smithy union. Null members count as
// unset, as they do for the service.
func union(v []byte) (key, val []byte, err error) {
	obj, ok := rawjson.Object(v)
	if !ok {
		return nil, nil, wrongType("an object", v)
	}
	for obj.Next() {
		if rawjson.IsNull(obj.Value()) {
			continue
		}
		if key != nil {
			return nil, nil, &DecodeError{Message: "must set exactly one member, got " +
				quote(string(key)) + " and " + quote(string(obj.Key()))}
		}
		key, val = obj.Key(), obj.Value()
	}
	if key == nil {
		return nil, nil, &DecodeError{Message: "must set exactly one member"}
	}
	return key, val, nil
}

func isJSONObject(s string) bool { return rawjson.ValidObject([]byte(s)) }
