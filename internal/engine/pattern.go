package engine

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"

	"github.com/trailhound/trailhound/internal/event"
)

// CloudTrailDetailType is the EventBridge detail-type of CloudTrail API call events.
const CloudTrailDetailType = "AWS API Call via CloudTrail"

// PatternMaxChars is EventBridge's default quota on the size of an event pattern, in
// characters (adjustable to 4096 by a service quota increase).
const PatternMaxChars = 2048

// Pattern returns the EventBridge event pattern that matches exactly the (eventSource,
// eventName) pairs in events: one branch per event source under "$or", so an eventName
// declared for one service never routes the same name from another; and only under the AWS
// sources of those services ("source": ["aws.iam", ...]; see event.AWSSource), which
// EventBridge reserves for AWS, so no one else's event with the same detail reaches the
// detector. An event source that is not on the allow-list of AWS sources is an error.
func Pattern(events map[string][]string) ([]byte, error) {
	if len(events) == 0 {
		return nil, fmt.Errorf("event pattern: no rule declares any event")
	}
	sources := make([]string, 0, len(events))
	awsSet := map[string]bool{}
	for src := range events {
		sources = append(sources, src)
		aws, ok := event.AWSSource(src)
		if !ok {
			return nil, fmt.Errorf("event pattern: eventSource %q is not on the allow-list of AWS event sources (internal/event/source.go); add it with the EventBridge source AWS sends its events under", src)
		}
		awsSet[aws] = true
	}
	sort.Strings(sources)
	awsSources := make([]string, 0, len(awsSet))
	for s := range awsSet {
		awsSources = append(awsSources, s)
	}
	sort.Strings(awsSources)
	branch := func(src string) map[string]any {
		names := append([]string(nil), events[src]...)
		sort.Strings(names)
		return map[string]any{"eventSource": []string{src}, "eventName": names}
	}
	var detail any
	if len(sources) == 1 {
		detail = branch(sources[0])
	} else {
		branches := make([]any, len(sources))
		for i, src := range sources {
			branches[i] = branch(src)
		}
		detail = map[string]any{"$or": branches}
	}
	b, err := json.MarshalIndent(map[string]any{
		"source":      awsSources,
		"detail-type": []string{CloudTrailDetailType},
		"detail":      detail,
	}, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("event pattern: %w", err)
	}
	return append(b, '\n'), nil
}

// CheckPatternSize returns an error when pattern (JSON, any layout) is longer than max
// characters once compacted, as EventBridge counts it.
func CheckPatternSize(pattern []byte, max int) error {
	var buf bytes.Buffer
	if err := json.Compact(&buf, pattern); err != nil {
		return fmt.Errorf("event pattern: %w", err)
	}
	if n := len([]rune(buf.String())); n > max {
		return fmt.Errorf("event pattern is %d characters, over the limit of %d (EventBridge's default quota is %d, adjustable to 4096): split the rules across rules or raise --max-chars after raising the quota", n, max, PatternMaxChars)
	}
	return nil
}
