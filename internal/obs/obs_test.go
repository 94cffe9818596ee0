package obs

import (
	"bytes"
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"
)

func TestLoggerJSONLevelAndGuard(t *testing.T) {
	var buf bytes.Buffer
	log := NewLogger(&buf, slog.LevelWarn) // LOG_LEVEL is parsed by internal/settings
	log.Info("hidden at warn")
	log.Warn("record failed", "event_id", "e-1", "event", `{"eventName":"UpdateAccessKey"}`, "body", "x",
		"err", errors.New(strings.Repeat("y", 5000)), "user_agent", strings.Repeat("é", 3000))
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 1 {
		t.Fatalf("got %d lines, want the warning only:\n%s", len(lines), buf.String())
	}
	var got map[string]any
	if err := json.Unmarshal([]byte(lines[0]), &got); err != nil {
		t.Fatalf("not JSON: %v", err)
	}
	if got["event_id"] != "e-1" || got["msg"] != "record failed" || got["level"] != "WARN" {
		t.Errorf("fields %v", got)
	}
	if _, ok := got["event"]; ok {
		t.Error("a whole event was logged")
	}
	if _, ok := got["body"]; ok {
		t.Error("a message body was logged")
	}
	if e, _ := got["err"].(string); len(e) > maxAttrLen+20 || !strings.HasSuffix(e, "(truncated)") {
		t.Errorf("long error not cut: %d bytes", len(e))
	}
	if ua, _ := got["user_agent"].(string); len(ua) > maxAttrLen+20 {
		t.Errorf("long value not cut: %d bytes", len(ua))
	}
}

func TestMetricsEMF(t *testing.T) {
	m := Metrics{Dimensions: map[string]string{"FunctionName": "trailhound"}}
	m.Count("alerted", 1)
	m.Count("no_match", 2)
	m.Count("alerted", 2)
	for i := range 150 {
		m.Observe("EvaluationLatency", time.Duration(i)*time.Millisecond)
	}
	var buf bytes.Buffer
	now := time.UnixMilli(1714564800123)
	if err := m.Write(&buf, now); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("got %d EMF lines, want 2 (150 samples)", len(lines))
	}
	var first struct {
		AWS struct {
			Timestamp         int64
			CloudWatchMetrics []struct {
				Namespace  string
				Dimensions [][]string
				Metrics    []struct{ Name, Unit string }
			}
		} `json:"_aws"`
		FunctionName      string
		Alerted           float64   `json:"alerted"`
		NoMatch           float64   `json:"no_match"`
		EvaluationLatency []float64 `json:"EvaluationLatency"`
	}
	if err := json.Unmarshal([]byte(lines[0]), &first); err != nil {
		t.Fatal(err)
	}
	d := first.AWS.CloudWatchMetrics[0]
	if first.AWS.Timestamp != now.UnixMilli() || d.Namespace != "trailhound" || len(d.Dimensions) != 1 || d.Dimensions[0][0] != "FunctionName" {
		t.Errorf("directive %+v", first.AWS)
	}
	if first.FunctionName != "trailhound" || first.Alerted != 3 || first.NoMatch != 2 || len(first.EvaluationLatency) != 100 {
		t.Errorf("values %+v", first)
	}
	units := map[string]string{}
	for _, mt := range d.Metrics {
		units[mt.Name] = mt.Unit
	}
	if units["alerted"] != "Count" || units["EvaluationLatency"] != "Milliseconds" {
		t.Errorf("units %v", units)
	}
	if !strings.Contains(lines[1], `"EvaluationLatency":[100,`) || strings.Contains(lines[1], "no_match") {
		t.Errorf("second line %s", lines[1])
	}
}
