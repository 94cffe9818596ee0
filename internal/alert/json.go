package alert

import (
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/trailhound/trailhound/internal/event"
)

// appendAlert appends the JSON of a, exactly as encoding/json encodes an Alert (the tests
// compare the two), without reflection. A context value of a type it does not encode itself
// is encoded by encoding/json; when that fails, so does the alert, with encoding/json's error.
//
// Alert has no MarshalJSON built on this on purpose: encoding/json validates and compacts
// what a MarshalJSON returns, which costs more than its own reflection on an Alert.
func appendAlert(b []byte, a *Alert) ([]byte, error) {
	orig := b
	reflected := func() ([]byte, error) {
		j, err := json.Marshal(a)
		return append(orig, j...), err
	}
	b = append(b, `{"schema_version":`...)
	b = appendJSONString(b, a.SchemaVersion)
	b = append(b, `,"id":`...)
	b = appendJSONString(b, a.ID)
	b = append(b, `,"created_at":`...)
	if _, off := a.CreatedAt.Zone(); off == 0 && a.CreatedAt.Year() >= 0 && a.CreatedAt.Year() <= 9999 {
		b = append(b, '"')
		b = a.CreatedAt.AppendFormat(b, time.RFC3339Nano)
		b = append(b, '"')
	} else {
		t, err := a.CreatedAt.MarshalJSON()
		if err != nil {
			return reflected() // encoding/json's error
		}
		b = append(b, t...)
	}
	b = append(b, `,"severity":`...)
	b = appendJSONString(b, a.Severity)
	b = append(b, `,"title":`...)
	b = appendJSONString(b, a.Title)
	b = append(b, `,"summary":`...)
	b = appendJSONString(b, a.Summary)

	r := &a.Rule
	b = append(b, `,"rule":{"id":`...)
	b = appendJSONString(b, r.ID)
	b = append(b, `,"title":`...)
	b = appendJSONString(b, r.Title)
	b = append(b, `,"version":`...)
	b = appendJSONString(b, r.Version)
	b = append(b, `,"team":`...)
	b = appendJSONString(b, r.Team)
	b = append(b, `,"severity":`...)
	b = appendJSONString(b, r.Severity)
	b = append(b, `,"attack":`...)
	b = appendStrings(b, r.Attack)
	b = append(b, `,"compliance":`...)
	b, _ = appendObject(b, r.Compliance, appendStringsOK)
	b = append(b, `,"references":`...)
	b = appendStrings(b, r.References)

	e := &a.Event
	b = append(b, `},"event":{"id":`...)
	b = appendJSONString(b, e.ID)
	b = append(b, `,"name":`...)
	b = appendJSONString(b, e.Name)
	b = append(b, `,"source":`...)
	b = appendJSONString(b, e.Source)
	b = append(b, `,"time":`...)
	b = appendJSONString(b, e.Time)
	b = append(b, `,"account":`...)
	b = appendJSONString(b, e.Account)
	b = append(b, `,"region":`...)
	b = appendJSONString(b, e.Region)
	b = append(b, `,"source_ip":`...)
	b = appendJSONString(b, e.SourceIP)
	b = append(b, `,"user_agent":`...)
	b = appendJSONString(b, e.UserAgent)
	b = append(b, `,"error_code":`...)
	b = appendJSONString(b, e.ErrorCode)
	b = append(b, `,"error_message":`...)
	b = appendJSONString(b, e.ErrorMessage)
	b = append(b, `,"read_only":`...)
	b = appendBool(b, e.ReadOnly)

	ac := &a.Actor
	b = append(b, `},"actor":{"type":`...)
	b = appendJSONString(b, ac.Type)
	b = append(b, `,"arn":`...)
	b = appendJSONString(b, ac.ARN)
	b = append(b, `,"name":`...)
	b = appendJSONString(b, ac.Name)
	b = append(b, `,"account":`...)
	b = appendJSONString(b, ac.Account)
	b = append(b, `,"access_key_id":`...)
	b = appendJSONString(b, ac.AccessKeyID)
	b = append(b, `,"session_issuer":`...)
	b = appendJSONString(b, ac.SessionIssuer)
	b = append(b, `,"mfa_authenticated":`...)
	b = appendBool(b, ac.MFAAuthenticated)
	b = append(b, `,"invoked_by":`...)
	b = appendJSONString(b, ac.InvokedBy)

	b = append(b, `},"target":`...)
	b, _ = appendObject(b, a.Target, appendJSONStringOK)
	b = append(b, `,"context":`...)
	var ok bool
	if b, ok = appendAny(b, a.Context); !ok {
		return reflected() // encoding/json's error
	}

	rem := &a.Remediation
	b = append(b, `,"remediation":{"summary":`...)
	b = appendJSONString(b, rem.Summary)
	b = append(b, `,"containment":`...)
	b = appendSteps(b, rem.Containment)
	b = append(b, `,"steps":`...)
	b = appendSteps(b, rem.Steps)
	b = append(b, `,"backout":`...)
	b = appendSteps(b, rem.Backout)
	b = append(b, `,"references":`...)
	b = appendStrings(b, rem.References)
	b = append(b, `},"runbook":`...)
	b = appendStrings(b, a.Runbook)

	b = append(b, `,"dedup":{"key":`...)
	b = appendJSONString(b, a.Dedup.Key)
	b = append(b, `,"count":`...)
	b = appendInt(b, a.Dedup.Count)
	b = append(b, `,"first_seen":`...)
	b = appendJSONString(b, a.Dedup.FirstSeen)
	b = append(b, `,"last_seen":`...)
	b = appendJSONString(b, a.Dedup.LastSeen)
	b = append(b, `},"links":{"cloudtrail_console":`...)
	b = appendJSONString(b, a.Links.CloudTrailConsole)
	b = append(b, '}')
	// The two optional objects are rare (an escalated, stepped-down or tuned alert) and
	// hold only strings: encoding/json writes them.
	if len(a.SeverityReasons) > 0 {
		j, err := json.Marshal(a.SeverityReasons)
		if err != nil {
			return reflected()
		}
		b = append(append(b, `,"severity_reasons":`...), j...)
	}
	if a.Tuning != nil {
		j, err := json.Marshal(a.Tuning)
		if err != nil {
			return reflected()
		}
		b = append(append(b, `,"tuning":`...), j...)
	}
	return append(b, '}'), nil
}

func appendSteps(b []byte, steps []Step) []byte {
	if steps == nil {
		return append(b, "null"...)
	}
	b = append(b, '[')
	for i := range steps {
		s := &steps[i]
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"title":`...)
		b = appendJSONString(b, s.Title)
		b = append(b, `,"console":`...)
		b = appendStrings(b, s.Console)
		b = append(b, `,"cli":`...)
		b = appendStrings(b, s.CLI)
		if len(s.Omitted) > 0 {
			b = append(b, `,"omitted":`...)
			b = appendStrings(b, s.Omitted)
		}
		b = append(b, '}')
	}
	return append(b, ']')
}

func appendStrings(b []byte, ss []string) []byte {
	if ss == nil {
		return append(b, "null"...)
	}
	b = append(b, '[')
	for i, s := range ss {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, s)
	}
	return append(b, ']')
}

func appendBool(b []byte, v bool) []byte {
	if v {
		return append(b, "true"...)
	}
	return append(b, "false"...)
}

func appendInt(b []byte, n int) []byte {
	if n >= 0 && n < 10 {
		return append(b, byte('0'+n))
	}
	return strconv.AppendInt(b, int64(n), 10)
}

// appendAny appends a context value: the types JSON decoding and the rules produce are
// encoded here, any other through encoding/json. ok is false when encoding/json fails.
func appendAny(b []byte, v any) ([]byte, bool) {
	switch x := v.(type) {
	case nil:
		return append(b, "null"...), true
	case string:
		return appendJSONString(b, x), true
	case bool:
		return appendBool(b, x), true
	case json.Number:
		if x == "" {
			return append(b, '0'), true
		}
		if isJSONNumber(x) {
			return append(b, x...), true
		}
	case map[string]any:
		return appendObject(b, x, appendAny)
	case []any:
		if x == nil {
			return append(b, "null"...), true
		}
		b = append(b, '[')
		for i, e := range x {
			if i > 0 {
				b = append(b, ',')
			}
			var ok bool
			if b, ok = appendAny(b, e); !ok {
				return b, false
			}
		}
		return append(b, ']'), true
	case []string:
		return appendStrings(b, x), true
	}
	j, err := json.Marshal(v)
	if err != nil {
		return b, false
	}
	return append(b, j...), true
}

// appendObject appends m as a JSON object with its keys sorted, as encoding/json writes a
// map (null when m is nil), each value written by appendValue. It stops at the first value
// appendValue cannot write and reports false.
func appendObject[V any](b []byte, m map[string]V, appendValue func([]byte, V) ([]byte, bool)) ([]byte, bool) {
	if m == nil {
		return append(b, "null"...), true
	}
	b = append(b, '{')
	var kb [16]string
	keys := kb[:0]
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for i, k := range keys {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, k)
		b = append(b, ':')
		var ok bool
		if b, ok = appendValue(b, m[k]); !ok {
			return b, false
		}
	}
	return append(b, '}'), true
}

// appendStringsOK and appendJSONStringOK are appendStrings and appendJSONString as
// appendObject takes them: they always succeed.
func appendStringsOK(b []byte, ss []string) ([]byte, bool) { return appendStrings(b, ss), true }

func appendJSONStringOK(b []byte, s string) ([]byte, bool) { return appendJSONString(b, s), true }

// isJSONNumber is encoding/json's test of a json.Number it writes as is.
func isJSONNumber(n json.Number) bool {
	return event.IsNumber(string(n))
}

// appendJSONString appends s as encoding/json does, with HTML escaping: <, > and & as \u003c,
// \u003e and \u0026, U+2028 and U+2029 escaped, invalid UTF-8 as \ufffd.
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			if jsonSafe[c] {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '\\', '"':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				// Control characters and <, >, &.
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

const hexDigits = "0123456789abcdef"

// jsonSafe: the ASCII bytes encoding/json writes as they are (HTML escaping on).
var jsonSafe = func() (t [utf8.RuneSelf]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = !strings.ContainsRune(`"\<>&`, rune(c))
	}
	return t
}()
