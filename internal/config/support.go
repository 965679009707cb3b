package config

import (
	"sort"
	"strings"
)

// Status says how far Tollgate honours a config key.
type Status int

// Statuses. The zero value (not exported) means "same as the parent key".
const (
	// Honoured: the gateway acts on the key.
	Honoured Status = iota + 1
	// NotYet: a LiteLLM option Tollgate will support; today it is read,
	// type-checked and reported, but has no effect.
	NotYet
	// Replaced: Tollgate does the same job another way (DynamoDB instead of
	// Redis or Postgres); the value is not used and os.environ/ references
	// in it are not resolved.
	Replaced
	// NoEffect: a LiteLLM-only knob (debug switches, Python hooks) with no
	// meaning in Tollgate; os.environ/ references in it are not resolved.
	NoEffect
	// Renamed: a spelling LiteLLM silently ignores; Tollgate reads it as the
	// key LiteLLM meant and says so.
	Renamed
)

const inherit Status = 0

var statusNames = map[Status]string{
	Honoured: "honoured",
	NotYet:   "not yet supported",
	Replaced: "replaced",
	NoEffect: "no effect",
	Renamed:  "renamed",
}

// String names the status as notices print it.
func (s Status) String() string {
	if n, ok := statusNames[s]; ok {
		return n
	}
	return "inherited"
}

// Reasons shared by many keys; a reason says what happens instead, or when
// support arrives.
const (
	whyRouter    = "this router setting is not supported yet"
	whyRouterLS  = "set it under router_settings, where the router reads it"
	whyAliasList = "aliases are never listed in /v1/models"
	whyLatency   = "latency-based routing keeps a moving average per instance; samples do not expire or queue"
	whyLimits    = "the router enforces a deployment's rpm and tpm from litellm_params; separate input/output token limits, and limits given in model_info, are not read yet"
	whyTags      = "tag regexes and routing prefixes are not supported yet"
	whyPrices    = "only per-token input and output prices (input_cost_per_token, output_cost_per_token) are applied; other price kinds do not count in a call's cost"
	whyBudgetDep = "budgets apply to keys, users and teams; per-deployment and per-provider budgets are not enforced"
	whySpendLogs = "a spend record is written per call (unless disable_spend_logs) and kept 400 days (or maximum_spend_logs_retention_period); this setting is not applied"
	whyRetention = "spend records expire by their own TTL; there is no cleanup job to schedule"
	whyDiscount  = "costs are the list prices; discounts are not applied"
	whyCapable   = "model capability flags are not read"
	whyCache     = "the response cache is set by litellm_settings.cache and cache_params; this setting is not read"
	whyRedis     = "Redis is not available in serverless; the response cache uses DynamoDB (embedded store locally)"
	whyRouterDB  = "shared router state lives in DynamoDB"
	whyDB        = "keys and spend live in DynamoDB"
	whyLogging   = "logging callbacks are not supported; Tollgate writes one JSON log line per request to stderr (CloudWatch Logs in Lambda)"
	whyAlerting  = "alerting is not supported"
	whyGuard     = "guardrails are not supported yet: requests and responses are not screened"
	whyAuth      = "this authentication setting is not supported"
	whyJWTClaims = "the user id is always the sub claim, and the email the email claim (else an email-shaped preferred_username)"
	whyJWTTeams  = "teams, organisations and end users from JWT claims arrive with JWT tenancy; a JWT caller is its sub"
	whyJWTRoutes = "per-role route and scope permissions for JWT callers arrive with route controls"
	whyJWTIssuer = "one issuer is supported: OKTA_ISSUER, with the audience from JWT_AUDIENCE or OKTA_AUDIENCE"
	whyJWTKeyTTL = "the issuer's key set is cached for an hour and refetched early when a token names an unknown kid"
	whyJWTLookup = "UserInfo lookups and JWT-to-virtual-key mapping are not supported"
	whyTenancy   = "this key, user or team setting is not applied"
	whyParams    = "default request parameters on a deployment are not applied yet"
	whyHeaders   = "per-deployment headers are not sent yet"
	whyProvider  = "this provider's own settings arrive with its adapter"
	whyAzureAuth = "Entra ID (Azure AD) authentication is not supported; give the deployment an api_key"
	whyFiles     = "files, batches and fine-tuning are not supported yet"
	whyHealth    = "background health checks are not supported yet"
	whyMCP       = "MCP, vector stores, prompts and agents are not supported yet"
	whyAdmin     = "models and credentials kept in a database are not supported; models come from the config"
	whyLimitsKey = "parallel-request limits apply through keys, users and teams (their max_parallel_requests); this setting is not read"
	whyDebug     = "LiteLLM debug switch; Tollgate always writes structured JSON logs"
	whyPython    = "Python hooks and modules cannot run in Tollgate"
	whyLiteLLM   = "LiteLLM-internal setting with no counterpart in Tollgate"
	whyInclude   = "include is not followed; pass every file to Load (they are merged in order)"
	whyCacheType = "the response cache uses DynamoDB (embedded store locally); this cache type is not used"
	whyEnvNoop   = "LiteLLM reads this variable; Tollgate does not"
	whyRenamePre = "LiteLLM silently ignores this spelling; Tollgate reads it as enable_pre_call_checks"
)

// Key lists shared by several places.
const (
	// awsKeys are LiteLLM's AWS credential and endpoint parameters.
	awsKeys = "aws_region_name aws_access_key_id aws_secret_access_key aws_session_token " +
		"aws_profile_name aws_role_name aws_session_name aws_external_id " +
		"aws_web_identity_token aws_sts_endpoint aws_bedrock_runtime_endpoint"
	// priceKeys are LiteLLM's custom-pricing keys, valid in litellm_params
	// and model_info alike (except the two that are typed fields).
	priceKeys = "input_cost_per_second output_cost_per_second input_cost_per_pixel output_cost_per_pixel " +
		"input_cost_per_token_flex input_cost_per_token_priority input_cost_per_token_batches " +
		"output_cost_per_token_flex output_cost_per_token_priority output_cost_per_token_batches " +
		"cache_creation_input_token_cost cache_creation_input_token_cost_above_1hr " +
		"cache_creation_input_token_cost_above_200k_tokens cache_creation_input_audio_token_cost " +
		"cache_read_input_token_cost cache_read_input_token_cost_flex cache_read_input_token_cost_priority " +
		"cache_read_input_token_cost_above_200k_tokens cache_read_input_audio_token_cost " +
		"input_cost_per_character input_cost_per_audio_token input_cost_per_token_above_128k_tokens " +
		"input_cost_per_token_above_200k_tokens input_cost_per_character_above_128k_tokens " +
		"input_cost_per_query input_cost_per_image input_cost_per_image_token input_cost_per_audio_per_second " +
		"input_cost_per_video_per_second output_cost_per_character output_cost_per_audio_token " +
		"output_cost_per_token_above_128k_tokens output_cost_per_token_above_200k_tokens " +
		"output_cost_per_character_above_128k_tokens output_cost_per_image output_cost_per_image_token " +
		"output_cost_per_reasoning_token output_cost_per_video_per_second output_cost_per_audio_per_second " +
		"output_cost_per_second_1080p citation_cost_per_token ocr_cost_per_page annotation_cost_per_page " +
		"search_context_cost_per_query tiered_pricing regional_processing_uplift_multiplier_eu"
	// capabilityKeys are LiteLLM's supports_* model flags.
	capabilityKeys = "supports_system_messages supports_response_schema supports_vision " +
		"supports_function_calling supports_tool_choice supports_assistant_prefill supports_prompt_caching " +
		"supports_computer_use supports_audio_input supports_embedding_image_input supports_audio_output " +
		"supports_pdf_input supports_native_streaming supports_parallel_function_calling supports_web_search " +
		"supports_reasoning supports_url_context supports_video_input supports_native_structured_output"
	// sendParams are OpenAI request parameters LiteLLM lets a deployment fix.
	sendParams = "max_tokens max_completion_tokens temperature top_p n stop presence_penalty frequency_penalty " +
		"logit_bias user seed response_format tools tool_choice parallel_tool_calls logprobs top_logprobs " +
		"reasoning_effort thinking stream stream_options extra_body additional_drop_params " +
		"merge_reasoning_content_in_choices modalities audio prediction service_tier web_search_options " +
		"dimensions encoding_format size quality style"
)

// rule is one row of the support table: the status of each key listed in
// keys, found under the key path at.
type rule struct {
	// at is the parent key path pattern: "" for the top level, "a.b" for a
	// nested mapping, "a[]" for the items of a list, "a.*" for the values of
	// a mapping with free-form keys.
	at string
	// keys are the keys this row covers, separated by spaces ("*" for any).
	keys string
	// value limits the row to keys whose value is exactly this scalar.
	value  string
	status Status
	why    string
	// to is the key Tollgate reads instead (Renamed only).
	to string
}

// supportTable is the one place that lists every key Tollgate knows and how
// far it honours it. A key not listed here is an unknown key (a typo) and
// refuses loading. When a feature lands, move its keys to a Honoured row.
// Rows with no status inherit their parent's.
var supportTable = []rule{
	// Top level.
	{at: "", keys: "model_list litellm_settings router_settings general_settings environment_variables", status: Honoured},
	{at: "", keys: "guardrails", status: NotYet, why: whyGuard},
	{at: "", keys: "callback_settings", status: NotYet, why: whyLogging},
	{at: "", keys: "include", status: NotYet, why: whyInclude},
	{at: "", keys: "mcp_servers mcp_tools vector_store_registry search_tools prompts agent_list", status: NotYet, why: whyMCP},
	{at: "", keys: "assistant_settings files_settings finetune_settings", status: NotYet, why: whyFiles},
	{at: "", keys: "credential_list", status: NotYet, why: whyAdmin},

	// model_list entries.
	{at: "model_list[]", keys: "model_name litellm_params model_info", status: Honoured},
	{at: "model_list[].litellm_params", keys: "model api_base api_key api_version organization timeout stream_timeout " +
		"drop_params custom_llm_provider region_name mock_response mock_latency mock_stream_chunks mock_chunk_delay", status: Honoured},
	// The Bedrock adapter consumes every AWS parameter.
	{at: "model_list[].litellm_params", keys: awsKeys, status: Honoured},
	{at: "model_list[].litellm_params", keys: "aws_bedrock_project_id bedrock_tags", status: NotYet, why: whyProvider},
	{at: "model_list[].litellm_params", keys: "weight order rpm tpm tags", status: Honoured},
	// The router reads them per deployment (router.Deployment).
	{at: "model_list[].litellm_params", keys: "max_retries num_retries cooldown_time", status: Honoured},
	{at: "model_list[].litellm_params", keys: "itpm otpm", status: NotYet, why: whyLimits},
	{at: "model_list[].litellm_params", keys: "max_parallel_requests default_api_key_tpm_limit default_api_key_rpm_limit", status: NotYet, why: whyLimitsKey},
	{at: "model_list[].litellm_params", keys: "tag_regex", status: NotYet, why: whyTags},
	// Read for cost as model_info's are (app.priceOverrides): model_info first.
	{at: "model_list[].litellm_params", keys: "input_cost_per_token output_cost_per_token base_model", status: Honoured},
	{at: "model_list[].litellm_params", keys: priceKeys, status: NotYet, why: whyPrices},
	{at: "model_list[].litellm_params", keys: "max_budget budget_duration", status: NotYet, why: whyBudgetDep},
	{at: "model_list[].litellm_params", keys: capabilityKeys, status: NotYet, why: whyCapable},
	{at: "model_list[].litellm_params", keys: "extra_headers headers", status: NotYet, why: whyHeaders},
	{at: "model_list[].litellm_params.extra_headers", keys: "*"},
	{at: "model_list[].litellm_params", keys: sendParams, status: NotYet, why: whyParams},
	{at: "model_list[].litellm_params", keys: "vertex_project vertex_location vertex_credentials vertex_ai_project vertex_ai_location " +
		"watsonx_region_name api_type input_type use_chat_completions_api use_in_pass_through " +
		"configurable_clientside_auth_params keepalive_seconds allow_client_keepalive_override", status: NotYet, why: whyProvider},
	{at: "model_list[].litellm_params", keys: "azure_ad_token azure_ad_token_provider tenant_id client_id client_secret " +
		"azure_username azure_password azure_scope", status: NotYet, why: whyAzureAuth},
	{at: "model_list[].litellm_params", keys: "litellm_credential_name model_info", status: NotYet, why: whyAdmin},
	{at: "model_list[].litellm_params", keys: "s3_bucket_name s3_region_name s3_encryption_key_id aws_batch_role_arn " +
		"s3_output_bucket_name gcs_bucket_name max_file_size_mb", status: NotYet, why: whyFiles},
	{at: "model_list[].litellm_params", keys: "litellm_trace_id metadata", status: NotYet, why: whyLogging},
	{at: "model_list[].litellm_params", keys: "use_litellm_proxy auto_router_config_path auto_router_config " +
		"auto_router_default_model auto_router_embedding_model", status: NoEffect, why: whyLiteLLM},

	{at: "model_list[].model_info", keys: "id mode max_input_tokens max_output_tokens", status: Honoured},
	{at: "model_list[].model_info", keys: "base_model input_cost_per_token output_cost_per_token", status: Honoured},
	{at: "model_list[].model_info", keys: priceKeys, status: NotYet, why: whyPrices},
	{at: "model_list[].model_info", keys: "max_tokens output_vector_size key litellm_provider supported_openai_params " +
		"supported_endpoints description " + capabilityKeys, status: NotYet, why: whyCapable},
	{at: "model_list[].model_info", keys: "tags", status: Honoured},
	{at: "model_list[].model_info", keys: "tpm rpm", status: NotYet, why: whyLimits},
	{at: "model_list[].model_info", keys: "access_groups", status: Honoured},
	{at: "model_list[].model_info", keys: "team_id team_public_model_name tier blocked", status: NotYet, why: whyTenancy},
	{at: "model_list[].model_info", keys: "health_check_model health_check_timeout disable_background_health_check", status: NotYet, why: whyHealth},
	{at: "model_list[].model_info", keys: "db_model updated_at updated_by created_at created_by metadata " +
		"ptu_count cost_per_ptu_per_hour ptu_effective_from ptu_effective_to allow_fail_open enable_tag_filtering", status: NotYet, why: whyAdmin},

	// litellm_settings.
	{at: "litellm_settings", keys: "drop_params request_timeout", status: Honoured},
	{at: "litellm_settings", keys: "num_retries", status: Honoured},
	{at: "litellm_settings", keys: "allowed_fails cooldown_time retry_policy", status: NotYet, why: whyRouterLS},
	{at: "litellm_settings", keys: "fallbacks context_window_fallbacks content_policy_fallbacks default_fallbacks", status: Honoured},
	// The response cache (internal/cache) keeps its entries in DynamoDB
	// (the embedded store locally); a Redis cache_params.type is reported
	// as Replaced below and served by the same cache.
	{at: "litellm_settings", keys: "cache cache_params", status: Honoured},
	{at: "litellm_settings", keys: "enable_caching_on_provider_specific_optional_params", status: NotYet, why: whyCache},
	{at: "litellm_settings.cache_params", keys: "type", status: Replaced, why: whyCacheType},
	{at: "litellm_settings.cache_params", keys: "type", value: "redis", status: Replaced, why: whyRedis},
	{at: "litellm_settings.cache_params", keys: "type", value: "redis-semantic", status: Replaced, why: whyRedis},
	{at: "litellm_settings.cache_params", keys: "ttl namespace supported_call_types mode", status: Honoured},
	{at: "litellm_settings.cache_params", keys: "default_in_memory_ttl", status: Replaced, why: whyCacheType},
	{at: "litellm_settings.cache_params", keys: "host port password url username db max_connections redis_startup_nodes " +
		"service_name sentinel_nodes sentinel_password gcp_service_account gcp_ssl_ca_certs ssl ssl_cert_reqs " +
		"ssl_check_hostname redis_flush_size default_in_redis_ttl redis_semantic_cache_embedding_model " +
		"redis_semantic_cache_index_name", status: Replaced, why: whyRedis},
	{at: "litellm_settings.cache_params", keys: "similarity_threshold qdrant_semantic_cache_embedding_model " +
		"qdrant_collection_name qdrant_quantization_config qdrant_semantic_cache_vector_size qdrant_api_base " +
		"qdrant_api_key s3_bucket_name s3_region_name s3_api_version s3_use_ssl s3_verify s3_endpoint_url " +
		"s3_aws_access_key_id s3_aws_secret_access_key s3_aws_session_token s3_path gcs_bucket_name " +
		"gcs_path_service_account gcs_path disk_cache_dir", status: Replaced, why: whyCacheType},
	// Defaults for new internal users (internal/tenancy); the proxy and
	// end-user budgets are enforced by internal/ratelimit.
	{at: "litellm_settings", keys: "max_internal_user_budget internal_user_budget_duration", status: Honoured},
	{at: "litellm_settings", keys: "max_budget budget_duration max_end_user_budget", status: Honoured},
	{at: "litellm_settings", keys: "disable_end_user_cost_tracking disable_end_user_cost_tracking_prometheus_only",
		status: NotYet, why: whySpendLogs},
	{at: "litellm_settings", keys: "cost_discount_config", status: NotYet, why: whyDiscount},
	{at: "litellm_settings", keys: "success_callback failure_callback service_callback service_callbacks callbacks " +
		"s3_callback_params turn_off_message_logging redact_user_api_key_info redact_messages_in_exceptions " +
		"langfuse_default_tags log_raw_request_response store_audit_logs global_disable_no_log_param " +
		"prometheus_initialize_budget_metrics datadog_params generic_logger_headers extra_spend_tag_headers",
		status: NotYet, why: whyLogging},
	{at: "litellm_settings.s3_callback_params", keys: "s3_bucket_name s3_region_name s3_api_version s3_use_ssl " +
		"s3_verify s3_endpoint_url s3_aws_access_key_id s3_aws_secret_access_key s3_aws_session_token s3_config " +
		"s3_path s3_use_team_prefix s3_strip_base64_files s3_flush_interval s3_batch_size s3_use_key_prefix"},
	{at: "litellm_settings", keys: "default_internal_user_params", status: Honoured},
	{at: "litellm_settings.default_internal_user_params", keys: "user_role models max_budget budget_duration " +
		"tpm_limit rpm_limit max_parallel_requests", status: Honoured},
	{at: "litellm_settings.default_internal_user_params", keys: "teams", status: NotYet, why: whyTenancy},
	{at: "litellm_settings", keys: "default_team_settings default_team_params " +
		"default_key_generate_params upperbound_key_generate_params key_generation_settings " +
		"enable_key_alias_format_validation public_teams", status: NotYet, why: whyTenancy},
	{at: "litellm_settings", keys: "guardrails", status: NotYet, why: whyGuard},
	{at: "litellm_settings", keys: "modify_params enable_preview_features force_ipv4 ssl_verify " +
		"return_response_headers enable_json_schema_validation disable_add_transform_inline_image_block " +
		"use_chat_completions_url_for_anthropic_messages enable_loadbalancing_on_batch_endpoints model_alias_map " +
		"max_parallel_requests mcp_aliases", status: NotYet, why: whyParams},
	{at: "litellm_settings", keys: "debug detailed_debug set_verbose json_logs", status: NoEffect, why: whyDebug},
	{at: "litellm_settings", keys: "telemetry disable_hf_tokenizer_download disable_copilot_system_to_assistant " +
		"disable_aiohttp_transport disable_aiohttp_trust_env disable_token_counter", status: NoEffect, why: whyLiteLLM},

	// router_settings.
	{at: "router_settings", keys: "routing_strategy routing_strategy_args num_retries timeout stream_timeout " +
		"retry_after retry_policy allowed_fails allowed_fails_policy cooldown_time disable_cooldowns model_group_alias",
		status: Honoured},
	{at: "router_settings", keys: "max_retries model_group_retry_policy default_max_parallel_requests default_priority polling_interval " +
		"optional_pre_call_checks routing_groups ignore_invalid_deployments deployment_affinity_ttl_seconds " +
		"client_ttl default_litellm_params", status: NotYet, why: whyRouter},
	{at: "router_settings.routing_strategy_args", keys: "lowest_latency_buffer", status: Honoured},
	{at: "router_settings.routing_strategy_args", keys: "ttl max_latency_list_size", status: Replaced, why: whyLatency},
	{at: "router_settings.retry_policy", keys: "BadRequestErrorRetries AuthenticationErrorRetries TimeoutErrorRetries " +
		"RateLimitErrorRetries ContentPolicyViolationErrorRetries InternalServerErrorRetries", status: Honoured},
	{at: "router_settings.allowed_fails_policy", keys: "BadRequestErrorAllowedFails AuthenticationErrorAllowedFails " +
		"TimeoutErrorAllowedFails RateLimitErrorAllowedFails ContentPolicyViolationErrorAllowedFails " +
		"InternalServerErrorAllowedFails", status: Honoured},
	{at: "router_settings.model_group_alias", keys: "*", status: Honoured},
	{at: "router_settings.model_group_alias.*", keys: "model", status: Honoured},
	{at: "router_settings.model_group_alias.*", keys: "hidden", status: NoEffect, why: whyAliasList},
	{at: "router_settings", keys: "fallbacks context_window_fallbacks content_policy_fallbacks default_fallbacks max_fallbacks", status: Honoured},
	{at: "router_settings", keys: "enable_pre_call_checks", status: Honoured},
	{at: "router_settings", keys: "enable_pre_call_check", status: Renamed, why: whyRenamePre, to: "enable_pre_call_checks"},
	{at: "router_settings", keys: "enable_tag_filtering tag_filtering_match_any", status: Honoured},
	{at: "router_settings", keys: "tag_routing_prefix", status: NotYet, why: whyTags},
	{at: "router_settings", keys: "provider_budget_config", status: NotYet, why: whyBudgetDep},
	{at: "router_settings", keys: "cache_responses caching_groups", status: NotYet, why: whyCache},
	{at: "router_settings", keys: "redis_host redis_port redis_password redis_url redis_db cache_kwargs", status: Replaced, why: whyRouterDB},
	{at: "router_settings", keys: "alerting_config", status: NotYet, why: whyAlerting},
	{at: "router_settings", keys: "search_tools guardrail_list assistants_config", status: NotYet, why: whyMCP},
	{at: "router_settings", keys: "set_verbose debug_level", status: NoEffect, why: whyDebug},
	{at: "router_settings", keys: "router_general_settings", status: NoEffect, why: whyLiteLLM},

	// general_settings.
	{at: "general_settings", keys: "master_key max_request_size_mb", status: Honoured},
	{at: "general_settings", keys: "database_url database_connection_pool_limit database_connection_timeout " +
		"allow_requests_on_db_unavailable disable_prisma_schema_update proxy_batch_write_at " +
		"use_redis_transaction_buffer disable_adding_master_key_hash_to_db",
		status: Replaced, why: whyDB},
	// store_model_in_db: /model/new, /model/update, /model/delete (tenancy.StoredModels), served by app's runtime.
	{at: "general_settings", keys: "store_model_in_db", status: Honoured},
	{at: "general_settings", keys: "supported_db_objects", status: NotYet, why: whyAdmin},
	// ratelimit.Options.NoSpendLogs: no record per call; totals and budgets as before.
	// maximum_spend_logs_retention_period: the records' TTL (app.storeOptions).
	{at: "general_settings", keys: "disable_spend_logs maximum_spend_logs_retention_period", status: Honoured},
	{at: "general_settings", keys: "maximum_spend_logs_retention_interval", status: NoEffect, why: whyRetention},
	{at: "general_settings", keys: "disable_spend_updates disable_reset_budget store_prompts_in_spend_logs spend_report_frequency " +
		"proxy_budget_rescheduler_min_time proxy_budget_rescheduler_max_time", status: NotYet, why: whySpendLogs},
	{at: "general_settings", keys: "alerting alerting_threshold alerting_args alert_types alert_to_webhook_url", status: NotYet, why: whyAlerting},
	{at: "general_settings", keys: "enable_jwt_auth litellm_jwtauth", status: Honoured},
	{at: "general_settings.litellm_jwtauth", keys: "admin_jwt_scope roles_jwt_field role_mappings", status: Honoured},
	{at: "general_settings.litellm_jwtauth.role_mappings[]", keys: "role internal_role", status: Honoured},
	{at: "general_settings.litellm_jwtauth", keys: "user_id_jwt_field user_email_jwt_field", status: NotYet, why: whyJWTClaims},
	{at: "general_settings.litellm_jwtauth", keys: "user_id_jwt_field", value: "sub", status: Honoured},
	{at: "general_settings.litellm_jwtauth", keys: "user_email_jwt_field", value: "email", status: Honoured},
	{at: "general_settings.litellm_jwtauth", keys: "team_id_jwt_field team_ids_jwt_field team_id_upsert team_id_default " +
		"team_alias_jwt_field team_claim_fallback upsert_sso_user_to_team org_id_jwt_field org_alias_jwt_field " +
		"end_user_id_jwt_field object_id_jwt_field user_id_upsert jwt_litellm_role_map sync_user_role_and_teams",
		status: NotYet, why: whyJWTTeams},
	{at: "general_settings.litellm_jwtauth", keys: "admin_allowed_routes team_allowed_routes public_allowed_routes " +
		"enforce_rbac team_jwt_scope scope_mappings enforce_scope_based_access enforce_team_based_model_access " +
		"user_roles_jwt_field user_allowed_roles user_allowed_email_domain routing_overrides",
		status: NotYet, why: whyJWTRoutes},
	{at: "general_settings.litellm_jwtauth", keys: "issuers", status: NotYet, why: whyJWTIssuer},
	{at: "general_settings.litellm_jwtauth", keys: "public_key_ttl", status: NotYet, why: whyJWTKeyTTL},
	{at: "general_settings.litellm_jwtauth", keys: "oidc_userinfo_enabled oidc_userinfo_endpoint oidc_userinfo_cache_ttl " +
		"virtual_key_claim_field virtual_key_mapping_cache_ttl", status: NotYet, why: whyJWTLookup},
	{at: "general_settings.litellm_jwtauth", keys: "custom_validate", status: NoEffect, why: whyPython},
	{at: "general_settings", keys: "enable_oauth2_auth enable_oauth2_proxy_auth " +
		"oauth2_config_mappings allowed_routes public_routes admin_only_routes allowed_ips ui_access_mode " +
		"litellm_key_header_name user_header_name use_x_forwarded_for enforce_user_param reject_clientside_metadata_tags " +
		"enforced_params allow_client_side_credentials use_client_credentials_pass_through_routes " +
		"disable_master_key_return default_team_disabled service_account_settings user_api_key_cache_ttl " +
		"disable_responses_id_security user_mcp_management_mode allow_user_auth", status: NotYet, why: whyAuth},
	{at: "general_settings", keys: "max_parallel_requests global_max_parallel_requests " +
		"disable_retry_on_max_parallel_request_limit_error", status: NotYet, why: whyLimitsKey},
	{at: "general_settings", keys: "max_response_size_mb forward_client_headers_to_llm_api forward_openai_org_id " +
		"completion_model embedding_model image_generation_model moderation_model infer_model_from_keys " +
		"pass_through_endpoints proxy_batch_polling_interval", status: NotYet, why: whyParams},
	{at: "general_settings", keys: "background_health_checks health_check_interval health_check_details", status: NotYet, why: whyHealth},
	{at: "general_settings", keys: "key_management_system key_management_settings use_azure_key_vault use_google_kms " +
		"litellm_license", status: NoEffect, why: whyLiteLLM},
	{at: "general_settings", keys: "custom_auth custom_key_generate custom_sso", status: NoEffect, why: whyPython},

	// guardrails entries (the whole section inherits NotYet).
	{at: "guardrails[]", keys: "guardrail_name litellm_params guardrail_info"},
	{at: "guardrails[].litellm_params", keys: "guardrail mode default_on api_key api_base guardrailIdentifier " +
		"guardrailVersion guardrail_id mask_request_content mask_response_content disable_exception_on_block " +
		"output_parse_pii presidio_ad_hoc_recognizers presidio_analyzer_api_base presidio_anonymizer_api_base " +
		"presidio_language presidio_score_thresholds pii_entities_config callback_args category_thresholds " +
		"project_id breakdown payload dev_info guard_name model severity_threshold severity_threshold_by_category " +
		"categories blocklistNames haltOnBlocklistHit outputType detect_secrets_config " +
		"experimental_use_latest_role_message_only violation_message_template default_action on_flagged_action " +
		"api_version template_id " + awsKeys},
	{at: "guardrails[].litellm_params.mode", keys: "tags default"},
	{at: "guardrails[].litellm_params.mode.tags", keys: "*"},

	// environment_variables: every entry is exported for os.environ/ lookups.
	{at: "environment_variables", keys: "*", status: Honoured},
	{at: "environment_variables", keys: "STORE_MODEL_IN_DB LITELLM_LOG LITELLM_MODE LITELLM_SALT_KEY " +
		"LITELLM_DONT_SHOW_FEEDBACK_BOX DISABLE_SCHEMA_UPDATE", status: NoEffect, why: whyEnvNoop},
}

// entry is one key of the expanded table.
type entry struct {
	pattern string // full key path pattern
	parent  string // the rule's at
	key     string
	value   string
	status  Status
	why     string
	to      string
}

// tableIndex is the support table expanded for lookups by pattern.
type tableIndex struct {
	byPattern map[string][]entry // pattern -> entries (several when value-conditional)
	children  map[string][]string
}

// newTableIndex expands the support table for lookups. Each load builds its
// own (a fraction of a millisecond), so the package keeps no state.
func newTableIndex() *tableIndex {
	// Sized first: growing the maps key by key was a third of the build,
	// which every cold start pays.
	n := 0
	for _, r := range supportTable {
		n += strings.Count(r.keys, " ") + 1
	}
	ix := &tableIndex{byPattern: make(map[string][]entry, n), children: make(map[string][]string, len(supportTable))}
	for _, r := range supportTable {
		for k := range strings.FieldsSeq(r.keys) {
			p := joinPattern(r.at, k)
			e := entry{pattern: p, parent: r.at, key: k, value: r.value, status: r.status, why: r.why, to: r.to}
			if len(ix.byPattern[p]) == 0 {
				ix.children[r.at] = append(ix.children[r.at], k)
			}
			ix.byPattern[p] = append(ix.byPattern[p], e)
		}
	}
	for _, c := range ix.children {
		sort.Strings(c)
	}
	return ix
}

func joinPattern(parent, key string) string {
	if parent == "" {
		return key
	}
	return parent + "." + key
}

// lookup finds the entry for key under the parent pattern; value is the
// key's scalar value, for value-conditional rows. The returned pattern is the
// one children of this key hang from.
func (ix *tableIndex) lookup(parent, key, value string) (entry, bool) {
	es := ix.byPattern[joinPattern(parent, key)]
	if len(es) == 0 {
		es = ix.byPattern[joinPattern(parent, "*")]
	}
	var plain entry
	found := false
	for _, e := range es {
		if e.value == "" {
			plain, found = e, true
		} else if e.value == value {
			return e, true
		}
	}
	return plain, found
}

// keysUnder lists the literal keys known under a parent pattern, for
// "did you mean" suggestions.
func (ix *tableIndex) keysUnder(parent string) []string {
	var out []string
	for _, k := range ix.children[parent] {
		if k != "*" {
			out = append(out, k)
		}
	}
	return out
}
