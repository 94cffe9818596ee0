package state

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// DynamoDB item attributes of an idempotency record. The table's partition key is "id" (S) and
// its TTL attribute "expires_at" (N, epoch seconds); deploy/template.yaml creates it so.
const (
	attrID        = "id"
	attrExpiresAt = "expires_at"
	attrState     = "state"
	attrLease     = "lease_until"
	attrEventTime = "event_time"

	statePending   = "pending"
	stateDelivered = "delivered"
)

// MinRetention is the shortest time an idempotency record outlives its event: EventBridge
// retries a target for up to 24 h and Lambda's asynchronous queue keeps an event up to 6 h.
const MinRetention = 30 * time.Hour

// ErrInFlight means another invocation holds an unexpired claim on the alert and has not yet
// reported it delivered. It is an error, not a duplicate: if that invocation dies before
// delivering, this event's redelivery is what raises the alert.
var ErrInFlight = errors.New("alert is being delivered by another invocation")

// dynamoAPI is the part of the DynamoDB client the store uses.
type dynamoAPI interface {
	PutItem(ctx context.Context, in *dynamodb.PutItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error)
	UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error)
	DeleteItem(ctx context.Context, in *dynamodb.DeleteItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.DeleteItemOutput, error)
}

// Dynamo is the idempotency store of the Lambda: one item per alert id, shared by every
// concurrent invocation and every retry.
//
// A claim is a conditional PutItem that succeeds only when no live record exists. It starts
// "pending" with a lease that ends when the claiming invocation's deadline has passed; Commit
// marks it "delivered" after the sinks accepted the alert, and Release deletes it after they
// did not. So a duplicate of a delivered alert is suppressed, a duplicate racing an
// undelivered one fails with ErrInFlight (and is retried by AWS), and a claim left pending by
// an invocation that crashed or timed out expires with its lease instead of swallowing the
// alert forever. Records expire Retention after the later of the event time and now
// (DynamoDB's TTL deletes them; until then an expired record counts as absent).
type Dynamo struct {
	client    dynamoAPI
	table     string
	Retention time.Duration // >= MinRetention; DefaultRetention by default
	// Lease is how long a pending claim holds when the context has no deadline; with a
	// deadline (every Lambda invocation has one) the lease ends LeaseMargin after it.
	Lease, LeaseMargin time.Duration
	Now                func() time.Time
}

// NewDynamo returns a store backed by table.
func NewDynamo(client dynamoAPI, table string) *Dynamo {
	return &Dynamo{client: client, table: table, Retention: DefaultRetention, Lease: 15 * time.Minute, LeaseMargin: 30 * time.Second, Now: time.Now}
}

// Claim records id as pending and reports whether it was new: false (and no error) when the
// alert was already delivered, ErrInFlight when another invocation holds a live claim.
func (d *Dynamo) Claim(ctx context.Context, id string, eventTime time.Time) (bool, error) {
	now := d.Now()
	base := now
	if eventTime.After(base) {
		base = eventTime
	}
	retention := max(d.Retention, MinRetention)
	lease := now.Add(d.Lease)
	if dl, ok := ctx.Deadline(); ok {
		lease = dl.Add(d.LeaseMargin)
	}
	item := map[string]types.AttributeValue{
		attrID:        &types.AttributeValueMemberS{Value: id},
		attrState:     &types.AttributeValueMemberS{Value: statePending},
		attrExpiresAt: number(base.Add(retention).Unix()),
		attrLease:     number(lease.UnixMilli()),
	}
	if !eventTime.IsZero() {
		item[attrEventTime] = &types.AttributeValueMemberS{Value: eventTime.UTC().Format(time.RFC3339)}
	}
	_, err := d.client.PutItem(ctx, &dynamodb.PutItemInput{
		TableName:           aws.String(d.table),
		Item:                item,
		ConditionExpression: aws.String("attribute_not_exists(#id) OR #exp < :now_s OR #state = :partial OR (#state = :pending AND #lease < :now_ms)"),
		ExpressionAttributeNames: map[string]string{
			"#id": attrID, "#exp": attrExpiresAt, "#state": attrState, "#lease": attrLease,
		},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":now_s":   number(now.Unix()),
			":now_ms":  number(now.UnixMilli()),
			":pending": &types.AttributeValueMemberS{Value: statePending},
			":partial": &types.AttributeValueMemberS{Value: statePartial},
		},
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	})
	if err == nil {
		return true, nil
	}
	var ccf *types.ConditionalCheckFailedException
	if !errors.As(err, &ccf) {
		return false, fmt.Errorf("claim alert %s in table %s: %w", id, d.table, err)
	}
	if s, ok := ccf.Item[attrState].(*types.AttributeValueMemberS); ok && s.Value == stateDelivered {
		return false, nil
	}
	until := ""
	if l, ok := ccf.Item[attrLease].(*types.AttributeValueMemberN); ok {
		if ms, err := strconv.ParseInt(l.Value, 10, 64); err == nil {
			until = " until " + time.UnixMilli(ms).UTC().Format(time.RFC3339)
		}
	}
	return false, fmt.Errorf("claim alert %s: %w (lease%s)", id, ErrInFlight, until)
}

// Commit marks the alerts delivered, so later duplicates are suppressed.
func (d *Dynamo) Commit(ctx context.Context, ids ...string) error {
	var errs []error
	for _, id := range ids {
		_, err := d.client.UpdateItem(ctx, &dynamodb.UpdateItemInput{
			TableName:                 aws.String(d.table),
			Key:                       key(id),
			UpdateExpression:          aws.String("SET #state = :delivered REMOVE #lease"),
			ConditionExpression:       aws.String("attribute_exists(#id)"),
			ExpressionAttributeNames:  map[string]string{"#id": attrID, "#state": attrState, "#lease": attrLease},
			ExpressionAttributeValues: map[string]types.AttributeValue{":delivered": &types.AttributeValueMemberS{Value: stateDelivered}},
		})
		if err != nil {
			errs = append(errs, fmt.Errorf("mark alert %s delivered in table %s: %w", id, d.table, err))
		}
	}
	return errors.Join(errs...)
}

// Release deletes a pending claim after a failed delivery, so the retry can raise the alert.
// A record that is no longer pending (another invocation reclaimed it after the lease and
// delivered) is left alone.
func (d *Dynamo) Release(ctx context.Context, id string) error {
	_, err := d.client.DeleteItem(ctx, &dynamodb.DeleteItemInput{
		TableName:                 aws.String(d.table),
		Key:                       key(id),
		ConditionExpression:       aws.String("#state = :pending"),
		ExpressionAttributeNames:  map[string]string{"#state": attrState},
		ExpressionAttributeValues: map[string]types.AttributeValue{":pending": &types.AttributeValueMemberS{Value: statePending}},
	})
	var ccf *types.ConditionalCheckFailedException
	if err != nil && !errors.As(err, &ccf) {
		return fmt.Errorf("release alert %s in table %s: %w", id, d.table, err)
	}
	return nil
}

func key(id string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{attrID: &types.AttributeValueMemberS{Value: id}}
}

func number(n int64) *types.AttributeValueMemberN {
	return &types.AttributeValueMemberN{Value: strconv.FormatInt(n, 10)}
}
