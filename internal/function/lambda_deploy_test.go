package function

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/trailhound/trailhound/internal/testutil"
)

// These tests check deploy/*.yaml with the real tools: cfn-lint (which applies the SAM
// transform itself), samtranslator (cfn-lint's bundled copy, via deploy/sam-translate.py) and
// moto's CloudFormation, driven through the AWS CLI.

func deployDir(t testing.TB) string { return filepath.Join(testutil.ModuleRoot(t), "deploy") }

func TestDeployTemplatesPassCfnLint(t *testing.T) {
	lint := testutil.NeedTool(t, "cfn-lint")
	dir := deployDir(t)
	templates := []string{filepath.Join(dir, "template.yaml"), filepath.Join(dir, "org-forwarding.yaml")}
	if out, err := exec.Command(lint, templates...).CombinedOutput(); err != nil {
		t.Fatalf("cfn-lint: %v\n%s", err, out)
	}
	// The lint is real: a runtime Lambda no longer offers, in the SAM function, is caught.
	src, err := os.ReadFile(templates[0])
	if err != nil {
		t.Fatal(err)
	}
	bad := filepath.Join(t.TempDir(), "template.yaml")
	if err := os.WriteFile(bad, bytes.Replace(src, []byte("Runtime: provided.al2023"), []byte("Runtime: go1.x"), 1), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(lint, bad).CombinedOutput(); err == nil || !strings.Contains(string(out), "go1.x") {
		t.Fatalf("cfn-lint accepted a deprecated runtime (err %v):\n%s", err, out)
	}
}

// awsCLI runs the AWS CLI (pointed at moto by the test environment) and decodes its JSON.
func awsCLI(t testing.TB, args ...string) map[string]any {
	t.Helper()
	// The endpoint is passed explicitly: the CLI's SQS commands otherwise follow the queue URL's
	// host.
	cmd := exec.Command("aws", append(args, "--output", "json", "--endpoint-url", os.Getenv("AWS_ENDPOINT_URL"))...)
	out, err := cmd.Output()
	if err != nil {
		var stderr []byte
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = ee.Stderr
		}
		t.Fatalf("aws %s: %v\n%s", strings.Join(args, " "), err, stderr)
	}
	v := map[string]any{}
	if len(bytes.TrimSpace(out)) > 0 {
		if err := json.Unmarshal(out, &v); err != nil {
			t.Fatalf("aws %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	return v
}

// cfnResource is a resource of the transformed template.
type cfnResource struct {
	Type       string
	Condition  string
	Properties map[string]any
}

// samTranslate transforms deploy/template.yaml into CloudFormation JSON with the function code
// at codeURI, and returns the file and its resources by logical id.
func samTranslate(t testing.TB, codeURI string) (string, map[string]cfnResource) {
	t.Helper()
	out, err := exec.Command("python3", filepath.Join(deployDir(t), "sam-translate.py"), filepath.Join(deployDir(t), "template.yaml"), "--code-uri", codeURI).Output()
	if err != nil {
		var stderr []byte
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = ee.Stderr
		}
		t.Fatalf("sam-translate.py: %v\n%s", err, stderr)
	}
	var tpl struct{ Resources map[string]cfnResource }
	if err := json.Unmarshal(out, &tpl); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "template.json")
	if err := os.WriteFile(path, out, 0o644); err != nil {
		t.Fatal(err)
	}
	return path, tpl.Resources
}

// createStack creates a stack in moto and waits for CREATE_COMPLETE; it returns the outputs.
func createStack(t testing.TB, name, templatePath string, params map[string]string) map[string]string {
	t.Helper()
	args := []string{"cloudformation", "create-stack", "--stack-name", name, "--template-body", "file://" + templatePath,
		"--capabilities", "CAPABILITY_IAM"}
	if len(params) > 0 {
		args = append(args, "--parameters")
		for k, v := range params {
			args = append(args, "ParameterKey="+k+",ParameterValue="+v)
		}
	}
	awsCLI(t, args...)
	// Waits only as long as moto takes; generous so that a busy machine is not a failure.
	deadline := time.Now().Add(5 * time.Minute)
	for {
		st := awsCLI(t, "cloudformation", "describe-stacks", "--stack-name", name)["Stacks"].([]any)[0].(map[string]any)
		switch status, _ := st["StackStatus"].(string); {
		case status == "CREATE_COMPLETE":
			outputs := map[string]string{}
			for _, o := range asList(st["Outputs"]) {
				outputs[o["OutputKey"].(string)] = o["OutputValue"].(string)
			}
			return outputs
		case strings.HasSuffix(status, "FAILED") || strings.Contains(status, "ROLLBACK"):
			events := awsCLI(t, "cloudformation", "describe-stack-events", "--stack-name", name)
			t.Fatalf("stack %s: %s %v\n%v", name, status, st["StackStatusReason"], events)
		case time.Now().After(deadline):
			t.Fatalf("stack %s still %s after 5 minutes", name, status)
		}
		time.Sleep(500 * time.Millisecond)
	}
}

func asList(v any) []map[string]any {
	var out []map[string]any
	for _, x := range v.([]any) {
		out = append(out, x.(map[string]any))
	}
	return out
}

// motoSkips are the resource types moto's CloudFormation does not create (it records them
// without a logical id or physical resource). The template's other resources are created for
// real and inspected below; these four are covered by cfn-lint only.
var motoSkips = []string{"AWS::CloudWatch::Alarm", "AWS::Events::EventBusPolicy", "AWS::Lambda::EventInvokeConfig", "AWS::SQS::QueuePolicy"}

func TestDeployTemplateCreatesInMoto(t *testing.T) {
	testutil.NeedTool(t, "aws")
	testutil.NeedTool(t, "python3")
	testutil.StartMoto(t)
	// The function code, as `sam package` uploads it.
	var zipped bytes.Buffer
	zw := zip.NewWriter(&zipped)
	w, _ := zw.Create("bootstrap")
	_, _ = w.Write([]byte("placeholder: the code is not run by this test"))
	_ = zw.Close()
	zipPath := filepath.Join(t.TempDir(), "bootstrap.zip")
	if err := os.WriteFile(zipPath, zipped.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	awsCLI(t, "s3api", "create-bucket", "--bucket", "trailhound-artifacts")
	awsCLI(t, "s3api", "put-object", "--bucket", "trailhound-artifacts", "--key", "detector/bootstrap.zip", "--body", zipPath)
	tpl, resources := samTranslate(t, "s3://trailhound-artifacts/detector/bootstrap.zip")

	// What moto does not emulate is checked in the transformed template: the function's
	// architecture (moto reports x86_64 whatever it is given) and the table's TTL (moto's
	// CloudFormation ignores TimeToLiveSpecification).
	if arch := resources["DetectorFunction"].Properties["Architectures"]; !slices.Equal(testutil.Strings(arch), []string{"arm64"}) {
		t.Errorf("function architectures %v, want [arm64]", arch)
	}
	ttlSpec, _ := json.Marshal(resources["StateTable"].Properties["TimeToLiveSpecification"])
	if string(ttlSpec) != `{"AttributeName":"expires_at","Enabled":true}` {
		t.Errorf("table TTL specification %s", ttlSpec)
	}

	// Every option on: queue ingest, SNS topic, organization bus. Off: direct ingest, an alert
	// bus, an alarm topic.
	out := createStack(t, "th", tpl, map[string]string{"IngestMode": "queue", "AlertEmail": "soc@example.com", "OrganizationId": "o-abcdefghij"})
	falseConditions := []string{"UseDirect", "HasAlertBus", "HasAlarmTopic"}

	// Created resources versus the template: all but moto's documented gaps.
	// moto lists both the resources it does not emulate and those whose condition is false as
	// entries without a logical id.
	var want, skipped []string
	for id, r := range resources {
		if slices.Contains(falseConditions, r.Condition) {
			skipped = append(skipped, id)
			continue
		}
		if slices.Contains(motoSkips, r.Type) {
			skipped = append(skipped, id)
		} else {
			want = append(want, id)
		}
	}
	var created []string
	blank := 0
	for _, r := range asList(awsCLI(t, "cloudformation", "list-stack-resources", "--stack-name", "th")["StackResourceSummaries"]) {
		if r["ResourceStatus"] != "CREATE_COMPLETE" {
			t.Errorf("resource %v: %v", r["LogicalResourceId"], r["ResourceStatus"])
		}
		if id, _ := r["LogicalResourceId"].(string); id != "" {
			created = append(created, id)
		} else {
			blank++
		}
	}
	slices.Sort(want)
	slices.Sort(created)
	if !slices.Equal(created, want) || blank != len(skipped) {
		t.Errorf("created %v (+%d unnamed)\nwant    %v (+%d unemulated or conditioned out: %v)", created, blank, want, len(skipped), skipped)
	}

	// The function as configured.
	fn := awsCLI(t, "lambda", "get-function-configuration", "--function-name", "th-detector")
	vars := fn["Environment"].(map[string]any)["Variables"].(map[string]any)
	if fn["Runtime"] != "provided.al2023" || fn["Handler"] != "bootstrap" || fn["Timeout"].(float64) != 60 {
		t.Errorf("function runtime %v handler %v timeout %v", fn["Runtime"], fn["Handler"], fn["Timeout"])
	}
	if vars["ALERT_QUEUE_URL"] != out["TriageQueueUrl"] || vars["STATE_TABLE"] != out["StateTableName"] ||
		vars["SECURITY_HUB"] != "true" || vars["ALERT_TOPIC_ARN"] != out["AlertTopicArn"] {
		t.Errorf("function environment %v does not name the stack's resources %v", vars, out)
	}
	// The ingest mapping reports batch item failures.
	esm := asList(awsCLI(t, "lambda", "list-event-source-mappings", "--function-name", "th-detector")["EventSourceMappings"])
	if len(esm) != 1 || !slices.Contains(testutil.Strings(esm[0]["FunctionResponseTypes"]), "ReportBatchItemFailures") {
		t.Errorf("event source mappings %v, want one with ReportBatchItemFailures", esm)
	}
	// The idempotency table is keyed by the alert id.
	table := awsCLI(t, "dynamodb", "describe-table", "--table-name", out["StateTableName"])["Table"].(map[string]any)
	if key, _ := json.Marshal(table["KeySchema"]); string(key) != `[{"AttributeName":"id","KeyType":"HASH"}]` {
		t.Errorf("table key schema %s", key)
	}
	// The triage queue redrives to its DLQ.
	attrs := awsCLI(t, "sqs", "get-queue-attributes", "--queue-url", out["TriageQueueUrl"], "--attribute-names", "RedrivePolicy")["Attributes"].(map[string]any)
	if !strings.Contains(attrs["RedrivePolicy"].(string), "TriageDeadLetterQueue") {
		t.Errorf("triage queue redrive policy %v", attrs)
	}
	// The role grants no IAM write.
	for _, r := range asList(awsCLI(t, "iam", "list-roles")["Roles"]) {
		name := r["RoleName"].(string)
		for _, p := range testutil.Strings(awsCLI(t, "iam", "list-role-policies", "--role-name", name)["PolicyNames"]) {
			doc, _ := json.Marshal(awsCLI(t, "iam", "get-role-policy", "--role-name", name, "--policy-name", p)["PolicyDocument"])
			for _, bad := range []string{`"iam:*"`, `"iam:Create`, `"iam:Put`, `"iam:Delete`, `"iam:Update`, `"iam:Attach`, `"*:*"`} {
				if strings.Contains(string(doc), bad) {
					t.Errorf("role %s policy %s grants %s", name, p, bad)
				}
			}
		}
	}

	// Routing with moto's real pattern matching: a CloudTrail event the rules declare reaches
	// the ingest queue from the default bus and from the central bus; one they do not is not
	// routed.
	putCloudTrail := func(bus, eventName string) {
		detail, _ := json.Marshal(map[string]any{"eventSource": "iam.amazonaws.com", "eventName": eventName, "eventID": eventName + "-" + bus})
		entry, _ := json.Marshal([]map[string]any{{"Source": "aws.iam", "DetailType": "AWS API Call via CloudTrail", "Detail": string(detail), "EventBusName": bus}})
		if r := awsCLI(t, "events", "put-events", "--entries", string(entry)); r["FailedEntryCount"].(float64) != 0 {
			t.Fatalf("put-events: %v", r)
		}
	}
	putCloudTrail("default", "UpdateAccessKey")
	putCloudTrail("default", "GetUser")
	putCloudTrail("th-central", "UpdateAccessKey")
	var routed []string
	for {
		r := awsCLI(t, "sqs", "receive-message", "--queue-url", out["IngestQueueUrl"], "--max-number-of-messages", "10", "--wait-time-seconds", "1")
		msgs, _ := r["Messages"].([]any)
		if len(msgs) == 0 {
			break
		}
		for _, m := range asList(msgs) {
			var ev struct {
				Detail struct{ EventID string } `json:"detail"`
			}
			_ = json.Unmarshal([]byte(m["Body"].(string)), &ev)
			routed = append(routed, ev.Detail.EventID)
			awsCLI(t, "sqs", "delete-message", "--queue-url", out["IngestQueueUrl"], "--receipt-handle", m["ReceiptHandle"].(string))
		}
	}
	slices.Sort(routed)
	if want := []string{"UpdateAccessKey-default", "UpdateAccessKey-th-central"}; !slices.Equal(routed, want) {
		t.Errorf("routed to the ingest queue: %v, want %v", routed, want)
	}

	// The default options (direct ingest, no topic, no organization) create too.
	createStack(t, "th-direct", tpl, nil)
	targets := asList(awsCLI(t, "events", "list-targets-by-rule", "--rule", physicalID(t, "th-direct", "DetectorRule"))["Targets"])
	if len(targets) != 1 || !strings.HasSuffix(targets[0]["Arn"].(string), ":function:th-direct-detector") {
		t.Fatalf("direct-mode targets %v", targets)
	}
	retry := targets[0]["RetryPolicy"].(map[string]any)
	if retry["MaximumRetryAttempts"].(float64) != 185 || retry["MaximumEventAgeInSeconds"].(float64) != 86400 || targets[0]["DeadLetterConfig"] == nil {
		t.Errorf("direct-mode target retry policy %v, DLQ %v", retry, targets[0]["DeadLetterConfig"])
	}

	// A member account's forwarding stack, pointed at the central bus.
	fwd := createStack(t, "th-forward", filepath.Join(deployDir(t), "org-forwarding.yaml"), map[string]string{"CentralBusArn": out["CentralBusArn"]})
	ft := asList(awsCLI(t, "events", "list-targets-by-rule", "--rule", physicalID(t, "th-forward", "ForwardRule"))["Targets"])
	if len(ft) != 1 || ft[0]["Arn"] != out["CentralBusArn"] || ft[0]["RoleArn"] == nil || ft[0]["DeadLetterConfig"] == nil {
		t.Errorf("forwarding targets %v (outputs %v)", ft, fwd)
	}
}

// physicalID looks a resource up in list-stack-resources (moto's describe-stack-resource
// answers 500 for some resource types).
func physicalID(t testing.TB, stack, logical string) string {
	t.Helper()
	for _, r := range asList(awsCLI(t, "cloudformation", "list-stack-resources", "--stack-name", stack)["StackResourceSummaries"]) {
		if r["LogicalResourceId"] == logical {
			return r["PhysicalResourceId"].(string)
		}
	}
	t.Fatalf("stack %s has no resource %s", stack, logical)
	return ""
}
