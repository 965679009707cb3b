package openai

import (
	"strings"

	"github.com/tollgate-gw/tollgate/internal/llm"
	"github.com/tollgate-gw/tollgate/internal/provider"
)

// unsupportedParams lists the chat parameters a compatible provider is
// documented to refuse, by the names EncodeChatRequest and Request.Extra
// use. The list is kept short on purpose: only parameters the provider
// rejects with an error, not those it silently ignores. A fixed refusal
// becomes a row here.
//
//   - groq: "logprobs, logit_bias, top_logprobs ... will result in a 400
//     error"; n must be 1 (https://console.groq.com/docs/openai).
//   - perplexity: no tool calling, logprobs, logit_bias or n; LiteLLM's
//     PerplexityChatConfig.get_supported_openai_params omits them
//     (https://docs.perplexity.ai/api-reference/chat-completions).
func unsupportedParams(providerName string) []string {
	switch providerName {
	case "groq":
		return []string{"logprobs", "top_logprobs", "logit_bias", "n"}
	case "perplexity":
		return []string{"tools", "tool_choice", "parallel_tool_calls", "functions", "function_call",
			"logprobs", "top_logprobs", "logit_bias", "n"}
	}
	return nil
}

// paramUse reports whether req sets the named parameter, and whether the
// value it sets is the provider's default anyway (n=1, logprobs=false, an
// empty logit_bias), in which case dropping it changes nothing and needs no
// drop_params.
func paramUse(req *llm.Request, name string) (set, harmless bool) {
	switch name {
	case "n":
		return req.N != nil, req.N != nil && *req.N == 1
	case "logprobs":
		return req.Logprobs != nil, req.Logprobs != nil && !*req.Logprobs
	case "top_logprobs":
		return req.TopLogprobs != nil, false
	case "logit_bias":
		set = len(req.LogitBias) > 0 && string(req.LogitBias) != "null"
		return set, set && string(req.LogitBias) == "{}"
	case "tools":
		return len(req.Tools) > 0, false
	case "tool_choice":
		return req.ToolChoice != nil, false
	case "parallel_tool_calls":
		return req.ParallelToolCalls != nil, false
	}
	for i := range req.Extra {
		if req.Extra[i].Name == name {
			return true, false
		}
	}
	return false, false
}

// dropped applies the provider's refusals to req: nil when there is nothing
// to leave out, the names to leave out when drop_params allows it, or
// provider.Unsupported for the first parameter that cannot be sent. The
// request's own drop_params, when given, overrides the deployment's.
func (m *Model) dropped(req *llm.Request) (map[string]bool, error) {
	if len(m.unsupported) == 0 {
		return nil, nil
	}
	allow := m.dropParams
	if req.Gateway.DropParams != nil {
		allow = *req.Gateway.DropParams
	}
	var drop map[string]bool
	for _, name := range m.unsupported {
		set, harmless := paramUse(req, name)
		if !set {
			continue
		}
		if !harmless && !allow {
			return nil, provider.Unsupported(m.provider, name)
		}
		if drop == nil {
			drop = make(map[string]bool, len(m.unsupported))
		}
		drop[name] = true
	}
	return drop, nil
}

// refusesMaxTokens reports whether the model is one of OpenAI's reasoning
// models (o1, o3, o4 and gpt-5 families), which reject max_tokens and take
// max_completion_tokens instead. LiteLLM renames the parameter for them, and
// clients written against older models still send max_tokens, so the
// adapter does the same. Azure deployments are matched by deployment name,
// which usually is the model name.
func refusesMaxTokens(providerName, modelID string) bool {
	if providerName != "openai" && providerName != "azure" {
		return false
	}
	for _, p := range [...]string{"o1", "o3", "o4", "gpt-5"} {
		if strings.HasPrefix(modelID, p) {
			return true
		}
	}
	return false
}
