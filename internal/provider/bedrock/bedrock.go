package bedrock

import (
	"context"
	"errors"
	"fmt"
	"mime"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/schemas"
	"github.com/aws/smithy-go/auth/bearer"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"
	"github.com/aws/smithy-go/transport/http/protocol/restjson1"

	"github.com/tollgate-gw/tollgate/internal/llm"
	"github.com/tollgate-gw/tollgate/internal/provider"
	"github.com/tollgate-gw/tollgate/internal/provider/upstream"
)

const providerName = "bedrock"

// Route selects the Bedrock API a deployment's chat calls use.
type Route string

// Routes, as written after "bedrock/" in a model_list entry.
const (
	// RouteDefault uses Converse.
	RouteDefault Route = ""
	// RouteConverse forces Converse ("bedrock/converse/...").
	RouteConverse Route = "converse"
	// RouteInvoke sends the model's native body through InvokeModel
	// ("bedrock/invoke/...").
	RouteInvoke Route = "invoke"
)

// Client is the part of *bedrockruntime.Client the adapter calls.
type Client interface {
	Converse(ctx context.Context, in *bedrockruntime.ConverseInput, optFns ...func(*bedrockruntime.Options)) (*bedrockruntime.ConverseOutput, error)
	ConverseStream(ctx context.Context, in *bedrockruntime.ConverseStreamInput, optFns ...func(*bedrockruntime.Options)) (*bedrockruntime.ConverseStreamOutput, error)
	InvokeModel(ctx context.Context, in *bedrockruntime.InvokeModelInput, optFns ...func(*bedrockruntime.Options)) (*bedrockruntime.InvokeModelOutput, error)
}

// Options configure an Adapter.
type Options struct {
	// ModelID is the Bedrock model id or ARN, as the deployment wrote it
	// after "bedrock/" and any route prefix (see ParseModel). Required.
	ModelID string
	// Route selects Converse or InvokeModel for chat.
	Route Route
	// BaseModel names the foundation model behind an ARN (LiteLLM's
	// base_model), so InvokeModel bodies and reasoning settings can be
	// chosen for application inference profiles, provisioned throughput
	// and imported models. Ignored when ModelID names the family itself.
	BaseModel string
	// DropParams drops parameters Bedrock cannot take instead of refusing
	// the request (litellm_params or litellm_settings drop_params). A
	// request's own drop_params overrides it either way.
	DropParams bool
	// Timeout bounds each non-streaming call (Converse, InvokeModel) and a
	// ConverseStream call until its response headers; StreamTimeout bounds
	// each wait for a streamed event. Zero means the defaults of package
	// upstream, whose doc gives the exact semantics.
	Timeout       time.Duration
	StreamTimeout time.Duration
	// Now is the clock for the created timestamps; nil means time.Now.
	Now func() time.Time
}

// Adapter serves one Bedrock deployment. It is safe for concurrent use.
type Adapter struct {
	client Client
	opts   Options
	limits upstream.Limits
	family string // e.g. "anthropic.claude-sonnet-4", "amazon.titan-embed-text-v2:0"
}

var (
	_ provider.ChatModel      = (*Adapter)(nil)
	_ provider.Embedder       = (*Adapter)(nil)
	_ provider.ImageGenerator = (*Adapter)(nil)
)

// New returns an adapter calling client for the deployment in opts.
func New(client Client, opts *Options) (*Adapter, error) {
	if client == nil {
		return nil, errors.New("bedrock: nil client")
	}
	if opts == nil || opts.ModelID == "" {
		return nil, errors.New("bedrock: Options.ModelID is required")
	}
	o := *opts
	switch o.Route {
	case RouteDefault, RouteConverse, RouteInvoke:
	default:
		return nil, fmt.Errorf("bedrock: unknown route %q (want converse or invoke)", o.Route)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	limits, err := upstream.NewLimits(o.Timeout, o.StreamTimeout)
	if err != nil {
		return nil, fmt.Errorf("bedrock: %w", err)
	}
	fam := baseModelName(o.ModelID)
	if isARN(o.ModelID) && !strings.Contains(o.ModelID, ":foundation-model/") && !strings.Contains(o.ModelID, ":inference-profile/") {
		fam = baseModelName(o.BaseModel)
	}
	return &Adapter{client: client, opts: o, limits: limits, family: fam}, nil
}

// ClientOptions configure NewClient.
type ClientOptions struct {
	// Endpoint overrides the runtime endpoint (aws_bedrock_runtime_endpoint).
	// Empty leaves the SDK's resolution in place, including
	// AWS_ENDPOINT_URL_BEDROCK_RUNTIME.
	Endpoint string
	// APIKey is a Bedrock API key, sent as a bearer token instead of SigV4.
	// Empty means SigV4 with the config's credentials.
	APIKey string
}

// NewClient builds the bedrockruntime client for a deployment from the
// aws.Config awscred resolved for it. The router retries, so the SDK makes
// one attempt. Ambient AWS_BEARER_TOKEN_BEDROCK is ignored: it would
// silently replace the deployment's role with whatever key the environment
// holds, the very failure that made AssumeRole never fire elsewhere.
func NewClient(cfg aws.Config, o *ClientOptions) *bedrockruntime.Client {
	var co ClientOptions
	if o != nil {
		co = *o
	}
	return bedrockruntime.NewFromConfig(cfg, func(opts *bedrockruntime.Options) {
		opts.RetryMaxAttempts = 1
		if co.Endpoint != "" {
			opts.BaseEndpoint = aws.String(co.Endpoint)
		}
		if co.APIKey != "" {
			key := co.APIKey
			opts.BearerAuthTokenProvider = bearer.TokenProviderFunc(func(context.Context) (bearer.Token, error) {
				return bearer.Token{Value: key}, nil
			})
			opts.AuthSchemePreference = []string{"httpBearerAuth"}
			return
		}
		opts.BearerAuthTokenProvider = nil
		opts.AuthSchemePreference = []string{"sigv4"}
	})
}

// crossRegionPrefixes are the inference-profile geography prefixes.
var crossRegionPrefixes = map[string]bool{
	"us": true, "eu": true, "apac": true, "global": true, "us-gov": true, "jp": true, "au": true, "ca": true,
}

func isARN(id string) bool { return strings.HasPrefix(id, "arn:") }

// baseModelName reduces a model id, inference profile or foundation-model
// ARN to the foundation model id ("anthropic.claude-..."); for other ARNs it
// returns "" because the ARN does not say.
func baseModelName(id string) string {
	if isARN(id) {
		i := strings.LastIndex(id, "/")
		if !strings.Contains(id, ":foundation-model/") && !strings.Contains(id, ":inference-profile/") || i < 0 {
			return ""
		}
		id = id[i+1:]
	}
	if geo, rest, ok := strings.Cut(id, "."); ok && crossRegionPrefixes[geo] {
		id = rest
	}
	return strings.ToLower(id)
}

// vendor is the family's provider prefix: anthropic, amazon, cohere, ...
func (a *Adapter) vendor() string {
	v, _, _ := strings.Cut(a.family, ".")
	return v
}

// dropParams decides whether unsupported parameters are dropped for req.
func (a *Adapter) dropParams(g llm.GatewayOptions) bool {
	if g.DropParams != nil {
		return *g.DropParams
	}
	return a.opts.DropParams
}

// Chat performs a non-streaming completion.
func (a *Adapter) Chat(ctx context.Context, req *llm.Request) (*llm.Response, error) {
	if a.opts.Route == RouteInvoke {
		return a.invokeChat(ctx, req)
	}
	cr, err := buildConverse(req, a.family, a.dropParams(req.Gateway))
	if err != nil {
		return nil, err
	}
	out, err := converse(ctx, a.client, a.limits, cr.input(a.opts.ModelID))
	if err != nil {
		return nil, err
	}
	return converseResponse(out, a.opts.ModelID, responseID(out.ResultMetadata), a.opts.Now().Unix())
}

// ChatStream starts a streaming completion over ConverseStream.
func (a *Adapter) ChatStream(ctx context.Context, req *llm.Request) (llm.Stream, error) {
	if a.opts.Route == RouteInvoke {
		return nil, &provider.Error{
			Kind: provider.KindUnsupported, Provider: providerName, Status: provider.StatusFor(provider.KindUnsupported),
			Type: "invalid_request_error", Code: "unsupported_operation", Param: "stream",
			Message: "streaming is not supported on the bedrock/invoke/ route; use bedrock/converse/ (or no route) " +
				"for streaming, or send stream=false",
		}
	}
	cr, err := buildConverse(req, a.family, a.dropParams(req.Gateway))
	if err != nil {
		return nil, err
	}
	return converseStream(ctx, a.client, a.limits, cr.streamInput(a.opts.ModelID), a.opts.Now)
}

// converse makes one Converse call under the deployment's limits.
func converse(ctx context.Context, c Client, l upstream.Limits, in *bedrockruntime.ConverseInput) (*bedrockruntime.ConverseOutput, error) {
	ctx, cancel := l.Call(ctx)
	defer cancel()
	out, err := c.Converse(ctx, in, capBody(upstream.MaxChatBytes))
	if err != nil {
		return nil, callError(ctx, err, "did not answer within "+l.Timeout.String(), upstream.MaxChatBytes)
	}
	return out, nil
}

// converseStream starts one ConverseStream call under the deployment's
// limits: until the response headers, and then between events (see stream).
// An answer that is not an event stream (an HTML page from a proxy) is
// refused here, while the router can still retry.
func converseStream(ctx context.Context, c Client, l upstream.Limits, in *bedrockruntime.ConverseStreamInput, now func() time.Time) (llm.Stream, error) {
	ctx, dog := l.Stream(ctx)
	out, err := c.ConverseStream(ctx, in, ownDecoder)
	if err != nil {
		err = callError(ctx, err, "sent no response headers within "+l.Headers.String(), 0) // before Release cancels ctx
		dog.Release()
		return nil, err
	}
	es := out.GetStream()
	if es == nil {
		dog.Release()
		return nil, upstreamError("ConverseStream returned no event stream")
	}
	if resp, ok := awsmiddleware.GetRawResponse(out.ResultMetadata).(*smithyhttp.Response); ok && resp != nil {
		if mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type")); mt != eventStreamType {
			_ = es.Close()
			dog.Release()
			return nil, upstreamError("ConverseStream answered with %s instead of an event stream", mt)
		}
	}
	return newStream(ctx, dog, l.StreamTimeout, es, aws.ToString(in.ModelId), responseID(out.ResultMetadata), now().Unix()), nil
}

// eventStreamType is the Content-Type of an AWS event stream.
const eventStreamType = "application/vnd.amazon.eventstream"

// capBody makes the SDK refuse a response body over limit bytes instead of
// reading (and decoding) whatever an upstream sends. The middleware sits
// innermost in the deserialize step, so it wraps the body before the
// operation's deserializer reads it.
func capBody(limit int64) func(*bedrockruntime.Options) {
	return func(o *bedrockruntime.Options) {
		o.APIOptions = append(o.APIOptions, func(s *middleware.Stack) error {
			return s.Deserialize.Add(middleware.DeserializeMiddlewareFunc("tollgate.CapResponseBody",
				func(ctx context.Context, in middleware.DeserializeInput, next middleware.DeserializeHandler) (
					middleware.DeserializeOutput, middleware.Metadata, error) {
					out, md, err := next.HandleDeserialize(ctx, in)
					if resp, ok := out.RawResponse.(*smithyhttp.Response); ok && resp.Body != nil {
						resp.Body = upstream.CapReader(resp.Body, limit)
					}
					return out, md, err
				}), middleware.After)
		})
	}
}

// ownDecoder gives one ConverseStream call an event-stream decoder of its
// own. The SDK's restJson1 protocol keeps a single decoder, with a reused
// payload buffer, per client, so two streams read at once through one client
// race on it (go test -race shows it with bedrockruntime v1.63.10 and
// smithy-go v1.28.8). A fresh protocol per stream costs one small allocation.
func ownDecoder(o *bedrockruntime.Options) {
	o.Protocol = restjson1.New(schemas.AmazonBedrockFrontendService)
}

// responseID derives a chat completion id from the AWS request id, so a
// client's id can be traced to Bedrock's logs.
func responseID(md middleware.Metadata) string {
	if id, ok := awsmiddleware.GetRequestIDMetadata(md); ok && id != "" {
		return "chatcmpl-" + id
	}
	return "chatcmpl-bedrock"
}
