package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/trailhound/trailhound/internal/enrich"
	"github.com/trailhound/trailhound/internal/testutil"
)

// cfnTemplate is a CloudFormation template as JSON: parameters and resources.
type cfnTemplate struct {
	Parameters map[string]map[string]any
	Resources  map[string]struct {
		Type                string
		Condition           string
		DeletionPolicy      string
		UpdateReplacePolicy string
		Properties          map[string]any
	}
}

// parseCFN reads a CloudFormation YAML template (short-form intrinsics such as !Ref
// included) with samtranslator's YAML loader, the one cfn-lint and SAM use.
func parseCFN(t *testing.T, path string) cfnTemplate {
	t.Helper()
	testutil.NeedTool(t, "python3")
	script := "import json,sys\nfrom samtranslator.yaml_helper import yaml_parse\njson.dump(yaml_parse(open(sys.argv[1]).read()), sys.stdout)\n"
	out, err := exec.Command("python3", "-c", script, path).Output()
	if err != nil {
		testutil.Unavailable(t, "samtranslator (cfn-lint's) cannot parse %s: %v", path, err)
	}
	var tpl cfnTemplate
	if err := json.Unmarshal(out, &tpl); err != nil {
		t.Fatal(err)
	}
	return tpl
}

// readmeTableParameters returns the parameter names in the first column of the markdown
// tables headed "| Parameter |" in deploy/README.md, by the heading they are under.
func readmeTableParameters(t *testing.T) map[string][]string {
	t.Helper()
	src, err := os.ReadFile(filepath.Join(deployDir(t), "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]string{}
	heading := ""
	row := regexp.MustCompile("^\\| `([A-Za-z0-9]+)` \\|")
	inTable := false
	for _, line := range strings.Split(string(src), "\n") {
		switch {
		case strings.HasPrefix(line, "#"):
			heading = strings.TrimSpace(strings.TrimLeft(line, "#"))
		case strings.HasPrefix(line, "| Parameter |"):
			inTable = true
		case !strings.HasPrefix(line, "|"):
			inTable = false
		}
		if m := row.FindStringSubmatch(line); m != nil && inTable {
			out[heading] = append(out[heading], m[1])
		}
	}
	return out
}

// TestDeployReadmeDocumentsEveryParameter: every parameter of template.yaml is a row of the
// table under "Deploy", every parameter of org-forwarding.yaml a row of the table under
// "Organization forwarding", and neither table names a parameter the template lacks.
func TestDeployReadmeDocumentsEveryParameter(t *testing.T) {
	tables := readmeTableParameters(t)
	for file, heading := range map[string]string{"template.yaml": "Deploy", "org-forwarding.yaml": "Organization forwarding"} {
		tpl := parseCFN(t, filepath.Join(deployDir(t), file))
		var want []string
		for name := range tpl.Parameters {
			want = append(want, name)
		}
		if len(want) == 0 {
			t.Fatalf("%s: no parameters parsed", file)
		}
		documented := tables[heading]
		for _, p := range want {
			if !slices.Contains(documented, p) {
				t.Errorf("deploy/README.md: the table under %q has no row for %s's parameter %s", heading, file, p)
			}
		}
		for _, p := range documented {
			if !slices.Contains(want, p) {
				t.Errorf("deploy/README.md: the table under %q documents %s, which %s does not have", heading, p, file)
			}
		}
	}
}

// TestOperatorAlarmsAndRetention checks, in the SAM-transformed template, the alarms a
// platform engineer relies on and that the stack's data outlives it. moto's CloudFormation
// does not create alarms and its CloudWatch does not evaluate them, so their definitions are
// what is checked (cfn-lint validates them against the resource specification).
func TestOperatorAlarmsAndRetention(t *testing.T) {
	testutil.NeedTool(t, "python3")
	path, _ := samTranslate(t, "s3://bucket/key")
	var tpl cfnTemplate
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &tpl); err != nil {
		t.Fatal(err)
	}
	ref := func(name string) any { return map[string]any{"Ref": name} }
	getAtt := func(res, attr string) any { return map[string]any{"Fn::GetAtt": []any{res, attr}} }
	cases := map[string]struct {
		condition                      string
		namespace, metric, stat        string
		dimension                      any
		comparison, missing            string
		period, evaluations, threshold any
	}{
		// No invocation in HeartbeatHours consecutive hours: Lambda publishes no datapoint
		// for an hour without invocations, so missing data must breach.
		"HeartbeatAlarm": {"HasHeartbeat", "AWS/Lambda", "Invocations", "Sum", ref("DetectorFunction"), "LessThanThreshold", "breaching", 3600.0, ref("HeartbeatHours"), 1.0},
		"TriageAgeAlarm": {"HasTriageAgeAlarm", "AWS/SQS", "ApproximateAgeOfOldestMessage", "Maximum", getAtt("TriageQueue", "QueueName"), "GreaterThanThreshold", "notBreaching", 300.0, 1.0, ref("TriageMaxAgeSeconds")},
		"ThrottlesAlarm": {"", "AWS/Lambda", "Throttles", "Sum", ref("DetectorFunction"), "GreaterThanThreshold", "notBreaching", 300.0, 1.0, 0.0},
		"IngestAgeAlarm": {"UseQueue", "AWS/SQS", "ApproximateAgeOfOldestMessage", "Maximum", getAtt("IngestQueue", "QueueName"), "GreaterThanThreshold", "notBreaching", 300.0, 1.0, 900.0},
	}
	for id, want := range cases {
		r, ok := tpl.Resources[id]
		if !ok || r.Type != "AWS::CloudWatch::Alarm" {
			t.Errorf("%s: no such alarm", id)
			continue
		}
		p := r.Properties
		dims, _ := p["Dimensions"].([]any)
		var dim any
		if len(dims) == 1 {
			dim = dims[0].(map[string]any)["Value"]
		}
		got := []any{r.Condition, p["Namespace"], p["MetricName"], p["Statistic"], dim, p["ComparisonOperator"], p["TreatMissingData"], p["Period"], p["EvaluationPeriods"], p["Threshold"]}
		exp := []any{want.condition, want.namespace, want.metric, want.stat, want.dimension, want.comparison, want.missing, want.period, want.evaluations, want.threshold}
		if !reflect.DeepEqual(got, exp) {
			t.Errorf("%s:\n got %v\nwant %v", id, got, exp)
		}
		if !reflect.DeepEqual(p["AlarmActions"], map[string]any{"Fn::If": []any{"HasAlarmTopic", []any{ref("AlarmTopicArn")}, ref("AWS::NoValue")}}) {
			t.Errorf("%s: alarm actions %v, want the AlarmTopicArn when set", id, p["AlarmActions"])
		}
	}
	if hb := tpl.Resources["HeartbeatAlarm"].Properties; !reflect.DeepEqual(hb["DatapointsToAlarm"], ref("HeartbeatHours")) {
		t.Errorf("heartbeat: DatapointsToAlarm %v, want every one of the HeartbeatHours periods", hb["DatapointsToAlarm"])
	}
	// Deleting or replacing the stack keeps the state table and every queue with its messages.
	retained := 0
	for id, r := range tpl.Resources {
		if r.Type != "AWS::SQS::Queue" && r.Type != "AWS::DynamoDB::Table" {
			continue
		}
		retained++
		if r.DeletionPolicy != "Retain" || r.UpdateReplacePolicy != "Retain" {
			t.Errorf("%s (%s): DeletionPolicy %q, UpdateReplacePolicy %q, want Retain", id, r.Type, r.DeletionPolicy, r.UpdateReplacePolicy)
		}
	}
	if retained < 6 {
		t.Errorf("%d queues and tables, want the state table and 5 queues", retained)
	}
}

// TestForwardingEnrichRole: the member-account role is read-only, grants exactly what the
// enricher calls, trusts only DetectorRoleArn, and is created only in us-east-1 (a StackSet
// deploys the template in every region, and IAM is global).
func TestForwardingEnrichRole(t *testing.T) {
	tpl := parseCFN(t, filepath.Join(deployDir(t), "org-forwarding.yaml"))
	role, ok := tpl.Resources["EnrichRole"]
	if !ok || role.Type != "AWS::IAM::Role" || role.Condition != "CreateEnrichRole" {
		t.Fatalf("EnrichRole %+v", role)
	}
	trust, _ := json.Marshal(role.Properties["AssumeRolePolicyDocument"])
	if string(trust) != `{"Statement":[{"Action":"sts:AssumeRole","Effect":"Allow","Principal":{"AWS":{"Ref":"DetectorRoleArn"}}}],"Version":"2012-10-17"}` {
		t.Errorf("trust policy %s, want the detector role only", trust)
	}
	policy, _ := json.Marshal(role.Properties["Policies"])
	var actions []string
	for _, m := range regexp.MustCompile(`"([a-z0-9]+:[A-Za-z*]+)"`).FindAllStringSubmatch(string(policy), -1) {
		actions = append(actions, m[1])
	}
	var want []string
	api := reflect.TypeFor[enrich.IAMAPI]()
	for i := range api.NumMethod() {
		want = append(want, "iam:"+api.Method(i).Name)
	}
	slices.Sort(actions)
	slices.Sort(want)
	if !slices.Equal(actions, want) {
		t.Errorf("enrichment role actions %v\nwant the enricher's IAM calls %v", actions, want)
	}
	cond, _ := json.Marshal(tpl.Resources["EnrichRole"].Condition)
	if string(cond) != `"CreateEnrichRole"` {
		t.Errorf("condition %s", cond)
	}
	// The detector may assume the role by name in any account, and only when it is named.
	det := parseCFN(t, filepath.Join(deployDir(t), "template.yaml"))
	stmts, _ := json.Marshal(det.Resources["DetectorRole"].Properties["Policies"])
	if !strings.Contains(string(stmts), `{"Fn::If":["HasEnrichRole",{"Action":"sts:AssumeRole","Effect":"Allow","Resource":{"Fn::Sub":"arn:${AWS::Partition}:iam::*:role/${EnrichRoleName}"},"Sid":"MemberAccountEnrichment"}`) {
		t.Errorf("detector role: no conditional sts:AssumeRole on the enrichment role:\n%s", stmts)
	}
}
