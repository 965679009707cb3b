package main

import (
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatchactions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsdynamodb"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssnssubscriptions"
	"github.com/aws/jsii-runtime-go"
)

// Alarm thresholds. They are deliberately simple: page on sustained errors,
// any throttling, and p99 close to the timeout.
const (
	functionErrorThreshold = 5     // errors per 5 minutes
	api5xxThreshold        = 5     // 5XX responses per 5 minutes
	apiLatencyP99Millis    = 60000 // whole-request latency, streams included
)

var fiveMinutes = awscdk.Duration_Minutes(jsii.Number(5))

func alarm(s *TollgateStack, topic awssns.ITopic, id, description string, metric awscloudwatch.IMetric, threshold float64) awscloudwatch.Alarm {
	a := awscloudwatch.NewAlarm(s.Stack, jsii.String(id), &awscloudwatch.AlarmProps{
		AlarmDescription:   jsii.String(description),
		Metric:             metric,
		Threshold:          jsii.Number(threshold),
		EvaluationPeriods:  jsii.Number(1),
		ComparisonOperator: awscloudwatch.ComparisonOperator_GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
		TreatMissingData:   awscloudwatch.TreatMissingData_NOT_BREACHING,
	})
	// Both ways: the page, and the all-clear.
	action := awscloudwatchactions.NewSnsAction(topic)
	a.AddAlarmAction(action)
	a.AddOkAction(action)
	return a
}

// newAlarmTopic is the topic every alarm notifies, with an email
// subscription when alarmEmail is set (the address confirms it once).
func newAlarmTopic(s *TollgateStack) awssns.Topic {
	t := awssns.NewTopic(s.Stack, jsii.String("AlarmTopic"), &awssns.TopicProps{
		DisplayName: jsii.String("Tollgate alarms"),
		EnforceSSL:  jsii.Bool(true),
	})
	if s.Options.AlarmEmail != "" {
		t.AddSubscription(awssnssubscriptions.NewEmailSubscription(jsii.String(s.Options.AlarmEmail), nil))
	}
	output(s.Stack, "AlarmTopicArn", *t.TopicArn(), "SNS topic every alarm notifies (subscribe more endpoints here)")
	return t
}

// tableThrottles sums read and write throttle events of an on-demand table.
// Metric ids must be unique within a graph, hence the name prefix.
func tableThrottles(name string, t awsdynamodb.ITable) awscloudwatch.IMetric {
	opts := &awscloudwatch.MetricOptions{Period: fiveMinutes, Statistic: jsii.String("Sum")}
	return awscloudwatch.NewMathExpression(&awscloudwatch.MathExpressionProps{
		Expression: jsii.String(name + "r + " + name + "w"),
		UsingMetrics: &map[string]awscloudwatch.IMetric{
			name + "r": t.Metric(jsii.String("ReadThrottleEvents"), opts),
			name + "w": t.Metric(jsii.String("WriteThrottleEvents"), opts),
		},
		Label:  jsii.String(name + " throttle events"),
		Period: fiveMinutes,
	})
}

// newMonitoring creates the alarm topic, the alarms (errors, throttles,
// 5xx, p99 latency, DynamoDB throttles), each notifying the topic, and one
// dashboard.
func newMonitoring(stack awscdk.Stack, s *TollgateStack) awssns.Topic {
	topic := newAlarmTopic(s)
	sum := &awscloudwatch.MetricOptions{Period: fiveMinutes, Statistic: jsii.String("Sum")}
	p99 := &awscloudwatch.MetricOptions{Period: fiveMinutes, Statistic: jsii.String("p99")}
	timeoutMillis := float64(s.Options.GatewayTimeoutSeconds * 1000)

	alarm(s, topic, "GatewayErrorsAlarm", "Tollgate gateway function errors", s.Gateway.Fn.MetricErrors(sum), functionErrorThreshold)
	alarm(s, topic, "GatewayThrottlesAlarm", "Tollgate gateway function throttled", s.Gateway.Fn.MetricThrottles(sum), 1)
	alarm(s, topic, "GatewayDurationP99Alarm", "Tollgate gateway p99 duration near the timeout", s.Gateway.Fn.MetricDuration(p99), 0.9*timeoutMillis)
	alarm(s, topic, "AdminErrorsAlarm", "Tollgate admin function errors", s.Admin.Fn.MetricErrors(sum), functionErrorThreshold)
	alarm(s, topic, "AdminThrottlesAlarm", "Tollgate admin function throttled", s.Admin.Fn.MetricThrottles(sum), 1)
	api := s.API.API
	alarm(s, topic, "Api5xxAlarm", "Tollgate REST API 5XX responses", api.MetricServerError(sum), api5xxThreshold)
	alarm(s, topic, "ApiLatencyP99Alarm", "Tollgate REST API p99 latency", api.MetricLatency(p99), apiLatencyP99Millis)
	for _, t := range []struct {
		id    string
		table awsdynamodb.ITable
	}{{"State", s.Tables.State}, {"Spend", s.Tables.Spend}, {"Cache", s.Tables.Cache}} {
		alarm(s, topic, t.id+"TableThrottlesAlarm", "Tollgate "+t.id+" table throttled", tableThrottles(strings.ToLower(t.id), t.table), 1)
	}

	graph := func(title string, metrics ...awscloudwatch.IMetric) awscloudwatch.IWidget {
		return awscloudwatch.NewGraphWidget(&awscloudwatch.GraphWidgetProps{
			Title: jsii.String(title), Left: &metrics, Width: jsii.Number(8), Height: jsii.Number(6),
		})
	}
	dash := awscloudwatch.NewDashboard(stack, jsii.String("Dashboard"), &awscloudwatch.DashboardProps{
		DashboardName: awscdk.Fn_Join(jsii.String("-"), &[]*string{awscdk.Aws_STACK_NAME(), jsii.String("tollgate")}),
	})
	dash.AddWidgets(
		graph("API requests", api.MetricCount(sum)),
		graph("API errors", api.MetricClientError(sum), api.MetricServerError(sum)),
		graph("API latency p99", api.MetricLatency(p99), api.MetricIntegrationLatency(p99)),
	)
	dash.AddWidgets(
		graph("Gateway invocations / errors / throttles", s.Gateway.Fn.MetricInvocations(sum), s.Gateway.Fn.MetricErrors(sum), s.Gateway.Fn.MetricThrottles(sum)),
		graph("Gateway duration p99", s.Gateway.Fn.MetricDuration(p99)),
		graph("Admin invocations / errors", s.Admin.Fn.MetricInvocations(sum), s.Admin.Fn.MetricErrors(sum)),
	)
	dash.AddWidgets(
		graph("DynamoDB throttles", tableThrottles("state", s.Tables.State), tableThrottles("spend", s.Tables.Spend), tableThrottles("cache", s.Tables.Cache)),
		graph("DynamoDB consumed capacity (state)",
			s.Tables.State.MetricConsumedReadCapacityUnits(sum), s.Tables.State.MetricConsumedWriteCapacityUnits(sum)),
		graph("DynamoDB consumed capacity (spend)",
			s.Tables.Spend.MetricConsumedReadCapacityUnits(sum), s.Tables.Spend.MetricConsumedWriteCapacityUnits(sum)),
	)
	return topic
}
