package pipeline

import (
	"slices"

	"github.com/trailhound/trailhound/internal/engine"
	"github.com/trailhound/trailhound/internal/enrich"
)

// findingContext is what the pipeline adds to a finding's alert context: the enrichment
// lookups its rule declared (context.enrichment, same shape as input.enrichment restricted
// to those lookups) and the notes of the lookups that failed.
func findingContext(f engine.Finding, doc map[string]any, notes []string) map[string]any {
	out := map[string]any{}
	if len(notes) > 0 {
		out["notes"] = notes
	}
	if sub := enrichmentFor(f.Rule.Enrich, doc); sub != nil {
		out["enrichment"] = sub
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

func enrichmentFor(lookups []string, doc map[string]any) map[string]any {
	if len(lookups) == 0 || doc == nil {
		return nil
	}
	out := map[string]any{"reference_time": doc["reference_time"], "as_of": doc["as_of"]}
	var unavailable []any
	if u, ok := doc["unavailable"].([]any); ok {
		for _, l := range u {
			if s, ok := l.(string); ok && slices.Contains(lookups, s) {
				unavailable = append(unavailable, s)
			}
		}
	}
	out["unavailable"] = append([]any{}, unavailable...)
	for _, l := range lookups {
		subject, key, ok := enrich.Path(l)
		if !ok {
			continue
		}
		src, ok := doc[subject].(map[string]any)
		if !ok {
			continue
		}
		dst, _ := out[subject].(map[string]any)
		if dst == nil {
			dst = map[string]any{"user_name": src["user_name"], "exists": src["exists"]}
			out[subject] = dst
		}
		if v, ok := src[key]; ok {
			dst[key] = v
		}
	}
	return out
}
