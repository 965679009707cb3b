// Package anthropic is the codec of Anthropic's Messages API
// (POST /v1/messages): the wire structs (types.go) on json/v2, the
// translation of an internal/llm chat request into a Messages body
// (request.go), and of a Messages response and its event stream back into
// internal/llm (response.go, stream.go).
//
// It is used outbound by internal/provider/anthropic. Translation failures
// are *ParamError values naming the offending request parameter; the adapter
// turns them into provider errors (a codec never classifies upstream
// failures).
package anthropic
