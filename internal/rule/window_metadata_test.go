package rule

import (
	"strings"
	"testing"
)

// TestWindowMetadata pins the custom.threshold and custom.enrich contract the pipeline's
// windows and the enricher rely on.
func TestWindowMetadata(t *testing.T) {
	threshold := strings.Replace(good, "#   dedup: {window: 1h, by: [actor.arn, target.user_name]}\n",
		"#   threshold: {count: 3, window: 10m, by: [actor.arn]}\n#   enrich: [actor_login_profile, target_mfa]\n", 1)
	p, err := load(t, map[string]string{"iam/reactivated.rego": threshold})
	if err != nil {
		t.Fatal(err)
	}
	th := p.Rules[0].Threshold
	if th == nil || th.Count != 3 || th.Window.Minutes() != 10 || len(th.By) != 1 || th.By[0] != "actor.arn" {
		t.Fatalf("threshold %+v", th)
	}
	for name, edit := range map[string][2]string{
		"both dedup and threshold": {"#   dedup:", "#   threshold: {count: 3, window: 10m, by: [actor.arn]}\n#   dedup:"},
		"threshold count 1":        {"#   dedup: {window: 1h, by: [actor.arn, target.user_name]}", "#   threshold: {count: 1, window: 10m, by: [actor.arn]}"},
		"threshold without by":     {"#   dedup: {window: 1h, by: [actor.arn, target.user_name]}", "#   threshold: {count: 3, window: 10m, by: []}"},
		"threshold bad path":       {"#   dedup: {window: 1h, by: [actor.arn, target.user_name]}", "#   threshold: {count: 3, window: 10m, by: [userIdentity.arn]}"},
		"threshold unknown key":    {"#   dedup: {window: 1h, by: [actor.arn, target.user_name]}", "#   threshold: {count: 3, window: 10m, by: [actor.arn], per: x}"},
		"unknown lookup":           {"#   dedup:", "#   enrich: [target_password]\n#   dedup:"},
	} {
		if _, err := load(t, map[string]string{"iam/reactivated.rego": strings.Replace(good, edit[0], edit[1], 1)}); err == nil {
			t.Errorf("%s: loaded without error", name)
		}
	}
}
