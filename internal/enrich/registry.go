package enrich

import (
	"context"
	"sort"
	"strings"
)

// lookup is one name a rule may declare in custom.enrich: `<subject>_<name>` fills
// input.enrichment.<subject>.<name>.
type lookup struct {
	subject  string // "target" or "actor"
	needsKey bool   // needs the access key id the event names
	run      func(ctx context.Context, e *Enricher, sr subjectRef) (any, error)
	set      func(s *Subject, v any)
}

var registry = map[string]lookup{}

func init() {
	for _, subject := range []string{"target", "actor"} {
		registry[subject+"_access_keys"] = lookup{subject: subject, run: runAccessKeys, set: func(s *Subject, v any) { s.AccessKeys = v.(*AccessKeys) }}
		registry[subject+"_mfa"] = lookup{subject: subject, run: runMFA, set: func(s *Subject, v any) { s.MFA = v.(*MFA) }}
		registry[subject+"_login_profile"] = lookup{subject: subject, run: runLoginProfile, set: func(s *Subject, v any) { s.LoginProfile = v.(*LoginProfile) }}
		registry[subject+"_groups_policies"] = lookup{subject: subject, run: runGroupsPolicies, set: func(s *Subject, v any) { s.GroupsPolicies = v.(*GroupsPolicies) }}
		registry[subject+"_tags"] = lookup{subject: subject, run: runTags, set: func(s *Subject, v any) { s.Tags = v.(*Tags) }}
	}
	// The actor's own key was just used to sign the call: its last use is the event itself.
	registry["target_access_key_last_used"] = lookup{subject: "target", needsKey: true, run: runLastUsed, set: func(s *Subject, v any) { s.AccessKeyLastUsed = v.(*AccessKeyLastUsed) }}
}

// Names lists every lookup a rule may declare, sorted.
func Names() []string {
	out := make([]string, 0, len(registry))
	for n := range registry {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// Path returns where a lookup's result lives under input.enrichment: subject and key
// ("target_mfa" -> "target", "mfa").
func Path(lookup string) (subject, key string, ok bool) {
	l, ok := registry[lookup]
	if !ok {
		return "", "", false
	}
	return l.subject, strings.TrimPrefix(lookup, l.subject+"_"), true
}

func cacheKey(parts ...string) string { return strings.Join(parts, "\x00") }

func runAccessKeys(ctx context.Context, e *Enricher, sr subjectRef) (any, error) {
	v, err := e.cache.get(ctx, cacheKey(sr.account, "user", sr.user, "access_keys"), func(ctx context.Context) (any, error) {
		return fetchAccessKeys(ctx, sr.api, sr.user)
	})
	if err != nil {
		return nil, err
	}
	return renderAccessKeys(v.([]rawKey), sr.key, sr.ref), nil
}

func runLastUsed(ctx context.Context, e *Enricher, sr subjectRef) (any, error) {
	v, err := e.cache.get(ctx, cacheKey(sr.account, "key", sr.key, "last_used"), func(ctx context.Context) (any, error) {
		return fetchLastUsed(ctx, sr.api, sr.key)
	})
	if err != nil {
		return nil, err
	}
	return renderLastUsed(sr.key, v.(rawLastUsed), sr.ref), nil
}

func runMFA(ctx context.Context, e *Enricher, sr subjectRef) (any, error) {
	return e.cache.get(ctx, cacheKey(sr.account, "user", sr.user, "mfa"), func(ctx context.Context) (any, error) {
		return fetchMFA(ctx, sr.api, sr.user)
	})
}

func runLoginProfile(ctx context.Context, e *Enricher, sr subjectRef) (any, error) {
	return e.cache.get(ctx, cacheKey(sr.account, "user", sr.user, "login_profile"), func(ctx context.Context) (any, error) {
		return fetchLoginProfile(ctx, sr.api, sr.user)
	})
}

func runTags(ctx context.Context, e *Enricher, sr subjectRef) (any, error) {
	return e.cache.get(ctx, cacheKey(sr.account, "user", sr.user, "tags"), func(ctx context.Context) (any, error) {
		return fetchTags(ctx, sr.api, sr.user)
	})
}

func runGroupsPolicies(ctx context.Context, e *Enricher, sr subjectRef) (any, error) {
	managed := func(ctx context.Context, arn string) (bool, error) {
		v, err := e.cache.get(ctx, cacheKey(sr.account, "policy", arn), func(ctx context.Context) (any, error) {
			return fetchManagedAllowsAll(ctx, sr.api, arn)
		})
		if err != nil {
			return false, err
		}
		return v.(bool), nil
	}
	return e.cache.get(ctx, cacheKey(sr.account, "user", sr.user, "groups_policies"), func(ctx context.Context) (any, error) {
		return fetchGroupsPolicies(ctx, sr.api, sr.user, managed)
	})
}
