package alert

import (
	"fmt"
	"sort"
	"unicode/utf8"
)

// This file bounds an alert's size: event fields are attacker-controlled (a 50 MB userAgent
// is a valid record), and an alert must stay small enough for every destination.

// MaxFieldBytes caps every string an alert carries that comes from an event (event fields,
// actor, target, context values, rendered summary, runbook and remediation text). No value
// AWS writes for an identifier comes near it (IAM names are at most 128 characters, ARNs at
// most 2048).
const MaxFieldBytes = 4096

// maxListedTruncations bounds context.truncated_fields.
const maxListedTruncations = 50

// truncMark ends a truncated value; the count is the bytes left out.
const truncMark = "…[truncated %d bytes]"

// capFields truncates every string of a longer than MaxFieldBytes (at a UTF-8 boundary, with
// truncMark) and lists the fields it cut in context.truncated_fields, sorted. A remediation CLI
// command is never truncated (a cut command could act on something else): one over the cap
// moves to its step's omitted list as a note.
func capFields(a *Alert) {
	if !oversize(a) {
		return
	}
	var cut []string
	str := func(path string, s *string) {
		if len(*s) > MaxFieldBytes {
			*s = truncate(*s)
			cut = append(cut, path)
		}
	}
	str("summary", &a.Summary)
	for _, f := range []struct {
		name string
		s    *string
	}{
		{"id", &a.Event.ID}, {"name", &a.Event.Name}, {"source", &a.Event.Source}, {"time", &a.Event.Time},
		{"account", &a.Event.Account}, {"region", &a.Event.Region}, {"source_ip", &a.Event.SourceIP},
		{"user_agent", &a.Event.UserAgent}, {"error_code", &a.Event.ErrorCode}, {"error_message", &a.Event.ErrorMessage},
	} {
		str("event."+f.name, f.s)
	}
	for _, f := range []struct {
		name string
		s    *string
	}{
		{"type", &a.Actor.Type}, {"arn", &a.Actor.ARN}, {"name", &a.Actor.Name}, {"account", &a.Actor.Account},
		{"access_key_id", &a.Actor.AccessKeyID}, {"session_issuer", &a.Actor.SessionIssuer}, {"invoked_by", &a.Actor.InvokedBy},
	} {
		str("actor."+f.name, f.s)
	}
	for k, v := range a.Target {
		if len(v) > MaxFieldBytes {
			a.Target[k] = truncate(v)
			cut = append(cut, "target."+k)
		}
	}
	for k, v := range a.Context {
		if nv, changed := capValue(v, "context."+k, &cut); changed {
			a.Context[k] = nv
		}
	}
	str("remediation.summary", &a.Remediation.Summary)
	for _, sec := range [...]struct {
		name  string
		steps []Step
	}{{"containment", a.Remediation.Containment}, {"steps", a.Remediation.Steps}, {"backout", a.Remediation.Backout}} {
		for i := range sec.steps {
			capStep(&sec.steps[i], sec.name, i, &cut)
		}
	}
	for i, r := range a.Runbook {
		if len(r) > MaxFieldBytes {
			a.Runbook[i] = truncate(r)
			cut = append(cut, fmt.Sprintf("runbook[%d]", i))
		}
	}
	if len(cut) == 0 {
		return
	}
	sort.Strings(cut)
	if len(cut) > maxListedTruncations {
		cut = append(cut[:maxListedTruncations], fmt.Sprintf("... and %d more", len(cut)-maxListedTruncations))
	}
	if a.Context == nil {
		a.Context = map[string]any{}
	}
	a.Context["truncated_fields"] = cut
}

// oversize reports whether any string capFields caps is over MaxFieldBytes, without
// allocating: the common case costs one pass of length checks.
func oversize(a *Alert) bool {
	big := func(ss ...string) bool {
		for _, s := range ss {
			if len(s) > MaxFieldBytes {
				return true
			}
		}
		return false
	}
	e, ac := &a.Event, &a.Actor
	if big(a.Summary, e.ID, e.Name, e.Source, e.Time, e.Account, e.Region, e.SourceIP, e.UserAgent, e.ErrorCode, e.ErrorMessage,
		ac.Type, ac.ARN, ac.Name, ac.Account, ac.AccessKeyID, ac.SessionIssuer, ac.InvokedBy, a.Remediation.Summary) ||
		big(a.Runbook...) {
		return true
	}
	for _, v := range a.Target {
		if len(v) > MaxFieldBytes {
			return true
		}
	}
	for _, v := range a.Context {
		if needsCap(v) {
			return true
		}
	}
	for _, steps := range [...][]Step{a.Remediation.Containment, a.Remediation.Steps, a.Remediation.Backout} {
		for i := range steps {
			if st := &steps[i]; big(st.Title) || big(st.Console...) || big(st.CLI...) || big(st.Omitted...) {
				return true
			}
		}
	}
	return false
}

// needsCap reports whether a context value holds a string over MaxFieldBytes.
func needsCap(v any) bool {
	switch x := v.(type) {
	case string:
		return len(x) > MaxFieldBytes
	case []string:
		for _, s := range x {
			if len(s) > MaxFieldBytes {
				return true
			}
		}
	case []any:
		for _, e := range x {
			if needsCap(e) {
				return true
			}
		}
	case map[string]string:
		for _, s := range x {
			if len(s) > MaxFieldBytes {
				return true
			}
		}
	case map[string]any:
		for _, e := range x {
			if needsCap(e) {
				return true
			}
		}
	}
	return false
}

// capStep caps step i of remediation section name.
func capStep(st *Step, name string, i int, cut *[]string) {
	path := func(what string, j int) string {
		if j < 0 {
			return fmt.Sprintf("remediation.%s[%d].%s", name, i, what)
		}
		return fmt.Sprintf("remediation.%s[%d].%s[%d]", name, i, what, j)
	}
	if len(st.Title) > MaxFieldBytes {
		st.Title = truncate(st.Title)
		*cut = append(*cut, path("title", -1))
	}
	for j, c := range st.Console {
		if len(c) > MaxFieldBytes {
			st.Console[j] = truncate(c)
			*cut = append(*cut, path("console", j))
		}
	}
	for _, c := range st.CLI {
		if len(c) <= MaxFieldBytes {
			continue
		}
		kept := make([]string, 0, len(st.CLI))
		for j, c := range st.CLI {
			if len(c) <= MaxFieldBytes {
				kept = append(kept, c)
				continue
			}
			st.Omitted = append(st.Omitted, fmt.Sprintf("a command is %d bytes with this event's values, over the %d-byte field cap; not rendered", len(c), MaxFieldBytes))
			*cut = append(*cut, path("cli", j))
		}
		st.CLI = kept
		break
	}
	for j, c := range st.Omitted {
		if len(c) > MaxFieldBytes {
			st.Omitted[j] = truncate(c)
			*cut = append(*cut, path("omitted", j))
		}
	}
}

// capValue caps the strings inside a context value, returning the new value and whether
// anything changed. Maps and slices are copied before they are changed: context values may be
// shared with the finding or the enrichment.
func capValue(v any, path string, cut *[]string) (any, bool) {
	switch x := v.(type) {
	case string:
		if len(x) > MaxFieldBytes {
			*cut = append(*cut, path)
			return truncate(x), true
		}
	case []string:
		var out []string
		for i, s := range x {
			if len(s) > MaxFieldBytes {
				if out == nil {
					out = append([]string(nil), x...)
				}
				out[i] = truncate(s)
				*cut = append(*cut, fmt.Sprintf("%s[%d]", path, i))
			}
		}
		if out != nil {
			return out, true
		}
	case []any:
		var out []any
		for i, e := range x {
			if ne, changed := capValue(e, fmt.Sprintf("%s[%d]", path, i), cut); changed {
				if out == nil {
					out = append([]any(nil), x...)
				}
				out[i] = ne
			}
		}
		if out != nil {
			return out, true
		}
	case map[string]string:
		var out map[string]string
		for k, s := range x {
			if len(s) > MaxFieldBytes {
				if out == nil {
					out = make(map[string]string, len(x))
					for k2, v2 := range x {
						out[k2] = v2
					}
				}
				out[k] = truncate(s)
				*cut = append(*cut, path+"."+k)
			}
		}
		if out != nil {
			return out, true
		}
	case map[string]any:
		var out map[string]any
		for k, e := range x {
			if ne, changed := capValue(e, path+"."+k, cut); changed {
				if out == nil {
					out = make(map[string]any, len(x))
					for k2, v2 := range x {
						out[k2] = v2
					}
				}
				out[k] = ne
			}
		}
		if out != nil {
			return out, true
		}
	}
	return v, false
}

// truncate cuts s to at most MaxFieldBytes bytes including the mark, at a rune boundary.
func truncate(s string) string {
	keep := MaxFieldBytes - len(fmt.Sprintf(truncMark, len(s)))
	for keep > 0 && !utf8.RuneStart(s[keep]) {
		keep--
	}
	return s[:keep] + fmt.Sprintf(truncMark, len(s)-keep)
}
