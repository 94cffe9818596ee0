package engine

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"unicode/utf8"

	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/trailhound/trailhound/internal/event"
)

// This file turns a record's JSON into the Rego input value in one pass, without the detour
// through encoding/json's map[string]any that ast.ValueFromReader takes: strings are slices
// of one copy of the record, terms come from slabs, and object keys, account IDs, common
// values and nested empty objects and arrays are shared terms. The result is the value
// ast.ValueFromReader gives for the same JSON object (every difference is a bug, which
// FuzzParseInput looks for); input the fast path does not handle (escapes it cannot keep as
// slices, invalid UTF-8, malformed JSON) goes through ast.ValueFromReader instead.

// ParseInput turns a CloudTrail record's JSON into the Rego input value.
func ParseInput(raw []byte) (ast.Value, error) {
	st := parserStacks.Get().(*stacks)
	p := inputParser{b: raw, s: string(raw), pairs: st.pairs[:0], elems: st.elems[:0]}
	v, ok := p.parse()
	st.put(p.pairs, p.elems)
	if ok {
		return v, nil
	}
	return parseInputSlow(raw)
}

// stacks are an inputParser's pending members and elements, kept from one record to the
// next: grown from nothing, they took several allocations per record.
type stacks struct {
	pairs [][2]*ast.Term
	elems []*ast.Term
}

var parserStacks = sync.Pool{New: func() any { return new(stacks) }}

// maxStack is the largest stack kept for the next record (a record this deep or wide is not
// a usual one).
const maxStack = 1024

// put pools the stacks as the parser left them, emptied so that they hold no terms.
func (st *stacks) put(pairs [][2]*ast.Term, elems []*ast.Term) {
	if cap(pairs) > maxStack || cap(elems) > maxStack {
		return
	}
	clear(pairs[:cap(pairs)])
	clear(elems[:cap(elems)])
	st.pairs, st.elems = pairs[:0], elems[:0]
	parserStacks.Put(st)
}

// parseInputSlow is ParseInput through encoding/json, for input the fast path declines: what
// ast.ValueFromReader does, except that data after the object is an error, not ignored.
func parseInputSlow(raw []byte) (ast.Value, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var x any
	if err := dec.Decode(&x); err != nil {
		return nil, fmt.Errorf("parse record: %w", err)
	}
	if _, ok := x.(map[string]any); !ok {
		return nil, errors.New("parse record: not a JSON object")
	}
	if rest := bytes.TrimLeft(raw[dec.InputOffset():], " \t\r\n"); len(rest) > 0 {
		return nil, fmt.Errorf("parse record: data after the JSON object at byte %d", len(raw)-len(rest))
	}
	v, err := ast.InterfaceToValue(x)
	if err != nil {
		return nil, fmt.Errorf("parse record: %w", err)
	}
	return v, nil
}

// maxInputDepth bounds nesting on the fast path; deeper input takes the slow path, which
// applies encoding/json's own limit.
const maxInputDepth = 512

// slabSize is how many terms one allocation provides.
const slabSize = 64

// inputParser parses one JSON object. Any failure makes parse report !ok; the caller then
// takes the slow path, so the fast path never has to reproduce encoding/json's error messages.
type inputParser struct {
	b     []byte
	s     string // b as a string: unescaped string values are slices of it
	i     int
	slab  []ast.Term
	pairs [][2]*ast.Term // pending object members, a stack shared by nested objects
	elems []*ast.Term    // pending array elements, likewise
}

func (p *inputParser) parse() (ast.Value, bool) {
	p.ws()
	if p.i >= len(p.b) || p.b[p.i] != '{' {
		return nil, false
	}
	t, ok := p.value(0)
	if !ok {
		return nil, false
	}
	if p.ws(); p.i != len(p.b) {
		return nil, false
	}
	return t.Value, true
}

func (p *inputParser) term(v ast.Value) *ast.Term {
	if len(p.slab) == 0 {
		p.slab = make([]ast.Term, slabSize)
	}
	t := &p.slab[0]
	p.slab = p.slab[1:]
	t.Value = v
	return t
}

func (p *inputParser) ws() {
	for p.i < len(p.b) {
		switch p.b[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

func (p *inputParser) value(depth int) (*ast.Term, bool) {
	if depth > maxInputDepth || p.i >= len(p.b) {
		return nil, false
	}
	switch c := p.b[p.i]; {
	case c == '{':
		return p.object(depth + 1)
	case c == '[':
		return p.array(depth + 1)
	case c == '"':
		s, ok := p.str()
		if !ok {
			return nil, false
		}
		if s == "" {
			return ast.InternedEmptyString, true
		}
		if len(s) <= maxCommonLen {
			if t, ok := commonValues[s]; ok {
				return t, true
			}
			if isAccountID(s) {
				return accountTerm(s), true
			}
		}
		return p.term(ast.String(s)), true
	case c == 't':
		return p.literal("true", ast.InternedTerm(true))
	case c == 'f':
		return p.literal("false", ast.InternedTerm(false))
	case c == 'n':
		return p.literal("null", ast.InternedNullTerm)
	case c == '-' || (c >= '0' && c <= '9'):
		return p.number()
	}
	return nil, false
}

func (p *inputParser) literal(lit string, t *ast.Term) (*ast.Term, bool) {
	if !bytes.HasPrefix(p.b[p.i:], []byte(lit)) {
		return nil, false
	}
	p.i += len(lit)
	return t, true
}

func (p *inputParser) object(depth int) (*ast.Term, bool) {
	p.i++ // '{'
	base := len(p.pairs)
	p.ws()
	if p.i < len(p.b) && p.b[p.i] == '}' {
		p.i++
		if depth > 1 {
			// A nested empty object ({} in sessionContext.webIdFederationData and others) is
			// OPA's interned one, which nothing modifies; the record's own object stays its
			// own, as WithFacts sets input.facts in it.
			return ast.InternedEmptyObject, true
		}
		return p.term(ast.NewObject()), true
	}
	for {
		p.ws()
		if p.i >= len(p.b) || p.b[p.i] != '"' {
			return nil, false
		}
		key, ok := p.str()
		if !ok {
			return nil, false
		}
		if p.ws(); p.i >= len(p.b) || p.b[p.i] != ':' {
			return nil, false
		}
		p.i++
		p.ws()
		v, ok := p.value(depth)
		if !ok {
			return nil, false
		}
		p.pairs = append(p.pairs, [2]*ast.Term{keyTerm(key), v})
		p.ws()
		if p.i >= len(p.b) {
			return nil, false
		}
		switch p.b[p.i] {
		case ',':
			p.i++
			continue
		case '}':
			p.i++
		default:
			return nil, false
		}
		members := dedupKeys(p.pairs[base:])
		obj := ast.NewObject(members...)
		p.pairs = p.pairs[:base]
		return p.term(obj), true
	}
}

// dedupKeys keeps the last value of a repeated key, as encoding/json does.
func dedupKeys(pairs [][2]*ast.Term) [][2]*ast.Term {
	if len(pairs) > 32 {
		return dedupKeysMap(pairs)
	}
	out := pairs[:0]
	for i, kv := range pairs {
		dup := false
		for _, later := range pairs[i+1:] {
			if later[0].Value.(ast.String) == kv[0].Value.(ast.String) {
				dup = true
				break
			}
		}
		if !dup {
			out = append(out, kv)
		}
	}
	return out
}

// dedupKeysMap is dedupKeys for large objects.
func dedupKeysMap(pairs [][2]*ast.Term) [][2]*ast.Term {
	last := make(map[ast.String]int, len(pairs))
	for i, kv := range pairs {
		last[kv[0].Value.(ast.String)] = i
	}
	if len(last) == len(pairs) {
		return pairs
	}
	out := pairs[:0]
	for i, kv := range pairs {
		if last[kv[0].Value.(ast.String)] == i {
			out = append(out, kv)
		}
	}
	return out
}

func (p *inputParser) array(depth int) (*ast.Term, bool) {
	p.i++ // '['
	base := len(p.elems)
	p.ws()
	if p.i < len(p.b) && p.b[p.i] == ']' {
		p.i++
		return ast.InternedEmptyArray, true // never the record itself, an object
	}
	for {
		p.ws()
		v, ok := p.value(depth)
		if !ok {
			return nil, false
		}
		p.elems = append(p.elems, v)
		p.ws()
		if p.i >= len(p.b) {
			return nil, false
		}
		switch p.b[p.i] {
		case ',':
			p.i++
			continue
		case ']':
			p.i++
		default:
			return nil, false
		}
		elems := append([]*ast.Term(nil), p.elems[base:]...)
		p.elems = p.elems[:base]
		return p.term(ast.NewArray(elems...)), true
	}
}

// str reads the string at p.i ('"'). Strings of printable ASCII or valid UTF-8 without escapes
// are slices of p.s; escapes are decoded by encoding/json, which also gives invalid UTF-8 the
// replacement characters ast.ValueFromReader would.
func (p *inputParser) str() (string, bool) {
	start := p.i
	p.i++
	ascii, esc := true, false
	for p.i < len(p.b) {
		c := p.b[p.i]
		switch {
		case c == '"':
			p.i++
			body := p.s[start+1 : p.i-1]
			if !esc && (ascii || utf8.ValidString(body)) {
				return body, true
			}
			var out string
			if json.Unmarshal(p.b[start:p.i], &out) != nil {
				return "", false
			}
			return out, true
		case c == '\\':
			esc = true
			p.i += 2
		case c < 0x20:
			return "", false
		default:
			if c >= 0x80 {
				ascii = false
			}
			p.i++
		}
	}
	return "", false
}

// number reads a JSON number, kept as its literal text (json.Number, as OPA decodes it).
func (p *inputParser) number() (*ast.Term, bool) {
	start := p.i
	end, problem := event.NumberEnd(p.b, p.i)
	if problem != "" {
		return nil, false
	}
	p.i = end
	exp := bytes.ContainsAny(p.b[start:end], "eE")
	lit := p.s[start:p.i]
	if t := ast.InternedIntNumberTermFromString(lit); t != nil {
		return t, true
	}
	if exp {
		// Only an exponent can put a number out of the range OPA evaluates; NumberChecked
		// decides as ast.ValueFromReader would.
		n, err := ast.NumberChecked(lit)
		if err != nil {
			return nil, false
		}
		return p.term(n), true
	}
	return p.term(ast.Number(lit)), true
}

// keyCache interns object key terms (string -> *ast.Term): CloudTrail records repeat a few
// hundred distinct keys. It stops growing at maxKeys, so hostile input cannot grow it without
// bound; later keys get their own terms.
var (
	keyCache sync.Map
	keyCount atomic.Int64
)

const (
	maxKeys   = 4096
	maxKeyLen = 64
)

// keyTerm returns the term for object key k. Interned keys get their own copy of the string,
// so they do not keep a record's buffer alive.
func keyTerm(k string) *ast.Term {
	if t, ok := keyCache.Load(k); ok {
		return t.(*ast.Term)
	}
	if len(k) > maxKeyLen || keyCount.Load() >= maxKeys {
		return ast.StringTerm(k)
	}
	own := string([]byte(k))
	t, loaded := keyCache.LoadOrStore(own, ast.StringTerm(own))
	if !loaded {
		keyCount.Add(1)
	}
	return t.(*ast.Term)
}

// commonValues are string values most CloudTrail records carry, each a term made once: a
// string value of a record is otherwise one allocation (the string held by the term's
// interface value). The list is fixed, so input cannot grow it.
var commonValues = func() map[string]*ast.Term {
	m := map[string]*ast.Term{}
	for _, v := range []string{
		// eventVersion, eventType, eventCategory
		"1.05", "1.06", "1.07", "1.08", "1.09", "1.10", "1.11",
		"AwsApiCall", "AwsServiceEvent", "AwsConsoleAction", "AwsConsoleSignIn", "AwsVpceEvent",
		"Management", "Data", "Insight", "NetworkActivity",
		// userIdentity.type, sessionIssuer.type, sessionContext.attributes, statuses
		"Root", "IAMUser", "AssumedRole", "Role", "FederatedUser", "AWSAccount", "AWSService",
		"IdentityCenterUser", "Unknown", "true", "false", "Active", "Inactive",
		// tlsDetails
		"TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3",
		"TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256",
		"ECDHE-RSA-AES128-GCM-SHA256", "ECDHE-RSA-AES256-GCM-SHA384", "ECDHE-RSA-AES128-SHA",
		// eventSource and clientProvidedHostHeader of the services the built-in rules watch
		"iam.amazonaws.com", "sts.amazonaws.com", "signin.amazonaws.com", "console.amazonaws.com",
		"cloudtrail.amazonaws.com", "events.amazonaws.com", "lambda.amazonaws.com",
		"cloudformation.amazonaws.com", "s3.amazonaws.com", "ec2.amazonaws.com", "kms.amazonaws.com",
		"AWS Internal",
		// resources[].type
		"AWS::IAM::User", "AWS::IAM::AccessKey", "AWS::IAM::Role", "AWS::IAM::Policy",
		// awsRegion
		"us-east-1", "us-east-2", "us-west-1", "us-west-2", "ca-central-1", "ca-west-1",
		"sa-east-1", "mx-central-1", "eu-west-1", "eu-west-2", "eu-west-3", "eu-central-1",
		"eu-central-2", "eu-north-1", "eu-south-1", "eu-south-2", "me-south-1", "me-central-1",
		"il-central-1", "af-south-1", "ap-east-1", "ap-south-1", "ap-south-2", "ap-northeast-1",
		"ap-northeast-2", "ap-northeast-3", "ap-southeast-1", "ap-southeast-2", "ap-southeast-3",
		"ap-southeast-4", "ap-southeast-5", "ap-southeast-7", "us-gov-west-1", "us-gov-east-1",
		"cn-north-1", "cn-northwest-1",
	} {
		if len(v) > maxCommonLen {
			panic("engine: common value longer than maxCommonLen: " + v)
		}
		m[v] = ast.StringTerm(v)
	}
	return m
}()

// maxCommonLen is the longest of commonValues; longer values are not looked up.
const maxCommonLen = 32

// accountCache interns account IDs (string -> *ast.Term), which a record carries two to four
// times (recipientAccountId, the caller's, the session issuer's) and a trail repeats. Like
// keyCache, it stops growing at maxAccounts; later IDs get their own terms.
var (
	accountCache sync.Map
	accountCount atomic.Int64
)

const maxAccounts = 4096

// isAccountID reports whether s is an AWS account ID: twelve ASCII digits.
func isAccountID(s string) bool {
	if len(s) != 12 {
		return false
	}
	for i := range len(s) {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// accountTerm returns the term for account ID s; interned IDs get their own copy of the
// string, so they do not keep a record's buffer alive.
func accountTerm(s string) *ast.Term {
	if t, ok := accountCache.Load(s); ok {
		return t.(*ast.Term)
	}
	if accountCount.Load() >= maxAccounts {
		return ast.StringTerm(s)
	}
	own := string([]byte(s))
	t, loaded := accountCache.LoadOrStore(own, ast.StringTerm(own))
	if !loaded {
		accountCount.Add(1)
	}
	return t.(*ast.Term)
}
