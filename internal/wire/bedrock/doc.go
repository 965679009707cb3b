// Package bedrock is the Bedrock Converse wire format, the inbound side of
// Tollgate's /bedrock interface: boto3 bedrock-runtime and aws-sdk-go-v2
// bedrockruntime clients call POST /bedrock/model/{modelId}/converse and
// /converse-stream, and this package turns their requests into the neutral
// model in internal/llm and the neutral answers back into Converse.
//
//   - DecodeConverseRequest and DecodeConverseStreamRequest decode a request
//     body strictly, as the service does: unknown members, wrong types and
//     missing required members are a *DecodeError naming the JSON path.
//   - EncodeConverseResponse writes the Converse response JSON.
//   - StreamEncoder writes ConverseStream events in
//     application/vnd.amazon.eventstream framing (aws-sdk-go-v2's eventstream
//     encoder), one chunk at a time as they arrive.
//   - ErrorFor, WriteError and WriteStreamError answer failures in Bedrock's
//     own error shape, so the SDKs raise the matching exception class.
//   - EncodeConverseRequest is the inverse of the decoder, for fakes and
//     round-trip tests.
//
// Converse content the neutral model cannot carry (video, citations, search
// results, system tools) is refused, never dropped; the decoder's doc lists
// what is mapped and how.
//
// Wire reference: the bedrock-runtime Smithy model as shipped in
// aws-sdk-go-v2/service/bedrockruntime (schemas/schemas.go) and
// https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_Converse.html.
package bedrock
