package samtemplate

import (
	"encoding/json"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// The production settings of template.yaml (docs/operations.md describes them), read with
// this package's parser. cfn-lint (TestCfnLint) checks that CloudFormation accepts them.

func ref(name string) Intrinsic { return Intrinsic{Name: "Ref", Arg: name} }
func sub(text string) Intrinsic { return Intrinsic{Name: "Fn::Sub", Arg: text} }
func ifThen(cond string, yes, no any) Intrinsic {
	return Intrinsic{Name: "Fn::If", Arg: []any{cond, yes, no}}
}

var noValue = ref("AWS::NoValue")

// prop walks nested mappings: prop(t, r.Properties, "A", "B") is r.Properties.A.B.
func prop(t *testing.T, m map[string]any, path ...string) any {
	t.Helper()
	var v any = m
	for i, k := range path {
		mm, ok := v.(map[string]any)
		if !ok {
			t.Fatalf("%s: not a mapping", strings.Join(path[:i], "."))
		}
		if v, ok = mm[k]; !ok {
			t.Fatalf("no %s", strings.Join(path[:i+1], "."))
		}
	}
	return v
}

func mustResource(t *testing.T, tpl *Template, id, typ string) *Resource {
	t.Helper()
	r, ok := tpl.Resource(id)
	if !ok {
		t.Fatalf("no resource %s", id)
	}
	if r.Type != typ {
		t.Fatalf("%s is a %s, want %s", id, r.Type, typ)
	}
	return r
}

// numberParameter checks that name is a Number parameter whose default satisfies ok.
func numberParameter(t *testing.T, tpl *Template, name string, ok func(float64) bool) {
	t.Helper()
	if spec := tpl.ParameterSpecs[name]; spec.Type != "Number" {
		t.Errorf("parameter %s: Type %q, want Number", name, spec.Type)
	}
	n, err := strconv.ParseFloat(tpl.Parameters[name], 64)
	if err != nil || !ok(n) {
		t.Errorf("parameter %s: default %q is not sensible", name, tpl.Parameters[name])
	}
}

func TestStageThrottling(t *testing.T) {
	tpl := loadReal(t, nil)
	api := mustResource(t, tpl, tpl.API.LogicalID, typeHTTPAPI)
	for _, p := range []string{"ThrottlingRateLimit", "ThrottlingBurstLimit"} {
		if got := prop(t, api.Properties, "DefaultRouteSettings", p); got != ref(p) {
			t.Errorf("DefaultRouteSettings.%s = %v, want !Ref %s", p, got, p)
		}
		numberParameter(t, tpl, p, func(n float64) bool { return n >= 10 && n <= 10000 })
	}
	rate, _ := strconv.Atoi(tpl.Parameters["ThrottlingRateLimit"])
	burst, _ := strconv.Atoi(tpl.Parameters["ThrottlingBurstLimit"])
	if burst < rate {
		t.Errorf("burst %d below the steady rate %d", burst, rate)
	}
}

// logGroup checks that id is a log group whose retention is the LogRetentionDays parameter.
func logGroup(t *testing.T, tpl *Template, id string) *Resource {
	t.Helper()
	lg := mustResource(t, tpl, id, "AWS::Logs::LogGroup")
	if got := lg.Properties["RetentionInDays"]; got != ref("LogRetentionDays") {
		t.Errorf("%s: RetentionInDays %v, want !Ref LogRetentionDays", id, got)
	}
	return lg
}

func TestLogRetention(t *testing.T) {
	tpl := loadReal(t, nil)
	spec := tpl.ParameterSpecs["LogRetentionDays"]
	if got := tpl.Parameters["LogRetentionDays"]; got != "30" || !slices.Contains(spec.AllowedValues, got) {
		t.Errorf("LogRetentionDays default %q (allowed %v), want 30", got, spec.AllowedValues)
	}
	// CloudWatch Logs accepts only these; AllowedValues makes a wrong one fail before deploy.
	for _, v := range spec.AllowedValues {
		if !slices.Contains([]string{"1", "3", "5", "7", "14", "30", "60", "90", "120", "150", "180", "365", "400", "545", "731", "1096", "1827", "2192", "2557", "2922", "3288", "3653"}, v) {
			t.Errorf("LogRetentionDays allows %s, which CloudWatch Logs refuses", v)
		}
	}
	for _, fn := range tpl.Functions {
		t.Run(fn.LogicalID, func(t *testing.T) {
			var found []string
			for _, lg := range tpl.ResourcesOfType("AWS::Logs::LogGroup") {
				if lg.Properties["LogGroupName"] == sub("/aws/lambda/${"+fn.LogicalID+"}") {
					logGroup(t, tpl, lg.LogicalID)
					found = append(found, lg.LogicalID)
				}
			}
			if len(found) != 1 {
				t.Errorf("log groups named /aws/lambda/${%s}: %v, want one", fn.LogicalID, found)
			}
		})
	}
}

func TestAccessLog(t *testing.T) {
	tpl := loadReal(t, nil)
	api := mustResource(t, tpl, tpl.API.LogicalID, typeHTTPAPI)
	dest, ok := prop(t, api.Properties, "AccessLogSettings", "DestinationArn").(Intrinsic)
	arn, _ := dest.Arg.(string)
	group, isArn := strings.CutSuffix(arn, ".Arn")
	if !ok || dest.Name != "Fn::GetAtt" || !isArn {
		t.Fatalf("AccessLogSettings.DestinationArn = %v, want !GetAtt <LogGroup>.Arn", dest)
	}
	logGroup(t, tpl, group)

	format, _ := prop(t, api.Properties, "AccessLogSettings", "Format").(string)
	var fields map[string]string
	if err := json.Unmarshal([]byte(format), &fields); err != nil {
		t.Fatalf("Format is not a JSON object of strings: %v\n%s", err, format)
	}
	want := map[string]string{
		"requestId":               "$context.requestId",
		"ip":                      "$context.identity.sourceIp",
		"routeKey":                "$context.routeKey",
		"status":                  "$context.status",
		"responseLength":          "$context.responseLength",
		"integrationLatency":      "$context.integrationLatency",
		"integrationErrorMessage": "$context.integrationErrorMessage",
	}
	for k, v := range want {
		if fields[k] != v {
			t.Errorf("access log field %s = %q, want %q", k, fields[k], v)
		}
	}
	for k, v := range fields {
		// Only request context: never a header (Authorization) or a body (tokens, passwords).
		if !strings.HasPrefix(v, "$context.") || strings.Contains(strings.ToLower(v), "header") || strings.Contains(v, "authorizer") {
			t.Errorf("access log field %s = %q: log only $context variables without headers", k, v)
		}
	}
}

// metric is what an alarm watches.
type metric struct {
	namespace, name any
	dimensions      map[string]any
}

// alarmMetrics lists the metrics an alarm reads: its own, or those of its metric math.
func alarmMetrics(t *testing.T, a Resource) []metric {
	t.Helper()
	dims := func(v any) map[string]any {
		out := map[string]any{}
		list, _ := v.([]any)
		for _, d := range list {
			m, _ := d.(map[string]any)
			name, _ := m["Name"].(string)
			out[name] = m["Value"]
		}
		return out
	}
	if name, ok := a.Properties["MetricName"]; ok {
		return []metric{{a.Properties["Namespace"], name, dims(a.Properties["Dimensions"])}}
	}
	var out []metric
	list, _ := a.Properties["Metrics"].([]any)
	for _, q := range list {
		m, _ := q.(map[string]any)
		stat, ok := m["MetricStat"].(map[string]any)
		if !ok {
			continue // an expression
		}
		mm, _ := stat["Metric"].(map[string]any)
		out = append(out, metric{mm["Namespace"], mm["MetricName"], dims(mm["Dimensions"])})
	}
	if len(out) == 0 {
		t.Errorf("alarm %s watches no metric", a.LogicalID)
	}
	return out
}

func TestAlarms(t *testing.T) {
	tpl := loadReal(t, nil)
	alarms := tpl.ResourcesOfType("AWS::CloudWatch::Alarm")
	apiDims := map[string]any{"ApiId": ref(tpl.API.LogicalID), "Stage": "$default"}
	stackMetrics := sub("jwtauth/${AWS::StackName}")
	type want struct {
		what string
		m    metric
	}
	wants := []want{
		{"API 5xx", metric{"AWS/ApiGateway", "5xx", apiDims}},
		{"API 4xx", metric{"AWS/ApiGateway", "4xx", apiDims}},
		{"API 429 (from the access log)", metric{stackMetrics, "Api429", map[string]any{}}},
	}
	for _, fn := range tpl.Functions {
		for _, name := range []string{"Errors", "Throttles"} {
			wants = append(wants, want{fn.LogicalID + " " + name, metric{"AWS/Lambda", name, map[string]any{"FunctionName": ref(fn.LogicalID)}}})
		}
	}
	for _, tb := range tpl.Tables {
		for _, name := range []string{"ReadThrottleEvents", "WriteThrottleEvents"} {
			wants = append(wants, want{tb.LogicalID + " " + name, metric{"AWS/DynamoDB", name, map[string]any{"TableName": ref(tb.LogicalID)}}})
		}
	}
	for _, w := range wants {
		var found []string
		for _, a := range alarms {
			for _, m := range alarmMetrics(t, a) {
				if reflect.DeepEqual(m, w.m) {
					found = append(found, a.LogicalID)
				}
			}
		}
		if len(found) != 1 {
			t.Errorf("%s: alarms %v watch %+v, want one", w.what, found, w.m)
		}
	}
	if len(alarms) != len(wants) {
		t.Errorf("%d alarms, %d expected: a new alarm needs a line here and in docs/operations.md", len(alarms), len(wants))
	}

	// The 429 metric comes from the access log.
	var filters int
	for _, f := range tpl.ResourcesOfType("AWS::Logs::MetricFilter") {
		tr, _ := f.Properties["MetricTransformations"].([]any)
		if len(tr) == 1 && reflect.DeepEqual(tr[0].(map[string]any)["MetricName"], "Api429") {
			filters++
			api := mustResource(t, tpl, tpl.API.LogicalID, typeHTTPAPI)
			arn := prop(t, api.Properties, "AccessLogSettings", "DestinationArn").(Intrinsic).Arg.(string)
			if got, want := f.Properties["LogGroupName"], ref(strings.TrimSuffix(arn, ".Arn")); got != want {
				t.Errorf("metric filter %s reads %v, want the access log %v", f.LogicalID, got, want)
			}
			if p, _ := f.Properties["FilterPattern"].(string); !strings.Contains(p, `$.status = "429"`) {
				t.Errorf("metric filter %s pattern %q does not select status 429", f.LogicalID, p)
			}
			if got := tr[0].(map[string]any)["MetricNamespace"]; got != stackMetrics {
				t.Errorf("metric filter %s namespace %v, want %v", f.LogicalID, got, stackMetrics)
			}
		}
	}
	if filters != 1 {
		t.Errorf("%d metric filters produce Api429, want 1", filters)
	}

	// Every alarm notifies AlarmTopicArn, on alarm and on recovery, only when one is given.
	actions := ifThen("HasAlarmTopic", []any{ref("AlarmTopicArn")}, noValue)
	for _, a := range alarms {
		for _, p := range []string{"AlarmActions", "OKActions"} {
			if got := a.Properties[p]; !reflect.DeepEqual(got, actions) {
				t.Errorf("%s.%s = %v, want %v", a.LogicalID, p, got, actions)
			}
		}
		if a.Properties["TreatMissingData"] != "notBreaching" {
			t.Errorf("%s: TreatMissingData %v, want notBreaching (no traffic is no alarm)", a.LogicalID, a.Properties["TreatMissingData"])
		}
	}
	if tpl.Parameters["AlarmTopicArn"] != "" || tpl.Conditions["HasAlarmTopic"] {
		t.Errorf("AlarmTopicArn default %q, HasAlarmTopic %v: want no topic by default", tpl.Parameters["AlarmTopicArn"], tpl.Conditions["HasAlarmTopic"])
	}
	withTopic := loadReal(t, map[string]string{"AlarmTopicArn": "arn:aws:sns:eu-west-1:123456789012:ops"})
	if !withTopic.Conditions["HasAlarmTopic"] {
		t.Error("HasAlarmTopic is false with an AlarmTopicArn")
	}
}

func TestFunctionLimits(t *testing.T) {
	tpl := loadReal(t, nil)
	if spec := tpl.ParameterSpecs["TracingMode"]; !reflect.DeepEqual(spec.AllowedValues, []string{"Active", "PassThrough"}) || tpl.Parameters["TracingMode"] != "PassThrough" {
		t.Errorf("TracingMode: allowed %v, default %q; want Active|PassThrough, default PassThrough", spec.AllowedValues, tpl.Parameters["TracingMode"])
	}
	numberParameter(t, tpl, "ReservedConcurrency", func(n float64) bool { return n == 0 })
	if spec := tpl.ParameterSpecs["ReservedConcurrency"]; spec.MinValue != "0" {
		t.Errorf("ReservedConcurrency MinValue %q, want 0", spec.MinValue)
	}
	reserved := ifThen("HasReservedConcurrency", ref("ReservedConcurrency"), noValue)
	for _, fn := range tpl.Functions {
		// API Gateway gives up on an integration after 30 s; the function must end first.
		if fn.Timeout >= 30 {
			t.Errorf("%s: Timeout %d s, want under API Gateway's 30 s", fn.LogicalID, fn.Timeout)
		}
		if got := fn.Properties["Tracing"]; got != ref("TracingMode") {
			t.Errorf("%s: Tracing %v, want !Ref TracingMode", fn.LogicalID, got)
		}
		if got := fn.Properties["ReservedConcurrentExecutions"]; !reflect.DeepEqual(got, reserved) {
			t.Errorf("%s: ReservedConcurrentExecutions %v, want %v", fn.LogicalID, got, reserved)
		}
	}
	if tpl.Conditions["HasReservedConcurrency"] {
		t.Error("HasReservedConcurrency is true by default; 0 must leave the functions unreserved")
	}
	if !loadReal(t, map[string]string{"ReservedConcurrency": "20"}).Conditions["HasReservedConcurrency"] {
		t.Error("HasReservedConcurrency is false with ReservedConcurrency 20")
	}
	for name, bad := range map[string]string{"TracingMode": "On", "ReservedConcurrency": "-1", "LogRetentionDays": "10", "ThrottlingRateLimit": "fast"} {
		if _, err := Load(templatePath, map[string]string{name: bad}); err == nil {
			t.Errorf("Load with %s=%s: want an error, as CloudFormation would refuse it", name, bad)
		}
	}
}
