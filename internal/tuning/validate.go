package tuning

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/trailhound/trailhound/internal/rule"
	"github.com/trailhound/trailhound/internal/team"
)

// BuiltinPrefix starts the ids of the built-in pack's rules.
const BuiltinPrefix = "TH-"

// invokedByRE is a service principal as CloudTrail records it in userIdentity.invokedBy.
var invokedByRE = regexp.MustCompile(`^([a-z0-9-]+\.)+amazonaws\.com$|^AWS Internal$`)

// Validate checks a parsed tuning file and returns every problem, each naming the file
// (and line when known). now decides which exceptions have expired: an expired exception
// is an error, so it is renewed or removed rather than silently lapsing.
//
// known, when not nil, holds the rules the file may name, with their base severities (the
// built-in pack, and the team packs loaded beside it). A built-in id (TH-...) that is not
// in it is an error; a team rule id that is not is accepted, as team packs may arrive
// later in a bundle. An exception whose set_severity is above the base severity of a
// known rule it lists is an error: an exception only lowers, and such an exception could
// only ever touch escalated alerts of that rule, which is never what was meant.
func Validate(file string, f *File, lines team.Lines, now time.Time, known map[string]rule.Severity) error {
	var errs []error
	bad := func(path, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: %s", lines.At(file, path), fmt.Sprintf(format, args...)))
	}
	checkID := func(path, what, id string) {
		switch {
		case !team.CheckRuleID(id):
			bad(path, "%s %q: want a rule id such as TH-IAM-002", what, id)
		case known != nil && strings.HasPrefix(id, BuiltinPrefix):
			if _, ok := known[id]; !ok {
				bad(path, "%s %q: no built-in rule has this id (detector rules list)", what, id)
			}
		}
	}
	if strings.TrimSpace(f.Owner) == "" {
		bad("owner", "owner is required (the team that owns the built-in pack)")
	}
	for _, e := range team.CheckRoutes("staging_routes", f.StagingRoutes) {
		bad(e.Path, "%s", e.Msg)
	}
	ids := map[string]bool{}
	for i := range f.Exceptions {
		errs = append(errs, validateException(file, fmt.Sprintf("exceptions[%d]", i), i, &f.Exceptions[i], lines, now, known, ids, checkID)...)
	}
	disabled := map[string]bool{}
	for i, d := range f.Disabled {
		path := fmt.Sprintf("disabled[%d]", i)
		checkID(path, "disabled", d.ID)
		if team.CheckRuleID(d.ID) && !strings.HasPrefix(d.ID, BuiltinPrefix) {
			bad(path, "disabled %q: the tuning file disables built-in rules (TH-...); a team disables its own rules in its team file", d.ID)
		}
		if disabled[d.ID] {
			bad(path, "disabled %q is listed twice", d.ID)
		}
		disabled[d.ID] = true
		if strings.TrimSpace(d.Owner) == "" || strings.TrimSpace(d.Reason) == "" {
			bad(path, "disabled %q: owner and reason are required", d.ID)
		}
	}
	staged := map[string]bool{}
	for i, id := range f.Staged {
		path := fmt.Sprintf("staged[%d]", i)
		checkID(path, "staged", id)
		if staged[id] {
			bad(path, "staged %q is listed twice", id)
		}
		if disabled[id] {
			bad(path, "staged %q is also disabled: a rule is staged or disabled, not both", id)
		}
		staged[id] = true
	}
	return errors.Join(errs...)
}

func validateException(file, path string, i int, e *Exception, lines team.Lines, now time.Time, known map[string]rule.Severity, ids map[string]bool, checkID func(path, what, id string)) []error {
	var errs []error
	name := e.ID
	if name == "" {
		name = fmt.Sprintf("#%d", i+1)
	}
	fail := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: exception %s: %s", lines.At(file, path), name, fmt.Sprintf(format, args...)))
	}
	switch {
	case e.ID == "":
		fail("id is required")
	case !team.CheckRuleID(e.ID):
		fail("id: want an upper-case id such as TUNE-001")
	case ids[e.ID]:
		fail("id is used twice")
	}
	ids[e.ID] = true
	if len(e.Rules) == 0 {
		fail("rules is required: the rule ids the exception applies to")
	}
	seen := map[string]bool{}
	for j, id := range e.Rules {
		checkID(fmt.Sprintf("%s.rules[%d]", path, j), "exception "+name+": rules", id)
		if seen[id] {
			fail("rules: %s is listed twice", id)
		}
		seen[id] = true
	}
	for _, err := range checkMatch(e.Match) {
		fail("match: %v", err)
	}
	var sev rule.Severity
	switch {
	case e.Suppress && e.SetSeverity != "":
		fail("set either set_severity or suppress: true, not both")
	case !e.Suppress && e.SetSeverity == "":
		fail("set_severity (to lower the alerts) or suppress: true is required")
	case e.SetSeverity != "":
		var err error
		if sev, err = rule.ParseSeverity(e.SetSeverity); err != nil {
			fail("set_severity: %v", err)
		} else if sev == rule.Critical {
			fail("set_severity CRITICAL lowers nothing: an exception only lowers severity")
		}
	}
	if sev.Valid() && known != nil {
		for _, id := range e.Rules {
			if base, ok := known[id]; ok && sev > base {
				fail("set_severity %s is above %s's severity %s: an exception only lowers severity", sev, id, base)
			}
		}
	}
	if strings.TrimSpace(e.Owner) == "" {
		fail("owner is required")
	}
	if strings.TrimSpace(e.Reason) == "" {
		fail("reason is required")
	}
	switch {
	case e.Expires.IsZero():
		fail("expires is required (YYYY-MM-DD): exceptions are reviewed, not forgotten")
	case e.Expires.ExpiredAt(now):
		fail("expired on %s (owner %s): renew it with a new date or remove it", e.Expires, e.Owner)
	}
	return errs
}

// checkMatch validates an exception's match block.
func checkMatch(m Match) []error {
	var errs []error
	if m.empty() {
		errs = append(errs, errors.New("set at least one of actor_arn, target_user, account, source_ip, user_agent, invoked_by (to stop a rule entirely, list it under disabled)"))
	}
	if m.ActorARN != "" {
		if err := team.CheckGlob("actor_arn", m.ActorARN, true); err != nil {
			errs = append(errs, err)
		}
	}
	if m.TargetUser != "" {
		if err := team.CheckGlob("target_user", m.TargetUser, false); err != nil {
			errs = append(errs, err)
		}
	}
	if m.UserAgent != "" {
		if err := team.CheckGlob("user_agent", m.UserAgent, false); err != nil {
			errs = append(errs, err)
		}
	}
	for _, a := range m.Account {
		if !team.CheckAccount(a) {
			errs = append(errs, fmt.Errorf("account %q: want a 12-digit account id", a))
		}
	}
	if m.Account != nil && len(m.Account) == 0 {
		errs = append(errs, errors.New("account: an empty list matches nothing"))
	}
	if m.SourceIP != "" {
		if _, err := team.ParsePrefix(m.SourceIP); err != nil {
			errs = append(errs, fmt.Errorf("source_ip %q: want an IP address or CIDR", m.SourceIP))
		}
	}
	if m.InvokedBy != "" && !invokedByRE.MatchString(m.InvokedBy) {
		errs = append(errs, fmt.Errorf("invoked_by %q: want a service principal such as cloudformation.amazonaws.com (matched exactly)", m.InvokedBy))
	}
	return errs
}

// Load parses and validates a tuning file and compiles its policy.
func Load(name string, data []byte, now time.Time, known map[string]rule.Severity) (*Policy, error) {
	f, lines, err := Parse(name, data)
	if err != nil {
		return nil, err
	}
	if err := Validate(name, f, lines, now, known); err != nil {
		return nil, err
	}
	return New(f)
}
