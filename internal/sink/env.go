package sink

import (
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/securityhub"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// Environment variables that configure the AWS sinks (docs/ARCHITECTURE.md, Configuration).
const (
	EnvQueueURL    = "ALERT_QUEUE_URL"
	EnvTopicARN    = "ALERT_TOPIC_ARN"
	EnvBusName     = "ALERT_BUS_NAME"
	EnvSecurityHub = "SECURITY_HUB"
)

// FromEnv builds the sinks the environment asks for, in a fixed order: sqs, securityhub,
// sns, eventbridge, firehose, then the third-party destinations pagerduty, slack and webhook
// (destinations.go), whose credentials are read from Secrets Manager on first use. getenv is os.Getenv in production. It returns an empty Multi when none is
// configured, and an error for a value it cannot use. cfg is the SDK configuration the clients
// are made from: the caller's, loaded with Retryer as its retryer (in Lambda, awsenv.Load with
// Options.Retryer; the sinks load none of their own).
func FromEnv(cfg aws.Config, getenv func(string) string) (*Multi, error) {
	m := &Multi{}
	if u := strings.TrimSpace(getenv(EnvQueueURL)); u != "" {
		if !strings.HasPrefix(u, "https://") && !strings.HasPrefix(u, "http://") {
			return nil, fmt.Errorf("%s: want a queue URL, got %q", EnvQueueURL, u)
		}
		m.Sinks = append(m.Sinks, Named{"sqs", NewSQS(sqs.NewFromConfig(cfg), u)})
	}
	switch v := strings.ToLower(strings.TrimSpace(getenv(EnvSecurityHub))); v {
	case "true", "1", "yes":
		if cfg.Region == "" {
			return nil, fmt.Errorf("%s=true needs a region (AWS_REGION)", EnvSecurityHub)
		}
		m.Sinks = append(m.Sinks, Named{"securityhub", NewSecurityHub(securityhub.NewFromConfig(cfg), sts.NewFromConfig(cfg), cfg.Region)})
	case "", "false", "0", "no":
	default:
		return nil, fmt.Errorf("%s: want true or false, got %q", EnvSecurityHub, v)
	}
	if t := strings.TrimSpace(getenv(EnvTopicARN)); t != "" {
		if !strings.HasPrefix(t, "arn:") {
			return nil, fmt.Errorf("%s: want a topic ARN, got %q", EnvTopicARN, t)
		}
		m.Sinks = append(m.Sinks, Named{"sns", NewSNS(sns.NewFromConfig(cfg), t)})
	}
	if b := strings.TrimSpace(getenv(EnvBusName)); b != "" {
		m.Sinks = append(m.Sinks, Named{"eventbridge", NewEventBridge(eventbridge.NewFromConfig(cfg), b)})
	}
	fh, err := firehoseFromEnv(cfg, getenv)
	if err != nil {
		return nil, err
	}
	if fh != nil {
		m.Sinks = append(m.Sinks, Named{"firehose", fh})
	}
	if dc := DestinationConfigFromEnv(getenv); !dc.Empty() {
		dests, err := NewDestinationsFromConfig(cfg, getenv).Open(dc)
		if err != nil {
			return nil, err
		}
		m.Sinks = append(m.Sinks, dests...)
	}
	return m, nil
}
