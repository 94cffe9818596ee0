package state

import (
	"context"
	"slices"
	"testing"
	"time"
)

// partialStore is what the pipeline needs of a store for per-destination retries.
type partialStore interface {
	ClaimDelivery(ctx context.Context, id string, eventTime time.Time) (bool, []string, error)
	ReleasePartial(ctx context.Context, id string, delivered []string) error
	Commit(ctx context.Context, ids ...string) error
}

type memoryCommitter struct{ *Memory }

func (memoryCommitter) Commit(context.Context, ...string) error { return nil }

// TestPartialDeliveryRoundTrip, in DynamoDB (moto) and in memory: a claim released after a
// delivery that reached some destinations hands them to the next claim; a committed alert
// is a duplicate; a plain release remembers nothing.
func TestPartialDeliveryRoundTrip(t *testing.T) {
	c, table := newTable(t)
	ctx := context.Background()
	evTime := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	for name, s := range map[string]partialStore{"dynamo": NewDynamo(c, table), "memory": memoryCommitter{NewMemory()}} {
		t.Run(name, func(t *testing.T) {
			id := "0123456789abcdef0123456789abcdef"
			if fresh, prior, err := s.ClaimDelivery(ctx, id, evTime); !fresh || prior != nil || err != nil {
				t.Fatalf("first claim: %v %v %v", fresh, prior, err)
			}
			if err := s.ReleasePartial(ctx, id, []string{"default/sqs", "default"}); err != nil {
				t.Fatal(err)
			}
			fresh, prior, err := s.ClaimDelivery(ctx, id, evTime)
			slices.Sort(prior)
			if !fresh || err != nil || !slices.Equal(prior, []string{"default", "default/sqs"}) {
				t.Fatalf("retry claim: fresh %v prior %v err %v", fresh, prior, err)
			}
			if name == "dynamo" {
				if err := s.Commit(ctx, id); err != nil {
					t.Fatal(err)
				}
				if fresh, _, err := s.ClaimDelivery(ctx, id, evTime); fresh || err != nil {
					t.Fatalf("claim after commit: fresh %v err %v", fresh, err)
				}
			}
			other := "fedcba9876543210fedcba9876543210"
			if fresh, _, err := s.ClaimDelivery(ctx, other, evTime); !fresh || err != nil {
				t.Fatal(fresh, err)
			}
			if err := s.ReleasePartial(ctx, other, nil); err != nil {
				t.Fatal(err)
			}
			if fresh, prior, err := s.ClaimDelivery(ctx, other, evTime); !fresh || prior != nil || err != nil {
				t.Fatalf("after a plain release: %v %v %v", fresh, prior, err)
			}
		})
	}
}
