package state

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// newStateTable creates another table shaped like deploy/template.yaml's on the moto that
// newTable started.
func newStateTable(t *testing.T, c *dynamodb.Client, name string) string {
	t.Helper()
	if _, err := c.CreateTable(context.Background(), &dynamodb.CreateTableInput{
		TableName:            aws.String(name),
		BillingMode:          types.BillingModePayPerRequest,
		AttributeDefinitions: []types.AttributeDefinition{{AttributeName: aws.String("id"), AttributeType: types.ScalarAttributeTypeS}},
		KeySchema:            []types.KeySchemaElement{{AttributeName: aws.String("id"), KeyType: types.KeyTypeHash}},
	}); err != nil {
		t.Fatalf("create table %s: %v", name, err)
	}
	return name
}

func TestDynamoWindows(t *testing.T) {
	c, table := newTable(t)
	t.Run("dedup", func(t *testing.T) { testDedupWindow(t, NewDynamoWindows(c, table)) })
	t.Run("threshold retries", func(t *testing.T) { testThresholdRetries(t, NewDynamoWindows(c, table)) })
	n := 0
	t.Run("threshold interleaved and out of order", func(t *testing.T) {
		testThresholdInterleaved(t, func() windowStore {
			n++
			return NewDynamoWindows(c, newStateTable(t, c, fmt.Sprintf("windows-%d", n)))
		})
	})

	// The item lives in the shared state table under its own id prefix, with a TTL.
	now := time.Now()
	w := NewDynamoWindows(c, table)
	w.Now = func() time.Time { return now }
	s := Spec{Kind: Dedup, Rule: "TH-T-099", Key: "ttl", Window: time.Hour}
	observe(t, w, s, "x1", at(0))
	it := item(t, c, table, windowPrefix+s.id())
	if exp := numberAttr(t, it, attrExpiresAt); exp < now.Add(2*time.Hour+Lateness+MinRetention).Unix() {
		t.Errorf("expires_at %d: the window item must outlive its horizon and the retry period", exp)
	}
	if v := numberAttr(t, it, attrVersion); v != 1 {
		t.Errorf("version %d after one write", v)
	}
}

// TestDynamoWindowsConcurrentWriters: separate stores (separate clients, as separate Lambda
// invocations would have) offer interleaved events of two actors at once, some events twice.
// Each actor's threshold is raised exactly once, and every count is delivered exactly once.
func TestDynamoWindowsConcurrentWriters(t *testing.T) {
	_, table := newTable(t)
	type job struct {
		actor, id string
		when      time.Time
	}
	var jobs []job
	for i := range 12 {
		for _, actor := range []string{"alice", "bob"} {
			jobs = append(jobs, job{actor, fmt.Sprintf("%s-%02d", actor, i), at(float64(i) / 2)})
		}
	}
	jobs = append(jobs, jobs[3], jobs[10], jobs[17]) // duplicate deliveries
	const workers = 8
	type result struct {
		actor string
		d     Decision
	}
	results := make(chan result, len(jobs))
	var wg sync.WaitGroup
	for w := range workers {
		cfg, err := config.LoadDefaultConfig(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		store := NewDynamoWindows(dynamodb.NewFromConfig(cfg), table)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < len(jobs); i += workers {
				j := jobs[i]
				d, err := store.Observe(context.Background(), thresholdSpec(j.actor), Event{ID: j.id, Time: j.when})
				if err != nil {
					t.Errorf("observe %s: %v", j.id, err)
					return
				}
				results <- result{j.actor, d}
			}
		}()
	}
	wg.Wait()
	close(results)
	raised := map[string][]string{}
	counts := map[string][]int{}
	repeats := 0
	for r := range results {
		if r.d.Repeat {
			repeats++
			continue
		}
		if r.d.Action == Raise {
			raised[r.actor] = append(raised[r.actor], r.d.Incident.ID)
		}
		if r.d.Action != Hold {
			counts[r.actor] = append(counts[r.actor], r.d.Incident.Count)
		}
	}
	if len(raised["alice"]) != 1 || len(raised["bob"]) != 1 || raised["alice"][0] == raised["bob"][0] {
		t.Fatalf("raised %v, want exactly one alert per actor", raised)
	}
	for actor, cs := range counts {
		sort.Ints(cs)
		if want := "[3 4 5 6 7 8 9 10 11 12]"; fmt.Sprint(cs) != want {
			t.Errorf("%s: counts delivered %v, want each of %s once", actor, cs, want)
		}
	}
	if repeats != 3 {
		t.Errorf("%d duplicate deliveries recognised, want 3", repeats)
	}
}
