package tuning

import (
	"time"

	"github.com/trailhound/trailhound/internal/alert"
	"github.com/trailhound/trailhound/internal/pipeline"
	"github.com/trailhound/trailhound/internal/rule"
)

// Applier applies a Policy to alerts for the pipeline (pipeline.Tuning).
type Applier struct {
	Policy *Policy
	// Now is the clock exceptions expire on; time.Now when nil.
	Now func() time.Time
}

// Disabled reports whether rule id is disabled (pipeline.Tuning).
func (ap *Applier) Disabled(id string) bool { return ap.Policy.Disabled(id) != nil }

// Tune applies the policy to a built alert (pipeline.Tuning): a staged rule's alert is
// marked staged; an exception that lowers sets the severity, adds a severity reason and
// names itself in a.Tuning; one that suppresses is returned with true, and the alert is
// left as built apart from a.Tuning.
//
// targetUsers, when not nil, are the IAM users a threshold alert stands for (its events'
// targets); otherwise the alert's target.user_name is used.
func (ap *Applier) Tune(a *alert.Alert, targetUsers []string) (pipeline.Exception, bool) {
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
		return pipeline.Exception{}, false
	}
	a.MarkTuned(d.Staged)
	e := d.Exception
	if e == nil {
		return pipeline.Exception{}, false
	}
	before := a.Severity
	a.MarkException(e.ID, string(d.Action), e.Owner, e.Reason, e.Expires.String())
	ex := pipeline.Exception{
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
