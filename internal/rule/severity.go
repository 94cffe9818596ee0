package rule

import (
	"encoding/json"
	"fmt"
	"strings"
)

// Severity is an alert severity. The zero value is invalid; the order is meaningful
// (INFORMATIONAL < LOW < MEDIUM < HIGH < CRITICAL).
type Severity int

// Severities, lowest first.
const (
	Informational Severity = iota + 1
	Low
	Medium
	High
	Critical
)

var severityNames = [...]string{"", "INFORMATIONAL", "LOW", "MEDIUM", "HIGH", "CRITICAL"}

// ParseSeverity reads a severity name (case-insensitive).
func ParseSeverity(s string) (Severity, error) {
	for i := Informational; i <= Critical; i++ {
		if strings.EqualFold(s, severityNames[i]) {
			return i, nil
		}
	}
	return 0, fmt.Errorf("unknown severity %q (want one of INFORMATIONAL, LOW, MEDIUM, HIGH, CRITICAL)", s)
}

// Valid reports whether s is one of the five severities.
func (s Severity) Valid() bool { return s >= Informational && s <= Critical }

func (s Severity) String() string {
	if !s.Valid() {
		return fmt.Sprintf("Severity(%d)", int(s))
	}
	return severityNames[s]
}

// MarshalJSON writes the severity name.
func (s Severity) MarshalJSON() ([]byte, error) {
	if !s.Valid() {
		return nil, fmt.Errorf("invalid severity %d", int(s))
	}
	return json.Marshal(s.String())
}

// UnmarshalJSON reads a severity name.
func (s *Severity) UnmarshalJSON(b []byte) error {
	var name string
	if err := json.Unmarshal(b, &name); err != nil {
		return fmt.Errorf("severity: %w", err)
	}
	v, err := ParseSeverity(name)
	if err != nil {
		return err
	}
	*s = v
	return nil
}
