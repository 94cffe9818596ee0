package route

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/trailhound/trailhound/internal/alert"
	"github.com/trailhound/trailhound/internal/awsenv"
	"github.com/trailhound/trailhound/internal/sink"
	"github.com/trailhound/trailhound/internal/sink/sinktest"
	"github.com/trailhound/trailhound/internal/team"
	"github.com/trailhound/trailhound/internal/testutil"
)

// TestTeamThirdPartyRoutes routes a team's alerts to PagerDuty, Slack and a signed webhook
// named in its team file, with the credentials in Secrets Manager (moto) and the destinations
// local receivers: each destination gets the alerts at or above its minimum severity.
func TestTeamThirdPartyRoutes(t *testing.T) {
	testutil.StartMoto(t)
	ctx := context.Background()
	cfg, err := awsenv.Load(os.Getenv, awsenv.Options{Retryer: sink.Retryer})
	if err != nil {
		t.Fatal(err)
	}
	pd := sinktest.NewPagerDuty(t, "payments-routing-key")
	sl := sinktest.NewSlack(t, "/services/T0/B0/payments")
	wh := sinktest.NewWebhook(t, "payments-signing-key")
	sm := secretsmanager.NewFromConfig(cfg)
	for name, value := range map[string]string{
		"payments/pagerduty": `{"routing_key":"payments-routing-key"}`,
		"payments/slack":     sl.URL("/services/T0/B0/payments"),
		"payments/webhook":   "payments-signing-key",
	} {
		if _, err := sm.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String(name), SecretString: aws.String(value)}); err != nil {
			t.Fatal(err)
		}
	}
	routes := team.Routes{
		PagerDutySecret: "payments/pagerduty", PagerDutyMinSeverity: "CRITICAL",
		SlackSecret: "payments/slack", SlackMinSeverity: "MEDIUM",
		WebhookURL: wh.URL("/hook"), WebhookSecret: "payments/webhook",
	}
	def := &recorder{}
	r, err := New(def, map[string]*team.Pack{"payments": pack(team.File{Routes: routes})}, AWSOpener(cfg, pd.URL("/v2/enqueue")), opts)
	if err != nil {
		t.Fatal(err)
	}
	var alerts []*alert.Alert
	for _, sev := range []string{"LOW", "MEDIUM", "CRITICAL"} {
		a := mk("pay-"+sev, "PAYMENTS-001", "payments", sev)
		a.SchemaVersion, a.CreatedAt, a.Title, a.Summary = alert.SchemaVersion, time.Now(), "t", "s."
		a.Event = alert.Event{Source: "iam.amazonaws.com", Name: "CreateAccessKey", Account: "111122223333", Region: "us-east-1"}
		alerts = append(alerts, a)
	}
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	if err := r.Send(ctx, alerts); err != nil {
		t.Fatal(err)
	}
	if pd.Pages() != 1 || pd.Triggers("pay-CRITICAL") != 1 {
		t.Errorf("pagerduty: %d pages, want the CRITICAL alert only", pd.Pages())
	}
	if n := len(sl.Accepted()); n != 2 {
		t.Errorf("slack: %d messages, want MEDIUM and CRITICAL", n)
	}
	for _, a := range alerts {
		if wh.Deliveries(a.ID) != 1 {
			t.Errorf("webhook: %d deliveries of %s, want 1 (no minimum severity)", wh.Deliveries(a.ID), a.ID)
		}
	}
	if len(def.got()) != 0 {
		t.Errorf("the default route got %v", def.got())
	}
}
