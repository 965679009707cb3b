// Package bedrock adapts one Amazon Bedrock deployment to the provider
// interfaces, through the aws-sdk-go-v2 bedrockruntime client.
//
// Upstream operations:
//
//   - Chat and ChatStream use Converse and ConverseStream (converse.go,
//     stream.go). The "invoke" route (model "bedrock/invoke/...") sends the
//     model's native body through InvokeModel instead; for chat that is the
//     Anthropic Messages format (invoke.go), and other families get a clear
//     unsupported error.
//   - Embed uses InvokeModel with Titan text v1/v2, Titan multimodal, Cohere
//     embed v3/v4 and Nova multimodal embeddings bodies (embed.go).
//   - GenerateImage uses InvokeModel with Titan image v1/v2, Nova Canvas and
//     Stability (SD3, Stable Image) bodies (image.go).
//
// The model id is sent as written: foundation model ids, cross-region
// inference profiles (us., eu., apac., global., ...), and application
// inference profile, provisioned throughput, imported model and prompt ARNs.
// When the id does not name the model family (an ARN), Options.BaseModel does.
//
// What Converse cannot take is refused with provider.Unsupported unless the
// request or deployment drops unsupported parameters: n > 1, logprobs,
// top_logprobs, logit_bias, seed, presence/frequency penalties,
// response_format json_object, parallel_tool_calls false, tool_choice none
// once tools were used, and the OpenAI-only fields in Extra (store, audio,
// modalities, prediction, ...). response_format json_schema is sent
// natively as outputConfig.textFormat (structured output), not through a
// tool trick; models without structured output answer with a
// ValidationException. reasoning_effort becomes Anthropic "thinking", Nova
// "reasoningConfig" or gpt-oss "reasoning_effort" in
// additionalModelRequestFields. Other request fields Bedrock does not name
// are passed through in additionalModelRequestFields, next to an explicit
// additionalModelRequestFields object; guardrailConfig, performanceConfig,
// requestMetadata, serviceTier, promptVariables and
// additionalModelResponseFieldPaths map to their Converse members.
//
// Prompt management prompts (prompt.go) run through the client, and so the
// credentials, of a configured deployment: ParsePromptARN recognises a
// prompt ARN, PickPromptHost chooses the deployment for its region and
// account, and Adapter.Prompt calls Converse or ConverseStream with the ARN
// as the model id and the request's promptVariables.
//
// Request metadata (a Converse client's requestMetadata, the string members
// of an OpenAI client's metadata) is sent as requestMetadata. Bedrock stop
// reasons that OpenAI's finish reasons cannot express (stop_sequence,
// guardrail_intervened, ...) are kept in NativeFinishReason as well, so the
// Bedrock interface can answer with them.
//
// AWS errors are classified once, in errors.go. The wire spec is the Bedrock
// runtime API reference (Converse, ConverseStream, InvokeModel) and each
// model family's inference parameters page.
package bedrock
