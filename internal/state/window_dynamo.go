package state

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// Window items share the idempotency table (partition key "id", TTL "expires_at"; see
// dynamo.go): id is "window#<kind>#<rule>#<key>", "window" holds the group as JSON and
// "version" numbers its writes.
const (
	windowPrefix  = "window#"
	attrWindow    = "window"
	attrVersion   = "version"
	windowRetries = 20
)

// windowDynamoAPI is the part of the DynamoDB client the window store uses.
type windowDynamoAPI interface {
	GetItem(ctx context.Context, in *dynamodb.GetItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error)
	PutItem(ctx context.Context, in *dynamodb.PutItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error)
}

// DynamoWindows keeps dedup and threshold windows in DynamoDB, shared by every concurrent
// Lambda invocation. Each group is one item updated by optimistic concurrency: read it
// (strongly consistent), decide with the same code as MemoryWindows, and write it back with
// a conditional PutItem that succeeds only if nobody wrote since (version unchanged, or the
// item still absent). A writer that loses the race reads again and re-decides, so two
// invocations can never both raise the same window. Items expire (TTL) Retention after the
// last write.
type DynamoWindows struct {
	client windowDynamoAPI
	table  string
	// Retention is how long an item outlives its last write, on top of two windows;
	// MinRetention by default (late retries of the events it counted stay recognised).
	Retention time.Duration
	Now       func() time.Time
}

// NewDynamoWindows returns a window store backed by table (the STATE_TABLE).
func NewDynamoWindows(client windowDynamoAPI, table string) *DynamoWindows {
	return &DynamoWindows{client: client, table: table, Retention: MinRetention, Now: time.Now}
}

// Observe offers ev to the window of s and says what to deliver.
func (d *DynamoWindows) Observe(ctx context.Context, s Spec, ev Event) (Decision, error) {
	if err := s.validate(); err != nil {
		return Decision{}, err
	}
	id := windowPrefix + s.id()
	for attempt := 0; ; attempt++ {
		g, version, err := d.load(ctx, id)
		if err != nil {
			return Decision{}, err
		}
		dec, changed := g.apply(s, ev)
		if !changed {
			return dec, nil
		}
		err = d.store(ctx, id, g, version, s.Window)
		if err == nil {
			return dec, nil
		}
		var ccf *types.ConditionalCheckFailedException
		if !errors.As(err, &ccf) {
			return Decision{}, fmt.Errorf("store %s window of %s in table %s: %w", s.Kind, s.Rule, d.table, err)
		}
		if attempt >= windowRetries {
			return Decision{}, fmt.Errorf("store %s window of %s in table %s: %d concurrent writers won in a row: %w", s.Kind, s.Rule, d.table, attempt+1, err)
		}
		if err := backoff(ctx, attempt); err != nil {
			return Decision{}, err
		}
	}
}

func (d *DynamoWindows) load(ctx context.Context, id string) (*group, int64, error) {
	out, err := d.client.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(d.table), Key: key(id), ConsistentRead: aws.Bool(true)})
	if err != nil {
		return nil, 0, fmt.Errorf("read window %s from table %s: %w", id, d.table, err)
	}
	g := &group{}
	if out.Item == nil {
		return g, 0, nil
	}
	ver, _ := out.Item[attrVersion].(*types.AttributeValueMemberN)
	body, _ := out.Item[attrWindow].(*types.AttributeValueMemberS)
	if ver == nil || body == nil {
		return nil, 0, fmt.Errorf("read window %s from table %s: item lacks %s or %s", id, d.table, attrVersion, attrWindow)
	}
	v, err := strconv.ParseInt(ver.Value, 10, 64)
	if err != nil {
		return nil, 0, fmt.Errorf("read window %s: version %q: %w", id, ver.Value, err)
	}
	if err := json.Unmarshal([]byte(body.Value), g); err != nil {
		return nil, 0, fmt.Errorf("read window %s: %w", id, err)
	}
	return g, v, nil
}

func (d *DynamoWindows) store(ctx context.Context, id string, g *group, version int64, window time.Duration) error {
	body, err := json.Marshal(g)
	if err != nil {
		return fmt.Errorf("encode window %s: %w", id, err)
	}
	expires := d.Now().Add(horizon(window) + max(d.Retention, MinRetention))
	in := &dynamodb.PutItemInput{
		TableName: aws.String(d.table),
		Item: map[string]types.AttributeValue{
			attrID:        &types.AttributeValueMemberS{Value: id},
			attrWindow:    &types.AttributeValueMemberS{Value: string(body)},
			attrVersion:   number(version + 1),
			attrExpiresAt: number(expires.Unix()),
		},
	}
	if version == 0 {
		in.ConditionExpression = aws.String("attribute_not_exists(#id)")
		in.ExpressionAttributeNames = map[string]string{"#id": attrID}
	} else {
		in.ConditionExpression = aws.String("#v = :v")
		in.ExpressionAttributeNames = map[string]string{"#v": attrVersion}
		in.ExpressionAttributeValues = map[string]types.AttributeValue{":v": number(version)}
	}
	_, err = d.client.PutItem(ctx, in)
	return err
}

// backoff waits before a retry after losing a write race: exponential from 5 ms, capped at
// 200 ms, with full jitter so racing invocations spread out.
func backoff(ctx context.Context, attempt int) error {
	ceiling := min(5*time.Millisecond<<min(attempt, 6), 200*time.Millisecond)
	t := time.NewTimer(time.Duration(rand.Int64N(int64(ceiling)) + 1))
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
