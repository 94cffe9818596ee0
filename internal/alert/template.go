package alert

import (
	"bytes"
	"strings"
	"sync"

	"github.com/trailhound/trailhound/internal/rule"
)

// fill renders the rule's remediation and runbook templates with the alert's values.
//
// Every value is inserted through ShellQuote, in commands and in text alike: runbook and
// console text often carries command lines an analyst copies, and event values are
// attacker-controlled. Plain values (names, ARNs, key ids, times) are unchanged by quoting.
//
// An entry whose placeholder has no value in this event is left out, never rendered half
// filled: rules gate optional guidance on values that are only present when it applies. A left-
// out CLI command is named in the step's Omitted list unless the missing value is a context.*
// key (rules set those only where the guidance applies); a step left with no entries is
// dropped. Only the remediation summary, which is required, shows a missing value as
// <unknown path>.
//
// The templates are split into text and placeholders once per rule (compiledFor), and every
// string of the alert's remediation and runbook is rendered into one buffer that becomes one
// string, which the entries are slices of.
func fill(a *Alert, c *compiled) {
	// The buffers are on the stack (a renderer is passed by value, so they do not escape);
	// larger remediations grow onto the heap.
	var bufArr [8 << 10]byte
	var piecesArr [128]piece
	rd := renderer{buf: bufArr[:0], pieces: piecesArr[:0]}
	var n counts
	rd = rd.summary(a, &c.summary)
	for i := range c.sections {
		rd = rd.steps(a, c.sections[i], &n, i)
	}
	for i := range c.runbook {
		var ok bool
		if rd, ok = rd.text(a, &c.runbook[i], pieceRunbook); ok {
			n.strs++
		}
	}
	rd.build(a, c, &n)
}

// piece kinds: what each rendered string is.
const (
	pieceSummary uint8 = iota
	pieceStep          // a step's title; the step's entries follow
	pieceConsole
	pieceCLI
	pieceOmitted
	pieceRunbook
)

// piece is one rendered string: buf[previous end:end].
type piece struct {
	end  int32
	kind uint8
}

// counts sizes the slices the rendered strings go into.
type counts struct {
	steps [3]int // kept steps per section
	strs  int    // console, cli, omitted and runbook entries
}

// renderer is the text rendered so far and where each string ends. Its methods take and
// return it by value, which keeps fill's buffers on the stack.
type renderer struct {
	buf    []byte
	pieces []piece
}

func (rd renderer) mark(kind uint8) renderer {
	rd.pieces = append(rd.pieces, piece{int32(len(rd.buf)), kind})
	return rd
}

// expand appends t with every placeholder's value shell-quoted. When a value is missing, or a
// placeholder stands where shell quoting would not hold (segment.unsafe), it leaves the buffer
// as it was and returns the first such path (and the unsafe context).
func (rd renderer) expand(a *Alert, t *tmpl) (out renderer, missing, unsafe string, ok bool) {
	start := len(rd.buf)
	for i := range t.segs {
		s := &t.segs[i]
		rd.buf = append(rd.buf, s.lit...)
		if !s.hole {
			continue
		}
		if s.unsafe != "" {
			rd.buf = rd.buf[:start]
			return rd, s.ref.path, s.unsafe, false
		}
		v, ok := s.ref.value(a)
		if !ok && s.ref.path != "" { // an empty path ({{ }}) renders as '', as the regexp expansion did
			rd.buf = rd.buf[:start]
			return rd, s.ref.path, "", false
		}
		if len(v) > 0 && v[0] == '-' {
			joinOption(rd.buf[start:])
		}
		rd.buf = appendShellQuoted(rd.buf, v)
	}
	return rd, "", "", true
}

// joinOption turns "--user-name " at the end of entry into "--user-name=": the value that
// follows starts with "-", which the AWS CLI would otherwise read as an option of its own.
func joinOption(entry []byte) {
	n := len(entry)
	if n < 4 || entry[n-1] != ' ' {
		return
	}
	opt := entry[bytes.LastIndexByte(entry[:n-1], ' ')+1 : n-1]
	if len(opt) > 2 && opt[0] == '-' && opt[1] == '-' {
		entry[n-1] = '='
	}
}

// text renders t as one piece of kind, or nothing when a value is missing.
func (rd renderer) text(a *Alert, t *tmpl, kind uint8) (renderer, bool) {
	rd, _, _, ok := rd.expand(a, t)
	if ok {
		rd = rd.mark(kind)
	}
	return rd, ok
}

func (rd renderer) summary(a *Alert, t *tmpl) renderer {
	for i := range t.segs {
		s := &t.segs[i]
		rd.buf = append(rd.buf, s.lit...)
		if !s.hole {
			continue
		}
		if s.unsafe != "" {
			rd.buf = append(rd.buf, "<refused "...)
			rd.buf = append(rd.buf, s.ref.path...)
			rd.buf = append(rd.buf, '>')
		} else if v, ok := s.ref.value(a); ok {
			rd.buf = appendShellQuoted(rd.buf, v)
		} else {
			rd.buf = append(rd.buf, "<unknown "...)
			rd.buf = append(rd.buf, s.ref.path...)
			rd.buf = append(rd.buf, '>')
		}
	}
	return rd.mark(pieceSummary)
}

// steps renders section's steps and counts the ones kept.
func (rd renderer) steps(a *Alert, in []cstep, n *counts, section int) renderer {
	for i := range in {
		s := &in[i]
		before := rd
		var ok bool
		if rd, ok = rd.text(a, &s.title, pieceStep); !ok {
			continue
		}
		entries, omitted := 0, 0
		for j := range s.console {
			if rd, ok = rd.text(a, &s.console[j], pieceConsole); ok {
				entries++
			}
		}
		for j := range s.cli {
			c := &s.cli[j]
			var missing, unsafe string
			if rd, missing, unsafe, ok = rd.expand(a, c); ok {
				rd = rd.mark(pieceCLI)
				entries++
				continue
			}
			if unsafe != "" {
				// The rule's template puts a value where the shell would not read it as one
				// quoted word (rule.ShellContexts); loading refuses such rules, this is the
				// renderer's own guard. The command is never rendered with the value.
				rd.buf = append(rd.buf, "command refused: its placeholder {{"...)
				rd.buf = append(rd.buf, missing...)
				rd.buf = append(rd.buf, "}} stands "...)
				rd.buf = append(rd.buf, unsafe...)
				rd.buf = append(rd.buf, ", where a quoted value could run as a command: "...)
				rd.buf = append(rd.buf, c.src...)
				rd = rd.mark(pieceOmitted)
				omitted++
				continue
			}
			// context.* keys are set by the rule only where guidance applies (gating);
			// a missing event, actor or target value is a gap the analyst should see.
			if !strings.HasPrefix(missing, "context.") {
				rd.buf = append(rd.buf, "a command needs "...)
				rd.buf = append(rd.buf, missing...)
				rd.buf = append(rd.buf, ", which this event does not carry: "...)
				rd.buf = append(rd.buf, c.src...)
				rd = rd.mark(pieceOmitted)
				omitted++
			}
		}
		if entries == 0 {
			rd.buf, rd.pieces = rd.buf[:len(before.buf)], rd.pieces[:len(before.pieces)]
			continue
		}
		n.steps[section]++
		n.strs += entries + omitted
	}
	return rd
}

// build turns the rendered pieces into the alert's Remediation and Runbook.
func (rd renderer) build(a *Alert, c *compiled, n *counts) {
	all := string(rd.buf)
	strs := make([]string, n.strs)
	steps := make([]Step, n.steps[0]+n.steps[1]+n.steps[2])
	pieces := rd.pieces
	prev, si, ki := 0, 0, 0
	next := func() string {
		s := all[prev:pieces[0].end]
		prev = int(pieces[0].end)
		pieces = pieces[1:]
		return s
	}
	rem := Remediation{Summary: next(), References: nonNil(c.rule.Remediation.References)}
	sections := [3]*[]Step{&rem.Containment, &rem.Steps, &rem.Backout}
	for i, dst := range sections {
		first := si
		for range n.steps[i] {
			st := &steps[si]
			si++
			st.Title = next()
			// Console entries come first, then CLI entries and omissions interleaved.
			cs := ki
			for len(pieces) > 0 && pieces[0].kind == pieceConsole {
				strs[ki] = next()
				ki++
			}
			st.Console = strs[cs:ki:ki]
			var omitted []string
			cli := ki
			for len(pieces) > 0 && (pieces[0].kind == pieceCLI || pieces[0].kind == pieceOmitted) {
				if pieces[0].kind == pieceOmitted {
					omitted = append(omitted, next())
					continue
				}
				strs[ki] = next()
				ki++
			}
			st.CLI = strs[cli:ki:ki]
			if omitted != nil {
				o := ki
				ki += copy(strs[ki:], omitted)
				st.Omitted = strs[o:ki:ki]
			}
		}
		*dst = steps[first:si:si]
	}
	rb := ki
	for len(pieces) > 0 {
		strs[ki] = next()
		ki++
	}
	a.Remediation = rem
	a.Runbook = strs[rb:ki:ki]
}

// tmpl is a template string split into literal text and {{path}} placeholders (rule.Holes).
type tmpl struct {
	src  string
	segs []segment
}

// segment is literal text followed, when hole is set, by a placeholder. unsafe, when set,
// is the shell context the placeholder stands in (rule.ShellContexts): it is never filled.
type segment struct {
	lit    string
	hole   bool
	ref    fieldRef
	unsafe string
}

// parseTemplate splits s; contexts gives each placeholder's shell context
// (rule.ShellContexts for commands, rule.TextShellContexts for prose).
func parseTemplate(s string, contexts func(string) []string) tmpl {
	t := tmpl{src: s}
	last := 0
	ctxs := contexts(s)
	for i, h := range rule.Holes(s) {
		t.segs = append(t.segs, segment{lit: s[last:h.Start], hole: true, ref: resolve(h.Path), unsafe: ctxs[i]})
		last = h.End
	}
	if last < len(s) || len(t.segs) == 0 {
		t.segs = append(t.segs, segment{lit: s[last:]})
	}
	return t
}

// compiled is a rule's templates, parsed.
type compiled struct {
	rule     *rule.Rule
	summary  tmpl
	sections [3][]cstep // containment, steps, backout
	runbook  []tmpl
	dedupBy  []fieldRef
}

type cstep struct {
	title        tmpl
	console, cli []tmpl
}

// compiledRules caches each rule's parsed templates by rule id. An entry is used only for the
// very *rule.Rule it was parsed from (rule metadata does not change after loading), so a
// reloaded pack is parsed again and the cache keeps one entry per rule id.
var compiledRules sync.Map // rule id -> *compiled

func compiledFor(r *rule.Rule) *compiled {
	if v, ok := compiledRules.Load(r.ID); ok {
		if c := v.(*compiled); c.rule == r {
			return c
		}
	}
	c := compile(r)
	compiledRules.Store(r.ID, c)
	return c
}

func compile(r *rule.Rule) *compiled {
	c := &compiled{rule: r, summary: parseTemplate(r.Remediation.Summary, rule.TextShellContexts)}
	for i, in := range [3][]rule.Step{r.Remediation.Containment, r.Remediation.Steps, r.Remediation.Backout} {
		c.sections[i] = make([]cstep, len(in))
		for j, s := range in {
			c.sections[i][j] = cstep{title: parseTemplate(s.Title, rule.TextShellContexts), console: parseTemplates(s.Console, rule.TextShellContexts), cli: parseTemplates(s.CLI, rule.ShellContexts)}
		}
	}
	c.runbook = parseTemplates(r.Runbook, rule.TextShellContexts)
	if r.Dedup != nil {
		for _, p := range r.Dedup.By {
			c.dedupBy = append(c.dedupBy, resolve(p))
		}
	}
	return c
}

func parseTemplates(in []string, contexts func(string) []string) []tmpl {
	out := make([]tmpl, len(in))
	for i, s := range in {
		out[i] = parseTemplate(s, contexts)
	}
	return out
}
