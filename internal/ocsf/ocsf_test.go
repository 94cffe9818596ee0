package ocsf

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/trailhound/trailhound/internal/alert"
	"github.com/trailhound/trailhound/internal/ocsf/ocsfschema"
)

func testAlert() *alert.Alert {
	return &alert.Alert{
		SchemaVersion: alert.SchemaVersion,
		ID:            "0123456789abcdef0123456789abcdef",
		CreatedAt:     time.Date(2024, 5, 1, 12, 0, 1, 0, time.UTC),
		Severity:      "HIGH",
		Title:         "Access key reactivated for another user",
		Summary:       "alice set access key AKIAEXAMPLEBOB000001 of bob to Active.",
		Rule: alert.Rule{ID: "TH-IAM-001", Title: "Access key reactivated", Version: "1", Team: "builtin", Severity: "MEDIUM",
			Attack: []string{"TA0003:T1098.001", "TA0005:T1562"}, Compliance: map[string][]string{"cis-aws-foundations-v3.0.0": {"1.14"}},
			References: []string{"https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_access-keys.html", "not a url"}},
		Event: alert.Event{ID: "11111111-2222-3333-4444-555555555555", Name: "UpdateAccessKey", Source: "iam.amazonaws.com",
			Time: "2024-05-01T12:00:00Z", Account: "111122223333", Region: "us-east-1", SourceIP: "203.0.113.7",
			UserAgent: "aws-cli/2.15.0", ErrorCode: "AccessDenied", ErrorMessage: "User: alice is not authorized"},
		Actor: alert.Actor{Type: "AssumedRole", ARN: "arn:aws:sts::111122223333:assumed-role/admin/alice", Name: "alice",
			Account: "111122223333", AccessKeyID: "ASIAEXAMPLE", SessionIssuer: "arn:aws:iam::111122223333:role/admin", MFAAuthenticated: true},
		Target:  map[string]string{"user_name": "bob", "access_key_id": "AKIAEXAMPLEBOB000001"},
		Context: map[string]any{"notes": []any{"enrichment unavailable: throttled"}},
		Remediation: alert.Remediation{
			Summary:     "Deactivate the key again unless bob's owner confirms the change.",
			Containment: []alert.Step{{Title: "Deactivate the key", CLI: []string{"aws iam update-access-key --user-name bob --access-key-id AKIAEXAMPLEBOB000001 --status Inactive"}}},
		},
		Runbook: []string{"Ask bob whether the key is in use."},
		Dedup:   alert.Dedup{Key: "k", Count: 1, FirstSeen: "2024-05-01T12:00:00Z", LastSeen: "2024-05-01T12:00:00Z"},
		Links:   alert.Links{CloudTrailConsole: "https://us-east-1.console.aws.amazon.com/cloudtrail/home?region=us-east-1#/events/11111111-2222-3333-4444-555555555555"},
	}
}

func TestRenderMapsTheAlert(t *testing.T) {
	f := Render(testAlert())
	checks := []struct {
		name      string
		got, want any
	}{
		{"class_uid", f.ClassUID, 2004},
		{"type_uid", f.TypeUID, int64(200401)},
		{"severity_id", f.SeverityID, 4},
		{"status_id", f.StatusID, 1},
		{"time", f.Time, time.Date(2024, 5, 1, 12, 0, 1, 0, time.UTC).UnixMilli()},
		{"start_time", f.StartTime, time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC).UnixMilli()},
		{"metadata.version", f.Metadata.Version, "1.6.0"},
		{"metadata.uid", f.Metadata.UID, "0123456789abcdef0123456789abcdef"},
		{"finding_info.uid", f.FindingInfo.UID, "0123456789abcdef0123456789abcdef"},
		{"analytic", f.FindingInfo.Analytic.UID, "TH-IAM-001"},
		{"types", strings.Join(f.FindingInfo.Types, ","), "TTPs/Persistence/T1098.001,TTPs/Defense Evasion/T1562"},
		{"tactic", f.FindingInfo.Attacks[0].Tactic.Name, "Persistence"},
		{"technique", f.FindingInfo.Attacks[0].Technique.UID, "T1098"},
		{"sub_technique", f.FindingInfo.Attacks[0].SubTechnique.UID, "T1098.001"},
		{"no sub_technique", f.FindingInfo.Attacks[1].SubTechnique == nil, true},
		{"actor", f.Actor.User.UID, "arn:aws:sts::111122223333:assumed-role/admin/alice"},
		{"session issuer", f.Actor.Session.Issuer, "arn:aws:iam::111122223333:role/admin"},
		{"mfa", f.Actor.Session.IsMFA, true},
		{"api", f.API.Operation, "UpdateAccessKey"},
		{"api error", f.API.Response.Error, "AccessDenied"},
		{"cloud account", f.Cloud.Account.UID, "111122223333"},
		{"remediation", f.Remediation.Desc, "Deactivate the key again unless bob's owner confirms the change. Contain: (1) Deactivate the key"},
		{"references drop non-URLs", len(f.Remediation.References), 1},
		{"evidence ip", f.Evidences[0].SrcEndpoint.IP, "203.0.113.7"},
		{"unmapped containment", f.Unmapped.Trailhound.Containment[0].CLI[0], "aws iam update-access-key --user-name bob --access-key-id AKIAEXAMPLEBOB000001 --status Inactive"},
		{"unmapped rule severity", f.Unmapped.Trailhound.RuleSeverity, "MEDIUM"},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
}

// TestRenderedVariantsValidate renders alerts with the field shapes real events give (a
// service calling on a user's behalf, IPv6, root, unparseable times, no ATT&CK ids, a dedup
// update, hostile text) and validates each against the compiled Detection Finding class.
func TestRenderedVariantsValidate(t *testing.T) {
	s, class := ocsfschema.DetectionFinding(t)
	variants := map[string]func(a *alert.Alert){
		"as built": func(*alert.Alert) {},
		"service caller": func(a *alert.Alert) {
			a.Event.SourceIP = "iam.amazonaws.com"
			a.Actor.InvokedBy = "cloudformation.amazonaws.com"
		},
		"ipv6": func(a *alert.Alert) { a.Event.SourceIP = "2001:db8::1" },
		"root": func(a *alert.Alert) {
			a.Actor = alert.Actor{Type: "Root", ARN: "arn:aws:iam::111122223333:root", Account: "111122223333"}
		},
		"unknown type":   func(a *alert.Alert) { a.Actor.Type = "SomethingNew" },
		"no actor":       func(a *alert.Alert) { a.Actor = alert.Actor{} },
		"bad times":      func(a *alert.Alert) { a.Event.Time = "yesterday"; a.Dedup.FirstSeen, a.Dedup.LastSeen = "", "" },
		"no attack":      func(a *alert.Alert) { a.Rule.Attack = []string{"TA9:bogus", ""} },
		"dedup update":   func(a *alert.Alert) { a.Dedup.Count = 7; a.Dedup.LastSeen = "2024-05-01T13:00:00Z" },
		"informational":  func(a *alert.Alert) { a.Severity = "INFORMATIONAL" },
		"unknown sev":    func(a *alert.Alert) { a.Severity = "SEVERE" },
		"no remediation": func(a *alert.Alert) { a.Remediation = alert.Remediation{} },
		"no event name":  func(a *alert.Alert) { a.Event.Name, a.Event.Source = "", "" },
		"no account":     func(a *alert.Alert) { a.Event.Account = ""; a.Actor.Account = "" },
		"hostile strings": func(a *alert.Alert) {
			a.Title = "<!channel> \x00\u2028"
			a.Event.UserAgent = "\"}\n{"
			a.Target["user_name"] = "-rf"
		},
		"console link": func(a *alert.Alert) { a.Links.CloudTrailConsole = "javascript:alert(1)" },
	}
	for name, mutate := range variants {
		t.Run(name, func(t *testing.T) {
			a := testAlert()
			mutate(a)
			var buf bytes.Buffer
			if err := WriteJSON(&buf, a); err != nil {
				t.Fatal(err)
			}
			if bytes.Count(buf.Bytes(), []byte("\n")) != 1 {
				t.Fatalf("not one line: %q", buf.String())
			}
			for _, err := range class.Validate(s, buf.Bytes()) {
				t.Errorf("%v\n%s", err, buf.Bytes())
			}
			var back map[string]any
			if err := json.Unmarshal(buf.Bytes(), &back); err != nil {
				t.Fatal(err)
			}
			if name == "dedup update" && back["activity_id"] != float64(ActivityUpdate) {
				t.Errorf("dedup update: activity_id %v", back["activity_id"])
			}
			if name == "unknown sev" && (back["severity_id"] != float64(99) || back["severity"] != "SEVERE") {
				t.Errorf("unknown severity: %v %v", back["severity_id"], back["severity"])
			}
		})
	}
}

// FuzzRender renders alerts with arbitrary event values; every finding must validate.
func FuzzRender(f *testing.F) {
	f.Add("203.0.113.7", "2024-05-01T12:00:00Z", "TA0003:T1098.001", "IAMUser", "HIGH", "https://example.com/x")
	f.Add("iam.amazonaws.com", "2024-05-01 12:00:00", "TA0003", "Root", "LOW", "")
	f.Add("::1", "9999-99-99", "T1098.001", "", "", "ftp://x")
	s, class := ocsfschema.DetectionFinding(f)
	f.Fuzz(func(t *testing.T, ip, when, attack, actorType, sev, link string) {
		a := testAlert()
		a.Event.SourceIP, a.Event.Time, a.Dedup.FirstSeen = ip, when, when
		a.Rule.Attack = []string{attack}
		a.Actor.Type, a.Severity, a.Links.CloudTrailConsole = actorType, sev, link
		a.Remediation.References = []string{link}
		b, err := JSON(a)
		if err != nil {
			t.Fatal(err)
		}
		for _, err := range class.Validate(s, b) {
			t.Errorf("%v\n%s", err, b)
		}
	})
}
