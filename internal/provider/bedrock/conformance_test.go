package bedrock_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"

	"github.com/tollgate-gw/tollgate/internal/awscred"
	"github.com/tollgate-gw/tollgate/internal/awsfake"
	"github.com/tollgate-gw/tollgate/internal/provider/bedrock"
	"github.com/tollgate-gw/tollgate/internal/provider/providertest"
	"github.com/tollgate-gw/tollgate/internal/provider/upstream/faulttest"
)

// conformanceExceptions is the exception Bedrock names for each status the
// suite scripts.
var conformanceExceptions = map[int]string{
	http.StatusBadRequest:          "ValidationException",
	http.StatusUnauthorized:        "UnrecognizedClientException",
	http.StatusForbidden:           "AccessDeniedException",
	http.StatusNotFound:            "ResourceNotFoundException",
	http.StatusRequestTimeout:      "ModelTimeoutException",
	http.StatusTooManyRequests:     "ThrottlingException",
	http.StatusInternalServerError: "InternalServerException",
	http.StatusServiceUnavailable:  "ServiceUnavailableException",
}

// TestConformance runs the provider suite over Converse and ConverseStream
// on the fake Bedrock runtime, through the real SDK and SigV4.
func TestConformance(t *testing.T) {
	providertest.Run(t, func(t *testing.T, s providertest.Script) providertest.Upstream {
		h := newHarness(t)
		h.bedrock.Script("", conformanceReply(t, s))
		srv := httptest.NewServer(conformanceHandler(h.bedrock, s))
		t.Cleanup(srv.Close)
		opts := bedrock.Options{ModelID: claude}
		opts.Timeout, opts.StreamTimeout = s.Limits()
		a := h.build(t, awscred.Spec{BedrockRuntimeEndpoint: srv.URL}, opts)
		return providertest.Upstream{Model: a, Bodies: func() [][]byte {
			var out [][]byte
			for _, c := range h.bedrock.Calls() {
				out = append(out, c.Body)
			}
			return out
		}}
	}, providertest.Caps{Name: "bedrock", Wire: true, Tools: true, ImagesIn: true, ExactUsage: true})
}

// conformanceHandler puts in front of the fake what its scripts cannot say:
// a Retry-After header, and a stall (before any answer, or after a stream's
// first events).
func conformanceHandler(b *awsfake.Bedrock, s providertest.Script) http.HandlerFunc {
	switch {
	case s.Scenario == providertest.Fail && s.RetryAfter > 0:
		return func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Retry-After", strconv.Itoa(s.RetryAfter))
			b.ServeHTTP(w, r)
		}
	case s.Scenario == providertest.Stall && !s.Stream:
		stall := faulttest.Stall("", "", s.Gone)
		return func(w http.ResponseWriter, r *http.Request) {
			signal(s.Started)
			stall(w, r)
		}
	case s.Scenario == providertest.Stall:
		return func(w http.ResponseWriter, r *http.Request) {
			signal(s.Started)
			b.ServeHTTP(w, r)
			<-r.Context().Done()
			signal(s.Gone)
		}
	}
	return b.ServeHTTP
}

// signal closes c, when there is one.
func signal(c chan<- struct{}) {
	if c != nil {
		close(c)
	}
}

func conformanceReply(t *testing.T, s providertest.Script) awsfake.Reply {
	t.Helper()
	ev := func(typ string, payload any) awsfake.Event {
		b, err := json.Marshal(payload)
		if err != nil {
			t.Fatal(err)
		}
		return awsfake.Event{Type: typ, Payload: b}
	}
	type m = map[string]any
	usage := m{"inputTokens": providertest.PromptTokens, "outputTokens": providertest.CompletionTokens,
		"totalTokens": providertest.PromptTokens + providertest.CompletionTokens}
	start := ev("messageStart", m{"role": "assistant"})
	delta := func(d m) awsfake.Event { return ev("contentBlockDelta", m{"contentBlockIndex": 0, "delta": d}) }
	first := delta(m{"text": providertest.ReplyFirst})
	end := func(stop string) []awsfake.Event {
		return []awsfake.Event{ev("contentBlockStop", m{"contentBlockIndex": 0}), ev("messageStop", m{"stopReason": stop}),
			ev("metadata", m{"usage": usage, "metrics": m{"latencyMs": 3}})}
	}
	body := func(content m, stop string) json.RawMessage {
		b, err := json.Marshal(m{"output": m{"message": m{"role": "assistant", "content": []m{content}}}, "stopReason": stop,
			"usage": usage, "metrics": m{"latencyMs": 3}})
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	switch s.Scenario {
	case providertest.Text:
		rest := providertest.ReplyText[len(providertest.ReplyFirst):]
		return awsfake.Reply{Body: body(m{"text": providertest.ReplyText}, "end_turn"),
			Events: append([]awsfake.Event{start, first, delta(m{"text": rest})}, end("end_turn")...)}
	case providertest.ToolCall:
		var input any
		if err := json.Unmarshal([]byte(providertest.ToolArgs), &input); err != nil {
			t.Fatal(err)
		}
		args := providertest.ToolArgs
		return awsfake.Reply{
			Body: body(m{"toolUse": m{"toolUseId": providertest.ToolID, "name": providertest.ToolName, "input": input}}, "tool_use"),
			Events: append([]awsfake.Event{start,
				ev("contentBlockStart", m{"contentBlockIndex": 0, "start": m{"toolUse": m{"toolUseId": providertest.ToolID, "name": providertest.ToolName}}}),
				delta(m{"toolUse": m{"input": args[:5]}}), delta(m{"toolUse": m{"input": args[5:]}}),
			}, end("tool_use")...)}
	case providertest.Fail:
		return awsfake.Reply{Fault: &awsfake.Fault{Status: s.Status, Code: conformanceExceptions[s.Status], Message: providertest.ErrorMessage}}
	case providertest.MidStreamFail:
		return awsfake.Reply{Events: []awsfake.Event{start, first},
			StreamFault: &awsfake.Fault{Code: "ModelStreamErrorException", Message: providertest.ErrorMessage}}
	case providertest.Stall:
		return awsfake.Reply{Events: []awsfake.Event{start, first}}
	}
	panic(fmt.Sprintf("unknown scenario %d", s.Scenario))
}
