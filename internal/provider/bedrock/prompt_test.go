package bedrock_test

import (
	"context"
	"encoding/json"
	"io"
	"reflect"
	"strings"
	"testing"

	"github.com/tollgate-gw/tollgate/internal/awscred"
	"github.com/tollgate-gw/tollgate/internal/awsfake"
	"github.com/tollgate-gw/tollgate/internal/llm"
	"github.com/tollgate-gw/tollgate/internal/provider"
	"github.com/tollgate-gw/tollgate/internal/provider/bedrock"
)

const (
	promptBase = "arn:aws:bedrock:us-west-2:222222222222:prompt/PRMPT00001"
	promptV2   = promptBase + ":2"
	poem       = "Write a {{tone}} poem about {{topic}}."
)

func TestParsePromptARN(t *testing.T) {
	tests := []struct {
		in   string
		want bedrock.PromptARN
		ok   bool
	}{
		{promptBase, bedrock.PromptARN{ARN: promptBase, Partition: "aws", Region: "us-west-2", Account: "222222222222", ID: "PRMPT00001"}, true},
		{promptV2, bedrock.PromptARN{ARN: promptV2, Partition: "aws", Region: "us-west-2", Account: "222222222222", ID: "PRMPT00001", Version: "2"}, true},
		{"arn:aws-us-gov:bedrock:us-gov-west-1:123456789012:prompt/6LE1KDKISG:12",
			bedrock.PromptARN{ARN: "arn:aws-us-gov:bedrock:us-gov-west-1:123456789012:prompt/6LE1KDKISG:12", Partition: "aws-us-gov",
				Region: "us-gov-west-1", Account: "123456789012", ID: "6LE1KDKISG", Version: "12"}, true},
		{"arn:aws:bedrock:us-west-2::foundation-model/anthropic.claude-3-haiku-20240307-v1:0", bedrock.PromptARN{}, false},
		{"arn:aws:bedrock:us-west-2:222222222222:inference-profile/us.anthropic.claude-sonnet-4-6", bedrock.PromptARN{}, false},
		{"arn:aws:bedrock:us-west-2:2222:prompt/PRMPT00001", bedrock.PromptARN{}, false},            // short account
		{"arn:aws:bedrock:us-west-2:222222222222:prompt/", bedrock.PromptARN{}, false},              // no id
		{"arn:aws:bedrock:us-west-2:222222222222:prompt/PRMPT00001:v2", bedrock.PromptARN{}, false}, // bad version
		{"arn:aws:bedrock:us-west-2:222222222222:prompt/PRMPT/00001", bedrock.PromptARN{}, false},
		{"arn:aws:bedrock:uswest2:222222222222:prompt/PRMPT00001", bedrock.PromptARN{}, false},
		{"gpt-4o", bedrock.PromptARN{}, false},
		{"", bedrock.PromptARN{}, false},
	}
	for _, tt := range tests {
		got, ok := bedrock.ParsePromptARN(tt.in)
		if ok != tt.ok || got != tt.want {
			t.Errorf("ParsePromptARN(%q) = %+v, %v; want %+v, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func TestPickPromptHost(t *testing.T) {
	host := func(name, region, account string) bedrock.PromptHost {
		return bedrock.PromptHost{Name: name, Region: region, Account: account}
	}
	p, _ := bedrock.ParsePromptARN(promptV2) // us-west-2, account 222222222222
	tests := []struct {
		name  string
		hosts []bedrock.PromptHost
		want  int
		// wantErr lists what the error message must name.
		wantErr []string
	}{
		{name: "exact account beats an earlier unknown account",
			hosts: []bedrock.PromptHost{host("east", "us-east-1", "222222222222"), host("ambient", "us-west-2", ""),
				host("other", "us-west-2", "333333333333"), host("dept", "us-west-2", "222222222222")},
			want: 3},
		{name: "same region, account not configured",
			hosts: []bedrock.PromptHost{host("other", "us-west-2", "333333333333"), host("ambient", "us-west-2", ""), host("ambient2", "us-west-2", "")},
			want:  1},
		{name: "same region, only other accounts",
			hosts:   []bedrock.PromptHost{host("dept-b", "us-west-2", "333333333333"), host("dept-a-east", "us-east-1", "222222222222")},
			want:    -1,
			wantErr: []string{promptV2, "account 222222222222", "dept-b in account 333333333333", "aws_region_name: us-west-2", "aws_role_name"}},
		{name: "no deployment in the region",
			hosts:   []bedrock.PromptHost{host("east", "us-east-1", "222222222222"), host("eu", "eu-west-1", "")},
			want:    -1,
			wantErr: []string{promptV2, "region us-west-2", "account 222222222222", "eu-west-1, us-east-1", "aws_region_name: us-west-2"}},
		{name: "no Bedrock deployment at all", want: -1,
			wantErr: []string{promptV2, "no Bedrock deployment is configured", "aws_region_name: us-west-2", "account 222222222222"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := bedrock.PickPromptHost(tt.hosts, p)
			if got != tt.want {
				t.Fatalf("picked %d, want %d (err %v)", got, tt.want, err)
			}
			if tt.wantErr == nil {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			pe, ok := provider.AsError(err)
			if !ok || pe.Kind != provider.KindNotFound || pe.Status != 404 || pe.Param != "model" {
				t.Fatalf("error %#v, want a 404 not-found error on model", err)
			}
			for _, w := range tt.wantErr {
				if !strings.Contains(pe.Message, w) {
					t.Errorf("message %q lacks %q", pe.Message, w)
				}
			}
		})
	}
}

// promptHarness is the fake AWS with the poem prompt in the department
// account, and an adapter for a deployment that assumes the department
// role in the prompt's region.
func promptHarness(t *testing.T, opts bedrock.Options) (*harness, *bedrock.Adapter) {
	t.Helper()
	h := newHarness(t)
	h.bedrock.AddPrompt(awsfake.Prompt{ARN: promptBase, Template: poem})
	if opts.ModelID == "" {
		opts.ModelID = claude
	}
	a := h.adapter(t, awscred.Spec{RoleARN: deptRole, ExternalID: "ext-1", Region: "us-west-2"}, opts)
	return h, a
}

func runPrompt(t *testing.T, a *bedrock.Adapter, arn string, req *llm.Request, stream bool) (string, error) {
	t.Helper()
	p, ok := bedrock.ParsePromptARN(arn)
	if !ok {
		t.Fatalf("%s is not a prompt ARN", arn)
	}
	m := a.Prompt(p)
	if !stream {
		resp, err := m.Chat(context.Background(), req)
		if err != nil {
			return "", err
		}
		if resp.Model != arn {
			t.Errorf("response model %q, want the prompt ARN", resp.Model)
		}
		return resp.Choices[0].Message.Text(), nil
	}
	s, err := m.ChatStream(context.Background(), req)
	if err != nil {
		return "", err
	}
	defer s.Close()
	var text strings.Builder
	for {
		c, err := s.Recv()
		if err == io.EOF {
			return text.String(), nil
		}
		if err != nil {
			return "", err
		}
		for _, ch := range c.Choices {
			text.WriteString(ch.Delta.Content)
		}
	}
}

// TestPromptRunsWithTheDeploymentsCredentials: the prompt ARN is the model
// id, the variables go as Converse's {"text": ...} whichever form the client
// used, the call is signed by the deployment's role, and the prompt's
// rendering comes back, on both operations.
func TestPromptRunsWithTheDeploymentsCredentials(t *testing.T) {
	h, a := promptHarness(t, bedrock.Options{})
	if a.Region() != "us-west-2" {
		t.Fatalf("adapter region %q", a.Region())
	}
	vars := map[string]string{
		"openai strings":   `{"topic":"fruit","tone":"playful"}`,
		"converse objects": `{"topic":{"text":"fruit"},"tone":{"text":"playful"}}`,
	}
	for name, v := range vars {
		for _, stream := range []bool{false, true} {
			h.bedrock.Reset()
			req := &llm.Request{Gateway: llm.GatewayOptions{PromptVariables: json.RawMessage(v)}}
			got, err := runPrompt(t, a, promptV2, req, stream)
			if err != nil {
				t.Fatalf("%s stream=%v: %v", name, stream, err)
			}
			if got != "Write a playful poem about fruit." {
				t.Errorf("%s stream=%v: reply %q", name, stream, got)
			}
			calls := h.bedrock.Calls()
			if len(calls) != 1 || calls[0].ModelID != promptV2 || calls[0].ErrorCode != "" ||
				calls[0].Principal != "arn:aws:sts::222222222222:assumed-role/BedrockAccess/tollgate" {
				t.Fatalf("%s stream=%v: calls %+v", name, stream, calls)
			}
			jsonEqual(t, calls[0].Body, []byte(`{"promptVariables":{"topic":{"text":"fruit"},"tone":{"text":"playful"}}}`))
		}
	}
}

// TestPromptMessagesAreAppended: messages travel beside the prompt, as
// Bedrock appends them; metadata goes as requestMetadata.
func TestPromptMessagesAreAppended(t *testing.T) {
	h, a := promptHarness(t, bedrock.Options{})
	req := &llm.Request{
		Messages: []llm.Message{{Role: llm.RoleUser, Content: text("make it rhyme")}},
		Metadata: json.RawMessage(`{"team":"search","tags":["a"]}`),
		Gateway:  llm.GatewayOptions{PromptVariables: json.RawMessage(`{"topic":"fruit","tone":"playful"}`)},
	}
	if _, err := runPrompt(t, a, promptBase, req, false); err != nil {
		t.Fatal(err)
	}
	jsonEqual(t, h.lastBody(t), []byte(`{"messages":[{"role":"user","content":[{"text":"make it rhyme"}]}],
		"requestMetadata":{"team":"search"},"promptVariables":{"topic":{"text":"fruit"},"tone":{"text":"playful"}}}`))
}

// TestPromptVariablesMismatch: the fake refuses variables as Bedrock does,
// and the client's error lists what it sent and what the prompt expects.
func TestPromptVariablesMismatch(t *testing.T) {
	h, a := promptHarness(t, bedrock.Options{})
	tests := []struct {
		name string
		vars string
		want []string
	}{
		{"one missing", `{"topic":"fruit"}`,
			[]string{"sent [topic]", "expects [tone, topic]", "missing: tone", promptV2}},
		{"one unknown", `{"topic":"fruit","tone":"sad","mood":"x"}`,
			[]string{"sent [mood, tone, topic]", "expects [tone, topic]", "not in the prompt: mood"}},
		{"none", ``, []string{"sent []", "expects [tone, topic]", "missing: tone, topic"}},
	}
	for _, tt := range tests {
		for _, stream := range []bool{false, true} {
			req := &llm.Request{}
			if tt.vars != "" {
				req.Gateway.PromptVariables = json.RawMessage(tt.vars)
			}
			_, err := runPrompt(t, a, promptV2, req, stream)
			pe, ok := provider.AsError(err)
			if !ok || pe.Status != 400 || pe.Kind != provider.KindBadRequest || pe.Param != "promptVariables" || pe.Retryable() {
				t.Fatalf("%s stream=%v: error %#v, want a 400 on promptVariables", tt.name, stream, err)
			}
			for _, w := range tt.want {
				if !strings.Contains(pe.Message, w) {
					t.Errorf("%s stream=%v: message %q lacks %q", tt.name, stream, pe.Message, w)
				}
			}
		}
	}
	if c := h.bedrock.Calls(); len(c) != 6 || c[0].ErrorCode != "ValidationException" {
		t.Fatalf("calls %+v", c)
	}
}

// TestPromptValidationMessages: Bedrock's ValidationException texts about
// variables, in the shapes a service message may take. When the message
// lists the expected variables the error lists both sets; when it does
// not, it says what was sent and passes Bedrock's reason on. Other
// validation errors pass through unchanged.
func TestPromptValidationMessages(t *testing.T) {
	h, a := promptHarness(t, bedrock.Options{})
	tests := []struct {
		name, message string
		want          []string
	}{
		{"fake's own wording", awsfake.VariablesMessage([]string{"tone", "topic"}, []string{"audience", "topic"}),
			[]string{"sent [tone, topic]", "expects [audience, topic]", "missing: audience", "not in the prompt: tone"}},
		{"expected first", "Expected prompt variables ['topic', 'audience'] but received ['tone', 'topic']",
			[]string{"sent [tone, topic]", "expects [audience, topic]"}},
		{"defined in the template", "Prompt variable validation failed; variables defined in the template: [{{topic}}, {{audience}}]",
			[]string{"expects [audience, topic]"}},
		{"no list", "Invalid prompt variables.",
			[]string{"refused the promptVariables sent [tone, topic]", "Invalid prompt variables.", "prompt/SCRIPTED01:1"}},
		{"a list of what was sent only", "The prompt variables [tone, topic] are invalid.",
			[]string{"sent [tone, topic]", "The prompt variables [tone, topic] are invalid."}},
	}
	// The fake accepts these variables for the scripted prompt below, then
	// answers with the scripted fault.
	h.bedrock.AddPrompt(awsfake.Prompt{ARN: "arn:aws:bedrock:us-west-2:222222222222:prompt/SCRIPTED01", Template: "{{tone}} {{topic}}"})
	const scripted = "arn:aws:bedrock:us-west-2:222222222222:prompt/SCRIPTED01:1"
	req := &llm.Request{Gateway: llm.GatewayOptions{PromptVariables: json.RawMessage(`{"topic":"fruit","tone":"sad"}`)}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h.bedrock.Reset()
			h.bedrock.Script(scripted, awsfake.Reply{Fault: &awsfake.Fault{Code: "ValidationException", Message: tt.message}})
			_, err := runPrompt(t, a, scripted, req, false)
			pe, ok := provider.AsError(err)
			if !ok || pe.Status != 400 || pe.Code != "invalid_prompt_variables" {
				t.Fatalf("error %#v", err)
			}
			for _, w := range tt.want {
				if !strings.Contains(pe.Message, w) {
					t.Errorf("message %q lacks %q", pe.Message, w)
				}
			}
		})
	}
	t.Run("not about variables", func(t *testing.T) {
		h.bedrock.Reset()
		h.bedrock.Script(scripted, awsfake.Reply{Fault: &awsfake.Fault{Code: "ValidationException", Message: "Guardrail gr-1 not found."}})
		_, err := runPrompt(t, a, scripted, req, false)
		pe, ok := provider.AsError(err)
		if !ok || pe.Code != "ValidationException" || pe.Message != "ValidationException: Guardrail gr-1 not found." {
			t.Fatalf("error %#v", err)
		}
	})
}

// TestPromptDefinedParameters: what the prompt defines is refused before
// any call, naming the parameter, or dropped under drop_params.
func TestPromptDefinedParameters(t *testing.T) {
	vars := llm.GatewayOptions{PromptVariables: json.RawMessage(`{"topic":"fruit","tone":"playful"}`)}
	user := llm.Message{Role: llm.RoleUser, Content: text("hi")}
	tests := []struct {
		name  string
		req   llm.Request
		param string
	}{
		{"system message", llm.Request{Messages: []llm.Message{{Role: llm.RoleSystem, Content: text("be brief")}, user}},
			"messages[0] (a system message)"},
		{"temperature", llm.Request{Temperature: ptr(0.2)}, "temperature"},
		{"max tokens", llm.Request{MaxCompletionTokens: ptr(10)}, "max_tokens"},
		{"stop", llm.Request{Stop: []string{"END"}}, "stop"},
		{"tools", llm.Request{Tools: []llm.Tool{{Type: "function", Name: "f"}}}, "tools"},
		{"reasoning", llm.Request{ReasoningEffort: "low"}, "reasoning_effort"},
		{"additional fields", llm.Request{Extra: []llm.Field{{Name: "additionalModelRequestFields", Value: json.RawMessage(`{"top_k":5}`)}}},
			"additionalModelRequestFields (top_k)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, a := promptHarness(t, bedrock.Options{})
			req := tt.req
			req.Gateway = vars
			_, err := runPrompt(t, a, promptV2, &req, false)
			pe, ok := provider.AsError(err)
			if !ok || pe.Status != 400 || pe.Param != tt.param || !strings.Contains(pe.Message, "managed prompt") ||
				!strings.Contains(pe.Message, "drop_params") {
				t.Fatalf("error %#v, want a 400 on %s", err, tt.param)
			}
			if n := len(h.bedrock.Calls()); n != 0 {
				t.Fatalf("%d calls made", n)
			}
			// Dropped, the call goes through with the variables alone (and
			// the user message, where there was one).
			drop := true
			req.Gateway.DropParams = &drop
			if _, err := runPrompt(t, a, promptV2, &req, false); err != nil {
				t.Fatalf("with drop_params: %v", err)
			}
			var body map[string]json.RawMessage
			if err := json.Unmarshal(h.lastBody(t), &body); err != nil {
				t.Fatal(err)
			}
			for k := range body {
				if k != "promptVariables" && k != "messages" {
					t.Errorf("dropped request still sent %s: %s", k, h.lastBody(t))
				}
			}
		})
	}
}

// TestRequestMetadata: a Converse client's requestMetadata (Metadata) and
// the string members of an OpenAI client's metadata reach Bedrock as
// requestMetadata; an explicit requestMetadata field wins on a shared key;
// InvokeModel, which has no place for it, does not refuse the call.
func TestRequestMetadata(t *testing.T) {
	h := newHarness(t)
	a := h.adapter(t, awscred.Spec{}, bedrock.Options{ModelID: claude})
	tests := []struct {
		name string
		req  llm.Request
		want string
	}{
		{"converse requestMetadata", llm.Request{Metadata: json.RawMessage(`{"team":"search","env":"prod"}`)},
			`{"team":"search","env":"prod"}`},
		{"openai metadata with gateway members", llm.Request{Metadata: json.RawMessage(`{"user":"u1","tags":["a"],"trace":{"id":1}}`)},
			`{"user":"u1"}`},
		{"explicit field wins", llm.Request{Metadata: json.RawMessage(`{"team":"search","env":"prod"}`),
			Extra: []llm.Field{{Name: "requestMetadata", Value: json.RawMessage(`{"team":"ads"}`)}}},
			`{"team":"ads","env":"prod"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.req.Messages = []llm.Message{{Role: llm.RoleUser, Content: text("q")}}
			for _, stream := range []bool{false, true} {
				if stream {
					s, err := a.ChatStream(context.Background(), &tt.req)
					if err != nil {
						t.Fatal(err)
					}
					_ = s.Close()
				} else if _, err := a.Chat(context.Background(), &tt.req); err != nil {
					t.Fatal(err)
				}
				var body struct{ RequestMetadata json.RawMessage }
				if err := json.Unmarshal(h.lastBody(t), &body); err != nil {
					t.Fatal(err)
				}
				jsonEqual(t, body.RequestMetadata, []byte(tt.want))
			}
		})
	}
	inv := h.adapter(t, awscred.Spec{}, bedrock.Options{ModelID: "anthropic.claude-3-haiku-20240307-v1:0", Route: bedrock.RouteInvoke})
	h.bedrock.Script("anthropic.claude-3-haiku-20240307-v1:0", awsfake.Reply{Body: json.RawMessage(
		`{"id":"m","type":"message","role":"assistant","content":[{"type":"text","text":"ok"}],"stop_reason":"end_turn","usage":{"input_tokens":1,"output_tokens":1}}`)})
	if _, err := inv.Chat(context.Background(), &llm.Request{Metadata: json.RawMessage(`{"user":"u1"}`),
		Messages: []llm.Message{{Role: llm.RoleUser, Content: text("q")}}}); err != nil {
		t.Fatalf("invoke route with metadata: %v", err)
	}
}

// TestNativeStopReasonOnStreams: stop_sequence survives as the native
// finish reason on a stream too.
func TestNativeStopReasonOnStreams(t *testing.T) {
	h := newHarness(t)
	a := h.adapter(t, awscred.Spec{}, bedrock.Options{ModelID: claude})
	h.bedrock.Script(claude, awsfake.Reply{Events: []awsfake.Event{
		ev("messageStart", `{"role":"assistant"}`),
		ev("contentBlockDelta", `{"contentBlockIndex":0,"delta":{"text":"one two"}}`),
		ev("messageStop", `{"stopReason":"stop_sequence"}`),
	}})
	s, err := a.ChatStream(context.Background(), &llm.Request{Messages: []llm.Message{{Role: llm.RoleUser, Content: text("q")}}})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var finishes [][2]string
	for {
		c, err := s.Recv()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		for _, ch := range c.Choices {
			if ch.FinishReason != "" {
				finishes = append(finishes, [2]string{ch.FinishReason, ch.NativeFinishReason})
			}
		}
	}
	if want := [][2]string{{"stop", "stop_sequence"}}; !reflect.DeepEqual(finishes, want) {
		t.Fatalf("finish reasons %v, want %v", finishes, want)
	}
}
