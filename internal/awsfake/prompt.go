package awsfake

import (
	"encoding/json"
	"net/http"
	"regexp"
	"slices"
	"strings"
)

// Prompt is a Prompt management prompt that the fake Bedrock runtime runs
// when Converse or ConverseStream names its ARN as the model id.
//
// As the real service does, the fake refuses a prompt call that is signed in
// another region (ResourceNotFoundException) or by another account
// (AccessDeniedException), that carries a member the prompt defines itself
// (additionalModelRequestFields, inferenceConfig, system, toolConfig:
// ValidationException), or whose promptVariables are not exactly the
// template's placeholders (ValidationException; see VariablesMessage).
// Otherwise it answers with a script queued for the model id as called, or
// else with the template rendered with the variables, as the model's text.
type Prompt struct {
	// ARN is the prompt's ARN without a version,
	// arn:aws:bedrock:REGION:ACCOUNT:prompt/ID. Calls may add a version
	// (":1").
	ARN string
	// Template is the prompt text; each {{name}} in it is a variable.
	Template string
}

// VariablesMessage is the ValidationException message the fake sends when a
// prompt call's variables do not match the template's placeholders. The
// variable names are sorted.
func VariablesMessage(given, expected []string) string {
	return "The prompt variables provided do not match the variables defined in the prompt. Provided: [" +
		strings.Join(given, ", ") + "]. Expected: [" + strings.Join(expected, ", ") + "]."
}

var placeholderRE = regexp.MustCompile(`\{\{\s*([^{}\s]+)\s*\}\}`)

// AddPrompt makes p runnable.
func (b *Bedrock) AddPrompt(p Prompt) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.prompts == nil {
		b.prompts = map[string]Prompt{}
	}
	b.prompts[p.ARN] = p
}

// promptBase splits a prompt ARN into the ARN without a version; ok is false
// when id is not a prompt ARN.
func promptBase(id string) (base string, ok bool) {
	i := strings.Index(id, ":prompt/")
	if !strings.HasPrefix(id, "arn:") || i < 0 {
		return "", false
	}
	rest := id[i+len(":prompt/"):]
	if j := strings.IndexByte(rest, ':'); j >= 0 {
		return id[:i+len(":prompt/")+j], true
	}
	return id, true
}

// promptCall handles a Converse or ConverseStream call whose model id is a
// prompt ARN. handled is false for other model ids.
func (b *Bedrock) promptCall(call *BedrockCall) (reply Reply, handled bool) {
	base, ok := promptBase(call.ModelID)
	if !ok || (call.Operation != "Converse" && call.Operation != "ConverseStream") {
		return Reply{}, false
	}
	fault := func(status int, code, msg string) (Reply, bool) {
		return Reply{Fault: &Fault{Status: status, Code: code, Message: msg}}, true
	}
	b.mu.Lock()
	p, known := b.prompts[base]
	b.mu.Unlock()
	parts := strings.SplitN(base, ":", 6) // arn aws bedrock REGION ACCOUNT prompt/ID
	if !known || len(parts) != 6 {
		return fault(http.StatusNotFound, "ResourceNotFoundException", "The prompt "+call.ModelID+" does not exist.")
	}
	if parts[3] != call.Region {
		return fault(http.StatusNotFound, "ResourceNotFoundException",
			"The prompt "+call.ModelID+" does not exist in region "+call.Region+".")
	}
	if accountOf(call.Principal) != parts[4] {
		return fault(http.StatusForbidden, "AccessDeniedException", "User: "+call.Principal+
			" is not authorized to perform: bedrock:InvokeModel on resource: "+call.ModelID)
	}
	var body map[string]json.RawMessage
	if err := json.Unmarshal(call.Body, &body); err != nil {
		return fault(http.StatusBadRequest, "ValidationException", "Malformed input request, please reformat your input and try again.")
	}
	for _, m := range []string{"additionalModelRequestFields", "inferenceConfig", "system", "toolConfig"} {
		if _, set := body[m]; set {
			return fault(http.StatusBadRequest, "ValidationException", "The "+m+
				" field can't be specified when the model is a prompt from Prompt management.")
		}
	}
	var vars map[string]struct {
		Text *string `json:"text"`
	}
	if raw, set := body["promptVariables"]; set {
		if err := json.Unmarshal(raw, &vars); err != nil {
			return fault(http.StatusBadRequest, "ValidationException", "Malformed request for promptVariables received.")
		}
	}
	given := make([]string, 0, len(vars))
	for name, v := range vars {
		if v.Text == nil {
			return fault(http.StatusBadRequest, "ValidationException", "Malformed request for promptVariables received.")
		}
		given = append(given, name)
	}
	var expected []string
	for _, m := range placeholderRE.FindAllStringSubmatch(p.Template, -1) {
		if !slices.Contains(expected, m[1]) {
			expected = append(expected, m[1])
		}
	}
	slices.Sort(given)
	slices.Sort(expected)
	if !slices.Equal(given, expected) {
		return fault(http.StatusBadRequest, "ValidationException", VariablesMessage(given, expected))
	}
	if r, scripted := b.nextExact(call.ModelID); scripted {
		return r, true
	}
	text := placeholderRE.ReplaceAllStringFunc(p.Template, func(ph string) string {
		return *vars[placeholderRE.FindStringSubmatch(ph)[1]].Text
	})
	return textReply(call.Operation, text), true
}

// nextExact is next without the fallback to the catch-all script.
func (b *Bedrock) nextExact(modelID string) (Reply, bool) {
	b.mu.Lock()
	_, ok := b.scripts[modelID]
	b.mu.Unlock()
	if !ok {
		return Reply{}, false
	}
	return b.next(modelID)
}

// textReply is a successful answer whose message is text.
func textReply(op, text string) Reply {
	t, _ := json.Marshal(text)
	if op == "Converse" {
		return Reply{Body: json.RawMessage(`{"output":{"message":{"role":"assistant","content":[{"text":` + string(t) +
			`}]}},"stopReason":"end_turn","usage":{"inputTokens":5,"outputTokens":3,"totalTokens":8},"metrics":{"latencyMs":3}}`)}
	}
	return Reply{Events: []Event{
		{Type: "messageStart", Payload: json.RawMessage(`{"role":"assistant"}`)},
		{Type: "contentBlockDelta", Payload: json.RawMessage(`{"contentBlockIndex":0,"delta":{"text":` + string(t) + `}}`)},
		{Type: "contentBlockStop", Payload: json.RawMessage(`{"contentBlockIndex":0}`)},
		{Type: "messageStop", Payload: json.RawMessage(`{"stopReason":"end_turn"}`)},
		{Type: "metadata", Payload: json.RawMessage(`{"usage":{"inputTokens":5,"outputTokens":3,"totalTokens":8},"metrics":{"latencyMs":3}}`)},
	}}
}
