package replay

import (
	"strings"
	"time"

	"github.com/trailhound/trailhound/internal/event"
)

// This file reads CloudTrail's S3 key layout:
//
//	AWSLogs/[<org-id>/]<account>/CloudTrail/<region>/YYYY/MM/DD/<account>_CloudTrail_<region>_<YYYYMMDDTHHMMZ>_<rand>.json.gz
//
// The same layout is what `aws s3 sync` of a trail bucket leaves on disk.

// Layout directory names.
const (
	awsLogs    = "AWSLogs"
	cloudTrail = "CloudTrail"
)

// fileStampLayout is the time in a log file's name (UTC, to the minute).
const fileStampLayout = "20060102T1504Z"

// FileName is what a CloudTrail log file's name says about its contents.
type FileName struct {
	Account string
	Region  string
	Time    time.Time // when CloudTrail wrote it: its events are from shortly before
}

// ParseFileName parses a log file name (the last element of its key). It reports false for a
// name not in CloudTrail's format, digest files included.
func ParseFileName(name string) (FileName, bool) {
	base, ok := strings.CutSuffix(name, ".json.gz")
	if !ok {
		if base, ok = strings.CutSuffix(name, ".json"); !ok {
			return FileName{}, false
		}
	}
	parts := strings.Split(base, "_")
	if len(parts) != 5 || parts[1] != cloudTrail || !isAccount(parts[0]) || !isRegion(parts[2]) {
		return FileName{}, false
	}
	t, err := time.Parse(fileStampLayout, parts[3])
	if err != nil {
		return FileName{}, false
	}
	return FileName{Account: parts[0], Region: parts[2], Time: t}, true
}

// isAccount reports whether s is an AWS account id (12 digits).
func isAccount(s string) bool {
	if len(s) != 12 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// isOrgID reports whether s is an AWS Organizations id (o- followed by 10-32 lowercase
// letters or digits).
func isOrgID(s string) bool {
	rest, ok := strings.CutPrefix(s, "o-")
	if !ok || len(rest) < 10 || len(rest) > 32 {
		return false
	}
	for i := 0; i < len(rest); i++ {
		if c := rest[i]; (c < 'a' || c > 'z') && (c < '0' || c > '9') {
			return false
		}
	}
	return true
}

// isRegion reports whether s looks like an AWS region name (us-east-1, ap-southeast-2,
// us-gov-west-1, cn-north-1, eu-isoe-west-1).
func isRegion(s string) bool {
	if len(s) < 8 || strings.Count(s, "-") < 2 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < 'a' || c > 'z') && (c < '0' || c > '9') && c != '-' {
			return false
		}
	}
	return s[len(s)-1] >= '0' && s[len(s)-1] <= '9'
}

// isDigits reports whether s is n decimal digits.
func isDigits(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for i := 0; i < n; i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// isInputName reports whether a file found while listing is worth reading: JSON or gzipped
// JSON, not a CloudTrail digest (integrity hashes, not events), not hidden.
func isInputName(name string) bool {
	if strings.HasPrefix(name, ".") || strings.Contains(name, "CloudTrail-Digest") {
		return false
	}
	lower := strings.ToLower(name) // EVENTS.JSON, trail.Json.GZ
	for _, ext := range []string{".json.gz", ".json", ".jsonl", ".jsonl.gz", ".gz"} {
		if strings.HasSuffix(lower, ext) {
			return true
		}
	}
	return false
}

// FileClock is the trusted clock of a record read from a log file (pipeline.Pipeline.Clock):
// the time in the file's name (when CloudTrail wrote it: its events are from before), plus
// fileSpan of margin. It is zero (no trusted file time: the caller falls back to the wall
// clock) for a file whose name is not in CloudTrail's format.
func FileClock(o event.Origin) (time.Time, string) {
	name := o.File
	if i := strings.LastIndexAny(name, "/\\"); i >= 0 {
		name = name[i+1:]
	}
	fn, ok := ParseFileName(name)
	if !ok {
		return time.Time{}, ""
	}
	return fn.Time.Add(fileSpan), "log file name"
}

// fileSpan is the margin past the time in a log file's name within which its events' times
// are still believed outright (state.MaxAhead is added on top).
const fileSpan = 5 * time.Minute
