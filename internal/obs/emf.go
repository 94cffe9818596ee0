package obs

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"time"
)

// Namespace is the CloudWatch namespace of trailhound's metrics.
const Namespace = "trailhound"

// EMF limits: at most 100 values in one metric's array.
const emfMaxValues = 100

// Metrics collects one invocation's metrics and writes them as CloudWatch embedded metric
// format: a JSON log line that CloudWatch Logs turns into metrics, with no API call and no
// extra permission. Counts are summed per name; Observe collects latency samples.
type Metrics struct {
	// Dimensions are set on every metric (FunctionName in Lambda). Keep them few: every
	// distinct combination is a separate metric.
	Dimensions map[string]string

	countNames []string
	counts     map[string]float64
	latNames   []string
	latencies  map[string][]float64
}

// Count adds v to the counter name.
func (m *Metrics) Count(name string, v int64) {
	if m.counts == nil {
		m.counts = map[string]float64{}
	}
	if _, ok := m.counts[name]; !ok {
		m.countNames = append(m.countNames, name)
	}
	m.counts[name] += float64(v)
}

// Observe records one latency sample of d under name, in milliseconds.
func (m *Metrics) Observe(name string, d time.Duration) {
	if m.latencies == nil {
		m.latencies = map[string][]float64{}
	}
	if _, ok := m.latencies[name]; !ok {
		m.latNames = append(m.latNames, name)
	}
	m.latencies[name] = append(m.latencies[name], float64(d.Microseconds())/1000)
}

type emfMetric struct {
	Name string `json:"Name"`
	Unit string `json:"Unit"`
}

type emfDirective struct {
	Namespace  string      `json:"Namespace"`
	Dimensions [][]string  `json:"Dimensions"`
	Metrics    []emfMetric `json:"Metrics"`
}

type emfMeta struct {
	Timestamp         int64          `json:"Timestamp"`
	CloudWatchMetrics []emfDirective `json:"CloudWatchMetrics"`
}

// Write writes the metrics as EMF lines to w (stdout in Lambda). The counts go in the first
// line; latency samples beyond 100 per metric continue in further lines.
func (m *Metrics) Write(w io.Writer, now time.Time) error {
	dims := make([]string, 0, len(m.Dimensions))
	for k := range m.Dimensions {
		dims = append(dims, k)
	}
	slices.Sort(dims)
	for part := 0; ; part++ {
		doc := map[string]any{}
		var metrics []emfMetric
		if part == 0 {
			for _, n := range m.countNames {
				metrics = append(metrics, emfMetric{n, "Count"})
				doc[n] = m.counts[n]
			}
		}
		for _, n := range m.latNames {
			vals := m.latencies[n]
			if lo := part * emfMaxValues; lo < len(vals) {
				metrics = append(metrics, emfMetric{n, "Milliseconds"})
				doc[n] = vals[lo:min(lo+emfMaxValues, len(vals))]
			}
		}
		if len(metrics) == 0 {
			return nil
		}
		for k, v := range m.Dimensions {
			doc[k] = v
		}
		doc["_aws"] = emfMeta{Timestamp: now.UnixMilli(), CloudWatchMetrics: []emfDirective{{
			Namespace: Namespace, Dimensions: [][]string{dims}, Metrics: metrics,
		}}}
		b, err := json.Marshal(doc)
		if err != nil {
			return fmt.Errorf("encode EMF metrics: %w", err)
		}
		if _, err := w.Write(append(b, '\n')); err != nil {
			return fmt.Errorf("write EMF metrics: %w", err)
		}
	}
}
