package route

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/trailhound/trailhound/internal/alert"
	"github.com/trailhound/trailhound/internal/delivery"
	"github.com/trailhound/trailhound/internal/sink"
	"github.com/trailhound/trailhound/internal/team"
	"github.com/trailhound/trailhound/internal/testutil"
)

type recorder struct {
	mu   sync.Mutex
	ids  []string
	fail error
}

func (r *recorder) Send(_ context.Context, as []*alert.Alert) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.fail != nil {
		return r.fail
	}
	for _, a := range as {
		r.ids = append(r.ids, a.ID)
	}
	return nil
}

func (r *recorder) got() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Sorted(slices.Values(r.ids))
}

var opts = Options{HealthRuleID: "TH-HEALTH-001", BuiltinTeam: "builtin"}

func pack(f team.File) *team.Pack { return &team.Pack{File: &f} }

func mk(id, ruleID, teamName, severity string) *alert.Alert {
	return &alert.Alert{ID: id, Severity: severity, Rule: alert.Rule{ID: ruleID, Team: teamName}}
}

// teams: payments (routes, subscribed to TH-IAM-001 and CRITICAL), ops (routes, subscribed
// to HIGH), ledger (no routes).
func newRouter(t *testing.T, def delivery.Sender, senders map[string]*recorder) *Router {
	t.Helper()
	q := team.Routes{SQSQueueURL: "https://sqs.us-east-1.amazonaws.com/111122223333/q"}
	teams := map[string]*team.Pack{
		"payments": pack(team.File{Routes: q, Subscriptions: team.Subscriptions{IDs: []string{"TH-IAM-001"}, MinSeverity: "CRITICAL"}}),
		"ops":      pack(team.File{Routes: q, Subscriptions: team.Subscriptions{MinSeverity: "HIGH"}}),
		"ledger":   pack(team.File{Subscriptions: team.Subscriptions{MinSeverity: "LOW"}}),
	}
	r, err := New(def, teams, func(name string, _ team.Routes) (delivery.Sender, error) {
		senders[name] = &recorder{}
		return senders[name], nil
	}, opts)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestDestinations(t *testing.T) {
	senders := map[string]*recorder{}
	r := newRouter(t, &recorder{}, senders)
	if _, ok := senders["ledger"]; ok || len(senders) != 2 {
		t.Fatalf("opened %v; a team without routes gets no sender", senders)
	}
	for _, c := range []struct {
		a    *alert.Alert
		want string
	}{
		{mk("1", "TH-IAM-001", "builtin", "MEDIUM"), "default,payments"},       // by id
		{mk("2", "TH-IAM-004", "builtin", "CRITICAL"), "default,ops,payments"}, // by severity
		{mk("3", "TH-IAM-002", "builtin", "HIGH"), "default,ops"},              // ops from HIGH
		{mk("4", "TH-IAM-002", "builtin", "MEDIUM"), "default"},                // nobody
		{mk("5", "PAYMENTS-001", "payments", "HIGH"), "payments"},              // own team only
		{mk("6", "LEDGER-001", "ledger", "HIGH"), "default"},                   // no routes
		{mk("7", "X-001", "unknown", "HIGH"), "default"},                       // not a loaded team
		{mk("8", "TH-HEALTH-001", "payments", "HIGH"), "default,payments"},     // health: both
		{mk("9", "TH-HEALTH-001", "ledger", "HIGH"), "default"},                // health, no routes
	} {
		got := r.Destinations(c.a)
		slices.Sort(got)
		if strings.Join(got, ",") != c.want {
			t.Errorf("alert %s (%s, team %s, %s): %v, want %s", c.a.ID, c.a.Rule.ID, c.a.Rule.Team, c.a.Severity, got, c.want)
		}
	}
}

func TestSendGroupsAndNamesFailures(t *testing.T) {
	def := &recorder{}
	senders := map[string]*recorder{}
	r := newRouter(t, def, senders)
	alerts := []*alert.Alert{mk("b1", "TH-IAM-001", "builtin", "CRITICAL"), mk("p1", "PAYMENTS-001", "payments", "HIGH"), mk("o1", "OPS-001", "ops", "LOW")}
	if err := r.Send(context.Background(), alerts); err != nil {
		t.Fatal(err)
	}
	if got := def.got(); !slices.Equal(got, []string{"b1"}) {
		t.Errorf("default got %v", got)
	}
	if got := senders["payments"].got(); !slices.Equal(got, []string{"b1", "p1"}) {
		t.Errorf("payments got %v", got)
	}
	if got := senders["ops"].got(); !slices.Equal(got, []string{"b1", "o1"}) {
		t.Errorf("ops got %v", got)
	}
	senders["ops"].fail = errors.New("queue gone")
	err := r.Send(context.Background(), []*alert.Alert{mk("b2", "TH-IAM-004", "builtin", "CRITICAL")})
	if err == nil || !strings.Contains(err.Error(), "route ops: queue gone") {
		t.Fatalf("err = %v", err)
	}
	if !slices.Contains(def.got(), "b2") || !slices.Contains(senders["payments"].got(), "b2") {
		t.Fatal("a failing route kept the alert from the other routes")
	}
}

// TestAWSRoutesOnMoto routes alerts to real (moto) SQS queues: a team rule's alert to the
// team's queue only, a built-in alert to the default queue and the subscribed team's.
func TestAWSRoutesOnMoto(t *testing.T) {
	testutil.StartMoto(t)
	ctx := context.Background()
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		t.Fatal(err)
	}
	c := sqs.NewFromConfig(cfg)
	queue := func(name string) string {
		out, err := c.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(name)})
		if err != nil {
			t.Fatal(err)
		}
		return aws.ToString(out.QueueUrl)
	}
	defQ, payQ := queue("soc-alerts"), queue("payments-alerts")
	def := &sink.Multi{Sinks: []sink.Named{{Name: "sqs", Sender: sink.NewSQS(c, defQ)}}}
	teams := map[string]*team.Pack{"payments": pack(team.File{Routes: team.Routes{SQSQueueURL: payQ}, Subscriptions: team.Subscriptions{MinSeverity: "CRITICAL"}})}
	r, err := New(def, teams, AWSOpener(cfg, ""), opts)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Send(ctx, []*alert.Alert{mk("a1b2c3d4e5f60718293a4b5c6d7e8f90", "PAYMENTS-001", "payments", "HIGH"), mk("0f1e2d3c4b5a69788796a5b4c3d2e1f0", "TH-IAM-004", "builtin", "CRITICAL")}); err != nil {
		t.Fatal(err)
	}
	received := func(url string) []string {
		out, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), MaxNumberOfMessages: 10})
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, m := range out.Messages {
			var a alert.Alert
			if err := json.Unmarshal([]byte(aws.ToString(m.Body)), &a); err != nil {
				t.Fatal(err)
			}
			ids = append(ids, a.Rule.ID)
		}
		slices.Sort(ids)
		return ids
	}
	if got := received(payQ); !slices.Equal(got, []string{"PAYMENTS-001", "TH-IAM-004"}) {
		t.Errorf("payments queue got %v", got)
	}
	if got := received(defQ); !slices.Equal(got, []string{"TH-IAM-004"}) {
		t.Errorf("default queue got %v", got)
	}
}
