package openai

import (
	"fmt"
	"strconv"

	"github.com/tollgate-gw/tollgate/internal/llm"
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
	req := &llm.Request{}
	if err := eachMember(data, "", func(k string, v []byte) error { return decodeChatField(req, k, v) }); err != nil {
		return nil, err
	}
	if req.Model == "" {
		return nil, &DecodeError{Field: "model", Msg: "required: name the model to call (see GET /v1/models)"}
	}
	if req.Messages == nil {
		return nil, &DecodeError{Field: "messages", Msg: "required: give at least one message"}
	}
	if len(req.Messages) == 0 {
		return nil, &DecodeError{Field: "messages", Msg: "must contain at least one message"}
	}
	return req, nil
}

func decodeChatField(req *llm.Request, k string, v []byte) error {
	var err error
	switch k {
	case "model":
		req.Model, err = decodeString(k, v)
	case "messages":
		req.Messages, err = decodeMessages(v)
	case "stream":
		var b *bool
		b, err = decodeBool(k, v)
		req.Stream = b != nil && *b
	case "stream_options":
		if isNull(v) {
			return nil
		}
		err = eachMember(v, k, func(k2 string, v2 []byte) error {
			if k2 == "include_usage" {
				b, err := decodeBool("stream_options.include_usage", v2)
				req.IncludeUsage = b != nil && *b
				return err
			}
			return nil
		})
	case "tools":
		req.Tools, err = decodeTools(v)
	case "tool_choice":
		req.ToolChoice, err = decodeToolChoice(v)
	case "parallel_tool_calls":
		req.ParallelToolCalls, err = decodeBool(k, v)
	case "response_format":
		req.ResponseFormat, err = decodeResponseFormat(v)
	case "max_tokens":
		req.MaxTokens, err = decodeInt(k, v)
	case "max_completion_tokens":
		req.MaxCompletionTokens, err = decodeInt(k, v)
	case "temperature":
		req.Temperature, err = decodeFloat(k, v)
	case "top_p":
		req.TopP, err = decodeFloat(k, v)
	case "stop":
		req.Stop, err = decodeStrings(k, v)
	case "n":
		req.N, err = decodeInt(k, v)
	case "seed":
		if isNull(v) {
			return nil
		}
		n, perr := strconv.ParseInt(string(v), 10, 64)
		if perr != nil {
			return &DecodeError{Field: k, Msg: "expected an integer, got " + kindOf(v)}
		}
		req.Seed = &n
	case "presence_penalty":
		req.PresencePenalty, err = decodeFloat(k, v)
	case "frequency_penalty":
		req.FrequencyPenalty, err = decodeFloat(k, v)
	case "logprobs":
		req.Logprobs, err = decodeBool(k, v)
	case "top_logprobs":
		req.TopLogprobs, err = decodeInt(k, v)
	case "logit_bias":
		if !isNull(v) {
			if err = expectObject(k, v); err == nil {
				req.LogitBias = v
			}
		}
	case "reasoning_effort":
		req.ReasoningEffort, err = decodeString(k, v)
	case "user":
		req.User, err = decodeString(k, v)
	case "metadata":
		if isNull(v) {
			return nil
		}
		if err = expectObject(k, v); err != nil {
			return err
		}
		req.Metadata = v
		err = eachMember(v, k, func(k2 string, v2 []byte) error {
			if k2 == "tags" {
				tags, err := decodeStrings("metadata.tags", v2)
				req.Gateway.Tags = append(req.Gateway.Tags, tags...)
				return err
			}
			return nil
		})
	case "extra_body":
		// Some clients send extra_body literally instead of merging it into
		// the body as the OpenAI SDKs do; treat its members as top-level.
		if isNull(v) {
			return nil
		}
		err = eachMember(v, k, func(k2 string, v2 []byte) error { return decodeChatField(req, k2, v2) })
	default:
		var handled bool
		handled, err = decodeGatewayField(&req.Gateway, k, v)
		if !handled {
			req.Extra = append(req.Extra, llm.Field{Name: k, Value: v})
		}
	}
	return err
}

// decodeGatewayField decodes the request fields addressed to the gateway,
// shared by every OpenAI-format endpoint.
func decodeGatewayField(g *llm.GatewayOptions, k string, v []byte) (bool, error) {
	var err error
	switch k {
	case "drop_params":
		g.DropParams, err = decodeBool(k, v)
	case "tags":
		var tags []string
		tags, err = decodeStrings(k, v)
		g.Tags = append(g.Tags, tags...)
	case "fallbacks":
		g.Fallbacks, err = decodeStrings(k, v)
	case "num_retries":
		g.NumRetries, err = decodeInt(k, v)
	case "cache":
		if !isNull(v) {
			if err = expectObject(k, v); err == nil {
				g.Cache = v
			}
		}
	case "enable_history":
		var b *bool
		b, err = decodeBool(k, v)
		g.EnableHistory = b != nil && *b
	case "session_id":
		g.SessionID, err = decodeString(k, v)
	case "priority":
		g.Priority, err = decodeInt(k, v)
	case "guardrails":
		g.Guardrails, err = decodeStrings(k, v)
	case "promptVariables":
		if !isNull(v) {
			if err = expectObject(k, v); err == nil {
				g.PromptVariables = v
			}
		}
	default:
		return false, nil
	}
	return true, err
}

func decodeMessages(v []byte) ([]llm.Message, error) {
	if isNull(v) {
		return nil, nil
	}
	msgs := make([]llm.Message, 0, 4)
	err := eachElement(v, "messages", func(i int, e []byte) error {
		m, err := decodeMessage(i, e)
		if err != nil {
			return err
		}
		msgs = append(msgs, m)
		return nil
	})
	if err == nil && msgs == nil {
		msgs = []llm.Message{}
	}
	return msgs, err
}

func decodeMessage(i int, v []byte) (llm.Message, error) {
	var m llm.Message
	path := "messages[" + strconv.Itoa(i) + "]"
	var content []byte
	err := eachMember(v, path, func(k string, v2 []byte) error {
		var err error
		switch k {
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
			if !isNull(v2) {
				m.Extra = append(m.Extra, llm.Field{Name: k, Value: v2})
			}
		}
		return err
	})
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
	if v == nil || isNull(v) {
		return nil, false, nil
	}
	if v[0] == '"' {
		s, err := decodeString(path, v)
		return []llm.Part{{Type: llm.PartText, Text: s}}, true, err
	}
	if v[0] != '[' {
		return nil, false, &DecodeError{Field: path, Msg: "expected a string or an array of content parts, got " + kindOf(v)}
	}
	var parts []llm.Part
	err := eachElement(v, path, func(i int, e []byte) error {
		p, err := decodePart(path+"["+strconv.Itoa(i)+"]", e)
		if err == nil {
			parts = append(parts, p)
		}
		return err
	})
	return parts, false, err
}

func decodePart(path string, v []byte) (llm.Part, error) {
	var p llm.Part
	var typ string
	var text, image, audio, file []byte
	err := eachMember(v, path, func(k string, v2 []byte) error {
		var err error
		switch k {
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
			if !isNull(v2) {
				p.CacheControl = v2
			}
		}
		return err
	})
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
		err = eachMember(audio, path+".input_audio", func(k string, v2 []byte) error {
			var err error
			switch k {
			case "data":
				var s string
				s, err = decodeString(path+".input_audio.data", v2)
				p.Audio.Data = []byte(s)
			case "format":
				p.Audio.Format, err = decodeString(path+".input_audio.format", v2)
			}
			return err
		})
	case "file":
		p.Type = llm.PartDocument
		p.Document = &llm.Document{}
		err = eachMember(file, path+".file", func(k string, v2 []byte) error {
			var err error
			switch k {
			case "file_data":
				var s string
				s, err = decodeString(path+".file.file_data", v2)
				p.Document.Data = []byte(s)
			case "file_id":
				p.Document.FileID, err = decodeString(path+".file.file_id", v2)
			case "filename":
				p.Document.Name, err = decodeString(path+".file.filename", v2)
			case "format":
				p.Document.MediaType, err = decodeString(path+".file.format", v2)
			}
			return err
		})
	case "":
		return p, &DecodeError{Field: path + ".type", Msg: "required: text, image_url, input_audio or file"}
	default:
		return p, &DecodeError{Field: path + ".type", Msg: fmt.Sprintf("unsupported content part type %q: use text, image_url, input_audio or file", typ)}
	}
	return p, err
}

func decodeImageURL(path string, v []byte) (*llm.Image, error) {
	if v == nil || isNull(v) {
		return nil, &DecodeError{Field: path, Msg: "required for image_url parts"}
	}
	im := &llm.Image{}
	var err error
	if v[0] == '"' {
		im.URL, err = decodeString(path, v)
	} else {
		err = eachMember(v, path, func(k string, v2 []byte) error {
			var err error
			switch k {
			case "url":
				im.URL, err = decodeString(path+".url", v2)
			case "detail":
				im.Detail, err = decodeString(path+".detail", v2)
			case "format":
				im.MediaType, err = decodeString(path+".format", v2)
			}
			return err
		})
	}
	if err == nil && im.URL == "" {
		err = &DecodeError{Field: path + ".url", Msg: "required: an http(s) or data: URL"}
	}
	return im, err
}

func decodeToolCalls(path string, v []byte) ([]llm.ToolCall, error) {
	if isNull(v) {
		return nil, nil
	}
	var calls []llm.ToolCall
	err := eachElement(v, path, func(i int, e []byte) error {
		p := path + "[" + strconv.Itoa(i) + "]"
		var tc llm.ToolCall
		err := eachMember(e, p, func(k string, v2 []byte) error {
			var err error
			switch k {
			case "id":
				tc.ID, err = decodeString(p+".id", v2)
			case "type":
				tc.Type, err = decodeString(p+".type", v2)
			case "function":
				err = eachMember(v2, p+".function", func(k3 string, v3 []byte) error {
					var err error
					switch k3 {
					case "name":
						tc.Name, err = decodeString(p+".function.name", v3)
					case "arguments":
						tc.Arguments, err = decodeString(p+".function.arguments", v3)
					}
					return err
				})
			}
			return err
		})
		if err == nil && tc.Name == "" {
			err = &DecodeError{Field: p + ".function.name", Msg: "required"}
		}
		calls = append(calls, tc)
		return err
	})
	return calls, err
}

func decodeTools(v []byte) ([]llm.Tool, error) {
	if isNull(v) {
		return nil, nil
	}
	var tools []llm.Tool
	err := eachElement(v, "tools", func(i int, e []byte) error {
		p := "tools[" + strconv.Itoa(i) + "]"
		t := llm.Tool{}
		err := eachMember(e, p, func(k string, v2 []byte) error {
			var err error
			switch k {
			case "type":
				t.Type, err = decodeString(p+".type", v2)
			case "cache_control":
				if !isNull(v2) {
					t.CacheControl = v2
				}
			case "function":
				err = eachMember(v2, p+".function", func(k3 string, v3 []byte) error {
					var err error
					switch k3 {
					case "name":
						t.Name, err = decodeString(p+".function.name", v3)
					case "description":
						t.Description, err = decodeString(p+".function.description", v3)
					case "parameters":
						if !isNull(v3) {
							if err = expectObject(p+".function.parameters", v3); err == nil {
								t.Parameters = v3
							}
						}
					case "strict":
						t.Strict, err = decodeBool(p+".function.strict", v3)
					}
					return err
				})
			}
			return err
		})
		if err != nil {
			return err
		}
		if t.Type == "" {
			t.Type = "function"
		}
		if t.Type != "function" {
			return &DecodeError{Field: p + ".type", Msg: fmt.Sprintf("unsupported tool type %q: only function tools are supported", t.Type)}
		}
		if t.Name == "" {
			return &DecodeError{Field: p + ".function.name", Msg: "required"}
		}
		tools = append(tools, t)
		return nil
	})
	return tools, err
}

func decodeToolChoice(v []byte) (*llm.ToolChoice, error) {
	if isNull(v) {
		return nil, nil
	}
	if v[0] == '"' {
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
	err := eachMember(v, "tool_choice", func(k string, v2 []byte) error {
		if k != "function" {
			return nil
		}
		return eachMember(v2, "tool_choice.function", func(k3 string, v3 []byte) error {
			if k3 != "name" {
				return nil
			}
			var err error
			tc.Function, err = decodeString("tool_choice.function.name", v3)
			return err
		})
	})
	if err == nil && tc.Function == "" {
		err = &DecodeError{Field: "tool_choice.function.name", Msg: "required when tool_choice is an object"}
	}
	return tc, err
}

func decodeResponseFormat(v []byte) (*llm.ResponseFormat, error) {
	if isNull(v) {
		return nil, nil
	}
	rf := &llm.ResponseFormat{}
	err := eachMember(v, "response_format", func(k string, v2 []byte) error {
		var err error
		switch k {
		case "type":
			rf.Type, err = decodeString("response_format.type", v2)
		case "json_schema":
			if err = expectObject("response_format.json_schema", v2); err == nil {
				rf.JSONSchema = v2
			}
		}
		return err
	})
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
