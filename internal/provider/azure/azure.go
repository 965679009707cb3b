// Package azure is the outbound adapter for Azure OpenAI deployments
// ("azure/<deployment>" in a model_list entry).
//
// Azure serves OpenAI's wire format under per-deployment URLs,
//
//	{api_base}/openai/deployments/{deployment}/chat/completions?api-version=...
//	{api_base}/openai/deployments/{deployment}/embeddings?api-version=...
//	{api_base}/openai/deployments/{deployment}/images/generations?api-version=...
//
// authenticated with an api-key header instead of a Bearer token. That is
// the only difference this package owns: it builds those URLs and headers
// and hands them to openai.NewWithEndpoint, so streaming, timeouts and error
// mapping are the openai adapter's. Azure's own error shapes are handled
// there too: {"error":{"code":"429",...}}, content-filter refusals with
// innererror / content_filter_result (KindContentPolicy), DeploymentNotFound
// (KindNotFound), and the retry-after-ms header.
//
// Microsoft Entra ID tokens (azure_ad_token) are not supported yet.
//
// Reference: https://learn.microsoft.com/azure/ai-services/openai/reference
package azure

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/tollgate-gw/tollgate/internal/provider/catalog"
	"github.com/tollgate-gw/tollgate/internal/provider/openai"
)

// Name is the provider prefix of this adapter ("azure/<deployment>").
const Name = "azure"

// Options configure one Azure OpenAI deployment.
type Options struct {
	// BaseURL is the resource endpoint, e.g. https://RESOURCE.openai.azure.com/
	// (litellm_params.api_base or AZURE_API_BASE). A trailing path (an API
	// management prefix) is kept; a trailing /openai is not repeated.
	BaseURL string
	// Deployment is the Azure deployment name: the model id after "azure/".
	Deployment string
	// APIVersion is the api-version query parameter
	// (litellm_params.api_version, or AZURE_API_VERSION resolved by the caller).
	APIVersion string
	// APIKey is the resolved secret, sent in the api-key header.
	APIKey string
	// Timeout, StreamTimeout, DropParams and ExtraHeaders mean what they mean
	// in openai.Options.
	Timeout       time.Duration
	StreamTimeout time.Duration
	DropParams    bool
	ExtraHeaders  http.Header
}

// Model is the OpenAI-wire adapter, pointed at an Azure deployment.
type Model = openai.Model

// New returns the adapter for an Azure OpenAI deployment. It fails when the
// base URL, deployment, API version or key is missing or malformed; the
// message names the setting to fix.
func New(client *http.Client, opts Options) (*Model, error) {
	cat, _ := catalog.Lookup(Name)
	if opts.BaseURL == "" {
		return nil, fmt.Errorf("azure: no API base URL: set litellm_params.api_base or the environment variable %s", cat.BaseEnv)
	}
	u, err := url.Parse(opts.BaseURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, fmt.Errorf("azure: litellm_params.api_base %q: want https://RESOURCE.openai.azure.com/", opts.BaseURL)
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("azure: litellm_params.api_base %q: drop the query; set api_version instead", opts.BaseURL)
	}
	if opts.Deployment == "" {
		return nil, fmt.Errorf("azure: no deployment name: write the model as azure/<deployment-name>")
	}
	if opts.APIVersion == "" {
		return nil, fmt.Errorf("azure: no API version: set litellm_params.api_version or the environment variable AZURE_API_VERSION")
	}
	if opts.APIKey == "" {
		return nil, fmt.Errorf("azure: no API key: set litellm_params.api_key or the environment variable %s", strings.Join(cat.KeyEnv, " / "))
	}
	base := strings.TrimSuffix(strings.TrimRight(u.String(), "/"), "/openai")
	prefix := base + "/openai/deployments/" + url.PathEscape(opts.Deployment)
	query := "?api-version=" + url.QueryEscape(opts.APIVersion)
	return openai.NewWithEndpoint(client, openai.Options{
		Provider:      Name,
		APIKey:        opts.APIKey,
		ModelID:       opts.Deployment,
		Timeout:       opts.Timeout,
		StreamTimeout: opts.StreamTimeout,
		DropParams:    opts.DropParams,
		ExtraHeaders:  opts.ExtraHeaders,
	}, openai.Endpoint{
		ChatURL:       prefix + "/chat/completions" + query,
		EmbeddingsURL: prefix + "/embeddings" + query,
		ImagesURL:     prefix + "/images/generations" + query,
		Header:        http.Header{"Api-Key": {opts.APIKey}},
	})
}
