package engine

import (
	"context"
	"errors"
	"fmt"

	"github.com/open-policy-agent/opa/v1/ast"
)

// SubjectsQuery is the lib query that names the IAM users an event concerns, for the
// enricher's lookups: an object with account, target_user, target_access_key_id,
// actor_user, actor_access_key_id (each only when known).
const SubjectsQuery = "data.lib.enrich.subjects"

// Subjects evaluates the lib's subjects query for one event. It returns an empty map when
// the event concerns no IAM user the lib can name, and an error when no lib is loaded or the
// query fails.
func (e *Engine) Subjects(ctx context.Context, input ast.Value) (map[string]any, error) {
	if e.subjects == nil {
		return nil, errors.New("no lib loaded: subjects unresolved")
	}
	ctx, cancel := context.WithTimeout(ctx, e.deadline)
	defer cancel()
	v, ok, err := e.subjects.evalJSON(ctx, input)
	if err != nil {
		return nil, fmt.Errorf("resolve subjects: %w", err)
	}
	if !ok {
		return nil, fmt.Errorf("resolve subjects: %s is undefined (is rules/lib/enrich loaded?)", SubjectsQuery)
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("resolve subjects: got %T, want an object", v)
	}
	return m, nil
}
