package tenancy

import (
	"slices"
	"strings"

	"github.com/tollgate-gw/tollgate/internal/auth"
	"github.com/tollgate-gw/tollgate/internal/config"
)

// Models is what model access needs to know about the configured models:
// each model group's access groups and upstream model strings, and the
// deployments /model/info describes. It is built once per config and is
// read-only afterwards.
type Models struct {
	names  []string
	groups map[string]*modelGroup
	deps   []config.Deployment
}

type modelGroup struct {
	accessGroups []string
	// upstream are the litellm_params.model strings ("bedrock/anthropic…"),
	// so a wildcard such as "bedrock/*" reaches every Bedrock-served group.
	upstream []string
}

// NewModels indexes the deployments of a config.
func NewModels(deps []config.Deployment) *Models {
	m := &Models{groups: map[string]*modelGroup{}, deps: deps}
	for _, d := range deps {
		g := m.groups[d.ModelName]
		if g == nil {
			g = &modelGroup{}
			m.groups[d.ModelName] = g
			m.names = append(m.names, d.ModelName)
		}
		for _, ag := range d.Info.AccessGroups {
			if !slices.Contains(g.accessGroups, ag) {
				g.accessGroups = append(g.accessGroups, ag)
			}
		}
		if d.Params.Model != "" {
			g.upstream = append(g.upstream, d.Params.Model)
		}
	}
	return m
}

// allModels are the entries LiteLLM treats as "every model".
func isAllModels(e string) bool { return e == "*" || e == "all-proxy-models" }

// entryAllows reports whether one models-list entry admits model: the name
// itself, "*" (or LiteLLM's all-proxy-models), an access group the model's
// deployments carry (model_info.access_groups), or a wildcard "prefix*"
// that matches the model name or one of its upstream model strings.
func (m *Models) entryAllows(e, model string) bool {
	if e == model || isAllModels(e) {
		return true
	}
	var g *modelGroup
	if m != nil {
		g = m.groups[model]
	}
	if prefix, ok := strings.CutSuffix(e, "*"); ok {
		if strings.HasPrefix(model, prefix) {
			return true
		}
		if g != nil && slices.ContainsFunc(g.upstream, func(u string) bool { return strings.HasPrefix(u, prefix) }) {
			return true
		}
		return false
	}
	return g != nil && slices.Contains(g.accessGroups, e)
}

// listAllows reports whether a models list admits model; an empty list
// restricts nothing.
func (m *Models) listAllows(list []string, model string) bool {
	if len(list) == 0 {
		return true
	}
	for _, e := range list {
		if m.entryAllows(e, model) {
			return true
		}
	}
	return false
}

// ModelError is a model the caller's key, user or team does not allow.
type ModelError struct {
	Model string
	// Level is the scope that refused: "key", "user" or "team".
	Level string
	// Why replaces the usual explanation when the level admits no model
	// at all (auth.Scope.Refused).
	Why string
}

func (e *ModelError) Error() string {
	if e.Why != "" {
		return "model " + quote(e.Model) + " is not allowed: " + e.Why
	}
	return "model " + quote(e.Model) + " is not allowed for this " + e.Level + "; GET /v1/models lists the models you can use"
}

func quote(s string) string { return "\"" + s + "\"" }

// CheckModel returns a *ModelError unless every scope of p (key, user,
// team) admits model. It reads only the principal, so it costs no I/O.
func (m *Models) CheckModel(p *auth.Principal, model string) error {
	if p == nil {
		return nil
	}
	for _, s := range p.Scopes {
		if s.Refused != "" {
			return &ModelError{Model: model, Level: s.Level, Why: s.Refused}
		}
		if !m.listAllows(s.Models, model) {
			return &ModelError{Model: model, Level: s.Level}
		}
	}
	return nil
}

// FilterModels returns the names p may use, in order.
func (m *Models) FilterModels(p *auth.Principal, names []string) []string {
	if p == nil || len(p.Scopes) == 0 {
		return names
	}
	out := make([]string, 0, len(names))
	for _, n := range names {
		if m.CheckModel(p, n) == nil {
			out = append(out, n)
		}
	}
	return out
}

// AccessGroups returns the access groups of the named models, each once,
// in order.
func (m *Models) AccessGroups(names []string) []string {
	var out []string
	for _, n := range names {
		if g := m.groups[n]; g != nil {
			for _, ag := range g.accessGroups {
				if !slices.Contains(out, ag) {
					out = append(out, ag)
				}
			}
		}
	}
	return out
}

// within reports whether every model the entries admit is admitted by
// ceiling: a caller may hand a key only models they may use themselves.
// An entry that names no configured model must appear in ceiling itself.
// It returns the first entry that reaches beyond.
func (m *Models) within(entries, ceiling []string) (string, bool) {
	if len(ceiling) == 0 {
		return "", true
	}
	for _, e := range entries {
		if slices.Contains(ceiling, e) {
			continue
		}
		matched := false
		for _, name := range m.names {
			if m.entryAllows(e, name) {
				matched = true
				if !m.listAllows(ceiling, name) {
					return e, false
				}
			}
		}
		if !matched && !m.listAllows(ceiling, e) {
			return e, false
		}
	}
	return "", true
}

// DeploymentInfo is one /model/info entry: a deployment with its
// litellm_params minus every secret, and its model_info.
type DeploymentInfo struct {
	ModelName     string       `json:"model_name"`
	LiteLLMParams PublicParams `json:"litellm_params"`
	ModelInfo     PublicInfo   `json:"model_info"`
}

// PublicParams are the litellm_params that are safe to show: no API keys,
// AWS secrets, tokens or credentials.
type PublicParams struct {
	Model             string   `json:"model"`
	APIBase           string   `json:"api_base,omitempty"`
	APIVersion        string   `json:"api_version,omitempty"`
	CustomLLMProvider string   `json:"custom_llm_provider,omitempty"`
	AWSRegionName     string   `json:"aws_region_name,omitempty"`
	RegionName        string   `json:"region_name,omitempty"`
	RPM               *int     `json:"rpm,omitempty"`
	TPM               *int     `json:"tpm,omitempty"`
	Weight            *float64 `json:"weight,omitempty"`
	Timeout           *float64 `json:"timeout,omitempty"`
}

// PublicInfo is a deployment's model_info.
type PublicInfo struct {
	ID                 string   `json:"id"`
	Mode               string   `json:"mode,omitempty"`
	BaseModel          string   `json:"base_model,omitempty"`
	MaxInputTokens     *int     `json:"max_input_tokens,omitempty"`
	MaxOutputTokens    *int     `json:"max_output_tokens,omitempty"`
	MaxTokens          *int     `json:"max_tokens,omitempty"`
	AccessGroups       []string `json:"access_groups,omitempty"`
	InputCostPerToken  *float64 `json:"input_cost_per_token,omitempty"`
	OutputCostPerToken *float64 `json:"output_cost_per_token,omitempty"`
	Provider           string   `json:"litellm_provider,omitempty"`
	DBModel            bool     `json:"db_model"`
}

// ModelInfoResponse is /model/info's body.
type ModelInfoResponse struct {
	Data []DeploymentInfo `json:"data"`
}

// ModelInfo serves /model/info and /v1/model/info: the deployments of the
// models the caller may use (every model for admins and viewers), or of
// one model group when model is set.
func (s *Service) ModelInfo(p *auth.Principal, model string) (*ModelInfoResponse, error) {
	deps, err := s.visibleDeployments(p, OpModelInfo, model)
	if err != nil {
		return nil, err
	}
	out := &ModelInfoResponse{Data: make([]DeploymentInfo, 0, len(deps))}
	for _, d := range deps {
		out.Data = append(out.Data, publicDeployment(d))
	}
	return out, nil
}

// visibleDeployments are the deployments the caller may read through op
// (every key may read the models it may use): all of them for admins and
// viewers, those of the models the caller may use for everyone else; only
// model's when model is set.
func (s *Service) visibleDeployments(p *auth.Principal, op Op, model string) ([]config.Deployment, error) {
	a, err := authorizeSelf(p, op, true)
	if err != nil {
		return nil, err
	}
	var out []config.Deployment
	for _, d := range s.models.deps {
		if model != "" && d.ModelName != model {
			continue
		}
		if a == Own && s.models.CheckModel(p, d.ModelName) != nil {
			continue
		}
		out = append(out, d)
	}
	return out, nil
}

// ModelGroupInfo is one /model_group/info entry (LiteLLM's ModelGroupInfo):
// a model group as clients see it, its deployments' facts combined.
type ModelGroupInfo struct {
	ModelGroup                      string   `json:"model_group"`
	Providers                       []string `json:"providers"`
	MaxInputTokens                  *int     `json:"max_input_tokens"`
	MaxOutputTokens                 *int     `json:"max_output_tokens"`
	InputCostPerToken               *float64 `json:"input_cost_per_token"`
	OutputCostPerToken              *float64 `json:"output_cost_per_token"`
	Mode                            string   `json:"mode"`
	TPM                             *int     `json:"tpm"`
	RPM                             *int     `json:"rpm"`
	SupportsParallelFunctionCalling bool     `json:"supports_parallel_function_calling"`
	SupportsVision                  bool     `json:"supports_vision"`
	SupportsFunctionCalling         bool     `json:"supports_function_calling"`
	SupportedOpenAIParams           []string `json:"supported_openai_params"`
}

// ModelGroupInfoResponse is /model_group/info's body.
type ModelGroupInfoResponse struct {
	Data []ModelGroupInfo `json:"data"`
}

// ModelGroupInfo serves /model_group/info[?model_group=…]: the model
// groups the caller may use, in config order. As LiteLLM combines them, a
// group's token limits are the smallest of its deployments' (what every
// deployment can take), its tpm and rpm the sum, its prices the highest,
// and it supports a feature when every deployment that says so does.
func (s *Service) ModelGroupInfo(p *auth.Principal, group string) (*ModelGroupInfoResponse, error) {
	deps, err := s.visibleDeployments(p, OpModelGroup, group)
	if err != nil {
		return nil, err
	}
	out := &ModelGroupInfoResponse{Data: []ModelGroupInfo{}}
	index := map[string]int{}
	for _, d := range deps {
		i, ok := index[d.ModelName]
		if !ok {
			i = len(out.Data)
			index[d.ModelName] = i
			out.Data = append(out.Data, ModelGroupInfo{ModelGroup: d.ModelName, Providers: []string{}, Mode: "chat",
				SupportsVision: true, SupportsFunctionCalling: true, SupportedOpenAIParams: []string{}})
		}
		g := &out.Data[i]
		if !slices.Contains(g.Providers, d.Provider) && d.Provider != "" {
			g.Providers = append(g.Providers, d.Provider)
		}
		in := d.Info
		if in.Mode != "" {
			g.Mode = in.Mode
		}
		g.MaxInputTokens = minInt(g.MaxInputTokens, in.MaxInputTokens)
		g.MaxOutputTokens = minInt(g.MaxOutputTokens, firstInt(in.MaxOutputTokens, in.MaxTokens))
		g.InputCostPerToken = maxFloat(g.InputCostPerToken, in.InputCostPerToken)
		g.OutputCostPerToken = maxFloat(g.OutputCostPerToken, in.OutputCostPerToken)
		g.TPM = sumInt(g.TPM, d.Params.TPM)
		g.RPM = sumInt(g.RPM, d.Params.RPM)
		g.SupportsVision = g.SupportsVision && in.SupportsVision != nil && *in.SupportsVision
		g.SupportsFunctionCalling = g.SupportsFunctionCalling && in.SupportsFunctionCalling != nil && *in.SupportsFunctionCalling
		g.SupportsParallelFunctionCalling = g.SupportsFunctionCalling
	}
	for i := range out.Data {
		if g := &out.Data[i]; g.Mode == "chat" {
			g.SupportedOpenAIParams = chatParams
		}
	}
	return out, nil
}

// chatParams are the OpenAI chat parameters every chat deployment takes
// through Tollgate (a provider that cannot honour one refuses it, or drops
// it under drop_params).
var chatParams = []string{"frequency_penalty", "logit_bias", "logprobs", "max_completion_tokens", "max_tokens", "n",
	"parallel_tool_calls", "presence_penalty", "response_format", "seed", "stop", "stream", "stream_options",
	"temperature", "tool_choice", "tools", "top_logprobs", "top_p", "user"}

func minInt(a, b *int) *int {
	if a == nil || (b != nil && *b < *a) {
		return b
	}
	return a
}

func firstInt(a, b *int) *int {
	if a != nil {
		return a
	}
	return b
}

func maxFloat(a, b *float64) *float64 {
	if a == nil || (b != nil && *b > *a) {
		return b
	}
	return a
}

func sumInt(a, b *int) *int {
	switch {
	case a == nil:
		return b
	case b == nil:
		return a
	}
	n := *a + *b
	return &n
}

func publicDeployment(d config.Deployment) DeploymentInfo {
	pp := d.Params
	di := DeploymentInfo{
		ModelName: d.ModelName,
		LiteLLMParams: PublicParams{Model: pp.Model, APIBase: pp.APIBase, APIVersion: pp.APIVersion,
			CustomLLMProvider: pp.CustomLLMProvider, AWSRegionName: pp.AWSRegionName, RegionName: pp.RegionName,
			RPM: pp.RPM, TPM: pp.TPM, Weight: pp.Weight},
		ModelInfo: PublicInfo{ID: d.ID, Mode: d.Info.Mode, BaseModel: d.Info.BaseModel, MaxInputTokens: d.Info.MaxInputTokens,
			MaxOutputTokens: d.Info.MaxOutputTokens, MaxTokens: d.Info.MaxTokens, AccessGroups: d.Info.AccessGroups,
			InputCostPerToken: d.Info.InputCostPerToken, OutputCostPerToken: d.Info.OutputCostPerToken, Provider: d.Provider},
	}
	if pp.Timeout > 0 {
		t := pp.Timeout.Seconds()
		di.LiteLLMParams.Timeout = &t
	}
	return di
}
