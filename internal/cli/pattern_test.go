package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/trailhound/trailhound/internal/engine"
	"github.com/trailhound/trailhound/internal/setup"
	"github.com/trailhound/trailhound/internal/testutil"
)

// patternProbe is one event put on the bus, and whether the pattern must route it.
type patternProbe struct {
	id, why                       string
	detailType, source, eventName string
	envSource                     string // the envelope's source; "" is the AWS source of source
	want                          bool
}

// patternProbes are, for every (eventSource, eventName) the loaded rules declare, a CloudTrail
// API call event that must be delivered, and the near misses that must not: the same
// eventName from another service, the same event with another CloudTrail detail-type, and
// undeclared eventNames of the same service (a read-only neighbour, another case, a longer
// name).
func patternProbes(declared map[string][]string) []patternProbe {
	var out []patternProbe
	add := func(p patternProbe) {
		p.id = fmt.Sprintf("probe-%03d", len(out))
		out = append(out, p)
	}
	sources := slices.Sorted(maps.Keys(declared))
	neighbours := map[string]string{ // an undeclared call of each service the rules watch
		"iam.amazonaws.com":        "ListAccessKeys",
		"cloudtrail.amazonaws.com": "GetTrailStatus",
		"events.amazonaws.com":     "DescribeRule",
		"lambda.amazonaws.com":     "GetFunction20150331v2",
	}
	for _, src := range sources {
		for _, name := range declared[src] {
			add(patternProbe{why: "declared", detailType: engine.CloudTrailDetailType, source: src, eventName: name, want: true})
			// Anyone who may put events on the bus can send the same detail under a source of
			// their own (EventBridge reserves aws.* for AWS): never routed.
			for _, forged := range []string{"com.attacker", "custom." + strings.Split(src, ".")[0], "aws"} {
				add(patternProbe{why: "forged source", detailType: engine.CloudTrailDetailType, source: src, eventName: name, envSource: forged})
			}
			for _, other := range append(slices.Clone(sources), "sts.amazonaws.com") {
				if other != src && !slices.Contains(declared[other], name) {
					add(patternProbe{why: "declared name, other service", detailType: engine.CloudTrailDetailType, source: other, eventName: name})
				}
			}
			for _, dt := range []string{"AWS Service Event via CloudTrail", "AWS Console Sign In via CloudTrail"} {
				add(patternProbe{why: "other detail-type", detailType: dt, source: src, eventName: name})
			}
			for _, variant := range []string{strings.ToLower(name), name + "Preview"} {
				if !slices.Contains(declared[src], variant) {
					add(patternProbe{why: "undeclared name", detailType: engine.CloudTrailDetailType, source: src, eventName: variant})
				}
			}
		}
		if n, ok := neighbours[src]; ok && !slices.Contains(declared[src], n) {
			add(patternProbe{why: "undeclared read-only call", detailType: engine.CloudTrailDetailType, source: src, eventName: n})
		}
	}
	return out
}

// TestPatternRoutesExactlyTheDeclaredEvents puts the pattern `detector pattern` prints on a
// moto EventBridge bus (moto matches patterns for real; its TestEventPattern is a stub and
// is not used) with an SQS queue as target, puts a CloudTrail API call event for every
// declared (eventSource, eventName) and near misses of each, and checks that the queue
// receives exactly the declared ones.
func TestPatternRoutesExactlyTheDeclaredEvents(t *testing.T) {
	testutil.StartMoto(t)
	t.Setenv("TEAMS_CONFIG", "") // the built-in pack's pattern, compared with its declared events
	ctx := context.Background()
	r := runCLI(t, "", "pattern")
	if r.code != ExitOK {
		t.Fatalf("pattern: exit %d: %s", r.code, r.stderr)
	}
	eng, err := setup.LoadEngine(ctx)
	if err != nil {
		t.Fatal(err)
	}
	probes := patternProbes(eng.Events())

	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		t.Fatal(err)
	}
	eb, sq := eventbridge.NewFromConfig(cfg), sqs.NewFromConfig(cfg)
	q, err := sq.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("trailhound-pattern-test")})
	if err != nil {
		t.Fatal(err)
	}
	attrs, err := sq.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: q.QueueUrl, AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameQueueArn}})
	if err != nil {
		t.Fatal(err)
	}
	const bus, ruleName = "trailhound-pattern-test", "trailhound-DetectorRule-test"
	if _, err := eb.CreateEventBus(ctx, &eventbridge.CreateEventBusInput{Name: aws.String(bus)}); err != nil {
		t.Fatal(err)
	}
	if _, err := eb.PutRule(ctx, &eventbridge.PutRuleInput{Name: aws.String(ruleName), EventBusName: aws.String(bus), EventPattern: aws.String(r.stdout)}); err != nil {
		t.Fatalf("PutRule with the detector pattern: %v", err)
	}
	if _, err := eb.PutTargets(ctx, &eventbridge.PutTargetsInput{Rule: aws.String(ruleName), EventBusName: aws.String(bus),
		Targets: []ebtypes.Target{{Id: aws.String("queue"), Arn: aws.String(attrs.Attributes[string(sqstypes.QueueAttributeNameQueueArn)])}}}); err != nil {
		t.Fatal(err)
	}

	for batch := range slices.Chunk(probes, 10) {
		var entries []ebtypes.PutEventsRequestEntry
		for _, p := range batch {
			detail, err := json.Marshal(map[string]any{
				"eventVersion": "1.09", "eventTime": "2026-03-01T10:30:00Z", "eventSource": p.source, "eventName": p.eventName,
				"awsRegion": "us-east-1", "sourceIPAddress": "198.51.100.7", "eventID": p.id, "eventType": "AwsApiCall",
				"userIdentity": map[string]any{"type": "IAMUser", "arn": "arn:aws:iam::123456789012:user/alice", "accountId": "123456789012"},
			})
			if err != nil {
				t.Fatal(err)
			}
			envSource := p.envSource
			if envSource == "" {
				envSource = "aws." + strings.Split(p.source, ".")[0]
			}
			entries = append(entries, ebtypes.PutEventsRequestEntry{
				EventBusName: aws.String(bus), Source: aws.String(envSource),
				DetailType: aws.String(p.detailType), Detail: aws.String(string(detail)),
			})
		}
		out, err := eb.PutEvents(ctx, &eventbridge.PutEventsInput{Entries: entries})
		if err != nil {
			t.Fatal(err)
		}
		if out.FailedEntryCount != 0 {
			t.Fatalf("PutEvents rejected %d entries: %+v", out.FailedEntryCount, out.Entries)
		}
	}

	delivered := map[string]bool{}
	for empty := 0; empty < 2; {
		out, err := sq.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: q.QueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1})
		if err != nil {
			t.Fatal(err)
		}
		if len(out.Messages) == 0 {
			empty++
			continue
		}
		for _, m := range out.Messages {
			var ev struct {
				Detail struct {
					EventID string `json:"eventID"`
				} `json:"detail"`
			}
			if err := json.Unmarshal([]byte(aws.ToString(m.Body)), &ev); err != nil {
				t.Fatalf("queue message is not an EventBridge event: %v: %s", err, aws.ToString(m.Body))
			}
			delivered[ev.Detail.EventID] = true
			if _, err := sq.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: q.QueueUrl, ReceiptHandle: m.ReceiptHandle}); err != nil {
				t.Fatal(err)
			}
		}
	}
	var pos, neg int
	for _, p := range probes {
		if p.want {
			pos++
		} else {
			neg++
		}
		if delivered[p.id] != p.want {
			t.Errorf("%s %s:%s source %q (%s): delivered=%v, want %v", p.detailType, p.source, p.eventName, p.envSource, p.why, delivered[p.id], p.want)
		}
	}
	t.Logf("%d declared events delivered, %d near misses not delivered", pos, neg)
}

// TestPatternSizeCapped: a pattern over the size EventBridge accepts is refused with a clear
// error instead of printed.
func TestPatternSizeCapped(t *testing.T) {
	t.Setenv("TEAMS_CONFIG", "")
	r := runCLI(t, "", "pattern", "--max-chars", "100")
	if r.code != ExitUsage || r.stdout != "" || !strings.Contains(r.stderr, "over the limit of 100") {
		t.Fatalf("pattern --max-chars 100: exit %d, stdout %q, stderr %q; want exit %d and the limit named", r.code, r.stdout, r.stderr, ExitUsage)
	}
	if r := runCLI(t, "", "pattern"); r.code != ExitOK {
		t.Fatalf("the built-in pattern is over the default limit: %s", r.stderr)
	}
}
