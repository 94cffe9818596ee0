package event

import (
	"fmt"
	"time"
)

// timeLayouts are the eventTime forms seen in real records: CloudTrail's own RFC 3339 UTC, and
// the non-ISO forms some peer fixtures and exports use. Zone-less forms are UTC.
var timeLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05",
	"2006-01-02 15:04:05Z07:00",
	"2006-01-02 15:04:05.999999999Z07:00",
	"2006-01-02 15:04:05",
	"2006-01-02 15:04:05.999999999",
}

// ParseTime reads a CloudTrail eventTime. Windows (dedup, thresholds, replay filters) run on
// this event time, never on wall-clock time.
func ParseTime(s string) (time.Time, error) {
	for _, layout := range timeLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("eventTime %q is not a recognised timestamp", s)
}
