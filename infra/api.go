package main

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigateway"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscertificatemanager"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsroute53"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsroute53targets"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// StageName is the REST API stage; without a custom domain clients use
// https://<id>.execute-api.<region>.amazonaws.com/prod as their base URL.
const StageName = "prod"

// gatewayPaths go to the gateway function through the streaming integration:
// every route `gateway -routes` prints (data plane, history, health, model
// list and /v1/model/info), as API Gateway resources ({proxy+} for a
// trailing {name...} wildcard). Only served paths are routed, so nothing
// else reaches a function; the infra tests check the two lists against the
// functions' own, route by route.
var gatewayPaths = []string{
	"/v1/chat/completions", "/chat/completions", "/v1/embeddings", "/embeddings",
	"/v1/images/generations", "/images/generations", "/bedrock/model/{proxy+}", "/bedrock/chat-history",
	"/chat-history", "/session-ids", "/v1/models", "/models", "/v1/models/{proxy+}", "/models/{proxy+}",
	"/v1/model/info", "/health/liveliness", "/health/liveness", "/health/readiness",
	"/v1/completions", "/completions", "/v1/moderations", "/moderations", "/health",
	"/openai/deployments/{deployment}/chat/completions", "/openai/deployments/{deployment}/completions",
	"/openai/deployments/{deployment}/embeddings", "/openai/deployments/{deployment}/images/generations",
	"/engines/{deployment}/chat/completions", "/engines/{deployment}/completions", "/engines/{deployment}/embeddings",
	"/engines/{deployment}/images/generations",
}

// adminPaths go to the admin function through a buffered integration: the
// management routes `admin -routes` prints that the gateway does not serve
// (health and the model list are answered by the gateway).
var adminPaths = []string{
	"/key/generate", "/key/update", "/key/delete", "/key/regenerate", "/key/info", "/key/list", "/key/block",
	"/key/unblock", "/user/new", "/user/update", "/user/delete", "/user/info", "/user/list", "/team/new",
	"/team/update", "/team/delete", "/team/member_add", "/team/member_update", "/team/member_delete", "/team/info",
	"/team/list", "/organization/new", "/organization/update", "/organization/delete", "/organization/info",
	"/organization/list", "/organization/member_add", "/organization/member_update", "/organization/member_delete",
	"/model/info", "/model/new", "/model/update", "/model/delete", "/model_group/info", "/spend/logs", "/global/spend/report", "/routes",
}

type restAPI struct {
	API    awsapigateway.RestApi
	Logs   awslogs.LogGroup
	Domain awsapigateway.DomainName // nil without a custom domain
	URL    string                   // the base URL clients use
}

// addRoute adds ANY on path: the function answers a wrong method with its
// own JSON 405, which OpenAI clients parse.
func addRoute(api awsapigateway.RestApi, path string, integ awsapigateway.Integration) {
	api.Root().ResourceForPath(jsii.String(path)).AddMethod(jsii.String("ANY"), integ, nil)
}

// managementPolicy is the resource policy limiting the management routes to
// o.ManagementAllowList (source addresses; VPC source addresses on a
// private API), on top of base (the private API's endpoint restriction, or
// nil: anyone may invoke). Explicit deny wins over any allow.
func managementPolicy(o Options, base []awsiam.PolicyStatement) []awsiam.PolicyStatement {
	if len(o.ManagementAllowList) == 0 {
		return base
	}
	if base == nil {
		base = []awsiam.PolicyStatement{awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid:        jsii.String("InvokeAll"),
			Effect:     awsiam.Effect_ALLOW,
			Principals: &[]awsiam.IPrincipal{awsiam.NewAnyPrincipal()},
			Actions:    jsii.Strings("execute-api:Invoke"),
			Resources:  jsii.Strings("execute-api:/*"),
		})}
	}
	var paths []string
	for _, p := range adminPaths {
		paths = append(paths, "execute-api:/*/*"+p)
	}
	key := "aws:SourceIp"
	if !o.PublicAPI {
		key = "aws:VpcSourceIp"
	}
	return append(base, awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:        jsii.String("ManagementFromAllowListOnly"),
		Effect:     awsiam.Effect_DENY,
		Principals: &[]awsiam.IPrincipal{awsiam.NewAnyPrincipal()},
		Actions:    jsii.Strings("execute-api:Invoke"),
		Resources:  jsii.Strings(paths...),
		Conditions: &map[string]any{"NotIpAddress": map[string]any{key: o.ManagementAllowList}},
	}))
}

// newRestAPI creates the one REST API: regional (or private), access and
// execution logs without request bodies, stage throttling, the gateway routes
// on a STREAM Lambda proxy integration and the management routes on a
// buffered one, and the optional custom domain.
func newRestAPI(scope constructs.Construct, o Options, gateway, admin awslambda.IFunction) restAPI {
	access := awslogs.NewLogGroup(scope, jsii.String("ApiAccessLogs"), &awslogs.LogGroupProps{
		Retention:     retention(o),
		RemovalPolicy: awscdk.RemovalPolicy_DESTROY,
	})
	endpoint := &awsapigateway.EndpointConfiguration{Types: &[]awsapigateway.EndpointType{awsapigateway.EndpointType_REGIONAL}}
	var statements []awsiam.PolicyStatement
	if !o.PublicAPI {
		ids := o.APIVpcEndpointIDs
		if len(ids) == 0 {
			ids = []string{*newAPIVpcEndpoint(scope, o).Ref()}
		}
		var vpce []awsec2.IVpcEndpoint
		for i, id := range ids {
			vpce = append(vpce, awsec2.InterfaceVpcEndpoint_FromInterfaceVpcEndpointAttributes(scope,
				jsii.Sprintf("ApiVpce%d", i), &awsec2.InterfaceVpcEndpointAttributes{VpcEndpointId: jsii.String(id), Port: jsii.Number(443)}))
		}
		endpoint = &awsapigateway.EndpointConfiguration{
			Types:        &[]awsapigateway.EndpointType{awsapigateway.EndpointType_PRIVATE},
			VpcEndpoints: &vpce,
		}
		// A private API is invocable only through the listed endpoints.
		statements = []awsiam.PolicyStatement{
			awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
				Effect:     awsiam.Effect_ALLOW,
				Principals: &[]awsiam.IPrincipal{awsiam.NewAnyPrincipal()},
				Actions:    jsii.Strings("execute-api:Invoke"),
				Resources:  jsii.Strings("execute-api:/*"),
				Conditions: &map[string]any{"StringEquals": map[string]any{"aws:SourceVpce": ids}},
			}),
		}
	}
	var policy awsiam.PolicyDocument
	if statements = managementPolicy(o, statements); statements != nil {
		policy = awsiam.NewPolicyDocument(&awsiam.PolicyDocumentProps{Statements: &statements})
	}
	api := awsapigateway.NewRestApi(scope, jsii.String("Api"), &awsapigateway.RestApiProps{
		RestApiName:           jsii.String(o.StackName),
		Description:           jsii.String("Tollgate LLM gateway: data plane (streaming) and management API"),
		EndpointConfiguration: endpoint,
		Policy:                policy,
		// Execution logging (ERROR level) needs the account-wide API Gateway
		// CloudWatch role; it is kept when the stack is deleted because other
		// APIs in the account rely on the same setting.
		CloudWatchRole:              jsii.Bool(true),
		CloudWatchRoleRemovalPolicy: awscdk.RemovalPolicy_RETAIN,
		DisableExecuteApiEndpoint:   jsii.Bool(o.RecordName != ""),
		DeployOptions: &awsapigateway.StageOptions{
			StageName:            jsii.String(StageName),
			AccessLogDestination: awsapigateway.NewLogGroupLogDestination(access),
			AccessLogFormat: awsapigateway.AccessLogFormat_JsonWithStandardFields(&awsapigateway.JsonWithStandardFieldProps{
				Caller: jsii.Bool(false), HttpMethod: jsii.Bool(true), Ip: jsii.Bool(true), Protocol: jsii.Bool(true),
				RequestTime: jsii.Bool(true), ResourcePath: jsii.Bool(true), ResponseLength: jsii.Bool(true),
				Status: jsii.Bool(true), User: jsii.Bool(false),
			}),
			LoggingLevel: awsapigateway.MethodLoggingLevel_ERROR,
			// Never log bodies: they are prompts and completions.
			DataTraceEnabled:     jsii.Bool(false),
			MetricsEnabled:       jsii.Bool(true),
			TracingEnabled:       jsii.Bool(o.Tracing),
			ThrottlingRateLimit:  jsii.Number(o.APIThrottleRateLimit),
			ThrottlingBurstLimit: jsii.Number(o.APIThrottleBurstLimit),
		},
	})

	stream := awsapigateway.NewLambdaIntegration(gateway, &awsapigateway.LambdaIntegrationOptions{
		Proxy:                jsii.Bool(true),
		ResponseTransferMode: awsapigateway.ResponseTransferMode_STREAM,
		// Streaming integrations may run up to 15 minutes; match the function.
		Timeout:         awscdk.Duration_Seconds(jsii.Number(o.GatewayTimeoutSeconds)),
		AllowTestInvoke: jsii.Bool(false),
	})
	buffered := awsapigateway.NewLambdaIntegration(admin, &awsapigateway.LambdaIntegrationOptions{
		Proxy:           jsii.Bool(true),
		AllowTestInvoke: jsii.Bool(false),
	})
	for _, p := range gatewayPaths {
		addRoute(api, p, stream)
	}
	for _, p := range adminPaths {
		addRoute(api, p, buffered)
	}

	r := restAPI{API: api, Logs: access, URL: *api.Url()}
	if o.RecordName != "" {
		r.Domain, r.URL = newCustomDomain(scope, o, api)
	}
	return r
}

// newCustomDomain maps RECORD_NAME in HOSTED_ZONE_NAME to the API stage with
// TLS 1.2, as the seeds' load balancer did.
func newCustomDomain(scope constructs.Construct, o Options, api awsapigateway.RestApi) (awsapigateway.DomainName, string) {
	var zone awsroute53.IHostedZone
	if o.HostedZoneID != "" {
		zone = awsroute53.HostedZone_FromHostedZoneAttributes(scope, jsii.String("Zone"), &awsroute53.HostedZoneAttributes{
			HostedZoneId: jsii.String(o.HostedZoneID), ZoneName: jsii.String(o.HostedZoneName),
		})
	} else {
		zone = awsroute53.HostedZone_FromLookup(scope, jsii.String("Zone"), &awsroute53.HostedZoneProviderProps{
			DomainName: jsii.String(o.HostedZoneName),
		})
	}
	var cert awscertificatemanager.ICertificate
	if o.CertificateARN != "" {
		cert = awscertificatemanager.Certificate_FromCertificateArn(scope, jsii.String("Certificate"), jsii.String(o.CertificateARN))
	} else {
		cert = awscertificatemanager.NewCertificate(scope, jsii.String("Certificate"), &awscertificatemanager.CertificateProps{
			DomainName: jsii.String(o.RecordName),
			Validation: awscertificatemanager.CertificateValidation_FromDns(zone),
		})
	}
	domain := awsapigateway.NewDomainName(scope, jsii.String("Domain"), &awsapigateway.DomainNameProps{
		DomainName:     jsii.String(o.RecordName),
		Certificate:    cert,
		EndpointType:   awsapigateway.EndpointType_REGIONAL,
		SecurityPolicy: awsapigateway.SecurityPolicy_TLS_1_2,
		Mapping:        api,
	})
	awsroute53.NewARecord(scope, jsii.String("DomainRecord"), &awsroute53.ARecordProps{
		Zone:       zone,
		RecordName: jsii.String(o.RecordName),
		Target:     awsroute53.RecordTarget_FromAlias(awsroute53targets.NewApiGatewayDomain(domain)),
	})
	return domain, "https://" + o.RecordName + "/"
}

// newAPIVpcEndpoint creates an execute-api interface endpoint in an existing
// VPC, reachable on 443 from PrivateAPIIngressCIDR only.
func newAPIVpcEndpoint(scope constructs.Construct, o Options) awsec2.CfnVPCEndpoint {
	sg := awsec2.NewCfnSecurityGroup(scope, jsii.String("ApiVpceSecurityGroup"), &awsec2.CfnSecurityGroupProps{
		GroupDescription: jsii.String("Tollgate private API endpoint: HTTPS from " + o.PrivateAPIIngressCIDR),
		VpcId:            jsii.String(o.VpcID),
		SecurityGroupIngress: &[]any{&awsec2.CfnSecurityGroup_IngressProperty{
			IpProtocol: jsii.String("tcp"), FromPort: jsii.Number(443), ToPort: jsii.Number(443),
			CidrIp:      jsii.String(o.PrivateAPIIngressCIDR),
			Description: jsii.String("HTTPS to the Tollgate API"),
		}},
	})
	return awsec2.NewCfnVPCEndpoint(scope, jsii.String("ApiVpce"), &awsec2.CfnVPCEndpointProps{
		VpcId:             jsii.String(o.VpcID),
		ServiceName:       awscdk.Fn_Join(jsii.String(""), &[]*string{jsii.String("com.amazonaws."), awscdk.Aws_REGION(), jsii.String(".execute-api")}),
		VpcEndpointType:   jsii.String("Interface"),
		SubnetIds:         anys(o.SubnetIDs...),
		SecurityGroupIds:  anys(*sg.AttrGroupId()),
		PrivateDnsEnabled: jsii.Bool(true),
	})
}

// anys converts strings for L1 properties typed []interface{}.
func anys(ss ...string) *[]any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return &out
}
