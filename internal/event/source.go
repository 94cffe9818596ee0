package event

import (
	"errors"
	"fmt"
)

// This file is the trust boundary of the EventBridge envelope. EventBridge reserves "source"
// values starting "aws." for AWS: PutEvents refuses them from anyone else. Anyone allowed to
// put events on a bus (any principal of any member account, for a central bus) can send
// detail-type "AWS API Call via CloudTrail" with any detail, but only under a source of their
// own. So an EventBridge event is admitted only when its source is the AWS source its
// record's eventSource implies (allow-list below), and its account is equal to the record's
// recipientAccountId (when the record has that key at all).

// ErrForgedEnvelope: an EventBridge event whose envelope is not one AWS would send for its
// record (source not the one its detail.eventSource implies, account not its
// detail.recipientAccountId): a possible forgery, refused.
var ErrForgedEnvelope = errors.New("forged EventBridge envelope")

// ErrUnenveloped: a bare record (no EventBridge envelope) where only AWS-sent EventBridge
// events are admitted (the Lambda handler); its origin cannot be checked, so it is refused.
var ErrUnenveloped = errors.New("record without an EventBridge envelope")

// awsSources maps a CloudTrail eventSource to the EventBridge source AWS puts its events
// under: the allow-list of the envelope check and of the EventBridge pattern. Most services
// follow "aws." + the host's first label; the exceptions are listed as AWS names them.
var awsSources = map[string]string{
	"access-analyzer.amazonaws.com":      "aws.access-analyzer",
	"acm.amazonaws.com":                  "aws.acm",
	"apigateway.amazonaws.com":           "aws.apigateway",
	"backup.amazonaws.com":               "aws.backup",
	"cloudformation.amazonaws.com":       "aws.cloudformation",
	"cloudtrail.amazonaws.com":           "aws.cloudtrail",
	"codebuild.amazonaws.com":            "aws.codebuild",
	"cognito-idp.amazonaws.com":          "aws.cognito-idp",
	"config.amazonaws.com":               "aws.config",
	"dynamodb.amazonaws.com":             "aws.dynamodb",
	"ec2.amazonaws.com":                  "aws.ec2",
	"ecr.amazonaws.com":                  "aws.ecr",
	"ecs.amazonaws.com":                  "aws.ecs",
	"eks.amazonaws.com":                  "aws.eks",
	"elasticloadbalancing.amazonaws.com": "aws.elasticloadbalancing",
	"events.amazonaws.com":               "aws.events",
	"guardduty.amazonaws.com":            "aws.guardduty",
	"iam.amazonaws.com":                  "aws.iam",
	"kms.amazonaws.com":                  "aws.kms",
	"lambda.amazonaws.com":               "aws.lambda",
	"logs.amazonaws.com":                 "aws.logs",
	"monitoring.amazonaws.com":           "aws.cloudwatch",
	"organizations.amazonaws.com":        "aws.organizations",
	"rds.amazonaws.com":                  "aws.rds",
	"route53.amazonaws.com":              "aws.route53",
	"s3.amazonaws.com":                   "aws.s3",
	"secretsmanager.amazonaws.com":       "aws.secretsmanager",
	"securityhub.amazonaws.com":          "aws.securityhub",
	"signin.amazonaws.com":               "aws.signin",
	"sns.amazonaws.com":                  "aws.sns",
	"sqs.amazonaws.com":                  "aws.sqs",
	"sso.amazonaws.com":                  "aws.sso",
	"ssm.amazonaws.com":                  "aws.ssm",
	"states.amazonaws.com":               "aws.states",
	"sts.amazonaws.com":                  "aws.sts",
}

// AWSSource returns the EventBridge source AWS sends CloudTrail events of eventSource under,
// and false when eventSource is not on the allow-list.
func AWSSource(eventSource string) (string, bool) {
	s, ok := awsSources[eventSource]
	return s, ok
}

// checkEnvelope checks the EventBridge event b (top-level keys in f, detail keys in df)
// against its record: it returns an error wrapping ErrForgedEnvelope unless the source is
// the AWS source of the record's eventSource and the account is its recipientAccountId.
func (d *Decoder) checkEnvelope(b []byte, f, df *fields) error {
	src, ok := d.envString(b, f, keySource)
	if !ok {
		return fmt.Errorf("%w: no source string", ErrForgedEnvelope)
	}
	es, _ := d.envString(b, df, keyEventSource)
	want, known := AWSSource(es)
	switch {
	case !known:
		return fmt.Errorf("%w: detail.eventSource %s is not an AWS service source the detector admits (source %s)", ErrForgedEnvelope, quoteValue([]byte(es)), quoteValue([]byte(src)))
	case src != want:
		return fmt.Errorf("%w: source %s, but detail.eventSource %s is sent by AWS as %q", ErrForgedEnvelope, quoteValue([]byte(src)), quoteValue([]byte(es)), want)
	}
	acct, ok := d.envString(b, f, keyAccount)
	if !ok || acct == "" {
		return fmt.Errorf("%w: no account", ErrForgedEnvelope)
	}
	// A detail without recipientAccountId (documentation samples are cut that way) has
	// nothing to disagree with; one that has it must name the envelope's account.
	if rid, ok := d.envString(b, df, keyRecipientAccountID); (ok || df.has(keyRecipientAccountID)) && acct != rid {
		return fmt.Errorf("%w: account %s, but detail.recipientAccountId is %s", ErrForgedEnvelope, quoteValue([]byte(acct)), quoteValue([]byte(rid)))
	}
	return nil
}

// envString is captured key k of f as a string (a copy: strValue's bytes are reused).
func (d *Decoder) envString(b []byte, f *fields, k int) (string, bool) {
	s, ok := d.strValue(b, f, k)
	return string(s), ok
}
