package route

import (
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/trailhound/trailhound/internal/sink"
	"github.com/trailhound/trailhound/internal/team"
)

// AWSOpener opens a team's routes as the AWS sinks of internal/sink (SQS, SNS,
// EventBridge), one client per service shared by every team.
func AWSOpener(cfg aws.Config) Opener {
	var (
		sqsClient = sqs.NewFromConfig(cfg)
		snsClient = sns.NewFromConfig(cfg)
		ebClient  = eventbridge.NewFromConfig(cfg)
	)
	return func(_ string, r team.Routes) (Sender, error) {
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
		return m, nil
	}
}
