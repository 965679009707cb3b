// Package llm is the provider-neutral model of a chat, embedding or image call
// that every inbound codec (OpenAI, Bedrock Converse) decodes into and every
// provider adapter encodes from.
//
// It carries everything the supported wire formats carry — system prompts,
// multimodal parts, tools in both directions, stop sequences, cache points,
// reasoning, usage including cache tokens — so that a Bedrock-format client
// calling an OpenAI model, and the reverse, lose nothing both sides support.
// Parameters that only one provider understands travel as raw JSON in
// Request.Extra and are passed through untouched, never as map[string]any.
//
// The package has no dependencies beyond the standard library and does no I/O.
package llm
