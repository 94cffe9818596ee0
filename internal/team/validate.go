package team

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/trailhound/trailhound/internal/rule"
)

var (
	nameRE    = regexp.MustCompile(`^[a-z][a-z0-9_]{1,39}$`)
	idRE      = regexp.MustCompile(`^[A-Z][A-Z0-9]*(-[A-Z0-9]+)+$`)
	accountRE = regexp.MustCompile(`^\d{12}$`)
	// The route and secret patterns are compiled on first use: their counted repetitions
	// ({1,256}, {1,512}) expand into large programs (the secret pattern alone is about 30
	// million instructions, several milliseconds of every process start), and only team files
	// with routes need them.
	queueRE = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`^https?://[^\s/]+/\d{12}/[A-Za-z0-9_-]{1,80}(\.fifo)?$`)
	})
	topicRE = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}(\.fifo)?$`)
	})
	busRE = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`^([A-Za-z0-9._/-]{1,256}|arn:aws[a-z-]*:events:[a-z0-9-]+:\d{12}:event-bus/[A-Za-z0-9._/-]{1,256})$`)
	})
	secretRE = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`^(arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[A-Za-z0-9/_+=.@-]{1,512}|[A-Za-z0-9/_+=.@-]{1,512})$`)
	})
	// reserved names would collide with the built-in pack's namespaces or ids (TH-...).
	reserved = map[string]bool{"builtin": true, "lib": true, "th": true, "teams": true, "trailhound": true, "health": true}
)

// CheckName reports whether team is a usable team name: lower case letters, digits and
// underscores, starting with a letter (it is a Rego package segment), not a reserved word.
func CheckName(team string) error {
	if !nameRE.MatchString(team) {
		return fmt.Errorf("team name %q: want lower-case letters, digits and _ (2-40 characters, starting with a letter), as it becomes the Rego package teams.%s", team, team)
	}
	if reserved[team] {
		return fmt.Errorf("team name %q is reserved", team)
	}
	return nil
}

// IDPrefix is the prefix every rule id (and suppression id) of the team carries:
// "payments" -> "PAYMENTS-", "data_lake" -> "DATA-LAKE-".
func IDPrefix(team string) string {
	return strings.ToUpper(strings.ReplaceAll(team, "_", "-")) + "-"
}

// Validate checks a parsed team file and returns every problem, each naming file (and line
// when known). now decides which suppressions have expired: an expired suppression is an
// error, so it is renewed or removed rather than silently lapsing or lingering.
func Validate(team, file string, f *File, lines Lines, now time.Time) error {
	var errs []error
	bad := func(path, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: %s", lines.At(file, path), fmt.Sprintf(format, args...)))
	}
	prefix := IDPrefix(team)
	if strings.TrimSpace(f.Owner) == "" {
		bad("owner", "owner is required (who answers for this pack)")
	}
	for _, e := range CheckRoutes("routes", f.Routes) {
		bad(e.Path, "%s", e.Msg)
	}
	validateDestinations(f.Routes, bad)
	if f.Parameters != nil {
		if _, err := json.Marshal(f.Parameters); err != nil {
			bad("parameters", "parameters must be JSON data (string keys): %v", err)
		}
	}
	seen := map[string]bool{}
	for i, id := range f.Disabled {
		path := fmt.Sprintf("disabled[%d]", i)
		if !strings.HasPrefix(id, prefix) {
			bad(path, "disabled %q: a team can only disable its own rules (ids starting %s)", id, prefix)
		}
		if seen[id] {
			bad(path, "disabled %q is listed twice", id)
		}
		seen[id] = true
	}
	for i, id := range f.Subscriptions.IDs {
		if !idRE.MatchString(id) {
			bad(fmt.Sprintf("subscriptions.ids[%d]", i), "subscriptions.ids %q: want a rule id such as TH-IAM-001", id)
		}
	}
	if s := f.Subscriptions.MinSeverity; s != "" {
		if _, err := rule.ParseSeverity(s); err != nil {
			bad("subscriptions.min_severity", "subscriptions.min_severity: %v", err)
		}
	}
	ids := map[string]bool{}
	for i, s := range f.Suppressions {
		path := fmt.Sprintf("suppressions[%d]", i)
		name := s.ID
		if name == "" {
			name = fmt.Sprintf("#%d", i+1)
		}
		fail := func(format string, args ...any) {
			bad(path, "suppression %s: %s", name, fmt.Sprintf(format, args...))
		}
		switch {
		case s.ID == "":
			fail("id is required")
		case !idRE.MatchString(s.ID) || !strings.HasPrefix(s.ID, prefix):
			fail("id: want an upper-case id starting %s, such as %sS-001", prefix, prefix)
		case ids[s.ID]:
			fail("id is used twice")
		}
		ids[s.ID] = true
		for _, err := range checkMatch(s.Match, prefix) {
			fail("match: %v", err)
		}
		if strings.TrimSpace(s.Owner) == "" {
			fail("owner is required")
		}
		if strings.TrimSpace(s.Reason) == "" {
			fail("reason is required")
		}
		switch {
		case s.Expires.IsZero():
			fail("expires is required (YYYY-MM-DD): suppressions are temporary")
		case s.Expires.ExpiredAt(now):
			fail("expired on %s (owner %s): renew it with a new date or remove it", s.Expires, s.Owner)
		}
	}
	for i, b := range f.BreakGlass {
		path := fmt.Sprintf("break_glass[%d]", i)
		if err := checkGlob("actor_arn", b.ActorARN, true); err != nil {
			bad(path, "break_glass: %v", err)
		}
		if b.Severity != "" {
			if _, err := rule.ParseSeverity(b.Severity); err != nil {
				bad(path, "break_glass %s: severity: %v", b.ActorARN, err)
			}
		}
		if strings.TrimSpace(b.Owner) == "" || strings.TrimSpace(b.Reason) == "" {
			bad(path, "break_glass %s: owner and reason are required", b.ActorARN)
		}
	}
	return errors.Join(errs...)
}

// RouteError is a problem with one route of a Routes block: Path is its key path
// ("routes.sqs_queue_url"), for Lines.
type RouteError struct{ Path, Msg string }

// CheckRoutes validates a Routes block written under key (routes, staging_routes).
func CheckRoutes(key string, r Routes) []RouteError {
	var out []RouteError
	if r.SQSQueueURL != "" && !queueRE().MatchString(r.SQSQueueURL) {
		p := key + ".sqs_queue_url"
		out = append(out, RouteError{p, fmt.Sprintf("%s %q: want a queue URL such as https://sqs.us-east-1.amazonaws.com/111122223333/payments-alerts", p, r.SQSQueueURL)})
	}
	if r.SNSTopicARN != "" && !topicRE().MatchString(r.SNSTopicARN) {
		p := key + ".sns_topic_arn"
		out = append(out, RouteError{p, fmt.Sprintf("%s %q: want a topic ARN such as arn:aws:sns:us-east-1:111122223333:payments-alerts", p, r.SNSTopicARN)})
	}
	if r.EventBusName != "" && !busRE().MatchString(r.EventBusName) {
		p := key + ".event_bus_name"
		out = append(out, RouteError{p, fmt.Sprintf("%s %q: want an event bus name or ARN", p, r.EventBusName)})
	}
	return out
}

// checkMatch validates a suppression's match block.
func checkMatch(m Match, prefix string) []error {
	var errs []error
	if m.ActorARN == "" && m.Account == "" && m.SourceIP == "" && m.UserAgent == "" {
		errs = append(errs, errors.New("set at least one of actor_arn, account, source_ip, user_agent (to stop a rule entirely, list it under disabled)"))
	}
	if m.ActorARN != "" {
		if err := checkGlob("actor_arn", m.ActorARN, true); err != nil {
			errs = append(errs, err)
		}
	}
	if m.UserAgent != "" {
		if err := checkGlob("user_agent", m.UserAgent, false); err != nil {
			errs = append(errs, err)
		}
	}
	if m.Account != "" && !accountRE.MatchString(m.Account) {
		errs = append(errs, fmt.Errorf("account %q: want a 12-digit account id", m.Account))
	}
	if m.SourceIP != "" {
		if _, err := parsePrefix(m.SourceIP); err != nil {
			errs = append(errs, fmt.Errorf("source_ip %q: want an IP address or CIDR", m.SourceIP))
		}
	}
	for _, id := range m.RuleIDs {
		if !strings.HasPrefix(id, prefix) {
			errs = append(errs, fmt.Errorf("rule_ids %q: a team can only suppress its own rules (ids starting %s)", id, prefix))
		}
	}
	return errs
}

// checkGlob rejects empty patterns and patterns made only of wildcards, which would match
// every alert; ARN patterns must start with arn:.
func checkGlob(field, pattern string, arn bool) error {
	if strings.Trim(pattern, "*? ") == "" {
		return fmt.Errorf("%s %q matches everything", field, pattern)
	}
	if arn && !strings.HasPrefix(pattern, "arn:") {
		return fmt.Errorf("%s %q: want an ARN or an ARN glob (arn:aws:iam::111122223333:role/ci-*)", field, pattern)
	}
	return nil
}

// parsePrefix reads an address (as a one-address prefix) or a CIDR.
func parsePrefix(s string) (netip.Prefix, error) {
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		return p.Masked(), err
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, err
	}
	return netip.PrefixFrom(a, a.BitLen()), nil
}

// validateDestinations checks the third-party destinations of a team's routes: secrets named
// by ARN or name, an https webhook URL that comes with its signing secret, and minimum
// severities that parse and belong to a destination that is set.
func validateDestinations(r Routes, bad func(path, format string, args ...any)) {
	for _, s := range []struct{ path, v string }{
		{"routes.pagerduty_secret", r.PagerDutySecret}, {"routes.slack_secret", r.SlackSecret}, {"routes.webhook_secret", r.WebhookSecret},
	} {
		if s.v != "" && !secretRE().MatchString(s.v) {
			bad(s.path, "%s: want a Secrets Manager secret ARN or name (the secret holds the credential; never the credential itself)", s.path)
		}
	}
	if r.WebhookURL != "" {
		if u, err := url.Parse(r.WebhookURL); err != nil || u.Scheme != "https" || u.Host == "" || u.User != nil {
			bad("routes.webhook_url", "routes.webhook_url %q: want an https URL without credentials", r.WebhookURL)
		}
	}
	if (r.WebhookURL == "") != (r.WebhookSecret == "") {
		bad("routes.webhook_url", "routes.webhook_url and routes.webhook_secret go together: webhooks are always signed")
	}
	for _, m := range []struct{ path, v, dest string }{
		{"routes.pagerduty_min_severity", r.PagerDutyMinSeverity, r.PagerDutySecret},
		{"routes.slack_min_severity", r.SlackMinSeverity, r.SlackSecret},
		{"routes.webhook_min_severity", r.WebhookMinSeverity, r.WebhookURL},
	} {
		if m.v == "" {
			continue
		}
		if _, err := rule.ParseSeverity(m.v); err != nil {
			bad(m.path, "%s: %v", m.path, err)
		}
		if m.dest == "" {
			bad(m.path, "%s without its destination", m.path)
		}
	}
}
