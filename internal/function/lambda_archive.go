package function

import (
	"context"
	"log/slog"

	"github.com/trailhound/trailhound/internal/alert"
	"github.com/trailhound/trailhound/internal/sink"
)

// archiveSuppressed takes back what the default route's sinks delivered of an alert that is
// now suppressed: the Security Hub sink archives its finding if one is ACTIVE (a suppression
// or tuning exception added after the alert was imported). A failure is logged, not fatal:
// the suppression itself holds.
func (h *lambdaHandler) archiveSuppressed(ctx context.Context, log *slog.Logger, a *alert.Alert) {
	m, ok := h.sink.(*sink.Multi)
	if !ok || a == nil {
		return
	}
	for _, s := range m.Sinks {
		ar, ok := s.Sender.(sink.Archiver)
		if !ok {
			continue
		}
		if err := ar.Archive(ctx, []*alert.Alert{a}); err != nil {
			log.Warn("archive the finding of a suppressed alert", "sink", s.Name, "alert_id", a.ID, "err", err)
		}
	}
}
