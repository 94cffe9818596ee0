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
	// Fields are the record fields the alert copies that are not in Record.Header, if the
	// caller read them from the record the rules saw (engine.ReadRecordFields): Raw is then
	// not decoded again. When they are not Known (the zero value), they are read from Raw.
	Fields engine.RecordFields
	// Actor is the caller as resolved by the lib (data.lib.cloudtrail.actor); nil if it could
	// not be resolved, in which case ActorErr says why and the alert notes it.
	Actor    map[string]any
	ActorErr error
	// Context is added to the alert's context (enrichment results, notes).
	Context map[string]any
	Now     time.Time
}

// Build turns a finding into an Alert v1 with its remediation filled in.
func Build(in Input) (Alert, error) {
	sourceIP, userAgent, errorMessage, identityAccount, readOnly, odd, err := recordFields(in.Record.Raw, in.Fields)
	if err != nil {
		return Alert{}, err
	}
	h := in.Record.Header
	f := in.Finding
	r := f.Rule
	account := h.RecipientAccountID
	if account == "" {
		account = identityAccount
	}
	evTime := h.EventTime
	if t, err := event.ParseTime(h.EventTime); err == nil {
		var buf [64]byte
		if b := t.AppendFormat(buf[:0], time.RFC3339); string(b) != evTime {
			evTime = string(b)
		}
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
			Region: h.AWSRegion, SourceIP: sourceIP, UserAgent: userAgent,
			ErrorCode: h.ErrorCode, ErrorMessage: errorMessage, ReadOnly: readOnly,
		},
		Target:  f.Target,
		Context: make(map[string]any, len(f.Context)+len(in.Context)),
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
	for _, f := range odd {
		addNote(&a, "record field "+f+" is not a string, as AWS writes it: shown as its JSON text")
	}
	if f.Excess > 0 {
		addNote(&a, fmt.Sprintf("the rule raised %d findings for this event; only the first %d became alerts, %d were left out", f.Of, engine.MaxFindings, f.Excess))
	}
	a.SeverityReasons = ruleSeverityReasons(r.Severity, f.Severity, f.Context)
	if in.Actor != nil {
		a.Actor = actorFrom(in.Actor)
	} else if in.ActorErr != nil {
		addNote(&a, "actor unresolved: "+in.ActorErr.Error())
	}
	c := compiledFor(r)
	idSum := idSum(r.ID, account, eventKey(h, in.Record.Raw), f.Index, f.Of)
	if r.Dedup != nil {
		// The id and the dedup key as one string of 64 hex digits, sliced.
		var both [64]byte
		key := dedupKeySum(r.ID, &a, c.dedupBy)
		hex.Encode(both[:32], idSum[:16])
		hex.Encode(both[32:], key[:16])
		s := string(both[:])
		a.ID = s[:32]
		a.Dedup = Dedup{Key: s[32:], Count: 1, FirstSeen: evTime, LastSeen: evTime}
	} else {
		a.ID = hexPrefix(idSum)
		a.Dedup = Dedup{Key: a.ID, Count: 1, FirstSeen: evTime, LastSeen: evTime}
	}
	if h.EventID != "" && h.AWSRegion != "" {
		a.Links.CloudTrailConsole = "https://" + url.PathEscape(h.AWSRegion) + ".console.aws.amazon.com/cloudtrail/home?region=" +
			url.QueryEscape(h.AWSRegion) + "#/events/" + url.PathEscape(h.EventID)
	}
	fill(&a, c)
	capFields(&a)
	return a, nil
}

// ID is the deterministic alert id: the same rule, account and event give the same id in
// every framing, on every delivery and in a replay. A rule that raised several findings for
// one event gets one id per finding position.
func ID(ruleID, account, eventID string, index, of int) string {
	return hexPrefix(idSum(ruleID, account, eventID, index, of))
}

func idSum(ruleID, account, eventID string, index, of int) [sha256.Size]byte {
	var buf [256]byte
	b := append(buf[:0], ruleID...)
	b = append(b, 0)
	b = append(b, account...)
	b = append(b, 0)
	b = append(b, eventID...)
	if of > 1 {
		b = append(b, 0)
		b = strconv.AppendInt(b, int64(index), 10)
	}
	return sha256.Sum256(b)
}

// DedupKey groups alerts of one rule by the values of its dedup.by fields.
func DedupKey(ruleID string, values []string) string {
	var buf [256]byte
	b := append(buf[:0], ruleID...)
	for _, v := range values {
		b = append(b, 0)
		b = append(b, v...)
	}
	return hexPrefix(sha256.Sum256(b))
}

// dedupKeySum is the hash of DedupKey(ruleID, values of the by fields in a).
func dedupKeySum(ruleID string, a *Alert, by []fieldRef) [sha256.Size]byte {
	var buf [256]byte
	b := append(buf[:0], ruleID...)
	for i := range by {
		v, _ := by[i].value(a)
		b = append(b, 0)
		b = append(b, v...)
	}
	return sha256.Sum256(b)
}

// hexPrefix is the first 32 hex digits of a hash.
func hexPrefix(sum [sha256.Size]byte) string {
	var dst [32]byte
	hex.Encode(dst[:], sum[:16])
	return string(dst[:])
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
	for i := 0; i < len(s); i++ {
		c := s[i]
		// Non-ASCII may be a Unicode space; ASCII spaces other than ' ', a leading,
		// trailing or doubled ' ' are folded.
		if c >= 0x80 || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r' ||
			c == ' ' && (i == 0 || i == len(s)-1 || s[i-1] == ' ') {
			return strings.Join(strings.Fields(s), " ")
		}
	}
	return s
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
