package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// Options are every deploy-time setting of the Tollgate app. Each one is read
// from CDK context (`cdk synth -c key=value`, or "context" in cdk.json) and,
// when the context does not set it, from the environment variable named in
// optionSpecs (the genai-gateway seeds' .env name where one exists, so an
// existing .env keeps working after `set -a; . ./.env`). infra/README.md is
// the user-facing table; keep the two in step.
type Options struct {
	// StackName names the main stack (and prefixes the edge WAF stack).
	StackName string
	// Account and Region pin the stack's environment; empty means
	// environment-agnostic (CDK_DEFAULT_ACCOUNT/CDK_DEFAULT_REGION are used
	// when set).
	Account, Region string

	// Architecture is "arm64" (default) or "x86_64".
	Architecture string
	// ArtifactDir holds <fn>-<arch>.zip from the root `make build`.
	ArtifactDir string
	// ConfigFile is the config.yaml uploaded for the functions.
	ConfigFile string
	// ConfigStore is "s3" (default) or "ssm".
	ConfigStore string

	// GatewayMemoryMB, AdminMemoryMB and FakeLLMMemoryMB size the functions.
	GatewayMemoryMB, AdminMemoryMB, FakeLLMMemoryMB int
	// GatewayTimeoutSeconds bounds one gateway invocation, and the REST
	// streaming integration's timeout (at most 900).
	GatewayTimeoutSeconds int
	// GatewayReservedConcurrency, AdminReservedConcurrency and
	// FakeLLMReservedConcurrency cap each function, so that a flood on one
	// cannot take the account's whole Lambda concurrency (nor starve the
	// others); 0 leaves a function unreserved.
	GatewayReservedConcurrency, AdminReservedConcurrency, FakeLLMReservedConcurrency int
	// GatewayProvisionedConcurrency keeps instances warm on a "live" alias;
	// 0 means none (and no alias).
	GatewayProvisionedConcurrency int
	// Tracing turns on AWS X-Ray active tracing for every function.
	Tracing bool
	// LogRetentionDays applies to function, API access and WAF logs.
	LogRetentionDays int

	// OktaIssuer and OktaAudience configure JWT login (seeds' OKTA_*).
	OktaIssuer, OktaAudience string

	// PublicAPI false makes the REST API PRIVATE, reachable only through an
	// execute-api VPC endpoint: APIVpcEndpointIDs, or one created in VpcID /
	// SubnetIDs admitting PrivateAPIIngressCIDR.
	PublicAPI             bool
	APIVpcEndpointIDs     []string
	VpcID                 string
	SubnetIDs             []string
	PrivateAPIIngressCIDR string
	// APIThrottleRateLimit and APIThrottleBurstLimit are the stage defaults.
	APIThrottleRateLimit  float64
	APIThrottleBurstLimit int

	// RecordName, HostedZoneName, HostedZoneID and CertificateARN put the API
	// behind a custom domain (seeds' RECORD_NAME, HOSTED_ZONE_NAME,
	// CERTIFICATE_ARN). Without CertificateARN a DNS-validated certificate is
	// created in the zone.
	RecordName, HostedZoneName, HostedZoneID, CertificateARN string

	// FunctionURL gives the gateway a bare public RESPONSE_STREAM function
	// URL: a door around the WAF, the stage throttling and the access logs,
	// so it is off by default and warned about at synth. The CloudFront
	// option creates its own URL, which only CloudFront can use (the origin
	// secret), and needs no opt-in.
	FunctionURL bool
	// ManagementAllowList, when set, limits the management routes (the
	// admin function's) to these source CIDRs with the REST API's resource
	// policy; the data plane is unaffected (see WAFAllowList for that).
	ManagementAllowList []string
	// WAF attaches the regional web ACL to the API stage.
	WAF bool
	// WAFAllowList, when set, blocks every source address outside it.
	WAFAllowList []string
	// WAFRateLimit is requests per 5 minutes per source IP.
	WAFRateLimit int
	// CloudFront puts a distribution with a global web ACL in front of the
	// function URL; CloudFrontWebACLArn reuses an existing CLOUDFRONT-scope
	// ACL (required unless Region is us-east-1, see the edge stack).
	CloudFront          bool
	CloudFrontWebACLArn string

	// FakeLLM deploys the load-testing fake LLM behind its own function URL.
	FakeLLM bool
	// DepartmentRoleARNs are the TollgateBedrockAccess roles the gateway may
	// assume (config.yaml's aws_role_name values). Never a wildcard.
	DepartmentRoleARNs []string
	// BedrockRegions widens where the gateway may invoke Bedrock models. By
	// default (empty) the regions come from config.yaml (bedrockRegionsOf):
	// each deployment's aws_region_name, the stack's region, and the
	// geography of each cross-region inference profile. "*" allows every
	// region.
	BedrockRegions []string

	// TableKMS is "aws-managed" (default) or "customer-managed" (a key with
	// rotation is created unless TableKMSKeyARN names one).
	TableKMS       string
	TableKMSKeyARN string

	// AlarmEmail subscribes an address to the alarm topic (every alarm
	// notifies the topic; subscribe other endpoints in the console).
	AlarmEmail string
	// Tags are added to every resource of every stack.
	Tags map[string]string

	// LambdaSubnetIDs puts the functions in these (private) subnets of VpcID,
	// with LambdaSecurityGroupIDs or, when empty, a security group allowing
	// HTTPS out. VpcRouteTableIDs get DynamoDB and S3 gateway endpoints;
	// Secrets Manager, Bedrock, STS and the providers need a NAT gateway or
	// interface endpoints (infra/README.md).
	LambdaSubnetIDs, LambdaSecurityGroupIDs, VpcRouteTableIDs []string

	// ExistingStateTable, ExistingSpendTable and ExistingCacheTable adopt
	// tables a previous deployment retained (by name) instead of creating
	// them; set all three or none.
	ExistingStateTable, ExistingSpendTable, ExistingCacheTable string

	// DepartmentGatewayRoleARN and DepartmentExternalID are the defaults of
	// the department stack's parameters.
	DepartmentGatewayRoleARN, DepartmentExternalID string
	// DepartmentRoleName names the role the department stack creates.
	DepartmentRoleName string
}

// optionSpec ties an option to its context key and environment variables.
type optionSpec struct {
	key  string   // CDK context key
	envs []string // environment variables, first set wins
}

var (
	optStackName       = optionSpec{"stackName", []string{"TOLLGATE_STACK_NAME"}}
	optAccount         = optionSpec{"account", []string{"CDK_DEFAULT_ACCOUNT"}}
	optRegion          = optionSpec{"region", []string{"TOLLGATE_REGION", "CDK_DEFAULT_REGION", "AWS_REGION"}}
	optArch            = optionSpec{"architecture", []string{"TOLLGATE_ARCHITECTURE", "CPU_ARCHITECTURE"}}
	optArtifactDir     = optionSpec{"artifactDir", []string{"TOLLGATE_ARTIFACT_DIR"}}
	optConfigFile      = optionSpec{"configFile", []string{"TOLLGATE_CONFIG_FILE"}}
	optConfigStore     = optionSpec{"configStore", []string{"TOLLGATE_CONFIG_STORE"}}
	optGatewayMemory   = optionSpec{"gatewayMemory", []string{"TOLLGATE_GATEWAY_MEMORY"}}
	optAdminMemory     = optionSpec{"adminMemory", []string{"TOLLGATE_ADMIN_MEMORY"}}
	optFakeMemory      = optionSpec{"fakeLlmMemory", []string{"TOLLGATE_FAKELLM_MEMORY"}}
	optGatewayTimeout  = optionSpec{"gatewayTimeout", []string{"TOLLGATE_GATEWAY_TIMEOUT"}}
	optReserved        = optionSpec{"reservedConcurrency", []string{"TOLLGATE_RESERVED_CONCURRENCY"}}
	optAdminReserved   = optionSpec{"adminReservedConcurrency", []string{"TOLLGATE_ADMIN_RESERVED_CONCURRENCY"}}
	optFakeReserved    = optionSpec{"fakeLlmReservedConcurrency", []string{"TOLLGATE_FAKELLM_RESERVED_CONCURRENCY"}}
	optProvisioned     = optionSpec{"provisionedConcurrency", []string{"TOLLGATE_PROVISIONED_CONCURRENCY"}}
	optTracing         = optionSpec{"tracing", []string{"TOLLGATE_TRACING"}}
	optLogRetention    = optionSpec{"logRetentionDays", []string{"TOLLGATE_LOG_RETENTION_DAYS"}}
	optOktaIssuer      = optionSpec{"oktaIssuer", []string{"OKTA_ISSUER"}}
	optOktaAudience    = optionSpec{"oktaAudience", []string{"OKTA_AUDIENCE"}}
	optPublicAPI       = optionSpec{"publicApi", []string{"TOLLGATE_PUBLIC_API", "PUBLIC_LOAD_BALANCER"}}
	optVpcEndpoints    = optionSpec{"apiVpcEndpointIds", []string{"TOLLGATE_API_VPC_ENDPOINT_IDS"}}
	optVpcID           = optionSpec{"vpcId", []string{"TOLLGATE_VPC_ID", "EXISTING_VPC_ID"}}
	optSubnetIDs       = optionSpec{"subnetIds", []string{"TOLLGATE_SUBNET_IDS"}}
	optIngressCIDR     = optionSpec{"privateApiIngressCidr", []string{"TOLLGATE_PRIVATE_API_INGRESS_CIDR"}}
	optThrottleRate    = optionSpec{"apiThrottleRateLimit", []string{"TOLLGATE_API_THROTTLE_RATE"}}
	optThrottleBurst   = optionSpec{"apiThrottleBurstLimit", []string{"TOLLGATE_API_THROTTLE_BURST"}}
	optRecordName      = optionSpec{"recordName", []string{"RECORD_NAME"}}
	optHostedZoneName  = optionSpec{"hostedZoneName", []string{"HOSTED_ZONE_NAME"}}
	optHostedZoneID    = optionSpec{"hostedZoneId", []string{"HOSTED_ZONE_ID"}}
	optCertificateARN  = optionSpec{"certificateArn", []string{"CERTIFICATE_ARN"}}
	optFunctionURL     = optionSpec{"functionUrl", []string{"TOLLGATE_FUNCTION_URL"}}
	optMgmtAllowList   = optionSpec{"managementAllowList", []string{"TOLLGATE_MANAGEMENT_ALLOW_LIST"}}
	optAlarmEmail      = optionSpec{"alarmEmail", []string{"TOLLGATE_ALARM_EMAIL"}}
	optTags            = optionSpec{"tags", []string{"TOLLGATE_TAGS"}}
	optLambdaSubnets   = optionSpec{"lambdaSubnetIds", []string{"TOLLGATE_LAMBDA_SUBNET_IDS"}}
	optLambdaSGs       = optionSpec{"lambdaSecurityGroupIds", []string{"TOLLGATE_LAMBDA_SECURITY_GROUP_IDS"}}
	optRouteTables     = optionSpec{"vpcRouteTableIds", []string{"TOLLGATE_VPC_ROUTE_TABLE_IDS"}}
	optExistingState   = optionSpec{"existingStateTable", []string{"TOLLGATE_EXISTING_STATE_TABLE"}}
	optExistingSpend   = optionSpec{"existingSpendTable", []string{"TOLLGATE_EXISTING_SPEND_TABLE"}}
	optExistingCache   = optionSpec{"existingCacheTable", []string{"TOLLGATE_EXISTING_CACHE_TABLE"}}
	optWAF             = optionSpec{"waf", []string{"TOLLGATE_WAF"}}
	optWAFAllowList    = optionSpec{"wafAllowList", []string{"TOLLGATE_WAF_ALLOW_LIST"}}
	optWAFRateLimit    = optionSpec{"wafRateLimit", []string{"TOLLGATE_WAF_RATE_LIMIT"}}
	optCloudFront      = optionSpec{"cloudFront", []string{"TOLLGATE_CLOUDFRONT"}}
	optCloudFrontACL   = optionSpec{"cloudFrontWebAclArn", []string{"TOLLGATE_CLOUDFRONT_WEB_ACL_ARN"}}
	optFakeLLM         = optionSpec{"fakeLlm", []string{"TOLLGATE_FAKELLM"}}
	optDeptRoles       = optionSpec{"departmentRoleArns", []string{"TOLLGATE_DEPARTMENT_ROLE_ARNS"}}
	optBedrockRegions  = optionSpec{"bedrockRegions", []string{"TOLLGATE_BEDROCK_REGIONS"}}
	optTableKMS        = optionSpec{"tableKms", []string{"TOLLGATE_TABLE_KMS"}}
	optTableKMSKeyARN  = optionSpec{"tableKmsKeyArn", []string{"TOLLGATE_TABLE_KMS_KEY_ARN"}}
	optProviderKeys    = optionSpec{"providerKeys", nil} // refused: keys never enter a template
	optDeptGatewayRole = optionSpec{"gatewayRoleArn", []string{"TOLLGATE_GATEWAY_ROLE_ARN"}}
	optDeptExternalID  = optionSpec{"externalId", []string{"TOLLGATE_EXTERNAL_ID"}}
	optDeptRoleName    = optionSpec{"departmentRoleName", []string{"TOLLGATE_DEPARTMENT_ROLE_NAME"}}
)

// lookupFunc returns a raw option value and whether it was set.
type lookupFunc func(string) (any, bool)

// optionReader reads options, collecting every problem instead of stopping
// at the first.
type optionReader struct {
	context lookupFunc
	env     func(string) (string, bool)
	errs    []error
}

func (r *optionReader) raw(s optionSpec) (any, string, bool) {
	if v, ok := r.context(s.key); ok && v != nil {
		return v, "context " + s.key, true
	}
	for _, e := range s.envs {
		if v, ok := r.env(e); ok && v != "" {
			return v, "$" + e, true
		}
	}
	return nil, "", false
}

func (r *optionReader) str(s optionSpec, def string) string {
	v, _, ok := r.raw(s)
	if !ok {
		return def
	}
	return strings.TrimSpace(fmt.Sprint(v))
}

func (r *optionReader) boolean(s optionSpec, def bool) bool {
	v, from, ok := r.raw(s)
	if !ok {
		return def
	}
	if b, isBool := v.(bool); isBool {
		return b
	}
	b, err := strconv.ParseBool(strings.TrimSpace(fmt.Sprint(v)))
	if err != nil {
		r.errs = append(r.errs, fmt.Errorf("%s: %q is not true or false", from, v))
		return def
	}
	return b
}

func (r *optionReader) number(s optionSpec, def, lo, hi float64) float64 {
	v, from, ok := r.raw(s)
	if !ok {
		return def
	}
	var f float64
	switch x := v.(type) {
	case float64:
		f = x
	default:
		var err error
		if f, err = strconv.ParseFloat(strings.TrimSpace(fmt.Sprint(v)), 64); err != nil {
			r.errs = append(r.errs, fmt.Errorf("%s: %q is not a number", from, v))
			return def
		}
	}
	if f < lo || f > hi {
		r.errs = append(r.errs, fmt.Errorf("%s: %v is outside [%v, %v]", from, f, lo, hi))
		return def
	}
	return f
}

func (r *optionReader) integer(s optionSpec, def, lo, hi int) int {
	f := r.number(s, float64(def), float64(lo), float64(hi))
	if f != float64(int(f)) {
		r.errs = append(r.errs, fmt.Errorf("%s: %v is not a whole number", s.key, f))
		return def
	}
	return int(f)
}

// list accepts a JSON array (from cdk.json) or a comma-separated string.
func (r *optionReader) list(s optionSpec) []string {
	v, _, ok := r.raw(s)
	if !ok {
		return nil
	}
	var items []string
	switch x := v.(type) {
	case []any:
		for _, e := range x {
			items = append(items, fmt.Sprint(e))
		}
	default:
		items = strings.Split(fmt.Sprint(v), ",")
	}
	var out []string
	for _, it := range items {
		if it = strings.TrimSpace(it); it != "" {
			out = append(out, it)
		}
	}
	return out
}

func (r *optionReader) oneOf(s optionSpec, def string, allowed map[string]string) string {
	v := r.str(s, def)
	canon, ok := allowed[strings.ToLower(v)]
	if !ok {
		keys := make([]string, 0, len(allowed))
		for k := range allowed {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		r.errs = append(r.errs, fmt.Errorf("%s: %q is not one of %s", s.key, v, strings.Join(keys, ", ")))
		return def
	}
	return canon
}

var (
	roleARNPattern = regexp.MustCompile(`^arn:aws[a-z-]*:iam::\d{12}:role/[\w+=,.@/-]+$`)
	cidrPattern    = regexp.MustCompile(`^[0-9a-fA-F:.]+/\d{1,3}$`)
)

// LoadOptions reads every option, applies defaults and validates them; the
// error lists every problem found.
func LoadOptions(context lookupFunc, env func(string) (string, bool)) (Options, error) {
	r := &optionReader{context: context, env: env}
	o := Options{
		StackName:    r.str(optStackName, "Tollgate"),
		Account:      r.str(optAccount, ""),
		Region:       r.str(optRegion, ""),
		Architecture: r.oneOf(optArch, "arm64", map[string]string{"arm64": "arm64", "arm": "arm64", "x86_64": "x86_64", "x86": "x86_64", "amd64": "x86_64"}),
		ArtifactDir:  r.str(optArtifactDir, "../build"),
		ConfigFile:   r.str(optConfigFile, "../config/config.yaml"),
		ConfigStore:  r.oneOf(optConfigStore, "s3", map[string]string{"s3": "s3", "ssm": "ssm"}),

		GatewayMemoryMB:               r.integer(optGatewayMemory, 512, 128, 10240),
		AdminMemoryMB:                 r.integer(optAdminMemory, 256, 128, 10240),
		FakeLLMMemoryMB:               r.integer(optFakeMemory, 256, 128, 10240),
		GatewayTimeoutSeconds:         r.integer(optGatewayTimeout, 600, 30, 900),
		GatewayReservedConcurrency:    r.integer(optReserved, 100, 0, 100000),
		AdminReservedConcurrency:      r.integer(optAdminReserved, 10, 0, 100000),
		FakeLLMReservedConcurrency:    r.integer(optFakeReserved, 50, 0, 100000),
		GatewayProvisionedConcurrency: r.integer(optProvisioned, 0, 0, 100000),
		Tracing:                       r.boolean(optTracing, false),
		LogRetentionDays:              r.integer(optLogRetention, 30, 1, 3653),

		OktaIssuer:   r.str(optOktaIssuer, ""),
		OktaAudience: r.str(optOktaAudience, ""),

		PublicAPI:             r.boolean(optPublicAPI, true),
		APIVpcEndpointIDs:     r.list(optVpcEndpoints),
		VpcID:                 r.str(optVpcID, ""),
		SubnetIDs:             r.list(optSubnetIDs),
		PrivateAPIIngressCIDR: r.str(optIngressCIDR, ""),
		APIThrottleRateLimit:  r.number(optThrottleRate, 1000, 1, 1e6),
		APIThrottleBurstLimit: r.integer(optThrottleBurst, 2000, 1, 1e6),

		RecordName:     r.str(optRecordName, ""),
		HostedZoneName: r.str(optHostedZoneName, ""),
		HostedZoneID:   r.str(optHostedZoneID, ""),
		CertificateARN: r.str(optCertificateARN, ""),

		FunctionURL:         r.boolean(optFunctionURL, false),
		ManagementAllowList: r.list(optMgmtAllowList),
		WAF:                 r.boolean(optWAF, true),
		WAFAllowList:        r.list(optWAFAllowList),
		WAFRateLimit:        r.integer(optWAFRateLimit, 3000, 10, 2000000000),
		CloudFront:          r.boolean(optCloudFront, false),
		CloudFrontWebACLArn: r.str(optCloudFrontACL, ""),

		FakeLLM:            r.boolean(optFakeLLM, false),
		DepartmentRoleARNs: r.list(optDeptRoles),
		BedrockRegions:     r.list(optBedrockRegions),

		TableKMS:       r.oneOf(optTableKMS, "aws-managed", map[string]string{"aws-managed": "aws-managed", "customer-managed": "customer-managed"}),
		TableKMSKeyARN: r.str(optTableKMSKeyARN, ""),

		AlarmEmail:             r.str(optAlarmEmail, ""),
		Tags:                   readTags(r),
		LambdaSubnetIDs:        r.list(optLambdaSubnets),
		LambdaSecurityGroupIDs: r.list(optLambdaSGs),
		VpcRouteTableIDs:       r.list(optRouteTables),
		ExistingStateTable:     r.str(optExistingState, ""),
		ExistingSpendTable:     r.str(optExistingSpend, ""),
		ExistingCacheTable:     r.str(optExistingCache, ""),

		DepartmentGatewayRoleARN: r.str(optDeptGatewayRole, ""),
		DepartmentExternalID:     r.str(optDeptExternalID, ""),
		DepartmentRoleName:       r.str(optDeptRoleName, "TollgateBedrockAccess"),
	}
	if _, from, ok := r.raw(optProviderKeys); ok {
		r.errs = append(r.errs, fmt.Errorf("%s: provider keys are never read at deploy time (they would land in the "+
			"template); set them after the deploy with `make -C infra put-provider-keys`", from))
	}
	o.validate(r)
	return o, errors.Join(r.errs...)
}

// readTags accepts a JSON object (from cdk.json) or "key=value,key=value".
func readTags(r *optionReader) map[string]string {
	v, from, ok := r.raw(optTags)
	if !ok {
		return nil
	}
	tags := map[string]string{}
	switch x := v.(type) {
	case map[string]any:
		for k, val := range x {
			tags[k] = fmt.Sprint(val)
		}
	default:
		s := strings.TrimSpace(fmt.Sprint(v))
		if strings.HasPrefix(s, "{") {
			if err := json.Unmarshal([]byte(s), &tags); err != nil {
				r.errs = append(r.errs, fmt.Errorf("%s: want a JSON object of tag to value: %w", from, err))
			}
			return tags
		}
		for _, kv := range strings.Split(s, ",") {
			k, val, found := strings.Cut(strings.TrimSpace(kv), "=")
			if !found || strings.TrimSpace(k) == "" {
				r.errs = append(r.errs, fmt.Errorf("%s: %q is not key=value", from, kv))
				continue
			}
			tags[strings.TrimSpace(k)] = strings.TrimSpace(val)
		}
	}
	return tags
}

func (o *Options) validate(r *optionReader) {
	bad := func(format string, a ...any) { r.errs = append(r.errs, fmt.Errorf(format, a...)) }
	if o.OktaIssuer != "" && strings.TrimSpace(o.OktaAudience) == "" {
		// No default: api://default would accept every token of the Okta
		// org's default authorization server, for any application.
		bad("oktaAudience: required with oktaIssuer (the aud of the tokens to accept); there is no default")
	}
	if _, ok := retentionByDays[o.LogRetentionDays]; !ok {
		days := slices.Sorted(maps.Keys(retentionByDays))
		bad("logRetentionDays: %d is not a CloudWatch Logs retention period (%v)", o.LogRetentionDays, days)
	}
	for _, arn := range o.DepartmentRoleARNs {
		if !roleARNPattern.MatchString(arn) {
			bad("departmentRoleArns: %q is not an IAM role ARN (wildcards are not allowed)", arn)
		}
	}
	if o.DepartmentGatewayRoleARN != "" && !roleARNPattern.MatchString(o.DepartmentGatewayRoleARN) {
		bad("gatewayRoleArn: %q is not an IAM role ARN", o.DepartmentGatewayRoleARN)
	}
	for _, c := range o.WAFAllowList {
		if !cidrPattern.MatchString(c) {
			bad("wafAllowList: %q is not a CIDR block", c)
		}
	}
	for _, reg := range o.BedrockRegions {
		if reg != "*" && !regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-\d$`).MatchString(reg) {
			bad("bedrockRegions: %q is not a region name or *", reg)
		}
	}
	if !o.PublicAPI && len(o.APIVpcEndpointIDs) == 0 {
		if o.VpcID == "" || len(o.SubnetIDs) == 0 || o.PrivateAPIIngressCIDR == "" {
			bad("publicApi=false needs apiVpcEndpointIds, or vpcId, subnetIds and privateApiIngressCidr to create an execute-api endpoint")
		}
	}
	if o.PrivateAPIIngressCIDR != "" && !cidrPattern.MatchString(o.PrivateAPIIngressCIDR) {
		bad("privateApiIngressCidr: %q is not a CIDR block", o.PrivateAPIIngressCIDR)
	}
	if (o.RecordName == "") != (o.HostedZoneName == "") {
		bad("recordName and hostedZoneName go together (custom domain)")
	}
	if o.RecordName != "" && !o.PublicAPI {
		bad("a custom domain (recordName) needs publicApi=true; private APIs use the execute-api endpoint")
	}
	if !o.PublicAPI && (o.FunctionURL || o.CloudFront) {
		// A public door beside a private API defeats the point of it.
		bad("publicApi=false keeps the gateway private: functionUrl=true and cloudFront=true would add a public door; drop them")
	}
	if o.FunctionURL && o.CloudFront {
		bad("functionUrl=true adds a bare public URL beside the one cloudFront=true creates (and guards with the origin secret); drop functionUrl")
	}
	for _, c := range o.ManagementAllowList {
		if !cidrPattern.MatchString(c) {
			bad("managementAllowList: %q is not a CIDR block", c)
		}
	}
	if o.AlarmEmail != "" && !strings.Contains(o.AlarmEmail, "@") {
		bad("alarmEmail: %q is not an email address", o.AlarmEmail)
	}
	if len(o.LambdaSubnetIDs) > 0 && o.VpcID == "" {
		bad("lambdaSubnetIds needs vpcId (the VPC the subnets are in)")
	}
	if (len(o.LambdaSecurityGroupIDs) > 0 || len(o.VpcRouteTableIDs) > 0) && len(o.LambdaSubnetIDs) == 0 {
		bad("lambdaSecurityGroupIds and vpcRouteTableIds go with lambdaSubnetIds (functions in a VPC)")
	}
	if n := countSet(o.ExistingStateTable, o.ExistingSpendTable, o.ExistingCacheTable); n != 0 && n != 3 {
		bad("existingStateTable, existingSpendTable and existingCacheTable: set all three (adopting retained tables) or none")
	}
	if o.ExistingStateTable != "" && o.TableKMS == "customer-managed" && o.TableKMSKeyARN == "" {
		bad("adopted tables with tableKms=customer-managed need tableKmsKeyArn (the key they are encrypted with)")
	}
	if o.GatewayProvisionedConcurrency > 0 && o.GatewayReservedConcurrency > 0 &&
		o.GatewayProvisionedConcurrency > o.GatewayReservedConcurrency {
		bad("provisionedConcurrency (%d) exceeds reservedConcurrency (%d)", o.GatewayProvisionedConcurrency, o.GatewayReservedConcurrency)
	}
	if o.TableKMSKeyARN != "" && o.TableKMS != "customer-managed" {
		bad("tableKmsKeyArn needs tableKms=customer-managed")
	}
}

// contextLookup adapts a CDK node's TryGetContext.
func contextLookup(get func(string) any) lookupFunc {
	return func(k string) (any, bool) {
		v := get(k)
		return v, v != nil
	}
}

func countSet(vals ...string) int {
	n := 0
	for _, v := range vals {
		if v != "" {
			n++
		}
	}
	return n
}
