package state

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// Partial delivery. An alert whose delivery failed at some destinations and reached others
// (internal/delivery) is released with the destinations it reached; the claim that the retry
// makes returns them, so the retry sends the alert only where it has not been yet.

// ClaimDelivery is Claim that also returns the destinations an earlier, partly failed
// delivery of the alert reached (ReleasePartial).
func (m *Memory) ClaimDelivery(ctx context.Context, id string, eventTime time.Time) (bool, []string, error) {
	fresh, err := m.Claim(ctx, id, eventTime)
	if !fresh || err != nil {
		return fresh, nil, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	dests := m.partial[id]
	delete(m.partial, id)
	return true, dests, nil
}

// ReleasePartial releases the claim on id and remembers the destinations it reached.
func (m *Memory) ReleasePartial(ctx context.Context, id string, delivered []string) error {
	if err := m.Release(ctx, id); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.partial == nil {
		m.partial = map[string][]string{}
	}
	if len(delivered) > 0 {
		m.partial[id] = slices.Clone(delivered)
	}
	return nil
}

// DynamoDB attribute of the destinations a partly failed delivery reached (a string set),
// and the state of its record until the retry claims it.
const (
	attrDelivered = "delivered_to"
	statePartial  = "partial"
)

// ClaimDelivery claims id as Claim does, with an UpdateItem that keeps the record's
// delivered_to set, returning it when the record was released partly delivered
// (ReleasePartial). A partial record can be claimed at once, as an absent one.
func (d *Dynamo) ClaimDelivery(ctx context.Context, id string, eventTime time.Time) (bool, []string, error) {
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
	set := "SET #state = :pending, #exp = :exp, #lease = :lease"
	values := map[string]types.AttributeValue{
		":pending": &types.AttributeValueMemberS{Value: statePending},
		":partial": &types.AttributeValueMemberS{Value: statePartial},
		":exp":     number(base.Add(retention).Unix()),
		":lease":   number(lease.UnixMilli()),
		":now_s":   number(now.Unix()),
		":now_ms":  number(now.UnixMilli()),
	}
	names := map[string]string{"#id": attrID, "#exp": attrExpiresAt, "#state": attrState, "#lease": attrLease}
	if !eventTime.IsZero() {
		set += ", #et = :et"
		names["#et"] = attrEventTime
		values[":et"] = &types.AttributeValueMemberS{Value: eventTime.UTC().Format(time.RFC3339)}
	}
	out, err := d.client.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                           aws.String(d.table),
		Key:                                 key(id),
		UpdateExpression:                    aws.String(set),
		ConditionExpression:                 aws.String("attribute_not_exists(#id) OR #exp < :now_s OR #state = :partial OR (#state = :pending AND #lease < :now_ms)"),
		ExpressionAttributeNames:            names,
		ExpressionAttributeValues:           values,
		ReturnValues:                        types.ReturnValueAllOld,
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	})
	if err == nil {
		var dests []string
		old := out.Attributes
		if s, ok := old[attrState].(*types.AttributeValueMemberS); ok && s.Value == statePartial {
			if ss, ok := old[attrDelivered].(*types.AttributeValueMemberSS); ok {
				dests = ss.Value
			}
		}
		slices.Sort(dests)
		return true, dests, nil
	}
	var ccf *types.ConditionalCheckFailedException
	if !errors.As(err, &ccf) {
		return false, nil, fmt.Errorf("claim alert %s in table %s: %w", id, d.table, err)
	}
	if s, ok := ccf.Item[attrState].(*types.AttributeValueMemberS); ok && s.Value == stateDelivered {
		return false, nil, nil
	}
	return false, nil, fmt.Errorf("claim alert %s: %w", id, ErrInFlight)
}

// ReleasePartial releases the pending claim on id after a delivery that reached only the
// destinations delivered: the record stays, state partial, with them in delivered_to, for
// the retry's claim. Without destinations it is Release.
func (d *Dynamo) ReleasePartial(ctx context.Context, id string, delivered []string) error {
	if len(delivered) == 0 {
		return d.Release(ctx, id)
	}
	_, err := d.client.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:           aws.String(d.table),
		Key:                 key(id),
		UpdateExpression:    aws.String("SET #state = :partial, #dlv = :dlv REMOVE #lease"),
		ConditionExpression: aws.String("#state = :pending"),
		ExpressionAttributeNames: map[string]string{
			"#state": attrState, "#dlv": attrDelivered, "#lease": attrLease,
		},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":pending": &types.AttributeValueMemberS{Value: statePending},
			":partial": &types.AttributeValueMemberS{Value: statePartial},
			":dlv":     &types.AttributeValueMemberSS{Value: slices.Clone(delivered)},
		},
	})
	var ccf *types.ConditionalCheckFailedException
	if err != nil && !errors.As(err, &ccf) {
		return fmt.Errorf("release alert %s (delivered to %v) in table %s: %w", id, delivered, d.table, err)
	}
	return nil
}
