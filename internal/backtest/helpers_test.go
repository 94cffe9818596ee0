package backtest

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/trailhound/trailhound/internal/bench/synth"
	"github.com/trailhound/trailhound/internal/engine"
	"github.com/trailhound/trailhound/internal/pipeline"
	"github.com/trailhound/trailhound/internal/replay"
	"github.com/trailhound/trailhound/internal/rule"
	"github.com/trailhound/trailhound/internal/rule/builtin"
	"github.com/trailhound/trailhound/internal/ruleset"
	"github.com/trailhound/trailhound/internal/sink"
	"github.com/trailhound/trailhound/internal/state"
)

// fixedNow is the wall clock of both the replay and the backtest (alerts' created_at).
var fixedNow = func() time.Time { return time.Date(2024, 4, 1, 0, 0, 0, 0, time.UTC) }

var (
	engineOnce sync.Once
	builtinEng *engine.Engine
	engineErr  error
)

// builtinEngine compiles the built-in pack once for the package's tests, with a per-rule
// deadline no load reaches (the race detector slows evaluation tenfold): a rule that times out
// in one run and not in the other would make the runs differ for a reason that is not theirs.
func builtinEngine(t testing.TB) *engine.Engine {
	t.Helper()
	engineOnce.Do(func() {
		p, err := builtin.Load()
		if err != nil {
			engineErr = err
			return
		}
		e, errs := engine.New(context.Background(), []*rule.Pack{p}, engine.Options{Lib: p.Lib(), Deadline: time.Minute})
		if len(errs) > 0 {
			engineErr = fmt.Errorf("%v", errs)
		}
		builtinEng = e
	})
	if engineErr != nil {
		t.Fatal(engineErr)
	}
	return builtinEng
}

func s3Client(t testing.TB) *s3.Client {
	t.Helper()
	cfg, err := config.LoadDefaultConfig(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return s3.NewFromConfig(cfg, func(o *s3.Options) {
		o.UsePathStyle = true
		o.DisableLogOutputChecksumValidationSkipped = true
	})
}

// testRuntime reads and writes through client (moto) or local paths.
func testRuntime(t testing.TB, client *s3.Client) Runtime {
	eng := builtinEngine(t)
	return Runtime{
		Pipeline: func(context.Context, Settings) (*pipeline.Pipeline, error) {
			return &pipeline.Pipeline{Rules: ruleset.FromEngine(eng), Now: fixedNow}, nil
		},
		Trail: func(_ context.Context, trail string) (replay.Source, error) {
			if replay.IsS3URL(trail) {
				return replay.NewS3(client, trail)
			}
			return replay.NewLocal(trail)
		},
		Store: func(_ context.Context, run string) (Store, error) {
			if replay.IsS3URL(run) {
				return NewS3Store(client, run)
			}
			return DirStore{Dir: run}, nil
		},
	}
}

// deleteKeyRecord is alice deleting a key of user at t: TH-IAM-104 counts it.
func deleteKeyRecord(id, user string, t time.Time) string {
	return fmt.Sprintf(`{"eventVersion":"1.09","userIdentity":{"type":"IAMUser","principalId":"AIDAEXAMPLEALICE00001","arn":"arn:aws:iam::111122223333:user/alice","accountId":"111122223333","accessKeyId":"AKIAEXAMPLEALICE0001","userName":"alice"},`+
		`"eventTime":%q,"eventSource":"iam.amazonaws.com","eventName":"DeleteAccessKey","awsRegion":"us-east-1","sourceIPAddress":"203.0.113.7","userAgent":"aws-cli/2.15.0",`+
		`"requestParameters":{"userName":%q,"accessKeyId":"AKIAEXAMPLE%08d"},"responseElements":null,"requestID":"req-%s","eventID":"%s","readOnly":false,"eventType":"AwsApiCall","managementEvent":true,"recipientAccountId":"111122223333","eventCategory":"Management"}`,
		t.UTC().Format(time.RFC3339), user, len(id), id, id)
}

func gz(b []byte) []byte {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(b)
	zw.Close()
	return buf.Bytes()
}

// writeTestTrail writes a small trail under dir: two synthetic days (two accounts, two
// regions, an organization level), a burst of three key deletions by one caller in three
// log files five minutes apart (a threshold window that spans files, and batches), a file
// that is not JSON, a digest and a file outside the layout. It returns the keys.
func writeTestTrail(t testing.TB, dir string) []string {
	t.Helper()
	var keys []string
	for d := range 2 {
		c := synth.Default()
		c.Seed = uint64(d + 7)
		c.Records, c.Files, c.IAMPercent = 1200, 8, 5
		c.Start = time.Date(2024, 3, 18+d, 9, 0, 0, 0, time.UTC)
		fs, err := synth.WriteTree(context.Background(), dir, c, 2)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range fs {
			keys = append(keys, f.Key)
		}
	}
	start := time.Date(2024, 3, 18, 9, 2, 0, 0, time.UTC)
	for i, user := range []string{"bob", "carol", "dave"} {
		at := start.Add(time.Duration(i) * 4 * time.Minute)
		name := synth.Key("o-exampleorg1", "111122223333", "us-east-1", at.Add(3*time.Minute).Truncate(5*time.Minute).Add(5*time.Minute), fmt.Sprintf("burst%d", i))
		body := fmt.Sprintf(`{"Records":[%s]}`, deleteKeyRecord(fmt.Sprintf("burst-%d", i), user, at))
		put(t, dir, name, gz([]byte(body)))
		keys = append(keys, name)
	}
	// A record dated a day after the time in its log file's name: ahead of the trusted clock
	// of a replay (the file's name), though not of the wall clock, so its alert is flagged and
	// it moves no window, in replay as in a backtest.
	aheadAt := time.Date(2024, 3, 18, 9, 40, 0, 0, time.UTC)
	ahead := synth.Key("o-exampleorg1", "111122223333", "us-east-1", aheadAt, "ahead")
	put(t, dir, ahead, gz([]byte(fmt.Sprintf(`{"Records":[%s]}`, deleteKeyRecord("ahead-0", "erin", aheadAt.Add(24*time.Hour))))))
	keys = append(keys, ahead)
	bad := synth.Key("o-exampleorg1", "444455556666", "eu-west-1", time.Date(2024, 3, 18, 9, 30, 0, 0, time.UTC), "broken")
	put(t, dir, bad, gz([]byte(`{"Records":[{"eventVersion":"1.09",`)))
	digest := "AWSLogs/o-exampleorg1/111122223333/CloudTrail-Digest/us-east-1/2024/03/18/111122223333_CloudTrail-Digest_us-east-1_trail_us-east-1_20240318T0900Z.json.gz"
	put(t, dir, digest, gz([]byte(`{}`)))
	put(t, dir, "notes/readme.txt", []byte("not a log file"))
	return append(keys, bad, digest, "notes/readme.txt")
}

func put(t testing.TB, dir, key string, body []byte) {
	t.Helper()
	p := filepath.Join(dir, filepath.FromSlash(key))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, body, 0o644); err != nil {
		t.Fatal(err)
	}
}

// uploadTree copies a local tree to s3://bucket/prefix.
func uploadTree(t testing.TB, client *s3.Client, dir, bucket, prefix string) {
	t.Helper()
	ctx := context.Background()
	if _, err := client.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil && !strings.Contains(err.Error(), "BucketAlreadyOwnedByYou") {
		t.Fatal(err)
	}
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		body, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		_, err = client.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(prefix + filepath.ToSlash(rel)), Body: bytes.NewReader(body)})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

// replayed is what `detector replay` gives for a trail: its alerts (JSON Lines, in delivery
// order), its outcome summary and its errors, in order.
type replayed struct {
	alerts  string
	summary string
	errors  []string
}

// replayOf replays src with the built-in pack the way `detector replay` does.
func replayOf(t testing.TB, src replay.Source, f replay.Filter) replayed {
	t.Helper()
	var out bytes.Buffer
	w, _ := sink.NewWriter(&out, sink.JSON)
	var r replayed
	windows := state.NewMemoryWindows()
	lateness := f.Lateness
	if lateness <= 0 {
		lateness = replay.DefaultLateness
	}
	windows.Disorder = max(state.DefaultDisorder, lateness+5*time.Minute)
	p := &pipeline.Pipeline{Rules: ruleset.FromEngine(builtinEngine(t)), Sink: w, Idempotency: state.NewMemory(), Windows: windows, Now: fixedNow,
		Clock: replay.FileClock, OnError: func(err error) { r.errors = append(r.errors, err.Error()) }}
	if _, err := replay.Run(context.Background(), src, replay.PipelineHandler{P: p}, replay.Options{Filter: f, Workers: 2}); err != nil {
		t.Fatal(err)
	}
	r.alerts, r.summary = out.String(), p.Counts.Summary()
	return r
}

// runObject reads an object of a run.
func runObject(t testing.TB, st Store, key string) string {
	t.Helper()
	b, err := st.Get(context.Background(), key, 1<<30)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// stepFunctionsPayload is the payload a Distributed Map with an ItemBatcher sends a child
// execution for these ListObjectsV2 items, as bytes.
func stepFunctionsPayload(t testing.TB, items []Item, s Settings) []byte {
	t.Helper()
	type sfnItem struct {
		Etag         string `json:"Etag"`
		Key          string `json:"Key"`
		LastModified int64  `json:"LastModified"`
		Size         int64  `json:"Size"`
		StorageClass string `json:"StorageClass"`
	}
	var list []sfnItem
	for _, it := range items {
		list = append(list, sfnItem{Etag: it.Etag, Key: it.Key, LastModified: it.LastModified, Size: it.Size, StorageClass: "STANDARD"})
	}
	b, err := json.Marshal(map[string]any{"Items": list, "BatchInput": map[string]any{"Settings": s}})
	if err != nil {
		t.Fatal(err)
	}
	return b
}
