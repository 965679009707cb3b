// Package catalog lists the provider prefixes Tollgate recognises in a
// model_list entry's "model: provider/model-id", with each provider's wire
// family, default endpoint and API-key environment variables.
//
// It is data only, shared by config validation (is this prefix known?) and
// by the code that builds adapters (which adapter, which defaults).
package catalog

import "sort"

// Family is the wire protocol an adapter speaks.
type Family int

// Families.
const (
	// FamilyOpenAI is the OpenAI Chat Completions API and its compatibles.
	FamilyOpenAI Family = iota + 1
	// FamilyAzure is Azure OpenAI: deployment URLs, api-version, api-key header.
	FamilyAzure
	// FamilyBedrock is Amazon Bedrock (Converse, ConverseStream, InvokeModel).
	FamilyBedrock
	// FamilyAnthropic is Anthropic's Messages API (x-api-key, anthropic-version).
	FamilyAnthropic
	// FamilyFake is the built-in deterministic model; no network.
	FamilyFake
	// FamilyPending is a provider recognised in configs whose adapter has not
	// shipped yet; requests to it fail with a clear error.
	FamilyPending
)

// Provider describes one provider prefix.
type Provider struct {
	// Name is the prefix as written in config ("groq" in "groq/llama3-8b").
	Name   string
	Family Family
	// BaseURL is the default api_base; empty when api_base is required.
	BaseURL string
	// KeyEnv lists environment variables consulted, in order, for the API key
	// when litellm_params.api_key is not set.
	KeyEnv []string
	// BaseEnv optionally names an environment variable for api_base.
	BaseEnv string
	// RequiresBase is true when the deployment must set api_base (or BaseEnv).
	RequiresBase bool
	// KeyOptional is true for providers that usually run without a key
	// (local servers).
	KeyOptional bool
}

var providers = map[string]Provider{
	"openai":                    {Family: FamilyOpenAI, BaseURL: "https://api.openai.com/v1", KeyEnv: []string{"OPENAI_API_KEY"}, BaseEnv: "OPENAI_API_BASE"},
	"groq":                      {Family: FamilyOpenAI, BaseURL: "https://api.groq.com/openai/v1", KeyEnv: []string{"GROQ_API_KEY"}},
	"deepseek":                  {Family: FamilyOpenAI, BaseURL: "https://api.deepseek.com/v1", KeyEnv: []string{"DEEPSEEK_API_KEY"}},
	"xai":                       {Family: FamilyOpenAI, BaseURL: "https://api.x.ai/v1", KeyEnv: []string{"XAI_API_KEY"}},
	"mistral":                   {Family: FamilyOpenAI, BaseURL: "https://api.mistral.ai/v1", KeyEnv: []string{"MISTRAL_API_KEY"}},
	"codestral":                 {Family: FamilyOpenAI, BaseURL: "https://codestral.mistral.ai/v1", KeyEnv: []string{"CODESTRAL_API_KEY"}},
	"text-completion-codestral": {Family: FamilyOpenAI, BaseURL: "https://codestral.mistral.ai/v1", KeyEnv: []string{"CODESTRAL_API_KEY"}},
	"together_ai":               {Family: FamilyOpenAI, BaseURL: "https://api.together.xyz/v1", KeyEnv: []string{"TOGETHERAI_API_KEY", "TOGETHER_API_KEY", "TOGETHER_AI_API_KEY"}},
	"fireworks_ai":              {Family: FamilyOpenAI, BaseURL: "https://api.fireworks.ai/inference/v1", KeyEnv: []string{"FIREWORKS_AI_API_KEY", "FIREWORKS_API_KEY", "FIREWORKSAI_API_KEY"}},
	"openrouter":                {Family: FamilyOpenAI, BaseURL: "https://openrouter.ai/api/v1", KeyEnv: []string{"OPENROUTER_API_KEY", "OR_API_KEY"}},
	"perplexity":                {Family: FamilyOpenAI, BaseURL: "https://api.perplexity.ai", KeyEnv: []string{"PERPLEXITYAI_API_KEY", "PERPLEXITY_API_KEY"}},
	"nvidia_nim":                {Family: FamilyOpenAI, BaseURL: "https://integrate.api.nvidia.com/v1", KeyEnv: []string{"NVIDIA_NIM_API_KEY"}, BaseEnv: "NVIDIA_NIM_API_BASE"},
	"github":                    {Family: FamilyOpenAI, BaseURL: "https://models.inference.ai.azure.com", KeyEnv: []string{"GITHUB_API_KEY"}},
	"databricks":                {Family: FamilyOpenAI, RequiresBase: true, KeyEnv: []string{"DATABRICKS_API_KEY"}, BaseEnv: "DATABRICKS_API_BASE"},
	"hosted_vllm":               {Family: FamilyOpenAI, RequiresBase: true, KeyEnv: []string{"HOSTED_VLLM_API_KEY"}, BaseEnv: "HOSTED_VLLM_API_BASE", KeyOptional: true},
	"ollama":                    {Family: FamilyOpenAI, BaseURL: "http://localhost:11434/v1", BaseEnv: "OLLAMA_API_BASE", KeyOptional: true},
	"ollama_chat":               {Family: FamilyOpenAI, BaseURL: "http://localhost:11434/v1", BaseEnv: "OLLAMA_API_BASE", KeyOptional: true},
	"huggingface":               {Family: FamilyOpenAI, BaseURL: "https://router.huggingface.co/v1", KeyEnv: []string{"HF_TOKEN", "HUGGINGFACE_API_KEY"}, BaseEnv: "HUGGINGFACE_API_BASE"},
	"ai21":                      {Family: FamilyOpenAI, BaseURL: "https://api.ai21.com/studio/v1", KeyEnv: []string{"AI21_API_KEY"}},
	"azure_ai":                  {Family: FamilyOpenAI, RequiresBase: true, KeyEnv: []string{"AZURE_AI_API_KEY"}, BaseEnv: "AZURE_AI_API_BASE"},
	"azure":                     {Family: FamilyAzure, RequiresBase: true, KeyEnv: []string{"AZURE_API_KEY", "AZURE_OPENAI_API_KEY"}, BaseEnv: "AZURE_API_BASE"},
	"bedrock":                   {Family: FamilyBedrock},
	"fake":                      {Family: FamilyFake, KeyOptional: true},
	"anthropic":                 {Family: FamilyAnthropic, KeyEnv: []string{"ANTHROPIC_API_KEY"}, BaseEnv: "ANTHROPIC_API_BASE"},
	"gemini":                    {Family: FamilyPending, KeyEnv: []string{"GEMINI_API_KEY"}},
	"cohere":                    {Family: FamilyPending, KeyEnv: []string{"COHERE_API_KEY", "CO_API_KEY"}},
	"vertex_ai":                 {Family: FamilyPending},
	"sagemaker":                 {Family: FamilyPending},
}

// Lookup returns the provider for a prefix.
func Lookup(name string) (Provider, bool) {
	p, ok := providers[name]
	if ok {
		p.Name = name
	}
	return p, ok
}

// Names returns every known prefix, sorted (for "did you mean" suggestions).
func Names() []string {
	names := make([]string, 0, len(providers))
	for n := range providers {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}
