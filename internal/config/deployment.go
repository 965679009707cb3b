package config

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"reflect"
	"sort"
	"strconv"
	"strings"

	"github.com/tollgate-gw/tollgate/internal/provider/catalog"
	"go.yaml.in/yaml/v3"
)

// modelList decodes model_list entries into Deployments.
type modelList []Deployment

// deploymentDoc is a model_list entry as written.
type deploymentDoc struct {
	ModelName string        `yaml:"model_name"`
	Params    LiteLLMParams `yaml:"litellm_params"`
	Info      ModelInfo     `yaml:"model_info"`
}

func (m *modelList) decodeNode(d *decoder, y *yaml.Node, a at) bool {
	if y.Kind != yaml.SequenceNode {
		d.fail(y, a.path, ErrType, "expected a list of models, got %s", describe(y))
		return false
	}
	for _, it := range listItems(d, y, a) {
		if it.node.Kind != yaml.MappingNode {
			d.fail(it.node, it.at.path, ErrType, "expected a model (a mapping with model_name and litellm_params), got %s", describe(it.node))
			continue
		}
		var doc deploymentDoc
		d.decodeStruct(it.node, it.at, reflect.ValueOf(&doc).Elem(), "")
		*m = append(*m, d.deployment(it.node, it.at, doc))
	}
	return true
}

// deployment completes a decoded entry: required keys, provider and route
// from the model string, and the deployment ID.
func (d *decoder) deployment(y *yaml.Node, a at, doc deploymentDoc) Deployment {
	w := d.where(y)
	dep := Deployment{ModelName: doc.ModelName, Params: doc.Params, Info: doc.Info, File: w.file, Line: w.line, path: a.path, key: a.key}
	if doc.ModelName == "" {
		d.required(y, a, "model_name", "the name clients ask for")
	}
	paramsNode := child(y, "litellm_params")
	pa := a.child("litellm_params")
	if isNull(paramsNode) {
		d.required(y, a, "litellm_params", "a mapping with at least model: provider/model-id")
	} else if doc.Params.Model == "" {
		if mn := child(paramsNode, "model"); mn != nil && mn.Kind == yaml.ScalarNode && mn.Value == "" {
			// Given, but empty: required alone lets it through.
			d.fail(mn, pa.path+".model", ErrInvalid, "model is empty; write provider/model-id, e.g. openai/gpt-4o")
		} else {
			d.required(paramsNode, pa, "model", "provider/model-id, e.g. openai/gpt-4o")
		}
	} else {
		d.splitModel(&dep, paramsNode, pa.path)
	}
	if dep.Provider == "bedrock" && dep.Params.AWSRegionName == "" {
		dep.Params.AWSRegionName = dep.Params.RegionName
	}
	dep.ID = doc.Info.ID
	if dep.ID == "" {
		dep.ID = deploymentHash(doc.ModelName, paramsNode)
	}
	return dep
}

// splitModel fills Provider, Route and ModelID from litellm_params.model.
func (d *decoder) splitModel(dep *Deployment, params *yaml.Node, pp string) {
	model := dep.Params.Model
	mn := child(params, "model")
	mp := pp + ".model"
	var name, rest string
	if c := dep.Params.CustomLLMProvider; c != "" {
		name, rest = c, strings.TrimPrefix(model, c+"/")
		if cn := child(params, "custom_llm_provider"); cn != nil {
			mn, mp = cn, pp+".custom_llm_provider"
		}
	} else {
		var found bool
		name, rest, found = strings.Cut(model, "/")
		if !found {
			d.fail(mn, mp, ErrUnknownProvider, "model %q has no provider prefix; write provider/model-id, e.g. openai/%s", model, model)
			return
		}
	}
	p, ok := catalog.Lookup(name)
	if !ok {
		msg := fmt.Sprintf("unknown provider %q", name)
		if s := suggest(name, catalog.Names()); s != "" {
			msg += fmt.Sprintf("; did you mean %q?", s)
		}
		d.fail(mn, mp, ErrUnknownProvider, "%s", msg)
		return
	}
	dep.Provider = p.Name
	if p.Family == catalog.FamilyPending {
		d.notice(mn, mp, NotYet, fmt.Sprintf("the %s adapter has not shipped yet; requests to this model fail until it does", p.Name))
	}
	if p.Family == catalog.FamilyBedrock {
		if route, id, ok := strings.Cut(rest, "/"); ok && (route == "converse" || route == "invoke") {
			dep.Route, rest = route, id
		}
	}
	if rest == "" {
		d.fail(mn, mp, ErrInvalid, "model %q has no model id after the provider", model)
		return
	}
	dep.ModelID = rest
}

// deploymentHash is a stable ID for a deployment without model_info.id: a
// hash of model_name and litellm_params as written, with keys sorted and
// secret values left out, so IDs do not move with key order or key rotation.
func deploymentHash(modelName string, params *yaml.Node) string {
	var b strings.Builder
	b.WriteString(strconv.Quote(modelName))
	b.WriteByte(0)
	if params != nil && params.Kind == yaml.MappingNode {
		secret := secretParamKeys()
		var pairs []string
		for i := 0; i+1 < len(params.Content); i += 2 {
			k := params.Content[i].Value
			if secret[k] {
				continue
			}
			var vb strings.Builder
			canonical(&vb, params.Content[i+1])
			pairs = append(pairs, strconv.Quote(k)+"="+vb.String())
		}
		sort.Strings(pairs)
		b.WriteString(strings.Join(pairs, ","))
	}
	sum := sha256.Sum256([]byte(b.String()))
	return hex.EncodeToString(sum[:8])
}

// canonical writes a node in a form independent of key order and layout.
func canonical(b *strings.Builder, y *yaml.Node) {
	switch y.Kind {
	case yaml.MappingNode:
		pairs := make([]string, 0, len(y.Content)/2)
		for i := 0; i+1 < len(y.Content); i += 2 {
			var vb strings.Builder
			canonical(&vb, y.Content[i+1])
			pairs = append(pairs, strconv.Quote(y.Content[i].Value)+"="+vb.String())
		}
		sort.Strings(pairs)
		b.WriteString("{" + strings.Join(pairs, ",") + "}")
	case yaml.SequenceNode:
		b.WriteByte('[')
		for i, c := range y.Content {
			if i > 0 {
				b.WriteByte(',')
			}
			canonical(b, c)
		}
		b.WriteByte(']')
	default:
		b.WriteString(y.ShortTag() + ":" + strconv.Quote(y.Value))
	}
}

// secretParamKeys lists the litellm_params keys typed Secret.
func secretParamKeys() map[string]bool {
	m := map[string]bool{}
	t := reflect.TypeOf(LiteLLMParams{})
	secret := reflect.TypeOf(Secret{})
	for i := 0; i < t.NumField(); i++ {
		if f := t.Field(i); f.Type == secret {
			tag, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
			m[tag] = true
		}
	}
	return m
}
