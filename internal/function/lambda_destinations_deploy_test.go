package function

import (
	"encoding/json"
	"os/exec"
	"slices"
	"strings"
	"testing"

	"github.com/trailhound/trailhound/internal/testutil"
)

// TestDeployTemplateWiresDestinations creates the stack in moto with every third-party
// destination and the Firehose stream on, and checks the function's environment and that its
// role may read exactly the named secrets and put records on exactly the named stream.
func TestDeployTemplateWiresDestinations(t *testing.T) {
	testutil.NeedTool(t, "aws")
	testutil.NeedTool(t, "python3")
	testutil.StartMoto(t)
	awsCLI(t, "s3api", "create-bucket", "--bucket", "trailhound-artifacts")
	tpl, _ := samTranslate(t, "s3://trailhound-artifacts/detector/bootstrap.zip")
	const (
		pd      = "arn:aws:secretsmanager:us-east-1:123456789012:secret:trailhound/pagerduty-AbCdEf"
		slack   = "arn:aws:secretsmanager:us-east-1:123456789012:secret:trailhound/slack-GhIjKl"
		webhook = "arn:aws:secretsmanager:us-east-1:123456789012:secret:trailhound/webhook-MnOpQr"
		team1   = "arn:aws:secretsmanager:us-east-1:123456789012:secret:payments/pagerduty-StUvWx"
	)
	createStack(t, "thd", tpl, map[string]string{
		"PagerDutySecretArn": pd, "PagerDutyMinSeverity": "CRITICAL",
		"SlackSecretArn": slack, "WebhookUrl": "https://soar.example.com/hooks/trailhound", "WebhookSecretArn": webhook,
		"TeamSecretArns": team1, "FirehoseStreamName": "trailhound-findings",
	})
	fn := awsCLI(t, "lambda", "get-function-configuration", "--function-name", "thd-detector")
	vars := fn["Environment"].(map[string]any)["Variables"].(map[string]any)
	for k, want := range map[string]string{
		"PAGERDUTY_SECRET": pd, "PAGERDUTY_MIN_SEVERITY": "CRITICAL", "SLACK_SECRET": slack, "SLACK_MIN_SEVERITY": "INFORMATIONAL",
		"WEBHOOK_URL": "https://soar.example.com/hooks/trailhound", "WEBHOOK_SECRET": webhook, "ALERT_FIREHOSE_STREAM": "trailhound-findings",
	} {
		if vars[k] != want {
			t.Errorf("%s = %v, want %s", k, vars[k], want)
		}
	}
	var secrets, streams []string
	for _, r := range asList(awsCLI(t, "iam", "list-roles")["Roles"]) {
		name := r["RoleName"].(string)
		for _, p := range testutil.Strings(awsCLI(t, "iam", "list-role-policies", "--role-name", name)["PolicyNames"]) {
			doc := awsCLI(t, "iam", "get-role-policy", "--role-name", name, "--policy-name", p)["PolicyDocument"]
			raw, _ := json.Marshal(doc)
			if str, ok := doc.(string); ok { // moto answers the document as a Python literal
				cmd := exec.Command("python3", "-c", "import ast, json, sys; print(json.dumps(ast.literal_eval(sys.stdin.read())))")
				cmd.Stdin = strings.NewReader(str)
				out, err := cmd.Output()
				if err != nil {
					t.Fatalf("policy document %q: %v", str, err)
				}
				raw = out
			}
			var pol struct {
				Statement []struct {
					Action   any
					Resource any
				}
			}
			if err := json.Unmarshal(raw, &pol); err != nil {
				t.Fatalf("%v: %.3000s", err, raw)
			}
			for _, st := range pol.Statement {
				actions := anyStrings(st.Action)
				if slices.Contains(actions, "secretsmanager:GetSecretValue") {
					secrets = append(secrets, anyStrings(st.Resource)...)
				}
				if slices.Contains(actions, "firehose:PutRecordBatch") {
					streams = append(streams, anyStrings(st.Resource)...)
				}
				for _, a := range actions {
					if strings.HasPrefix(a, "secretsmanager:") && a != "secretsmanager:GetSecretValue" || a == "secretsmanager:*" || a == "firehose:*" {
						t.Errorf("role grants %s", a)
					}
				}
			}
		}
	}
	slices.Sort(secrets)
	want := []string{pd, team1, slack, webhook}
	slices.Sort(want)
	if !slices.Equal(secrets, want) {
		t.Errorf("GetSecretValue on %v, want exactly %v", secrets, want)
	}
	if len(streams) != 1 || !strings.HasSuffix(streams[0], ":deliverystream/trailhound-findings") {
		t.Errorf("PutRecordBatch on %v", streams)
	}
}

func anyStrings(v any) []string {
	switch x := v.(type) {
	case string:
		return []string{x}
	case []any:
		var out []string
		for _, e := range x {
			if s, ok := e.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}
