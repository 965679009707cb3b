package main

import (
	"encoding/json"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// --- helpers over the template as plain data ---

type res = map[string]any

func resources(s *synthesized, typ string) map[string]res {
	out := map[string]res{}
	for id, r := range s.mainJSON["Resources"].(map[string]any) {
		if r.(res)["Type"] == typ {
			out[id] = r.(res)
		}
	}
	return out
}

func props(r res) res {
	p, _ := r["Props"].(res)
	if p == nil {
		p, _ = r["Properties"].(res)
	}
	return p
}

func logicalID(c constructs.IConstruct) string {
	el, ok := c.(awscdk.CfnElement)
	if !ok {
		el = c.Node().DefaultChild().(awscdk.CfnElement)
	}
	return *awscdk.Stack_Of(c).GetLogicalId(el)
}

func js(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// statements returns the statements of every policy attached to a role.
func statements(s *synthesized, role constructs.IConstruct) []res {
	id := logicalID(role)
	var out []res
	for _, p := range resources(s, "AWS::IAM::Policy") {
		if !strings.Contains(js(props(p)["Roles"]), `"Ref":"`+id+`"`) {
			continue
		}
		for _, st := range props(p)["PolicyDocument"].(res)["Statement"].([]any) {
			out = append(out, st.(res))
		}
	}
	return out
}

func strs(v any) []string {
	switch x := v.(type) {
	case string:
		return []string{x}
	case []any:
		var out []string
		for _, e := range x {
			if str, ok := e.(string); ok {
				out = append(out, str)
			} else {
				out = append(out, js(e))
			}
		}
		return out
	default:
		return []string{js(v)}
	}
}

func actions(sts []res) []string {
	var out []string
	for _, st := range sts {
		out = append(out, strs(st["Action"])...)
	}
	sort.Strings(out)
	return slices.Compact(out)
}

// --- tables ---

func TestTables(t *testing.T) {
	s := synth(t, "default")
	tables := resources(s, "AWS::DynamoDB::Table")
	if len(tables) != 3 {
		t.Fatalf("%d tables, want 3", len(tables))
	}
	for id, r := range tables {
		if r["DeletionPolicy"] != "Retain" || r["UpdateReplacePolicy"] != "Retain" {
			t.Errorf("%s: not retained: %v %v", id, r["DeletionPolicy"], r["UpdateReplacePolicy"])
		}
	}
	common := map[string]any{
		"BillingMode":                      "PAY_PER_REQUEST",
		"PointInTimeRecoverySpecification": map[string]any{"PointInTimeRecoveryEnabled": true},
		"SSESpecification":                 map[string]any{"SSEEnabled": true},
		"TimeToLiveSpecification":          map[string]any{"AttributeName": "ttl", "Enabled": true},
		"DeletionProtectionEnabled":        true,
	}
	key := func(name, typ string) map[string]any { return map[string]any{"AttributeName": name, "KeyType": typ} }
	// Each index projects what its queries read (the store's
	// internal/store/dynamo/tables.go creates the same).
	gsi := func(name string, project ...any) any {
		return assertions.Match_ObjectLike(&map[string]any{
			"IndexName":  name,
			"KeySchema":  []any{key(name+"pk", "HASH"), key(name+"sk", "RANGE")},
			"Projection": map[string]any{"ProjectionType": "INCLUDE", "NonKeyAttributes": project},
		})
	}
	state := []any{"doc", "ttl", "v", "owner"}
	spend := []any{"doc", "ttl"}
	want := []map[string]any{
		{"KeySchema": []any{key("pk", "HASH"), key("sk", "RANGE")}, "GlobalSecondaryIndexes": []any{gsi("gsi1", state...)}},
		{"KeySchema": []any{key("pk", "HASH"), key("sk", "RANGE")},
			"GlobalSecondaryIndexes": []any{gsi("gsi1", spend...), gsi("gsi2", spend...), gsi("gsi3", spend...)}},
		{"KeySchema": []any{key("pk", "HASH")}, "GlobalSecondaryIndexes": assertions.Match_Absent()},
	}
	for _, w := range want {
		for k, v := range common {
			w[k] = v
		}
		s.main.HasResourceProperties(jsii.String("AWS::DynamoDB::Table"), assertions.Match_ObjectLike(&w))
	}

	// Customer managed key option: KMS encryption with a rotating key.
	f := synth(t, "full")
	f.main.AllResourcesProperties(jsii.String("AWS::DynamoDB::Table"), assertions.Match_ObjectLike(&map[string]any{
		"SSESpecification": map[string]any{"SSEEnabled": true, "SSEType": "KMS",
			"KMSMasterKeyId": map[string]any{"Fn::GetAtt": []any{logicalID(f.stacks.Main.Tables.Key.(constructs.IConstruct)), "Arn"}}},
	}))
	f.main.HasResourceProperties(jsii.String("AWS::KMS::Key"), &map[string]any{"EnableKeyRotation": true})
}

// --- functions ---

func TestFunctions(t *testing.T) {
	s := synth(t, "default")
	s.main.ResourceCountIs(jsii.String("AWS::Lambda::Function"), jsii.Number(2+1)) // + BucketDeployment's
	st := s.stacks.Main
	envOf := func(f function) map[string]any {
		return props(resources(s, "AWS::Lambda::Function")[logicalID(f.Fn)])["Environment"].(res)["Variables"].(res)
	}
	for _, f := range []function{st.Gateway, st.Admin} {
		s.main.HasResourceProperties(jsii.String("AWS::Lambda::Function"), assertions.Match_ObjectLike(&map[string]any{
			"Role":          map[string]any{"Fn::GetAtt": []any{logicalID(f.Role), "Arn"}},
			"Runtime":       "provided.al2023",
			"Handler":       "bootstrap",
			"Architectures": []any{"arm64"},
			"LoggingConfig": assertions.Match_ObjectLike(&map[string]any{"LogFormat": "JSON", "LogGroup": map[string]any{"Ref": logicalID(f.Logs)}}),
		}))
		env := envOf(f)
		for _, k := range []string{"TOLLGATE_STORE", "TOLLGATE_CONFIG", "TOLLGATE_STATE_TABLE", "TOLLGATE_SPEND_TABLE",
			"TOLLGATE_CACHE_TABLE", "TOLLGATE_MASTER_KEY_SECRET_ARN", "TOLLGATE_PROVIDER_KEYS_SECRET_ARN"} {
			if _, ok := env[k]; !ok {
				t.Errorf("%s: no %s", logicalID(f.Fn), k)
			}
		}
		if env["TOLLGATE_STORE"] != "dynamodb" {
			t.Errorf("TOLLGATE_STORE = %v", env["TOLLGATE_STORE"])
		}
		if got, want := js(env["TOLLGATE_MASTER_KEY_SECRET_ARN"]), js(map[string]any{"Ref": logicalID(st.Secrets.MasterKey)}); got != want {
			t.Errorf("master key env = %s, want the secret's ARN %s", got, want)
		}
		if got, want := js(env["TOLLGATE_STATE_TABLE"]), js(map[string]any{"Ref": logicalID(st.Tables.State)}); got != want {
			t.Errorf("state table env = %s, want %s", got, want)
		}
		// Roles carry no managed policies.
		role := resources(s, "AWS::IAM::Role")[logicalID(f.Role)]
		if mp := props(role)["ManagedPolicyArns"]; mp != nil {
			t.Errorf("%s has managed policies %v", logicalID(f.Role), mp)
		}
	}
	if env := envOf(st.Admin); env["TOLLGATE_DISABLE_ADMIN_UI"] != "false" || env["TOLLGATE_DISABLE_SWAGGER_PAGE"] != "false" {
		t.Errorf("admin UI flags: %v %v", env["TOLLGATE_DISABLE_ADMIN_UI"], env["TOLLGATE_DISABLE_SWAGGER_PAGE"])
	}
	if cfg := js(envOf(st.Gateway)["TOLLGATE_CONFIG"]); !strings.Contains(cfg, `"s3://"`) || !strings.Contains(cfg, `"/config.yaml"`) {
		t.Errorf("TOLLGATE_CONFIG = %s, want s3://<bucket>/config.yaml", cfg)
	}
	s.main.AllResourcesProperties(jsii.String("AWS::Logs::LogGroup"), assertions.Match_ObjectLike(&map[string]any{"RetentionInDays": 30}))

	f := synth(t, "full")
	f.main.HasResourceProperties(jsii.String("AWS::Lambda::Function"), assertions.Match_ObjectLike(&map[string]any{
		"Role":                         map[string]any{"Fn::GetAtt": []any{logicalID(f.stacks.Main.Gateway.Role), "Arn"}},
		"TracingConfig":                map[string]any{"Mode": "Active"},
		"ReservedConcurrentExecutions": 10,
	}))
	f.main.HasResourceProperties(jsii.String("AWS::Lambda::Alias"), assertions.Match_ObjectLike(&map[string]any{
		"Name": "live", "ProvisionedConcurrencyConfig": map[string]any{"ProvisionedConcurrentExecutions": 2},
	}))
	f.main.ResourceCountIs(jsii.String("AWS::Lambda::Function"), jsii.Number(3+1))
	// Deploy-time provider keys never reach a function's environment.
	for id, fn := range resources(f, "AWS::Lambda::Function") {
		if strings.Contains(js(props(fn)["Environment"]), "sk-test-deploy-time-key") {
			t.Errorf("%s: provider key in the environment", id)
		}
	}

	p := synth(t, "private")
	p.main.HasResourceProperties(jsii.String("AWS::Lambda::Function"), assertions.Match_ObjectLike(&map[string]any{
		"Role": map[string]any{"Fn::GetAtt": []any{logicalID(p.stacks.Main.Gateway.Role), "Arn"}}, "Architectures": []any{"x86_64"},
	}))
}

// --- function URL ---

func TestFunctionURL(t *testing.T) {
	s := synth(t, "default")
	s.main.ResourceCountIs(jsii.String("AWS::Lambda::Url"), jsii.Number(1))
	s.main.HasResourceProperties(jsii.String("AWS::Lambda::Url"), &map[string]any{
		"AuthType":          "NONE",
		"InvokeMode":        "RESPONSE_STREAM",
		"TargetFunctionArn": map[string]any{"Fn::GetAtt": []any{logicalID(s.stacks.Main.Gateway.Fn), "Arn"}},
	})
	f := synth(t, "full") // gateway on its provisioned alias, plus the fake LLM
	f.main.HasResourceProperties(jsii.String("AWS::Lambda::Url"), assertions.Match_ObjectLike(&map[string]any{
		"AuthType": "NONE", "InvokeMode": "RESPONSE_STREAM", "Qualifier": "live",
	}))
	f.main.ResourceCountIs(jsii.String("AWS::Lambda::Url"), jsii.Number(2))
	synth(t, "private").main.ResourceCountIs(jsii.String("AWS::Lambda::Url"), jsii.Number(0))
}

// --- REST API ---

// routes maps every REST API method's resource path to the function its
// integration invokes, checking each integration's mode on the way.
func routes(t *testing.T, s *synthesized) map[string]string {
	t.Helper()
	all := s.mainJSON["Resources"].(map[string]any)
	var pathOf func(ref any) string
	pathOf = func(ref any) string {
		r, ok := ref.(res)["Ref"].(string)
		if !ok { // Fn::GetAtt [Api, RootResourceId]
			return ""
		}
		p := props(all[r].(res))
		return pathOf(p["ParentId"]) + "/" + p["PathPart"].(string)
	}
	fnName := map[string]string{logicalID(s.stacks.Main.Gateway.Fn): "gateway", logicalID(s.stacks.Main.Admin.Fn): "admin"}
	if a := s.stacks.Main.Gateway.Target; a != s.stacks.Main.Gateway.Fn {
		fnName[logicalID(a)] = "gateway"
	}
	got := map[string]string{}
	for id, m := range resources(s, "AWS::ApiGateway::Method") {
		p := props(m)
		integ := p["Integration"].(res)
		uri := js(integ["Uri"])
		fn := ""
		for lid, name := range fnName {
			if strings.Contains(uri, `"`+lid+`"`) {
				fn = name
			}
		}
		if integ["Type"] != "AWS_PROXY" || p["AuthorizationType"] != "NONE" {
			t.Errorf("%s: integration %v, authorization %v", id, integ["Type"], p["AuthorizationType"])
		}
		switch fn {
		case "gateway":
			if integ["ResponseTransferMode"] != "STREAM" || !strings.Contains(uri, "/response-streaming-invocations") {
				t.Errorf("%s: gateway integration not streaming: %v %s", id, integ["ResponseTransferMode"], uri)
			}
			if integ["TimeoutInMillis"] != float64(s.opts.GatewayTimeoutSeconds*1000) {
				t.Errorf("%s: timeout %v", id, integ["TimeoutInMillis"])
			}
		case "admin":
			if mode, set := integ["ResponseTransferMode"]; (set && mode != "BUFFERED") || !strings.HasSuffix(uri, `"/invocations"]]}`) {
				t.Errorf("%s: admin integration should be buffered: %v %s", id, mode, uri)
			}
		default:
			t.Errorf("%s: integration invokes no Tollgate function: %s", id, uri)
		}
		got[p["HttpMethod"].(string)+" "+pathOf(p["ResourceId"])] = fn
	}
	return got
}

func expectedRoutes(ui bool) map[string]string {
	want := map[string]string{}
	add := func(fn string, paths ...string) {
		for _, p := range paths {
			want["ANY "+p] = fn
		}
	}
	add("gateway", "/v1", "/v1/{proxy+}", "/chat/completions", "/embeddings", "/images/generations", "/models", "/models/{proxy+}",
		"/bedrock", "/bedrock/{proxy+}", "/chat-history", "/session-ids", "/health", "/health/{proxy+}")
	for _, p := range []string{"/key", "/user", "/team", "/model", "/spend", "/global"} {
		add("admin", p, p+"/{proxy+}")
	}
	if ui {
		add("admin", "/ui", "/ui/{proxy+}", "/openapi", "/openapi/{proxy+}")
	}
	return want
}

func TestRestAPIRoutes(t *testing.T) {
	for name, ui := range map[string]bool{"default": true, "full": true, "private": false} {
		got, want := routes(t, synth(t, name)), expectedRoutes(ui)
		if js(got) != js(want) {
			t.Errorf("%s routes:\n got %v\nwant %v", name, got, want)
		}
	}
}

func TestRestAPIStage(t *testing.T) {
	s := synth(t, "default")
	s.main.HasResourceProperties(jsii.String("AWS::ApiGateway::RestApi"), assertions.Match_ObjectLike(&map[string]any{
		"EndpointConfiguration": map[string]any{"Types": []any{"REGIONAL"}},
	}))
	s.main.HasResourceProperties(jsii.String("AWS::ApiGateway::Stage"), assertions.Match_ObjectLike(&map[string]any{
		"StageName":        "prod",
		"AccessLogSetting": assertions.Match_ObjectLike(&map[string]any{"DestinationArn": map[string]any{"Fn::GetAtt": []any{logicalID(s.stacks.Main.API.Logs), "Arn"}}}),
		"MethodSettings": []any{map[string]any{
			"DataTraceEnabled": false, "HttpMethod": "*", "LoggingLevel": "ERROR", "MetricsEnabled": true,
			"ResourcePath": "/*", "ThrottlingBurstLimit": 2000, "ThrottlingRateLimit": 1000,
		}},
	}))

	p := synth(t, "private")
	p.main.HasResourceProperties(jsii.String("AWS::ApiGateway::RestApi"), assertions.Match_ObjectLike(&map[string]any{
		"EndpointConfiguration": map[string]any{"Types": []any{"PRIVATE"}, "VpcEndpointIds": []any{map[string]any{"Ref": assertions.Match_AnyValue()}}},
		"Policy": assertions.Match_ObjectLike(&map[string]any{"Statement": []any{assertions.Match_ObjectLike(&map[string]any{
			"Action": "execute-api:Invoke", "Effect": "Allow",
			"Condition": map[string]any{"StringEquals": map[string]any{"aws:SourceVpce": []any{map[string]any{"Ref": assertions.Match_AnyValue()}}}},
		})}}),
	}))
	p.main.HasResourceProperties(jsii.String("AWS::EC2::VPCEndpoint"), assertions.Match_ObjectLike(&map[string]any{
		"VpcEndpointType": "Interface", "PrivateDnsEnabled": true, "VpcId": "vpc-0123456789abcdef0",
	}))
	p.main.HasResourceProperties(jsii.String("AWS::EC2::SecurityGroup"), assertions.Match_ObjectLike(&map[string]any{
		"SecurityGroupIngress": []any{assertions.Match_ObjectLike(&map[string]any{"CidrIp": "10.0.0.0/16", "FromPort": 443, "ToPort": 443})},
	}))

	f := synth(t, "full")
	f.main.HasResourceProperties(jsii.String("AWS::ApiGateway::DomainName"), assertions.Match_ObjectLike(&map[string]any{
		"DomainName": "llm.example.com", "SecurityPolicy": "TLS_1_2",
		"EndpointConfiguration": map[string]any{"Types": []any{"REGIONAL"}},
	}))
	f.main.HasResourceProperties(jsii.String("AWS::Route53::RecordSet"), assertions.Match_ObjectLike(&map[string]any{
		"Name": "llm.example.com.", "Type": "A", "HostedZoneId": "Z0123456789ABCDEFGHIJ",
	}))
	f.main.HasResourceProperties(jsii.String("AWS::CertificateManager::Certificate"), assertions.Match_ObjectLike(&map[string]any{
		"DomainName": "llm.example.com", "ValidationMethod": "DNS",
	}))
}

// --- WAF ---

func ruleNames(acl res) []string {
	var names []string
	for _, r := range props(acl)["Rules"].([]any) {
		names = append(names, r.(res)["Name"].(string))
	}
	return names
}

func TestWAF(t *testing.T) {
	s := synth(t, "default")
	acls := resources(s, "AWS::WAFv2::WebACL")
	if len(acls) != 1 {
		t.Fatalf("%d web ACLs, want 1", len(acls))
	}
	acl := s.stacks.Main.RegionalACL
	for _, a := range acls {
		if got := strings.Join(ruleNames(a), ","); got != "AWSManagedRulesAmazonIpReputationList,AWSManagedRulesCommonRuleSet,AWSManagedRulesKnownBadInputsRuleSet,RatePerIP" {
			t.Errorf("rules: %s", got)
		}
		if props(a)["Scope"] != "REGIONAL" || js(props(a)["DefaultAction"]) != `{"Allow":{}}` {
			t.Errorf("scope %v, default %v", props(a)["Scope"], props(a)["DefaultAction"])
		}
	}
	s.main.HasResourceProperties(jsii.String("AWS::WAFv2::WebACL"), assertions.Match_ObjectLike(&map[string]any{
		"Rules": assertions.Match_ArrayWith(&[]any{assertions.Match_ObjectLike(&map[string]any{
			"Name": "RatePerIP", "Action": map[string]any{"Block": map[string]any{}},
			"Statement": map[string]any{"RateBasedStatement": map[string]any{"AggregateKeyType": "IP", "Limit": 3000}},
		})}),
	}))
	s.main.HasResourceProperties(jsii.String("AWS::WAFv2::WebACLAssociation"), assertions.Match_ObjectLike(&map[string]any{
		"WebACLArn": map[string]any{"Fn::GetAtt": []any{logicalID(acl), "Arn"}},
	}))
	assoc := resources(s, "AWS::WAFv2::WebACLAssociation")
	for _, a := range assoc {
		arn := js(props(a)["ResourceArn"])
		stage := *awscdk.Stack_Of(s.stacks.Main.API.API).GetLogicalId(s.stacks.Main.API.API.DeploymentStage().Node().DefaultChild().(awscdk.CfnElement))
		if !strings.Contains(arn, "/stages/") || !strings.Contains(arn, `"Ref":"`+stage+`"`) {
			t.Errorf("association resource %s is not the API stage %s", arn, stage)
		}
	}
	// Logs with credentials redacted.
	s.main.HasResourceProperties(jsii.String("AWS::WAFv2::LoggingConfiguration"), assertions.Match_ObjectLike(&map[string]any{
		"RedactedFields": assertions.Match_ArrayWith(&[]any{map[string]any{"SingleHeader": map[string]any{"Name": "authorization"}}}),
	}))

	f := synth(t, "full")
	for id, a := range resources(f, "AWS::WAFv2::WebACL") {
		if got := strings.Join(ruleNames(a), ","); !strings.HasPrefix(got, "AllowListOnly,") {
			t.Errorf("%s: allow list rule missing: %s", id, got)
		}
	}
	f.main.ResourceCountIs(jsii.String("AWS::WAFv2::IPSet"), jsii.Number(4)) // v4 + v6, regional + global
	f.main.HasResourceProperties(jsii.String("AWS::WAFv2::WebACL"), assertions.Match_ObjectLike(&map[string]any{"Scope": "CLOUDFRONT"}))

	p := synth(t, "private")
	p.main.ResourceCountIs(jsii.String("AWS::WAFv2::WebACL"), jsii.Number(0))
}

// --- CloudFront ---

func TestCloudFront(t *testing.T) {
	f := synth(t, "full")
	st := f.stacks.Main
	var edgeACL string
	for id, a := range resources(f, "AWS::WAFv2::WebACL") {
		if props(a)["Scope"] == "CLOUDFRONT" {
			edgeACL = id
		}
	}
	f.main.HasResourceProperties(jsii.String("AWS::CloudFront::Distribution"), assertions.Match_ObjectLike(&map[string]any{
		"DistributionConfig": assertions.Match_ObjectLike(&map[string]any{
			"WebACLId": map[string]any{"Fn::GetAtt": []any{edgeACL, "Arn"}},
			"Origins": []any{assertions.Match_ObjectLike(&map[string]any{
				"OriginCustomHeaders": []any{map[string]any{
					"HeaderName": OriginHeader,
					"HeaderValue": map[string]any{"Fn::Join": []any{"", []any{
						"{{resolve:secretsmanager:", map[string]any{"Ref": logicalID(st.Secrets.Origin)}, ":SecretString:::}}"}}},
				}},
				"CustomOriginConfig": assertions.Match_ObjectLike(&map[string]any{"OriginProtocolPolicy": "https-only", "OriginSSLProtocols": []any{"TLSv1.2"}}),
			})},
			"DefaultCacheBehavior": assertions.Match_ObjectLike(&map[string]any{"ViewerProtocolPolicy": "https-only", "Compress": false}),
		}),
	}))
	env := props(resources(f, "AWS::Lambda::Function")[logicalID(st.Gateway.Fn)])["Environment"].(res)["Variables"].(res)
	if env["TOLLGATE_ORIGIN_HEADER"] != OriginHeader || js(env["TOLLGATE_ORIGIN_SECRET_ARN"]) != js(map[string]any{"Ref": logicalID(st.Secrets.Origin)}) {
		t.Errorf("gateway origin env: %v %v", env["TOLLGATE_ORIGIN_HEADER"], env["TOLLGATE_ORIGIN_SECRET_ARN"])
	}
	synth(t, "default").main.ResourceCountIs(jsii.String("AWS::CloudFront::Distribution"), jsii.Number(0))
}

func TestEdgeWafStackOutsideUSEast1(t *testing.T) {
	o := defaultOptions(t)
	o.Region, o.CloudFront = "eu-west-1", true
	app := awscdk.NewApp(nil)
	st, err := BuildStacks(app, o)
	if err != nil {
		t.Fatal(err)
	}
	if st.Main != nil || st.EdgeWaf == nil {
		t.Fatalf("want only the edge WAF stack first, got main=%v edge=%v", st.Main != nil, st.EdgeWaf != nil)
	}
	if *st.EdgeWaf.Region() != "us-east-1" {
		t.Errorf("edge stack region %s", *st.EdgeWaf.Region())
	}
	tpl := assertions.Template_FromStack(st.EdgeWaf, nil)
	tpl.HasResourceProperties(jsii.String("AWS::WAFv2::WebACL"), assertions.Match_ObjectLike(&map[string]any{"Scope": "CLOUDFRONT"}))
	tpl.HasOutput(jsii.String("WebAclArn"), assertions.Match_AnyValue())
}

// --- secrets ---

func TestSecrets(t *testing.T) {
	s := synth(t, "default")
	s.main.HasResourceProperties(jsii.String("AWS::SecretsManager::Secret"), assertions.Match_ObjectLike(&map[string]any{
		"GenerateSecretString": map[string]any{"ExcludePunctuation": true, "IncludeSpace": false, "PasswordLength": 48},
	}))
	pk := props(resources(s, "AWS::SecretsManager::Secret")[logicalID(s.stacks.Main.Secrets.ProviderKeys)])
	var fields map[string]string
	if err := json.Unmarshal([]byte(pk["SecretString"].(string)), &fields); err != nil {
		t.Fatalf("provider keys secret: %v", err)
	}
	for _, n := range ProviderKeyNames {
		if v, ok := fields[n]; !ok || v != "" {
			t.Errorf("provider keys secret: %s = %q (present %v), want an empty field", n, v, ok)
		}
	}
	f := synth(t, "full")
	pk = props(resources(f, "AWS::SecretsManager::Secret")[logicalID(f.stacks.Main.Secrets.ProviderKeys)])
	if !strings.Contains(pk["SecretString"].(string), `"OPENAI_API_KEY":"sk-test-deploy-time-key"`) {
		t.Errorf("deploy-time provider key not in the secret: %v", pk["SecretString"])
	}
}

// --- least privilege ---

func TestNoWildcardActions(t *testing.T) {
	for name := range configurations {
		s := synth(t, name)
		for id, p := range resources(s, "AWS::IAM::Policy") {
			if strings.HasPrefix(id, "CustomCDKBucketDeployment") {
				continue // CDK's own provider (see nag.go)
			}
			for _, st := range props(p)["PolicyDocument"].(res)["Statement"].([]any) {
				st := st.(res)
				for _, a := range strs(st["Action"]) {
					if a == "*" || strings.HasSuffix(a, ":*") {
						t.Errorf("%s/%s: action %s", name, id, a)
					}
					if strings.HasSuffix(a, "*") && !slices.Contains([]string{"kms:ReEncrypt*", "kms:GenerateDataKey*"}, a) {
						t.Errorf("%s/%s: wildcard action %s", name, id, a)
					}
				}
				if slices.Contains(strs(st["Resource"]), "*") {
					if got := strings.Join(strs(st["Action"]), ","); got != "xray:PutTraceSegments,xray:PutTelemetryRecords" {
						t.Errorf("%s/%s: Resource * for %s (only X-Ray needs it)", name, id, got)
					}
				}
			}
		}
	}
}

func TestGatewayRole(t *testing.T) {
	s := synth(t, "full")
	st := s.stacks.Main
	sts := statements(s, st.Gateway.Role)
	allowedActionPrefixes := []string{"logs:", "xray:", "dynamodb:", "kms:", "secretsmanager:", "s3:", "bedrock:", "sts:"}
	tableIDs := []string{logicalID(st.Tables.State), logicalID(st.Tables.Spend), logicalID(st.Tables.Cache)}
	secretIDs := []string{logicalID(st.Secrets.MasterKey), logicalID(st.Secrets.ProviderKeys), logicalID(st.Secrets.Origin)}
	for _, stmt := range sts {
		acts := strs(stmt["Action"])
		for _, a := range acts {
			if !slices.ContainsFunc(allowedActionPrefixes, func(p string) bool { return strings.HasPrefix(a, p) }) {
				t.Errorf("gateway: unexpected action %s", a)
			}
		}
		resJSON := js(stmt["Resource"])
		switch {
		case strings.HasPrefix(acts[0], "dynamodb:"):
			for _, r := range strs(stmt["Resource"]) {
				if !slices.ContainsFunc(tableIDs, func(id string) bool { return strings.Contains(r, `"`+id+`","Arn"`) }) {
					t.Errorf("gateway: dynamodb on %s", r)
				}
			}
		case strings.HasPrefix(acts[0], "secretsmanager:"):
			if !slices.ContainsFunc(secretIDs, func(id string) bool { return resJSON == js(map[string]any{"Ref": id}) }) {
				t.Errorf("gateway: secrets on %s", resJSON)
			}
		case acts[0] == "sts:AssumeRole":
			if got, want := js(stmt["Resource"]), js(s.opts.DepartmentRoleARNs); got != want {
				t.Errorf("gateway: sts:AssumeRole on %s, want %s", got, want)
			}
		case strings.HasPrefix(acts[0], "bedrock:"):
			if strings.Contains(resJSON, `"*"`) || !strings.Contains(resJSON, ":bedrock:") {
				t.Errorf("gateway: bedrock on %s", resJSON)
			}
		case strings.HasPrefix(acts[0], "s3:"):
			if !strings.Contains(resJSON, "/config.yaml") && !strings.Contains(resJSON, "/requests/*") {
				t.Errorf("gateway: s3 on %s", resJSON)
			}
		}
	}
	gotActions := actions(sts)
	for _, want := range []string{"bedrock:InvokeModel", "bedrock:InvokeModelWithResponseStream", "bedrock:ApplyGuardrail",
		"sts:AssumeRole", "secretsmanager:GetSecretValue", "dynamodb:UpdateItem", "s3:GetObject", "s3:PutObject"} {
		if !slices.Contains(gotActions, want) {
			t.Errorf("gateway lacks %s (has %v)", want, gotActions)
		}
	}
	// Bedrock resources follow bedrockRegions.
	if b := js(sts); !strings.Contains(b, "bedrock:us-west-2::foundation-model/*") || strings.Contains(b, "bedrock:*::") {
		t.Errorf("bedrock resources do not follow bedrockRegions")
	}
	// No department roles, no sts at all.
	d := synth(t, "default")
	if slices.Contains(actions(statements(d, d.stacks.Main.Gateway.Role)), "sts:AssumeRole") {
		t.Error("default gateway may assume roles without departmentRoleArns")
	}
	// SSM config: exactly the parameter.
	p := synth(t, "private")
	for _, stmt := range statements(p, p.stacks.Main.Gateway.Role) {
		if strings.HasPrefix(strs(stmt["Action"])[0], "ssm:") && !strings.Contains(js(stmt["Resource"]), `":parameter",{"Ref":"`+logicalID(p.stacks.Main.Config.Param)+`"}`) {
			t.Errorf("ssm on %s", js(stmt["Resource"]))
		}
	}
}

func TestAdminAndFakeLLMRoles(t *testing.T) {
	s := synth(t, "full")
	for _, a := range actions(statements(s, s.stacks.Main.Admin.Role)) {
		if strings.HasPrefix(a, "bedrock:") || strings.HasPrefix(a, "sts:") || a == "s3:PutObject" {
			t.Errorf("admin has %s", a)
		}
	}
	if got := actions(statements(s, s.stacks.Main.FakeLLM.Role)); js(got) != js([]string{"logs:CreateLogStream", "logs:PutLogEvents", "xray:PutTelemetryRecords", "xray:PutTraceSegments"}) {
		t.Errorf("fake LLM role: %v, want its logs (and X-Ray) only", got)
	}
}

// --- department stack ---

func TestDepartmentStack(t *testing.T) {
	d := synth(t, "default").dept
	d.HasParameter(jsii.String("ExternalId"), assertions.Match_ObjectLike(&map[string]any{"NoEcho": true, "MinLength": 16}))
	d.HasParameter(jsii.String("GatewayRoleArn"), assertions.Match_ObjectLike(&map[string]any{"Type": "String"}))
	d.ResourceCountIs(jsii.String("AWS::IAM::Role"), jsii.Number(1))
	d.HasResourceProperties(jsii.String("AWS::IAM::Role"), assertions.Match_ObjectLike(&map[string]any{
		"RoleName":           "TollgateBedrockAccess",
		"MaxSessionDuration": 3600,
		"AssumeRolePolicyDocument": map[string]any{"Version": "2012-10-17", "Statement": []any{map[string]any{
			"Action":    "sts:AssumeRole",
			"Effect":    "Allow",
			"Principal": map[string]any{"AWS": map[string]any{"Ref": "GatewayRoleArn"}},
			"Condition": map[string]any{"StringEquals": map[string]any{"sts:ExternalId": map[string]any{"Ref": "ExternalId"}}},
		}}},
	}))
	d.HasResourceProperties(jsii.String("AWS::IAM::Policy"), assertions.Match_ObjectLike(&map[string]any{
		"PolicyDocument": assertions.Match_ObjectLike(&map[string]any{"Statement": []any{assertions.Match_ObjectLike(&map[string]any{
			"Action": []any{"bedrock:InvokeModel", "bedrock:InvokeModelWithResponseStream"}, "Effect": "Allow",
		})}}),
	}))
	d.ResourceCountIs(jsii.String("AWS::IAM::Policy"), jsii.Number(1))
	d.HasOutput(jsii.String("BedrockAccessRoleArn"), assertions.Match_AnyValue())
}

// --- buckets, config, monitoring, outputs ---

func TestBuckets(t *testing.T) {
	for _, name := range []string{"default", "private"} {
		s := synth(t, name)
		buckets := resources(s, "AWS::S3::Bucket")
		s.main.AllResourcesProperties(jsii.String("AWS::S3::Bucket"), assertions.Match_ObjectLike(&map[string]any{
			"BucketEncryption": map[string]any{"ServerSideEncryptionConfiguration": []any{map[string]any{
				"ServerSideEncryptionByDefault": map[string]any{"SSEAlgorithm": "AES256"}}}},
			"PublicAccessBlockConfiguration": map[string]any{"BlockPublicAcls": true, "BlockPublicPolicy": true, "IgnorePublicAcls": true, "RestrictPublicBuckets": true},
			"LifecycleConfiguration":         assertions.Match_AnyValue(),
		}))
		policies := resources(s, "AWS::S3::BucketPolicy")
		if len(policies) != len(buckets) {
			t.Errorf("%s: %d buckets, %d bucket policies", name, len(buckets), len(policies))
		}
		s.main.AllResourcesProperties(jsii.String("AWS::S3::BucketPolicy"), assertions.Match_ObjectLike(&map[string]any{
			"PolicyDocument": assertions.Match_ObjectLike(&map[string]any{"Statement": assertions.Match_ArrayWith(&[]any{assertions.Match_ObjectLike(&map[string]any{
				"Effect": "Deny", "Action": "s3:*", "Principal": map[string]any{"AWS": "*"},
				"Condition": map[string]any{"Bool": map[string]any{"aws:SecureTransport": "false"}},
			})})}),
		}))
	}
	s := synth(t, "default")
	s.main.HasResourceProperties(jsii.String("AWS::S3::Bucket"), assertions.Match_ObjectLike(&map[string]any{
		"LifecycleConfiguration": map[string]any{"Rules": []any{assertions.Match_ObjectLike(&map[string]any{
			"Id": "age-out", "ExpirationInDays": 400, "Status": "Enabled",
			"Transitions": []any{map[string]any{"StorageClass": "STANDARD_IA", "TransitionInDays": 30}},
		})}},
	}))
}

func TestConfigSource(t *testing.T) {
	s := synth(t, "default")
	s.main.ResourceCountIs(jsii.String("Custom::CDKBucketDeployment"), jsii.Number(1))
	s.main.ResourceCountIs(jsii.String("AWS::SSM::Parameter"), jsii.Number(0))
	p := synth(t, "private")
	p.main.ResourceCountIs(jsii.String("Custom::CDKBucketDeployment"), jsii.Number(0))
	p.main.HasResourceProperties(jsii.String("AWS::SSM::Parameter"), assertions.Match_ObjectLike(&map[string]any{
		"Name": "/tollgate/Tollgate/config.yaml", "Type": "String", "Value": assertions.Match_StringLikeRegexp(jsii.String("model_list:")),
	}))
	env := props(resources(p, "AWS::Lambda::Function")[logicalID(p.stacks.Main.Gateway.Fn)])["Environment"].(res)["Variables"].(res)
	if env["TOLLGATE_CONFIG"] != "ssm:/tollgate/Tollgate/config.yaml" {
		t.Errorf("TOLLGATE_CONFIG = %v", env["TOLLGATE_CONFIG"])
	}
}

func TestMonitoringAndOutputs(t *testing.T) {
	s := synth(t, "default")
	s.main.ResourceCountIs(jsii.String("AWS::CloudWatch::Alarm"), jsii.Number(10))
	s.main.ResourceCountIs(jsii.String("AWS::CloudWatch::Dashboard"), jsii.Number(1))
	for _, metric := range []string{"Errors", "Throttles", "5XXError", "Latency"} {
		s.main.HasResourceProperties(jsii.String("AWS::CloudWatch::Alarm"), assertions.Match_ObjectLike(&map[string]any{"MetricName": metric}))
	}
	s.main.HasResourceProperties(jsii.String("AWS::CloudWatch::Alarm"), assertions.Match_ObjectLike(&map[string]any{
		"Metrics": assertions.Match_ArrayWith(&[]any{assertions.Match_ObjectLike(&map[string]any{
			"MetricStat": assertions.Match_ObjectLike(&map[string]any{"Metric": assertions.Match_ObjectLike(&map[string]any{"MetricName": "WriteThrottleEvents"})}),
		})}),
	}))
	for _, o := range []string{"GatewayApiUrl", "ManagementApiUrl", "GatewayFunctionUrl", "MasterKeySecretName", "ProviderKeysSecretName",
		"StateTableName", "SpendTableName", "CacheTableName", "ConfigLocation", "GatewayRoleArn"} {
		s.main.HasOutput(jsii.String(o), assertions.Match_AnyValue())
	}
}

func TestMissingArtifactFails(t *testing.T) {
	o := defaultOptions(t)
	o.ArtifactDir = t.TempDir()
	_, err := BuildStacks(awscdk.NewApp(nil), o)
	if err == nil || !strings.Contains(err.Error(), "make build") {
		t.Errorf("err = %v, want a hint to run make build", err)
	}
}
