package bedrock

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime"
	"github.com/aws/smithy-go"

	"github.com/tollgate-gw/tollgate/internal/llm"
	"github.com/tollgate-gw/tollgate/internal/provider"
	"github.com/tollgate-gw/tollgate/internal/provider/upstream"
)

// PromptARN is the parsed ARN of a Prompt management prompt,
// arn:PARTITION:bedrock:REGION:ACCOUNT:prompt/ID[:VERSION].
type PromptARN struct {
	// ARN is the ARN as written; it is the model id Bedrock is called with.
	ARN       string
	Partition string
	Region    string
	Account   string
	ID        string
	// Version is the prompt version, "" for the draft.
	Version string
}

// promptARNRE is compiled on first use, not at every process start.
var promptARNRE = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`^arn:(aws(?:-[a-z]+)*):bedrock:([a-z]{2}(?:-[a-z]+)+-\d+):(\d{12}):prompt/([0-9A-Za-z]{1,64})(?::(\d{1,5}))?$`)
})

// ParsePromptARN parses s as a prompt ARN; ok is false when s is not one.
func ParsePromptARN(s string) (p PromptARN, ok bool) {
	m := promptARNRE().FindStringSubmatch(s)
	if m == nil {
		return PromptARN{}, false
	}
	return PromptARN{ARN: s, Partition: m[1], Region: m[2], Account: m[3], ID: m[4], Version: m[5]}, true
}

// PromptHost is a Bedrock deployment whose credentials managed prompts can
// be run with.
type PromptHost struct {
	// Name identifies the deployment in error messages, e.g.
	// "claude-dept-a (deployment 3f2a...)".
	Name string
	// Region is the AWS region the deployment's client calls (see
	// Adapter.Region).
	Region string
	// Account is the AWS account of the deployment's credentials when the
	// configuration names it (the account of its aws_role_name), else "".
	Account string
	// Adapter is the deployment's adapter; prompts run through its client.
	Adapter *Adapter
}

// PickPromptHost returns the index of the host to run prompt p with: the
// first host in p's region whose account is p's account, else the first
// host in p's region whose account is not known. A host whose account is
// known to be another one is never chosen: prompts are not shared across
// accounts, so Bedrock would refuse the call, and a clear error naming what
// to configure is better than its AccessDeniedException. When no host
// fits, the error is a 404 that names the prompt's region and account, what
// is configured, and what to add.
func PickPromptHost(hosts []PromptHost, p PromptARN) (int, error) {
	unknown := -1
	var others []string
	regions := make([]string, 0, len(hosts))
	for i := range hosts {
		h := &hosts[i]
		if !slices.Contains(regions, h.Region) {
			regions = append(regions, h.Region)
		}
		if h.Region != p.Region {
			continue
		}
		switch h.Account {
		case p.Account:
			return i, nil
		case "":
			if unknown < 0 {
				unknown = i
			}
		default:
			others = append(others, h.Name+" in account "+h.Account)
		}
	}
	if unknown >= 0 {
		return unknown, nil
	}
	add := fmt.Sprintf("add a model_list entry with a bedrock/ model, aws_region_name: %s and aws_role_name: "+
		"a role in account %s (or credentials of that account); the gateway calls the prompt with that "+
		"deployment's credentials", p.Region, p.Account)
	var msg string
	switch {
	case len(others) > 0:
		msg = fmt.Sprintf("managed prompt %s belongs to account %s, but the Bedrock deployments in %s use other "+
			"accounts (%s); %s", p.ARN, p.Account, p.Region, strings.Join(others, ", "), add)
	case len(hosts) == 0:
		msg = fmt.Sprintf("managed prompt %s cannot be run: no Bedrock deployment is configured; %s", p.ARN, add)
	default:
		slices.Sort(regions)
		msg = fmt.Sprintf("managed prompt %s is in region %s (account %s), where no Bedrock deployment is "+
			"configured (Bedrock deployments are in %s); %s", p.ARN, p.Region, p.Account,
			strings.Join(regions, ", "), add)
	}
	return -1, &provider.Error{Kind: provider.KindNotFound, Provider: providerName, Status: http.StatusNotFound,
		Type: "invalid_request_error", Code: "prompt_deployment_not_found", Param: "model", Message: msg}
}

// Region returns the AWS region the adapter's client calls, "" when the
// client does not say (a test double).
func (a *Adapter) Region() string {
	if c, ok := a.client.(interface{ Options() bedrockruntime.Options }); ok {
		return c.Options().Region
	}
	return ""
}

// Prompt returns a model that runs managed prompt p through the adapter's
// client, and so with its deployment's credentials.
//
// The request's messages are appended to the prompt's own, as Bedrock does;
// an OpenAI client may send none. promptVariables (strings, or Converse's
// {"text": ...}) fill the prompt's placeholders. The members the prompt
// defines itself, which Bedrock refuses beside a prompt ARN (system
// messages, max_tokens, temperature, top_p, stop, tools, tool_choice,
// reasoning_effort, additionalModelRequestFields), are refused with a
// clear error, or dropped under drop_params. When Bedrock rejects the
// variables, the error lists the ones sent and, when Bedrock's message
// names them, the ones the prompt expects.
func (a *Adapter) Prompt(p PromptARN) provider.ChatModel {
	return &promptModel{client: a.client, arn: p, drop: a.opts.DropParams, now: a.opts.Now, limits: a.limits}
}

// promptModel runs one managed prompt.
type promptModel struct {
	client Client
	arn    PromptARN
	drop   bool
	now    func() time.Time
	limits upstream.Limits
}

var _ provider.ChatModel = (*promptModel)(nil)

func (m *promptModel) dropParams(g llm.GatewayOptions) bool {
	if g.DropParams != nil {
		return *g.DropParams
	}
	return m.drop
}

// Chat runs the prompt through Converse.
func (m *promptModel) Chat(ctx context.Context, req *llm.Request) (*llm.Response, error) {
	cr, err := buildPrompt(req, m.dropParams(req.Gateway))
	if err != nil {
		return nil, err
	}
	out, err := converse(ctx, m.client, m.limits, cr.input(m.arn.ARN))
	if err != nil {
		return nil, m.mapError(ctx, err, cr)
	}
	return converseResponse(out, m.arn.ARN, responseID(out.ResultMetadata), m.now().Unix())
}

// ChatStream runs the prompt through ConverseStream.
func (m *promptModel) ChatStream(ctx context.Context, req *llm.Request) (llm.Stream, error) {
	cr, err := buildPrompt(req, m.dropParams(req.Gateway))
	if err != nil {
		return nil, err
	}
	s, err := converseStream(ctx, m.client, m.limits, cr.streamInput(m.arn.ARN), m.now)
	if err != nil {
		return nil, m.mapError(ctx, err, cr)
	}
	return s, nil
}

// promptDefines refuses a parameter the prompt defines itself.
func promptDefines(p params, param string) error {
	if p.drop {
		return nil
	}
	return &provider.Error{
		Kind: provider.KindUnsupported, Provider: providerName, Status: http.StatusBadRequest,
		Type: "invalid_request_error", Code: "unsupported_params", Param: param,
		Message: fmt.Sprintf("%s cannot be sent with a Bedrock managed prompt: the prompt defines its system prompt, "+
			"inference parameters, tools and additional model fields itself, and Bedrock refuses them beside a "+
			"prompt ARN; remove %s, or set drop_params: true to drop it", param, param),
	}
}

// buildPrompt translates a request for a managed prompt: messages (may be
// none), variables, and the members Bedrock allows beside a prompt ARN.
func buildPrompt(req *llm.Request, drop bool) (*converseRequest, error) {
	p := params{drop: drop}
	if err := p.checkOpenAIParams(req); err != nil {
		return nil, err
	}
	if err := checkCacheControls(req); err != nil {
		return nil, err
	}
	defined := []struct {
		name string
		set  bool
	}{
		{"max_tokens", req.MaxTokens != nil || req.MaxCompletionTokens != nil},
		{"temperature", req.Temperature != nil},
		{"top_p", req.TopP != nil},
		{"stop", len(req.Stop) > 0},
		{"tools", len(req.Tools) > 0},
		{"tool_choice", req.ToolChoice != nil},
		{"reasoning_effort", req.ReasoningEffort != ""},
	}
	for _, d := range defined {
		if d.set {
			if err := promptDefines(p, d.name); err != nil {
				return nil, err
			}
		}
	}
	msgs := make([]llm.Message, 0, len(req.Messages))
	for i := range req.Messages {
		if r := req.Messages[i].Role; r == llm.RoleSystem || r == llm.RoleDeveloper {
			if err := promptDefines(p, fmt.Sprintf("messages[%d] (a %s message)", i, r)); err != nil {
				return nil, err
			}
			continue
		}
		msgs = append(msgs, req.Messages[i])
	}
	c := &converseRequest{additional: map[string]any{}}
	if len(msgs) > 0 {
		if err := c.setMessages(msgs); err != nil {
			return nil, err
		}
	}
	if err := c.setResponseFormat(req.ResponseFormat, p); err != nil {
		return nil, err
	}
	if err := c.setExtra(req.Extra, p); err != nil {
		return nil, err
	}
	if len(c.additional) > 0 {
		names := make([]string, 0, len(c.additional))
		for k := range c.additional {
			names = append(names, k)
		}
		slices.Sort(names)
		if err := promptDefines(p, "additionalModelRequestFields ("+strings.Join(names, ", ")+")"); err != nil {
			return nil, err
		}
		c.additional = map[string]any{}
	}
	c.reqMetadata = stringMembers(req.Metadata)
	if len(req.Gateway.PromptVariables) > 0 {
		if err := c.setPromptVariables(req.Gateway.PromptVariables); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// mapError maps a failed prompt call. A ValidationException about the
// variables becomes a 400 listing the variables sent and, when Bedrock's
// message names them, the ones the prompt expects; else it carries what
// was sent and Bedrock's reason.
func (m *promptModel) mapError(ctx context.Context, err error, cr *converseRequest) error {
	mapped := mapError(ctx, err)
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != "ValidationException" ||
		!strings.Contains(strings.ToLower(ae.ErrorMessage()), "variable") {
		return mapped
	}
	sent := make([]string, 0, len(cr.variables))
	for k := range cr.variables {
		sent = append(sent, k)
	}
	slices.Sort(sent)
	pe := &provider.Error{Kind: provider.KindBadRequest, Provider: providerName, Status: http.StatusBadRequest,
		Type: "invalid_request_error", Code: "invalid_prompt_variables", Param: "promptVariables", Err: err}
	expected, listed := expectedVariables(ae.ErrorMessage())
	if !listed {
		pe.Message = fmt.Sprintf("managed prompt %s refused the promptVariables sent [%s]: %s",
			m.arn.ARN, strings.Join(sent, ", "), ae.ErrorMessage())
		return pe
	}
	var missing, unknown []string
	for _, e := range expected {
		if !slices.Contains(sent, e) {
			missing = append(missing, e)
		}
	}
	for _, s := range sent {
		if !slices.Contains(expected, s) {
			unknown = append(unknown, s)
		}
	}
	pe.Message = fmt.Sprintf("promptVariables do not match the placeholders of managed prompt %s: sent [%s]; the "+
		"prompt expects [%s]", m.arn.ARN, strings.Join(sent, ", "), strings.Join(expected, ", "))
	if len(missing) > 0 {
		pe.Message += "; missing: " + strings.Join(missing, ", ")
	}
	if len(unknown) > 0 {
		pe.Message += "; not in the prompt: " + strings.Join(unknown, ", ")
	}
	return pe
}

// expectedVariables finds, in a ValidationException message, the bracketed
// list of variable names the prompt expects: the first "[...]" whose
// sentence, up to the bracket, speaks of what is expected, defined,
// required or in the template ("Expected: [topic, tone]", "variables
// defined in the prompt are [topic]"). ok is false when there is none.
func expectedVariables(msg string) (names []string, ok bool) {
	lower := strings.ToLower(msg)
	from := 0
	for {
		open := strings.IndexByte(msg[from:], '[')
		if open < 0 {
			return nil, false
		}
		open += from
		end := strings.IndexByte(msg[open:], ']')
		if end < 0 {
			return nil, false
		}
		end += open
		lead := lower[from:open]
		if i := strings.LastIndexAny(lead, ".;"); i >= 0 {
			lead = lead[i+1:]
		}
		for _, word := range []string{"expect", "defined", "required", "template", "placeholder"} {
			if strings.Contains(lead, word) {
				return splitNames(msg[open+1 : end]), true
			}
		}
		from = end + 1
	}
}

// splitNames splits a list such as `topic, "tone", {{audience}}`.
func splitNames(list string) []string {
	names := []string{}
	for _, n := range strings.Split(list, ",") {
		n = strings.Trim(strings.TrimSpace(n), "\"'`{} ")
		if n != "" {
			names = append(names, n)
		}
	}
	slices.Sort(names)
	return names
}
