package config

import (
	"reflect"

	"go.yaml.in/yaml/v3"

	"github.com/tollgate-gw/tollgate/internal/period"
)

// This file holds the field types whose YAML shape is their own.

func (s *Secret) decodeNode(d *decoder, y *yaml.Node, a at) bool {
	v, env, ok := d.text(y, a, "a string")
	if ok {
		*s = Secret{value: v, env: env}
	}
	return ok
}

// decodePeriod decodes a budget period (period.Parse).
func decodePeriod(d *decoder, y *yaml.Node, a at, p *period.Period) bool {
	s, _, ok := d.text(y, a, "a duration such as 30d or 1mo")
	if !ok {
		return false
	}
	v, err := period.Parse(s)
	if err != nil {
		d.fail(y, a.path, ErrInvalid, "%v", err)
		return false
	}
	*p = v
	return true
}

// Fallback is one entry of a LiteLLM fallback list: when model group From
// fails, try the groups in To, in order. From is "*" for any group.
type Fallback struct {
	From string
	To   []string

	key string // position key for Validate
}

// Fallbacks is LiteLLM's fallback list shape: a list of single-key mappings,
// [{"gpt-4": ["claude-3"]}, {"gpt-4o": ["gpt-4o-mini", "claude-3"]}].
type Fallbacks []Fallback

func (f *Fallbacks) decodeNode(d *decoder, y *yaml.Node, a at) bool {
	const shape = `a single-key mapping like {"gpt-4": ["claude-3"]}`
	if y.Kind != yaml.SequenceNode {
		d.fail(y, a.path, ErrType, "expected a list of fallbacks, each %s; got %s", shape, describe(y))
		return false
	}
	out := Fallbacks{}
	for _, it := range listItems(d, y, a) {
		n := it.node
		if n.Kind != yaml.MappingNode || len(n.Content) != 2 {
			d.fail(n, it.at.path, ErrType, "expected %s, got %s", shape, describeEntry(n))
			continue
		}
		k, v := n.Content[0], n.Content[1]
		ta := at{pattern: it.at.pattern + ".*", path: joinPath(it.at.path, k.Value), key: joinPath(it.at.key, k.Value), sc: a.sc}
		if v.Kind != yaml.SequenceNode {
			d.fail(v, ta.path, ErrType, "expected a list of model groups to fall back to, got %s", describe(v))
			continue
		}
		fb := Fallback{From: k.Value, key: it.at.key}
		for _, t := range listItems(d, v, ta) {
			if s, _, ok := d.text(t.node, t.at, "a model group name"); ok {
				fb.To = append(fb.To, s)
			}
		}
		out = append(out, fb)
	}
	*f = out
	return true
}

// describeEntry explains a malformed fallback entry.
func describeEntry(y *yaml.Node) string {
	if y.Kind == yaml.MappingNode {
		switch n := len(y.Content) / 2; n {
		case 0:
			return "an empty mapping"
		default:
			return "a mapping with several keys (LiteLLM would use only the first)"
		}
	}
	return describe(y)
}

func (m *GuardrailMode) decodeNode(d *decoder, y *yaml.Node, a at) bool {
	switch y.Kind {
	case yaml.ScalarNode:
		s, _, ok := d.text(y, a, "a guardrail event")
		if ok {
			m.Events = []string{s}
		}
		return ok
	case yaml.SequenceNode:
		return d.decodeValue(y, a, reflect.ValueOf(&m.Events).Elem())
	}
	var mm guardrailModeMap
	if !d.decodeStruct(y, a, reflect.ValueOf(&mm).Elem(), "") {
		return false
	}
	m.ByTag, m.Default = mm.Tags, mm.Default
	return true
}

func (g *ModelGroupAlias) decodeNode(d *decoder, y *yaml.Node, a at) bool {
	if y.Kind == yaml.ScalarNode {
		s, _, ok := d.text(y, a, "a model group name")
		if ok {
			g.Model = s
		}
		return ok
	}
	return d.decodeStruct(y, a, reflect.ValueOf(g).Elem(), "")
}

// guardrailList decodes guardrails entries with their positions.
type guardrailList []Guardrail

func (g *guardrailList) decodeNode(d *decoder, y *yaml.Node, a at) bool {
	if y.Kind != yaml.SequenceNode {
		d.fail(y, a.path, ErrType, "expected a list of guardrails, got %s", describe(y))
		return false
	}
	for _, it := range listItems(d, y, a) {
		var gr Guardrail
		if !d.decodeStruct(it.node, it.at, reflect.ValueOf(&gr).Elem(), "") {
			if isNull(it.node) {
				d.fail(it.node, it.at.path, ErrType, "expected a guardrail mapping, got null")
			}
			continue
		}
		w := d.where(it.node)
		gr.File, gr.Line = w.file, w.line
		if gr.Name == "" {
			d.required(it.node, it.at, "guardrail_name", "the name requests and keys refer to")
		}
		if gr.Params.Guardrail == "" {
			d.required(it.node, it.at.child("litellm_params"), "guardrail", "the integration, e.g. bedrock")
		}
		*g = append(*g, gr)
	}
	return true
}

// required reports a missing key unless the key was given and already
// reported for another reason.
func (d *decoder) required(parent *yaml.Node, pa at, key, what string) {
	if d.given[joinPath(pa.key, key)] {
		return
	}
	d.fail(parent, joinPath(pa.path, key), ErrInvalid, "required: %s", what)
}

// child is the position of a key under a, for messages about keys that are
// absent (and so were never entered).
func (a at) child(key string) at {
	return at{pattern: joinPattern(a.pattern, key), path: joinPath(a.path, key), key: joinPath(a.key, key), sc: a.sc}
}

var (
	_ nodeDecoder = (*Secret)(nil)
	_ nodeDecoder = (*Fallbacks)(nil)
	_ nodeDecoder = (*GuardrailMode)(nil)
	_ nodeDecoder = (*ModelGroupAlias)(nil)
	_ nodeDecoder = (*guardrailList)(nil)
	_ nodeDecoder = (*modelList)(nil)
)
