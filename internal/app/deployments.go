package app

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime"

	"github.com/tollgate-gw/tollgate/internal/awscred"
	"github.com/tollgate-gw/tollgate/internal/config"
	"github.com/tollgate-gw/tollgate/internal/llm"
	"github.com/tollgate-gw/tollgate/internal/provider"
	"github.com/tollgate-gw/tollgate/internal/provider/anthropic"
	"github.com/tollgate-gw/tollgate/internal/provider/azure"
	"github.com/tollgate-gw/tollgate/internal/provider/bedrock"
	"github.com/tollgate-gw/tollgate/internal/provider/catalog"
	"github.com/tollgate-gw/tollgate/internal/provider/fake"
	"github.com/tollgate-gw/tollgate/internal/provider/openai"
	"github.com/tollgate-gw/tollgate/internal/router"
)

// builder turns config deployments into router deployments. It is the one
// place that knows every adapter: a closed switch, no registration.
type builder struct {
	cfg    *config.Config
	http   *http.Client
	lookup func(string) (string, bool)
	logger *slog.Logger
	// aws is built on first use, so configs without Bedrock pay nothing
	// for it at cold start.
	aws *awscred.Resolver
	// templates maps each router deployment to its entry, for wildcard
	// entries built on demand.
	templates map[*router.Deployment]*config.Deployment
	// bedrockClients are shared by every deployment with the same region,
	// credentials and endpoint: a wildcard entry serving many model ids
	// builds one client, not one per id.
	bedrockClients map[bedrockClientKey]*bedrockruntime.Client
	// mu guards aws, templates and bedrockClients once serving; it is never
	// held while a deployment is built.
	mu sync.Mutex
}

// bedrockClientKey is what a Bedrock runtime client depends on. It holds
// secrets (the spec's keys) and stays in memory only.
type bedrockClientKey struct {
	spec   awscred.Spec
	region string
}

// resolver returns the AWS credential resolver, building it from the
// ambient configuration (Lambda role, environment, profile) on first use.
// Loading the ambient configuration reads the environment and files only;
// no network call happens until a request needs credentials.
func (b *builder) resolver(ctx context.Context) (*awscred.Resolver, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.aws != nil {
		return b.aws, nil
	}
	base, err := awsconfig.LoadDefaultConfig(ctx)
	if err != nil {
		return nil, fmt.Errorf("loading the ambient AWS configuration: %w", err)
	}
	name, _ := b.lookup("AWS_LAMBDA_FUNCTION_NAME")
	if name == "" {
		name = "tollgate"
	}
	b.aws = awscred.NewResolver(base, &awscred.Options{
		GatewayName: name,
		Logger:      b.logger,
		Getenv:      func(k string) string { v, _ := b.lookup(k); return v },
	})
	return b.aws, nil
}

// bedrock builds a Bedrock adapter with the deployment's own credentials.
func (b *builder) bedrock(ctx context.Context, d *config.Deployment, drop bool, timeout, streamTimeout time.Duration) (provider.ChatModel, error) {
	res, err := b.resolver(ctx)
	if err != nil {
		return nil, err
	}
	p := &d.Params
	spec := awscred.Spec{
		Region: p.AWSRegionName, AccessKeyID: p.AWSAccessKeyID, SecretAccessKey: p.AWSSecretAccessKey.Reveal(),
		SessionToken: p.AWSSessionToken.Reveal(), Profile: p.AWSProfileName, RoleARN: p.AWSRoleName,
		SessionName: p.AWSSessionName, ExternalID: p.AWSExternalID, WebIdentityToken: p.AWSWebIdentityToken.Reveal(),
		STSEndpoint: p.AWSSTSEndpoint, BedrockRuntimeEndpoint: p.AWSBedrockRuntimeEndpoint,
	}
	awsCfg, err := res.Config(ctx, spec)
	if err != nil {
		return nil, err
	}
	route := bedrock.RouteDefault
	switch d.Route {
	case "converse":
		route = bedrock.RouteConverse
	case "invoke":
		route = bedrock.RouteInvoke
	}
	baseModel := d.Info.BaseModel
	if baseModel == "" {
		baseModel = p.BaseModel
	}
	client := b.bedrockClient(bedrockClientKey{spec: spec, region: awsCfg.Region}, func() *bedrockruntime.Client {
		return bedrock.NewClient(awsCfg, &bedrock.ClientOptions{Endpoint: p.AWSBedrockRuntimeEndpoint})
	})
	return bedrock.New(client, &bedrock.Options{ModelID: d.ModelID, Route: route, BaseModel: baseModel, DropParams: drop,
		Timeout: timeout, StreamTimeout: streamTimeout})
}

// bedrockClient returns the client for k, building it with build the first
// time.
func (b *builder) bedrockClient(k bedrockClientKey, build func() *bedrockruntime.Client) *bedrockruntime.Client {
	b.mu.Lock()
	defer b.mu.Unlock()
	if c, ok := b.bedrockClients[k]; ok {
		return c
	}
	c := build()
	if b.bedrockClients == nil {
		b.bedrockClients = map[bedrockClientKey]*bedrockruntime.Client{}
	}
	b.bedrockClients[k] = c
	return c
}

// deployments builds every model_list entry. An entry that cannot be built
// (say, an API key that is not set) does not stop the gateway: it is kept,
// marked unavailable with the reason, listed at start-up and in
// /health/readiness, and its calls fail with that reason.
func (b *builder) deployments(ctx context.Context) []*router.Deployment {
	out := make([]*router.Deployment, 0, len(b.cfg.ModelList))
	for i := range b.cfg.ModelList {
		d := &b.cfg.ModelList[i]
		rd := b.deployment(ctx, d)
		if strings.HasSuffix(d.ModelName, "*") { // the router serves it as a wildcard template
			b.mu.Lock()
			if b.templates == nil {
				b.templates = map[*router.Deployment]*config.Deployment{}
			}
			b.templates[rd] = d
			b.mu.Unlock()
		}
		out = append(out, rd)
	}
	return out
}

// deployment builds one entry: its adapter and what routing reads (weight,
// rpm/tpm, order, tags, context window, prices).
func (b *builder) deployment(ctx context.Context, d *config.Deployment) *router.Deployment {
	rd := &router.Deployment{ID: d.ID, Group: d.ModelName, Provider: d.Provider, ModelID: d.ModelID}
	p, info := &d.Params, &d.Info
	if p.Weight != nil {
		rd.Weight = *p.Weight
	}
	rd.RPM, rd.TPM = int64(deref(p.RPM)), int64(deref(p.TPM))
	rd.Order = deref(p.Order)
	rd.NumRetries = p.NumRetries // num_retries, else max_retries: both bound the retries after this deployment fails
	if rd.NumRetries == nil {
		rd.NumRetries = p.MaxRetries
	}
	rd.CooldownTime = p.CooldownTime
	rd.Tags = append(append([]string(nil), p.Tags...), info.Tags...)
	rd.MaxInputTokens = deref(info.MaxInputTokens)
	rd.InputCost, rd.OutputCost = deref(p.InputCostPerToken), deref(p.OutputCostPerToken)
	if info.InputCostPerToken != nil {
		rd.InputCost = *info.InputCostPerToken
	}
	if info.OutputCostPerToken != nil {
		rd.OutputCost = *info.OutputCostPerToken
	}
	m, err := b.model(ctx, d)
	if err != nil {
		rd.Unavailable = err
		m = unavailable{err: err}
	}
	rd.Model = m
	return rd
}

// wildcard builds the deployment a wildcard entry ("bedrock/*") serves for
// one requested model id, with the entry's parameters and credentials.
func (b *builder) wildcard(ctx context.Context, tmpl *router.Deployment, modelID string) (*router.Deployment, error) {
	b.mu.Lock()
	d, ok := b.templates[tmpl]
	b.mu.Unlock()
	if !ok {
		return nil, fmt.Errorf("deployment %s is not a wildcard entry of this config", tmpl.ID)
	}
	c := *d
	c.ModelID = modelID
	c.ID = d.ID + ":" + modelID
	rd := b.deployment(ctx, &c)
	if rd.Unavailable != nil {
		return nil, rd.Unavailable
	}
	return rd, nil
}

func (b *builder) model(ctx context.Context, d *config.Deployment) (provider.ChatModel, error) {
	p, ok := catalog.Lookup(d.Provider)
	if !ok { // config validation refuses unknown providers; keep the check local anyway
		return nil, fmt.Errorf("unknown provider %q", d.Provider)
	}
	// LiteLLM's mock_response answers without calling the provider.
	if d.Params.MockResponse != "" || p.Family == catalog.FamilyFake {
		return fake.New(fake.Options{
			ModelID:      d.ModelID,
			MockResponse: d.Params.MockResponse,
			Latency:      d.Params.MockLatency,
			StreamChunks: deref(d.Params.MockStreamChunks),
			ChunkDelay:   d.Params.MockChunkDelay,
		}), nil
	}
	key := d.Params.APIKey.Reveal()
	for _, env := range p.KeyEnv {
		if key != "" {
			break
		}
		key, _ = b.cfg.LookupEnv(env)
	}
	base := d.Params.APIBase
	if base == "" && p.BaseEnv != "" {
		base, _ = b.cfg.LookupEnv(p.BaseEnv)
	}
	drop := b.cfg.LiteLLM.DropParams != nil && *b.cfg.LiteLLM.DropParams
	if d.Params.DropParams != nil {
		drop = *d.Params.DropParams
	}
	timeout := d.Params.Timeout
	if timeout == 0 {
		timeout = b.cfg.Router.Timeout
	}
	if timeout == 0 {
		timeout = b.cfg.LiteLLM.RequestTimeout
	}
	streamTimeout := d.Params.StreamTimeout
	if streamTimeout == 0 {
		streamTimeout = b.cfg.Router.StreamTimeout
	}
	headers := make(http.Header, len(d.Params.ExtraHeaders))
	for k, v := range d.Params.ExtraHeaders {
		headers.Set(k, v)
	}
	switch p.Family {
	case catalog.FamilyOpenAI:
		return openai.New(b.http, openai.Options{
			Provider: d.Provider, BaseURL: base, APIKey: key, Organization: d.Params.Organization, ModelID: d.ModelID,
			Timeout: timeout, StreamTimeout: streamTimeout, DropParams: drop, ExtraHeaders: headers,
		})
	case catalog.FamilyAzure:
		version := d.Params.APIVersion
		if version == "" {
			version, _ = b.cfg.LookupEnv("AZURE_API_VERSION")
		}
		return azure.New(b.http, azure.Options{
			BaseURL: base, Deployment: d.ModelID, APIVersion: version, APIKey: key,
			Timeout: timeout, StreamTimeout: streamTimeout, DropParams: drop, ExtraHeaders: headers,
		})
	case catalog.FamilyAnthropic:
		return anthropic.New(b.http, anthropic.Options{
			BaseURL: base, APIKey: key, ModelID: d.ModelID,
			Timeout: timeout, StreamTimeout: streamTimeout, DropParams: drop, ExtraHeaders: headers,
		})
	case catalog.FamilyBedrock:
		return b.bedrock(ctx, d, drop, timeout, streamTimeout)
	case catalog.FamilyPending:
		return pending{name: d.Provider}, nil
	}
	return nil, fmt.Errorf("provider %q has no adapter", d.Provider)
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

// pending serves providers that configs name but whose adapter has not
// shipped yet: every call fails with an error that says so, a 501 of type
// not_implemented (the request is fine; this gateway cannot do it yet).
type pending struct{ name string }

func (p pending) err() error {
	return &provider.Error{
		Kind: provider.KindUnsupported, Provider: p.name, Status: http.StatusNotImplemented,
		Type: "not_implemented", Code: "provider_not_available",
		Message: "provider " + p.name + " is recognised in the config but not yet available in this version of Tollgate",
	}
}

func (p pending) Chat(context.Context, *llm.Request) (*llm.Response, error) { return nil, p.err() }

func (p pending) ChatStream(context.Context, *llm.Request) (llm.Stream, error) { return nil, p.err() }

// unavailable serves a deployment that could not be built.
type unavailable struct{ err error }

func (u unavailable) Chat(context.Context, *llm.Request) (*llm.Response, error) { return nil, u.err }

func (u unavailable) ChatStream(context.Context, *llm.Request) (llm.Stream, error) { return nil, u.err }
