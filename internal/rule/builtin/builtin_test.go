package builtin

import "testing"

func TestLoad(t *testing.T) {
	first, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	second, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	if first == second {
		t.Fatal("the second Load returned the preloaded pack again: callers must own their pack")
	}
	if len(first.Rules) == 0 || len(first.Rules) != len(second.Rules) || len(first.Modules) != len(second.Modules) {
		t.Fatalf("packs differ: %d rules, %d modules and %d rules, %d modules",
			len(first.Rules), len(first.Modules), len(second.Rules), len(second.Modules))
	}
	for name, m := range first.Modules {
		if second.Modules[name] == m {
			t.Fatalf("%s: the packs share a module", name)
		}
	}
}
