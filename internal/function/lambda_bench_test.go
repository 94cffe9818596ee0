package function

import (
	"encoding/json"
	"fmt"
	"slices"
	"testing"
	"time"
)

// Lambda latency benchmarks: the real bootstrap binary against the test Runtime API, with moto
// serving SQS, Security Hub, SNS, DynamoDB and IAM (for enrichment), configured as
// deploy/template.yaml configures the function. Run (deploy/README.md, "Benchmark"):
//
//	go test ./internal/function -run '^$' -bench 'Lambda' -benchtime 5x
//
// Each reports the median over its runs; moto's round trips (a few ms each) are included,
// as AWS's would be.

// BenchmarkLambdaColdStart measures process start to the first evaluated event: the time from
// exec of the bootstrap until the response to its first invocation (an alerting
// UpdateAccessKey event, so the first sink calls are included) reaches the Runtime API.
func BenchmarkLambdaColdStart(b *testing.B) {
	bin := buildBootstrap(b)
	env := newLambdaEnv(b)
	var samples []time.Duration
	for i := 0; b.Loop(); i++ {
		api := startRuntimeAPI(b)
		rec := fixture(b, "updateaccesskey-active-other-user.json", fmt.Sprintf("cold-%d-%d", time.Now().UnixNano(), i), fmt.Sprintf("AKIACOLD%012d", i))
		payload := eventBridgeEvent(b, rec)
		fn := startFunction(b, bin, api, env.moto, env.functionEnv())
		res := api.invoke(b, payload, 60*time.Second)
		samples = append(samples, res.At.Sub(fn.started))
		if s := decodeSummary(b, res); s.Outcomes["alerted"] != 1 {
			b.Fatalf("cold invocation %d: %+v", i, s)
		}
		fn.stop()
	}
	reportMedian(b, samples, "cold-start")
}

// BenchmarkLambdaWarm measures the per-event latency of a warm function, seen from the
// Runtime API (invocation handed out to response received), for an event the rules evaluate
// without alerting and for one that raises an alert through every sink.
func BenchmarkLambdaWarm(b *testing.B) {
	bin := buildBootstrap(b)
	env := newLambdaEnv(b)
	api := startRuntimeAPI(b)
	startFunction(b, bin, api, env.moto, env.functionEnv())
	// Warm up: the first invocation pays the cold start.
	api.invoke(b, eventBridgeEvent(b, fixture(b, "getuser-read-only.json", "", "")), 60*time.Second)
	var evaluated, alerting []time.Duration
	for i := 0; b.Loop(); i++ {
		quiet := fixture(b, "updateaccesskey-active-other-user.json", fmt.Sprintf("warm-q-%d-%d", time.Now().UnixNano(), i), "")
		delete(quiet["requestParameters"].(map[string]any), "userName") // own key
		quiet["requestParameters"].(map[string]any)["status"] = "Inactive"
		evaluated = append(evaluated, timedInvoke(b, api, eventBridgeEvent(b, quiet), "no_match"))
		loud := fixture(b, "updateaccesskey-active-other-user.json", fmt.Sprintf("warm-a-%d-%d", time.Now().UnixNano(), i), fmt.Sprintf("AKIAWARM%012d", i))
		alerting = append(alerting, timedInvoke(b, api, eventBridgeEvent(b, loud), "alerted"))
	}
	reportMedian(b, evaluated, "warm-evaluated")
	reportMedian(b, alerting, "warm-alerting")
}

// timedInvoke invokes the function and returns the round trip, checking the outcome.
func timedInvoke(b *testing.B, api *runtimeAPI, payload []byte, outcome string) time.Duration {
	b.Helper()
	start := time.Now()
	res := api.invoke(b, payload, 60*time.Second)
	d := res.At.Sub(start)
	var s invocationSummary
	if res.Error || json.Unmarshal(res.Body, &s) != nil || s.Outcomes[outcome] != 1 {
		b.Fatalf("want %s, got %s", outcome, res.Body)
	}
	return d
}

// reportMedian reports the median of samples in milliseconds.
func reportMedian(b *testing.B, samples []time.Duration, name string) {
	b.Helper()
	if len(samples) == 0 {
		return
	}
	slices.Sort(samples)
	mid := samples[len(samples)/2]
	if len(samples)%2 == 0 {
		mid = (samples[len(samples)/2-1] + samples[len(samples)/2]) / 2
	}
	b.ReportMetric(float64(mid.Microseconds())/1000, "ms-median-"+name)
	b.Logf("%s: median %v over %d runs (min %v, max %v)", name, mid, len(samples), samples[0], samples[len(samples)-1])
}
