package sink

import (
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/trailhound/trailhound/internal/alert"
)

// hostile is an alert whose event fields carry HTML and Markdown, as anyone who can make an
// API call can put them there.
func hostile() *alert.Alert {
	al := testAlert(strings.Repeat("f", 32))
	al.Summary = `alice<script>alert(1)</script> set a key of bob to Active.`
	al.Event.UserAgent = `<img src=x onerror=alert(1)>`
	al.Event.ErrorMessage = `[log in again](https://evil.example/login) ![t](http://evil.example/p.gif)`
	al.Event.ErrorCode = "AccessDenied"
	al.Target["user_name"] = `bob<b>`
	al.Context = map[string]any{"note": "see https://evil.example/x"}
	al.Remediation.Summary = "Deactivate the key of <i>bob</i>."
	return al
}

// TestMarkupNeutralisedInASFFAndSNS: no HTML tag, Markdown link or image, and no clickable
// URL from an event field reaches the ASFF Title/Description/Remediation text or the SNS
// subject and message; the detector's own links survive.
func TestMarkupNeutralisedInASFFAndSNS(t *testing.T) {
	a := hostile()
	f := findingOwner{Account: "111122223333", Region: "us-east-1"}.ASFF(a)
	texts := map[string]string{
		"asff title":       aws.ToString(f.Title),
		"asff description": aws.ToString(f.Description),
		"asff remediation": aws.ToString(f.Remediation.Recommendation.Text),
		"sns subject":      snsSubject(a),
		"sns message":      snsMessage(a),
	}
	for name, s := range texts {
		for _, bad := range []string{"<", ">", "](", "![", "https://evil", "http://evil"} {
			if strings.Contains(s, bad) {
				t.Errorf("%s carries %q: %s", name, bad, s)
			}
		}
	}
	if d := texts["asff description"]; !strings.Contains(d, "alice‹script›alert(1)‹/script›") {
		t.Errorf("asff description does not show the neutralised text readably: %s", d)
	}
	msg := texts["sns message"]
	for _, want := range []string{"‹img src=x onerror=alert(1)›", "hxxps://evil.example/login", a.Links.CloudTrailConsole} {
		if !strings.Contains(msg, want) {
			t.Errorf("sns message lacks %q:\n%s", want, msg)
		}
	}
	// The rule's command is unchanged.
	if !strings.Contains(msg, a.Remediation.Containment[0].CLI[0]) {
		t.Errorf("sns message changed the command:\n%s", msg)
	}
}
