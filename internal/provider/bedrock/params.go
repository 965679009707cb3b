package bedrock

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"net/http"

	smithydocument "github.com/aws/smithy-go/document"

	"github.com/tollgate-gw/tollgate/internal/llm"
	"github.com/tollgate-gw/tollgate/internal/provider"
)

// openAIOnlyFields are OpenAI request fields llm.Request keeps in Extra that
// no Bedrock API takes. Passing them on in additionalModelRequestFields
// would only earn a ValidationException, so they are refused (or dropped)
// like the named ones.
var openAIOnlyFields = map[string]bool{
	"store": true, "audio": true, "modalities": true, "prediction": true, "web_search_options": true,
	"verbosity": true, "safety_identifier": true, "prompt_cache_key": true, "prompt_cache_retention": true,
	"functions": true, "function_call": true, "stream_options": true, "background": true,
}

// params collects the refusals of one translation: each unsupported
// parameter either becomes an error or, when dropping, disappears.
type params struct {
	drop bool
}

// unsupported reports an unsupported parameter: nil when dropping.
func (p params) unsupported(name string) error {
	if p.drop {
		return nil
	}
	return provider.Unsupported(providerName, name)
}

// checkOpenAIParams refuses the chat parameters no Bedrock chat API takes.
func (p params) checkOpenAIParams(req *llm.Request) error {
	checks := []struct {
		name string
		set  bool
	}{
		{"n", req.N != nil && *req.N != 1},
		{"logprobs", req.Logprobs != nil && *req.Logprobs},
		{"top_logprobs", req.TopLogprobs != nil},
		{"logit_bias", len(req.LogitBias) > 0 && string(req.LogitBias) != "null"},
		{"seed", req.Seed != nil},
		{"presence_penalty", req.PresencePenalty != nil && *req.PresencePenalty != 0},
		{"frequency_penalty", req.FrequencyPenalty != nil && *req.FrequencyPenalty != 0},
		{"parallel_tool_calls", req.ParallelToolCalls != nil && !*req.ParallelToolCalls},
	}
	for _, c := range checks {
		if c.set {
			if err := p.unsupported(c.name); err != nil {
				return err
			}
		}
	}
	return nil
}

// badRequest is a translation failure the client must fix (not droppable).
func badRequest(param, format string, args ...any) *provider.Error {
	return &provider.Error{
		Kind:     provider.KindBadRequest,
		Provider: providerName,
		Status:   http.StatusBadRequest,
		Type:     "invalid_request_error",
		Param:    param,
		Message:  fmt.Sprintf(format, args...),
	}
}

// unsupportedContent is content Bedrock cannot take; unlike a parameter it
// cannot be dropped without changing what the model is asked.
func unsupportedContent(param, format string, args ...any) *provider.Error {
	e := badRequest(param, format, args...)
	e.Kind = provider.KindUnsupported
	e.Code = "unsupported_content"
	return e
}

// decodeJSON parses raw JSON into plain Go values for a smithy document,
// keeping numbers exact: json.Number becomes smithy's document.Number, which
// the SDK writes back verbatim (a float64 would round large integers).
func decodeJSON(raw []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if dec.More() {
		return nil, fmt.Errorf("trailing data after JSON value")
	}
	return docValue(v), nil
}

func docValue(v any) any {
	switch t := v.(type) {
	case json.Number:
		return smithydocument.Number(t.String())
	case map[string]any:
		for k, e := range t {
			t[k] = docValue(e)
		}
		return t
	case []any:
		for i, e := range t {
			t[i] = docValue(e)
		}
		return t
	}
	return v
}

// plainJSON undoes docValue for encoding/json, which would quote a
// document.Number as a string.
func plainJSON(v any) any {
	switch t := v.(type) {
	case smithydocument.Number:
		return json.Number(t)
	case map[string]any:
		out := make(map[string]any, len(t))
		for k, e := range t {
			out[k] = plainJSON(e)
		}
		return out
	case []any:
		out := make([]any, len(t))
		for i, e := range t {
			out[i] = plainJSON(e)
		}
		return out
	}
	return v
}

// decodeObject parses raw JSON that must be an object.
func decodeObject(raw []byte) (map[string]any, error) {
	v, err := decodeJSON(raw)
	if err != nil {
		return nil, err
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("want a JSON object")
	}
	return m, nil
}

// toInt32 narrows a client-supplied count.
func toInt32(name string, v int) (int32, error) {
	if v < 0 || v > math.MaxInt32 {
		return 0, badRequest(name, "%s must be between 0 and %d", name, math.MaxInt32)
	}
	return int32(v), nil
}

// reasoningBudgets maps reasoning_effort to Anthropic thinking budgets, as
// LiteLLM does.
var reasoningBudgets = map[string]int{"minimal": 1024, "low": 1024, "medium": 2048, "high": 4096}

// reasoningFields translates reasoning_effort into the family's
// additionalModelRequestFields; ok is false when the family has no such knob.
func reasoningFields(family, effort string) (key string, value any, ok bool) {
	if effort == "none" {
		return "", nil, true
	}
	vendor := family
	if i := bytes.IndexByte([]byte(family), '.'); i >= 0 {
		vendor = family[:i]
	}
	switch vendor {
	case "anthropic":
		budget, known := reasoningBudgets[effort]
		if !known {
			return "", nil, false
		}
		return "thinking", map[string]any{"type": "enabled", "budget_tokens": budget}, true
	case "amazon":
		if effort == "minimal" {
			effort = "low"
		}
		return "reasoningConfig", map[string]any{"type": "enabled", "maxReasoningEffort": effort}, true
	case "openai":
		return "reasoning_effort", effort, true
	}
	return "", nil, false
}
