package engine_test

import (
	"context"
	"strings"
	"testing"

	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/trailhound/trailhound/internal/engine"
	"github.com/trailhound/trailhound/internal/rule"
	"github.com/trailhound/trailhound/rules"
)

// TestSubjects evaluates the real rules/lib subjects query: the users the enricher looks up
// are the ones the lib derives (exact names; the caller when the request names nobody).
func TestSubjects(t *testing.T) {
	ctx := context.Background()
	p, err := rule.Load("builtin", "builtin", "rules", rules.FS)
	if err != nil {
		t.Fatal(err)
	}
	lib := p.Lib()
	eng, errs := engine.New(ctx, nil, engine.Options{Lib: lib})
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	in, err := engine.ParseInput([]byte(`{"eventSource":"iam.amazonaws.com","eventName":"UpdateAccessKey","recipientAccountId":"111122223333",
		"userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/jackson","accountId":"111122223333","accessKeyId":"AKIAEXAMPLEJACKSON01","userName":"jackson"},
		"requestParameters":{"userName":"jack","accessKeyId":"AKIAEXAMPLEJACK00001","status":"Active"}}`))
	if err != nil {
		t.Fatal(err)
	}
	got, err := eng.Subjects(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"account": "111122223333", "target_user": "jack", "target_access_key_id": "AKIAEXAMPLEJACK00001",
		"actor_user": "jackson", "actor_access_key_id": "AKIAEXAMPLEJACKSON01"}
	if len(got) != len(want) {
		t.Fatalf("subjects %v, want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("subjects[%s] = %v, want %v", k, got[k], v)
		}
	}

	// Without a lib, or with a lib lacking lib.enrich, Subjects says so.
	bare, _ := engine.New(ctx, nil, engine.Options{})
	if _, err := bare.Subjects(ctx, in); err == nil || !strings.Contains(err.Error(), "no lib") {
		t.Fatalf("no lib: %v", err)
	}
	other, errs := engine.New(ctx, nil, engine.Options{Lib: map[string]*ast.Module{"x.rego": ast.MustParseModule("package lib.cloudtrail\n\nactor := {}\n")}})
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	if _, err := other.Subjects(ctx, in); err == nil || !strings.Contains(err.Error(), engine.SubjectsQuery) {
		t.Fatalf("lib without lib.enrich: %v", err)
	}
}
