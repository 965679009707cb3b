package main

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awswafv2"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// wafScope is REGIONAL (API Gateway) or CLOUDFRONT (created in us-east-1).
type wafScope string

const (
	wafRegional   wafScope = "REGIONAL"
	wafCloudFront wafScope = "CLOUDFRONT"
)

// Body rules of AWSManagedRulesCommonRuleSet that are set to COUNT: an LLM
// request body is arbitrary text (code, HTML, file paths, URLs in prompts)
// and is often larger than the rule set's 8 KB body limit, so these rules
// would block legitimate traffic. Paths, query strings, headers and cookies
// are still inspected and blocked.
var countedCommonRules = []string{
	"SizeRestrictions_BODY",
	"CrossSiteScripting_BODY",
	"GenericLFI_BODY",
	"GenericRFI_BODY",
	"EC2MetaDataSSRF_BODY",
}

func visibility(name string) *awswafv2.CfnWebACL_VisibilityConfigProperty {
	return &awswafv2.CfnWebACL_VisibilityConfigProperty{
		CloudWatchMetricsEnabled: jsii.Bool(true),
		MetricName:               jsii.String(name),
		SampledRequestsEnabled:   jsii.Bool(true),
	}
}

func managedRule(name string, priority int, counted []string) *awswafv2.CfnWebACL_RuleProperty {
	stmt := &awswafv2.CfnWebACL_ManagedRuleGroupStatementProperty{
		VendorName: jsii.String("AWS"),
		Name:       jsii.String(name),
	}
	if len(counted) > 0 {
		var overrides []any
		for _, r := range counted {
			overrides = append(overrides, &awswafv2.CfnWebACL_RuleActionOverrideProperty{
				Name:        jsii.String(r),
				ActionToUse: &awswafv2.CfnWebACL_RuleActionProperty{Count: &awswafv2.CfnWebACL_CountActionProperty{}},
			})
		}
		stmt.RuleActionOverrides = &overrides
	}
	return &awswafv2.CfnWebACL_RuleProperty{
		Name:             jsii.String(name),
		Priority:         jsii.Number(priority),
		OverrideAction:   &awswafv2.CfnWebACL_OverrideActionProperty{None: map[string]any{}},
		Statement:        &awswafv2.CfnWebACL_StatementProperty{ManagedRuleGroupStatement: stmt},
		VisibilityConfig: visibility(name),
	}
}

// newWebACL builds Tollgate's web ACL: an optional IP allow list (everything
// else blocked), AWS IP reputation, common and known-bad-inputs rule groups,
// and a per-IP rate limit.
func newWebACL(scope constructs.Construct, id string, scopeKind wafScope, o Options) awswafv2.CfnWebACL {
	var rules []any
	if len(o.WAFAllowList) > 0 {
		v4, v6 := []string{}, []string{}
		for _, c := range o.WAFAllowList {
			if isIPv6(c) {
				v6 = append(v6, c)
			} else {
				v4 = append(v4, c)
			}
		}
		var refs []any
		for i, set := range [][]string{v4, v6} {
			if len(set) == 0 {
				continue
			}
			version, suffix := "IPV4", "V4"
			if i == 1 {
				version, suffix = "IPV6", "V6"
			}
			ipset := awswafv2.NewCfnIPSet(scope, jsii.String(id+"AllowList"+suffix), &awswafv2.CfnIPSetProps{
				Scope:            jsii.String(string(scopeKind)),
				IpAddressVersion: jsii.String(version),
				Addresses:        jsii.Strings(set...),
				Description:      jsii.String("Tollgate allowed source addresses"),
			})
			refs = append(refs, &awswafv2.CfnWebACL_StatementProperty{
				IpSetReferenceStatement: &awswafv2.CfnWebACL_IPSetReferenceStatementProperty{Arn: ipset.AttrArn()},
			})
		}
		inList := refs[0]
		if len(refs) == 2 {
			inList = &awswafv2.CfnWebACL_StatementProperty{OrStatement: &awswafv2.CfnWebACL_OrStatementProperty{Statements: &refs}}
		}
		rules = append(rules, &awswafv2.CfnWebACL_RuleProperty{
			Name:     jsii.String("AllowListOnly"),
			Priority: jsii.Number(0),
			Action:   &awswafv2.CfnWebACL_RuleActionProperty{Block: &awswafv2.CfnWebACL_BlockActionProperty{}},
			Statement: &awswafv2.CfnWebACL_StatementProperty{
				NotStatement: &awswafv2.CfnWebACL_NotStatementProperty{Statement: inList},
			},
			VisibilityConfig: visibility("AllowListOnly"),
		})
	}
	rules = append(rules,
		managedRule("AWSManagedRulesAmazonIpReputationList", 1, nil),
		managedRule("AWSManagedRulesCommonRuleSet", 2, countedCommonRules),
		managedRule("AWSManagedRulesKnownBadInputsRuleSet", 3, nil),
		&awswafv2.CfnWebACL_RuleProperty{
			Name:     jsii.String("RatePerIP"),
			Priority: jsii.Number(4),
			Action:   &awswafv2.CfnWebACL_RuleActionProperty{Block: &awswafv2.CfnWebACL_BlockActionProperty{}},
			Statement: &awswafv2.CfnWebACL_StatementProperty{
				RateBasedStatement: &awswafv2.CfnWebACL_RateBasedStatementProperty{
					Limit:            jsii.Number(o.WAFRateLimit),
					AggregateKeyType: jsii.String("IP"),
				},
			},
			VisibilityConfig: visibility("RatePerIP"),
		},
	)
	return awswafv2.NewCfnWebACL(scope, jsii.String(id), &awswafv2.CfnWebACLProps{
		Scope:            jsii.String(string(scopeKind)),
		DefaultAction:    &awswafv2.CfnWebACL_DefaultActionProperty{Allow: &awswafv2.CfnWebACL_AllowActionProperty{}},
		Description:      jsii.String("Tollgate gateway protection"),
		Rules:            &rules,
		VisibilityConfig: visibility(id),
	})
}

// logWebACL sends the ACL's logs to a CloudWatch log group (the name must
// start with aws-waf-logs-) with API keys and the origin secret redacted.
func logWebACL(scope constructs.Construct, id string, acl awswafv2.CfnWebACL, o Options) awslogs.LogGroup {
	lg := awslogs.NewLogGroup(scope, jsii.String(id+"Logs"), &awslogs.LogGroupProps{
		LogGroupName:  awscdk.Fn_Join(jsii.String(""), &[]*string{jsii.String("aws-waf-logs-tollgate-"), awscdk.Aws_STACK_NAME(), jsii.String("-" + id)}),
		Retention:     retention(o),
		RemovalPolicy: awscdk.RemovalPolicy_DESTROY,
	})
	var redacted []any
	for _, h := range []string{"authorization", "x-api-key", "api-key", "x-goog-api-key", "x-tollgate-origin-secret"} {
		redacted = append(redacted, &awswafv2.CfnLoggingConfiguration_FieldToMatchProperty{
			SingleHeader: map[string]any{"Name": h},
		})
	}
	awswafv2.NewCfnLoggingConfiguration(scope, jsii.String(id+"Logging"), &awswafv2.CfnLoggingConfigurationProps{
		ResourceArn: acl.AttrArn(),
		// WAF wants the log group ARN without the ":*" that GetAtt adds.
		LogDestinationConfigs: anys(*awscdk.Stack_Of(scope).FormatArn(&awscdk.ArnComponents{
			Service:      jsii.String("logs"),
			Resource:     jsii.String("log-group"),
			ResourceName: lg.LogGroupName(),
			ArnFormat:    awscdk.ArnFormat_COLON_RESOURCE_NAME,
		})),
		RedactedFields: &redacted,
	})
	return lg
}

func isIPv6(cidr string) bool {
	for _, c := range cidr {
		if c == ':' {
			return true
		}
	}
	return false
}
