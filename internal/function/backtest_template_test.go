package function

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/trailhound/trailhound/internal/backtest"
	"github.com/trailhound/trailhound/internal/testutil"
)

// TestBacktestStateMachineDefinition checks the Distributed Map settings of both variants of
// the definition, and that every path the definition reads from the execution input is a field
// of backtest.ExecutionInput (what `detector backtest` sends).
func TestBacktestStateMachineDefinition(t *testing.T) {
	inputFields := map[string]bool{}
	for _, f := range reflect.VisibleFields(reflect.TypeFor[backtest.ExecutionInput]()) {
		inputFields[strings.Split(f.Tag.Get("json"), ",")[0]] = true
	}
	for name, text := range testutil.BacktestDefinitions(t) {
		t.Run(name, func(t *testing.T) {
			var def struct {
				StartAt string
				States  map[string]map[string]any
			}
			if err := json.Unmarshal([]byte(text), &def); err != nil {
				t.Fatalf("definition is not JSON: %v\n%s", err, text)
			}
			m := def.States["Map"]
			get := func(v any, path ...string) any {
				for _, p := range path {
					o, _ := v.(map[string]any)
					v = o[p]
				}
				return v
			}
			checks := map[string][2]any{
				"StartAt":                      {def.StartAt, "Map"},
				"Type":                         {m["Type"], "Map"},
				"ProcessorConfig.Mode":         {get(m, "ItemProcessor", "ProcessorConfig", "Mode"), "DISTRIBUTED"},
				"ProcessorConfig.ExecType":     {get(m, "ItemProcessor", "ProcessorConfig", "ExecutionType"), "STANDARD"},
				"ItemBatcher.MaxInputBytes":    {get(m, "ItemBatcher", "MaxInputBytesPerBatch"), 65536.0},
				"ItemBatcher.MaxItems":         {get(m, "ItemBatcher", "MaxItemsPerBatch"), 50.0},
				"ItemBatcher.BatchInput":       {get(m, "ItemBatcher", "BatchInput", "Settings.$"), "$.Settings"},
				"MaxConcurrency":               {m["MaxConcurrency"], 200.0},
				"ToleratedFailurePercentage":   {m["ToleratedFailurePercentage"], 0.0},
				"ResultWriter.Resource":        {get(m, "ResultWriter", "Resource"), "arn:aws:states:::s3:putObject"},
				"ResultWriter.Bucket":          {get(m, "ResultWriter", "Parameters", "Bucket"), "th-backtest-runbucket"},
				"ResultPath":                   {m["ResultPath"], "$.MapResult"},
				"Next":                         {m["Next"], "Reduce"},
				"Worker.Resource":              {get(m, "ItemProcessor", "States", "Worker", "Resource"), "arn:aws:states:::lambda:invoke"},
				"Worker.Payload":               {get(m, "ItemProcessor", "States", "Worker", "Parameters", "Payload.$"), "$"},
				"Reduce.Map":                   {get(def.States["Reduce"], "Parameters", "Payload", "Map.$"), "$.MapResult"},
				"Reduce.Settings":              {get(def.States["Reduce"], "Parameters", "Payload", "Reduce.$"), "$.Settings"},
				"Reduce.FunctionName":          {get(def.States["Reduce"], "Parameters", "FunctionName"), "arn:aws:lambda:us-east-1:123456789012:function:th-backtest"},
				"Worker.FunctionName":          {get(m, "ItemProcessor", "States", "Worker", "Parameters", "FunctionName"), "arn:aws:lambda:us-east-1:123456789012:function:th-backtest"},
				"Worker.TimeoutSeconds":        {get(m, "ItemProcessor", "States", "Worker", "TimeoutSeconds"), 900.0},
				"ItemReader.Resource (list)":   {name == "list" && get(m, "ItemReader", "Resource") != "arn:aws:states:::s3:listObjectsV2", false},
				"ItemReader.Resource (inv)":    {name == "inventory" && get(m, "ItemReader", "Resource") != "arn:aws:states:::s3:getObject", false},
				"ItemReader.InputType (inv)":   {name == "inventory" && get(m, "ItemReader", "ReaderConfig", "InputType") != "MANIFEST", false},
				"ItemReader.Prefix.$ (list)":   {name == "list" && get(m, "ItemReader", "Parameters", "Prefix.$") != "$.TrailPrefix", false},
				"ItemReader.Key.$ (inventory)": {name == "inventory" && get(m, "ItemReader", "Parameters", "Key.$") != "$.InventoryManifestKey", false},
			}
			for what, c := range checks {
				if !reflect.DeepEqual(c[0], c[1]) {
					t.Errorf("%s: %v, want %v", what, c[0], c[1])
				}
			}
			retry, _ := get(m, "ItemProcessor", "States", "Worker", "Retry").([]any)
			if len(retry) == 0 || !strings.Contains(text, `"States.TaskFailed"`) || get(retry[0], "MaxAttempts") == nil {
				t.Errorf("the worker task has no retry on task failures: %v", retry)
			}
			for _, p := range regexp.MustCompile(`"\$\.([A-Za-z]+)`).FindAllStringSubmatch(text, -1) {
				if p[1] != "MapResult" && p[1] != "Payload" && !inputFields[p[1]] {
					t.Errorf("the definition reads $.%s, which backtest.ExecutionInput does not carry", p[1])
				}
			}
		})
	}
}

// aslValidator finds asl-validator (npm; .ci/run installs it and sets ASL_VALIDATOR).
func aslValidator(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("ASL_VALIDATOR"); p != "" {
		return p
	}
	if p, err := exec.LookPath("asl-validator"); err == nil {
		return p
	}
	testutil.Unavailable(t, "asl-validator not found: npm install asl-validator@4.0.0 and set ASL_VALIDATOR to node_modules/.bin/asl-validator")
	return ""
}

// TestBacktestDefinitionValidates runs asl-validator over both variants of the definition,
// and over a broken one it must refuse, and cfn-lint over the template.
func TestBacktestDefinitionValidates(t *testing.T) {
	bin := aslValidator(t)
	dir := t.TempDir()
	defs := testutil.BacktestDefinitions(t)
	for name, text := range defs {
		p := filepath.Join(dir, name+".json")
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		if out, err := exec.Command(bin, "--json-path", p).CombinedOutput(); err != nil {
			t.Errorf("asl-validator %s: %v\n%s", name, err, out)
		}
	}
	broken := strings.Replace(defs["list"], `"ExecutionType": "STANDARD"`, `"ExecutionType": "EVENTUAL"`, 1)
	p := filepath.Join(dir, "broken.json")
	if err := os.WriteFile(p, []byte(broken), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(bin, "--json-path", p).CombinedOutput(); err == nil {
		t.Errorf("asl-validator accepted a Distributed Map with an unknown ExecutionType:\n%s", out)
	}
	lint := testutil.NeedTool(t, "cfn-lint")
	if out, err := exec.Command(lint, filepath.Join(deployDir(t), "backtest.yaml")).CombinedOutput(); err != nil {
		t.Fatalf("cfn-lint backtest.yaml: %v\n%s", err, out)
	}
}
