package main

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"io"
	"io/fs"
	"os"
	"path/filepath"
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

	// Adopted retained tables: none created, the functions get their names.
	p := synth(t, "private")
	p.main.ResourceCountIs(jsii.String("AWS::DynamoDB::Table"), jsii.Number(0))
	env := props(resources(p, "AWS::Lambda::Function")[logicalID(p.stacks.Main.Gateway.Fn)])["Environment"].(res)["Variables"].(res)
	if env["TOLLGATE_STATE_TABLE"] != "tollgate-state" || env["TOLLGATE_CACHE_TABLE"] != "tollgate-cache" {
		t.Errorf("adopted table names: %v", env)
	}
}

// --- functions ---

func TestFunctions(t *testing.T) {
	s := synth(t, "default")
	s.main.ResourceCountIs(jsii.String("AWS::Lambda::Function"), jsii.Number(2+1)) // + BucketDeployment's
	// Each function has its own reserved concurrency by default.
	for f, want := range map[function]float64{s.stacks.Main.Gateway: 100, s.stacks.Main.Admin: 10} {
		if got := props(resources(s, "AWS::Lambda::Function")[logicalID(f.Fn)])["ReservedConcurrentExecutions"]; got != want {
			t.Errorf("%s: reserved concurrency %v, want %v", logicalID(f.Fn), got, want)
		}
	}
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
	// Functions in the VPC, with HTTPS-only egress and gateway endpoints.
	f.main.HasResourceProperties(jsii.String("AWS::Lambda::Function"), assertions.Match_ObjectLike(&map[string]any{
		"Role":      map[string]any{"Fn::GetAtt": []any{logicalID(f.stacks.Main.Admin.Role), "Arn"}},
		"VpcConfig": assertions.Match_ObjectLike(&map[string]any{"SubnetIds": []any{"subnet-0123456789abcdef0"}}),
	}))
	f.main.HasResourceProperties(jsii.String("AWS::EC2::SecurityGroup"), assertions.Match_ObjectLike(&map[string]any{
		"SecurityGroupEgress": []any{assertions.Match_ObjectLike(&map[string]any{"CidrIp": "0.0.0.0/0", "FromPort": 443, "ToPort": 443})},
	}))
	f.main.ResourcePropertiesCountIs(jsii.String("AWS::EC2::VPCEndpoint"), &map[string]any{
		"VpcEndpointType": "Gateway", "RouteTableIds": []any{"rtb-0123456789abcdef0"},
	}, jsii.Number(2))
	// Tags reach the resources.
	f.main.HasResourceProperties(jsii.String("AWS::Lambda::Function"), assertions.Match_ObjectLike(&map[string]any{
		"Tags": assertions.Match_ArrayWith(&[]any{map[string]any{"Key": "cost-center", "Value": "ml-platform"}}),
	}))

	p := synth(t, "private")
	p.main.HasResourceProperties(jsii.String("AWS::Lambda::Function"), assertions.Match_ObjectLike(&map[string]any{
		"Role": map[string]any{"Fn::GetAtt": []any{logicalID(p.stacks.Main.Gateway.Role), "Arn"}}, "Architectures": []any{"x86_64"},
	}))
}

// --- function URL ---

// TestFunctionURL: no door around the WAF by default; the CloudFront front
// has its URL; a bare public URL only on request, with a warning.
func TestFunctionURL(t *testing.T) {
	for _, name := range []string{"default", "private"} {
		synth(t, name).main.ResourceCountIs(jsii.String("AWS::Lambda::Url"), jsii.Number(0))
	}
	b := synth(t, "bareurl")
	b.main.ResourceCountIs(jsii.String("AWS::Lambda::Url"), jsii.Number(1))
	b.main.HasResourceProperties(jsii.String("AWS::Lambda::Url"), &map[string]any{
		"AuthType":          "NONE",
		"InvokeMode":        "RESPONSE_STREAM",
		"TargetFunctionArn": map[string]any{"Fn::GetAtt": []any{logicalID(b.stacks.Main.Gateway.Fn), "Arn"}},
	})
	warnings := assertions.Annotations_FromStack(b.stacks.Main.Stack).FindWarning(jsii.String("*"),
		assertions.Match_StringLikeRegexp(jsii.String("bypasses the WAF")))
	if len(*warnings) != 1 {
		t.Errorf("bare function URL: %d warnings, want 1", len(*warnings))
	}
	f := synth(t, "full") // behind CloudFront, on the provisioned alias; plus the fake LLM's
	f.main.HasResourceProperties(jsii.String("AWS::Lambda::Url"), assertions.Match_ObjectLike(&map[string]any{
		"AuthType": "NONE", "InvokeMode": "RESPONSE_STREAM", "Qualifier": "live",
	}))
	f.main.ResourceCountIs(jsii.String("AWS::Lambda::Url"), jsii.Number(2))
	if len(*assertions.Annotations_FromStack(f.stacks.Main.Stack).FindWarning(jsii.String("*"),
		assertions.Match_StringLikeRegexp(jsii.String("bypasses the WAF")))) != 0 {
		t.Error("the CloudFront-fronted URL is warned about")
	}
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

// TestRoutesServed: every route a function prints (`gateway -routes`,
// `admin -routes`) is routed by the REST API to a function that serves it,
// and every API route goes to a function that serves its path; the
// gateway's through the streaming integration, the admin's buffered
// (routes checks the modes).
func TestRoutesServed(t *testing.T) {
	served := map[string][]string{"gateway": functionOutput(t, "gateway", "-routes"), "admin": functionOutput(t, "admin", "-routes")}
	serves := func(fn, apiPath string) bool {
		for _, pattern := range served[fn] {
			_, path, _ := strings.Cut(pattern, " ")
			if apiPathOf(path) == apiPath {
				return true
			}
		}
		return false
	}
	for _, name := range []string{"default", "private"} {
		got := routes(t, synth(t, name))
		for fn, patterns := range served {
			for _, pattern := range patterns {
				_, path, _ := strings.Cut(pattern, " ")
				to, ok := got["ANY "+apiPathOf(path)]
				if !ok || !serves(to, apiPathOf(path)) {
					t.Errorf("%s: %s (served by %s) is routed to %q", name, pattern, fn, to)
				}
			}
		}
		for route, fn := range got {
			if _, path, _ := strings.Cut(route, " "); !serves(fn, path) {
				t.Errorf("%s: %s goes to %s, which does not serve it", name, route, fn)
			}
		}
	}
}

// apiPathOf turns a ServeMux pattern's path into an API Gateway resource
// path: a trailing {name...} wildcard is {proxy+}.
func apiPathOf(path string) string {
	if i := strings.LastIndex(path, "/{"); i >= 0 && strings.HasSuffix(path, "...}") {
		return path[:i] + "/{proxy+}"
	}
	return path
}

// TestEnvContract: every variable the stack sets on a function is one the
// function reads (`<fn> -env`), and every requirement it has in Lambda is
// met.
func TestEnvContract(t *testing.T) {
	type variable struct {
		Name        string `json:"name"`
		LambdaGroup string `json:"lambda_group"`
	}
	for _, name := range []string{"default", "full", "private"} {
		s := synth(t, name)
		for fnName, f := range map[string]function{"gateway": s.stacks.Main.Gateway, "admin": s.stacks.Main.Admin} {
			var vars []variable
			if err := json.Unmarshal([]byte(strings.Join(functionOutput(t, fnName, "-env"), "\n")), &vars); err != nil {
				t.Fatal(err)
			}
			env := props(resources(s, "AWS::Lambda::Function")[logicalID(f.Fn)])["Environment"].(res)["Variables"].(res)
			met := map[string]bool{}
			reads := map[string]bool{}
			for _, v := range vars {
				reads[v.Name] = true
				if v.LambdaGroup != "" {
					_, set := env[v.Name]
					met[v.LambdaGroup] = met[v.LambdaGroup] || set
				}
			}
			for k := range env {
				if !reads[k] {
					t.Errorf("%s/%s: the stack sets %s, which the function does not read", name, fnName, k)
				}
			}
			for g, ok := range met {
				if !ok {
					t.Errorf("%s/%s: Lambda requirement %q is not met by the stack", name, fnName, g)
				}
			}
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
		"Policy": assertions.Match_ObjectLike(&map[string]any{"Statement": assertions.Match_ArrayWith(&[]any{assertions.Match_ObjectLike(&map[string]any{
			"Action": "execute-api:Invoke", "Effect": "Allow",
			"Condition": map[string]any{"StringEquals": map[string]any{"aws:SourceVpce": []any{map[string]any{"Ref": assertions.Match_AnyValue()}}}},
		})})}),
	}))
	p.main.HasResourceProperties(jsii.String("AWS::EC2::VPCEndpoint"), assertions.Match_ObjectLike(&map[string]any{
		"VpcEndpointType": "Interface", "PrivateDnsEnabled": true, "VpcId": "vpc-0123456789abcdef0",
	}))
	p.main.HasResourceProperties(jsii.String("AWS::EC2::SecurityGroup"), assertions.Match_ObjectLike(&map[string]any{
		"SecurityGroupIngress": []any{assertions.Match_ObjectLike(&map[string]any{"CidrIp": "10.0.0.0/16", "FromPort": 443, "ToPort": 443})},
	}))

	// Management routes from the allow list only: a deny on every admin
	// path, by source address (public) or VPC source address (private).
	p.main.HasResourceProperties(jsii.String("AWS::ApiGateway::RestApi"), assertions.Match_ObjectLike(&map[string]any{
		"Policy": assertions.Match_ObjectLike(&map[string]any{"Statement": assertions.Match_ArrayWith(&[]any{assertions.Match_ObjectLike(&map[string]any{
			"Effect": "Deny", "Condition": map[string]any{"NotIpAddress": map[string]any{"aws:VpcSourceIp": []any{"10.1.0.0/24"}}},
		})})}),
	}))
	f := synth(t, "full")
	for _, stmt := range props(resources(f, "AWS::ApiGateway::RestApi")[logicalID(f.stacks.Main.API.API)])["Policy"].(res)["Statement"].([]any) {
		st := stmt.(res)
		if st["Effect"] != "Deny" {
			continue
		}
		if got := js(st["Condition"]); got != `{"NotIpAddress":{"aws:SourceIp":["198.51.100.0/24"]}}` {
			t.Errorf("management deny condition %s", got)
		}
		denied := strs(st["Resource"])
		if len(denied) != len(adminPaths) || slices.ContainsFunc(denied, func(r string) bool { return strings.Contains(r, "/v1/") || strings.Contains(r, "/health") }) {
			t.Errorf("management deny covers %v, want exactly the admin paths", denied)
		}
	}
	if js(resources(s, "AWS::ApiGateway::RestApi")) == "" || strings.Contains(js(resources(s, "AWS::ApiGateway::RestApi")), "NotIpAddress") {
		t.Error("default API restricts management without managementAllowList")
	}
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
						"{{resolve:secretsmanager:", map[string]any{"Ref": logicalID(st.Secrets.Origin)}, ":SecretString:current::}}"}}},
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
	f.main.HasResourceProperties(jsii.String("AWS::SecretsManager::Secret"), assertions.Match_ObjectLike(&map[string]any{
		"GenerateSecretString": assertions.Match_ObjectLike(&map[string]any{"GenerateStringKey": "current", "SecretStringTemplate": `{"previous":""}`}),
	}))
	synth(t, "default").main.ResourceCountIs(jsii.String("AWS::CloudFront::Distribution"), jsii.Number(0))
}

func TestEdgeWafStackOutsideUSEast1(t *testing.T) {
	o := defaultOptions(t)
	o.Region, o.CloudFront = "eu-west-1", true
	app := awscdk.NewApp(&awscdk.AppProps{Context: cdkContext(t)})
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
	st := s.stacks.Main
	s.main.HasResourceProperties(jsii.String("AWS::SecretsManager::Secret"), assertions.Match_ObjectLike(&map[string]any{
		"GenerateSecretString": map[string]any{"ExcludePunctuation": true, "IncludeSpace": false, "PasswordLength": 48},
	}))
	all := resources(s, "AWS::SecretsManager::Secret")
	// Retained on stack deletion, as the Makefile says.
	for _, sec := range []constructs.IConstruct{st.Secrets.MasterKey, st.Secrets.ProviderKeys} {
		if r := all[logicalID(sec)]; r["DeletionPolicy"] != "Retain" || r["UpdateReplacePolicy"] != "Retain" {
			t.Errorf("%s: deletion policy %v", logicalID(sec), r["DeletionPolicy"])
		}
	}
	// The provider keys start empty, and the template never changes that
	// value, so keys set since survive a redeploy.
	if got := props(all[logicalID(st.Secrets.ProviderKeys)])["SecretString"]; got != "{}" {
		t.Errorf("provider keys secret: %v, want the constant {}", got)
	}
}

// TestNoSecretInAssembly: synthesized with provider keys in the deployer's
// environment, no file of the cloud assembly (templates, assets, manifest)
// holds any of them.
func TestNoSecretInAssembly(t *testing.T) {
	synth(t, "default")
	files := 0
	err := filepath.WalkDir(assemblyDir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		files++
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if strings.HasSuffix(path, ".zip") { // asset archives: look inside too
			zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
			if err != nil {
				return err
			}
			for _, f := range zr.File {
				rc, err := f.Open()
				if err != nil {
					return err
				}
				inner, _ := io.ReadAll(rc)
				rc.Close()
				b = append(b, inner...)
			}
		}
		for name, v := range deployerEnv {
			if bytes.Contains(b, []byte(v)) {
				t.Errorf("%s holds %s", path, name)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if files < 5 {
		t.Fatalf("only %d files in %s: the assembly was not written", files, assemblyDir)
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
					if got := strings.Join(slices.Sorted(slices.Values(strs(st["Action"]))), ","); got != "xray:PutTelemetryRecords,xray:PutTraceSegments" {
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
			for _, r := range strs(stmt["Resource"]) {
				if !slices.ContainsFunc(secretIDs, func(id string) bool { return r == js(map[string]any{"Ref": id}) }) {
					t.Errorf("gateway: secrets on %s", r)
				}
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
		"sts:AssumeRole", "secretsmanager:GetSecretValue", "dynamodb:UpdateItem", "dynamodb:TransactWriteItems", "s3:GetObject"} {
		if !slices.Contains(gotActions, want) {
			t.Errorf("gateway lacks %s (has %v)", want, gotActions)
		}
	}
	// Bedrock resources follow bedrockRegions.
	if b := js(sts); !strings.Contains(b, "bedrock:us-west-2::foundation-model/*") || strings.Contains(b, "bedrock:*::") {
		t.Errorf("bedrock resources do not follow bedrockRegions")
	}
	// Only what the store calls: no Scan, no batch calls, no streams.
	for _, a := range gotActions {
		if strings.HasPrefix(a, "dynamodb:") && !slices.Contains(storeActions, a) {
			t.Errorf("gateway: %s, which internal/store/dynamo never calls", a)
		}
		if a == "s3:PutObject" {
			t.Error("gateway may write to the logs bucket, which nothing in it does")
		}
	}
	// Without bedrockRegions, the regions config/config.yaml names: the
	// stack's own and the us geography of its inference profiles.
	d := synth(t, "default")
	if b := js(statements(d, d.stacks.Main.Gateway.Role)); strings.Contains(b, "bedrock:*:") || !strings.Contains(b, "bedrock:us-*::foundation-model/*") {
		t.Errorf("default bedrock resources do not follow config.yaml: %s", b)
	}
	// No department roles, no sts at all.
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
	st := s.stacks.Main
	for _, stmt := range statements(s, st.Admin.Role) {
		acts, resJSON := strs(stmt["Action"]), js(stmt["Resource"])
		for _, a := range acts {
			if strings.HasPrefix(a, "bedrock:") || strings.HasPrefix(a, "sts:") || a == "s3:PutObject" ||
				(strings.HasPrefix(a, "dynamodb:") && !slices.Contains(storeActions, a)) {
				t.Errorf("admin has %s", a)
			}
		}
		if strings.Contains(resJSON, `"`+logicalID(st.Tables.Cache.(constructs.IConstruct))+`"`) {
			t.Errorf("admin may use the cache table: %v", acts)
		}
		if strings.Contains(resJSON, `"`+logicalID(st.Tables.Spend.(constructs.IConstruct))+`"`) && strings.HasPrefix(acts[0], "dynamodb:") &&
			js(acts) != js(storeReadActions) {
			t.Errorf("admin on the spend table: %v, want reads only", acts)
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
	// No bootstrap needed in a department account (or for a StackSet).
	tpl := *d.ToJSON()
	if _, ok := tpl["Parameters"].(map[string]any)["BootstrapVersion"]; ok {
		t.Error("the department stack needs a CDK bootstrap")
	}
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
		// No ACLs: access logs arrive through the bucket policy.
		"OwnershipControls": map[string]any{"Rules": []any{map[string]any{"ObjectOwnership": "BucketOwnerEnforced"}}},
	}))
	if strings.Contains(js(s.mainJSON), `"AccessControl"`) {
		t.Error("a bucket uses an ACL")
	}
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
	// Every alarm notifies the topic, when it fires and when it clears.
	topic := js([]any{map[string]any{"Ref": logicalID(s.stacks.Main.AlarmTopic)}})
	for id, a := range resources(s, "AWS::CloudWatch::Alarm") {
		if js(props(a)["AlarmActions"]) != topic || js(props(a)["OKActions"]) != topic {
			t.Errorf("%s: actions %v / %v, want the alarm topic", id, props(a)["AlarmActions"], props(a)["OKActions"])
		}
	}
	s.main.ResourceCountIs(jsii.String("AWS::SNS::Subscription"), jsii.Number(0))
	synth(t, "full").main.HasResourceProperties(jsii.String("AWS::SNS::Subscription"), &map[string]any{
		"Protocol": "email", "Endpoint": "oncall@example.com", "TopicArn": map[string]any{"Ref": logicalID(synth(t, "full").stacks.Main.AlarmTopic)},
	})
	s.main.ResourceCountIs(jsii.String("AWS::CloudWatch::Dashboard"), jsii.Number(1))
	for _, metric := range []string{"Errors", "Throttles", "5XXError", "Latency"} {
		s.main.HasResourceProperties(jsii.String("AWS::CloudWatch::Alarm"), assertions.Match_ObjectLike(&map[string]any{"MetricName": metric}))
	}
	s.main.HasResourceProperties(jsii.String("AWS::CloudWatch::Alarm"), assertions.Match_ObjectLike(&map[string]any{
		"Metrics": assertions.Match_ArrayWith(&[]any{assertions.Match_ObjectLike(&map[string]any{
			"MetricStat": assertions.Match_ObjectLike(&map[string]any{"Metric": assertions.Match_ObjectLike(&map[string]any{"MetricName": "WriteThrottleEvents"})}),
		})}),
	}))
	for _, o := range []string{"GatewayApiUrl", "ManagementApiUrl", "AlarmTopicArn", "MasterKeySecretName", "ProviderKeysSecretName",
		"StateTableName", "SpendTableName", "CacheTableName", "ConfigLocation", "GatewayRoleArn"} {
		s.main.HasOutput(jsii.String(o), assertions.Match_AnyValue())
	}
}

func TestMissingArtifactFails(t *testing.T) {
	o := defaultOptions(t)
	o.ArtifactDir = t.TempDir()
	_, err := BuildStacks(awscdk.NewApp(&awscdk.AppProps{Context: cdkContext(t)}), o)
	if err == nil || !strings.Contains(err.Error(), "make build") {
		t.Errorf("err = %v, want a hint to run make build", err)
	}
}
