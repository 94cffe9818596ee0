// Package tuning owns the org tuning file: how the team that owns the built-in pack tunes
// it (and any team pack) without forking it. It holds the file's strict schema (file:line
// errors, as the team file), its validation, and the compiled Policy that decides, for one
// alert, which exception lowers or suppresses it, whether its rule is staged, and which
// rules are disabled.
//
// It reads and decides; internal/pipeline applies the decisions and counts them, and
// internal/route delivers staged alerts to the staging route.
package tuning

import (
	"fmt"

	"go.yaml.in/yaml/v3"

	"github.com/trailhound/trailhound/internal/team"
)

// File is an org tuning file. Unknown keys are errors. It travels in a rules bundle as JSON
// (data.json, under "tuning"), so every field carries the same name in both tags.
type File struct {
	// Owner answers for the file (the team that owns the built-in pack). Required.
	Owner string `yaml:"owner" json:"owner"`
	// Exceptions lower or suppress matching alerts of the rules they list.
	Exceptions []Exception `yaml:"exceptions,omitempty" json:"exceptions,omitempty"`
	// Staged rules are evaluated and counted; their alerts are marked staged and delivered
	// only to the staging route.
	Staged []string `yaml:"staged,omitempty" json:"staged,omitempty"`
	// StagingRoutes are where staged alerts go in the Lambda. Without any, staged alerts
	// are not delivered there (counted as suppressed, reason staged); the CLI prints them,
	// marked staged.
	StagingRoutes team.Routes `yaml:"staging_routes,omitempty" json:"staging_routes,omitzero"`
	// Disabled rules are not evaluated.
	Disabled []Disabled `yaml:"disabled,omitempty" json:"disabled,omitempty"`
}

// Exception changes the alerts of Rules that Match: SetSeverity lowers them, or Suppress
// keeps them from delivery. Owner, Reason and Expires are required.
type Exception struct {
	ID          string    `yaml:"id" json:"id"`
	Rules       []string  `yaml:"rules" json:"rules"`
	Match       Match     `yaml:"match" json:"match"`
	SetSeverity string    `yaml:"set_severity,omitempty" json:"set_severity,omitempty"`
	Suppress    bool      `yaml:"suppress,omitempty" json:"suppress,omitempty"`
	Owner       string    `yaml:"owner" json:"owner"`
	Reason      string    `yaml:"reason" json:"reason"`
	Expires     team.Date `yaml:"expires" json:"expires"`
}

// Match selects alerts; every field set must match, and at least one must be set.
type Match struct {
	// ActorARN is a glob on the caller's ARN and, for an assumed role, the role's ARN
	// (the session issuer).
	ActorARN string `yaml:"actor_arn,omitempty" json:"actor_arn,omitempty"`
	// TargetUser is a glob on the alert's target.user_name.
	TargetUser string `yaml:"target_user,omitempty" json:"target_user,omitempty"`
	// Account is one account id or a list; the event's account must be one of them.
	Account Accounts `yaml:"account,omitempty" json:"account,omitempty"`
	// SourceIP is an address or a CIDR.
	SourceIP string `yaml:"source_ip,omitempty" json:"source_ip,omitempty"`
	// UserAgent is a glob on the event's user agent.
	UserAgent string `yaml:"user_agent,omitempty" json:"user_agent,omitempty"`
	// InvokedBy is the service that made the call (userIdentity.invokedBy), exactly.
	InvokedBy string `yaml:"invoked_by,omitempty" json:"invoked_by,omitempty"`
}

// empty reports whether no field is set.
func (m Match) empty() bool {
	return m.ActorARN == "" && m.TargetUser == "" && len(m.Account) == 0 && m.SourceIP == "" &&
		m.UserAgent == "" && m.InvokedBy == ""
}

// Accounts is one account id or a list of them ("111122223333" or ["111122223333", ...]).
type Accounts []string

// UnmarshalYAML reads a scalar or a sequence of scalars.
func (a *Accounts) UnmarshalYAML(n *yaml.Node) error {
	switch n.Kind {
	case yaml.ScalarNode:
		*a = Accounts{n.Value}
		return nil
	case yaml.SequenceNode:
		var list []string
		if err := n.Decode(&list); err != nil {
			return err
		}
		*a = list
		return nil
	}
	return fmt.Errorf("line %d: account: want an account id or a list of them", n.Line)
}

// Disabled turns a rule off.
type Disabled struct {
	ID     string `yaml:"id" json:"id"`
	Owner  string `yaml:"owner" json:"owner"`
	Reason string `yaml:"reason" json:"reason"`
}

// Parse reads a tuning file (YAML, or JSON as a bundle carries it) strictly: unknown keys
// and wrong types are errors naming the file and line. It does not validate values; see
// Validate.
func Parse(name string, data []byte) (*File, team.Lines, error) {
	var f File
	lines, err := team.DecodeStrict(name, data, &f, "tuning file (owner is required)")
	if err != nil {
		return nil, nil, err
	}
	return &f, lines, nil
}
