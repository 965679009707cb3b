package openaitest

import (
	"fmt"
	"net/http"
	"strconv"
	"sync"

	"github.com/tollgate-gw/tollgate/internal/provider/providertest"
	"github.com/tollgate-gw/tollgate/internal/provider/upstream/faulttest"
)

// Conformance answers as an OpenAI-wire upstream following s, for
// providertest.Run.
func Conformance(s providertest.Script) http.HandlerFunc {
	chunk := func(delta, finish string) string {
		if finish == "" {
			finish = "null"
		} else {
			finish = strconv.Quote(finish)
		}
		return `{"id":"chatcmpl-c","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":` + delta +
			`,"finish_reason":` + finish + `}]}`
	}
	text := func(s string) string { return `{"content":` + strconv.Quote(s) + `}` }
	usage := fmt.Sprintf(`{"prompt_tokens":%d,"completion_tokens":%d,"total_tokens":%d}`,
		providertest.PromptTokens, providertest.CompletionTokens, providertest.PromptTokens+providertest.CompletionTokens)
	usageChunk := `{"id":"chatcmpl-c","object":"chat.completion.chunk","created":1,"model":"m","choices":[],"usage":` + usage + `}`
	errBody := func(typ string) string {
		return `{"error":{"message":"` + providertest.ErrorMessage + `","type":"` + typ + `","param":null,"code":null}}`
	}
	first := chunk(`{"role":"assistant","content":""}`, "")
	switch s.Scenario {
	case providertest.Text:
		if s.Stream {
			rest := providertest.ReplyText[len(providertest.ReplyFirst):]
			return SSE(first, chunk(text(providertest.ReplyFirst), ""), chunk(text(rest), ""), chunk(`{}`, "stop"), usageChunk, "[DONE]")
		}
		return JSON(http.StatusOK, `{"id":"chatcmpl-c","object":"chat.completion","created":1,"model":"m","choices":[{"index":0,`+
			`"message":{"role":"assistant","content":`+strconv.Quote(providertest.ReplyText)+`},"finish_reason":"stop"}],"usage":`+usage+`}`)
	case providertest.ToolCall:
		call := `{"id":"` + providertest.ToolID + `","type":"function","function":{"name":"` + providertest.ToolName + `","arguments":` +
			strconv.Quote(providertest.ToolArgs) + `}}`
		if s.Stream {
			head := `{"index":0,"id":"` + providertest.ToolID + `","type":"function","function":{"name":"` + providertest.ToolName + `","arguments":""}}`
			args := providertest.ToolArgs
			frag := func(a string) string {
				return chunk(`{"tool_calls":[{"index":0,"function":{"arguments":`+strconv.Quote(a)+`}}]}`, "")
			}
			return SSE(chunk(`{"role":"assistant","content":null,"tool_calls":[`+head+`]}`, ""), frag(args[:5]), frag(args[5:]),
				chunk(`{}`, "tool_calls"), usageChunk, "[DONE]")
		}
		return JSON(http.StatusOK, `{"id":"chatcmpl-c","object":"chat.completion","created":1,"model":"m","choices":[{"index":0,`+
			`"message":{"role":"assistant","content":null,"tool_calls":[`+call+`]},"finish_reason":"tool_calls"}],"usage":`+usage+`}`)
	case providertest.Fail:
		var headers []string
		if s.RetryAfter > 0 {
			headers = []string{"Retry-After", strconv.Itoa(s.RetryAfter)}
		}
		return JSON(s.Status, errBody("invalid_request_error"), headers...)
	case providertest.MidStreamFail:
		return SSE(first, chunk(text(providertest.ReplyFirst), ""), errBody("server_error"))
	case providertest.Stall:
		prefix, contentType := "", ""
		if s.Stream {
			contentType = "text/event-stream"
			prefix = "data: " + first + "\n\ndata: " + chunk(text(providertest.ReplyFirst), "") + "\n\n"
		}
		stall := faulttest.Stall(contentType, prefix, s.Gone)
		var once sync.Once
		return func(w http.ResponseWriter, r *http.Request) {
			if s.Started != nil {
				once.Do(func() { close(s.Started) })
			}
			stall(w, r)
		}
	}
	panic(fmt.Sprintf("openaitest: unknown scenario %d", s.Scenario))
}

// Bodies returns the request bodies srv has received, for
// providertest.Upstream.
func Bodies(srv *Server) func() [][]byte {
	return func() [][]byte {
		calls := srv.Calls()
		out := make([][]byte, len(calls))
		for i, c := range calls {
			out[i] = c.Body
		}
		return out
	}
}
