package route

import (
	"context"
	"strings"
	"testing"

	"github.com/trailhound/trailhound/internal/alert"
	"github.com/trailhound/trailhound/internal/delivery"
	"github.com/trailhound/trailhound/internal/team"
)

func TestStagedAlertsGoToTheStagingRouteOnly(t *testing.T) {
	senders := map[string]*recorder{}
	q := team.Routes{SQSQueueURL: "https://sqs.us-east-1.amazonaws.com/111122223333/staging"}
	teams := map[string]*team.Pack{"ops": pack(team.File{Routes: q, Subscriptions: team.Subscriptions{MinSeverity: "LOW"}})}
	o := opts
	o.Staging = q
	def := &recorder{}
	r, err := New(def, teams, func(name string, _ team.Routes) (delivery.Sender, error) {
		senders[name] = &recorder{}
		return senders[name], nil
	}, o)
	if err != nil {
		t.Fatal(err)
	}
	staged := mk("s1", "TH-IAM-201", "builtin", "CRITICAL")
	staged.Tuning = &alert.Tuning{Staged: true}
	live := mk("l1", "TH-IAM-003", "builtin", "HIGH")
	if err := r.Send(context.Background(), []*alert.Alert{staged, live}); err != nil {
		t.Fatal(err)
	}
	if got := senders[StagingName].got(); len(got) != 1 || got[0] != "s1" {
		t.Errorf("staging got %v", got)
	}
	if got := def.got(); len(got) != 1 || got[0] != "l1" {
		t.Errorf("default got %v, want the live alert only", got)
	}
	if got := senders["ops"].got(); len(got) != 1 || got[0] != "l1" {
		t.Errorf("subscriber got %v, want the live alert only (staged alerts reach no subscriber)", got)
	}

	// Without a staging route, a staged alert is an error, never dropped in silence.
	r2, err := New(def, nil, nil, opts)
	if err != nil {
		t.Fatal(err)
	}
	if err := r2.Send(context.Background(), []*alert.Alert{staged}); err == nil || !strings.Contains(err.Error(), "not configured") {
		t.Fatalf("err = %v", err)
	}
}
