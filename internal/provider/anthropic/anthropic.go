// Package anthropic is the adapter for Anthropic's Messages API
// (model: anthropic/<model-id>): the key in x-api-key, the API version in
// anthropic-version, the body translated by internal/wire/anthropic.
package anthropic

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
	"github.com/tollgate-gw/tollgate/internal/provider/upstream"
	wire "github.com/tollgate-gw/tollgate/internal/wire/anthropic"
)

const (
	// DefaultBaseURL is Anthropic's API root.
	DefaultBaseURL = "https://api.anthropic.com"
	// Version is the anthropic-version every call sends, LiteLLM's too.
	Version = "2023-06-01"
	name    = "anthropic"
)

// Options configure one deployment.
type Options struct {
	// BaseURL is api_base. Read as LiteLLM reads it: the adapter posts to
	// {BaseURL}/v1/messages, unless BaseURL already ends in /v1/messages
	// (then it is the endpoint) or in /v1 (then /messages is added). Empty
	// means DefaultBaseURL.
	BaseURL string
	// APIKey is sent as x-api-key.
	APIKey string
	// ModelID is the upstream model id.
	ModelID string
	// Timeout and StreamTimeout: see package upstream.
	Timeout, StreamTimeout time.Duration
	// DropParams leaves out OpenAI parameters Anthropic has no equivalent for
	// instead of failing; a request's own drop_params overrides it.
	DropParams bool
	// ExtraHeaders are sent with every call (anthropic-beta, for one); the
	// credential and version headers win over them.
	ExtraHeaders http.Header
}

// Model is the adapter for one deployment; immutable and safe for
// concurrent use.
type Model struct {
	transport http.RoundTripper
	modelID   string
	secret    string
	url       string
	header    http.Header
	limits    upstream.Limits
	drop      bool
}

// New returns the adapter for one deployment. Calls go through
// client.Transport (http.DefaultTransport when nil).
func New(client *http.Client, opts Options) (*Model, error) {
	if client == nil {
		return nil, errors.New("anthropic adapter: nil *http.Client")
	}
	if opts.ModelID == "" {
		return nil, errors.New("anthropic: empty model id: write the model as anthropic/<model-id>")
	}
	if opts.APIKey == "" {
		return nil, errors.New("anthropic: no API key: set litellm_params.api_key or the environment variable ANTHROPIC_API_KEY")
	}
	target, err := messagesURL(opts.BaseURL)
	if err != nil {
		return nil, fmt.Errorf("anthropic: litellm_params.api_base: %w", err)
	}
	limits, err := upstream.NewLimits(opts.Timeout, opts.StreamTimeout)
	if err != nil {
		return nil, fmt.Errorf("anthropic: %w", err)
	}
	h := make(http.Header, len(opts.ExtraHeaders)+3)
	for k, v := range opts.ExtraHeaders {
		h[http.CanonicalHeaderKey(k)] = slices.Clone(v)
	}
	h.Set("X-Api-Key", opts.APIKey)
	h.Set("Anthropic-Version", Version)
	h.Set("Content-Type", "application/json")
	for k, vs := range h {
		for _, v := range vs {
			if strings.ContainsFunc(v, func(r rune) bool { return r < ' ' && r != '\t' || r == 0x7f }) {
				return nil, fmt.Errorf("anthropic: header %s contains a control character (a trailing newline in the API key?)", k)
			}
		}
	}
	transport := client.Transport
	if transport == nil {
		transport = http.DefaultTransport
	}
	return &Model{transport: transport, modelID: opts.ModelID, secret: opts.APIKey, url: target, header: h,
		limits: limits, drop: opts.DropParams}, nil
}

// messagesURL is the Messages endpoint for api_base, the way LiteLLM's
// AnthropicConfig.get_complete_url completes it.
func messagesURL(base string) (string, error) {
	if base == "" {
		base = DefaultBaseURL
	}
	u, err := url.Parse(base)
	if err != nil {
		return "", fmt.Errorf("not a URL: %w", err)
	}
	if u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
		return "", fmt.Errorf("%q: want an http:// or https:// URL", base)
	}
	p := strings.TrimRight(u.Path, "/")
	switch {
	case strings.HasSuffix(p, "/v1/messages"):
		u.Path = p
	case strings.HasSuffix(p, "/v1"):
		u.Path = p + "/messages"
	default:
		u.Path = p + "/v1/messages"
	}
	return u.String(), nil
}

// Chat performs a non-streaming completion.
func (m *Model) Chat(ctx context.Context, req *llm.Request) (*llm.Response, error) {
	body, err := m.body(req, false)
	if err != nil {
		return nil, err
	}
	ctx, cancel := m.limits.Call(ctx)
	defer cancel()
	within := "did not answer within " + m.limits.Timeout.String()
	resp, err := m.send(ctx, body)
	if err != nil {
		return nil, m.transportError(ctx, err, within)
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return nil, m.statusError(resp)
	}
	data, err := upstream.ReadAll(resp.Body, resp.ContentLength, upstream.MaxChatBytes)
	if err != nil {
		if errors.Is(err, upstream.ErrTooLarge) {
			return nil, upstream.TooLarge(name, upstream.MaxChatBytes)
		}
		return nil, m.transportError(ctx, err, within)
	}
	out, err := wire.DecodeResponse(data)
	if err != nil {
		if e, ok := wire.DecodeError(data); ok {
			return nil, m.classify(0, e)
		}
		return nil, m.malformed("upstream sent a malformed response", errors.New(err.Error()))
	}
	if out.Model == "" {
		out.Model = m.modelID
	}
	return out, nil
}

// body encodes req for this deployment. A codec's ParamError becomes the
// 400 the client can act on.
func (m *Model) body(req *llm.Request, stream bool) ([]byte, error) {
	drop := m.drop
	if req.Gateway.DropParams != nil {
		drop = *req.Gateway.DropParams
	}
	b, err := wire.EncodeRequest(req, wire.RequestOptions{Model: m.modelID, Stream: stream, Drop: drop})
	var pe *wire.ParamError
	switch {
	case errors.As(err, &pe) && pe.Unsupported:
		e := provider.Unsupported(name, pe.Param)
		e.Message += " (" + pe.Msg + ")"
		return nil, e
	case pe != nil:
		return nil, &provider.Error{Kind: provider.KindBadRequest, Provider: name, Status: http.StatusBadRequest,
			Type: "invalid_request_error", Param: pe.Param, Message: pe.Error()}
	case err != nil:
		return nil, fmt.Errorf("anthropic: encoding the request: %w", err)
	}
	return b, nil
}

// send POSTs body with the deployment's headers, on the transport directly
// (no redirects, cookies or client-wide timeout; see provider/openai).
func (m *Model) send(ctx context.Context, body []byte) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, m.url, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header = m.header
	return m.transport.RoundTrip(req)
}

var _ provider.ChatModel = (*Model)(nil)
