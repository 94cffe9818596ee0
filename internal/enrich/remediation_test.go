package enrich_test

import (
	"context"
	"os/exec"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/trailhound/trailhound/internal/alert"
	"github.com/trailhound/trailhound/internal/testutil"
)

// acceptedServiceErrors are AWS answers about the state moto is in when a command runs after
// an earlier step changed it (a backout reactivating a key a step deleted), or about a grant
// the user does not have: the command itself was valid. Anything else (usage, unknown
// option, parameter validation, malformed policy) fails the test.
var acceptedServiceErrors = regexp.MustCompile(`\((NoSuchEntity|EntityAlreadyExists|LimitExceeded|DeleteConflict)\)`)

// shape is a command's operation and flag names: "aws iam update-access-key --access-key-id
// --status --user-name".
func shape(cmd string) string {
	f := strings.Fields(cmd)
	var flags []string
	for _, w := range f[3:] {
		if strings.HasPrefix(w, "--") {
			flags = append(flags, w)
		}
	}
	sort.Strings(flags)
	return strings.Join(append(f[:3:3], flags...), " ")
}

// TestRemediationCommandsRunOnMoto renders the alerts of the enrichment-based rules
// (TH-IAM-101..104) about users that exist in moto, and runs every CLI command with the real
// AWS CLI (through sh, as an analyst pastes them), in the order the alert gives them, each
// scenario on a fresh moto. Every command must be accepted, and every command shape must
// succeed at least once.
func TestRemediationCommandsRunOnMoto(t *testing.T) {
	testutil.NeedTool(t, "aws")
	reactivate := func(user string, key func(world) string) func(world) []string {
		return func(w world) []string {
			return []string{iamEvent{Name: "UpdateAccessKey", ID: "ev-" + user, Time: w.days(120), Actor: "alice", ActorKey: w.aliceKey,
				Params: map[string]any{"userName": user, "accessKeyId": key(w), "status": "Active"}}.JSON()}
		}
	}
	bobKey := func(w world) string { return w.bobKey }
	scenarios := []struct {
		name, rule string
		events     func(world) []string
	}{
		{"dormant key", "TH-IAM-101", reactivate("bob", bobKey)},
		{"rotation overdue", "TH-IAM-102", reactivate("bob", bobKey)},
		{"admin via group", "TH-IAM-103", reactivate("bob", bobKey)},
		{"admin via inline policy", "TH-IAM-103", reactivate("erin", func(w world) string { return w.erinKey })},
		{"admin via attached policy", "TH-IAM-103", func(w world) []string {
			return []string{iamEvent{Name: "UpdateLoginProfile", ID: "ev-frank", Time: w.days(1), Actor: "alice", ActorKey: w.aliceKey,
				Params: map[string]any{"userName": "frank", "passwordResetRequired": false}}.JSON()}
		}},
		{"burst of deletions", "TH-IAM-104", func(w world) []string {
			var out []string
			for i, user := range []string{"erin", "frank", "bob"} {
				out = append(out, iamEvent{Name: "DeleteAccessKey", ID: "ev-del-" + user, Time: w.days(1).Add(time.Duration(i) * time.Minute),
					Actor: "alice", ActorKey: w.aliceKey, Params: map[string]any{"userName": user, "accessKeyId": "AKIAEXAMPLEDELETED0" + string(rune('1'+i))}}.JSON())
			}
			return out
		}},
	}
	succeeded := map[string]bool{}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			w := startWorld(t)
			eng := newEngine(t)
			sink := &recordingSink{}
			p := newPipeline(eng, newEnricher(t, eng, newIAM(t, nil, "", ""), 0), sink)
			for _, ev := range sc.events(w) {
				process(t, p, ev)
			}
			var alerts []*alert.Alert
			for _, a := range sink.alerts {
				if a.Rule.ID == sc.rule {
					alerts = append(alerts, a)
				}
			}
			if len(alerts) == 0 {
				t.Fatalf("no %s alert", sc.rule)
			}
			for _, a := range alerts {
				for _, group := range [][]alert.Step{a.Remediation.Containment, a.Remediation.Steps, a.Remediation.Backout} {
					for _, s := range group {
						for _, cmd := range s.CLI {
							out, err := exec.CommandContext(context.Background(), "sh", "-c", cmd).CombinedOutput()
							switch {
							case err == nil:
								succeeded[shape(cmd)] = true
							case acceptedServiceErrors.Match(out):
								if _, seen := succeeded[shape(cmd)]; !seen {
									succeeded[shape(cmd)] = false
								}
								t.Logf("%s: %s", cmd, strings.TrimSpace(string(out)))
							default:
								t.Errorf("%s\n%v: %s", cmd, err, out)
							}
						}
					}
				}
			}
		})
	}
	for s, ok := range succeeded {
		if !ok {
			t.Errorf("%s never succeeded in any scenario", s)
		}
	}
	t.Logf("%d command shapes ran", len(succeeded))
}
