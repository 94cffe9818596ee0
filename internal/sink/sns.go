package sink

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sns/types"

	"github.com/trailhound/trailhound/internal/alert"
	"github.com/trailhound/trailhound/internal/delivery"
)

// SNS limits: a message of at most 256 KiB (262,144 bytes of UTF-8), a subject of fewer than
// 100 printable ASCII characters with no line breaks.
const (
	snsMaxMessage = 256 * 1024
	snsMaxSubject = 99
)

// snsAPI is the part of the SNS client the sink uses.
type snsAPI interface {
	Publish(ctx context.Context, in *sns.PublishInput, optFns ...func(*sns.Options)) (*sns.PublishOutput, error)
}

// SNS publishes each alert's text rendering (alert.Text, the one the CLI prints) to a topic,
// for e-mail and chat subscribers. The subject is "[SEVERITY] title"; message attributes
// severity, rule_id and team allow subscription filter policies. On a FIFO topic the message
// group is the actor and the deduplication id the alert id.
type SNS struct {
	client   snsAPI
	topicARN string
	fifo     bool
}

// NewSNS returns a sink publishing to topicARN.
func NewSNS(client snsAPI, topicARN string) *SNS {
	return &SNS{client: client, topicARN: topicARN, fifo: strings.HasSuffix(topicARN, ".fifo")}
}

// Send publishes one message per alert.
func (s *SNS) Send(ctx context.Context, alerts []*alert.Alert) error {
	var errs []error
	for _, a := range alerts {
		in := &sns.PublishInput{
			TopicArn: aws.String(s.topicARN),
			Subject:  aws.String(snsSubject(a)),
			Message:  aws.String(snsMessage(a)),
			MessageAttributes: map[string]types.MessageAttributeValue{
				"severity": snsAttr(a.Severity),
				"rule_id":  snsAttr(a.Rule.ID),
			},
		}
		if a.Rule.Team != "" {
			in.MessageAttributes["team"] = snsAttr(a.Rule.Team)
		}
		if s.fifo {
			in.MessageGroupId = aws.String(groupID(a))
			in.MessageDeduplicationId = aws.String(dedupID(a))
		}
		if _, err := s.client.Publish(ctx, in); err != nil {
			errs = append(errs, &delivery.AlertError{AlertID: a.ID, Err: fmt.Errorf("publish: %w", err)})
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("sns %s: %w", s.topicARN, err)
	}
	return nil
}

// snsSubject is "[SEVERITY] title" as printable ASCII, cut to the subject limit.
func snsSubject(a *alert.Alert) string {
	subj := markupSafe(asciiLine(fmt.Sprintf("[%s] %s", a.Severity, defang(a.Title))))
	if subj == "" {
		subj = "trailhound alert"
	}
	return truncate(subj, snsMaxSubject, "...")
}

// snsMessage is the alert's text rendering (event values defanged, markup neutralised:
// markup.go), cut to the SNS limit with a note saying where the
// full alert is when it does not fit.
func snsMessage(a *alert.Alert) string {
	msg := markupSafe(alert.Text(defanged(a)))
	note := fmt.Sprintf("\n[message truncated to the SNS size limit; the full alert is %s in the triage queue and Security Hub]\n", a.ID)
	return truncate(msg, snsMaxMessage, note)
}

func snsAttr(v string) types.MessageAttributeValue {
	return types.MessageAttributeValue{DataType: aws.String("String"), StringValue: aws.String(attrValue(v))}
}
