package alert_test

// The alerts of the built-in pack, pinned: testdata/build_inputs.jsonl.gz holds what alert.Build
// was given for the pack's own fixtures (rules/testdata/remediation with their enrichment,
// examples/, a synthetic trail's alerting IAM records; not the shared corpus, whose records
// stay out of the repository) and for crafted findings that put hostile, missing and typed
// values into every placeholder of every rule;
// testdata/build_golden.txt.gz holds the JSON line and the text rendering of each alert. The
// snapshot of inputs keeps this test independent of the Rego: a change to the pack does not
// change what this test renders. Regenerate both after an intended change to the output, or
// to take in a changed pack:
//
//	go test ./internal/alert/ -run TestBuildGolden -update
//
// and review the change (zcat both versions; gzip keeps the 2 MB of renderings small in the
// repository). On a difference the test prints the alerts that changed.

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"hash/fnv"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/trailhound/trailhound/internal/alert"
	"github.com/trailhound/trailhound/internal/bench/synth"
	"github.com/trailhound/trailhound/internal/engine"
	"github.com/trailhound/trailhound/internal/event"
	"github.com/trailhound/trailhound/internal/rule"
	"github.com/trailhound/trailhound/rules"
)

var update = flag.Bool("update", false, "regenerate testdata/build_inputs.jsonl.gz and testdata/build_golden.txt.gz")

const (
	inputsFile = "testdata/build_inputs.jsonl.gz"
	goldenFile = "testdata/build_golden.txt.gz"
)

// snapRule is a rule as the snapshot keeps it (rule.Metadata leaves Title out of its JSON).
type snapRule struct {
	Title    string        `json:"title"`
	Package  string        `json:"package"`
	File     string        `json:"file"`
	Team     string        `json:"team"`
	Metadata rule.Metadata `json:"metadata"`
}

// snapInput is one alert.Input; Rule names a snapRule by id.
type snapInput struct {
	Name     string            `json:"name"`
	Rule     string            `json:"rule,omitempty"`
	SnapRule *snapRule         `json:"snap_rule,omitempty"` // the first line only: the rules
	Msg      string            `json:"msg,omitempty"`
	Target   map[string]string `json:"target,omitempty"`
	Severity rule.Severity     `json:"severity,omitempty"`
	FContext map[string]any    `json:"finding_context,omitempty"`
	Index    int               `json:"index,omitempty"`
	Of       int               `json:"of,omitempty"`
	Header   event.Header      `json:"header"`
	Raw      json.RawMessage   `json:"raw"`
	Actor    map[string]any    `json:"actor,omitempty"`
	ActorErr string            `json:"actor_err,omitempty"`
	Context  map[string]any    `json:"context,omitempty"`
	Now      time.Time         `json:"now"`
}

type namedInput struct {
	name string
	in   alert.Input
}

var (
	snapOnce   sync.Once
	snapInputs []namedInput
	snapErr    error
)

// loadSnapshot reads testdata/build_inputs.jsonl into alert.Inputs.
func loadSnapshot(tb testing.TB) []namedInput {
	tb.Helper()
	snapOnce.Do(func() { snapInputs, snapErr = readSnapshot(inputsFile) })
	if snapErr != nil {
		tb.Fatal(snapErr)
	}
	return snapInputs
}

func readSnapshot(file string) ([]namedInput, error) {
	b, err := readGz(file)
	if err != nil {
		return nil, err
	}
	rules := map[string]*rule.Rule{}
	var out []namedInput
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(nil, 1<<24)
	for n := 1; sc.Scan(); n++ {
		dec := json.NewDecoder(bytes.NewReader(sc.Bytes()))
		dec.UseNumber() // as OPA gives numbers
		dec.DisallowUnknownFields()
		var s snapInput
		if err := dec.Decode(&s); err != nil {
			return nil, fmt.Errorf("%s:%d: %w", file, n, err)
		}
		if s.SnapRule != nil {
			r := &rule.Rule{Metadata: s.SnapRule.Metadata, Package: s.SnapRule.Package, File: s.SnapRule.File, Team: s.SnapRule.Team}
			r.Title = s.SnapRule.Title
			rules[r.ID] = r
			continue
		}
		r := rules[s.Rule]
		if r == nil {
			return nil, fmt.Errorf("%s:%d: rule %q not in the snapshot", file, n, s.Rule)
		}
		in := alert.Input{
			Finding: engine.Finding{Rule: r, Msg: s.Msg, Target: s.Target, Severity: s.Severity, Context: s.FContext, Index: s.Index, Of: s.Of},
			Record:  event.Record{Header: s.Header, Raw: []byte(s.Raw)},
			Actor:   s.Actor, Context: s.Context, Now: s.Now,
		}
		if s.ActorErr != "" {
			in.ActorErr = errors.New(s.ActorErr)
		}
		if parsed, err := engine.ParseInput(in.Record.Raw); err == nil {
			in.Fields = engine.ReadRecordFields(parsed) // as the pipeline reads them from the record the rules saw
		}
		out = append(out, namedInput{s.Name, in})
	}
	return out, sc.Err()
}

// render is what the golden file pins for one input.
func render(name string, in alert.Input) string {
	var b strings.Builder
	fmt.Fprintf(&b, "=== %s\n", name)
	a, err := alert.Build(in)
	if err != nil {
		fmt.Fprintf(&b, "error: %v\n", err)
		return b.String()
	}
	if err := alert.WriteJSON(&b, &a); err != nil {
		fmt.Fprintf(&b, "json error: %v\n", err)
	}
	b.WriteString(alert.Text(&a))
	return b.String()
}

func TestBuildGolden(t *testing.T) {
	if *update {
		writeSnapshot(t)
		snapOnce = sync.Once{}
	}
	inputs := loadSnapshot(t)
	if len(inputs) < 100 {
		t.Fatalf("%d inputs in %s: the snapshot lost its fixtures", len(inputs), inputsFile)
	}
	var got strings.Builder
	for _, n := range inputs {
		r := render(n.name, n.in)
		got.WriteString(r)
		if n.in.Fields.Known() {
			// The record fields read from the parsed record and from the raw one agree.
			raw := n.in
			raw.Fields = engine.RecordFields{}
			if rr := render(n.name, raw); rr != r {
				t.Errorf("%s: built from the raw record:\n%s\nfrom the parsed record:\n%s", n.name, rr, r)
			}
		}
	}
	if *update {
		writeGz(t, goldenFile, []byte(got.String()))
		return
	}
	want, err := readGz(goldenFile)
	if err != nil {
		t.Fatal(err)
	}
	if got.String() == string(want) {
		return
	}
	g, w := strings.SplitAfter(got.String(), "\n=== "), strings.SplitAfter(string(want), "\n=== ")
	bad := 0
	for i := 0; i < max(len(g), len(w)) && bad < 5; i++ {
		var gi, wi string
		if i < len(g) {
			gi = g[i]
		}
		if i < len(w) {
			wi = w[i]
		}
		if gi != wi {
			bad++
			t.Errorf("alert %d differs:\n--- got\n%s\n--- want\n%s", i, gi, wi)
		}
	}
	t.Fatalf("rendered alerts differ from %s (regenerate with -update only if the change is intended)", goldenFile)
}

// BenchmarkBuild builds, per iteration, one alert of the snapshot in turn (the built-in pack's
// fixtures, a synthetic trail's alerts and crafted findings): ns/op and allocs/op are per
// alert; cpu-ns/op is the process's CPU time per alert (GC included), steadier than wall time
// on a shared machine. "trail" is the synthetic trail's alerts alone, the mix a replay
// delivers.
func BenchmarkBuild(b *testing.B) {
	all := loadSnapshot(b)
	var trail []namedInput
	for _, n := range all {
		if strings.HasPrefix(n.name, "synth/") {
			trail = append(trail, n)
		}
	}
	for _, c := range []struct {
		name   string
		inputs []namedInput
	}{{"all", all}, {"trail", trail}} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			defer reportCPU(b)()
			i := 0
			for b.Loop() {
				if _, err := alert.Build(c.inputs[i].in); err != nil {
					b.Fatal(err)
				}
				if i++; i == len(c.inputs) {
					i = 0
				}
			}
		})
	}
}

// BenchmarkBuildJSON is Build then WriteJSON, the delivery path of a JSON Lines sink.
func BenchmarkBuildJSON(b *testing.B) {
	all := loadSnapshot(b)
	b.ReportAllocs()
	defer reportCPU(b)()
	var buf bytes.Buffer
	i := 0
	for b.Loop() {
		a, err := alert.Build(all[i].in)
		if err != nil {
			b.Fatal(err)
		}
		buf.Reset()
		if err := alert.WriteJSON(&buf, &a); err != nil {
			b.Fatal(err)
		}
		if i++; i == len(all) {
			i = 0
		}
	}
}

// reportCPU starts measuring the process's CPU time; the function it returns reports it per
// iteration.
func reportCPU(b *testing.B) func() {
	start, ok := processCPU()
	return func() {
		if end, ok2 := processCPU(); ok && ok2 && b.N > 0 {
			b.ReportMetric(float64(end-start)/float64(b.N), "cpu-ns/op")
		}
	}
}

// writeSnapshot evaluates the fixtures through the built-in pack and writes the inputs of
// every alert, then crafted inputs for every rule.
func writeSnapshot(t *testing.T) {
	p, err := rule.Load("builtin", "builtin", "rules", rules.FS)
	if err != nil {
		t.Fatal(err)
	}
	eng, errs := engine.New(context.Background(), []*rule.Pack{p}, engine.Options{Lib: p.Lib(), Deadline: 10 * time.Minute}) // generous: no verdict depends on the machine's speed
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	now := time.Date(2026, 11, 22, 12, 0, 0, 123456789, time.UTC)
	var lines [][]byte
	add := func(v any) {
		j, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		lines = append(lines, j)
	}
	ruleList := eng.Rules()
	sort.Slice(ruleList, func(i, j int) bool { return ruleList[i].ID < ruleList[j].ID })
	for _, r := range ruleList {
		add(snapInput{Name: "rule/" + r.ID, SnapRule: &snapRule{Title: r.Title, Package: r.Package, File: r.File, Team: r.Team, Metadata: r.Metadata}})
	}
	inputOf := func(name string, f engine.Finding, rec event.Record, actor map[string]any, actorErr error, ctx map[string]any) snapInput {
		s := snapInput{
			Name: name, Rule: f.Rule.ID, Msg: f.Msg, Target: f.Target, Severity: f.Severity, FContext: f.Context,
			Index: f.Index, Of: f.Of, Header: rec.Header, Raw: json.RawMessage(rec.Raw), Actor: actor, Context: ctx, Now: now,
		}
		if actorErr != nil {
			s.ActorErr = actorErr.Error()
		}
		return s
	}
	// evaluate runs records as the pipeline does (enrichment given) and adds every finding.
	evaluate := func(name string, raw []byte, enrichment ast.Value, limit map[string]int) int {
		n := 0
		for rec, err := range event.RecordsBytes(name, raw) {
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			sel := eng.Select(rec.EventSource, rec.EventName)
			if sel.Len() == 0 {
				continue
			}
			in, err := engine.ParseInput(rec.Raw)
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			var doc map[string]any
			if enrichment != nil {
				in = engine.WithEnrichment(in, enrichment)
				j, err := ast.JSON(enrichment)
				if err != nil {
					t.Fatal(err)
				}
				doc, _ = j.(map[string]any)
			}
			findings, errs := eng.Evaluate(context.Background(), sel, in)
			if len(errs) > 0 {
				t.Fatalf("%s: %v", name, errs)
			}
			if len(findings) == 0 {
				continue
			}
			actor, actorErr := eng.Actor(context.Background(), in)
			for _, f := range findings {
				if limit != nil {
					if limit[f.Rule.ID] >= 6 {
						continue
					}
					limit[f.Rule.ID]++
				}
				var ctx map[string]any
				if doc != nil && len(f.Rule.Enrich) > 0 {
					ctx = map[string]any{"enrichment": doc}
				}
				add(inputOf(fmt.Sprintf("%s#%d/%s/%d", name, rec.Origin.Index, f.Rule.ID, f.Index), f, rec, actor, actorErr, ctx))
				n++
			}
		}
		return n
	}

	// The remediation fixtures, with stand-in access key ids for $KEY(user[,n]).
	keyToken := regexp.MustCompile(`\$KEY\(([A-Za-z0-9_+=,.@-]+?)(?:,([0-9]))?\)`)
	subst := func(b []byte) []byte {
		return keyToken.ReplaceAllFunc(b, func(m []byte) []byte {
			h := fnv.New32a()
			h.Write(m)
			return fmt.Appendf(nil, "AKIAFIXTURE%08X", h.Sum32())
		})
	}
	files, _ := filepath.Glob("../../rules/testdata/remediation/*.json")
	if len(files) == 0 {
		t.Fatal("no remediation fixtures")
	}
	for _, file := range files {
		b, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		var fx struct {
			Enrichment json.RawMessage   `json:"enrichment"`
			Records    []json.RawMessage `json:"records"`
		}
		if err := json.Unmarshal(b, &fx); err != nil {
			t.Fatal(err)
		}
		var enr ast.Value
		if len(fx.Enrichment) > 0 {
			if enr, err = ast.ValueFromReader(bytes.NewReader(subst(fx.Enrichment))); err != nil {
				t.Fatal(err)
			}
		}
		recs, _ := json.Marshal(fx.Records)
		if evaluate("remediation/"+filepath.Base(file), subst(recs), enr, nil) == 0 {
			t.Fatalf("%s raised nothing", file)
		}
	}
	// Not the shared corpus: its records are others' and stay out of the repository, and
	// the golden file would hold alerts made from them.
	for _, dir := range []string{"../../examples"} {
		files, _ := filepath.Glob(filepath.Join(dir, "*.json*"))
		if len(files) == 0 {
			t.Fatalf("no files in %s", dir)
		}
		for _, file := range files {
			b, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			evaluate(filepath.Base(dir)+"/"+filepath.Base(file), b, nil, nil)
		}
	}
	// A synthetic trail's alerting IAM records (internal/bench/synth, as `make bench`), at
	// most 6 alerts per rule.
	c := synth.Default()
	c.Records, c.Files, c.IAMPercent = 20_000, 4, 10
	limit := map[string]int{}
	for key, raw := range synth.IAMRecords(c) {
		evaluate("synth/"+key, raw, nil, limit)
	}
	crafted(t, ruleList, now, add)
	writeGz(t, inputsFile, append(bytes.Join(lines, []byte("\n")), '\n'))
}

func readGz(file string) ([]byte, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	return io.ReadAll(zr)
}

func writeGz(t *testing.T, file string, b []byte) {
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	zw.Write(b)
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(file, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

var placeholderRE = regexp.MustCompile(`\{\{\s*([^{}]*?)\s*\}\}`)

// crafted adds, for every rule, findings whose placeholders get plain, hostile, typed and
// missing values, on records missing optional fields.
func crafted(t *testing.T, rs []*rule.Rule, now time.Time, add func(any)) {
	const rec = `{"eventVersion":"1.08","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/alice","accountId":"111122223333"},` +
		`"eventTime":"2024-05-01T10:00:00Z","eventSource":"iam.amazonaws.com","eventName":"UpdateAccessKey","awsRegion":"us-east-1",` +
		`"sourceIPAddress":"198.51.100.7","userAgent":"aws-cli/2.15 \u001b[31m<b>","errorMessage":"it's \"denied\"\n","readOnly":"TRUE",` +
		`"eventID":"e1","recipientAccountId":"111122223333"}`
	const bare = `{"eventTime":"yesterday","eventSource":"iam.amazonaws.com","eventName":"UpdateAccessKey","readOnly":true,"userIdentity":{"accountId":"444455556666"}}`
	header := event.Header{EventSource: "iam.amazonaws.com", EventName: "UpdateAccessKey", EventID: "e1", EventTime: "2024-05-01T10:00:00Z", AWSRegion: "us-east-1", RecipientAccountID: "111122223333"}
	bareHeader := event.Header{EventSource: "iam.amazonaws.com", EventName: "UpdateAccessKey", EventTime: "yesterday"}
	actor := map[string]any{"type": "AssumedRole", "arn": "arn:aws:sts::111122223333:assumed-role/Admin/alice", "name": "alice", "account": "111122223333",
		"access_key_id": "ASIAEXAMPLE", "session_issuer": map[string]any{"arn": "arn:aws:iam::111122223333:role/Admin"}, "mfa_authenticated": "true", "invoked_by": ""}
	hostile := []string{"bob; rm -rf ~", "$(curl evil)", "it's", "a b\nc", "\u202eevil\x1b[2J", `"q"\`, "", "ünï <&>", "-rf", "*"}
	for _, r := range rs {
		var paths []string
		seen := map[string]bool{}
		each := func(s string) {
			for _, m := range placeholderRE.FindAllStringSubmatch(s, -1) {
				if !seen[m[1]] {
					seen[m[1]] = true
					paths = append(paths, m[1])
				}
			}
		}
		each(r.Remediation.Summary)
		for _, steps := range [][]rule.Step{r.Remediation.Containment, r.Remediation.Steps, r.Remediation.Backout} {
			for _, s := range steps {
				each(s.Title)
				for _, c := range s.Console {
					each(c)
				}
				for _, c := range s.CLI {
					each(c)
				}
			}
		}
		for _, s := range r.Runbook {
			each(s)
		}
		for variant := range 6 {
			target, fctx := map[string]string{}, map[string]any{}
			for i, p := range paths {
				var v string
				switch variant {
				case 0:
					v = "plain-" + strings.ReplaceAll(p, ".", "-")
				case 1, 2:
					v = hostile[(i+variant)%len(hostile)]
				case 3:
					if i%2 == 0 {
						continue // every other value missing
					}
					v = "v" + fmt.Sprint(i)
				default:
					continue // nothing
				}
				if k, ok := strings.CutPrefix(p, "target."); ok {
					target[k] = v
				}
				if k, ok := strings.CutPrefix(p, "context."); ok {
					switch i % 5 {
					case 1:
						fctx[k] = json.Number("90")
					case 2:
						fctx[k] = variant == 1
					case 3:
						fctx[k] = []any{v}
					default:
						fctx[k] = v
					}
				}
			}
			s := snapInput{
				Name: fmt.Sprintf("crafted/%s/%d", r.ID, variant), Rule: r.ID, Msg: "crafted\nfinding \x1b[1m of " + r.ID,
				Target: target, Severity: r.Severity, FContext: fctx, Of: 1, Header: header, Raw: json.RawMessage(rec), Actor: actor, Now: now,
				Context: map[string]any{"notes": []string{"lookup failed"}, "enrichment": map[string]any{"days": json.Number("3.5")}},
			}
			switch variant {
			case 2:
				s.Index, s.Of = 1, 3
				s.Severity = rule.Critical
			case 4:
				s.Header, s.Raw, s.Actor, s.ActorErr, s.Context = bareHeader, json.RawMessage(bare), nil, "resolve actor: undefined", nil
				s.Target, s.FContext = nil, nil
			case 5:
				s.Actor = map[string]any{"type": "Root", "mfa_authenticated": false}
			}
			add(s)
		}
	}
}
