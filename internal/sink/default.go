package sink

import (
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/firehose"
	"github.com/aws/aws-sdk-go-v2/service/securityhub"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/trailhound/trailhound/internal/settings"
)

// FromSettings opens the sinks of the default route d names (internal/settings reads them
// from the environment), in a fixed order: sqs, securityhub, sns, eventbridge, firehose, then
// the third-party destinations pagerduty, slack and webhook (destinations.go), whose
// credentials are read from Secrets Manager on first use. It returns an empty Multi when none
// is named, and an error for a destination it cannot use. cfg is the SDK configuration the
// clients are made from: the caller's, loaded with Retryer as its retryer (in Lambda,
// awsenv.Load with Options.Retryer; the sinks load none of their own).
func FromSettings(cfg aws.Config, d settings.Destinations) (*Multi, error) {
	m := &Multi{}
	if d.QueueURL != "" {
		m.Sinks = append(m.Sinks, Named{"sqs", NewSQS(sqs.NewFromConfig(cfg), d.QueueURL)})
	}
	if d.SecurityHub {
		if cfg.Region == "" {
			return nil, fmt.Errorf("%s=true needs a region (%s)", settings.SecurityHub.Name, settings.Region.Name)
		}
		m.Sinks = append(m.Sinks, Named{"securityhub", NewSecurityHub(securityhub.NewFromConfig(cfg), sts.NewFromConfig(cfg), cfg.Region)})
	}
	if d.TopicARN != "" {
		m.Sinks = append(m.Sinks, Named{"sns", NewSNS(sns.NewFromConfig(cfg), d.TopicARN)})
	}
	if d.BusName != "" {
		m.Sinks = append(m.Sinks, Named{"eventbridge", NewEventBridge(eventbridge.NewFromConfig(cfg), d.BusName)})
	}
	if d.FirehoseStream != "" {
		fh, err := NewFirehose(firehose.NewFromConfig(cfg), d.FirehoseStream)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", settings.FirehoseStream.Name, err)
		}
		m.Sinks = append(m.Sinks, Named{"firehose", fh})
	}
	if dc := DefaultDestinations(d); !dc.Empty() {
		dests, err := NewDestinationsFromConfig(cfg, d.PagerDutyEventsURL).Open(dc)
		if err != nil {
			return nil, err
		}
		m.Sinks = append(m.Sinks, dests...)
	}
	return m, nil
}

// DefaultDestinations are the third-party destinations of the default route.
func DefaultDestinations(d settings.Destinations) DestinationConfig {
	return DestinationConfig{
		PagerDutySecret: d.PagerDutySecret, PagerDutyMinSeverity: d.PagerDutyMinSeverity,
		SlackSecret: d.SlackSecret, SlackMinSeverity: d.SlackMinSeverity,
		WebhookURL: d.WebhookURL, WebhookSecret: d.WebhookSecret, WebhookMinSeverity: d.WebhookMinSeverity,
	}
}
