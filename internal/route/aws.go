package route

import (
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/trailhound/trailhound/internal/delivery"
	"github.com/trailhound/trailhound/internal/sink"
	"github.com/trailhound/trailhound/internal/team"
)

// AWSOpener opens a team's routes as the sinks of internal/sink (SQS, SNS, EventBridge,
// and the PagerDuty, Slack and webhook destinations), one client per service and one cached
// credential per secret shared by every team. pagerDutyURL is PagerDuty's endpoint ("" for
// the real one; PAGERDUTY_EVENTS_URL in the environment).
func AWSOpener(cfg aws.Config, pagerDutyURL string) Opener {
	var (
		sqsClient = sqs.NewFromConfig(cfg)
		snsClient = sns.NewFromConfig(cfg)
		ebClient  = eventbridge.NewFromConfig(cfg)
		dests     = sink.NewDestinationsFromConfig(cfg, pagerDutyURL)
	)
	return func(_ string, r team.Routes) (delivery.Sender, error) {
		m := &sink.Multi{}
		if r.SQSQueueURL != "" {
			m.Sinks = append(m.Sinks, sink.Named{Name: "sqs", Sender: sink.NewSQS(sqsClient, r.SQSQueueURL)})
		}
		if r.SNSTopicARN != "" {
			m.Sinks = append(m.Sinks, sink.Named{Name: "sns", Sender: sink.NewSNS(snsClient, r.SNSTopicARN)})
		}
		if r.EventBusName != "" {
			m.Sinks = append(m.Sinks, sink.Named{Name: "eventbridge", Sender: sink.NewEventBridge(ebClient, r.EventBusName)})
		}
		third, err := dests.Open(Destinations(r))
		if err != nil {
			return nil, err
		}
		m.Sinks = append(m.Sinks, third...)
		return m, nil
	}
}

// Destinations are the third-party destinations a team's routes name.
func Destinations(r team.Routes) sink.DestinationConfig {
	return sink.DestinationConfig{
		PagerDutySecret: r.PagerDutySecret, PagerDutyMinSeverity: r.PagerDutyMinSeverity,
		SlackSecret: r.SlackSecret, SlackMinSeverity: r.SlackMinSeverity,
		WebhookURL: r.WebhookURL, WebhookSecret: r.WebhookSecret, WebhookMinSeverity: r.WebhookMinSeverity,
	}
}
