package replay

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/trailhound/trailhound/internal/event"
)

// DefaultLateness is how long after an event CloudTrail may write the log file that holds it.
// CloudTrail delivers within about 5 minutes on average and 15 at most in normal operation;
// an hour keeps late deliveries in range at the cost of opening a few extra files at the end
// of a time range.
const DefaultLateness = time.Hour

// clockSkew is how far an event's time may lie after the time in its log file's name.
const clockSkew = 5 * time.Minute

// Filter selects what a replay reads. Keys are pruned before anything is opened (whole
// account, region and day prefixes are never listed when the filter excludes them); records
// in the files that remain are filtered again on their own eventTime, recipientAccountId and
// awsRegion.
type Filter struct {
	Start, End time.Time // eventTime in [Start, End); zero means unbounded
	Accounts   []string  // recipientAccountId; empty means every account
	Regions    []string  // awsRegion; empty means every region
	// Lateness is how long after an event its log file may be written (DefaultLateness when
	// zero): a file named T may hold events from [T-Lateness, T+5m].
	Lateness time.Duration

	// startStamp and endStamp are Start and End as CloudTrail writes eventTime, for a string
	// comparison on the common path.
	startStamp, endStamp string
}

// ParseTimeBound reads a --start or --end value: RFC 3339, or a date (YYYY-MM-DD, UTC),
// which as an end bound includes that whole day.
func ParseTimeBound(s string, end bool) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t.UTC(), nil
	}
	d, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is neither RFC 3339 (2024-03-18T09:00:00Z) nor a date (2024-03-18)", s)
	}
	if end {
		d = d.AddDate(0, 0, 1)
	}
	return d, nil
}

// Validate reports a filter that cannot select anything or names no real account or region.
func (f Filter) Validate() error { return f.prepare() }

// prepare validates f and fills its derived fields.
func (f *Filter) prepare() error {
	if f.Lateness <= 0 {
		f.Lateness = DefaultLateness
	}
	if !f.Start.IsZero() && !f.End.IsZero() && !f.Start.Before(f.End) {
		return fmt.Errorf("empty time range: start %s is not before end %s", stamp(f.Start), stamp(f.End))
	}
	for _, a := range f.Accounts {
		if !isAccount(a) {
			return fmt.Errorf("account %q is not a 12-digit AWS account id", a)
		}
	}
	for _, r := range f.Regions {
		if !isRegion(r) {
			return fmt.Errorf("region %q is not an AWS region name", r)
		}
	}
	f.startStamp, f.endStamp = "", ""
	if !f.Start.IsZero() {
		f.startStamp = stamp(f.Start)
	}
	if !f.End.IsZero() {
		f.endStamp = stamp(f.End)
	}
	return nil
}

func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// String describes the filter for messages.
func (f *Filter) String() string {
	var parts []string
	if !f.Start.IsZero() {
		parts = append(parts, "from "+stamp(f.Start))
	}
	if !f.End.IsZero() {
		parts = append(parts, "until "+stamp(f.End))
	}
	if len(f.Accounts) > 0 {
		parts = append(parts, "accounts "+strings.Join(f.Accounts, ","))
	}
	if len(f.Regions) > 0 {
		parts = append(parts, "regions "+strings.Join(f.Regions, ","))
	}
	if len(parts) == 0 {
		return "everything"
	}
	return strings.Join(parts, ", ")
}

// keepsAll reports whether the filter keeps every record, whatever its header.
func (f *Filter) keepsAll() bool {
	return f.Start.IsZero() && f.End.IsZero() && len(f.Accounts) == 0 && len(f.Regions) == 0
}

func (f *Filter) account(a string) bool {
	return len(f.Accounts) == 0 || slices.Contains(f.Accounts, a)
}
func (f *Filter) region(r string) bool { return len(f.Regions) == 0 || slices.Contains(f.Regions, r) }

// fileTime reports whether a log file written at t may hold events in the time range.
func (f *Filter) fileTime(t time.Time) bool {
	if !f.Start.IsZero() && t.Add(clockSkew).Before(f.Start) {
		return false
	}
	return f.End.IsZero() || t.Add(-f.Lateness).Before(f.End)
}

// keepName reports whether a file with this name may hold records the filter keeps. Names
// not in CloudTrail's format are kept: only their records can tell.
func (f *Filter) keepName(name string) bool {
	fn, ok := ParseFileName(name)
	return !ok || (f.account(fn.Account) && f.region(fn.Region) && f.fileTime(fn.Time))
}

// dayRange returns the first and last day folders (UTC midnights) that may hold files with
// events in range; zero bounds are open.
func (f *Filter) dayRange() (first, last time.Time) {
	if !f.Start.IsZero() {
		first = f.Start.Add(-clockSkew).Truncate(24 * time.Hour)
	}
	if !f.End.IsZero() {
		last = f.End.Add(f.Lateness).Truncate(24 * time.Hour)
	}
	return first, last
}

// keepPeriod reports whether the folder covering [from, to) may hold a kept day folder.
func (f *Filter) keepPeriod(from, to time.Time) bool {
	first, last := f.dayRange()
	return (first.IsZero() || to.After(first)) && (last.IsZero() || !from.After(last))
}

// keepRecord reports whether a record's header fields are within the filter. A record whose
// eventTime cannot be read is kept (the pipeline reports what it can of it).
func (f *Filter) keepRecord(h *event.Header) bool {
	if len(f.Accounts) > 0 && !slices.Contains(f.Accounts, h.RecipientAccountID) {
		return false
	}
	if len(f.Regions) > 0 && !slices.Contains(f.Regions, h.AWSRegion) {
		return false
	}
	if f.startStamp == "" && f.endStamp == "" {
		return true
	}
	if isCanonicalTime(h.EventTime) {
		// RFC 3339 UTC to the second sorts as a string.
		return (f.startStamp == "" || h.EventTime >= f.startStamp) && (f.endStamp == "" || h.EventTime < f.endStamp)
	}
	t, err := event.ParseTime(h.EventTime)
	if err != nil {
		return true
	}
	return (f.Start.IsZero() || !t.Before(f.Start)) && (f.End.IsZero() || t.Before(f.End))
}

// isCanonicalTime reports whether s has CloudTrail's own eventTime form, 2024-03-18T09:31:07Z.
func isCanonicalTime(s string) bool {
	if len(s) != 20 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':' || s[19] != 'Z' {
		return false
	}
	for _, i := range []int{0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18} {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
