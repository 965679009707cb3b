package anthropic

import (
	"github.com/go-json-experiment/json/jsontext"
)

// The wire structs of the Messages API, as Anthropic documents them
// (https://docs.anthropic.com/en/api/messages). Members a struct does not
// name are kept in its Unknown field, so request extras (top_k, metadata,
// service_tier, ...) reach the upstream verbatim and new response members
// do not fail a decode.

// Request is the body of POST /v1/messages.
type Request struct {
	Model         string         `json:"model"`
	MaxTokens     int            `json:"max_tokens"`
	System        []Block        `json:"system,omitempty"`
	Messages      []Message      `json:"messages"`
	Tools         []Tool         `json:"tools,omitempty"`
	ToolChoice    *ToolChoice    `json:"tool_choice,omitzero"`
	Temperature   *float64       `json:"temperature,omitzero"`
	TopP          *float64       `json:"top_p,omitzero"`
	StopSequences []string       `json:"stop_sequences,omitempty"`
	Thinking      jsontext.Value `json:"thinking,omitzero"`
	Metadata      *Metadata      `json:"metadata,omitzero"`
	Stream        bool           `json:"stream,omitzero"`
	Unknown       jsontext.Value `json:",embed"`
}

// Metadata is the request's metadata; user_id is the only member.
type Metadata struct {
	UserID string `json:"user_id,omitzero"`
}

// Message is one turn: role user or assistant, content as blocks.
type Message struct {
	Role    string  `json:"role"`
	Content []Block `json:"content"`
}

// Block is one content block. Type says which members are set.
type Block struct {
	Type string `json:"type"`
	// text
	Text string `json:"text,omitzero"`
	// image, document
	Source *Source `json:"source,omitzero"`
	// tool_use (Input) and its streamed start
	ID    string         `json:"id,omitzero"`
	Name  string         `json:"name,omitzero"`
	Input jsontext.Value `json:"input,omitzero"`
	// tool_result
	ToolUseID string  `json:"tool_use_id,omitzero"`
	Content   []Block `json:"content,omitempty"`
	IsError   bool    `json:"is_error,omitzero"`
	// thinking, redacted_thinking
	Thinking  string `json:"thinking,omitzero"`
	Signature string `json:"signature,omitzero"`
	Data      string `json:"data,omitzero"`

	CacheControl jsontext.Value `json:"cache_control,omitzero"`
	Unknown      jsontext.Value `json:",embed"`
}

// Source is an image or document source: base64 data or a URL.
type Source struct {
	Type      string `json:"type"`
	MediaType string `json:"media_type,omitzero"`
	Data      string `json:"data,omitzero"`
	URL       string `json:"url,omitzero"`
}

// Tool is a client tool definition.
type Tool struct {
	Name         string         `json:"name"`
	Description  string         `json:"description,omitzero"`
	InputSchema  jsontext.Value `json:"input_schema"`
	CacheControl jsontext.Value `json:"cache_control,omitzero"`
}

// ToolChoice is auto, any, tool (with Name) or none.
type ToolChoice struct {
	Type                   string `json:"type"`
	Name                   string `json:"name,omitzero"`
	DisableParallelToolUse bool   `json:"disable_parallel_tool_use,omitzero"`
}

// Thinking is the extended-thinking configuration.
type Thinking struct {
	Type         string `json:"type"`
	BudgetTokens int    `json:"budget_tokens,omitzero"`
}

// Response is a complete Messages response.
type Response struct {
	ID           string         `json:"id"`
	Type         string         `json:"type"`
	Role         string         `json:"role"`
	Model        string         `json:"model"`
	Content      []Block        `json:"content"`
	StopReason   string         `json:"stop_reason"`
	StopSequence *string        `json:"stop_sequence"`
	Usage        *Usage         `json:"usage"`
	Unknown      jsontext.Value `json:",embed"`
}

// Usage is Anthropic's token accounting. InputTokens excludes the tokens
// read from or written to the prompt cache.
type Usage struct {
	InputTokens              int            `json:"input_tokens"`
	OutputTokens             int            `json:"output_tokens"`
	CacheCreationInputTokens int            `json:"cache_creation_input_tokens"`
	CacheReadInputTokens     int            `json:"cache_read_input_tokens"`
	Unknown                  jsontext.Value `json:",embed"`
}

// Event is one streamed event's data. Type repeats the SSE event name.
type Event struct {
	Type         string         `json:"type"`
	Message      *Response      `json:"message,omitzero"`
	Index        int            `json:"index"`
	ContentBlock *Block         `json:"content_block,omitzero"`
	Delta        *Delta         `json:"delta,omitzero"`
	Usage        *Usage         `json:"usage,omitzero"`
	Error        *Error         `json:"error,omitzero"`
	Unknown      jsontext.Value `json:",embed"`
}

// Delta is a content_block_delta's or message_delta's delta.
type Delta struct {
	Type        string         `json:"type"`
	Text        string         `json:"text"`
	PartialJSON string         `json:"partial_json"`
	Thinking    string         `json:"thinking"`
	Signature   string         `json:"signature"`
	StopReason  string         `json:"stop_reason"`
	Unknown     jsontext.Value `json:",embed"`
}

// Error is the error object of an error body or an error event.
type Error struct {
	Type    string `json:"type"`
	Message string `json:"message"`
}
