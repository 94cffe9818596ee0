// Package settings owns the process environment of the detector and bootstrap binaries: every
// environment variable either reads is declared here (vars.go) with its name, kind of value,
// default and meaning, and parsed here, with errors that name the variable. The rest of the
// program takes the typed values this package returns (Function, Destinations, Bundle,
// Sources, Enrichment, Terminal, AWS) and never reads the environment itself.
//
// The configuration table of docs/ARCHITECTURE.md is generated from the declarations
// (Table; TestDocsTable fails when the two differ, go test -run TestDocsTable -update
// rewrites it).
//
// It is named settings, not config, so that it is not mistaken for aws-sdk-go-v2/config (which
// the Lambda build must not link); it imports the standard library only. Parsing is a few
// string comparisons per variable, done once at init.
package settings

import (
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Kind is the kind of value a variable holds; it decides how the value is parsed.
type Kind int

const (
	// String is text, surrounding white space removed.
	String Kind = iota
	// Text is text taken as is (a PEM key, whose line breaks matter).
	Text
	// Bool is true or false; 1/0 and yes/no too, in any case.
	Bool
	// SDKBool is true or false in any case, and nothing else, as the AWS SDK reads it.
	SDKBool
	// Seconds is a whole number of seconds, at least Var.Min.
	Seconds
	// Int is a whole number, at least Var.Min.
	Int
	// Enum is one of Var.Allowed, in any case.
	Enum
	// URL is an http:// or https:// address.
	URL
	// ARN is an Amazon Resource Name, of Var.Service when that is set.
	ARN
	// PathList is directories separated by the path list separator (: on Linux).
	PathList
	// Presence is set (any non-empty value) or not.
	Presence
)

// Var declares one environment variable.
type Var struct {
	Name string
	Kind Kind
	// Default is the value when the variable is unset or empty, as the documentation shows
	// it ("" when there is none). Defaults of Bool, Seconds, Int and Enum variables parse.
	Default string
	// Allowed are the values of an Enum, in the spelling Parse returns; Aliases maps other
	// accepted spellings (lower case) to one of them.
	Allowed []string
	Aliases map[string]string
	// Min is the least value of a Seconds or Int variable.
	Min int
	// Service is the service an ARN must name ("sns"); "" for any.
	Service string
	// ReadBy says which binaries read it: "Lambda", "CLI", "Lambda, CLI", ...
	ReadBy string
	// Doc is its meaning: one line of Markdown.
	Doc string
}

// lookup returns v's value from getenv (trimmed unless v is Text) and whether it is set.
func (v *Var) lookup(getenv func(string) string) (string, bool) {
	s := getenv(v.Name)
	if v.Kind != Text {
		s = strings.TrimSpace(s)
	} else if strings.TrimSpace(s) == "" {
		s = ""
	}
	return s, s != ""
}

// errorf is an error naming v.
func (v *Var) errorf(format string, args ...any) error {
	return fmt.Errorf("%s: "+format, append([]any{v.Name}, args...)...)
}

// Value returns the text of a String or Text variable, or its default when it is unset.
func (v *Var) Value(getenv func(string) string) string {
	if s, ok := v.lookup(getenv); ok {
		return s
	}
	return v.Default
}

// Parse returns v's text, or its default when it is unset: URL, ARN and Enum values
// checked (an Enum's in its declared spelling), others as they are.
func (v *Var) Parse(getenv func(string) string) (string, error) {
	s, ok := v.lookup(getenv)
	if !ok {
		return v.Default, nil
	}
	switch v.Kind {
	case URL:
		if !strings.HasPrefix(s, "https://") && !strings.HasPrefix(s, "http://") {
			return "", v.errorf("want an http:// or https:// URL, got %q", s)
		}
	case ARN:
		if err := checkARN(s, v.Service); err != nil {
			return "", v.errorf("%v", err)
		}
	case Enum:
		return v.enum(s)
	}
	return s, nil
}

// Bool returns v's truth value (Bool and SDKBool variables; Presence: whether it is set), or
// its default when it is unset.
func (v *Var) Bool(getenv func(string) string) (bool, error) {
	s, ok := v.lookup(getenv)
	if v.Kind == Presence {
		return ok, nil
	}
	if !ok {
		s = v.Default
	}
	return v.parseBool(s)
}

// BoolOr is Bool with def in place of the declared default: ENRICH defaults to true in
// Lambda and to false in the CLI.
func (v *Var) BoolOr(getenv func(string) string, def bool) (bool, error) {
	if _, ok := v.lookup(getenv); !ok {
		return def, nil
	}
	return v.Bool(getenv)
}

// parseBool is the one boolean parser: unset (empty) is false.
func (v *Var) parseBool(s string) (bool, error) {
	switch l := strings.ToLower(s); {
	case l == "" || l == "false" || (v.Kind == Bool && (l == "0" || l == "no")):
		return false, nil
	case l == "true" || (v.Kind == Bool && (l == "1" || l == "yes")):
		return true, nil
	}
	return false, v.errorf("want true or false, got %q", s)
}

// Int returns v's whole number (Int variables), or its default when it is unset.
func (v *Var) Int(getenv func(string) string) (int, error) {
	s, ok := v.lookup(getenv)
	if !ok {
		s = v.Default
	}
	if s == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < v.Min {
		return 0, v.errorf("want a whole number >= %d, got %q", v.Min, s)
	}
	return n, nil
}

// Duration returns v's duration (Seconds variables), or its default when it is unset.
func (v *Var) Duration(getenv func(string) string) (time.Duration, error) {
	s, ok := v.lookup(getenv)
	if !ok {
		s = v.Default
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < v.Min {
		return 0, v.errorf("want a whole number of seconds >= %d, got %q", v.Min, s)
	}
	return time.Duration(n) * time.Second, nil
}

// Paths returns v's directories (PathList variables), blanks left out.
func (v *Var) Paths(getenv func(string) string) []string {
	s, _ := v.lookup(getenv)
	var out []string
	for _, d := range filepath.SplitList(s) {
		if d = strings.TrimSpace(d); d != "" {
			out = append(out, d)
		}
	}
	return out
}

// enum returns the allowed value s names.
func (v *Var) enum(s string) (string, error) {
	for _, a := range v.Allowed {
		if strings.EqualFold(s, a) {
			return a, nil
		}
	}
	if a, ok := v.Aliases[strings.ToLower(s)]; ok {
		return a, nil
	}
	return "", v.errorf("want one of %s, got %q", strings.Join(v.Allowed, ", "), s)
}

// checkARN checks the shape arn:partition:service:region:account:resource, and the service
// when service is not "".
func checkARN(s, service string) error {
	parts := strings.SplitN(s, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || parts[1] == "" || parts[2] == "" || parts[5] == "" {
		return fmt.Errorf("want an ARN (arn:partition:service:region:account:resource), got %q", s)
	}
	if service != "" && parts[2] != service {
		return fmt.Errorf("want an ARN of %s, got one of %s: %q", service, parts[2], s)
	}
	return nil
}
