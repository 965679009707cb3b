package openai

import (
	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
)

// The wire structs of the OpenAI format. They are the JSON documents as
// OpenAI defines them, decoded and encoded by json/v2; the translation files
// (request.go, response.go, chunk.go, embed.go, image.go) map them to and
// from internal/llm. Unions are small types with their own methods
// (unions.go); members a struct does not name are kept in its Unknown field
// (",embed" on a jsontext.Value: the "embedded fallback"), so a provider's extras reach an OpenAI-compatible upstream
// verbatim. Struct fields are in the order the encoders write them.

// GatewayFields are the request members addressed to the gateway (LiteLLM's
// extensions), shared by every OpenAI-format request and never forwarded.
type GatewayFields struct {
	DropParams      *bool          `json:"drop_params,omitzero"`
	Tags            Strings        `json:"tags,omitzero"`
	Fallbacks       Strings        `json:"fallbacks,omitzero"`
	NumRetries      *Int           `json:"num_retries,omitzero"`
	Cache           jsontext.Value `json:"cache,omitzero"`
	EnableHistory   bool           `json:"enable_history,omitzero"`
	SessionID       string         `json:"session_id,omitzero"`
	Priority        *Int           `json:"priority,omitzero"`
	Guardrails      Strings        `json:"guardrails,omitzero"`
	PromptVariables jsontext.Value `json:"promptVariables,omitzero"`
}

// ChatRequest is the body of POST /v1/chat/completions.
type ChatRequest struct {
	Model               string          `json:"model"`
	Messages            []Message       `json:"messages"`
	Tools               []Tool          `json:"tools,omitempty"`
	ToolChoice          *ToolChoice     `json:"tool_choice,omitzero"`
	ParallelToolCalls   *bool           `json:"parallel_tool_calls,omitzero"`
	ResponseFormat      *ResponseFormat `json:"response_format,omitzero"`
	MaxTokens           *Int            `json:"max_tokens,omitzero"`
	MaxCompletionTokens *Int            `json:"max_completion_tokens,omitzero"`
	Temperature         *float64        `json:"temperature,omitzero"`
	TopP                *float64        `json:"top_p,omitzero"`
	Stop                Strings         `json:"stop,omitempty"`
	N                   *Int            `json:"n,omitzero"`
	Seed                *int64          `json:"seed,omitzero"`
	PresencePenalty     *float64        `json:"presence_penalty,omitzero"`
	FrequencyPenalty    *float64        `json:"frequency_penalty,omitzero"`
	Logprobs            *bool           `json:"logprobs,omitzero"`
	TopLogprobs         *Int            `json:"top_logprobs,omitzero"`
	LogitBias           jsontext.Value  `json:"logit_bias,omitzero"`
	ReasoningEffort     string          `json:"reasoning_effort,omitzero"`
	User                string          `json:"user,omitzero"`
	Metadata            jsontext.Value  `json:"metadata,omitzero"`
	Stream              bool            `json:"stream,omitzero"`
	StreamOptions       *StreamOptions  `json:"stream_options,omitzero"`
	// ExtraBody is extra_body sent literally, as some clients do instead of
	// merging it into the body as the OpenAI SDKs do: its members count as
	// top-level ones.
	ExtraBody      *ChatRequest `json:"extra_body,omitzero"`
	*GatewayFields `json:",embed"`
	Unknown        jsontext.Value `json:",embed"`
}

// StreamOptions is stream_options.
type StreamOptions struct {
	IncludeUsage bool `json:"include_usage"`
}

// Message is one element of messages.
type Message struct {
	Role    string  `json:"role"`
	Content Content `json:"content"`
	// The members most messages lack are apart, allocated when present:
	// a message is decoded per turn of every conversation.
	*MessageMembers `json:",embed"`
	Unknown         jsontext.Value `json:",embed"`
}

// MessageMembers are the members of a message other than role and content.
type MessageMembers struct {
	Name             string     `json:"name,omitzero"`
	ToolCalls        []ToolCall `json:"tool_calls,omitempty"`
	ToolCallID       string     `json:"tool_call_id,omitzero"`
	Refusal          string     `json:"refusal,omitzero"`
	ReasoningContent string     `json:"reasoning_content,omitzero"`
}

// Part is one element of an array content.
type Part struct {
	Type         string         `json:"type"`
	Text         OptString      `json:"text,omitzero"`
	ImageURL     *ImageURL      `json:"image_url,omitzero"`
	InputAudio   *InputAudio    `json:"input_audio,omitzero"`
	File         *File          `json:"file,omitzero"`
	CacheControl jsontext.Value `json:"cache_control,omitzero"`
}

// ImageURL is image_url: an object, or the bare URL string some clients send.
type ImageURL struct {
	URL    string `json:"url"`
	Detail string `json:"detail,omitzero"`
	Format string `json:"format,omitzero"`
}

// InputAudio is input_audio.
type InputAudio struct {
	Data   string `json:"data"`
	Format string `json:"format"`
}

// File is the file of a file part.
type File struct {
	FileData string `json:"file_data,omitzero"`
	FileID   string `json:"file_id,omitzero"`
	Filename string `json:"filename,omitzero"`
	Format   string `json:"format,omitzero"`
}

// ToolCall is one element of an assistant message's tool_calls.
type ToolCall struct {
	ID       string       `json:"id"`
	Type     string       `json:"type"`
	Function FunctionCall `json:"function"`
}

// FunctionCall is the function a tool call names.
type FunctionCall struct {
	Name      string `json:"name"`
	Arguments string `json:"arguments"`
}

// Tool is one element of tools.
type Tool struct {
	Type         string         `json:"type"`
	Function     FunctionDef    `json:"function"`
	CacheControl jsontext.Value `json:"cache_control,omitzero"`
}

// FunctionDef is the function a tool declares.
type FunctionDef struct {
	Name        string         `json:"name"`
	Description string         `json:"description,omitzero"`
	Parameters  jsontext.Value `json:"parameters,omitzero"`
	Strict      *bool          `json:"strict,omitzero"`
}

// ResponseFormat is response_format.
type ResponseFormat struct {
	Type       string         `json:"type"`
	JSONSchema jsontext.Value `json:"json_schema,omitzero"`
}

// EmbeddingRequest is the body of POST /v1/embeddings. Input is kept raw:
// a string, strings, or pre-tokenized arrays of integers.
type EmbeddingRequest struct {
	Model          string         `json:"model"`
	Input          jsontext.Value `json:"input"`
	EncodingFormat string         `json:"encoding_format,omitzero"`
	Dimensions     *Int           `json:"dimensions,omitzero"`
	User           string         `json:"user,omitzero"`
	// Metadata is read for its tags only; it is not forwarded.
	Metadata *struct {
		Tags Strings `json:"tags"`
	} `json:"metadata,omitzero"`
	GatewayFields `json:",embed"`
	Unknown       jsontext.Value `json:",embed"`
}

// ImageRequest is the body of POST /v1/images/generations.
type ImageRequest struct {
	Model          string `json:"model"`
	Prompt         string `json:"prompt"`
	N              *Int   `json:"n,omitzero"`
	Size           string `json:"size,omitzero"`
	Quality        string `json:"quality,omitzero"`
	Style          string `json:"style,omitzero"`
	ResponseFormat string `json:"response_format,omitzero"`
	User           string `json:"user,omitzero"`
	GatewayFields  `json:",embed"`
	Unknown        jsontext.Value `json:",embed"`
}

// ChatResponse is a chat.completion object.
type ChatResponse struct {
	ID                string     `json:"id"`
	Object            ObjectType `json:"object"`
	Created           int64      `json:"created"`
	Model             string     `json:"model"`
	Choices           []Choice   `json:"choices"`
	Usage             *Usage     `json:"usage,omitzero"`
	SystemFingerprint string     `json:"system_fingerprint,omitzero"`
	ServiceTier       string     `json:"service_tier,omitzero"`
}

// Choice is one element of a chat.completion's choices.
type Choice struct {
	Index        Int    `json:"index"`
	Message      Delta  `json:"message"`
	Logprobs     Raw    `json:"logprobs"`
	FinishReason string `json:"finish_reason"`
}

// Delta is a response message, or a stream chunk's delta: the same members,
// each a fragment in a delta.
type Delta struct {
	Role             string    `json:"role,omitzero"`
	Content          OptString `json:"content,omitzero"`
	Refusal          string    `json:"refusal,omitzero"`
	ReasoningContent string    `json:"reasoning_content,omitzero"`
	// Reasoning is the name some OpenAI-compatible servers (vLLM, OpenRouter)
	// give reasoning_content.
	Reasoning   string          `json:"reasoning,omitzero"`
	ToolCalls   []ToolCallDelta `json:"tool_calls,omitempty"`
	Annotations jsontext.Value  `json:"annotations,omitzero"`
}

// ToolCallDelta is a tool call in a response message or a fragment of one
// in a chunk's delta.
type ToolCallDelta struct {
	Index    Int          `json:"index"`
	ID       string       `json:"id,omitzero"`
	Type     string       `json:"type,omitzero"`
	Function FunctionCall `json:"function"`
}

// Usage is OpenAI's usage object, with LiteLLM's names for Anthropic-style
// cache accounting.
type Usage struct {
	PromptTokens             Int          `json:"prompt_tokens"`
	CompletionTokens         Int          `json:"completion_tokens"`
	TotalTokens              Int          `json:"total_tokens"`
	PromptTokensDetails      TokenDetails `json:"prompt_tokens_details,omitzero"`
	CacheReadInputTokens     Int          `json:"cache_read_input_tokens,omitzero"`
	CacheCreationInputTokens Int          `json:"cache_creation_input_tokens,omitzero"`
	CompletionTokensDetails  TokenDetails `json:"completion_tokens_details,omitzero"`
}

// TokenDetails is prompt_tokens_details or completion_tokens_details.
type TokenDetails struct {
	CachedTokens    Int `json:"cached_tokens,omitzero"`
	ReasoningTokens Int `json:"reasoning_tokens,omitzero"`
}

// EmbeddingResponse is an embeddings list.
type EmbeddingResponse struct {
	Object ObjectType  `json:"object"`
	Data   []Embedding `json:"data"`
	Model  string      `json:"model"`
	Usage  *Usage      `json:"usage"`
}

// Embedding is one vector: an array of floats, or a base64 string of
// little-endian float32s.
type Embedding struct {
	Object    ObjectType     `json:"object"`
	Index     Int            `json:"index"`
	Embedding jsontext.Value `json:"embedding"`
}

// ImageResponse is an images response.
type ImageResponse struct {
	Created int64            `json:"created"`
	Data    []GeneratedImage `json:"data"`
	Usage   *ImageUsage      `json:"usage,omitzero"`
}

// GeneratedImage is one element of an images response's data.
type GeneratedImage struct {
	URL           string `json:"url,omitzero"`
	B64JSON       string `json:"b64_json,omitzero"`
	RevisedPrompt string `json:"revised_prompt,omitzero"`
}

// ImageUsage is the usage of an images response.
type ImageUsage struct {
	InputTokens  Int `json:"input_tokens"`
	OutputTokens Int `json:"output_tokens"`
	TotalTokens  Int `json:"total_tokens"`
}

// ErrorResponse is an error body: OpenAI's {"error":{...}} or
// {"error":"text"}, or the bare {"message":...} and {"detail":...} shapes
// several compatible servers send.
type ErrorResponse struct {
	Error   jsontext.Value `json:"error,omitzero"`
	Message string         `json:"message,omitzero"`
	Detail  jsontext.Value `json:"detail,omitzero"`
	Type    string         `json:"type,omitzero"`
	Code    Scalar         `json:"code,omitzero"`
}

// ErrorObject is the object of {"error":{...}}.
type ErrorObject struct {
	Message string `json:"message"`
	Type    string `json:"type"`
	Param   Scalar `json:"param"`
	Code    Scalar `json:"code"`
}

// encodeOptions write as encoding/json does where json/v2 would refuse: a
// Go string with invalid UTF-8 is written with U+FFFD in its place.
var encodeOptions = jsontext.AllowInvalidUTF8(true)

// decodeOptions are encoding/json's rules of acceptance, which the gateway
// has always had: duplicate member names and invalid UTF-8 in strings are
// let through (the last duplicate wins; invalid bytes become U+FFFD).
var decodeOptions = json.JoinOptions(jsontext.AllowDuplicateNames(true), jsontext.AllowInvalidUTF8(true))
