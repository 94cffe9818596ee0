package pipeline

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/trailhound/trailhound/internal/event"
	"github.com/trailhound/trailhound/internal/state"
	"github.com/trailhound/trailhound/internal/testutil"
)

func dynamoClient(t *testing.T) *dynamodb.Client {
	t.Helper()
	cfg, err := config.LoadDefaultConfig(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return dynamodb.NewFromConfig(cfg)
}

// TestConcurrentPipelinesShareDynamoDB: separate pipelines (as concurrent Lambda invocations
// are), each with its own DynamoDB clients, share one state table (deploy/template.yaml's
// shape: key "id", TTL "expires_at") and process interleaved events, some delivered twice.
// No alert is raised twice: one threshold alert per actor, one dedup alert, and every count
// of each is delivered exactly once.
func TestConcurrentPipelinesShareDynamoDB(t *testing.T) {
	testutil.StartMoto(t)
	ctx := context.Background()
	c := dynamoClient(t)
	const table = "trailhound-state"
	if _, err := c.CreateTable(ctx, &dynamodb.CreateTableInput{
		TableName:            aws.String(table),
		BillingMode:          types.BillingModePayPerRequest,
		AttributeDefinitions: []types.AttributeDefinition{{AttributeName: aws.String("id"), AttributeType: types.ScalarAttributeTypeS}},
		KeySchema:            []types.KeySchemaElement{{AttributeName: aws.String("id"), KeyType: types.KeyTypeHash}},
	}); err != nil {
		t.Fatal(err)
	}

	var recs []event.Record
	for i := range 8 {
		for _, actor := range []string{"mallory", "trent"} {
			recs = append(recs, evt("DeleteAccessKey", actor, fmt.Sprintf("u%d", i), fmt.Sprintf("%s-%d", actor, i), float64(7-i)))
		}
	}
	for i := range 5 {
		recs = append(recs, evt("UpdateAccessKey", "mallory", "bob", fmt.Sprintf("r%d", i), float64(i*10)))
	}
	recs = append(recs, recs[2], recs[9], recs[17], recs[19]) // duplicate deliveries

	eng := windowEngine(t)
	sink := &recordingSink{}
	const workers = 6
	var mu sync.Mutex
	var failed []event.Record
	var wg sync.WaitGroup
	pipelines := make([]*Pipeline, workers)
	for w := range workers {
		dc := dynamoClient(t)
		pipelines[w] = &Pipeline{Rules: rulesOf(eng), Sink: sink, Idempotency: state.NewDynamo(dc, table), Windows: state.NewDynamoWindows(dc, table)}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < len(recs); i += workers {
				r := pipelines[w].Process(ctx, recs[i])
				if r.Outcome == SinkFailed {
					// Only a duplicate racing its original may fail (claim in flight).
					for _, err := range r.Errs {
						if !errors.Is(err, state.ErrInFlight) {
							t.Errorf("%s: %v", recs[i].EventID, err)
						}
					}
					mu.Lock()
					failed = append(failed, recs[i])
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	for _, r := range failed { // AWS retries what failed
		if res := pipelines[0].Process(ctx, r); res.Outcome != Suppressed || res.Reasons[0] != ReasonDuplicate {
			t.Errorf("retry of %s: %v %v", r.EventID, res.Outcome, res.Reasons)
		}
	}

	counts := map[string][]int{}
	byActor := map[string]map[string]bool{}
	for _, a := range sink.alerts {
		counts[a.ID] = append(counts[a.ID], a.Dedup.Count)
		key := a.Rule.ID + " " + a.Actor.ARN
		if byActor[key] == nil {
			byActor[key] = map[string]bool{}
		}
		byActor[key][a.ID] = true
	}
	if len(byActor) != 3 {
		t.Fatalf("alerts for %v, want the two threshold actors and the dedup group", byActor)
	}
	for key, ids := range byActor {
		if len(ids) != 1 {
			t.Errorf("%s: %d distinct alert ids, want 1", key, len(ids))
		}
	}
	var got []string
	for id, cs := range counts {
		sort.Ints(cs)
		got = append(got, fmt.Sprint(cs))
		_ = id
	}
	sort.Strings(got)
	if want := "[[1 2 3 4 5] [3 4 5 6 7 8] [3 4 5 6 7 8]]"; fmt.Sprint(got) != want {
		t.Fatalf("counts delivered per alert %v, want %s (each exactly once)", got, want)
	}
	var alerted int64
	for _, p := range pipelines {
		alerted += p.Counts.Get(Alerted)
	}
	if alerted != 3 {
		t.Fatalf("%d records counted alerted, want 3", alerted)
	}
}
