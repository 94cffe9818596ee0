package settings

import (
	"fmt"
	"strings"
)

// Markers around the generated table in docs/ARCHITECTURE.md.
const (
	TableBegin = "<!-- settings table: generated from internal/settings/vars.go (go test ./internal/settings -run TestDocsTable -update) -->"
	TableEnd   = "<!-- end of settings table -->"
)

// Table renders vars as the Markdown table of the documentation.
func Table(vars []*Var) string {
	var b strings.Builder
	b.WriteString("| name | read by | value | default | meaning |\n| --- | --- | --- | --- | --- |\n")
	for _, v := range vars {
		def := "unset"
		if v.Default != "" {
			def = "`" + v.Default + "`"
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s | %s | %s |\n", v.Name, v.ReadBy, v.describe(), def, v.Doc)
	}
	return b.String()
}

// describe names the kind of value v takes.
func (v *Var) describe() string {
	switch v.Kind {
	case Text:
		return "text, taken as is"
	case Bool:
		return "`true` or `false` (`1`/`0`, `yes`/`no`)"
	case SDKBool:
		return "`true` or `false`"
	case Seconds:
		return fmt.Sprintf("whole seconds >= %d", v.Min)
	case Int:
		return fmt.Sprintf("whole number >= %d", v.Min)
	case Enum:
		return "`" + strings.Join(v.Allowed, "`, `") + "`"
	case URL:
		return "URL"
	case ARN:
		if v.Service != "" {
			return v.Service + " ARN"
		}
		return "ARN"
	case PathList:
		return "directories, `:`-separated"
	case Presence:
		return "set or unset"
	}
	return "text"
}

// Drift compares the table between TableBegin and TableEnd in doc with Table(vars); the error
// names the rows that differ.
func Drift(doc string, vars []*Var) error {
	_, rest, ok := strings.Cut(doc, TableBegin+"\n")
	if !ok {
		return fmt.Errorf("no line %q", TableBegin)
	}
	got, _, ok := strings.Cut(rest, TableEnd)
	if !ok {
		return fmt.Errorf("no line %q after the table", TableEnd)
	}
	want := Table(vars)
	if got == want {
		return nil
	}
	gotRows, wantRows := rowSet(got), rowSet(want)
	var diff []string
	for _, r := range strings.Split(strings.TrimSuffix(want, "\n"), "\n") {
		if !gotRows[r] {
			diff = append(diff, "missing or different: "+r)
		}
	}
	for _, r := range strings.Split(strings.TrimSuffix(got, "\n"), "\n") {
		if !wantRows[r] {
			diff = append(diff, "not declared so: "+r)
		}
	}
	if len(diff) == 0 {
		diff = append(diff, "rows in another order")
	}
	return fmt.Errorf("the documented configuration differs from internal/settings/vars.go:\n%s", strings.Join(diff, "\n"))
}

// Replace returns doc with the table between the markers replaced by Table(vars).
func Replace(doc string, vars []*Var) (string, error) {
	head, rest, ok := strings.Cut(doc, TableBegin+"\n")
	if !ok {
		return "", fmt.Errorf("no line %q", TableBegin)
	}
	_, tail, ok := strings.Cut(rest, TableEnd)
	if !ok {
		return "", fmt.Errorf("no line %q after the table", TableEnd)
	}
	return head + TableBegin + "\n" + Table(vars) + TableEnd + tail, nil
}

func rowSet(table string) map[string]bool {
	out := map[string]bool{}
	for _, r := range strings.Split(table, "\n") {
		out[r] = true
	}
	return out
}
