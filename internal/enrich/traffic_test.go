package enrich_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/trailhound/trailhound/internal/enrich"
)

// callsOf are the IAM operations each kind of lookup may make: required ones first (every
// lookup of that kind makes them), then the ones it makes only when the user has groups or
// policies to read.
var callsOf = map[string]struct{ required, optional []string }{
	"access_keys":          {required: []string{"ListAccessKeys"}},
	"access_key_last_used": {required: []string{"GetAccessKeyLastUsed"}},
	"mfa":                  {required: []string{"ListMFADevices"}},
	"login_profile":        {required: []string{"GetLoginProfile"}},
	"tags":                 {required: []string{"ListUserTags"}},
	"groups_policies": {
		required: []string{"ListGroupsForUser", "ListAttachedUserPolicies", "ListUserPolicies"},
		optional: []string{"GetUserPolicy", "ListAttachedGroupPolicies", "ListGroupPolicies", "GetGroupPolicy", "GetPolicy", "GetPolicyVersion"},
	},
}

// TestIAMTrafficIsOnlyTheDeclaredLookups loads each built-in rule alone and runs an event it
// selects through the pipeline with enrichment on, counting the IAM requests that reach moto:
// a rule's declared lookups are the only IAM traffic it causes, each of them is made, and a
// rule that declares none (or an event no rule selects) causes none.
func TestIAMTrafficIsOnlyTheDeclaredLookups(t *testing.T) {
	w := startWorld(t)
	full := newEngine(t)
	checked := 0
	for _, r := range full.Rules() {
		t.Run(r.ID, func(t *testing.T) {
			eng := newEngine(t, r.ID)
			traffic := newTraffic()
			p := newPipeline(eng, newEnricher(t, eng, newIAM(t, traffic, "", ""), 0), &recordingSink{})
			ev := r.Events[0]
			if ev.Source != "iam.amazonaws.com" {
				rec := strings.Replace(iamEvent{Name: ev.Name, ID: "ev-" + r.ID, Time: w.days(1), Actor: "alice", ActorKey: w.aliceKey}.JSON(),
					`"eventSource":"iam.amazonaws.com"`, fmt.Sprintf("%q:%q", "eventSource", ev.Source), 1)
				process(t, p, rec)
			} else {
				process(t, p, iamEvent{Name: ev.Name, ID: "ev-" + r.ID, Time: w.days(1), Actor: "alice", ActorKey: w.aliceKey,
					Params: map[string]any{"userName": "bob", "accessKeyId": w.bobKey, "status": "Active"}}.JSON())
			}
			got := traffic.reset()
			allowed := map[string]bool{}
			perUser := map[string]int{} // single-call lookups: one call per declared subject
			for _, l := range r.Enrich {
				if _, kind, _ := enrich.Path(l); len(callsOf[kind].required) == 1 {
					perUser[callsOf[kind].required[0]]++
				}
			}
			for op, n := range perUser {
				if got[op] != n {
					t.Errorf("%s called %d times, want %d (one per declared subject; bob and alice)", op, got[op], n)
				}
			}
			for _, l := range r.Enrich {
				_, kind, ok := enrich.Path(l)
				if !ok {
					t.Fatalf("declared lookup %s is unknown", l)
				}
				for _, op := range callsOf[kind].required {
					allowed[op] = true
					if got[op] == 0 {
						t.Errorf("declared %s, but %s was never called (traffic %v)", l, op, got)
					}
				}
				for _, op := range callsOf[kind].optional {
					allowed[op] = true
				}
			}
			for op, n := range got {
				if !allowed[op] {
					t.Errorf("%d %s call(s) not implied by the declared lookups %v", n, op, r.Enrich)
				}
			}
			if len(r.Enrich) == 0 && len(got) != 0 {
				t.Errorf("a rule without custom.enrich caused IAM traffic: %v", got)
			}
			t.Logf("declares %v -> %v", r.Enrich, names(got))
		})
		checked++
	}
	if checked < 4 {
		t.Fatalf("only %d rules checked", checked)
	}

	// An event no rule selects causes no IAM traffic at all.
	traffic := newTraffic()
	p := newPipeline(full, newEnricher(t, full, newIAM(t, traffic, "", ""), 0), &recordingSink{})
	process(t, p, iamEvent{Name: "GetUser", ID: "ev-read", Time: w.days(1), Actor: "alice", ActorKey: w.aliceKey, Params: map[string]any{"userName": "bob"}}.JSON())
	if got := traffic.reset(); len(got) != 0 {
		t.Fatalf("an unselected event caused IAM traffic: %v", got)
	}
}
