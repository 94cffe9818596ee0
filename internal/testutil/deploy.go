package testutil

import (
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"go.yaml.in/yaml/v3"
)

// Readers of deploy/'s templates, for the tests of the CLI and of the Lambda function.

// BacktestDefinitions extracts the state machine definition of deploy/backtest.yaml for each
// item source (ItemSource list and inventory), with the stack parameters at their defaults and
// the resources' references filled, as CloudFormation's Fn::Sub renders it.
func BacktestDefinitions(t testing.TB) map[string]string {
	t.Helper()
	src, err := os.ReadFile(filepath.Join(ModuleRoot(t), "deploy", "backtest.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(src, &doc); err != nil {
		t.Fatal(err)
	}
	vars := map[string]string{
		"AWS::Partition":       "aws",
		"BacktestFunction.Arn": "arn:aws:lambda:us-east-1:123456789012:function:th-backtest",
		"RunBucket":            "th-backtest-runbucket",
	}
	params := MapValue(doc.Content[0], "Parameters")
	for i := 0; i+1 < len(params.Content); i += 2 {
		if d := MapValue(params.Content[i+1], "Default"); d != nil {
			vars[params.Content[i].Value] = d.Value
		}
	}
	def := MapValue(MapValue(MapValue(MapValue(doc.Content[0], "Resources"), "BacktestStateMachine"), "Properties"), "DefinitionString")
	if def == nil || def.Tag != "!Sub" || def.Kind != yaml.SequenceNode || len(def.Content) != 2 {
		t.Fatalf("BacktestStateMachine's DefinitionString is not a !Sub [template, variables]")
	}
	choice := MapValue(def.Content[1], "ItemReader")
	if choice == nil || choice.Tag != "!If" || len(choice.Content) != 3 || choice.Content[0].Value != "UseInventory" {
		t.Fatalf("the ItemReader variable is not !If [UseInventory, inventory, list]")
	}
	sub := func(s string, extra map[string]string) string {
		return regexp.MustCompile(`\$\{([^}]+)\}`).ReplaceAllStringFunc(s, func(m string) string {
			name := m[2 : len(m)-1]
			if v, ok := extra[name]; ok {
				return v
			}
			if v, ok := vars[name]; ok {
				return v
			}
			t.Errorf("definition refers to ${%s}, which is neither a parameter nor a known reference", name)
			return m
		})
	}
	out := map[string]string{}
	for name, n := range map[string]*yaml.Node{"inventory": choice.Content[1], "list": choice.Content[2]} {
		out[name] = sub(def.Content[0].Value, map[string]string{"ItemReader": sub(n.Value, nil)})
	}
	return out
}

// MapValue is the value of key in the YAML mapping n, or nil.
func MapValue(n *yaml.Node, key string) *yaml.Node {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

// Strings converts a decoded JSON array of strings.
func Strings(v any) []string {
	var out []string
	for _, x := range v.([]any) {
		out = append(out, x.(string))
	}
	return out
}
