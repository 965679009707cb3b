package llm

import (
	"encoding/json"
	"fmt"
)

// Role is the author of a message.
type Role string

// Message roles. RoleDeveloper is OpenAI's newer spelling of RoleSystem; codecs
// keep whichever the client sent.
const (
	RoleSystem    Role = "system"
	RoleDeveloper Role = "developer"
	RoleUser      Role = "user"
	RoleAssistant Role = "assistant"
	RoleTool      Role = "tool"
)

// Request is one chat completion call. Optional parameters are pointers so
// that "not set" and the zero value stay different: a gateway must forward
// exactly what the client asked for, no more.
type Request struct {
	// Model is the name the client asked for: a gateway model group, an alias
	// or a wildcard-matched provider model. The router resolves it.
	Model    string
	Messages []Message

	Tools             []Tool
	ToolChoice        *ToolChoice
	ParallelToolCalls *bool
	ResponseFormat    *ResponseFormat

	// MaxTokens and MaxCompletionTokens keep the client's spelling: some
	// OpenAI models accept only max_completion_tokens.
	MaxTokens           *int
	MaxCompletionTokens *int
	Temperature         *float64
	TopP                *float64
	Stop                []string
	N                   *int
	Seed                *int64
	PresencePenalty     *float64
	FrequencyPenalty    *float64
	Logprobs            *bool
	TopLogprobs         *int
	LogitBias           json.RawMessage
	ReasoningEffort     string
	User                string
	Metadata            json.RawMessage

	Stream bool
	// IncludeUsage is stream_options.include_usage: the client wants a final
	// chunk that carries usage.
	IncludeUsage bool

	// Extra holds top-level request fields this model does not name, in the
	// order they arrived. Adapters for OpenAI-compatible upstreams forward
	// them; other adapters map the ones they know and refuse the rest unless
	// the gateway was told to drop unsupported parameters.
	Extra []Field

	// Gateway holds the controls addressed to the gateway itself; they are
	// never sent upstream.
	Gateway GatewayOptions
}

// Field is one raw JSON member kept verbatim.
type Field struct {
	Name  string
	Value json.RawMessage
}

// GatewayOptions are request fields that steer the gateway rather than the
// model (LiteLLM accepts them in the body or in extra_body).
type GatewayOptions struct {
	// DropParams, when set, overrides litellm_settings.drop_params for this call.
	DropParams *bool
	// Tags select deployments under tag-based routing ("tags" or metadata.tags).
	Tags []string
	// Fallbacks are per-request fallback model groups.
	Fallbacks []string
	// NumRetries overrides the router's retry count for this call.
	NumRetries *int
	// Cache holds the per-request cache controls, verbatim.
	Cache json.RawMessage
	// EnableHistory and SessionID drive chat history.
	EnableHistory bool
	SessionID     string
	// Priority is the request priority (lower is more important).
	Priority *int
	// Guardrails names guardrails requested for this call.
	Guardrails []string
	// PromptVariables are Bedrock managed-prompt variables.
	PromptVariables json.RawMessage
}

// Message is one turn of the conversation.
type Message struct {
	Role Role
	// Content is the message body. A plain-string content arrives as one
	// text part; Text() joins text parts back.
	Content []Part
	// Name is the optional participant name.
	Name string
	// ToolCalls are the calls an assistant message made.
	ToolCalls []ToolCall
	// ToolCallID links a tool-result message to the call it answers.
	ToolCallID string
	// Refusal is an assistant's refusal text, when the model refused.
	Refusal string
	// Reasoning is the model's reasoning content, when the provider returns it
	// and the client sends it back in a later turn.
	Reasoning *Reasoning
	// StringContent records that the client sent content as a plain string,
	// so an OpenAI-format re-encoding can send it back the same way.
	StringContent bool
	// Extra holds message fields this model does not name (e.g. a provider's
	// own annotations), verbatim; OpenAI-compatible adapters forward them.
	Extra []Field
}

// Text returns the concatenation of the message's text parts.
func (m *Message) Text() string {
	if len(m.Content) == 1 && m.Content[0].Type == PartText {
		return m.Content[0].Text
	}
	n := 0
	for i := range m.Content {
		if m.Content[i].Type == PartText {
			n += len(m.Content[i].Text)
		}
	}
	b := make([]byte, 0, n)
	for i := range m.Content {
		if m.Content[i].Type == PartText {
			b = append(b, m.Content[i].Text...)
		}
	}
	return string(b)
}

// PartType says which field of a Part is set.
type PartType string

// Content part types.
const (
	PartText       PartType = "text"
	PartImage      PartType = "image"
	PartDocument   PartType = "document"
	PartAudio      PartType = "audio"
	PartCachePoint PartType = "cache_point"
)

// Part is one piece of message content.
type Part struct {
	Type PartType
	Text string
	// Image is set for PartImage.
	Image *Image
	// Document is set for PartDocument.
	Document *Document
	// Audio is set for PartAudio.
	Audio *Audio
	// CacheControl marks a prompt-cache breakpoint after this part (OpenAI
	// style "cache_control" on a part; Bedrock uses a separate cachePoint part).
	CacheControl json.RawMessage
}

// Image is an image given by URL or inline bytes. OpenAI-format clients send
// http(s) or data: URLs, kept verbatim in URL so that forwarding to an
// OpenAI-compatible upstream costs no re-encoding; Bedrock-format clients send
// raw bytes in Data. Inline converts between the two when an adapter needs it.
type Image struct {
	URL       string
	Data      []byte
	MediaType string // e.g. image/png
	Detail    string // OpenAI's low/high/auto
}

// Document is an attached file (PDF, CSV, ...).
type Document struct {
	Name      string
	Format    string // pdf, csv, doc, docx, xls, xlsx, html, txt, md
	Data      []byte
	MediaType string
	FileID    string
}

// Audio is inline input audio.
type Audio struct {
	Data   []byte
	Format string // wav, mp3
}

// Reasoning is reasoning ("thinking") content returned by a model.
type Reasoning struct {
	Text      string
	Signature string
	// Redacted is opaque redacted reasoning some providers return.
	Redacted []byte
}

// Tool is a function the model may call.
type Tool struct {
	Type        string // "function"
	Name        string
	Description string
	// Parameters is the JSON Schema of the arguments, verbatim.
	Parameters json.RawMessage
	Strict     *bool
	// CacheControl marks a cache point after this tool definition.
	CacheControl json.RawMessage
}

// ToolChoice is "none", "auto", "required" or a named function.
type ToolChoice struct {
	Mode     string // none, auto, required, function
	Function string // set when Mode is "function"
}

// ToolCall is a call the model made.
type ToolCall struct {
	ID        string
	Type      string // "function"
	Name      string
	Arguments string // JSON text, as OpenAI sends it
}

// ResponseFormat is the requested output format.
type ResponseFormat struct {
	Type string // text, json_object, json_schema
	// JSONSchema is the json_schema object verbatim (name, schema, strict).
	JSONSchema json.RawMessage
}

// FinishReason values, OpenAI's vocabulary.
const (
	FinishStop          = "stop"
	FinishLength        = "length"
	FinishToolCalls     = "tool_calls"
	FinishContentFilter = "content_filter"
)

// Response is a complete, non-streamed chat completion.
type Response struct {
	ID                string
	Model             string
	Created           int64
	Choices           []Choice
	Usage             *Usage
	SystemFingerprint string
	ServiceTier       string
}

// Choice is one completion alternative.
type Choice struct {
	Index        int
	Message      Message
	FinishReason string
	// NativeFinishReason is the upstream's own finish reason, set only when
	// FinishReason, in OpenAI's vocabulary, says less than the upstream did
	// (Bedrock's stop_sequence and guardrail_intervened both become "stop"
	// or "content_filter"). A codec whose format can say more, such as
	// Converse's stopReason, answers with it when it knows the value;
	// OpenAI-format codecs ignore it.
	NativeFinishReason string
	// Logprobs is the provider's logprobs object, verbatim.
	Logprobs json.RawMessage
}

// Usage is the token accounting a provider reported.
type Usage struct {
	PromptTokens     int
	CompletionTokens int
	TotalTokens      int
	// CacheReadTokens and CacheWriteTokens are prompt tokens served from or
	// written to the provider's prompt cache.
	CacheReadTokens  int
	CacheWriteTokens int
	ReasoningTokens  int
}

// MaxUsageTokens bounds every count of a believable Usage: more tokens than
// any model's context window holds (the largest are about 10 million).
const MaxUsageTokens = 20_000_000

// Check returns an error naming the first count of u that no real call can
// have: a negative one, or one above MaxUsageTokens. Such usage is an
// upstream fault: it is never priced or stored.
func (u *Usage) Check() error {
	for _, f := range [...]struct {
		name string
		n    int
	}{{"prompt_tokens", u.PromptTokens}, {"completion_tokens", u.CompletionTokens}, {"total_tokens", u.TotalTokens},
		{"cache_read_tokens", u.CacheReadTokens}, {"cache_write_tokens", u.CacheWriteTokens}, {"reasoning_tokens", u.ReasoningTokens}} {
		if f.n < 0 || f.n > MaxUsageTokens {
			return fmt.Errorf("the upstream reported %s %d, which no call can use (0 to %d)", f.name, f.n, MaxUsageTokens)
		}
	}
	return nil
}

// Add accumulates u2 into u.
func (u *Usage) Add(u2 *Usage) {
	if u2 == nil {
		return
	}
	u.PromptTokens += u2.PromptTokens
	u.CompletionTokens += u2.CompletionTokens
	u.TotalTokens += u2.TotalTokens
	u.CacheReadTokens += u2.CacheReadTokens
	u.CacheWriteTokens += u2.CacheWriteTokens
	u.ReasoningTokens += u2.ReasoningTokens
}
