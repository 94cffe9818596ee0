package tuning

import (
	"time"

	"github.com/trailhound/trailhound/internal/alert"
	"github.com/trailhound/trailhound/internal/rule"
)

// Tuner is the org tuning file as the pipeline applies it (Applier; internal/ruleset hands
// the pipeline its set's).
type Tuner interface {
	// Disabled reports whether the rule is turned off.
	Disabled(ruleID string) bool
	// Tune applies exceptions and staging to a built alert. It may lower a.Severity
	// (recording the exception in a.Tuning and a.SeverityReasons) and mark a staged; when
	// an exception suppresses the alert it returns that exception and true. ex.ID is ""
	// when no exception changed the alert. targetUsers, when not nil, are the IAM users a
	// threshold alert stands for (an exception's target_user must match each); otherwise
	// the alert's target.user_name is used.
	Tune(a *alert.Alert, targetUsers []string) (ex Applied, suppressed bool)
}

// Applier applies a Policy to alerts for the pipeline (Tuner).
type Applier struct {
	Policy *Policy
	// Now is the clock exceptions expire on; time.Now when nil.
	Now func() time.Time
}

// Disabled reports whether rule id is disabled (Tuner).
func (ap *Applier) Disabled(id string) bool { return ap.Policy.Disabled(id) != nil }

// Tune applies the policy to a built alert (Tuner): a staged rule's alert is
// marked staged; an exception that lowers sets the severity, adds a severity reason and
// names itself in a.Tuning; one that suppresses is returned with true, and the alert is
// left as built apart from a.Tuning.
//
// targetUsers, when not nil, are the IAM users a threshold alert stands for (its events'
// targets); otherwise the alert's target.user_name is used.
func (ap *Applier) Tune(a *alert.Alert, targetUsers []string) (Applied, bool) {
	now := time.Now
	if ap.Now != nil {
		now = ap.Now
	}
	sev, _ := rule.ParseSeverity(a.Severity)
	if targetUsers == nil {
		if u := a.Target["user_name"]; u != "" {
			targetUsers = []string{u}
		}
	}
	d := ap.Policy.Decide(Facts{
		RuleID: a.Rule.ID, ActorARN: a.Actor.ARN, SessionIssuer: a.Actor.SessionIssuer, TargetUsers: targetUsers,
		Account: a.Event.Account, SourceIP: a.Event.SourceIP, UserAgent: a.Event.UserAgent, InvokedBy: a.Actor.InvokedBy,
		Severity: sev,
	}, now())
	if !d.Staged && d.Exception == nil {
		return Applied{}, false
	}
	a.MarkTuned(d.Staged)
	e := d.Exception
	if e == nil {
		return Applied{}, false
	}
	before := a.Severity
	a.MarkException(e.ID, string(d.Action), e.Owner, e.Reason, e.Expires.String())
	ex := Applied{
		ID: e.ID, Action: string(d.Action), Owner: e.Owner, Reason: e.Reason, Expires: e.Expires.String(),
		AlertID: a.ID, RuleID: a.Rule.ID, SeverityBefore: before,
	}
	if d.Action == Suppressed {
		return ex, true
	}
	alert.AddSeverityReason(a, d.Severity, "exception", "exception "+e.ID+" ("+e.Owner+", expires "+e.Expires.String()+"): "+e.Reason)
	ex.SeverityAfter = a.Severity
	return ex, false
}
