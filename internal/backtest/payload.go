package backtest

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/trailhound/trailhound/internal/replay"
)

// Item is one object of the trail as Step Functions passes it to a child execution: with a
// ListObjectsV2 ItemReader {"Etag", "Key", "LastModified" (Unix seconds), "Size",
// "StorageClass"}; with an S3 Inventory manifest {"Bucket", "Key", "Size", ...} (inventory
// CSV columns, all strings). Key is the object's full key in the trail bucket (relative to the
// trail's root for a local trail).
type Item struct {
	Key          string `json:"Key"`
	Size         int64  `json:"Size"`
	Etag         string `json:"Etag,omitempty"`
	LastModified int64  `json:"LastModified,omitempty"`
	StorageClass string `json:"StorageClass,omitempty"`
	Bucket       string `json:"Bucket,omitempty"`
}

// UnmarshalJSON reads an item of either reader. Numbers may come as strings (inventory
// CSV); a LastModified that is not a number (an inventory date) is kept out; any other
// unknown field is refused.
func (it *Item) UnmarshalJSON(b []byte) error {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return fmt.Errorf("backtest item: %w", err)
	}
	*it = Item{}
	for k, v := range raw {
		var err error
		switch k {
		case "Key":
			err = json.Unmarshal(v, &it.Key)
		case "Size":
			it.Size, err = jsonInt(v)
		case "Etag", "ETag":
			err = json.Unmarshal(v, &it.Etag)
		case "LastModified":
			if n, nerr := jsonInt(v); nerr == nil {
				it.LastModified = n
			}
		case "StorageClass":
			err = json.Unmarshal(v, &it.StorageClass)
		case "Bucket":
			err = json.Unmarshal(v, &it.Bucket)
		case "LastModifiedDate", "VersionId", "IsLatest", "IsDeleteMarker", "ETagChecksum", "EncryptionStatus", "ReplicationStatus":
			// inventory columns a backtest does not need
		default:
			err = fmt.Errorf("unknown field %q", k)
		}
		if err != nil {
			return fmt.Errorf("backtest item %s: %w", k, err)
		}
	}
	if it.Key == "" {
		return fmt.Errorf("backtest item without a Key")
	}
	if it.Bucket != "" {
		// S3 Inventory reports keys URL-encoded.
		key, err := url.PathUnescape(it.Key)
		if err != nil {
			return fmt.Errorf("backtest inventory item %q: %w", it.Key, err)
		}
		it.Key = key
	}
	if it.Size < 0 {
		return fmt.Errorf("backtest item %q: negative Size", it.Key)
	}
	return nil
}

// jsonInt reads a whole number given as a JSON number or a string.
func jsonInt(v json.RawMessage) (int64, error) {
	var s string
	if json.Unmarshal(v, &s) == nil {
		v = json.RawMessage(s)
	}
	var n json.Number
	if err := json.Unmarshal(v, &n); err != nil {
		return 0, err
	}
	return n.Int64()
}

// Batch is a worker invocation: the payload an ItemBatcher sends, its BatchInput being the
// state machine's {"Settings.$": "$.Settings"}.
type Batch struct {
	Items      []Item     `json:"Items"`
	BatchInput BatchInput `json:"BatchInput"`
}

// BatchInput is what the state machine adds to every batch.
type BatchInput struct {
	Settings Settings `json:"Settings"`
}

// ExecutionInput is the input of a backtest state machine execution (deploy/backtest.yaml):
// the ItemReader lists TrailBucket under TrailPrefix (or reads the S3 Inventory manifest at
// InventoryBucket/InventoryManifestKey), every batch gets Settings, the map's ResultWriter
// writes under ResultsPrefix in the run bucket, and the reduce gets Settings, the Map state's
// output, AcceptFailures and Deliver. Every field is always present, so every path of the
// definition resolves whichever item source the stack uses.
type ExecutionInput struct {
	TrailBucket          string   `json:"TrailBucket"`
	TrailPrefix          string   `json:"TrailPrefix"`
	InventoryBucket      string   `json:"InventoryBucket"`
	InventoryManifestKey string   `json:"InventoryManifestKey"`
	ResultsPrefix        string   `json:"ResultsPrefix"`
	Settings             Settings `json:"Settings"`
	AcceptFailures       bool     `json:"AcceptFailures"`
	Deliver              bool     `json:"Deliver"`
}

// ResultsKey is the run key under which the map's ResultWriter writes.
const ResultsKey = "map"

// NewExecutionInput is the execution input for s, whose trail and run must be in S3;
// inventory, when set, is the s3:// URL of an S3 Inventory manifest.json of the trail bucket.
func NewExecutionInput(s Settings, inventory string, accept, deliver bool) (ExecutionInput, error) {
	if err := s.Validate(); err != nil {
		return ExecutionInput{}, err
	}
	bucket, prefix, err := ParseS3URL(s.Trail)
	if err != nil {
		return ExecutionInput{}, err
	}
	_, runPrefix, err := ParseS3URL(s.Run)
	if err != nil {
		return ExecutionInput{}, err
	}
	in := ExecutionInput{TrailBucket: bucket, TrailPrefix: prefix, ResultsPrefix: runPrefix + ResultsKey, Settings: s, AcceptFailures: accept, Deliver: deliver}
	if inventory != "" {
		ib, key, err := ParseS3URL(inventory)
		if err != nil || !strings.HasSuffix(strings.TrimSuffix(key, "/"), "manifest.json") {
			return ExecutionInput{}, fmt.Errorf("inventory %q: want the s3:// URL of an S3 Inventory manifest.json", inventory)
		}
		in.InventoryBucket, in.InventoryManifestKey = ib, strings.TrimSuffix(key, "/")
	}
	return in, nil
}

// Settings describe one backtest run; the state machine passes them to every batch
// (BatchInput) and to the reduce.
type Settings struct {
	// Trail is the trail's root: s3://bucket/prefix (a local directory in RunLocal).
	Trail string `json:"trail"`
	// Run is where the run writes: s3://bucket/prefix (a local directory in RunLocal).
	Run string `json:"run"`
	// The replay filter: RFC 3339 bounds, accounts, regions and lateness (a Go duration).
	Start    string   `json:"start,omitempty"`
	End      string   `json:"end,omitempty"`
	Accounts []string `json:"accounts,omitempty"`
	Regions  []string `json:"regions,omitempty"`
	Lateness string   `json:"lateness,omitempty"`
	// Rules is the s3:// URL of the run's rules bundle (team packs beside the built-in pack);
	// empty for the built-in pack alone.
	Rules string `json:"rules,omitempty"`
	// RulesDigest names the rules the run was started with (RulesDigest); a worker or reduce
	// that loaded other rules refuses to run.
	RulesDigest string `json:"rules_digest,omitempty"`
	// Tuning is reserved for the org tuning file; a run that sets it is refused until the
	// detector reads tuning files.
	Tuning string `json:"tuning,omitempty"`
}

// Filter is the replay filter the settings describe, prepared.
func (s Settings) Filter() (replay.Filter, error) {
	var f replay.Filter
	var err error
	if f.Start, err = replay.ParseTimeBound(s.Start, false); err != nil {
		return f, fmt.Errorf("start: %w", err)
	}
	if f.End, err = replay.ParseTimeBound(s.End, true); err != nil {
		return f, fmt.Errorf("end: %w", err)
	}
	f.Accounts, f.Regions = s.Accounts, s.Regions
	if s.Lateness != "" {
		if f.Lateness, err = time.ParseDuration(s.Lateness); err != nil || f.Lateness <= 0 {
			return f, fmt.Errorf("lateness %q: want a positive duration", s.Lateness)
		}
	}
	if err := f.Prepare(); err != nil {
		return f, err
	}
	return f, nil
}

// Validate reports settings a run cannot use.
func (s Settings) Validate() error {
	if s.Trail == "" || s.Run == "" {
		return fmt.Errorf("backtest settings: trail and run are required")
	}
	if s.Tuning != "" {
		return fmt.Errorf("backtest settings: tuning %q: org tuning files are not supported by this detector yet", s.Tuning)
	}
	if s.Rules != "" && !strings.HasPrefix(s.Rules, "s3://") {
		return fmt.Errorf("backtest settings: rules %q: want the s3:// URL of a rules bundle", s.Rules)
	}
	_, err := s.Filter()
	return err
}

// BatchResult is a worker's response: what it did with the batch's items. Step Functions
// keeps it in the ResultWriter's SUCCEEDED files.
type BatchResult struct {
	Items      int   `json:"items"`
	Kept       int   `json:"kept"`    // files read and evaluated, one output each
	Pruned     int   `json:"pruned"`  // log files left out by name
	Ignored    int   `json:"ignored"` // keys a replay does not read (digests, outside the layout)
	Records    int64 `json:"records"`
	OutOfRange int64 `json:"out_of_range"`
	Candidates int64 `json:"candidates"` // records with something for the reduce to settle
	Bytes      int64 `json:"bytes"`
}

// Add adds o's counts to r.
func (r *BatchResult) Add(o BatchResult) {
	r.Items += o.Items
	r.Kept += o.Kept
	r.Pruned += o.Pruned
	r.Ignored += o.Ignored
	r.Records += o.Records
	r.OutOfRange += o.OutOfRange
	r.Candidates += o.Candidates
	r.Bytes += o.Bytes
}

// ReduceInput is the reduce invocation: the run's settings and how the map went.
type ReduceInput struct {
	Reduce Settings `json:"Reduce"`
	// Map is the Distributed Map state's output with a ResultWriter:
	// {"MapRunArn": ..., "ResultWriterDetails": {"Bucket": ..., "Key": ".../manifest.json"}}.
	Map *MapOutput `json:"Map,omitempty"`
	// AcceptFailures reduces a map that left files without output (within the state
	// machine's tolerated failure percentage), listing them in the summary.
	AcceptFailures bool `json:"AcceptFailures,omitempty"`
	// Deliver sends the alerts to the configured destinations as well.
	Deliver bool `json:"Deliver,omitempty"`
}

// MapOutput is a Distributed Map state's output when it has a ResultWriter.
type MapOutput struct {
	MapRunArn           string `json:"MapRunArn"`
	ResultWriterDetails struct {
		Bucket string `json:"Bucket"`
		Key    string `json:"Key"`
	} `json:"ResultWriterDetails"`
}

// Summary is what the reduce writes to <run>/summary.json and returns.
type Summary struct {
	Run string `json:"run"`
	// Outcome is the outcome summary line, as replay prints it.
	Outcome     string           `json:"outcome"`
	Outcomes    map[string]int64 `json:"outcomes"`
	Records     int64            `json:"records"`
	Alerts      int64            `json:"alerts"`
	Updates     int64            `json:"updates"`
	MaxSeverity string           `json:"max_severity,omitempty"`
	Failed      bool             `json:"failed"` // malformed input, rule errors or failed deliveries
	Files       int              `json:"files"`  // file outputs reduced
	FileRecords int64            `json:"file_records"`
	OutOfRange  int64            `json:"out_of_range"`
	Errors      int              `json:"errors"`
	// LeftOut are the files the map left without output, when the reduce accepted it.
	LeftOut []string `json:"left_out,omitempty"`
	// Delivered is true when the alerts were also sent to the configured destinations.
	Delivered bool `json:"delivered,omitempty"`
	// The run's objects.
	AlertsURL  string `json:"alerts_url"`
	ErrorsURL  string `json:"errors_url"`
	SummaryURL string `json:"summary_url"`
}

// DecodeBatch decodes a worker payload strictly: unknown fields are refused, as a payload
// that is not a batch must not be half-read.
func DecodeBatch(b []byte) (Batch, error) {
	var batch Batch
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&batch); err != nil {
		return Batch{}, fmt.Errorf("backtest batch: %w", err)
	}
	if len(batch.Items) == 0 {
		return Batch{}, fmt.Errorf("backtest batch: no Items")
	}
	return batch, batch.BatchInput.Settings.Validate()
}
