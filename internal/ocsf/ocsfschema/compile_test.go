package ocsfschema

import (
	"encoding/json"
	"maps"
	"slices"
	"strings"
	"testing"
)

// validDoc is a minimal Detection Finding that meets the class's requirements.
const validDoc = `{
 "activity_id": 1, "activity_name": "Create", "category_uid": 2, "category_name": "Findings",
 "class_uid": 2004, "class_name": "Detection Finding", "type_uid": 200401,
 "type_name": "Detection Finding: Create", "severity_id": 4, "severity": "High",
 "status_id": 1, "status": "New", "time": 1714564801000,
 "metadata": {"product": {"name": "trailhound"}, "version": "1.6.0", "profiles": ["cloud", "host"]},
 "finding_info": {"uid": "a1", "analytic": {"uid": "TH-IAM-001", "type_id": 1, "type": "Rule"}},
 "cloud": {"provider": "AWS"},
 "actor": {"user": {"uid": "arn:aws:iam::111122223333:user/alice", "type_id": 1, "type": "User"}}
}`

func TestCompiledDetectionFinding(t *testing.T) {
	_, c := DetectionFinding(t)
	if c.UID != 2004 || c.CategoryUID != 2 || c.Caption != "Detection Finding" || c.CategoryName != "Findings" {
		t.Fatalf("class %d category %d %q %q", c.UID, c.CategoryUID, c.Caption, c.CategoryName)
	}
	acts := slices.Sorted(maps.Keys(c.Activities))
	if !slices.Equal(acts, []int{0, 1, 2, 3, 99}) {
		t.Errorf("activities %v, want base_event's 0 and 99 with finding's 1-3", acts)
	}
	if got := c.Attrs["status_id"].Enum["1"]; got != "New" {
		t.Errorf("status_id 1 = %q, want finding's New over the dictionary's Success", got)
	}
	for k, req := range map[string]string{"finding_info": "required", "metadata": "required", "time": "required",
		"severity_id": "required", "cloud": "required", "confidence_id": "recommended"} {
		if a := c.Attrs[k]; a == nil || a.Requirement != req {
			t.Errorf("%s: %+v, want %s", k, a, req)
		}
	}
	if p := c.Attrs["cloud"].Profile; p != "cloud" {
		t.Errorf("cloud's profile %q", p)
	}
	if p := c.Attrs["is_alert"].Profile; p != "" {
		t.Errorf("is_alert's profile %q; detection_finding sets it to null", p)
	}
}

// TestValidateCatchesViolations proves each check can fail: one mutation of a valid document
// per rule, each with the message it must produce.
func TestValidateCatchesViolations(t *testing.T) {
	s, c := DetectionFinding(t)
	if errs := c.Validate(s, []byte(validDoc)); len(errs) != 0 {
		t.Fatalf("valid document rejected: %v", errs)
	}
	cases := []struct {
		name   string
		mutate func(m map[string]any)
		want   string
	}{
		{"missing required", func(m map[string]any) { delete(m, "finding_info") }, "finding_info: required"},
		{"missing nested required", func(m map[string]any) { delete(obj(m, "finding_info"), "uid") }, "finding_info.uid: required"},
		{"bad enum", func(m map[string]any) { m["severity_id"] = 7 }, "severity_id: value 7 is not one of"},
		{"wrong sibling", func(m map[string]any) { m["severity"] = "Low" }, `severity: "Low" does not match severity_id 4`},
		{"other needs sibling", func(m map[string]any) { m["severity_id"] = 99; delete(m, "severity") }, "severity: severity_id is 99"},
		{"type_uid arithmetic", func(m map[string]any) { m["type_uid"] = 200402 }, "type_uid: 200402, want class_uid*100 + activity_id = 200401"},
		{"class_uid", func(m map[string]any) { m["class_uid"] = 2001; m["type_uid"] = 200101 }, "class_uid: 2001"},
		{"activity name", func(m map[string]any) { m["activity_name"] = "Update" }, "activity_name"},
		{"unknown attribute", func(m map[string]any) { m["analyst_notes"] = "x" }, "analyst_notes: not an attribute"},
		{"undeclared profile", func(m map[string]any) {
			obj(m, "metadata")["profiles"] = []any{"cloud"}
		}, `actor: attribute of profile "host"`},
		{"profile's required attribute", func(m map[string]any) { delete(m, "cloud") }, "cloud: required"},
		{"string type", func(m map[string]any) { obj(m, "finding_info")["title"] = 3 }, "finding_info.title: want a string"},
		{"integer type", func(m map[string]any) { m["time"] = "2024-05-01" }, "time: want an integer"},
		{"array type", func(m map[string]any) { obj(m, "finding_info")["types"] = "TTPs" }, "finding_info.types: want an array"},
		{"url", func(m map[string]any) { obj(m, "finding_info")["src_url"] = "/relative" }, "not an absolute URL"},
		{"ip regex", func(m map[string]any) {
			m["evidences"] = []any{map[string]any{"src_endpoint": map[string]any{"ip": "not-an-ip"}}}
		}, "evidences[0].src_endpoint.ip"},
		{"at_least_one", func(m map[string]any) { m["actor"] = map[string]any{} }, "actor: actor needs at least one of"},
		{"deprecated", func(m map[string]any) {
			obj(obj(m, "actor"), "user")["credential_uid"] = "AKIA"
		}, "actor.user.credential_uid: deprecated"},
		{"null", func(m map[string]any) { m["message"] = nil }, "message: null"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var m map[string]any
			if err := json.Unmarshal([]byte(validDoc), &m); err != nil {
				t.Fatal(err)
			}
			tc.mutate(m)
			b, _ := json.Marshal(m)
			errs := c.Validate(s, b)
			for _, e := range errs {
				if strings.Contains(e.Error(), tc.want) {
					return
				}
			}
			t.Errorf("want an error containing %q, got %v", tc.want, errs)
		})
	}
}

func obj(m map[string]any, k string) map[string]any { return m[k].(map[string]any) }
