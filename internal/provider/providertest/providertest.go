// Package providertest is the conformance suite every provider adapter
// passes, the way every store driver passes storetest: chat, streams with
// usage, tools, images in, upstream errors mapped to provider.Error kinds
// (mid-stream failures included), cancellation when the client leaves,
// timeouts, and usage reported exactly as the upstream counted it.
//
// The suite is wire-neutral: it describes each upstream behaviour as a
// Script, and the adapter's test turns the Script into its own wire format
// on its own loopback fake (openaitest, awsfake, faulttest). What an
// adapter cannot do is declared in Caps, and the parts that need it are
// skipped with a message naming the cap.
package providertest

import (
	"testing"
	"time"

	"github.com/tollgate-gw/tollgate/internal/provider"
)

// The canonical replies every Script asks the upstream for.
const (
	// ReplyText is the text reply; streams send it as ReplyFirst then the rest.
	ReplyText  = "Hello there"
	ReplyFirst = "Hello"
	// PromptTokens and CompletionTokens are the usage the upstream reports.
	PromptTokens     = 9
	CompletionTokens = 2
	// ToolID, ToolName and ToolArgs are the one tool call of a ToolCall reply.
	ToolID   = "call_A"
	ToolName = "get_weather"
	ToolArgs = `{"location":"Paris"}`
	// ErrorMessage is the message of every scripted upstream error.
	ErrorMessage = "scripted upstream failure"
)

// Scenario is what the scripted upstream does.
type Scenario int

const (
	// Text answers ReplyText with usage PromptTokens/CompletionTokens.
	Text Scenario = iota
	// ToolCall answers one call of ToolName with ToolArgs, id ToolID.
	ToolCall
	// Fail answers Script.Status with ErrorMessage (and Retry-After when
	// Script.RetryAfter is set) before any reply.
	Fail
	// MidStreamFail starts a stream, sends ReplyFirst, then the wire's
	// in-stream error carrying ErrorMessage.
	MidStreamFail
	// Stall reads the request, closes Script.Started, then (for a stream,
	// after sending its first chunks, up to ReplyFirst) sends nothing until
	// the client goes away, and closes Script.Gone then.
	Stall
)

// Script is one upstream behaviour.
type Script struct {
	Scenario Scenario
	// Stream tells the upstream that the call is a stream.
	Stream bool
	// Status is the HTTP status of a Fail.
	Status int
	// RetryAfter is the Retry-After of a Fail in seconds, zero for none.
	RetryAfter int
	// Timeout and StreamTimeout, when not zero, are the adapter's timeout
	// and stream_timeout (see package upstream for what each bounds).
	Timeout, StreamTimeout time.Duration
	// Started and Gone are closed by a Stall (either may be nil).
	Started, Gone chan<- struct{}
}

// Limits are the timeout and stream timeout an adapter under test is
// built with: the script's, and a minute where it sets none, so that only
// the rows about timeouts ever time out.
func (s Script) Limits() (timeout, streamTimeout time.Duration) {
	timeout, streamTimeout = time.Minute, time.Minute
	if s.Timeout != 0 {
		timeout = s.Timeout
	}
	if s.StreamTimeout != 0 {
		streamTimeout = s.StreamTimeout
	}
	return timeout, streamTimeout
}

// Upstream is an adapter wired to one scripted upstream.
type Upstream struct {
	Model provider.ChatModel
	// Bodies returns the raw request bodies the upstream received; nil for
	// an adapter without a wire (Caps.Wire false).
	Bodies func() [][]byte
}

// Factory builds an adapter whose upstream follows s. It registers cleanups
// with t.
type Factory func(t *testing.T, s Script) Upstream

// Caps says what an adapter supports; the suite skips the rest by name.
type Caps struct {
	// Name is the provider.Error.Provider the adapter reports.
	Name string
	// Wire: the adapter talks to an upstream over the network, so it has
	// upstream errors, timeouts, and request bodies to inspect.
	Wire bool
	// Tools: tool definitions go up and tool calls come back.
	Tools bool
	// ImagesIn: image parts in user messages reach the model.
	ImagesIn bool
	// ExactUsage: usage is the upstream's count, not an estimate.
	ExactUsage bool
}

// Run runs the conformance suite against the adapters factory builds.
func Run(t *testing.T, factory Factory, caps Caps) {
	suites := []struct {
		name string
		need string // the cap the part needs, "" for none
		run  func(t *testing.T, h *harness)
	}{
		{"Chat", "", testChat},
		{"Stream", "", testStream},
		{"UsageExact", "ExactUsage", testUsageExact},
		{"Tools", "Tools", testTools},
		{"ImagesIn", "ImagesIn", testImagesIn},
		{"Errors", "Wire", testErrors},
		{"MidStreamFailure", "Wire", testMidStream},
		{"ClientLeaves", "", testClientLeaves},
		{"Timeouts", "Wire", testTimeouts},
	}
	for _, s := range suites {
		t.Run(s.name, func(t *testing.T) {
			t.Parallel()
			if !caps.has(s.need) {
				t.Skipf("%s does not declare Caps.%s", caps.Name, s.need)
			}
			s.run(t, &harness{factory: factory, caps: caps})
		})
	}
}

func (c Caps) has(name string) bool {
	switch name {
	case "":
		return true
	case "Wire":
		return c.Wire
	case "Tools":
		return c.Tools
	case "ImagesIn":
		return c.ImagesIn
	case "ExactUsage":
		return c.ExactUsage
	}
	panic("providertest: unknown cap " + name)
}

type harness struct {
	factory Factory
	caps    Caps
}
