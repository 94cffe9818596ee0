package team

import (
	"net/netip"
	"regexp"
)

// The matching helpers team suppressions use, for other policy files that match alerts the
// same way (internal/tuning).

// Glob compiles an actor_arn or user_agent pattern as suppressions do: * matches any run
// of characters (slashes included), ? one character, anything else itself. nil for "".
func Glob(pattern string) *regexp.Regexp { return glob(pattern) }

// CheckGlob rejects an empty pattern and one made only of wildcards (it would match every
// alert); with arn, a pattern that does not start with arn:.
func CheckGlob(field, pattern string, arn bool) error { return checkGlob(field, pattern, arn) }

// ParsePrefix reads an IP address (as a one-address prefix) or a CIDR.
func ParsePrefix(s string) (netip.Prefix, error) { return parsePrefix(s) }

// CheckRuleID reports whether id has the form of a rule id (TH-IAM-001, PAYMENTS-001).
func CheckRuleID(id string) bool { return idRE.MatchString(id) }

// CheckAccount reports whether s is a 12-digit account id.
func CheckAccount(s string) bool { return accountRE.MatchString(s) }
