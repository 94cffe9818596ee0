package alert

// The JSON encoder against encoding/json's reflection.

import (
	"encoding/json"
	"math"
	"testing"
	"time"

	"github.com/trailhound/trailhound/internal/rule"
	"github.com/trailhound/trailhound/rules"
)

// checkJSON compares the alert's JSON with encoding/json's reflection.
func checkJSON(t *testing.T, a *Alert) {
	t.Helper()
	want, werr := json.Marshal(a)
	got, gerr := appendAlert([]byte("prefix"), a)
	if (werr != nil) != (gerr != nil) || werr != nil && werr.Error() != gerr.Error() {
		t.Fatalf("errors: got %v, want %v", gerr, werr)
	}
	if werr == nil && string(got) != "prefix"+string(want) {
		t.Fatalf("JSON differs:\ngot  %s\nwant prefix%s", got, want)
	}
	if j, err := JSON(a); werr == nil && (err != nil || string(j) != string(want) || len(j) != cap(j)) {
		t.Fatalf("JSON: %v\n%s\n%s", err, j, want)
	}
}

func TestJSONMatchesEncodingJSON(t *testing.T) {
	p, err := rule.Load("builtin", "builtin", "rules", rules.FS)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range p.Rules {
		a := fuzzAlert("<b>&amp;\u2028\u2029\x00\x1f\x7f\xff\xfe ünï \"q\" \\ \t\n\r\b\f", "plain")
		a.Rule = Rule{ID: r.ID, Title: r.Title, Attack: r.Attack, Compliance: r.Compliance, References: r.References}
		fill(a, compile(r))
		a.Context["f"] = 1e21 // encoding/json's float format
		a.Context["nested"] = map[string]any{"z": []any{json.Number("1.5e3"), nil, map[string]any{}, []any{}}, "a": []string{}, "n": json.Number("")}
		checkJSON(t, a)
	}
	for _, mod := range []func(a *Alert){
		func(a *Alert) {
			a.Target, a.Context, a.Rule.Compliance, a.Runbook, a.Rule.Attack = nil, nil, nil, nil, nil
		},
		func(a *Alert) {
			a.Remediation = Remediation{Containment: []Step{{Omitted: []string{"x"}}, {Omitted: []string{}}}}
		},
		func(a *Alert) { a.CreatedAt = time.Date(2024, 5, 1, 10, 0, 0, 120, time.FixedZone("x", 3600+30)) },
		func(a *Alert) { a.CreatedAt = time.Date(10000, 5, 1, 10, 0, 0, 0, time.UTC) },
		func(a *Alert) { a.CreatedAt = time.Date(-1, 5, 1, 10, 0, 0, 0, time.UTC) },
		func(a *Alert) { a.Context["bad"] = math.NaN() },
		func(a *Alert) { a.Context["bad"] = json.Number("1x") },
		func(a *Alert) { a.Context["ch"] = map[string]any{"c": make(chan int)} },
		func(a *Alert) { a.Context["typed"] = map[string]int{"b": 2, "a": 1} },
		func(a *Alert) { a.Dedup.Count = -12345 },
		func(a *Alert) {
			a.SeverityReasons = []SeverityReason{{Change: "lowered", From: "HIGH", To: "LOW", By: "exception", Reason: "<rotation> & \u2028"}}
			a.Tuning = &Tuning{Staged: true, Exception: &TuningException{ID: "TUNE-001", Action: "set_severity", SeverityBefore: "HIGH", Owner: "a@b", Reason: "\x00r", Expires: "2027-01-01"}}
		},
		func(a *Alert) { a.Tuning = &Tuning{} },
	} {
		a := fuzzAlert("x", "y")
		a.CreatedAt = time.Date(2024, 5, 1, 10, 0, 0, 5e6, time.UTC)
		mod(a)
		checkJSON(t, a)
	}
}

func FuzzJSONString(f *testing.F) {
	for _, s := range []string{"", "plain", "<>&", "\u2028\u2029", "\xff", "\xed\xa0\x80", "\x00\x01\x7f", "ünï €", "\"\\/"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		want, _ := json.Marshal(s)
		if got := appendJSONString(nil, s); string(got) != string(want) {
			t.Fatalf("%q: got %s, want %s", s, got, want)
		}
	})
}
