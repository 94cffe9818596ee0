package rule

import (
	"slices"
	"strings"
	"testing"
)

func TestShellContexts(t *testing.T) {
	for cmd, want := range map[string][]string{
		`aws iam get-user --user-name {{target.user_name}}`:                         {ShellPlain},
		`aws iam get-user --user-name={{target.user_name}} --x {{event.region}}`:    {ShellPlain, ShellPlain},
		`aws iam get-user --user-name "{{target.user_name}}"`:                       {ShellDoubleQuote},
		`aws iam get-user --user-name '{{target.user_name}}'`:                       {ShellSingleQuote},
		"aws iam get-user --user-name `echo {{target.user_name}}`":                  {ShellBackquote},
		`aws iam get-user --user-name $(echo {{target.user_name}})`:                 {ShellCommandSub},
		`aws iam get-user --user-name ${X:-{{target.user_name}}}`:                   {ShellParamExpand},
		`aws iam get-user --user-name \{{target.user_name}}`:                        {ShellEscaped},
		`aws iam get-user --user-name "a\"{{target.user_name}}"`:                    {ShellDoubleQuote},
		`aws iam x --doc "{\"t\":\"$(date -u)\"}" --user-name {{target.user_name}}`: {ShellPlain},
		`aws iam x --q 'a"b' {{target.user_name}} "c'd" {{event.region}}`:           {ShellPlain, ShellPlain},
		`aws iam x "$(echo "{{target.user_name}}")"`:                                {ShellDoubleQuote},
		`aws iam x "$(echo {{target.user_name}})"`:                                  {ShellCommandSub},
	} {
		if got := ShellContexts(cmd); !slices.Equal(got, want) {
			t.Errorf("ShellContexts(%s) = %q, want %q", cmd, got, want)
		}
	}
	for text, want := range map[string][]string{
		`Review the caller's activity from {{event.time}}: aws cloudtrail lookup-events --start-time {{event.time}}`: {ShellPlain, ShellPlain},
		`Check the user '{{target.user_name}}' in the console`:                                                       {ShellSingleQuote},
		`Run "aws iam get-user --user-name {{target.user_name}}"`:                                                    {ShellDoubleQuote},
	} {
		if got := TextShellContexts(text); !slices.Equal(got, want) {
			t.Errorf("TextShellContexts(%s) = %q, want %q", text, got, want)
		}
	}
}

// TestQuotedPlaceholderRefusedAtLoad: a cli entry that puts a placeholder inside shell quotes
// is a metadata error (rules lint, rules test and pack loading all validate metadata).
func TestQuotedPlaceholderRefusedAtLoad(t *testing.T) {
	for _, cli := range []string{
		`'aws iam get-user --user-name "{{target.user_name}}"'`,
		`"aws iam get-user --user-name '{{target.user_name}}'"`,
		`"aws iam get-user --user-name $(printf %s {{target.user_name}})"`,
	} {
		src := strings.Replace(good, `"aws iam update-access-key --user-name {{target.user_name}} --access-key-id {{target.access_key_id}} --status Inactive"`, cli, 1)
		if src == good {
			t.Fatal("fixture changed: no cli entry to replace")
		}
		_, err := load(t, map[string]string{"iam/reactivated.rego": src})
		if err == nil || !strings.Contains(err.Error(), "placeholder {{target.user_name}} stands inside") || !strings.Contains(err.Error(), "rules/iam/reactivated.rego") {
			t.Errorf("cli %s: err = %v, want the placeholder refused", cli, err)
		}
	}
}
