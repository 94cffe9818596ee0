package alert

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/trailhound/trailhound/internal/rule"
)

// An alert is built here (Build, Threshold, DedupUpdate, Health) and changed after it is
// built only by the methods in this file: other packages read its fields.

// Context keys the methods below write.
const (
	ContextBreakGlass         = "break_glass"
	ContextDedupLatestEventID = "dedup_latest_event_id"
	ContextEventTimeAhead     = "event_time_ahead"
	ContextNotes              = "notes"
	ContextThreshold          = "threshold"
)

// Clone returns a copy of a whose context and target maps are its own, and whose severity
// reasons a later change appends to without touching a's: setting a context key, the dedup
// or the severity of one does not change the other. Nested context values are shared (the
// methods here copy a value before they change it).
func (a *Alert) Clone() *Alert {
	c := *a
	c.Context = maps.Clone(a.Context)
	c.Target = maps.Clone(a.Target)
	c.SeverityReasons = slices.Clip(a.SeverityReasons)
	return &c
}

// Decode reads an alert from its JSON (as JSON and WriteJSON write it).
func Decode(b []byte) (*Alert, error) {
	var a Alert
	if err := json.Unmarshal(b, &a); err != nil {
		return nil, err
	}
	return &a, nil
}

// Seen is what a dedup or threshold window counted of the events an alert stands for.
type Seen struct {
	Count       int // at least 1 in the alert
	First, Last time.Time
}

// SetSeen sets the count and times of a's dedup to what its window saw (the key stays).
func (a *Alert) SetSeen(s Seen) {
	a.Dedup = dedupOf(a.Dedup.Key, s)
}

// DedupUpdate is the re-delivery of first, the alert that opened a dedup group, for a later
// event of the group (latestEventID): a copy of first with the group's key, its window's
// count and times, and context.dedup_latest_event_id naming the later event. first is not
// changed.
func DedupUpdate(first *Alert, key, latestEventID string, s Seen) *Alert {
	u := first.Clone()
	u.Dedup = dedupOf(key, s)
	if u.Context == nil {
		u.Context = map[string]any{}
	}
	u.Context[ContextDedupLatestEventID] = latestEventID
	return u
}

func dedupOf(key string, s Seen) Dedup {
	return Dedup{Key: key, Count: max(s.Count, 1), FirstSeen: stamp(s.First), LastSeen: stamp(s.Last)}
}

func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// ListedEvent is what a threshold alert lists about each event it stands for
// (context.threshold.events); a threshold window keeps it as JSON.
type ListedEvent struct {
	EventID   string            `json:"event_id"`
	EventTime string            `json:"event_time"`
	EventName string            `json:"event_name"`
	AlertID   string            `json:"alert_id"`
	Summary   string            `json:"summary"`
	SourceIP  string            `json:"source_ip,omitempty"`
	Target    map[string]string `json:"target,omitempty"`
}

// Listed is what a threshold alert lists about a's event.
func Listed(a *Alert) ListedEvent {
	return ListedEvent{
		EventID: a.Event.ID, EventTime: a.Event.Time, EventName: a.Event.Name, AlertID: a.ID,
		Summary: a.Summary, SourceIP: a.Event.SourceIP, Target: a.Target,
	}
}

// ThresholdWindow is a threshold window that reached its rule's count.
type ThresholdWindow struct {
	ID         string   // the window's alert id (state.ThresholdID)
	Key        string   // the group key: DedupKey of the rule's threshold.by values
	Values     []string // the values of the rule's threshold.by paths, in their order
	Seen       Seen
	Start, End time.Time
	Events     []ListedEvent // the events the window kept, in order
}

// Threshold is the one alert of a reached threshold. It is built on a, the alert of the
// event being processed (its event, actor, remediation), with the window's id, the rule's
// severity (untuned: the caller tunes it again), the target values every listed event
// shares, a summary of the burst, and context.threshold listing the events. a is not
// changed.
func Threshold(a *Alert, r *rule.Rule, w ThresholdWindow) *Alert {
	t := *a
	t.ID = w.ID
	t.Severity = r.Severity.String()
	t.SeverityReasons, t.Tuning = nil, nil // the event's
	t.Target = sharedTarget(w.Events)
	by := make(map[string]string, len(w.Values))
	var who []string
	for i, path := range r.Threshold.By {
		by[path] = w.Values[i]
		who = append(who, w.Values[i])
	}
	t.Context = make(map[string]any, len(a.Context)+1)
	for k, v := range a.Context {
		t.Context[k] = v
	}
	t.Context[ContextThreshold] = map[string]any{
		"count": w.Seen.Count, "threshold": r.Threshold.Count, "window": r.Threshold.Window.String(), "by": by,
		"window_start": stamp(w.Start), "window_end": stamp(w.End), "events": w.Events,
		"events_truncated": w.Seen.Count > len(w.Events),
	}
	t.Summary = fmt.Sprintf("%s: %d events by %s within %s (threshold %d), from %s to %s.",
		r.Title, w.Seen.Count, strings.Join(who, ", "), r.Threshold.Window, r.Threshold.Count, stamp(w.Seen.First), stamp(w.Seen.Last))
	t.Dedup = dedupOf(w.Key, w.Seen)
	return &t
}

// sharedTarget keeps the target values that every listed event has in common.
func sharedTarget(listed []ListedEvent) map[string]string {
	out := map[string]string{}
	if len(listed) == 0 {
		return out
	}
	for k, v := range listed[0].Target {
		out[k] = v
	}
	for _, le := range listed[1:] {
		for k, v := range out {
			if le.Target[k] != v {
				delete(out, k)
			}
		}
	}
	return out
}

// HealthInput describes a synthetic alert about the detector itself: a rule pack or a rules
// bundle that is not loaded.
type HealthInput struct {
	RuleID, Team string // rule.id and rule.team: where it is routed
	Title        string
	Summary      string
	Severity     rule.Severity
	EventName    string // event.name; event.source is "trailhound"
	Target       map[string]string
	Context      map[string]any
	Remediation  string // remediation.summary
	Runbook      []string
	// IDParts make the alert's id: the same parts give the same id in every container.
	IDParts []string
	Now     time.Time
}

// Health is the synthetic Alert v1 of in, with no remediation steps, dated in.Now.
func Health(in HealthInput) *Alert {
	id := ID(in.RuleID, in.Team, partsKey(in.IDParts), 0, 1)
	at := stamp(in.Now)
	return &Alert{
		SchemaVersion: SchemaVersion,
		ID:            id,
		CreatedAt:     in.Now.UTC().Truncate(time.Millisecond),
		Severity:      in.Severity.String(),
		Title:         in.Title,
		Summary:       in.Summary,
		Rule: Rule{
			ID: in.RuleID, Title: in.Title, Version: "1", Team: in.Team,
			Severity: in.Severity.String(), Attack: []string{}, Compliance: map[string][]string{}, References: []string{},
		},
		Event:   Event{Name: in.EventName, Source: "trailhound", Time: at},
		Target:  in.Target,
		Context: in.Context,
		Remediation: Remediation{
			Summary:     in.Remediation,
			Containment: []Step{}, Steps: []Step{}, Backout: []Step{}, References: []string{},
		},
		Runbook: in.Runbook,
		Dedup:   Dedup{Key: id, Count: 1, FirstSeen: at, LastSeen: at},
	}
}

// partsKey is the hex SHA-256 of the parts, each followed by a NUL.
func partsKey(parts []string) string {
	h := sha256.New()
	for _, s := range parts {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))
}

// BreakGlass sets a's severity to to for a team's break-glass principal: context.break_glass
// names the principal, its owner, the reason and the severity before, and a severity reason
// (by "break_glass") says why.
func (a *Alert) BreakGlass(to rule.Severity, team, actorARN, owner, reason string) {
	if a.Context == nil {
		a.Context = map[string]any{}
	}
	a.Context[ContextBreakGlass] = map[string]any{
		"actor_arn": actorARN, "owner": owner, "reason": reason, "severity_before": a.Severity,
	}
	AddSeverityReason(a, to, "break_glass", "break-glass principal "+actorARN+" of team "+team+" ("+owner+"): "+reason)
}

// BrokeGlass reports whether a break-glass principal raised a (BreakGlass).
func (a *Alert) BrokeGlass() bool {
	_, ok := a.Context[ContextBreakGlass]
	return ok
}

// MarkTuned records that the org tuning file changes a; staged: its rule is staged. It
// replaces what an earlier MarkTuned or MarkException recorded.
func (a *Alert) MarkTuned(staged bool) {
	a.Tuning = &Tuning{Staged: staged}
}

// MarkException records the tuning exception that lowers or suppresses a (action
// "set_severity" or "suppress"; expires YYYY-MM-DD), with a's severity before it: call it
// before lowering the severity.
func (a *Alert) MarkException(id, action, owner, reason, expires string) {
	if a.Tuning == nil {
		a.Tuning = &Tuning{}
	}
	a.Tuning.Exception = &TuningException{
		ID: id, Action: action, SeverityBefore: a.Severity, Owner: owner, Reason: reason, Expires: expires,
	}
}

// FlagEventTimeAhead marks a, whose event claims the time claimed, as ahead of the trusted
// clock (named clockName) by ahead: the claimed time stays in event.time (it is what the
// record says), context.event_time_ahead and a note say it was not believed.
func (a *Alert) FlagEventTimeAhead(claimed string, clock time.Time, clockName string, ahead time.Duration) {
	if a.Context == nil {
		a.Context = map[string]any{}
	}
	a.Context[ContextEventTimeAhead] = map[string]any{
		"event_time": claimed, "trusted_clock": clock.UTC().Format(time.RFC3339), "clock": clockName,
		"ahead": ahead.Round(time.Second).String(),
	}
	note := fmt.Sprintf("event time is ahead of the trusted clock (%s, %s) by %s: not believed; it moved no dedup or threshold window",
		clockName, clock.UTC().Format(time.RFC3339), ahead.Round(time.Second))
	switch n := a.Context[ContextNotes].(type) {
	case []string:
		a.Context[ContextNotes] = append(append([]string(nil), n...), note)
	default:
		a.Context[ContextNotes] = []string{note}
	}
}

// Trimmed is a copy of a for a destination with a size limit: its context is replaced by
// {"trimmed": note}, and its remediation steps, backout and runbook are left out.
func (a *Alert) Trimmed(note string) *Alert {
	c := *a
	c.Context = map[string]any{"trimmed": note}
	c.Remediation.Steps, c.Remediation.Backout, c.Runbook = nil, nil, nil
	return &c
}

// MapEventText returns a copy of a with the text that comes from the event passed through f:
// its summary, event, actor, target and context, and the prose of its remediation (summary,
// step titles, console lines). The rule's text and commands are left as they are.
func (a *Alert) MapEventText(f func(string) string) *Alert {
	c := *a
	c.Summary = f(a.Summary)
	e := a.Event
	for _, p := range []*string{&e.ID, &e.Name, &e.Source, &e.Time, &e.Account, &e.Region, &e.SourceIP, &e.UserAgent, &e.ErrorCode, &e.ErrorMessage} {
		*p = f(*p)
	}
	c.Event = e
	ac := a.Actor
	for _, p := range []*string{&ac.Type, &ac.ARN, &ac.Name, &ac.Account, &ac.AccessKeyID, &ac.SessionIssuer, &ac.InvokedBy} {
		*p = f(*p)
	}
	c.Actor = ac
	if a.Target != nil {
		c.Target = make(map[string]string, len(a.Target))
		for k, v := range a.Target {
			c.Target[k] = f(v)
		}
	}
	if a.Context != nil {
		c.Context = mapText(a.Context, f).(map[string]any)
	}
	r := a.Remediation
	r.Summary = f(r.Summary)
	r.Containment, r.Steps, r.Backout = mapSteps(r.Containment, f), mapSteps(r.Steps, f), mapSteps(r.Backout, f)
	c.Remediation = r
	return &c
}

func mapSteps(in []Step, f func(string) string) []Step {
	out := make([]Step, len(in))
	for i, s := range in {
		s.Title = f(s.Title)
		console := make([]string, len(s.Console))
		for j, t := range s.Console {
			console[j] = f(t)
		}
		s.Console = console
		out[i] = s
	}
	return out
}

// mapText passes the strings of a context value through f.
func mapText(v any, f func(string) string) any {
	switch x := v.(type) {
	case string:
		return f(x)
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = mapText(e, f)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = mapText(e, f)
		}
		return out
	case []string:
		out := make([]string, len(x))
		for i, e := range x {
			out[i] = f(e)
		}
		return out
	}
	return v
}
