// Package enrich owns trailhound's read-only IAM lookups: the facts about the users an event
// concerns (access keys and their age, a key's last use, MFA devices, console access, groups
// and policies and whether they make the user an administrator, ownership tags) that rules
// read from input.enrichment. Only the lookups the selected rules declare (custom.enrich) are
// made; results are cached per warm container with a TTL; each lookup has its own timeout;
// a lookup that fails becomes a note on the alert, never a lost event; NoSuchEntity (the user
// is gone) is a fact. Which users an event concerns is decided by the rule library
// (data.lib.enrich.subjects), not by Go.
package enrich

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/trailhound/trailhound/internal/engine"
	"github.com/trailhound/trailhound/internal/event"
)

// Defaults for Options.
const (
	DefaultTTL     = 2 * time.Minute
	DefaultTimeout = 3 * time.Second
	// DefaultMaxEntries bounds the cache of one warm container.
	DefaultMaxEntries = 10000
)

// SubjectResolver names the IAM users an event concerns, as the rule library derives them
// (data.lib.enrich.subjects): keys account, target_user, target_access_key_id, actor_user,
// actor_access_key_id, each present only when known. *engine.Engine implements it.
type SubjectResolver interface {
	Subjects(ctx context.Context, input ast.Value) (map[string]any, error)
}

// Options configure an Enricher.
type Options struct {
	IAM      IAMAPI          // the IAM client (read-only calls only); required unless Accounts is set
	Subjects SubjectResolver // required: usually the engine
	// Account, when set, is the only account whose users can be looked up with IAM (the
	// account the credentials belong to); events of other accounts get a note instead.
	// Ignored when Accounts is set.
	Account string
	// Accounts, when set, gives the IAM client for the account an event concerns (its
	// recipientAccountId): IAM itself for the detector's own account, a read-only role
	// assumed in a member account (internal/crossaccount). Its error becomes a note.
	Accounts AccountIAM
	TTL      time.Duration // cache lifetime of a result; DefaultTTL when zero
	Timeout  time.Duration // per lookup; DefaultTimeout when zero
	// MaxEntries bounds the cache; DefaultMaxEntries when zero.
	MaxEntries int
	Now        func() time.Time
}

// Enricher runs the declared lookups for an event. It is safe for concurrent use and meant
// to live as long as the process (its cache is the warm container's).
type Enricher struct {
	api      IAMAPI
	accounts AccountIAM
	subjects SubjectResolver
	account  string
	timeout  time.Duration
	now      func() time.Time
	cache    *cache
}

// New returns an Enricher.
func New(opts Options) (*Enricher, error) {
	if (opts.IAM == nil && opts.Accounts == nil) || opts.Subjects == nil {
		return nil, errors.New("enrich: an IAM client (or Accounts) and a subject resolver are required")
	}
	e := &Enricher{api: opts.IAM, accounts: opts.Accounts, subjects: opts.Subjects, account: opts.Account, timeout: opts.Timeout, now: opts.Now}
	if e.timeout <= 0 {
		e.timeout = DefaultTimeout
	}
	if e.now == nil {
		e.now = time.Now
	}
	ttl, max := opts.TTL, opts.MaxEntries
	if ttl <= 0 {
		ttl = DefaultTTL
	}
	if max <= 0 {
		max = DefaultMaxEntries
	}
	e.cache = newCache(ttl, max, e.now)
	return e, nil
}

// Enrich runs lookups for the event in input and returns input.enrichment (see Document)
// and one note per lookup that could not be made ("enrichment unavailable: target_mfa:
// AccessDenied: ..."). Lookups are made concurrently. It is the engine's Enricher.
func (e *Enricher) Enrich(ctx context.Context, lookups []string, in engine.RuleInput) (engine.Enrichment, []string) {
	input := in.Value()
	now := e.now().UTC()
	doc := &Document{AsOf: stamp(now), Unavailable: []string{}}
	ref := referenceTime(input, now)
	doc.ReferenceTime = stamp(ref)
	var notes []string
	fail := func(lookup, why string) {
		doc.Unavailable = append(doc.Unavailable, lookup)
		notes = append(notes, fmt.Sprintf("enrichment unavailable: %s: %s", lookup, why))
	}
	var known []string
	for _, l := range lookups {
		if _, ok := registry[l]; ok {
			known = append(known, l)
		} else {
			fail(l, "unknown lookup")
		}
	}
	subj, err := e.subjects.Subjects(ctx, input)
	if err != nil {
		for _, l := range known {
			fail(l, "could not resolve the event's users: "+err.Error())
		}
		return finish(doc, notes)
	}
	account := str(subj, "account")
	api := e.api
	switch {
	case e.accounts != nil && len(known) > 0:
		actx, cancel := context.WithTimeout(ctx, e.timeout)
		api, err = e.accounts.IAMFor(actx, account)
		cancel()
		if err != nil {
			for _, l := range known {
				fail(l, describe(err, e.timeout.String()))
			}
			return finish(doc, notes)
		}
	case e.accounts == nil && e.account != "" && account != e.account:
		for _, l := range known {
			fail(l, fmt.Sprintf("account %s is not this detector's account %s (no cross-account IAM lookups)", account, e.account))
		}
		return finish(doc, notes)
	}
	refs := map[string]subjectRef{
		"target": {api: api, account: account, user: str(subj, "target_user"), key: str(subj, "target_access_key_id"), ref: ref},
		"actor":  {api: api, account: account, user: str(subj, "actor_user"), key: str(subj, "actor_access_key_id"), ref: ref},
	}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for _, l := range known {
		lk := registry[l]
		sr := refs[lk.subject]
		if sr.user == "" || (lk.needsKey && sr.key == "") {
			continue // the event names no such user (or key): nothing to look up
		}
		s := doc.subject(lk.subject, sr)
		wg.Add(1)
		go func() {
			defer wg.Done()
			lctx, cancel := context.WithTimeout(ctx, e.timeout)
			defer cancel()
			v, err := lk.run(lctx, e, sr)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case errors.Is(err, errNoSuchUser):
				s.Exists = false
			case err != nil:
				fail(l, describe(err, e.timeout.String()))
			default:
				lk.set(s, v)
			}
		}()
	}
	wg.Wait()
	sort.Strings(doc.Unavailable)
	sort.Strings(notes)
	return finish(doc, notes)
}

func finish(doc *Document, notes []string) (engine.Enrichment, []string) {
	b, err := json.Marshal(doc)
	if err != nil {
		return engine.Enrichment{}, append(notes, "enrichment unavailable: "+err.Error())
	}
	v, err := ast.ValueFromReader(bytes.NewReader(b))
	if err != nil {
		return engine.Enrichment{}, append(notes, "enrichment unavailable: "+err.Error())
	}
	return engine.NewEnrichment(v), notes
}

// subjectRef is one user to look up, at the event's time.
type subjectRef struct {
	api                IAMAPI // IAM of the event's account
	account, user, key string
	ref                time.Time
}

func (d *Document) subject(name string, sr subjectRef) *Subject {
	p := &d.Target
	if name == "actor" {
		p = &d.Actor
	}
	if *p == nil {
		*p = &Subject{UserName: sr.user, Account: sr.account, Exists: true}
	}
	return *p
}

// referenceTime is the event's eventTime, or now when the record has none that parses.
func referenceTime(input ast.Value, now time.Time) time.Time {
	obj, ok := input.(ast.Object)
	if !ok {
		return now
	}
	t := obj.Get(ast.StringTerm("eventTime"))
	if t == nil {
		return now
	}
	s, ok := t.Value.(ast.String)
	if !ok {
		return now
	}
	if ts, err := event.ParseTime(string(s)); err == nil {
		return ts
	}
	return now
}

func str(m map[string]any, k string) string {
	s, _ := m[k].(string)
	return strings.TrimSpace(s)
}
