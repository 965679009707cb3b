package fake

import (
	"bytes"
	"encoding/json"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/tollgate-gw/tollgate/internal/llm"
)

// toolCall returns the call the model makes, if it makes one: tools are
// offered, tool_choice is not "none" and the user spoke last.
func toolCall(req *llm.Request, h uint64) (llm.ToolCall, bool) {
	n := len(req.Messages)
	if len(req.Tools) == 0 || n == 0 || req.Messages[n-1].Role != llm.RoleUser {
		return llm.ToolCall{}, false
	}
	if tc := req.ToolChoice; tc != nil && tc.Mode == "none" {
		return llm.ToolCall{}, false
	}
	tool := &req.Tools[0]
	if tc := req.ToolChoice; tc != nil && tc.Mode == "function" {
		tool = nil
		for i := range req.Tools {
			if req.Tools[i].Name == tc.Function {
				tool = &req.Tools[i]
				break
			}
		}
		if tool == nil {
			// The client forced a tool it did not define; a real model
			// would still name it, with no schema to fill.
			return llm.ToolCall{ID: hexID("call_", h), Type: "function", Name: tc.Function, Arguments: "{}"}, true
		}
	}
	return llm.ToolCall{
		ID:        hexID("call_", h),
		Type:      "function",
		Name:      tool.Name,
		Arguments: string(placeholder(tool.Parameters, tool.Name)),
	}, true
}

// schema is the part of JSON Schema that placeholder values need.
type schema struct {
	Ref        string                     `json:"$ref"`
	Type       json.RawMessage            `json:"type"`
	Const      json.RawMessage            `json:"const"`
	Enum       []json.RawMessage          `json:"enum"`
	Default    json.RawMessage            `json:"default"`
	AnyOf      []json.RawMessage          `json:"anyOf"`
	OneOf      []json.RawMessage          `json:"oneOf"`
	AllOf      []json.RawMessage          `json:"allOf"`
	Properties map[string]json.RawMessage `json:"properties"`
	Required   []string                   `json:"required"`
	Items      json.RawMessage            `json:"items"`
	MinItems   int                        `json:"minItems"`
	MinLength  int                        `json:"minLength"`
	Minimum    *float64                   `json:"minimum"`
	ExclMin    *float64                   `json:"exclusiveMinimum"`
	Format     string                     `json:"format"`
	Defs       map[string]json.RawMessage `json:"$defs"`
	Defns      map[string]json.RawMessage `json:"definitions"`
}

// placeholderDepth bounds recursion through nested and self-referencing
// schemas.
const placeholderDepth = 16

// placeholder returns a JSON value that satisfies schema's required
// properties; name labels string values. An empty or unreadable schema
// gives an empty object, as a function with no parameters takes.
func placeholder(raw json.RawMessage, name string) []byte {
	var root schema
	if len(bytes.TrimSpace(raw)) == 0 || json.Unmarshal(raw, &root) != nil {
		return []byte("{}")
	}
	g := placeholderGen{root: &root}
	g.value(&root, name, 0)
	return g.out
}

type placeholderGen struct {
	root *schema
	out  []byte
}

func (g *placeholderGen) value(s *schema, name string, depth int) {
	if depth > placeholderDepth {
		g.out = append(g.out, "null"...)
		return
	}
	if s.Ref != "" {
		if t, ok := g.resolve(s.Ref); ok {
			g.value(t, name, depth+1)
			return
		}
	}
	switch {
	case len(s.Const) > 0:
		g.out = append(g.out, s.Const...)
		return
	case len(s.Enum) > 0:
		g.out = append(g.out, s.Enum[0]...)
		return
	case len(s.Default) > 0:
		g.out = append(g.out, s.Default...)
		return
	}
	for _, alts := range [][]json.RawMessage{s.AllOf, s.AnyOf, s.OneOf} {
		if alt, ok := firstNonNull(alts); ok {
			g.value(alt, name, depth+1)
			return
		}
	}
	switch typeOf(s) {
	case "object":
		g.out = append(g.out, '{')
		for i, prop := range s.Required {
			if i > 0 {
				g.out = append(g.out, ',')
			}
			g.out = appendJSONString(g.out, prop)
			g.out = append(g.out, ':')
			var ps schema
			if raw, ok := s.Properties[prop]; !ok || json.Unmarshal(raw, &ps) != nil {
				ps = schema{}
			}
			g.value(&ps, prop, depth+1)
		}
		g.out = append(g.out, '}')
	case "array":
		var is schema
		_ = json.Unmarshal(s.Items, &is)
		g.out = append(g.out, '[')
		for i := range min(s.MinItems, 8) {
			if i > 0 {
				g.out = append(g.out, ',')
			}
			g.value(&is, name, depth+1)
		}
		g.out = append(g.out, ']')
	case "integer":
		g.out = strconv.AppendInt(g.out, int64(lowest(s, true)), 10)
	case "number":
		g.out = strconv.AppendFloat(g.out, lowest(s, false), 'g', -1, 64)
	case "boolean":
		g.out = append(g.out, "false"...)
	case "null":
		g.out = append(g.out, "null"...)
	default:
		g.out = appendJSONString(g.out, stringFor(s, name))
	}
}

// resolve follows a local reference into $defs or definitions.
func (g *placeholderGen) resolve(ref string) (*schema, bool) {
	var defs map[string]json.RawMessage
	var key string
	switch {
	case strings.HasPrefix(ref, "#/$defs/"):
		defs, key = g.root.Defs, ref[len("#/$defs/"):]
	case strings.HasPrefix(ref, "#/definitions/"):
		defs, key = g.root.Defns, ref[len("#/definitions/"):]
	case ref == "#":
		return g.root, true
	default:
		return nil, false
	}
	var t schema
	raw, ok := defs[key]
	if !ok || json.Unmarshal(raw, &t) != nil {
		return nil, false
	}
	return &t, true
}

// firstNonNull picks the first alternative that does not only allow null.
func firstNonNull(alts []json.RawMessage) (*schema, bool) {
	for _, raw := range alts {
		var s schema
		if json.Unmarshal(raw, &s) != nil || typeOf(&s) == "null" {
			continue
		}
		return &s, true
	}
	return nil, false
}

// typeOf returns the schema's type; of a type list, the first that is not
// "null"; with no type, "object" when properties are given.
func typeOf(s *schema) string {
	var one string
	if json.Unmarshal(s.Type, &one) == nil {
		return one
	}
	var many []string
	if json.Unmarshal(s.Type, &many) == nil {
		for _, t := range many {
			if t != "null" {
				return t
			}
		}
		if len(many) > 0 {
			return "null"
		}
	}
	if s.Properties != nil || s.Required != nil {
		return "object"
	}
	return ""
}

// lowest is the smallest value at or above zero the bounds allow.
func lowest(s *schema, integer bool) float64 {
	v := 0.0
	if s.Minimum != nil && *s.Minimum > v {
		v = *s.Minimum
	}
	if s.ExclMin != nil && *s.ExclMin >= v {
		v = *s.ExclMin
		if integer {
			v = math.Floor(v) + 1
		} else {
			v += 1
		}
	}
	if integer {
		v = math.Ceil(v)
	}
	return v
}

// stringFor is a placeholder string that satisfies common formats and
// minLength.
func stringFor(s *schema, name string) string {
	switch s.Format {
	case "date-time":
		return "1970-01-01T00:00:00Z"
	case "date":
		return "1970-01-01"
	case "time":
		return "00:00:00Z"
	case "email":
		return "fake@example.com"
	case "uri", "url":
		return "https://example.com/"
	case "uuid":
		return "00000000-0000-4000-8000-000000000000"
	}
	v := "fake-" + name
	if n := s.MinLength - utf8.RuneCountInString(v); n > 0 {
		v += strings.Repeat("x", n)
	}
	return v
}

// appendJSONString appends s as a JSON string.
func appendJSONString(dst []byte, s string) []byte {
	b, _ := json.Marshal(s) // a string always marshals
	return append(dst, b...)
}
