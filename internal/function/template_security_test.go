package function

import (
	"os"
	"path/filepath"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/trailhound/trailhound/internal/ruleset"
	"github.com/trailhound/trailhound/internal/testutil"
)

// path walks mapping keys of a YAML node; nil when one is missing.
func yamlPath(n *yaml.Node, keys ...string) *yaml.Node {
	for _, k := range keys {
		if n = testutil.MapValue(n, k); n == nil {
			return nil
		}
	}
	return n
}

// TestTemplateHardening: the alert topic is encrypted with a KMS key (a parameter, the AWS
// managed alias/aws/sns by default) that the function may use through SNS only; reserved
// concurrency is a parameter whose default leaves it unset; a refused rules bundle (EMF
// bundle_refused) raises an alarm.
func TestTemplateHardening(t *testing.T) {
	src, err := os.ReadFile(filepath.Join(testutil.ModuleRoot(t), "deploy", "template.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(src, &doc); err != nil {
		t.Fatal(err)
	}
	root := doc.Content[0]
	if n := yamlPath(root, "Resources", "AlertTopic", "Properties", "KmsMasterKeyId"); n == nil || n.Tag != "!Ref" || n.Value != "AlertTopicKmsKey" {
		t.Errorf("AlertTopic KmsMasterKeyId = %+v, want !Ref AlertTopicKmsKey", n)
	}
	if n := yamlPath(root, "Parameters", "AlertTopicKmsKey", "Default"); n == nil || n.Value != "alias/aws/sns" {
		t.Errorf("AlertTopicKmsKey default %+v, want alias/aws/sns", n)
	}
	if n := yamlPath(root, "Parameters", "ReservedConcurrency", "Default"); n == nil || n.Value != "-1" {
		t.Errorf("ReservedConcurrency default %+v, want -1 (unset)", n)
	}
	rc := yamlPath(root, "Resources", "DetectorFunction", "Properties", "ReservedConcurrentExecutions")
	if rc == nil || rc.Tag != "!If" || len(rc.Content) != 3 || rc.Content[0].Value != "HasReservedConcurrency" ||
		rc.Content[1].Value != "ReservedConcurrency" || rc.Content[2].Value != "AWS::NoValue" {
		t.Errorf("ReservedConcurrentExecutions = %+v, want !If [HasReservedConcurrency, !Ref ReservedConcurrency, !Ref AWS::NoValue]", rc)
	}
	if n := yamlPath(root, "Conditions", "HasReservedConcurrency"); n == nil {
		t.Error("no HasReservedConcurrency condition")
	}
	alarm := yamlPath(root, "Resources", "BundleRefusedAlarm", "Properties")
	if alarm == nil || testutil.MapValue(alarm, "MetricName").Value != ruleset.MetricBundleRefused || testutil.MapValue(alarm, "Namespace").Value != "trailhound" {
		t.Errorf("BundleRefusedAlarm = %+v, want an alarm on trailhound/%s", alarm, ruleset.MetricBundleRefused)
	}
}
