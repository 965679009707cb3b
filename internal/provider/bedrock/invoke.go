package bedrock

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/tollgate-gw/tollgate/internal/provider"
)

// invokeResult is one InvokeModel answer.
type invokeResult struct {
	body []byte
	// inputTokens and outputTokens come from Bedrock's
	// X-Amzn-Bedrock-*-Token-Count headers; -1 when absent.
	inputTokens, outputTokens int
	requestID                 string
}

// invoke sends one JSON body through InvokeModel, under the deployment's
// Timeout, and refuses an answer over limit bytes.
func (a *Adapter) invoke(ctx context.Context, body any, guard *guardrailConfig, limit int64) (*invokeResult, error) {
	raw, err := json.Marshal(body)
	if err != nil {
		return nil, fmt.Errorf("bedrock: encoding InvokeModel body: %w", err)
	}
	in := &bedrockruntime.InvokeModelInput{
		ModelId:     aws.String(a.opts.ModelID),
		Body:        raw,
		ContentType: aws.String("application/json"),
		Accept:      aws.String("application/json"),
	}
	if guard != nil {
		in.GuardrailIdentifier = aws.String(guard.Identifier)
		in.GuardrailVersion = aws.String(guard.Version)
	}
	ctx, cancel := a.limits.Call(ctx)
	defer cancel()
	out, err := a.client.InvokeModel(ctx, in, capBody(limit))
	if err != nil {
		return nil, callError(ctx, err, "did not answer within "+a.limits.Timeout.String(), limit)
	}
	res := &invokeResult{body: out.Body, inputTokens: -1, outputTokens: -1}
	if resp, ok := awsmiddleware.GetRawResponse(out.ResultMetadata).(*smithyhttp.Response); ok && resp != nil {
		res.inputTokens = headerInt(resp.Header, "X-Amzn-Bedrock-Input-Token-Count")
		res.outputTokens = headerInt(resp.Header, "X-Amzn-Bedrock-Output-Token-Count")
	}
	res.requestID, _ = awsmiddleware.GetRequestIDMetadata(out.ResultMetadata)
	return res, nil
}

func headerInt(h http.Header, name string) int {
	n, err := strconv.Atoi(h.Get(name))
	if err != nil {
		return -1
	}
	return n
}

// decodeBody decodes an InvokeModel response body, reporting a body Bedrock
// should not have sent as an upstream failure.
func decodeBody(what string, raw []byte, v any) error {
	if err := json.Unmarshal(raw, v); err != nil {
		e := upstreamError("unreadable %s response from Bedrock: %v", what, err)
		e.Err = err
		return e
	}
	return nil
}

// upstreamError reports an answer Bedrock should not have given; like a 5xx
// it is worth another deployment.
func upstreamError(format string, args ...any) *provider.Error {
	return &provider.Error{Kind: provider.KindUnavailable, Provider: providerName,
		Status: provider.StatusFor(provider.KindUnavailable), Message: fmt.Sprintf(format, args...)}
}

// guardrailFromExtra pulls guardrailConfig out of request extras for the
// InvokeModel operations, which take it as parameters rather than in the body.
func guardrailFromExtra(name string, raw json.RawMessage) (*guardrailConfig, error) {
	if name != "guardrailConfig" && name != "guardrail_config" {
		return nil, nil
	}
	var g guardrailConfig
	if err := json.Unmarshal(raw, &g); err != nil || g.Identifier == "" || g.Version == "" {
		return nil, badRequest(name, "guardrailConfig needs guardrailIdentifier and guardrailVersion")
	}
	return &g, nil
}

func isFamily(fam string, prefixes ...string) bool {
	for _, p := range prefixes {
		if strings.HasPrefix(fam, p) {
			return true
		}
	}
	return false
}
