package openai

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/tollgate-gw/tollgate/internal/llm"
	"github.com/tollgate-gw/tollgate/internal/provider"
	"github.com/tollgate-gw/tollgate/internal/provider/catalog"
	"github.com/tollgate-gw/tollgate/internal/provider/upstream"
	wire "github.com/tollgate-gw/tollgate/internal/wire/openai"
)

// Options configure one deployment.
type Options struct {
	// Provider is the catalog name ("openai", "groq", "hosted_vllm", ...). It
	// picks the default base URL, whether a key is required, the parameters
	// the provider refuses, and it names the provider in errors. Empty
	// means "openai".
	Provider string
	// BaseURL is the API root, e.g. https://api.openai.com/v1; the adapter
	// appends /chat/completions and so on. Empty means the catalog default.
	BaseURL string
	// APIKey is the resolved secret, sent as a Bearer token. It may be empty
	// only for providers the catalog marks KeyOptional (local servers).
	APIKey string
	// Organization is sent as OpenAI-Organization when set.
	Organization string
	// APIVersion, when set, is added to every URL as the api-version query
	// parameter (litellm_params.api_version; Azure AI Foundry needs it),
	// unless BaseURL already carries one.
	APIVersion string
	// ModelID is the upstream model id, sent as the body's "model".
	ModelID string
	// Timeout bounds a non-streaming call from start to last byte, and a
	// streaming call until its response headers. Zero means
	// upstream.DefaultTimeout.
	Timeout time.Duration
	// StreamTimeout bounds the wait for each streamed chunk, the first one
	// included: the stream fails if the upstream sends nothing for this long.
	// It also bounds a stream's response headers when Timeout is zero. Zero
	// means upstream.DefaultStreamTimeout. See package upstream.
	StreamTimeout time.Duration
	// DropParams drops parameters this provider refuses instead of failing
	// (litellm_params.drop_params, or litellm_settings.drop_params resolved
	// by the caller). A request's own drop_params, when set, overrides it.
	DropParams bool
	// ExtraHeaders are sent with every call. The credential headers win over
	// them, and Content-Type is always application/json.
	ExtraHeaders http.Header
}

// Endpoint is where a Model sends each operation and the headers that carry
// its credentials. New derives OpenAI's from Options; adapters for upstreams
// that speak OpenAI's wire format under another URL and auth scheme (Azure
// OpenAI) build their own and call NewWithEndpoint.
type Endpoint struct {
	// ChatURL, EmbeddingsURL and ImagesURL are absolute http(s) URLs,
	// query included.
	ChatURL       string
	EmbeddingsURL string
	ImagesURL     string
	// Header is sent with every call, over Options.ExtraHeaders.
	Header http.Header
}

// Model is the adapter for one deployment. It is immutable after New and
// safe for concurrent use.
type Model struct {
	// transport is the client's; see send.
	transport http.RoundTripper
	provider  string
	modelID   string
	// secret is kept only to scrub it from upstream error messages.
	secret   string
	chatURL  string
	embedURL string
	imageURL string
	// header is built once and shared by every request; the transport only
	// reads a request's headers.
	header     http.Header
	limits     upstream.Limits
	dropParams bool
	// unsupported lists chat parameters this provider refuses (params.go).
	unsupported []string
	// maxCompletionTokens: the model refuses max_tokens (params.go).
	maxCompletionTokens bool
}

// New returns the adapter for an OpenAI or OpenAI-compatible deployment. It
// fails when the provider is not in the catalog's OpenAI family, the base
// URL is missing or not an http(s) URL, the model id is empty, or the key is
// missing where the provider needs one; the message names the setting to fix.
//
// Calls go through client.Transport (http.DefaultTransport when nil), which
// should come from internal/httpclient; the client's Timeout, Jar and
// CheckRedirect do not apply (see send).
func New(client *http.Client, opts Options) (*Model, error) {
	if opts.Provider == "" {
		opts.Provider = "openai"
	}
	p, ok := catalog.Lookup(opts.Provider)
	if !ok || p.Family != catalog.FamilyOpenAI {
		return nil, fmt.Errorf("provider %q is not an OpenAI-compatible provider", opts.Provider)
	}
	base := opts.BaseURL
	if base == "" {
		base = p.BaseURL
	}
	if base == "" {
		return nil, fmt.Errorf("%s: no API base URL: set litellm_params.api_base%s", p.Name, orEnv(p.BaseEnv))
	}
	u, err := parseBase(base)
	if err != nil {
		return nil, fmt.Errorf("%s: litellm_params.api_base: %w", p.Name, err)
	}
	if opts.APIKey == "" && !p.KeyOptional {
		return nil, fmt.Errorf("%s: no API key: set litellm_params.api_key%s", p.Name, orEnv(p.KeyEnv...))
	}
	return NewWithEndpoint(client, opts, endpointFor(p.Name, u, opts))
}

// endpointFor derives the URLs and credential headers of a compatible
// provider from its base URL. Everyone takes {base}/chat/completions with a
// Bearer token, except Azure AI Foundry (azure_ai), which follows LiteLLM's
// AzureAIStudioConfig: on *.services.ai.azure.com the routes live under
// /models, and there and on *.openai.azure.com the key goes in api-key.
func endpointFor(providerName string, u *url.URL, opts Options) Endpoint {
	if opts.APIVersion != "" {
		q := u.Query()
		if q.Get("api-version") == "" {
			q.Set("api-version", opts.APIVersion)
			u.RawQuery = q.Encode()
		}
	}
	h := make(http.Header, 2)
	host := u.Hostname()
	azureHost := providerName == "azure_ai" &&
		(strings.HasSuffix(host, ".services.ai.azure.com") || strings.HasSuffix(host, ".openai.azure.com"))
	switch {
	case opts.APIKey == "":
	case azureHost:
		h.Set("Api-Key", opts.APIKey)
	default:
		h.Set("Authorization", "Bearer "+opts.APIKey)
	}
	if opts.Organization != "" {
		h.Set("OpenAI-Organization", opts.Organization)
	}
	root := u
	if azureHost && strings.HasSuffix(host, ".services.ai.azure.com") && !strings.HasSuffix(strings.TrimRight(u.Path, "/"), "/models") {
		root = u.JoinPath("models")
	}
	return Endpoint{
		ChatURL:       root.JoinPath("chat/completions").String(),
		EmbeddingsURL: root.JoinPath("embeddings").String(),
		ImagesURL:     root.JoinPath("images/generations").String(),
		Header:        h,
	}
}

// NewWithEndpoint returns a Model that sends its calls to ep. It uses
// opts.Provider, ModelID, Timeout, StreamTimeout, DropParams and
// ExtraHeaders; BaseURL, Organization and APIVersion are ignored (ep carries
// the URLs and headers), and APIKey is read only to keep it out of error
// messages.
func NewWithEndpoint(client *http.Client, opts Options, ep Endpoint) (*Model, error) {
	if client == nil {
		return nil, errors.New("openai adapter: nil *http.Client")
	}
	if opts.Provider == "" {
		opts.Provider = "openai"
	}
	if opts.ModelID == "" {
		return nil, fmt.Errorf("%s: empty model id: write the model as %s/<model-id>", opts.Provider, opts.Provider)
	}
	limits, err := upstream.NewLimits(opts.Timeout, opts.StreamTimeout)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", opts.Provider, err)
	}
	for _, s := range []string{ep.ChatURL, ep.EmbeddingsURL, ep.ImagesURL} {
		if _, err := parseBase(s); err != nil {
			return nil, fmt.Errorf("%s: endpoint: %w", opts.Provider, err)
		}
	}
	h := make(http.Header, len(opts.ExtraHeaders)+len(ep.Header)+1)
	for k, v := range opts.ExtraHeaders {
		h[http.CanonicalHeaderKey(k)] = slices.Clone(v)
	}
	for k, v := range ep.Header {
		h[http.CanonicalHeaderKey(k)] = slices.Clone(v)
	}
	h.Set("Content-Type", "application/json")
	if err := checkHeader(h); err != nil {
		return nil, fmt.Errorf("%s: %w", opts.Provider, err)
	}
	transport := client.Transport
	if transport == nil {
		transport = http.DefaultTransport
	}
	return &Model{
		transport:           transport,
		provider:            opts.Provider,
		modelID:             opts.ModelID,
		secret:              opts.APIKey,
		chatURL:             ep.ChatURL,
		embedURL:            ep.EmbeddingsURL,
		imageURL:            ep.ImagesURL,
		header:              h,
		limits:              limits,
		dropParams:          opts.DropParams,
		unsupported:         unsupportedParams(opts.Provider),
		maxCompletionTokens: refusesMaxTokens(opts.Provider, opts.ModelID),
	}, nil
}

// checkHeader refuses what the transport would refuse on every call, with
// a message that names the header but never shows its value (it may be the
// key). The usual culprit is a key read from a file with its newline.
func checkHeader(h http.Header) error {
	for k, vs := range h {
		if k == "" || strings.ContainsFunc(k, func(r rune) bool { return r <= ' ' || r >= 0x7f || strings.ContainsRune("\"(),/:;<=>?@[\\]{}", r) }) {
			return fmt.Errorf("invalid header name %q", k)
		}
		for _, v := range vs {
			if strings.ContainsFunc(v, func(r rune) bool { return r < ' ' && r != '\t' || r == 0x7f }) {
				return fmt.Errorf("header %s contains a control character (a trailing newline in the API key?)", k)
			}
		}
	}
	return nil
}

// parseBase checks that s is an absolute http(s) URL.
func parseBase(s string) (*url.URL, error) {
	u, err := url.Parse(s)
	if err != nil {
		return nil, fmt.Errorf("not a URL: %w", err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("%q: want an http:// or https:// URL", s)
	}
	if u.Host == "" {
		return nil, fmt.Errorf("%q: no host", s)
	}
	return u, nil
}

// orEnv renders the environment variables an operator may set instead.
func orEnv(names ...string) string {
	if len(names) == 0 || names[0] == "" {
		return ""
	}
	return " or the environment variable " + strings.Join(names, " / ")
}

// Chat performs a non-streaming completion.
func (m *Model) Chat(ctx context.Context, req *llm.Request) (*llm.Response, error) {
	body, err := m.chatBody(req, false)
	if err != nil {
		return nil, err
	}
	data, err := m.call(ctx, m.chatURL, body, upstream.MaxChatBytes)
	if err != nil {
		return nil, err
	}
	resp, err := wire.DecodeChatResponse(data)
	if err != nil {
		return nil, m.badBody(data, err)
	}
	return resp, nil
}

// Embed embeds the request's inputs. Vectors requested as base64 come back
// decoded; the HTTP layer re-encodes them in the client's format.
func (m *Model) Embed(ctx context.Context, req *llm.EmbeddingRequest) (*llm.EmbeddingResponse, error) {
	body := wire.EncodeEmbeddingRequest(req, wire.RequestOptions{Model: m.modelID})
	data, err := m.call(ctx, m.embedURL, body, upstream.MaxEmbeddingBytes)
	if err != nil {
		return nil, err
	}
	resp, err := wire.DecodeEmbeddingResponse(data)
	if err != nil {
		return nil, m.badBody(data, err)
	}
	if len(req.Input) > 0 && len(resp.Vectors) != len(req.Input) {
		return nil, m.malformed(fmt.Sprintf("upstream returned %d embeddings for %d inputs", len(resp.Vectors), len(req.Input)), nil)
	}
	for i, v := range resp.Vectors {
		if v == nil {
			return nil, m.malformed(fmt.Sprintf("upstream returned no embedding for input %d", i), nil)
		}
	}
	return resp, nil
}

// GenerateImage generates images.
func (m *Model) GenerateImage(ctx context.Context, req *llm.ImageRequest) (*llm.ImageResponse, error) {
	body := wire.EncodeImageRequest(req, wire.RequestOptions{Model: m.modelID})
	data, err := m.call(ctx, m.imageURL, body, upstream.MaxImageBytes)
	if err != nil {
		return nil, err
	}
	resp, err := wire.DecodeImageResponse(data)
	if err != nil {
		return nil, m.badBody(data, err)
	}
	return resp, nil
}

// call POSTs body to target and returns the 2xx response body, at most
// limit bytes of it, under the deployment's Timeout.
func (m *Model) call(ctx context.Context, target string, body []byte, limit int64) ([]byte, error) {
	ctx, cancel := m.limits.Call(ctx)
	defer cancel()
	within := "did not answer within " + m.limits.Timeout.String()
	resp, err := m.send(ctx, target, body)
	if err != nil {
		return nil, m.transportError(ctx, err, within)
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return nil, m.statusError(resp)
	}
	data, err := upstream.ReadAll(resp.Body, resp.ContentLength, limit)
	if err != nil {
		if errors.Is(err, upstream.ErrTooLarge) {
			return nil, upstream.TooLarge(m.provider, limit)
		}
		return nil, m.transportError(ctx, err, within)
	}
	return data, nil
}

// send POSTs body with the deployment's headers. The body is a
// bytes.Reader, so the transport can replay it on a pooled connection that
// turns out to be dead before anything was written.
//
// It calls the client's transport directly: http.Client adds only redirect
// following (which an API call must not do: the 3xx is reported instead),
// cookies and a total timeout (which would cut streams), and it copies the
// headers of every request to support redirects.
func (m *Model) send(ctx context.Context, target string, body []byte) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header = m.header
	return m.transport.RoundTrip(req)
}

// chatBody encodes req for this deployment: the upstream model id, the
// stream flag of the call being made, and the provider's parameter rules.
// req itself is never modified: the router may send it to another
// deployment next.
func (m *Model) chatBody(req *llm.Request, stream bool) ([]byte, error) {
	translate := m.maxCompletionTokens && req.MaxTokens != nil
	if req.Stream != stream || translate {
		r := *req
		r.Stream = stream
		if translate {
			if r.MaxCompletionTokens == nil {
				r.MaxCompletionTokens = r.MaxTokens
			}
			r.MaxTokens = nil
		}
		req = &r
	}
	drop, err := m.dropped(req)
	if err != nil {
		return nil, err
	}
	return wire.EncodeChatRequest(req, wire.RequestOptions{Model: m.modelID, IncludeUsage: stream, Drop: drop}), nil
}

// Interface guards.
var (
	_ provider.ChatModel      = (*Model)(nil)
	_ provider.Embedder       = (*Model)(nil)
	_ provider.ImageGenerator = (*Model)(nil)
)
