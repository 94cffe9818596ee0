package rule

import (
	"math/rand/v2"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/open-policy-agent/opa/v1/ast"
)

const good = `# METADATA
# title: Access key reactivated
# custom:
#   id: TH-IAM-001
#   severity: HIGH
#   events: [iam.amazonaws.com:UpdateAccessKey]
#   attack: ["TA0003:T1098.001"]
#   dedup: {window: 1h, by: [actor.arn, target.user_name]}
#   remediation:
#     summary: Deactivate {{target.access_key_id}}.
#     containment:
#       - title: Deactivate the key
#         cli: ["aws iam update-access-key --user-name {{target.user_name}} --access-key-id {{target.access_key_id}} --status Inactive"]
#   runbook: ["Look up {{actor.arn}}"]
package builtin.iam.reactivated

alert contains {"msg": "m"} if true
`

func load(t *testing.T, files map[string]string) (*Pack, error) {
	t.Helper()
	m := fstest.MapFS{}
	for k, v := range files {
		m[k] = &fstest.MapFile{Data: []byte(v)}
	}
	return Load("test", "team", "rules", m)
}

func TestLoadGoodRule(t *testing.T) {
	p, err := load(t, map[string]string{
		"iam/reactivated.rego":      good,
		"iam/reactivated_test.rego": "package builtin.iam.reactivated_test\n\ntest_x if true\n",
		"lib/helpers.rego":          "package lib.helpers\n\nx := 1\n",
	})
	if err != nil {
		t.Fatal(err)
	}
	tests, err := p.Tests()
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Rules) != 1 || len(p.Modules) != 2 || len(tests) != 1 {
		t.Fatalf("rules %d modules %d tests %d", len(p.Rules), len(p.Modules), len(tests))
	}
	if lib := p.Lib(); len(lib) != 1 || lib["rules/lib/helpers.rego"] == nil {
		t.Fatalf("Lib() = %v, want only rules/lib/helpers.rego", lib)
	}
	r := p.Rules[0]
	if r.ID != "TH-IAM-001" || r.Severity != High || r.Title != "Access key reactivated" || r.Version != "1" || r.Team != "team" {
		t.Fatalf("rule %+v", r)
	}
	if r.Query() != "data.builtin.iam.reactivated.alert" || r.File != "rules/iam/reactivated.rego" {
		t.Fatalf("query %s file %s", r.Query(), r.File)
	}
	if r.Events[0] != (EventRef{"iam.amazonaws.com", "UpdateAccessKey"}) || r.Dedup.Window.Hours() != 1 {
		t.Fatalf("events %v dedup %v", r.Events, r.Dedup)
	}
}

func TestLoadRejectsBadMetadata(t *testing.T) {
	cases := []struct{ name, from, to, want string }{
		{"unknown custom key", "#   severity: HIGH", "#   severity: HIGH\n#   sevrity: LOW", `unknown field "sevrity"`},
		{"bad severity", "severity: HIGH", "severity: URGENT", "unknown severity"},
		{"missing severity", "#   severity: HIGH\n", "", "custom.severity is required"},
		{"empty events", "events: [iam.amazonaws.com:UpdateAccessKey]", "events: []", "custom.events"},
		{"malformed event", "events: [iam.amazonaws.com:UpdateAccessKey]", "events: [UpdateAccessKey]", "want eventSource:eventName"},
		{"bad attack id", `"TA0003:T1098.001"`, `"T1098.001"`, "custom.attack"},
		{"bad id", "id: TH-IAM-001", "id: th-iam-1", "custom.id"},
		{"no title", "# title: Access key reactivated\n", "", "title is required"},
		{"unknown placeholder root", "{{actor.arn}}", "{{input.userIdentity}}", "placeholder"},
		{"cli not aws", `cli: ["aws iam`, `cli: ["rm -rf / && aws iam`, "AWS CLI command"},
		{"bad dedup field", "by: [actor.arn, target.user_name]", "by: [whatever]", "custom.dedup.by"},
		{"unknown enrichment", "#   severity: HIGH", "#   severity: HIGH\n#   enrich: [everything]", "custom.enrich"},
		{"missing remediation summary", "#     summary: Deactivate {{target.access_key_id}}.\n", "", "remediation.summary"},
		{"no metadata", good[:strings.Index(good, "package")], "", "no package-scoped # METADATA"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			src := strings.Replace(good, c.from, c.to, 1)
			if src == good {
				t.Fatalf("replacement %q did not apply", c.from)
			}
			_, err := load(t, map[string]string{"iam/reactivated.rego": src})
			if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), "rules/iam/reactivated.rego") {
				t.Fatalf("err = %v, want one naming the file and containing %q", err, c.want)
			}
		})
	}
}

func TestLoadRejectsDuplicateIDsAndParseErrors(t *testing.T) {
	other := strings.Replace(good, "package builtin.iam.reactivated", "package builtin.iam.other", 1)
	_, err := load(t, map[string]string{"a.rego": good, "b.rego": other})
	if err == nil || !strings.Contains(err.Error(), "duplicate rule id TH-IAM-001") {
		t.Fatalf("err = %v", err)
	}
	_, err = load(t, map[string]string{"a.rego": good, "broken.rego": "package x\n\nalert contains if {"})
	if err == nil || !strings.Contains(err.Error(), "broken.rego") {
		t.Fatalf("err = %v", err)
	}
	p, err := load(t, map[string]string{"a.rego": good, "a_test.rego": "package x_test\n\ntest_x if {"})
	if err != nil {
		t.Fatalf("a broken test file must not stop the rules loading: %v", err)
	}
	if _, err := p.Tests(); err == nil || !strings.Contains(err.Error(), "a_test.rego") {
		t.Fatalf("Tests() err = %v", err)
	}
}

func TestHoles(t *testing.T) {
	s := "--user-name {{ target.user_name }} --key {{target.access_key_id}} {{ {x}} {{}}"
	got := Holes(s)
	at := func(p string) (int, int) { i := strings.Index(s, p); return i, i + len(p) }
	a0, a1 := at("{{ target.user_name }}")
	b0, b1 := at("{{target.access_key_id}}")
	c0, c1 := at("{{}}")
	want := []Hole{{a0, a1, "target.user_name"}, {b0, b1, "target.access_key_id"}, {c0, c1, ""}}
	if !slices.Equal(got, want) {
		t.Fatalf("Holes = %+v, want %+v", got, want)
	}
	for _, h := range got {
		if p := s[h.Start:h.End]; !strings.HasPrefix(p, "{{") || !strings.HasSuffix(p, "}}") {
			t.Fatalf("%+v spans %q", h, p)
		}
	}
}

func TestSeverityOrderAndJSON(t *testing.T) {
	if !(Informational < Low && Low < Medium && Medium < High && High < Critical) {
		t.Fatal("severities out of order")
	}
	for _, s := range []Severity{Informational, Low, Medium, High, Critical} {
		b, err := s.MarshalJSON()
		if err != nil {
			t.Fatal(err)
		}
		var back Severity
		if err := back.UnmarshalJSON(b); err != nil || back != s {
			t.Fatalf("round trip %v -> %s -> %v (%v)", s, b, back, err)
		}
	}
	if _, err := Severity(0).MarshalJSON(); err == nil {
		t.Fatal("invalid severity marshalled")
	}
}

func TestCapabilitiesDenyNetworkRuntimeAndClock(t *testing.T) {
	names := map[string]bool{}
	for _, b := range Capabilities().Builtins {
		names[b.Name] = true
	}
	for _, n := range []string{"http.send", "net.lookup_ip_addr", "net.cidr_contains", "opa.runtime", "time.now_ns", "rand.intn", "uuid.rfc4122"} {
		if names[n] {
			t.Errorf("%s is allowed", n)
		}
	}
	for _, n := range []string{"sprintf", "time.parse_rfc3339_ns", "glob.match", "json.marshal", "regex.match"} {
		if !names[n] {
			t.Errorf("%s is denied", n)
		}
	}
}

// placeholderRE is the placeholder regexp Holes implements by hand.
var placeholderRE = regexp.MustCompile(`\{\{\s*([^{}]*?)\s*\}\}`)

// TestPlaceholdersMatchRegexp checks the hand-written scanner against the placeholder regexp
// it replaces, on every short string over an alphabet of braces, blanks and path characters,
// and on random longer ones.
func TestPlaceholdersMatchRegexp(t *testing.T) {
	alphabet := []byte{'{', '}', ' ', 'a', '.', '\n', '\t', '\f', '\v', 0xc3}
	check := func(s string) {
		var want []string
		for _, m := range placeholderRE.FindAllStringSubmatch(s, -1) {
			want = append(want, m[1])
		}
		if got := Placeholders(s); !slices.Equal(got, want) {
			t.Fatalf("Placeholders(%q) = %q, the regexp gives %q", s, got, want)
		}
	}
	var gen func(prefix []byte, n int)
	gen = func(prefix []byte, n int) {
		check(string(prefix))
		if n == 0 {
			return
		}
		for _, c := range alphabet {
			gen(append(prefix, c), n-1)
		}
	}
	gen(nil, 6)
	rng := rand.New(rand.NewPCG(1, 2))
	for range 20000 {
		b := make([]byte, rng.IntN(40))
		for i := range b {
			b[i] = alphabet[rng.IntN(len(alphabet))]
		}
		check(string(b))
	}
	check("aws iam update-access-key --user-name {{ target.user_name }} --access-key-id {{target.access_key_id}} {{{x}}} {{é}}")
}

// TestCapabilitiesAreAnAllowList: only listed builtins are available, whatever this OPA
// version adds; every listed name is a builtin of this version (a typo would silently
// shrink the list); teams/README.md documents exactly the list.
func TestCapabilitiesAreAnAllowList(t *testing.T) {
	all := map[string]bool{}
	for _, b := range ast.CapabilitiesForThisVersion().Builtins {
		all[b.Name] = true
	}
	for _, n := range AllowedBuiltins() {
		if !all[n] {
			t.Errorf("allow-list names %s, which this OPA version does not have", n)
		}
	}
	for _, b := range Capabilities().Builtins {
		if !BuiltinAllowed(b.Name) {
			t.Errorf("capabilities carry %s, which is not on the allow-list", b.Name)
		}
	}
	for _, n := range []string{"io.jwt.decode_verify", "io.jwt.decode", "trace", "providers.aws.sign_req", "crypto.x509.parse_and_verify_certificates", "rego.parse_module", "json.match_schema"} {
		if BuiltinAllowed(n) {
			t.Errorf("%s is allowed", n)
		}
	}
	readme, err := os.ReadFile("../../teams/README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, after, ok := strings.Cut(string(readme), "<!-- allowed-builtins -->")
	doc, _, ok2 := strings.Cut(after, "<!-- /allowed-builtins -->")
	if !ok || !ok2 {
		t.Fatal("teams/README.md: no <!-- allowed-builtins --> section")
	}
	documented := map[string]bool{}
	for _, f := range strings.FieldsFunc(doc, func(r rune) bool { return r == '`' || r == ',' || r == ' ' || r == '\n' }) {
		documented[strings.TrimSpace(f)] = true
	}
	for _, n := range AllowedBuiltins() {
		if !documented[n] {
			t.Errorf("teams/README.md does not list allowed builtin %s", n)
		}
	}
	for n := range documented {
		if n != "" && all[n] && !BuiltinAllowed(n) {
			t.Errorf("teams/README.md lists %s, which is not allowed", n)
		}
	}
}
