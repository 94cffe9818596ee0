package engine

import (
	"encoding/json"
	"fmt"
	"sort"
)

// CloudTrailDetailType is the EventBridge detail-type of CloudTrail API call events.
const CloudTrailDetailType = "AWS API Call via CloudTrail"

// Pattern returns the EventBridge event pattern that matches exactly the (eventSource,
// eventName) pairs in events: one branch per event source under "$or", so an eventName
// declared for one service never routes the same name from another.
func Pattern(events map[string][]string) ([]byte, error) {
	if len(events) == 0 {
		return nil, fmt.Errorf("event pattern: no rule declares any event")
	}
	sources := make([]string, 0, len(events))
	for src := range events {
		sources = append(sources, src)
	}
	sort.Strings(sources)
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
		"detail-type": []string{CloudTrailDetailType},
		"detail":      detail,
	}, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("event pattern: %w", err)
	}
	return append(b, '\n'), nil
}
