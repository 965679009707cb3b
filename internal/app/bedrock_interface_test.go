package app_test

// These tests drive the /bedrock interface the way boto3 and the AWS SDKs
// do: the real aws-sdk-go-v2 bedrockruntime client, SigV4 off, the gateway
// key as a bearer token, against the whole handler tree, with Bedrock-backed
// models behind the loopback AWS fakes (AssumeRole per department) and
// OpenAI-backed models behind a loopback OpenAI.

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/document"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/types"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/auth/bearer"
	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"

	"github.com/tollgate-gw/tollgate/internal/app"
	"github.com/tollgate-gw/tollgate/internal/awsfake"
	"github.com/tollgate-gw/tollgate/internal/provider/openai/openaitest"
)

const (
	claudeID = "us.anthropic.claude-sonnet-4-6"
	// promptA lives in department A's account, promptB in B's; both in
	// us-west-2, where both departments have a deployment.
	promptA = "arn:aws:bedrock:us-west-2:222222222222:prompt/PRMPTA0001"
	promptB = "arn:aws:bedrock:us-west-2:333333333333:prompt/PRMPTB0001"
)

// brGateway is the assembled gateway behind TLS (the SDKs send bearer
// tokens only over HTTPS), with its fakes.
type brGateway struct {
	gw      *httptest.Server
	bedrock *awsfake.Bedrock
	sts     *awsfake.STS
	up      *openaitest.Server
	// release lets the "gated" upstream finish its stream.
	release     chan struct{}
	releaseOnce sync.Once
}

func (g *brGateway) releaseGate() { g.releaseOnce.Do(func() { close(g.release) }) }

// sdk returns a bedrockruntime client configured as a Tollgate user
// configures boto3: endpoint_url is the gateway's /bedrock, SigV4 off, the
// gateway key as the bearer token, no retries.
func (g *brGateway) sdk(key string) *bedrockruntime.Client {
	return bedrockruntime.New(bedrockruntime.Options{
		Region:                  "us-west-2",
		BaseEndpoint:            aws.String(g.gw.URL + "/bedrock"),
		BearerAuthTokenProvider: bearer.StaticTokenProvider{Token: bearer.Token{Value: key}},
		AuthSchemePreference:    []string{"httpBearerAuth"},
		RetryMaxAttempts:        1,
		HTTPClient:              awsfake.OwnBodyClient{Client: g.gw.Client()},
	})
}

func (g *brGateway) openai() openai.Client {
	return openai.NewClient(option.WithBaseURL(g.gw.URL+"/v1/"), option.WithAPIKey(masterKey),
		option.WithMaxRetries(0), option.WithHTTPClient(g.gw.Client()))
}

// toolUpstream answers like OpenAI for the interface tests: the weather
// tool conversation (a call, then an answer once the tool result is in),
// plain and streamed; a 429; a stream that breaks; and a stream that holds
// back everything after its first content until the test releases it.
func toolUpstream(release <-chan struct{}) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		var req struct {
			Model    string            `json:"model"`
			Stream   bool              `json:"stream"`
			Tools    []json.RawMessage `json:"tools"`
			Messages []struct {
				Role string `json:"role"`
			} `json:"messages"`
		}
		_ = json.Unmarshal(body, &req)
		chunk := func(delta, finish string) string {
			if finish != "" {
				finish = `"` + finish + `"`
			} else {
				finish = "null"
			}
			return `{"id":"s","object":"chat.completion.chunk","created":1,"model":"gpt-4o","choices":[{"index":0,"delta":` +
				delta + `,"finish_reason":` + finish + `}]}`
		}
		usage := `{"id":"s","object":"chat.completion.chunk","created":1,"model":"gpt-4o","choices":[],"usage":{"prompt_tokens":9,"completion_tokens":2,"total_tokens":11}}`
		last := ""
		if n := len(req.Messages); n > 0 {
			last = req.Messages[n-1].Role
		}
		switch {
		case req.Model == "rate-limited":
			openaitest.JSON(429, `{"error":{"message":"Rate limit reached","type":"requests","code":"rate_limit_exceeded"}}`, "Retry-After", "7")(w, r)
		case req.Model == "breaks-midstream":
			openaitest.SSE(chunk(`{"role":"assistant","content":"Hel"}`, ""),
				`{"error":{"message":"upstream overloaded","type":"server_error"}}`)(w, r)
		case req.Model == "gated":
			openaitest.StartSSE(w)
			openaitest.WriteEvent(w, chunk(`{"role":"assistant","content":"Hel"}`, ""))
			select {
			case <-release:
			case <-r.Context().Done():
				return
			}
			openaitest.WriteEvent(w, chunk(`{"content":"lo"}`, ""))
			openaitest.WriteEvent(w, chunk(`{}`, "stop"))
			openaitest.WriteEvent(w, usage)
			openaitest.WriteEvent(w, "[DONE]")
		case len(req.Tools) > 0 && last == "user" && req.Stream:
			openaitest.SSE(
				chunk(`{"role":"assistant","content":null,"tool_calls":[{"index":0,"id":"call_1","type":"function","function":{"name":"get_weather","arguments":""}}]}`, ""),
				chunk(`{"tool_calls":[{"index":0,"function":{"arguments":"{\"city\":"}}]}`, ""),
				chunk(`{"tool_calls":[{"index":0,"function":{"arguments":"\"Paris\"}"}}]}`, ""),
				chunk(`{}`, "tool_calls"), usage, "[DONE]")(w, r)
		case len(req.Tools) > 0 && last == "user":
			openaitest.JSON(200, `{"id":"c1","object":"chat.completion","created":1,"model":"gpt-4o","choices":[{"index":0,"message":{"role":"assistant","content":null,"tool_calls":[{"id":"call_1","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Paris\"}"}}]},"finish_reason":"tool_calls"}],"usage":{"prompt_tokens":20,"completion_tokens":5,"total_tokens":25}}`)(w, r)
		case last == "tool" && req.Stream:
			openaitest.SSE(chunk(`{"role":"assistant","content":"It is sunny "}`, ""), chunk(`{"content":"in Paris."}`, ""),
				chunk(`{}`, "stop"), usage, "[DONE]")(w, r)
		case last == "tool":
			openaitest.JSON(200, `{"id":"c2","object":"chat.completion","created":1,"model":"gpt-4o","choices":[{"index":0,"message":{"role":"assistant","content":"It is sunny in Paris."},"finish_reason":"stop"}],"usage":{"prompt_tokens":30,"completion_tokens":6,"total_tokens":36}}`)(w, r)
		default:
			openaitest.JSON(200, `{"id":"c0","object":"chat.completion","created":1,"model":"gpt-4o","choices":[{"index":0,"message":{"role":"assistant","content":"Hello there"},"finish_reason":"stop"}],"usage":{"prompt_tokens":9,"completion_tokens":2,"total_tokens":11}}`)(w, r)
		}
	}
}

func newBRGateway(t *testing.T) *brGateway {
	t.Helper()
	iam := awsfake.NewIAM(time.Now)
	user := iam.AddUser(gatewayUser)
	iam.AddRole(awsfake.Role{ARN: roleDeptA, Trust: []awsfake.Trust{{Principal: gatewayUser, ExternalID: "ext-a"}}})
	iam.AddRole(awsfake.Role{ARN: roleDeptB, Trust: []awsfake.Trust{{Principal: gatewayUser, ExternalID: "ext-b"}}})
	g := &brGateway{sts: awsfake.NewSTS(iam, nil), bedrock: awsfake.NewBedrock(iam, nil), release: make(chan struct{})}
	g.bedrock.AddPrompt(awsfake.Prompt{ARN: promptA, Template: "Write a {{tone}} poem about {{topic}}."})
	g.bedrock.AddPrompt(awsfake.Prompt{ARN: promptB, Template: "Summarise {{doc}}."})
	stsSrv, brSrv := httptest.NewServer(g.sts), httptest.NewServer(g.bedrock)
	t.Cleanup(func() { stsSrv.Close(); brSrv.Close() })
	// Cleanups run last-in first-out: the gate opens before the upstream
	// server waits for its handlers.
	g.up = openaitest.NewServer(t, toolUpstream(g.release))
	t.Cleanup(g.releaseGate)

	t.Setenv("AWS_ACCESS_KEY_ID", user.AccessKeyID)
	t.Setenv("AWS_SECRET_ACCESS_KEY", user.SecretAccessKey)
	t.Setenv("AWS_SESSION_TOKEN", "")
	t.Setenv("AWS_REGION", "us-east-1")
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	t.Setenv("AWS_BEARER_TOKEN_BEDROCK", "") // the SDK client must not switch auth from the environment

	bedrockDep := func(name, role, session, ext string) string {
		return `
  - model_name: ` + name + `
    model_info: {id: ` + name + `}
    litellm_params:
      model: bedrock/` + claudeID + `
      aws_region_name: us-west-2
      aws_role_name: ` + role + `
      aws_session_name: ` + session + `
      aws_external_id: ` + ext + `
      aws_sts_endpoint: ` + stsSrv.URL + `
      aws_bedrock_runtime_endpoint: ` + brSrv.URL
	}
	// num_retries: 0, or the router would honour rate-limited's
	// Retry-After of 7 s twice before answering.
	openaiDep := func(name, model string) string {
		return `
  - model_name: ` + name + `
    litellm_params: {model: openai/` + model + `, api_base: "` + g.up.URL + `/v1", api_key: sk-upstream, num_retries: 0}`
	}
	// Department B comes first, so that promptA running as department A
	// proves the exact account match, not config order.
	cfg := "model_list:" + bedrockDep("claude-dept-b", roleDeptB, "tollgate-dept-b", "ext-b") +
		bedrockDep("claude-dept-a", roleDeptA, "tollgate-dept-a", "ext-a") +
		openaiDep("gpt-4o", "gpt-4o") + openaiDep("limited", "rate-limited") + openaiDep("flaky", "breaks-midstream") +
		openaiDep("gated", "gated") + "\n"
	path := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	dataDir := t.TempDir()
	a, err := app.New(context.Background(), app.Options{
		ConfigPaths: []string{path},
		LookupEnv: func(k string) (string, bool) {
			if k == "TOLLGATE_DATA_DIR" { // not the package directory, shared by every test
				return dataDir, true
			}
			if k == "TOLLGATE_MASTER_KEY" {
				return masterKey, true
			}
			return os.LookupEnv(k)
		},
		Logger: slog.New(slog.NewJSONHandler(io.Discard, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	g.gw = httptest.NewTLSServer(a.Handler)
	t.Cleanup(func() { g.gw.Close(); a.Close() })
	return g
}

var weatherTool = &types.ToolConfiguration{Tools: []types.Tool{&types.ToolMemberToolSpec{Value: types.ToolSpecification{
	Name:        aws.String("get_weather"),
	Description: aws.String("Current weather in a city"),
	InputSchema: &types.ToolInputSchemaMemberJson{Value: document.NewLazyDocument(map[string]any{
		"type": "object", "properties": map[string]any{"city": map[string]any{"type": "string"}}, "required": []any{"city"}})},
}}}}

func userText(s string) types.Message {
	return types.Message{Role: types.ConversationRoleUser, Content: []types.ContentBlock{&types.ContentBlockMemberText{Value: s}}}
}

// toolTurns is the conversation after the model called the tool: the
// question, the model's toolUse, and the tool's result.
func toolTurns(toolUseID string) []types.Message {
	return []types.Message{
		userText("What is the weather in Paris?"),
		{Role: types.ConversationRoleAssistant, Content: []types.ContentBlock{&types.ContentBlockMemberToolUse{Value: types.ToolUseBlock{
			ToolUseId: aws.String(toolUseID), Name: aws.String("get_weather"), Input: document.NewLazyDocument(map[string]any{"city": "Paris"})}}}},
		{Role: types.ConversationRoleUser, Content: []types.ContentBlock{&types.ContentBlockMemberToolResult{Value: types.ToolResultBlock{
			ToolUseId: aws.String(toolUseID), Content: []types.ToolResultContentBlock{&types.ToolResultContentBlockMemberText{Value: "sunny, 21C"}}}}}},
	}
}

func docString(t *testing.T, d document.Interface) string {
	t.Helper()
	var v any
	if err := d.UnmarshalSmithyDocument(&v); err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// streamed is a ConverseStream drained: the text, the tool calls as
// "id name input", the stop reason, the usage and the stream's error.
type streamed struct {
	text   string
	tools  []string
	stop   types.StopReason
	output int32
	err    error
}

func drain(t *testing.T, out *bedrockruntime.ConverseStreamOutput) streamed {
	t.Helper()
	s := out.GetStream()
	defer s.Close()
	var r streamed
	var text strings.Builder
	var tool *[3]string
	for ev := range s.Events() {
		switch e := ev.(type) {
		case *types.ConverseStreamOutputMemberContentBlockStart:
			if tu, ok := e.Value.Start.(*types.ContentBlockStartMemberToolUse); ok {
				tool = &[3]string{aws.ToString(tu.Value.ToolUseId), aws.ToString(tu.Value.Name)}
			}
		case *types.ConverseStreamOutputMemberContentBlockDelta:
			switch d := e.Value.Delta.(type) {
			case *types.ContentBlockDeltaMemberText:
				text.WriteString(d.Value)
			case *types.ContentBlockDeltaMemberToolUse:
				tool[2] += aws.ToString(d.Value.Input)
			}
		case *types.ConverseStreamOutputMemberContentBlockStop:
			if tool != nil {
				r.tools = append(r.tools, strings.Join(tool[:], " "))
				tool = nil
			}
		case *types.ConverseStreamOutputMemberMessageStop:
			r.stop = e.Value.StopReason
		case *types.ConverseStreamOutputMemberMetadata:
			r.output = aws.ToInt32(e.Value.Usage.OutputTokens)
		}
	}
	r.text, r.err = text.String(), s.Err()
	return r
}

// bedrockEvent builds a scripted ConverseStream event.
func bedrockEvent(typ, payload string) awsfake.Event {
	return awsfake.Event{Type: typ, Payload: json.RawMessage(payload)}
}

// scriptBedrockTools scripts the fake Bedrock model for the weather tool
// conversation: Converse then ConverseStream, each a tool call then, once
// the result is in, the answer.
func scriptBedrockTools(br *awsfake.Bedrock) {
	br.Reset()
	br.Script(claudeID,
		awsfake.Reply{Body: json.RawMessage(`{"output":{"message":{"role":"assistant","content":[{"toolUse":{"toolUseId":"tooluse_1","name":"get_weather","input":{"city":"Paris"}}}]}},"stopReason":"tool_use","usage":{"inputTokens":20,"outputTokens":5,"totalTokens":25},"metrics":{"latencyMs":3}}`)},
		awsfake.Reply{Body: json.RawMessage(`{"output":{"message":{"role":"assistant","content":[{"text":"It is sunny in Paris."}]}},"stopReason":"end_turn","usage":{"inputTokens":30,"outputTokens":6,"totalTokens":36},"metrics":{"latencyMs":3}}`)},
		awsfake.Reply{Events: []awsfake.Event{
			bedrockEvent("messageStart", `{"role":"assistant"}`),
			bedrockEvent("contentBlockStart", `{"contentBlockIndex":0,"start":{"toolUse":{"toolUseId":"tooluse_1","name":"get_weather"}}}`),
			bedrockEvent("contentBlockDelta", `{"contentBlockIndex":0,"delta":{"toolUse":{"input":"{\"city\":"}}}`),
			bedrockEvent("contentBlockDelta", `{"contentBlockIndex":0,"delta":{"toolUse":{"input":"\"Paris\"}"}}}`),
			bedrockEvent("contentBlockStop", `{"contentBlockIndex":0}`),
			bedrockEvent("messageStop", `{"stopReason":"tool_use"}`),
			bedrockEvent("metadata", `{"usage":{"inputTokens":20,"outputTokens":2,"totalTokens":22},"metrics":{"latencyMs":3}}`),
		}},
		awsfake.Reply{Events: []awsfake.Event{
			bedrockEvent("messageStart", `{"role":"assistant"}`),
			bedrockEvent("contentBlockDelta", `{"contentBlockIndex":0,"delta":{"text":"It is sunny "}}`),
			bedrockEvent("contentBlockDelta", `{"contentBlockIndex":0,"delta":{"text":"in Paris."}}`),
			bedrockEvent("contentBlockStop", `{"contentBlockIndex":0}`),
			bedrockEvent("messageStop", `{"stopReason":"end_turn"}`),
			bedrockEvent("metadata", `{"usage":{"inputTokens":30,"outputTokens":2,"totalTokens":32},"metrics":{"latencyMs":3}}`),
		}},
	)
}

// TestBedrockInterfaceTools: Converse and ConverseStream with tools on a
// Bedrock-backed and an OpenAI-backed model: the toolUse comes out, the
// toolResult goes back in, and the answer follows, each in Converse's shape
// as the SDK decodes it.
func TestBedrockInterfaceTools(t *testing.T) {
	g := newBRGateway(t)
	client := g.sdk(masterKey)
	ctx := context.Background()
	for _, tt := range []struct {
		model, toolUseID string
		// upstreamSawResult checks that the last upstream call carried the
		// tool result in the upstream's own shape.
		upstreamSawResult func(t *testing.T)
	}{
		{model: "claude-dept-a", toolUseID: "tooluse_1", upstreamSawResult: func(t *testing.T) {
			calls := g.bedrock.Calls()
			c := calls[len(calls)-1]
			if !strings.Contains(string(c.Body), `"toolResult":{"content":[{"text":"sunny, 21C"}],"toolUseId":"tooluse_1"}`) &&
				!strings.Contains(string(c.Body), `"toolResult":{"toolUseId":"tooluse_1","content":[{"text":"sunny, 21C"}]}`) {
				t.Errorf("Bedrock did not get the tool result: %s", c.Body)
			}
			if !strings.HasPrefix(c.Principal, "arn:aws:sts::222222222222:assumed-role/TollgateBedrockAccess/tollgate-dept-a") {
				t.Errorf("signed by %s", c.Principal)
			}
		}},
		{model: "gpt-4o", toolUseID: "call_1", upstreamSawResult: func(t *testing.T) {
			var msgs []struct {
				Role       string `json:"role"`
				ToolCallID string `json:"tool_call_id"`
				Content    any    `json:"content"`
			}
			last := g.up.Last(t)
			if err := json.Unmarshal(last.Field("messages"), &msgs); err != nil {
				t.Fatal(err)
			}
			toolMsg := msgs[len(msgs)-1]
			if toolMsg.Role != "tool" || toolMsg.ToolCallID != "call_1" || !strings.Contains(jsonOf(toolMsg.Content), "sunny, 21C") ||
				msgs[1].Role != "assistant" {
				t.Errorf("OpenAI did not get the tool result: %+v", msgs)
			}
		}},
	} {
		t.Run(tt.model, func(t *testing.T) {
			scriptBedrockTools(g.bedrock)
			out, err := client.Converse(ctx, &bedrockruntime.ConverseInput{ModelId: aws.String(tt.model),
				Messages: []types.Message{userText("What is the weather in Paris?")}, ToolConfig: weatherTool})
			if err != nil {
				t.Fatal(err)
			}
			content := out.Output.(*types.ConverseOutputMemberMessage).Value.Content
			tu, ok := content[len(content)-1].(*types.ContentBlockMemberToolUse)
			if !ok || aws.ToString(tu.Value.ToolUseId) != tt.toolUseID || aws.ToString(tu.Value.Name) != "get_weather" ||
				docString(t, tu.Value.Input) != `{"city":"Paris"}` || out.StopReason != types.StopReasonToolUse {
				t.Fatalf("converse tool call: %#v stop %s", content, out.StopReason)
			}
			out, err = client.Converse(ctx, &bedrockruntime.ConverseInput{ModelId: aws.String(tt.model),
				Messages: toolTurns(tt.toolUseID), ToolConfig: weatherTool})
			if err != nil {
				t.Fatal(err)
			}
			tx := out.Output.(*types.ConverseOutputMemberMessage).Value.Content[0].(*types.ContentBlockMemberText)
			if tx.Value != "It is sunny in Paris." || out.StopReason != types.StopReasonEndTurn || aws.ToInt32(out.Usage.OutputTokens) != 6 {
				t.Fatalf("converse answer %q stop %s usage %+v", tx.Value, out.StopReason, out.Usage)
			}
			tt.upstreamSawResult(t)

			sout, err := client.ConverseStream(ctx, &bedrockruntime.ConverseStreamInput{ModelId: aws.String(tt.model),
				Messages: []types.Message{userText("What is the weather in Paris?")}, ToolConfig: weatherTool})
			if err != nil {
				t.Fatal(err)
			}
			r := drain(t, sout)
			if r.err != nil || len(r.tools) != 1 || r.tools[0] != tt.toolUseID+` get_weather {"city":"Paris"}` ||
				r.stop != types.StopReasonToolUse || r.output != 2 {
				t.Fatalf("stream tool call: %+v", r)
			}
			sout, err = client.ConverseStream(ctx, &bedrockruntime.ConverseStreamInput{ModelId: aws.String(tt.model),
				Messages: toolTurns(tt.toolUseID), ToolConfig: weatherTool})
			if err != nil {
				t.Fatal(err)
			}
			if r := drain(t, sout); r.err != nil || r.text != "It is sunny in Paris." || r.stop != types.StopReasonEndTurn || r.output != 2 {
				t.Fatalf("stream answer: %+v", r)
			}
			tt.upstreamSawResult(t)
		})
	}
}

func jsonOf(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// apiError asserts err is the SDK's modelled exception E (not a generic
// API error) and returns its message.
func apiError[E smithy.APIError](t *testing.T, err error) string {
	t.Helper()
	var e E
	if !errors.As(err, &e) {
		t.Fatalf("error %T %v, want %T", err, err, e)
	}
	return e.ErrorMessage()
}

// TestBedrockInterfaceErrors: failures surface in the SDK as the typed
// exceptions a Bedrock user expects.
func TestBedrockInterfaceErrors(t *testing.T) {
	g := newBRGateway(t)
	client := g.sdk(masterKey)
	ctx := context.Background()
	converse := func(c *bedrockruntime.Client, model string, msgs ...types.Message) error {
		if msgs == nil {
			msgs = []types.Message{userText("hi")}
		}
		_, err := c.Converse(ctx, &bedrockruntime.ConverseInput{ModelId: aws.String(model), Messages: msgs})
		return err
	}
	t.Run("unknown model", func(t *testing.T) {
		msg := apiError[*types.ResourceNotFoundException](t, converse(client, "no-such-model"))
		if !strings.Contains(msg, `"no-such-model"`) {
			t.Errorf("message %q", msg)
		}
	})
	// A refused key is AccessDeniedException: Bedrock has no 401, and this
	// is the exception its SDKs raise as a type for a refused caller (an
	// OpenAI-shaped 401, as LiteLLM answers, reaches boto3 as an untyped
	// ClientError).
	t.Run("bad key", func(t *testing.T) {
		msg := apiError[*types.AccessDeniedException](t, converse(g.sdk("sk-wrong"), "gpt-4o"))
		if msg != "invalid API key" {
			t.Errorf("message %q", msg)
		}
	})
	t.Run("malformed body from the SDK", func(t *testing.T) {
		video := types.Message{Role: types.ConversationRoleUser, Content: []types.ContentBlock{&types.ContentBlockMemberVideo{
			Value: types.VideoBlock{Format: types.VideoFormatMp4, Source: &types.VideoSourceMemberBytes{Value: []byte("v")}}}}}
		msg := apiError[*types.ValidationException](t, converse(client, "gpt-4o", video))
		if !strings.Contains(msg, "messages[0].content[0].video") {
			t.Errorf("message %q", msg)
		}
	})
	t.Run("malformed JSON", func(t *testing.T) {
		req, _ := http.NewRequest("POST", g.gw.URL+"/bedrock/model/gpt-4o/converse", strings.NewReader(`{"messages":[`))
		req.Header.Set("Authorization", "Bearer "+masterKey)
		req.Header.Set("Content-Type", "application/json")
		resp, err := g.gw.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 400 || resp.Header.Get("X-Amzn-Errortype") != "ValidationException" || !json.Valid(body) {
			t.Fatalf("%d %s %s", resp.StatusCode, resp.Header.Get("X-Amzn-Errortype"), body)
		}
	})
	t.Run("upstream throttling, OpenAI", func(t *testing.T) {
		err := converse(client, "limited")
		apiError[*types.ThrottlingException](t, err)
		var re interface{ HTTPStatusCode() int }
		if !errors.As(err, &re) || re.HTTPStatusCode() != 429 {
			t.Errorf("status: %v", err)
		}
	})
	t.Run("upstream throttling, Bedrock", func(t *testing.T) {
		g.bedrock.Reset()
		g.bedrock.Script(claudeID, awsfake.Reply{Fault: &awsfake.Fault{Status: 429, Code: "ThrottlingException", Message: "Too many requests, please wait before trying again."}})
		msg := apiError[*types.ThrottlingException](t, converse(client, "claude-dept-a"))
		if !strings.Contains(msg, "Too many requests") {
			t.Errorf("message %q", msg)
		}
	})
	t.Run("mid-stream failure, OpenAI", func(t *testing.T) {
		out, err := client.ConverseStream(ctx, &bedrockruntime.ConverseStreamInput{ModelId: aws.String("flaky"), Messages: []types.Message{userText("hi")}})
		if err != nil {
			t.Fatal(err)
		}
		r := drain(t, out)
		if r.text != "Hel" || !strings.Contains(apiError[*types.ServiceUnavailableException](t, r.err), "upstream overloaded") {
			t.Fatalf("stream %+v", r)
		}
	})
	t.Run("mid-stream failure, Bedrock", func(t *testing.T) {
		g.bedrock.Reset()
		g.bedrock.Script(claudeID, awsfake.Reply{Events: []awsfake.Event{
			bedrockEvent("messageStart", `{"role":"assistant"}`),
			bedrockEvent("contentBlockDelta", `{"contentBlockIndex":0,"delta":{"text":"Hel"}}`),
		}, StreamFault: &awsfake.Fault{Code: "ThrottlingException", Message: "Too many tokens, please wait before trying again."}})
		out, err := client.ConverseStream(ctx, &bedrockruntime.ConverseStreamInput{ModelId: aws.String("claude-dept-a"), Messages: []types.Message{userText("hi")}})
		if err != nil {
			t.Fatal(err)
		}
		r := drain(t, out)
		if r.text != "Hel" || !strings.Contains(apiError[*types.ThrottlingException](t, r.err), "Too many tokens") {
			t.Fatalf("stream %+v", r)
		}
	})
}

// TestBedrockInterfaceStreamsAsItArrives: the first event reaches the SDK
// while the upstream still holds back the rest of its stream, which it
// sends only once the test has seen that event.
func TestBedrockInterfaceStreamsAsItArrives(t *testing.T) {
	g := newBRGateway(t)
	// The deadline only turns a gateway that buffers (and so never sends
	// the first event) into a failure instead of a hang; nothing waits on
	// it.
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	out, err := g.sdk(masterKey).ConverseStream(ctx, &bedrockruntime.ConverseStreamInput{
		ModelId: aws.String("gated"), Messages: []types.Message{userText("hi")}})
	if err != nil {
		t.Fatal(err)
	}
	s := out.GetStream()
	defer s.Close()
	events := s.Events()
	var early []string
	for len(early) < 2 {
		ev, ok := <-events
		if !ok {
			t.Fatalf("stream ended before the upstream was released: %v", s.Err())
		}
		switch e := ev.(type) {
		case *types.ConverseStreamOutputMemberMessageStart:
			early = append(early, "messageStart")
		case *types.ConverseStreamOutputMemberContentBlockDelta:
			early = append(early, "text "+e.Value.Delta.(*types.ContentBlockDeltaMemberText).Value)
		default:
			t.Fatalf("unexpected early event %T", ev)
		}
	}
	if early[0] != "messageStart" || early[1] != "text Hel" {
		t.Fatalf("early events %q", early)
	}
	g.releaseGate()
	var rest strings.Builder
	var stop types.StopReason
	for ev := range events {
		switch e := ev.(type) {
		case *types.ConverseStreamOutputMemberContentBlockDelta:
			rest.WriteString(e.Value.Delta.(*types.ContentBlockDeltaMemberText).Value)
		case *types.ConverseStreamOutputMemberMessageStop:
			stop = e.Value.StopReason
		}
	}
	if err := s.Err(); err != nil || rest.String() != "lo" || stop != types.StopReasonEndTurn {
		t.Fatalf("rest %q stop %s err %v", rest.String(), stop, err)
	}
}

// TestManagedPrompts: a prompt ARN as the model on both interfaces runs on
// Bedrock with the ARN as the model id and the variables, signed by the
// deployment of the prompt's account; mismatched variables are a 400 that
// lists both sets; a prompt no deployment can run is a clear 404.
func TestManagedPrompts(t *testing.T) {
	g := newBRGateway(t)
	client := g.sdk(masterKey)
	oa := g.openai()
	ctx := context.Background()
	textVars := func(kv ...string) map[string]types.PromptVariableValues {
		m := map[string]types.PromptVariableValues{}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = &types.PromptVariableValuesMemberText{Value: kv[i+1]}
		}
		return m
	}
	// lastPromptCall checks the last Bedrock call ran arn as the model,
	// signed by the role of the prompt's account.
	lastPromptCall := func(t *testing.T, arn, account string) {
		t.Helper()
		calls := g.bedrock.Calls()
		c := calls[len(calls)-1]
		if c.ModelID != arn || c.ErrorCode != "" || !strings.HasPrefix(c.Principal, "arn:aws:sts::"+account+":assumed-role/") {
			t.Fatalf("last Bedrock call %s as %s by %s (error %s)", c.ModelID, c.Operation, c.Principal, c.ErrorCode)
		}
	}

	t.Run("converse", func(t *testing.T) {
		out, err := client.Converse(ctx, &bedrockruntime.ConverseInput{ModelId: aws.String(promptA + ":1"),
			PromptVariables: textVars("topic", "fruit", "tone", "playful")})
		if err != nil {
			t.Fatal(err)
		}
		if got := out.Output.(*types.ConverseOutputMemberMessage).Value.Content[0].(*types.ContentBlockMemberText).Value; got != "Write a playful poem about fruit." {
			t.Fatalf("reply %q", got)
		}
		lastPromptCall(t, promptA+":1", "222222222222")
		_, err = client.Converse(ctx, &bedrockruntime.ConverseInput{ModelId: aws.String(promptB),
			PromptVariables: textVars("doc", "the report")})
		if err != nil {
			t.Fatal(err)
		}
		lastPromptCall(t, promptB, "333333333333")
	})
	t.Run("converse-stream", func(t *testing.T) {
		out, err := client.ConverseStream(ctx, &bedrockruntime.ConverseStreamInput{ModelId: aws.String(promptA),
			PromptVariables: textVars("topic", "rain", "tone", "sad")})
		if err != nil {
			t.Fatal(err)
		}
		if r := drain(t, out); r.err != nil || r.text != "Write a sad poem about rain." {
			t.Fatalf("stream %+v", r)
		}
		lastPromptCall(t, promptA, "222222222222")
	})
	t.Run("raw and encoded ARN in the path", func(t *testing.T) {
		for _, path := range []string{promptA + ":2", url.PathEscape(promptA + ":2")} {
			req, _ := http.NewRequest("POST", g.gw.URL+"/bedrock/model/"+path+"/converse",
				strings.NewReader(`{"promptVariables":{"topic":{"text":"tea"},"tone":{"text":"calm"}}}`))
			req.Header.Set("Authorization", "Bearer "+masterKey)
			req.Header.Set("Content-Type", "application/json")
			resp, err := g.gw.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 || !strings.Contains(string(body), `"text":"Write a calm poem about tea."`) ||
				resp.Header.Get("X-Litellm-Model-Id") != "claude-dept-a" || resp.Header.Get("X-Litellm-Model-Group") != promptA+":2" {
				t.Fatalf("%s: %d %s %v", path, resp.StatusCode, body, resp.Header)
			}
			lastPromptCall(t, promptA+":2", "222222222222")
		}
	})
	t.Run("openai interface", func(t *testing.T) {
		// String values (the plainer OpenAI form) and Converse's
		// {"text": ...} both work.
		resp, err := oa.Chat.Completions.New(ctx, openai.ChatCompletionNewParams{Model: promptA,
			Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("go")}},
			option.WithJSONSet("promptVariables", map[string]any{"topic": map[string]string{"text": "fruit"}, "tone": "dry"}))
		if err != nil {
			t.Fatal(err)
		}
		if resp.Choices[0].Message.Content != "Write a dry poem about fruit." || resp.Model != promptA {
			t.Fatalf("reply %+v", resp)
		}
		lastPromptCall(t, promptA, "222222222222")
		calls := g.bedrock.Calls()
		if body := string(calls[len(calls)-1].Body); !strings.Contains(body, `"tone":{"text":"dry"}`) || !strings.Contains(body, `"text":"go"`) {
			t.Errorf("Bedrock body %s", body)
		}
		stream := oa.Chat.Completions.NewStreaming(ctx, openai.ChatCompletionNewParams{Model: promptB,
			Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("go")}},
			option.WithJSONSet("promptVariables", map[string]any{"doc": "the memo"}))
		var text strings.Builder
		for stream.Next() {
			for _, c := range stream.Current().Choices {
				text.WriteString(c.Delta.Content)
			}
		}
		if err := stream.Err(); err != nil || text.String() != "Summarise the memo." {
			t.Fatalf("stream %q %v", text.String(), err)
		}
		lastPromptCall(t, promptB, "333333333333")
	})
	t.Run("mismatched variables", func(t *testing.T) {
		_, err := client.Converse(ctx, &bedrockruntime.ConverseInput{ModelId: aws.String(promptA),
			PromptVariables: textVars("topic", "fruit", "mood", "odd")})
		msg := apiError[*types.ValidationException](t, err)
		for _, w := range []string{"sent [mood, topic]", "expects [tone, topic]", "missing: tone", "not in the prompt: mood"} {
			if !strings.Contains(msg, w) {
				t.Errorf("bedrock interface: message %q lacks %q", msg, w)
			}
		}
		_, err = oa.Chat.Completions.New(ctx, openai.ChatCompletionNewParams{Model: promptA,
			Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("go")}},
			option.WithJSONSet("promptVariables", map[string]any{"topic": "fruit"}))
		var oe *openai.Error
		if !errors.As(err, &oe) || oe.StatusCode != 400 || !strings.Contains(oe.Message, "sent [topic]") ||
			!strings.Contains(oe.Message, "expects [tone, topic]") || oe.Param != "promptVariables" {
			t.Fatalf("openai interface: %v", err)
		}
	})
	t.Run("no deployment for the prompt", func(t *testing.T) {
		tests := []struct{ arn, want string }{
			{"arn:aws:bedrock:eu-west-1:222222222222:prompt/PRMPTEU001", "is in region eu-west-1 (account 222222222222), where no Bedrock deployment is configured (Bedrock deployments are in us-west-2)"},
			{"arn:aws:bedrock:us-west-2:444444444444:prompt/PRMPTX0001", "belongs to account 444444444444, but the Bedrock deployments in us-west-2 use other accounts"},
		}
		for _, tt := range tests {
			_, err := client.Converse(ctx, &bedrockruntime.ConverseInput{ModelId: aws.String(tt.arn), PromptVariables: textVars("a", "b")})
			if msg := apiError[*types.ResourceNotFoundException](t, err); !strings.Contains(msg, tt.want) || !strings.Contains(msg, "aws_role_name") {
				t.Errorf("bedrock interface: %q lacks %q", msg, tt.want)
			}
			_, err = oa.Chat.Completions.New(ctx, openai.ChatCompletionNewParams{Model: tt.arn,
				Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("go")}})
			var oe *openai.Error
			if !errors.As(err, &oe) || oe.StatusCode != 404 || !strings.Contains(oe.Message, tt.want) {
				t.Errorf("openai interface: %v", err)
			}
		}
	})
}
