package rule

// Shell contexts of placeholders. Every value is inserted into a template shell-quoted (as one
// '...' word when it is not plain), which is safe only where the shell reads a plain word: a
// quoted value placed inside quotes is unquoted by them ("{{x}}" renders "'$(id)'", and the
// double quotes make $(id) live again), after a backslash the opening quote is escaped, and
// inside a command substitution the value is part of a command the shell runs.

// Shell contexts a placeholder can stand in (ShellContexts).
const (
	ShellPlain       = ""
	ShellSingleQuote = "inside single quotes"
	ShellDoubleQuote = "inside double quotes"
	ShellBackquote   = "inside backquotes"
	ShellCommandSub  = "inside $( )"
	ShellParamExpand = "inside ${ }"
	ShellEscaped     = "after a backslash"
)

// ShellContexts returns, for each placeholder of the command line s (in Holes order), the
// shell context it stands in: ShellPlain where a shell-quoted value is one literal word, else
// the context that makes it unsafe. A placeholder's rendered value is a single word that
// changes no state, so the scan steps over it.
func ShellContexts(s string) []string { return shellContexts(s, false) }

// TextShellContexts is ShellContexts for prose that may carry a command (titles, console
// steps, runbook entries): an apostrophe is an apostrophe ("the caller's keys"), so a single
// quote opens no context, but a placeholder directly beside one ('{{x}}) is still refused as
// ShellSingleQuote.
func TextShellContexts(s string) []string { return shellContexts(s, true) }

func shellContexts(s string, prose bool) []string {
	holes := Holes(s)
	out := make([]string, 0, len(holes))
	var stack []string
	top := func() string {
		if len(stack) == 0 {
			return ShellPlain
		}
		return stack[len(stack)-1]
	}
	push := func(c string) { stack = append(stack, c) }
	pop := func() { stack = stack[:len(stack)-1] }
	escaped := false
	for i := 0; i < len(s); {
		if len(out) < len(holes) && i == holes[len(out)].Start {
			h := holes[len(out)]
			ctx := top()
			switch {
			case escaped && ctx != ShellSingleQuote:
				ctx = ShellEscaped
			case ctx == ShellPlain && prose && (h.Start > 0 && s[h.Start-1] == '\'' || h.End < len(s) && s[h.End] == '\''):
				ctx = ShellSingleQuote
			}
			out = append(out, ctx)
			i = holes[len(out)-1].End
			escaped = false
			continue
		}
		c := s[i]
		i++
		if escaped {
			escaped = false
			continue
		}
		next := byte(0)
		if i < len(s) {
			next = s[i]
		}
		switch top() {
		case ShellSingleQuote:
			if c == '\'' {
				pop()
			}
			continue
		case ShellDoubleQuote:
			switch {
			case c == '\\':
				escaped = true
			case c == '"':
				pop()
			case c == '`':
				push(ShellBackquote)
			case c == '$' && next == '(':
				push(ShellCommandSub)
				i++
			case c == '$' && next == '{':
				push(ShellParamExpand)
				i++
			}
			continue
		}
		switch {
		case c == '\\':
			escaped = true
		case c == '\'' && !prose:
			push(ShellSingleQuote)
		case c == '"':
			push(ShellDoubleQuote)
		case c == '`' && top() == ShellBackquote:
			pop()
		case c == '`':
			push(ShellBackquote)
		case c == '$' && next == '(':
			push(ShellCommandSub)
			i++
		case c == '$' && next == '{':
			push(ShellParamExpand)
			i++
		case c == ')' && top() == ShellCommandSub, c == '}' && top() == ShellParamExpand:
			pop()
		}
	}
	return out
}
