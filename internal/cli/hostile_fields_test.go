package cli

import (
	"strings"
	"testing"

	"github.com/trailhound/trailhound/internal/testutil"
)

// reactivationWithUA is alice reactivating bob's key (TH-IAM-001), with userAgent set to ua (raw
// JSON).
func reactivationWithUA(ua string) string {
	return `{"eventVersion":"1.08","userIdentity":{"type":"IAMUser","principalId":"AIDAEXAMPLEALICE00001","arn":"arn:aws:iam::111122223333:user/alice","accountId":"111122223333","accessKeyId":"AKIAEXAMPLEALICE0001","userName":"alice"},` +
		`"eventTime":"2024-01-02T03:04:05Z","eventSource":"iam.amazonaws.com","eventName":"UpdateAccessKey","awsRegion":"us-east-1","sourceIPAddress":"198.51.100.1","userAgent":` + ua + `,` +
		`"requestParameters":{"userName":"bob","accessKeyId":"AKIAEXAMPLEBOB000001","status":"Active"},"responseElements":null,` +
		`"eventID":"aaaaaaaa-0000-4000-8000-000000000001","readOnly":false,"eventType":"AwsApiCall","managementEvent":true,"recipientAccountId":"111122223333"}` + "\n"
}

// TestWrongTypedFieldKeepsTheAlert: a userAgent AWS would never send (a number, an object)
// does not turn the record into a rule_error: the alert is raised, shows the value as JSON
// text and says the field had the wrong type.
func TestWrongTypedFieldKeepsTheAlert(t *testing.T) {
	t.Setenv("TEAMS_CONFIG", "")
	for _, ua := range []string{`5`, `{"a":[1,2]}`, `true`} {
		r := runCLI(t, reactivationWithUA(ua), "scan", "--format", "json", "-")
		if r.code != ExitOK || strings.Contains(r.stderr, "rule_error=1") {
			t.Fatalf("userAgent %s: exit %d\n%s", ua, r.code, r.stderr)
		}
		as := alertsOf(t, r.stdout)
		if len(as) == 0 {
			t.Fatalf("userAgent %s: no alert\n%s", ua, r.stderr)
		}
		a := as[0]
		notes, _ := a.Context["notes"].([]any)
		if a.Event.UserAgent != ua || !strings.Contains(strings.Join(testutil.Strings(any(notes)), "\n"), "userAgent is not a string") {
			t.Errorf("userAgent %s: event.user_agent %q, notes %v", ua, a.Event.UserAgent, notes)
		}
	}
}

// TestHugeFieldIsCappedInTheAlert: a 5 MB userAgent does not become a 10 MB alert: every
// field is capped, the cut is marked in the value and listed in context.truncated_fields.
func TestHugeFieldIsCappedInTheAlert(t *testing.T) {
	t.Setenv("TEAMS_CONFIG", "")
	huge := strings.Repeat("Mozilla/5.0 ", 5<<20/12)
	r := runCLI(t, reactivationWithUA(`"`+huge+`"`), "scan", "--format", "json", "-")
	if r.code != ExitOK {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	for _, line := range strings.Split(strings.TrimSpace(r.stdout), "\n") {
		if len(line) > 64<<10 {
			t.Errorf("an alert line is %d bytes for a %d-byte userAgent", len(line), len(huge))
		}
	}
	as := alertsOf(t, r.stdout)
	if len(as) == 0 {
		t.Fatal("no alert")
	}
	a := as[0]
	if !strings.HasPrefix(a.Event.UserAgent, "Mozilla/5.0 ") || !strings.Contains(a.Event.UserAgent, "…[truncated ") || len(a.Event.UserAgent) > 4096 {
		t.Errorf("event.user_agent is %d bytes, ends %q; want it cut to 4096 and marked", len(a.Event.UserAgent), a.Event.UserAgent[max(0, len(a.Event.UserAgent)-40):])
	}
	cut, _ := a.Context["truncated_fields"].([]any)
	if !strings.Contains(strings.Join(testutil.Strings(any(cut)), ","), "event.user_agent") {
		t.Errorf("context.truncated_fields = %v, want event.user_agent listed", a.Context["truncated_fields"])
	}
}
