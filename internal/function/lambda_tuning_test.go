package function

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/trailhound/trailhound/internal/alert"
	"github.com/trailhound/trailhound/internal/bundle"
	"github.com/trailhound/trailhound/internal/obs"
	"github.com/trailhound/trailhound/internal/settings"
	"github.com/trailhound/trailhound/internal/testutil"
)

// TestLambdaTuning runs the Lambda handler on moto with TUNING_CONFIG (a file in the
// deployment package): the staged rule's alert goes to the staging queue only, marked
// staged; then a signed bundle carrying another tuning file wins over TUNING_CONFIG, and
// its exception suppresses the alert (logged, nothing delivered).
func TestLambdaTuning(t *testing.T) {
	env := newLambdaEnv(t)
	ctx := context.Background()
	staging := env.createQueue(t, "staging-alerts")
	dir := t.TempDir()
	path := filepath.Join(dir, "tuning.yaml")
	if err := os.WriteFile(path, []byte("owner: secops@example.com\nstaged: [TH-IAM-003]\nstaging_routes:\n  sqs_queue_url: "+staging+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		t.Fatal(err)
	}
	s3c := s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true })
	if _, err := s3c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("trailhound-rules")}); err != nil {
		t.Fatal(err)
	}
	vars := map[string]string{"ALERT_QUEUE_URL": env.triageURL, "STATE_TABLE": env.table, "ENRICH": "false", settings.TuningConfig.Name: path}
	var logs syncBuffer
	h, err := newLambdaHandler(ctx, func(k string) string { return vars[k] }, obs.NewLogger(&logs, 0), &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	var rec map[string]any
	if err := json.Unmarshal([]byte(testutil.ServiceKeyCreated), &rec); err != nil {
		t.Fatal(err)
	}
	if _, err := h.Handle(ctx, eventBridgeEvent(t, rec)); err != nil {
		t.Fatal(err)
	}
	if got := env.triageAlerts(t); len(got) != 0 {
		t.Fatalf("the staged rule's alert reached the default queue: %v", ruleIDsOf(got))
	}
	msgs := env.receive(t, staging)
	if len(msgs) != 1 {
		t.Fatalf("staging queue got %d messages, want 1", len(msgs))
	}
	var a alert.Alert
	if err := json.Unmarshal([]byte(aws.ToString(msgs[0].Body)), &a); err != nil {
		t.Fatal(err)
	}
	if a.Rule.ID != "TH-IAM-003" || a.Tuning == nil || !a.Tuning.Staged {
		t.Fatalf("staging queue got %s, tuning %+v", a.Rule.ID, a.Tuning)
	}

	// A bundle's tuning file wins over TUNING_CONFIG.
	var buf bytes.Buffer
	doc := []byte(`{"owner":"secops@example.com","exceptions":[{"id":"TUNE-007","rules":["TH-IAM-003"],"match":{"actor_arn":"arn:aws:iam::111122223333:user/alice","target_user":"payments-*"},"suppress":true,"owner":"bob@example.com","reason":"alice runs the key vault","expires":"2099-01-01"}]}`)
	if err := bundle.Write(&buf, nil, bundle.WriteOptions{Revision: "t1", Now: time.Now(), Tuning: doc}); err != nil {
		t.Fatal(err)
	}
	if _, err := s3c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("trailhound-rules"), Key: aws.String("rules.tar.gz"), Body: bytes.NewReader(buf.Bytes())}); err != nil {
		t.Fatal(err)
	}
	vars[settings.RulesBundle.Name] = "s3://trailhound-rules/rules.tar.gz"
	h, err = newLambdaHandler(ctx, func(k string) string { return vars[k] }, obs.NewLogger(&logs, 0), &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	rec["eventID"] = "7a6b5c4d-3e2f-4a1b-9c8d-000000000002"
	if _, err := h.Handle(ctx, eventBridgeEvent(t, rec)); err != nil {
		t.Fatal(err)
	}
	if got, staged := env.triageAlerts(t), env.receive(t, staging); len(got)+len(staged) != 0 {
		t.Fatalf("suppressed alert delivered: default %v, staging %d", ruleIDsOf(got), len(staged))
	}
	if l := logs.String(); !strings.Contains(l, `"msg":"alert tuned","exception_id":"TUNE-007","action":"suppress","owner":"bob@example.com"`) {
		t.Fatalf("the exception was not logged:\n%s", l)
	}

	// An invalid TUNING_CONFIG stops the function at init, naming the file and line.
	if err := os.WriteFile(path, []byte("owner: s\nstaged: [TH-NOPE-001]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	delete(vars, settings.RulesBundle.Name)
	if _, err := newLambdaHandler(ctx, func(k string) string { return vars[k] }, obs.NewLogger(&logs, 0), &bytes.Buffer{}); err == nil || !strings.Contains(err.Error(), "TUNING_CONFIG: "+path+":2:") {
		t.Fatalf("invalid TUNING_CONFIG: %v", err)
	}
}
