package tuning

import (
	"strings"
	"testing"
)

// FuzzLoad: a tuning file is hostile input (it also arrives inside bundles). Load must
// return a policy or an error naming the file, never panic; a loaded policy decides.
func FuzzLoad(f *testing.F) {
	f.Add(good)
	f.Add(`{"owner":"s","exceptions":[{"id":"TUNE-1","rules":["TH-IAM-003"],"match":{"account":["111122223333"]},"suppress":true,"owner":"a","reason":"r","expires":"2099-01-01"}]}`)
	f.Add("owner: s\nexceptions:\n  - id: T-1\n    rules: [TH-IAM-003]\n    match: {account: {a: b}}\n")
	f.Add("owner: s\nstaged: [TH-IAM-201, TH-IAM-201]\n")
	f.Add("owner: [\n")
	f.Add("- a\n- b\n")
	f.Fuzz(func(t *testing.T, data string) {
		p, err := Load("f.yaml", []byte(data), now, known)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "f.yaml") {
				t.Fatalf("error does not name the file: %v", err)
			}
			return
		}
		p.Decide(Facts{RuleID: "TH-IAM-003", ActorARN: "arn:aws:iam::111122223333:user/a", TargetUsers: []string{"svc-x"}, Account: "111122223333", SourceIP: "10.0.0.1", Severity: 4}, now)
	})
}
