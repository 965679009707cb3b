package openai

import (
	"fmt"
	"strconv"

	"github.com/tollgate-gw/tollgate/internal/llm"
	"github.com/tollgate-gw/tollgate/internal/wire/rawjson"
)

// DecodeChatRequest decodes a chat completions request body. The returned
// request references data (raw JSON values are not copied), so data must not
// be reused while the request is alive.
//
// Fields addressed to the gateway (drop_params, tags, fallbacks, cache,
// enable_history, session_id, priority, guardrails, num_retries; also inside
// metadata, and inside an explicit extra_body object) go to Request.Gateway
// and are never forwarded. Unknown fields are kept in Request.Extra.
func DecodeChatRequest(data []byte) (*llm.Request, error) {
	if err := checkJSON(data); err != nil {
		return nil, err
	}
	obj, err := object("", data)
	if err != nil {
		return nil, err
	}
	req := &llm.Request{}
	for obj.Next() {
		if err := decodeChatField(req, obj.Key(), obj.Value()); err != nil {
			return nil, err
		}
	}
	if req.Model == "" {
		return nil, &DecodeError{Field: "model", Msg: "required: name the model to call (see GET /v1/models)"}
	}
	if req.Messages == nil {
		return nil, &DecodeError{Field: "messages", Msg: "required: give at least one message"}
	}
	// A Bedrock managed prompt carries its own messages: the genai-gateway
	// documents calling one with messages=[] and only promptVariables.
	if len(req.Messages) == 0 && req.Gateway.PromptVariables == nil {
		return nil, &DecodeError{Field: "messages", Msg: "must contain at least one message"}
	}
	return req, nil
}

func decodeChatField(req *llm.Request, k, v []byte) error {
	var err error
	switch string(k) {
	case "model":
		req.Model, err = decodeString("model", v)
	case "messages":
		req.Messages, err = decodeMessages(v)
	case "stream":
		req.Stream, err = decodeFlag("stream", v)
	case "stream_options":
		if rawjson.IsNull(v) {
			return nil
		}
		obj, err := object("stream_options", v)
		for err == nil && obj.Next() {
			if string(obj.Key()) == "include_usage" {
				req.IncludeUsage, err = decodeFlag("stream_options.include_usage", obj.Value())
			}
		}
		return err
	case "tools":
		req.Tools, err = decodeTools(v)
	case "tool_choice":
		req.ToolChoice, err = decodeToolChoice(v)
	case "parallel_tool_calls":
		req.ParallelToolCalls, err = decodeBool("parallel_tool_calls", v)
	case "response_format":
		req.ResponseFormat, err = decodeResponseFormat(v)
	case "max_tokens":
		req.MaxTokens, err = decodeInt("max_tokens", v)
	case "max_completion_tokens":
		req.MaxCompletionTokens, err = decodeInt("max_completion_tokens", v)
	case "temperature":
		req.Temperature, err = decodeFloat("temperature", v)
	case "top_p":
		req.TopP, err = decodeFloat("top_p", v)
	case "stop":
		req.Stop, err = decodeStrings("stop", v)
	case "n":
		req.N, err = decodeInt("n", v)
	case "seed":
		if rawjson.IsNull(v) {
			return nil
		}
		n, perr := strconv.ParseInt(string(v), 10, 64)
		if perr != nil {
			return &DecodeError{Field: "seed", Msg: "expected an integer, got " + rawjson.KindOf(v).String()}
		}
		req.Seed = &n
	case "presence_penalty":
		req.PresencePenalty, err = decodeFloat("presence_penalty", v)
	case "frequency_penalty":
		req.FrequencyPenalty, err = decodeFloat("frequency_penalty", v)
	case "logprobs":
		req.Logprobs, err = decodeBool("logprobs", v)
	case "top_logprobs":
		req.TopLogprobs, err = decodeInt("top_logprobs", v)
	case "logit_bias":
		if !rawjson.IsNull(v) {
			if err = expectObject("logit_bias", v); err == nil {
				req.LogitBias = v
			}
		}
	case "reasoning_effort":
		req.ReasoningEffort, err = decodeString("reasoning_effort", v)
	case "user":
		req.User, err = decodeString("user", v)
	case "metadata":
		if rawjson.IsNull(v) {
			return nil
		}
		if err = expectObject("metadata", v); err != nil {
			return err
		}
		req.Metadata = v
		err = decodeMetadataTags(&req.Gateway, v)
	case "extra_body":
		// Some clients send extra_body literally instead of merging it into
		// the body as the OpenAI SDKs do; treat its members as top-level.
		if rawjson.IsNull(v) {
			return nil
		}
		obj, err := object("extra_body", v)
		for err == nil && obj.Next() {
			err = decodeChatField(req, obj.Key(), obj.Value())
		}
		return err
	default:
		var handled bool
		handled, err = decodeGatewayField(&req.Gateway, k, v)
		if !handled {
			req.Extra = append(req.Extra, llm.Field{Name: fieldName(k), Value: v})
		}
	}
	return err
}

// decodeMetadataTags adds the tags member of a metadata object to the
// gateway's tags.
func decodeMetadataTags(g *llm.GatewayOptions, v []byte) error {
	obj, err := object("metadata", v)
	for err == nil && obj.Next() {
		if string(obj.Key()) == "tags" {
			var tags []string
			tags, err = decodeStrings("metadata.tags", obj.Value())
			g.Tags = append(g.Tags, tags...)
		}
	}
	return err
}

// decodeGatewayField decodes the request fields addressed to the gateway,
// shared by every OpenAI-format endpoint.
func decodeGatewayField(g *llm.GatewayOptions, k, v []byte) (bool, error) {
	var err error
	switch string(k) {
	case "drop_params":
		g.DropParams, err = decodeBool("drop_params", v)
	case "tags":
		var tags []string
		tags, err = decodeStrings("tags", v)
		g.Tags = append(g.Tags, tags...)
	case "fallbacks":
		g.Fallbacks, err = decodeStrings("fallbacks", v)
	case "num_retries":
		g.NumRetries, err = decodeInt("num_retries", v)
	case "cache":
		if !rawjson.IsNull(v) {
			if err = expectObject("cache", v); err == nil {
				g.Cache = v
			}
		}
	case "enable_history":
		g.EnableHistory, err = decodeFlag("enable_history", v)
	case "session_id":
		g.SessionID, err = decodeString("session_id", v)
	case "priority":
		g.Priority, err = decodeInt("priority", v)
	case "guardrails":
		g.Guardrails, err = decodeStrings("guardrails", v)
	case "promptVariables":
		if !rawjson.IsNull(v) {
			if err = expectObject("promptVariables", v); err == nil {
				g.PromptVariables = v
			}
		}
	default:
		return false, nil
	}
	return true, err
}

func decodeMessages(v []byte) ([]llm.Message, error) {
	if rawjson.IsNull(v) {
		return nil, nil
	}
	it, err := array("messages", v)
	if err != nil {
		return nil, err
	}
	msgs := make([]llm.Message, 0, 4)
	for it.Next() {
		m, err := decodeMessage(it.Index(), it.Value())
		if err != nil {
			return msgs, err
		}
		msgs = append(msgs, m)
	}
	return msgs, nil
}

func decodeMessage(i int, v []byte) (llm.Message, error) {
	var m llm.Message
	path := "messages[" + strconv.Itoa(i) + "]"
	var content []byte
	obj, err := object(path, v)
	for err == nil && obj.Next() {
		v2 := obj.Value()
		switch string(obj.Key()) {
		case "role":
			var r string
			r, err = decodeString(path+".role", v2)
			m.Role = llm.Role(r)
		case "content":
			content = v2
		case "name":
			m.Name, err = decodeString(path+".name", v2)
		case "tool_call_id":
			m.ToolCallID, err = decodeString(path+".tool_call_id", v2)
		case "tool_calls":
			m.ToolCalls, err = decodeToolCalls(path+".tool_calls", v2)
		case "refusal":
			m.Refusal, err = decodeString(path+".refusal", v2)
		case "reasoning_content":
			var s string
			if s, err = decodeString(path+".reasoning_content", v2); s != "" {
				m.Reasoning = &llm.Reasoning{Text: s}
			}
		default:
			// Fields a client echoes back from a response (annotations,
			// audio: null, function_call: null) are kept, not refused.
			if !rawjson.IsNull(v2) {
				m.Extra = append(m.Extra, llm.Field{Name: fieldName(obj.Key()), Value: v2})
			}
		}
	}
	if err != nil {
		return m, err
	}
	switch m.Role {
	case llm.RoleSystem, llm.RoleDeveloper, llm.RoleUser, llm.RoleAssistant, llm.RoleTool:
	case "":
		return m, &DecodeError{Field: path + ".role", Msg: "required: one of system, developer, user, assistant, tool"}
	case "function":
		return m, &DecodeError{Field: path + ".role", Msg: `"function" messages are deprecated; use role "tool" with tool_call_id`}
	default:
		return m, &DecodeError{Field: path + ".role", Msg: fmt.Sprintf("unknown role %q: use system, developer, user, assistant or tool", m.Role)}
	}
	if m.Role == llm.RoleTool && m.ToolCallID == "" {
		return m, &DecodeError{Field: path + ".tool_call_id", Msg: "required for tool messages: the id of the tool call this answers"}
	}
	m.Content, m.StringContent, err = decodeContent(path+".content", content)
	return m, err
}

func decodeContent(path string, v []byte) ([]llm.Part, bool, error) {
	if v == nil || rawjson.IsNull(v) {
		return nil, false, nil
	}
	switch rawjson.KindOf(v) {
	case rawjson.KindString:
		s, err := decodeString(path, v)
		return []llm.Part{{Type: llm.PartText, Text: s}}, true, err
	case rawjson.KindArray:
	default:
		return nil, false, &DecodeError{Field: path, Msg: "expected a string or an array of content parts, got " + rawjson.KindOf(v).String()}
	}
	var parts []llm.Part
	it, err := array(path, v)
	for err == nil && it.Next() {
		var p llm.Part
		if p, err = decodePart(path+"["+strconv.Itoa(it.Index())+"]", it.Value()); err == nil {
			parts = append(parts, p)
		}
	}
	return parts, false, err
}

func decodePart(path string, v []byte) (llm.Part, error) {
	var p llm.Part
	var typ string
	var text, image, audio, file []byte
	obj, err := object(path, v)
	for err == nil && obj.Next() {
		v2 := obj.Value()
		switch string(obj.Key()) {
		case "type":
			typ, err = decodeString(path+".type", v2)
		case "text":
			text = v2
		case "image_url":
			image = v2
		case "input_audio":
			audio = v2
		case "file":
			file = v2
		case "cache_control":
			if !rawjson.IsNull(v2) {
				p.CacheControl = v2
			}
		}
	}
	if err != nil {
		return p, err
	}
	switch typ {
	case "text":
		p.Type = llm.PartText
		p.Text, err = decodeString(path+".text", text)
	case "image_url":
		p.Type = llm.PartImage
		p.Image, err = decodeImageURL(path+".image_url", image)
	case "input_audio":
		p.Type = llm.PartAudio
		p.Audio = &llm.Audio{}
		var obj rawjson.Members
		obj, err = object(path+".input_audio", audio)
		for err == nil && obj.Next() {
			switch string(obj.Key()) {
			case "data":
				var s string
				s, err = decodeString(path+".input_audio.data", obj.Value())
				p.Audio.Data = []byte(s)
			case "format":
				p.Audio.Format, err = decodeString(path+".input_audio.format", obj.Value())
			}
		}
	case "file":
		p.Type = llm.PartDocument
		p.Document = &llm.Document{}
		var obj rawjson.Members
		obj, err = object(path+".file", file)
		for err == nil && obj.Next() {
			switch string(obj.Key()) {
			case "file_data":
				var s string
				s, err = decodeString(path+".file.file_data", obj.Value())
				p.Document.Data = []byte(s)
			case "file_id":
				p.Document.FileID, err = decodeString(path+".file.file_id", obj.Value())
			case "filename":
				p.Document.Name, err = decodeString(path+".file.filename", obj.Value())
			case "format":
				p.Document.MediaType, err = decodeString(path+".file.format", obj.Value())
			}
		}
	case "":
		return p, &DecodeError{Field: path + ".type", Msg: "required: text, image_url, input_audio or file"}
	default:
		return p, &DecodeError{Field: path + ".type", Msg: fmt.Sprintf("unsupported content part type %q: use text, image_url, input_audio or file", typ)}
	}
	return p, err
}

func decodeImageURL(path string, v []byte) (*llm.Image, error) {
	if v == nil || rawjson.IsNull(v) {
		return nil, &DecodeError{Field: path, Msg: "required for image_url parts"}
	}
	im := &llm.Image{}
	var err error
	if rawjson.KindOf(v) == rawjson.KindString {
		im.URL, err = decodeString(path, v)
	} else {
		var obj rawjson.Members
		obj, err = object(path, v)
		for err == nil && obj.Next() {
			switch string(obj.Key()) {
			case "url":
				im.URL, err = decodeString(path+".url", obj.Value())
			case "detail":
				im.Detail, err = decodeString(path+".detail", obj.Value())
			case "format":
				im.MediaType, err = decodeString(path+".format", obj.Value())
			}
		}
	}
	if err == nil && im.URL == "" {
		err = &DecodeError{Field: path + ".url", Msg: "required: an http(s) or data: URL"}
	}
	return im, err
}

func decodeToolCalls(path string, v []byte) ([]llm.ToolCall, error) {
	if rawjson.IsNull(v) {
		return nil, nil
	}
	it, err := array(path, v)
	if err != nil {
		return nil, err
	}
	var calls []llm.ToolCall
	for it.Next() {
		tc, err := decodeToolCall(path+"["+strconv.Itoa(it.Index())+"]", it.Value())
		calls = append(calls, tc)
		if err != nil {
			return calls, err
		}
	}
	return calls, nil
}

func decodeToolCall(p string, v []byte) (llm.ToolCall, error) {
	var tc llm.ToolCall
	obj, err := object(p, v)
	for err == nil && obj.Next() {
		v2 := obj.Value()
		switch string(obj.Key()) {
		case "id":
			tc.ID, err = decodeString(p+".id", v2)
		case "type":
			tc.Type, err = decodeString(p+".type", v2)
		case "function":
			var fn rawjson.Members
			fn, err = object(p+".function", v2)
			for err == nil && fn.Next() {
				switch string(fn.Key()) {
				case "name":
					tc.Name, err = decodeString(p+".function.name", fn.Value())
				case "arguments":
					tc.Arguments, err = decodeString(p+".function.arguments", fn.Value())
				}
			}
		}
	}
	if err == nil && tc.Name == "" {
		err = &DecodeError{Field: p + ".function.name", Msg: "required"}
	}
	return tc, err
}

func decodeTools(v []byte) ([]llm.Tool, error) {
	if rawjson.IsNull(v) {
		return nil, nil
	}
	it, err := array("tools", v)
	if err != nil {
		return nil, err
	}
	var tools []llm.Tool
	for it.Next() {
		t, err := decodeTool("tools["+strconv.Itoa(it.Index())+"]", it.Value())
		if err != nil {
			return tools, err
		}
		tools = append(tools, t)
	}
	return tools, nil
}

func decodeTool(p string, v []byte) (llm.Tool, error) {
	t := llm.Tool{}
	obj, err := object(p, v)
	for err == nil && obj.Next() {
		v2 := obj.Value()
		switch string(obj.Key()) {
		case "type":
			t.Type, err = decodeString(p+".type", v2)
		case "cache_control":
			if !rawjson.IsNull(v2) {
				t.CacheControl = v2
			}
		case "function":
			var fn rawjson.Members
			fn, err = object(p+".function", v2)
			for err == nil && fn.Next() {
				v3 := fn.Value()
				switch string(fn.Key()) {
				case "name":
					t.Name, err = decodeString(p+".function.name", v3)
				case "description":
					t.Description, err = decodeString(p+".function.description", v3)
				case "parameters":
					if !rawjson.IsNull(v3) {
						if err = expectObject(p+".function.parameters", v3); err == nil {
							t.Parameters = v3
						}
					}
				case "strict":
					t.Strict, err = decodeBool(p+".function.strict", v3)
				}
			}
		}
	}
	if err != nil {
		return t, err
	}
	if t.Type == "" {
		t.Type = "function"
	}
	if t.Type != "function" {
		return t, &DecodeError{Field: p + ".type", Msg: fmt.Sprintf("unsupported tool type %q: only function tools are supported", t.Type)}
	}
	if t.Name == "" {
		return t, &DecodeError{Field: p + ".function.name", Msg: "required"}
	}
	return t, nil
}

func decodeToolChoice(v []byte) (*llm.ToolChoice, error) {
	if rawjson.IsNull(v) {
		return nil, nil
	}
	if rawjson.KindOf(v) == rawjson.KindString {
		s, err := decodeString("tool_choice", v)
		if err != nil {
			return nil, err
		}
		switch s {
		case "none", "auto", "required":
			return &llm.ToolChoice{Mode: s}, nil
		}
		return nil, &DecodeError{Field: "tool_choice", Msg: fmt.Sprintf("unknown value %q: use none, auto, required or {\"type\":\"function\",\"function\":{\"name\":...}}", s)}
	}
	tc := &llm.ToolChoice{Mode: "function"}
	obj, err := object("tool_choice", v)
	for err == nil && obj.Next() {
		if string(obj.Key()) != "function" {
			continue
		}
		var fn rawjson.Members
		fn, err = object("tool_choice.function", obj.Value())
		for err == nil && fn.Next() {
			if string(fn.Key()) == "name" {
				tc.Function, err = decodeString("tool_choice.function.name", fn.Value())
			}
		}
	}
	if err == nil && tc.Function == "" {
		err = &DecodeError{Field: "tool_choice.function.name", Msg: "required when tool_choice is an object"}
	}
	return tc, err
}

func decodeResponseFormat(v []byte) (*llm.ResponseFormat, error) {
	if rawjson.IsNull(v) {
		return nil, nil
	}
	rf := &llm.ResponseFormat{}
	obj, err := object("response_format", v)
	for err == nil && obj.Next() {
		v2 := obj.Value()
		switch string(obj.Key()) {
		case "type":
			rf.Type, err = decodeString("response_format.type", v2)
		case "json_schema":
			if err = expectObject("response_format.json_schema", v2); err == nil {
				rf.JSONSchema = v2
			}
		}
	}
	if err != nil {
		return nil, err
	}
	switch rf.Type {
	case "text", "json_object":
	case "json_schema":
		if rf.JSONSchema == nil {
			return nil, &DecodeError{Field: "response_format.json_schema", Msg: "required when type is json_schema"}
		}
	default:
		return nil, &DecodeError{Field: "response_format.type", Msg: fmt.Sprintf("unknown value %q: use text, json_object or json_schema", rf.Type)}
	}
	return rf, nil
}
