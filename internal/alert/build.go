package alert

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/trailhound/trailhound/internal/engine"
	"github.com/trailhound/trailhound/internal/event"
)

// Input is everything Build needs for one finding.
type Input struct {
	Finding engine.Finding
	Record  event.Record
	// Actor is the caller as resolved by the lib (data.lib.cloudtrail.actor); nil if it could
	// not be resolved, in which case ActorErr says why and the alert notes it.
	Actor    map[string]any
	ActorErr error
	// Context is added to the alert's context (enrichment results, notes).
	Context map[string]any
	Now     time.Time
}

// eventFields are the record fields the alert copies that are not in the event.Header.
type eventFields struct {
	SourceIPAddress string `json:"sourceIPAddress"`
	UserAgent       string `json:"userAgent"`
	ErrorMessage    string `json:"errorMessage"`
	ReadOnly        any    `json:"readOnly"`
	UserIdentity    struct {
		AccountID string `json:"accountId"`
	} `json:"userIdentity"`
}

// Build turns a finding into an Alert v1 with its remediation filled in.
func Build(in Input) (Alert, error) {
	var ef eventFields
	if err := json.Unmarshal(in.Record.Raw, &ef); err != nil {
		return Alert{}, fmt.Errorf("build alert: read record fields: %w", err)
	}
	h := in.Record.Header
	f := in.Finding
	r := f.Rule
	account := h.RecipientAccountID
	if account == "" {
		account = ef.UserIdentity.AccountID
	}
	evTime := h.EventTime
	if t, err := event.ParseTime(h.EventTime); err == nil {
		evTime = t.Format(time.RFC3339)
	}
	a := Alert{
		SchemaVersion: SchemaVersion,
		CreatedAt:     in.Now.UTC().Truncate(time.Millisecond),
		Severity:      f.Severity.String(),
		Title:         r.Title,
		Summary:       oneLine(f.Msg),
		Rule: Rule{
			ID: r.ID, Title: r.Title, Version: r.Version.String(), Team: r.Team, Severity: r.Severity.String(),
			Attack: nonNil(r.Attack), Compliance: r.Compliance, References: nonNil(r.References),
		},
		Event: Event{
			ID: h.EventID, Name: h.EventName, Source: h.EventSource, Time: evTime, Account: account,
			Region: h.AWSRegion, SourceIP: ef.SourceIPAddress, UserAgent: ef.UserAgent,
			ErrorCode: h.ErrorCode, ErrorMessage: ef.ErrorMessage, ReadOnly: isTrue(ef.ReadOnly),
		},
		Target:  f.Target,
		Context: map[string]any{},
	}
	if a.Rule.Compliance == nil {
		a.Rule.Compliance = map[string][]string{}
	}
	if a.Target == nil {
		a.Target = map[string]string{}
	}
	for k, v := range f.Context {
		a.Context[k] = v
	}
	for k, v := range in.Context {
		a.Context[k] = v
	}
	if in.Actor != nil {
		a.Actor = actorFrom(in.Actor)
	} else if in.ActorErr != nil {
		addNote(&a, "actor unresolved: "+in.ActorErr.Error())
	}
	a.ID = ID(r.ID, account, eventKey(h, in.Record.Raw), f.Index, f.Of)
	a.Dedup = Dedup{Key: a.ID, Count: 1, FirstSeen: evTime, LastSeen: evTime}
	if d := r.Dedup; d != nil {
		a.Dedup.Key = DedupKey(r.ID, fieldValues(&a, d.By))
	}
	if h.EventID != "" && h.AWSRegion != "" {
		region := url.QueryEscape(h.AWSRegion)
		a.Links.CloudTrailConsole = fmt.Sprintf("https://%s.console.aws.amazon.com/cloudtrail/home?region=%s#/events/%s",
			url.PathEscape(h.AWSRegion), region, url.PathEscape(h.EventID))
	}
	fill(&a, r)
	return a, nil
}

// ID is the deterministic alert id: the same rule, account and event give the same id in
// every framing, on every delivery and in a replay. A rule that raised several findings for
// one event gets one id per finding position.
func ID(ruleID, account, eventID string, index, of int) string {
	h := sha256.New()
	h.Write([]byte(ruleID))
	h.Write([]byte{0})
	h.Write([]byte(account))
	h.Write([]byte{0})
	h.Write([]byte(eventID))
	if of > 1 {
		h.Write([]byte{0})
		h.Write([]byte(strconv.Itoa(index)))
	}
	return hex.EncodeToString(h.Sum(nil))[:32]
}

// DedupKey groups alerts of one rule by the values of its dedup.by fields.
func DedupKey(ruleID string, values []string) string {
	h := sha256.New()
	h.Write([]byte(ruleID))
	for _, v := range values {
		h.Write([]byte{0})
		h.Write([]byte(v))
	}
	return hex.EncodeToString(h.Sum(nil))[:32]
}

// eventKey is the eventID, or, for the rare record without one (some documentation
// examples), a hash of the record's canonical JSON so that framing does not change it.
func eventKey(h event.Header, raw []byte) string {
	if h.EventID != "" {
		return h.EventID
	}
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		sum := sha256.Sum256(raw)
		return "raw:" + hex.EncodeToString(sum[:])
	}
	canon, _ := json.Marshal(v) // map keys are sorted: canonical
	sum := sha256.Sum256(canon)
	return "canonical:" + hex.EncodeToString(sum[:])
}

func actorFrom(m map[string]any) Actor {
	str := func(k string) string {
		switch v := m[k].(type) {
		case string:
			return v
		case map[string]any:
			if s, ok := v["arn"].(string); ok {
				return s
			}
		}
		return ""
	}
	return Actor{
		Type: str("type"), ARN: str("arn"), Name: str("name"), Account: str("account"),
		AccessKeyID: str("access_key_id"), SessionIssuer: str("session_issuer"),
		MFAAuthenticated: isTrue(m["mfa_authenticated"]), InvokedBy: str("invoked_by"),
	}
}

func isTrue(v any) bool {
	switch x := v.(type) {
	case bool:
		return x
	case string:
		return strings.EqualFold(x, "true")
	}
	return false
}

func addNote(a *Alert, note string) {
	notes, _ := a.Context["notes"].([]string)
	a.Context["notes"] = append(notes, note)
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// oneLine folds newlines so an attacker-supplied value cannot forge extra lines in a summary.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// Fields returns the alert's template fields as a flat map of dotted paths ("actor.arn",
// "target.user_name", "event.account", "context.days_unused", "rule.id"). Only present,
// non-empty scalar values are included.
func Fields(a *Alert) map[string]string {
	out := map[string]string{
		"rule.id": a.Rule.ID, "rule.title": a.Rule.Title,
		"event.id": a.Event.ID, "event.name": a.Event.Name, "event.source": a.Event.Source,
		"event.time": a.Event.Time, "event.account": a.Event.Account, "event.region": a.Event.Region,
		"event.source_ip": a.Event.SourceIP, "event.user_agent": a.Event.UserAgent,
		"event.error_code": a.Event.ErrorCode, "event.error_message": a.Event.ErrorMessage,
		"actor.type": a.Actor.Type, "actor.arn": a.Actor.ARN, "actor.name": a.Actor.Name,
		"actor.account": a.Actor.Account, "actor.access_key_id": a.Actor.AccessKeyID,
		"actor.session_issuer": a.Actor.SessionIssuer, "actor.invoked_by": a.Actor.InvokedBy,
	}
	out["actor.mfa_authenticated"] = strconv.FormatBool(a.Actor.MFAAuthenticated)
	for k, v := range a.Target {
		out["target."+k] = v
	}
	for k, v := range a.Context {
		switch x := v.(type) {
		case string:
			out["context."+k] = x
		case json.Number, bool, int, int64, float64:
			out["context."+k] = fmt.Sprint(x)
		}
	}
	for k, v := range out {
		if v == "" {
			delete(out, k)
		}
	}
	return out
}

func fieldValues(a *Alert, paths []string) []string {
	fields := Fields(a)
	out := make([]string, len(paths))
	for i, p := range paths {
		out[i] = fields[p]
	}
	return out
}

// sortedKeys is used by renderers for stable output.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
