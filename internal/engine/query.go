package engine

import (
	"context"
	"fmt"
	"strings"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/metrics"
	"github.com/open-policy-agent/opa/v1/storage"
	"github.com/open-policy-agent/opa/v1/storage/inmem"
	"github.com/open-policy-agent/opa/v1/topdown"
)

// This file evaluates queries with OPA's topdown evaluator directly. The rego package wraps
// the same evaluator; going around it saves, on every evaluation, a goroutine that waits for
// the deadline and the conversion of results the engine does not read, and it keeps OPA's
// Wasm compiler and planner, which the rego package links whether or not they are used, out
// of the binary (about 1.3 MB of the Lambda function).

// binding is one output of a query: the variable the query binds, and the expression bound.
type binding struct {
	name string
	expr string
}

// query is a query compiled on a pack's compiler, ready to evaluate.
type query struct {
	body     ast.Body
	qc       ast.QueryCompiler
	compiler *ast.Compiler
	store    storage.Store
	vars     []ast.Var // the variable that holds each binding's value after compilation
}

// emptyStore is the data store of every query: the packs hold rules only, no base documents,
// and nothing writes to it.
var emptyStore = inmem.New()

// prepareQuery compiles "name1 = expr1; name2 = expr2; ..." on compiler. The query compiler
// checks it as the rego package would: unknown references and functions, and builtins the
// compiler's capabilities leave out, are errors.
func prepareQuery(compiler *ast.Compiler, bindings ...binding) (*query, error) {
	parts := make([]string, len(bindings))
	for i, b := range bindings {
		parts[i] = b.name + " = " + b.expr
	}
	src := strings.Join(parts, "; ")
	body, err := ast.ParseBodyWithOpts(src, ast.ParserOptions{RegoVersion: ast.RegoV1})
	if err != nil {
		return nil, fmt.Errorf("parse query %q: %w", src, err)
	}
	qc := compiler.QueryCompiler()
	compiled, err := qc.Compile(body)
	if err != nil {
		return nil, fmt.Errorf("compile query %q: %w", src, err)
	}
	q := &query{body: compiled, qc: qc, compiler: compiler, store: emptyStore, vars: make([]ast.Var, len(bindings))}
	rewritten := map[ast.Var]ast.Var{} // original name -> name in the compiled body
	for compiledVar, original := range qc.RewrittenVars() {
		rewritten[original] = compiledVar
	}
	for i, b := range bindings {
		q.vars[i] = ast.Var(b.name)
		if v, ok := rewritten[q.vars[i]]; ok {
			q.vars[i] = v
		}
	}
	return q, nil
}

// eval evaluates q on input. It returns the value of each binding of q's first result, and
// false when q has no result (some binding is undefined). Evaluation stops with an error when
// ctx is done; builtin errors are errors (OPA's strict builtin errors).
func (q *query) eval(ctx context.Context, input ast.Value) ([]ast.Value, bool, error) {
	txn, err := q.store.NewTransaction(ctx)
	if err != nil {
		return nil, false, fmt.Errorf("open data transaction: %w", err)
	}
	defer q.store.Abort(ctx, txn)
	cache := newRefCache()
	defer cache.free()
	tq := topdown.NewQuery(q.body).
		WithQueryCompiler(q.qc).
		WithCompiler(q.compiler).
		WithStore(q.store).
		WithTransaction(txn).
		WithInput(ast.NewTerm(input)).
		WithVirtualCache(cache).      // OPA's allocates a map per level of each rule cached
		WithBaseCache(noBaseCache{}). // the store is empty: nothing to cache
		WithStrictBuiltinErrors(true).
		WithMetrics(metrics.NoOp()) // nothing reads them; topdown would make a new set per query
	if ctx.Done() != nil {
		c := topdown.NewCancel()
		tq = tq.WithCancel(c)
		stop := context.AfterFunc(ctx, c.Cancel)
		defer stop()
	}
	var out []ast.Value
	err = tq.Iter(ctx, func(r topdown.QueryResult) error {
		if out != nil {
			return nil // the first result is the one read; these queries have at most one
		}
		out = make([]ast.Value, len(q.vars))
		for i, v := range q.vars {
			t, ok := r[v]
			if !ok {
				return fmt.Errorf("query result lacks %s", v)
			}
			out[i] = t.Value
		}
		return nil
	})
	if err != nil {
		return nil, false, err
	}
	return out, out != nil, nil
}

// evalJSON evaluates a query of one binding and returns its value as JSON-like Go values
// (map[string]any, []any, string, json.Number, bool, nil), as the rego package returns them.
func (q *query) evalJSON(ctx context.Context, input ast.Value) (any, bool, error) {
	vs, ok, err := q.eval(ctx, input)
	if err != nil || !ok {
		return nil, ok, err
	}
	v, err := toJSON(vs[0])
	if err != nil {
		return nil, false, fmt.Errorf("convert result: %w", err)
	}
	return v, true, nil
}
