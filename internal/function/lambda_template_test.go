package function

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/trailhound/trailhound/internal/cli"
	"github.com/trailhound/trailhound/internal/enrich"
	"github.com/trailhound/trailhound/internal/testutil"
)

// deploy/update-pattern.sh runs this test with -update-pattern to rewrite the templates'
// patterns from the live `detector pattern` output.
var updatePattern = flag.Bool("update-pattern", false, "rewrite the EventBridge patterns in deploy/*.yaml from `detector pattern`")

// patternTemplates are the templates holding the detector's pattern, and how many rules carry
// it in each.
var patternTemplates = map[string]int{"template.yaml": 2, "org-forwarding.yaml": 1}

var patternBlock = regexp.MustCompile(`(?m)^([ \t]*)# BEGIN detector pattern\n(?:.*\n)*?[ \t]*# END detector pattern\n`)

// livePattern is what `detector pattern` prints for the built-in pack.
func livePattern(t *testing.T) []byte {
	t.Helper()
	var out, errw bytes.Buffer
	if code := cli.Run(context.Background(), []string{"pattern"}, strings.NewReader(""), &out, &errw); code != cli.ExitOK {
		t.Fatalf("detector pattern: exit %d: %s", code, errw.String())
	}
	return out.Bytes()
}

// splicePattern replaces every marked pattern block of a template with pattern, indented.
func splicePattern(src, pattern []byte) []byte {
	return patternBlock.ReplaceAllFunc(src, func(block []byte) []byte {
		indent := patternBlock.FindSubmatch(block)[1]
		var b bytes.Buffer
		fmt.Fprintf(&b, "%s# BEGIN detector pattern\n", indent)
		for _, line := range bytes.Split(bytes.TrimRight(pattern, "\n"), []byte("\n")) {
			fmt.Fprintf(&b, "%s%s\n", indent, line)
		}
		fmt.Fprintf(&b, "%s# END detector pattern\n", indent)
		return b.Bytes()
	})
}

// templateRules returns the EventPattern of every AWS::Events::Rule in a CloudFormation
// template, by logical id.
func templateRules(t *testing.T, src []byte) map[string]any {
	t.Helper()
	var doc yaml.Node
	if err := yaml.Unmarshal(src, &doc); err != nil {
		t.Fatalf("parse template: %v", err)
	}
	out := map[string]any{}
	resources := testutil.MapValue(doc.Content[0], "Resources")
	if resources == nil {
		t.Fatal("template has no Resources")
	}
	for i := 0; i+1 < len(resources.Content); i += 2 {
		res := resources.Content[i+1]
		if typ := testutil.MapValue(res, "Type"); typ == nil || typ.Value != "AWS::Events::Rule" {
			continue
		}
		var pattern any
		if p := testutil.MapValue(testutil.MapValue(res, "Properties"), "EventPattern"); p != nil {
			if err := p.Decode(&pattern); err != nil {
				t.Fatalf("%s EventPattern: %v", resources.Content[i].Value, err)
			}
		}
		out[resources.Content[i].Value] = pattern
	}
	return out
}

func TestDeployTemplatesCarryDetectorPattern(t *testing.T) {
	live := livePattern(t)
	var want any
	if err := json.Unmarshal(live, &want); err != nil {
		t.Fatalf("detector pattern output is not JSON: %v", err)
	}
	dir := filepath.Join(testutil.ModuleRoot(t), "deploy")
	for name, rules := range patternTemplates {
		path := filepath.Join(dir, name)
		src, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if *updatePattern {
			src = splicePattern(src, live)
			if err := os.WriteFile(path, src, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		got := templateRules(t, src)
		if len(got) != rules {
			t.Errorf("%s: %d event rules, want %d", name, len(got), rules)
		}
		for id, pattern := range got {
			if !reflect.DeepEqual(pattern, want) {
				t.Errorf("%s: rule %s pattern differs from `detector pattern`; run deploy/update-pattern.sh\n got: %v\nwant: %v", name, id, pattern, want)
			}
		}
	}
}

func TestSplicePatternIsIdempotent(t *testing.T) {
	src := []byte("a:\n  b:\n    # BEGIN detector pattern\n    {}\n    # END detector pattern\n  c: 1\n")
	p := []byte("{\n  \"x\": [\"y\"]\n}\n")
	once := splicePattern(src, p)
	want := "a:\n  b:\n    # BEGIN detector pattern\n    {\n      \"x\": [\"y\"]\n    }\n    # END detector pattern\n  c: 1\n"
	if string(once) != want {
		t.Fatalf("spliced:\n%s\nwant:\n%s", once, want)
	}
	if twice := splicePattern(once, p); !bytes.Equal(once, twice) {
		t.Fatalf("second splice changed the template:\n%s", twice)
	}
}

// iamActions returns the IAM actions the detector role's policy allows (iam:* entries).
func iamActions(t *testing.T, src []byte) []string {
	t.Helper()
	var actions []string
	for _, m := range regexp.MustCompile(`(?m)^\s*-\s*(iam:[A-Za-z*]+)\s*$`).FindAllSubmatch(src, -1) {
		actions = append(actions, string(m[1]))
	}
	return actions
}

// The role may read IAM (every call the enricher makes) and must not write it.
func TestDetectorRoleIAMIsReadOnlyAndCoversEnrichment(t *testing.T) {
	src, err := os.ReadFile(filepath.Join(testutil.ModuleRoot(t), "deploy", "template.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	granted := map[string]bool{}
	for _, a := range iamActions(t, src) {
		name := strings.TrimPrefix(a, "iam:")
		if !strings.HasPrefix(name, "Get") && !strings.HasPrefix(name, "List") {
			t.Errorf("detector role grants %s: only read-only iam:Get*/List* actions are allowed", a)
		}
		granted[name] = true
	}
	api := reflect.TypeFor[enrich.IAMAPI]()
	for i := range api.NumMethod() {
		if m := api.Method(i).Name; !granted[m] {
			t.Errorf("the enricher calls iam:%s but the detector role does not grant it", m)
		}
	}
	if bytes.Contains(src, []byte("iam:*")) || bytes.Contains(src, []byte("iam:Create")) || bytes.Contains(src, []byte("iam:Put")) {
		t.Error("template grants an IAM write action")
	}
}
