package config

import (
	"time"

	"github.com/tollgate-gw/tollgate/internal/period"
)

// LiteLLMParams is a deployment's litellm_params. Which keys Tollgate acts
// on is recorded in the support table (support.go), not here; fields exist
// for every key a later feature needs. Optional numbers are pointers (nil
// means unset); durations are given in seconds (int or float) in the file.
type LiteLLMParams struct {
	// Model is "provider/model-id" as written (after os.environ/ resolution).
	Model        string `yaml:"model"`
	APIBase      string `yaml:"api_base"`
	APIKey       Secret `yaml:"api_key"`
	APIVersion   string `yaml:"api_version"`
	Organization string `yaml:"organization"`
	// CustomLLMProvider overrides the provider prefix, as in LiteLLM.
	CustomLLMProvider string        `yaml:"custom_llm_provider"`
	Timeout           time.Duration `yaml:"timeout"`
	StreamTimeout     time.Duration `yaml:"stream_timeout"`
	MaxRetries        *int          `yaml:"max_retries"`
	NumRetries        *int          `yaml:"num_retries"`
	RPM               *int          `yaml:"rpm"`
	TPM               *int          `yaml:"tpm"`
	// Weight biases simple-shuffle routing; LiteLLM accepts fractions.
	Weight *float64 `yaml:"weight"`
	// Order ranks deployments in a group (1 first) for order-based routing.
	Order               *int          `yaml:"order"`
	MaxParallelRequests *int          `yaml:"max_parallel_requests"`
	CooldownTime        time.Duration `yaml:"cooldown_time"`
	Tags                []string      `yaml:"tags"`
	// DropParams drops request parameters the provider does not support
	// instead of failing; it overrides litellm_settings.drop_params.
	DropParams *bool `yaml:"drop_params"`

	// MockResponse, when set, is returned instead of calling the provider.
	MockResponse string `yaml:"mock_response"`
	// MockLatency is how long the fake provider waits before the first byte.
	MockLatency time.Duration `yaml:"mock_latency"`
	// MockStreamChunks is how many chunks the fake provider streams.
	MockStreamChunks *int `yaml:"mock_stream_chunks"`
	// MockChunkDelay is the fake provider's pause between chunks.
	MockChunkDelay time.Duration `yaml:"mock_chunk_delay"`

	// AWS credentials and endpoints (Bedrock). Explicit keys, a profile, a
	// web identity token and a role to assume are all optional; with none,
	// the default credential chain applies.
	AWSRegionName      string `yaml:"aws_region_name"`
	AWSAccessKeyID     string `yaml:"aws_access_key_id"`
	AWSSecretAccessKey Secret `yaml:"aws_secret_access_key"`
	AWSSessionToken    Secret `yaml:"aws_session_token"`
	AWSProfileName     string `yaml:"aws_profile_name"`
	// AWSRoleName is a role ARN to assume with STS before calling Bedrock.
	AWSRoleName               string `yaml:"aws_role_name"`
	AWSSessionName            string `yaml:"aws_session_name"`
	AWSExternalID             string `yaml:"aws_external_id"`
	AWSWebIdentityToken       Secret `yaml:"aws_web_identity_token"`
	AWSSTSEndpoint            string `yaml:"aws_sts_endpoint"`
	AWSBedrockRuntimeEndpoint string `yaml:"aws_bedrock_runtime_endpoint"`
	// RegionName is LiteLLM's provider-neutral region; for Bedrock, load
	// copies it into AWSRegionName when that is empty, as LiteLLM does.
	RegionName string `yaml:"region_name"`

	VertexProject     string `yaml:"vertex_project"`
	VertexLocation    string `yaml:"vertex_location"`
	VertexCredentials Secret `yaml:"vertex_credentials"`

	InputCostPerToken  *float64       `yaml:"input_cost_per_token"`
	OutputCostPerToken *float64       `yaml:"output_cost_per_token"`
	MaxBudget          *float64       `yaml:"max_budget"`
	BudgetDuration     *period.Period `yaml:"budget_duration"`
	BaseModel          string         `yaml:"base_model"`

	// ExtraHeaders are sent with every upstream request.
	ExtraHeaders map[string]string `yaml:"extra_headers"`
	// Default request parameters.
	MaxTokens   *int     `yaml:"max_tokens"`
	Temperature *float64 `yaml:"temperature"`
	TopP        *float64 `yaml:"top_p"`
}

// ModelInfo is a deployment's model_info.
type ModelInfo struct {
	// ID identifies the deployment; unique across the config.
	ID string `yaml:"id"`
	// Mode is what the model does: chat (default), embedding,
	// image_generation, completion, ... (see validModes).
	Mode            string   `yaml:"mode"`
	BaseModel       string   `yaml:"base_model"`
	MaxInputTokens  *int     `yaml:"max_input_tokens"`
	MaxOutputTokens *int     `yaml:"max_output_tokens"`
	MaxTokens       *int     `yaml:"max_tokens"`
	Tags            []string `yaml:"tags"`
	AccessGroups    []string `yaml:"access_groups"`

	InputCostPerToken  *float64 `yaml:"input_cost_per_token"`
	OutputCostPerToken *float64 `yaml:"output_cost_per_token"`

	SupportsVision          *bool `yaml:"supports_vision"`
	SupportsFunctionCalling *bool `yaml:"supports_function_calling"`
}

// validModes are LiteLLM's model_info.mode values.
var validModes = []string{
	"chat", "completion", "embedding", "image_generation", "image_edit", "audio_transcription",
	"audio_speech", "moderation", "rerank", "responses", "realtime", "batch", "ocr",
	"video_generation", "search", "vector_store",
}
