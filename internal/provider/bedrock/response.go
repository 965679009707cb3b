package bedrock

import (
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/types"

	"github.com/tollgate-gw/tollgate/internal/llm"
	"github.com/tollgate-gw/tollgate/internal/provider"
)

// finishReasons maps Bedrock stop reasons to OpenAI finish reasons.
var finishReasons = map[types.StopReason]string{
	types.StopReasonEndTurn:                    llm.FinishStop,
	types.StopReasonStopSequence:               llm.FinishStop,
	types.StopReasonMaxTokens:                  llm.FinishLength,
	types.StopReasonModelContextWindowExceeded: llm.FinishLength,
	types.StopReasonToolUse:                    llm.FinishToolCalls,
	types.StopReasonGuardrailIntervened:        llm.FinishContentFilter,
	types.StopReasonContentFiltered:            llm.FinishContentFilter,
	types.StopReasonMalformedModelOutput:       llm.FinishStop,
	types.StopReasonMalformedToolUse:           llm.FinishToolCalls,
}

func finishReason(r types.StopReason) string {
	if f, ok := finishReasons[r]; ok {
		return f
	}
	return llm.FinishStop
}

// nativeFinishReason returns Bedrock's stop reason when its OpenAI finish
// reason loses detail (stop_sequence, guardrail_intervened, ... and reasons
// newer than this table), so the Bedrock interface can answer with it; ""
// when the OpenAI reason maps back to it exactly.
func nativeFinishReason(r types.StopReason) string {
	switch r {
	case "", types.StopReasonEndTurn, types.StopReasonMaxTokens, types.StopReasonToolUse, types.StopReasonContentFiltered:
		return ""
	}
	return string(r)
}

// usage converts Bedrock token usage. OpenAI's prompt_tokens includes cached
// tokens while Bedrock's inputTokens does not, so cache reads and writes are
// added back in (as LiteLLM does) and also reported on their own.
func usage(u *types.TokenUsage) *llm.Usage {
	if u == nil {
		return nil
	}
	read, write := int(aws.ToInt32(u.CacheReadInputTokens)), int(aws.ToInt32(u.CacheWriteInputTokens))
	out := &llm.Usage{
		PromptTokens:     int(aws.ToInt32(u.InputTokens)) + read + write,
		CompletionTokens: int(aws.ToInt32(u.OutputTokens)),
		CacheReadTokens:  read,
		CacheWriteTokens: write,
	}
	out.TotalTokens = out.PromptTokens + out.CompletionTokens
	return out
}

// converseResponse translates Converse's output.
func converseResponse(out *bedrockruntime.ConverseOutput, model, id string, created int64) (*llm.Response, error) {
	msgOut, ok := out.Output.(*types.ConverseOutputMemberMessage)
	if !ok {
		return nil, &provider.Error{Kind: provider.KindUnavailable, Provider: providerName,
			Status: provider.StatusFor(provider.KindUnavailable), Message: "Converse returned no message"}
	}
	msg, err := messageFromBlocks(msgOut.Value.Content)
	if err != nil {
		return nil, err
	}
	return &llm.Response{
		ID:      id,
		Model:   model,
		Created: created,
		Choices: []llm.Choice{{Index: 0, Message: msg, FinishReason: finishReason(out.StopReason),
			NativeFinishReason: nativeFinishReason(out.StopReason)}},
		Usage: usage(out.Usage),
	}, nil
}

// messageFromBlocks turns an assistant's content blocks into an llm.Message.
func messageFromBlocks(blocks []types.ContentBlock) (llm.Message, error) {
	msg := llm.Message{Role: llm.RoleAssistant}
	var text strings.Builder
	for _, b := range blocks {
		switch v := b.(type) {
		case *types.ContentBlockMemberText:
			text.WriteString(v.Value)
		case *types.ContentBlockMemberToolUse:
			args := "{}"
			if v.Value.Input != nil {
				raw, err := v.Value.Input.MarshalSmithyDocument()
				if err != nil {
					return msg, &provider.Error{Kind: provider.KindUnavailable, Provider: providerName,
						Status: provider.StatusFor(provider.KindUnavailable), Message: "unreadable tool input from Bedrock", Err: err}
				}
				args = string(raw)
			}
			msg.ToolCalls = append(msg.ToolCalls, llm.ToolCall{
				ID: aws.ToString(v.Value.ToolUseId), Type: "function", Name: aws.ToString(v.Value.Name), Arguments: args,
			})
		case *types.ContentBlockMemberReasoningContent:
			if msg.Reasoning == nil {
				msg.Reasoning = &llm.Reasoning{}
			}
			switch r := v.Value.(type) {
			case *types.ReasoningContentBlockMemberReasoningText:
				msg.Reasoning.Text += aws.ToString(r.Value.Text)
				if s := aws.ToString(r.Value.Signature); s != "" {
					msg.Reasoning.Signature = s
				}
			case *types.ReasoningContentBlockMemberRedactedContent:
				msg.Reasoning.Redacted = append(msg.Reasoning.Redacted, r.Value...)
			}
		case *types.ContentBlockMemberCitationsContent:
			for _, g := range v.Value.Content {
				if t, ok := g.(*types.CitationGeneratedContentMemberText); ok {
					text.WriteString(t.Value)
				}
			}
		}
	}
	// OpenAI sends null content beside tool calls; keep that shape.
	if text.Len() > 0 || len(msg.ToolCalls) == 0 {
		msg.Content = []llm.Part{{Type: llm.PartText, Text: text.String()}}
		msg.StringContent = true
	}
	return msg, nil
}
