package function

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/trailhound/trailhound/internal/engine"
	"github.com/trailhound/trailhound/internal/enrich"
	"github.com/trailhound/trailhound/internal/settings"
	"github.com/trailhound/trailhound/internal/setup"
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

// TestOperatorOptionsCreateInMoto creates the detector stack with the operator options on
// (member-account enrichment, the bundle key from SSM, no heartbeat) in moto's
// CloudFormation, then the forwarding stack in a member account with the enrichment role, and
// has the function's enricher assume that role by the name the detector was given.
func TestOperatorOptionsCreateInMoto(t *testing.T) {
	testutil.NeedTool(t, "aws")
	testutil.NeedTool(t, "python3")
	testutil.StartMoto(t)
	ctx := context.Background()
	awsCLI(t, "s3api", "create-bucket", "--bucket", "trailhound-artifacts")
	tpl, _ := samTranslate(t, "s3://trailhound-artifacts/detector/bootstrap.zip")
	empty := filepath.Join(t.TempDir(), "bootstrap.zip")
	if err := os.WriteFile(empty, []byte("PK\x05\x06"+strings.Repeat("\x00", 18)), 0o644); err != nil {
		t.Fatal(err)
	}
	awsCLI(t, "s3api", "put-object", "--bucket", "trailhound-artifacts", "--key", "detector/bootstrap.zip", "--body", empty)
	out := createStack(t, "trailhound", tpl, map[string]string{"EnrichRoleName": "trailhound-enrich",
		"RulesPublicKeyParameter": "/trailhound/rules-public-key", "HeartbeatHours": "0", "TriageMaxAgeSeconds": "0"})

	fn := awsCLI(t, "lambda", "get-function-configuration", "--function-name", "trailhound-detector")
	vars := fn["Environment"].(map[string]any)["Variables"].(map[string]any)
	if vars["ENRICH_ROLE_NAME"] != "trailhound-enrich" || vars["RULES_PUBLIC_KEY_PARAMETER"] != "/trailhound/rules-public-key" {
		t.Errorf("function environment %v", vars)
	}
	detectorRole := out["DetectorRoleArn"]
	roleName := detectorRole[strings.LastIndex(detectorRole, "/")+1:]
	// moto answers the inline policy as a Python literal in a string; compare a normal form.
	raw := awsCLI(t, "iam", "get-role-policy", "--role-name", roleName, "--policy-name", "detector")["PolicyDocument"]
	doc, _ := raw.(string)
	if doc == "" {
		b, _ := json.Marshal(raw)
		doc = string(b)
	}
	doc = strings.NewReplacer("'", `"`, ", ", ",", ": ", ":").Replace(doc)
	for _, want := range []string{
		`{"Action":"sts:AssumeRole","Effect":"Allow","Resource":"arn:aws:iam::*:role/trailhound-enrich","Sid":"MemberAccountEnrichment"}`,
		`{"Action":"ssm:GetParameter","Effect":"Allow","Resource":"arn:aws:ssm:us-east-1:123456789012:parameter/trailhound/rules-public-key","Sid":"RulesPublicKeyParameter"}`,
	} {
		if !strings.Contains(doc, want) {
			t.Errorf("detector role policy lacks %s:\n%s", want, doc)
		}
	}

	// The member account's forwarding stack, created with that account's credentials.
	const member = "222233334444"
	creds := awsCLI(t, "sts", "assume-role", "--role-arn", "arn:aws:iam::"+member+":role/OrganizationAccountAccessRole", "--role-session-name", "stackset")["Credentials"].(map[string]any)
	saved := map[string]string{}
	for k, v := range map[string]string{"AWS_ACCESS_KEY_ID": creds["AccessKeyId"].(string), "AWS_SECRET_ACCESS_KEY": creds["SecretAccessKey"].(string), "AWS_SESSION_TOKEN": creds["SessionToken"].(string)} {
		saved[k] = os.Getenv(k)
		t.Setenv(k, v)
	}
	if id := awsCLI(t, "sts", "get-caller-identity")["Account"]; id != member {
		t.Fatalf("member credentials belong to %v", id)
	}
	fwd := createStack(t, "trailhound-forwarding", filepath.Join(deployDir(t), "org-forwarding.yaml"), map[string]string{
		"CentralBusArn": "arn:aws:events:us-east-1:123456789012:event-bus/trailhound-central", "EnrichRoleName": "trailhound-enrich", "DetectorRoleArn": detectorRole})
	if fwd["EnrichRoleArn"] != "arn:aws:iam::"+member+":role/trailhound-enrich" {
		t.Errorf("forwarding outputs %v, want the enrichment role in the member account", fwd)
	}
	role := awsCLI(t, "iam", "get-role", "--role-name", "trailhound-enrich")["Role"].(map[string]any)
	trust, _ := json.Marshal(role["AssumeRolePolicyDocument"])
	if !strings.Contains(string(trust), `"Principal":{"AWS":"`+detectorRole+`"}`) {
		t.Errorf("enrichment role trust %s, want the detector role %s only", trust, detectorRole)
	}
	awsCLI(t, "iam", "create-user", "--user-name", "bob")
	key := awsCLI(t, "iam", "create-access-key", "--user-name", "bob")["AccessKey"].(map[string]any)["AccessKeyId"].(string)
	for k, v := range saved {
		t.Setenv(k, v)
	}

	// The function's enricher, configured as the stack configures it, reaches bob there.
	cfg, err := lambdaAWSConfig()
	if err != nil {
		t.Fatal(err)
	}
	_, eng, err := setup.LoadBuiltin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	conf, err := settings.LoadEnrichment(func(k string) string { s, _ := vars[k].(string); return s }, true)
	if err != nil {
		t.Fatal(err)
	}
	e, err := newEnricher(cfg, eng, conf)
	if err != nil || e == nil {
		t.Fatalf("enricher: %v", err)
	}
	rec := fixture(t, "updateaccesskey-active-other-user.json", "member-1", key)
	rec["recipientAccountId"] = member
	in, err := engine.ParseInput([]byte(mustJSON(t, rec)))
	if err != nil {
		t.Fatal(err)
	}
	en, notes := e.Enrich(ctx, []string{"target_access_keys"}, engine.NewRuleInput(in))
	j, _ := ast.JSON(en.Value())
	got, _ := json.Marshal(j)
	if len(notes) > 0 || !strings.Contains(string(got), `"access_key_id":"`+key+`"`) || !strings.Contains(string(got), `"account":"`+member+`"`) {
		t.Errorf("member-account lookup through the stack's role: notes %v, enrichment %s", notes, got)
	}
}
