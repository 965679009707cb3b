package main

import (
	"fmt"
	"maps"
	"strings"
	"testing"
)

func lookups(ctx map[string]any, env map[string]string) (lookupFunc, func(string) (string, bool)) {
	return func(k string) (any, bool) { v, ok := ctx[k]; return v, ok },
		func(k string) (string, bool) { v, ok := env[k]; return v, ok }
}

func TestOptionsDefaults(t *testing.T) {
	o, err := LoadOptions(lookups(nil, nil))
	if err != nil {
		t.Fatal(err)
	}
	checks := map[string]bool{
		"arm64":                       o.Architecture == "arm64",
		"s3 config":                   o.ConfigStore == "s3",
		"public api":                  o.PublicAPI,
		"waf":                         o.WAF,
		"no function url":             !o.FunctionURL,
		"reserved":                    o.GatewayReservedConcurrency == 100 && o.AdminReservedConcurrency == 10 && o.FakeLLMReservedConcurrency == 50,
		"no cloudfront":               !o.CloudFront,
		"no fake llm":                 !o.FakeLLM,
		"30 day logs":                 o.LogRetentionDays == 30,
		"aws-managed kms":             o.TableKMS == "aws-managed",
		"bedrock regions from config": len(o.BedrockRegions) == 0,
		"no dept roles":               len(o.DepartmentRoleARNs) == 0,
		"no okta audience":            o.OktaAudience == "",
	}
	for name, ok := range checks {
		if !ok {
			t.Errorf("default %s: %+v", name, o)
		}
	}
}

// The seeds' .env names keep working, and context beats the environment.
func TestOptionsSources(t *testing.T) {
	ctx := map[string]any{"architecture": "x86_64", "departmentRoleArns": []any{"arn:aws:iam::111122223333:role/TollgateBedrockAccess"}}
	env := map[string]string{
		"CPU_ARCHITECTURE": "arm", "PUBLIC_LOAD_BALANCER": "true", "DISABLE_ADMIN_UI": "true", "DISABLE_SWAGGER_PAGE": "true",
		"OKTA_ISSUER": "https://dev-1.okta.com/oauth2/default", "OKTA_AUDIENCE": "api://tollgate", "RECORD_NAME": "llm.example.com", "HOSTED_ZONE_NAME": "example.com",
		"CERTIFICATE_ARN": "arn:aws:acm:us-east-1:123456789012:certificate/abc", "OPENAI_API_KEY": "sk-1", "GROQ_API_KEY": "placeholder",
		"TOLLGATE_WAF_ALLOW_LIST": "10.0.0.0/8, 2001:db8::/32",
	}
	o, err := LoadOptions(lookups(ctx, env))
	if err != nil {
		t.Fatal(err)
	}
	if o.Architecture != "x86_64" || o.OktaIssuer == "" || o.RecordName != "llm.example.com" ||
		o.CertificateARN == "" || len(o.DepartmentRoleARNs) != 1 || len(o.WAFAllowList) != 2 {
		t.Errorf("options: %+v", o)
	}
	// Provider keys in the deployer's shell are not options: they are
	// never read (TestNoSecretInAssembly shows they reach no file).
	if strings.Contains(fmt.Sprintf("%+v", o), "sk-1") {
		t.Errorf("a provider key was read into the options: %+v", o)
	}
	tags, err := LoadOptions(lookups(map[string]any{"tags": "team=ml, cost-center = 42"}, nil))
	if err != nil || tags.Tags["team"] != "ml" || tags.Tags["cost-center"] != "42" {
		t.Errorf("tags: %v %v", tags.Tags, err)
	}
}

// Doors around the private API or the CloudFront front, deploy-time
// provider keys and half an adoption are refused at synth.
func TestOptionsRefused(t *testing.T) {
	base := map[string]any{"publicApi": "false", "apiVpcEndpointIds": "vpce-0123456789abcdef0"}
	for _, tc := range []struct {
		name string
		ctx  map[string]any
		want string
	}{
		{"private API with a public function URL", map[string]any{"functionUrl": "true"}, "publicApi=false keeps the gateway private"},
		{"private API with CloudFront", map[string]any{"cloudFront": "true"}, "publicApi=false keeps the gateway private"},
		{"bare URL beside CloudFront", map[string]any{"publicApi": "true", "functionUrl": "true", "cloudFront": "true"}, "drop functionUrl"},
		{"deploy-time provider keys", map[string]any{"providerKeys": `{"OPENAI_API_KEY":"sk-x"}`}, "put-provider-keys"},
		{"half an adoption", map[string]any{"existingStateTable": "t"}, "set all three"},
		{"management allow list", map[string]any{"managementAllowList": "office"}, "managementAllowList"},
		{"lambda subnets without a VPC", map[string]any{"lambdaSubnetIds": "subnet-1"}, "needs vpcId"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := maps.Clone(base)
			maps.Copy(ctx, tc.ctx)
			_, err := LoadOptions(lookups(ctx, nil))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want one saying %q", err, tc.want)
			}
		})
	}
}

func TestOptionsInvalid(t *testing.T) {
	ctx := map[string]any{
		"architecture": "sparc", "logRetentionDays": "31", "departmentRoleArns": "arn:aws:iam::*:role/*",
		"publicApi": "false", "wafAllowList": "everyone", "gatewayMemory": "64", "tracing": "maybe",
		"cloudFront": "true", "recordName": "llm.example.com",
		"oktaIssuer": "https://dev-1.okta.com/oauth2/default",
	}
	_, err := LoadOptions(lookups(ctx, nil))
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{"architecture", "logRetentionDays", "departmentRoleArns", "publicApi=false", "wafAllowList",
		"gatewayMemory", "tracing", "cloudFront=true would add a public door", "recordName and hostedZoneName", "oktaAudience: required"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not mention %s:\n%v", want, err)
		}
	}
	if n := len(strings.Split(err.Error(), "\n")); n < 10 {
		t.Errorf("want every problem reported, got %d lines", n)
	}
}
