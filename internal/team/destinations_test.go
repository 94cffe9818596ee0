package team

import (
	"strings"
	"testing"
)

func TestValidateDestinations(t *testing.T) {
	good := "owner: payments-secops@example.com\nroutes:\n" +
		"  pagerduty_secret: arn:aws:secretsmanager:us-east-1:111122223333:secret:payments/pagerduty-AbCdEf\n" +
		"  pagerduty_min_severity: HIGH\n" +
		"  slack_secret: payments/slack\n" +
		"  webhook_url: https://soar.example.com/hooks/payments\n" +
		"  webhook_secret: payments/webhook\n"
	f, lines, err := Parse("team.yaml", []byte(good))
	if err != nil {
		t.Fatal(err)
	}
	if err := Validate("payments", "team.yaml", f, lines, now); err != nil {
		t.Fatalf("good file: %v", err)
	}
	if f.Routes.SlackSecret != "payments/slack" || f.Routes.Empty() {
		t.Fatalf("routes %+v", f.Routes)
	}
	cases := []struct{ name, from, to, want string }{
		{"a routing key, not a secret", "slack_secret: payments/slack", "slack_secret: https://hooks.slack.com/services/T0/B0/x y", "team.yaml:5: routes.slack_secret: want a Secrets Manager secret"},
		{"other ARN", "arn:aws:secretsmanager:us-east-1:111122223333:secret:payments/pagerduty-AbCdEf", "arn:aws:ssm:us-east-1:111122223333:parameter/pd", "routes.pagerduty_secret"},
		{"http webhook", "https://soar.example.com", "http://soar.example.com", "routes.webhook_url \"http://soar.example.com/hooks/payments\": want an https URL"},
		{"unsigned webhook", "  webhook_secret: payments/webhook\n", "", "webhooks are always signed"},
		{"bad severity", "pagerduty_min_severity: HIGH", "pagerduty_min_severity: PAGE", "routes.pagerduty_min_severity"},
		{"severity without destination", "  slack_secret: payments/slack\n", "  slack_min_severity: LOW\n", "routes.slack_min_severity without its destination"},
		{"unknown key", "slack_secret:", "slack_webhook_url:", "slack_webhook_url"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			src := strings.Replace(good, c.from, c.to, 1)
			if src == good {
				t.Fatalf("replacement %q did not apply", c.from)
			}
			f, lines, err := Parse("team.yaml", []byte(src))
			if err == nil {
				err = Validate("payments", "team.yaml", f, lines, now)
			}
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %v, want %q", err, c.want)
			}
		})
	}
}
