// Package alert owns Alert v1, the contract every sink and downstream consumer depends on:
// the type (field names are fixed; adding is fine, renaming is breaking), the deterministic
// id, remediation templates filled from the event with every CLI value shell-quoted, and the
// renderers for people (text) and machines (JSON). It is the only package that builds an
// alert (Build, Threshold, DedupUpdate, Health) or changes one (the methods in change.go);
// the others read the fields.
package alert

import "time"

// SchemaVersion is the Alert schema this package writes.
const SchemaVersion = "1"

// Alert is one Alert v1 document.
type Alert struct {
	SchemaVersion string            `json:"schema_version"`
	ID            string            `json:"id"`
	CreatedAt     time.Time         `json:"created_at"`
	Severity      string            `json:"severity"`
	Title         string            `json:"title"`
	Summary       string            `json:"summary"`
	Rule          Rule              `json:"rule"`
	Event         Event             `json:"event"`
	Actor         Actor             `json:"actor"`
	Target        map[string]string `json:"target"`
	Context       map[string]any    `json:"context"`
	Remediation   Remediation       `json:"remediation"`
	Runbook       []string          `json:"runbook"`
	Dedup         Dedup             `json:"dedup"`
	Links         Links             `json:"links"`
	// SeverityReasons explain Severity when it differs from the rule's: every escalation
	// and step-down, in the order they were applied (the rule, break-glass, an exception).
	SeverityReasons []SeverityReason `json:"severity_reasons,omitempty"`
	// Tuning says what the org tuning file did to the alert; absent when nothing.
	Tuning *Tuning `json:"tuning,omitempty"`
}

// SeverityReason is one step of how the alert got its severity.
type SeverityReason struct {
	Change string `json:"change"` // "raised" or "lowered"
	From   string `json:"from"`
	To     string `json:"to"`
	// By is what changed it: "rule" (the rule's own escalation or step-down), "break_glass"
	// or "exception" (the org tuning file).
	By     string `json:"by"`
	Reason string `json:"reason"`
}

// Tuning is what the org tuning file did to an alert.
type Tuning struct {
	// Exception is the exception that lowered the alert (or, in the log of a suppressed
	// alert, suppressed it).
	Exception *TuningException `json:"exception,omitempty"`
	// Staged: the rule is staged; the alert goes to the staging route only.
	Staged bool `json:"staged,omitempty"`
}

// TuningException names the exception that changed an alert.
type TuningException struct {
	ID             string `json:"id"`
	Action         string `json:"action"` // "set_severity" or "suppress"
	SeverityBefore string `json:"severity_before"`
	Owner          string `json:"owner"`
	Reason         string `json:"reason"`
	Expires        string `json:"expires"` // YYYY-MM-DD
}

// Rule describes the rule that raised the alert.
type Rule struct {
	ID         string              `json:"id"`
	Title      string              `json:"title"`
	Version    string              `json:"version"`
	Team       string              `json:"team"`
	Severity   string              `json:"severity"`
	Attack     []string            `json:"attack"`
	Compliance map[string][]string `json:"compliance"`
	References []string            `json:"references"`
}

// Event is the CloudTrail event the alert is about.
type Event struct {
	ID           string `json:"id"`
	Name         string `json:"name"`
	Source       string `json:"source"`
	Time         string `json:"time"`
	Account      string `json:"account"`
	Region       string `json:"region"`
	SourceIP     string `json:"source_ip"`
	UserAgent    string `json:"user_agent"`
	ErrorCode    string `json:"error_code"`
	ErrorMessage string `json:"error_message"`
	ReadOnly     bool   `json:"read_only"`
}

// Actor is who made the call.
type Actor struct {
	Type             string `json:"type"`
	ARN              string `json:"arn"`
	Name             string `json:"name"`
	Account          string `json:"account"`
	AccessKeyID      string `json:"access_key_id"`
	SessionIssuer    string `json:"session_issuer"`
	MFAAuthenticated bool   `json:"mfa_authenticated"`
	InvokedBy        string `json:"invoked_by"`
}

// Remediation is the guidance: containment first, then steps, then how to back out.
type Remediation struct {
	Summary     string   `json:"summary"`
	Containment []Step   `json:"containment"`
	Steps       []Step   `json:"steps"`
	Backout     []Step   `json:"backout"`
	References  []string `json:"references"`
}

// Step is one remediation action. CLI entries are complete commands with the event's values,
// each shell-quoted. Omitted says which commands could not be rendered for this event.
type Step struct {
	Title   string   `json:"title"`
	Console []string `json:"console"`
	CLI     []string `json:"cli"`
	Omitted []string `json:"omitted,omitempty"`
}

// Dedup says how many events this alert stands for.
type Dedup struct {
	Key       string `json:"key"`
	Count     int    `json:"count"`
	FirstSeen string `json:"first_seen"`
	LastSeen  string `json:"last_seen"`
}

// Links point the analyst at the event.
type Links struct {
	CloudTrailConsole string `json:"cloudtrail_console"`
}
