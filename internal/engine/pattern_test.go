package engine

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"
)

func TestPattern(t *testing.T) {
	b, err := Pattern(map[string][]string{
		"iam.amazonaws.com":        {"UpdateAccessKey", "DeleteAccessKey"},
		"cloudtrail.amazonaws.com": {"StopLogging"},
	})
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"source":      []any{"aws.cloudtrail", "aws.iam"},
		"detail-type": []any{"AWS API Call via CloudTrail"},
		"detail": map[string]any{"$or": []any{
			map[string]any{"eventSource": []any{"cloudtrail.amazonaws.com"}, "eventName": []any{"StopLogging"}},
			map[string]any{"eventSource": []any{"iam.amazonaws.com"}, "eventName": []any{"DeleteAccessKey", "UpdateAccessKey"}},
		}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("pattern\n%s", b)
	}
	one, _ := Pattern(map[string][]string{"iam.amazonaws.com": {"UpdateUser"}})
	if err := json.Unmarshal(one, &got); err != nil || got["detail"].(map[string]any)["eventSource"] == nil {
		t.Fatalf("single-source pattern should not use $or: %s", one)
	}
	if _, err := Pattern(nil); err == nil {
		t.Fatal("empty pattern accepted")
	}
}

// TestPatternRefusesUnlistedSources: an event source with no known AWS source cannot be routed
// safely (its source clause would be a guess), so Pattern refuses it.
func TestPatternRefusesUnlistedSources(t *testing.T) {
	if _, err := Pattern(map[string][]string{"iam.amazonaws.com": {"UpdateUser"}, "custom.example.com": {"Do"}}); err == nil {
		t.Fatal("a pattern for an event source off the allow-list was produced")
	}
}

// TestCheckPatternSize: the size counted is the compact pattern's, in characters.
func TestCheckPatternSize(t *testing.T) {
	names := make([]string, 0, 200)
	for i := range 200 {
		names = append(names, fmt.Sprintf("Event%03d", i))
	}
	b, err := Pattern(map[string][]string{"iam.amazonaws.com": names})
	if err != nil {
		t.Fatal(err)
	}
	if err := CheckPatternSize(b, PatternMaxChars); err == nil || !strings.Contains(err.Error(), "over the limit of 2048") {
		t.Fatalf("a %d-byte pattern passed the 2048-character check: %v", len(b), err)
	}
	small, _ := Pattern(map[string][]string{"iam.amazonaws.com": {"UpdateUser"}})
	if err := CheckPatternSize(small, PatternMaxChars); err != nil {
		t.Fatal(err)
	}
	if err := CheckPatternSize([]byte(`{ "a" : [ "b" ] }`), 13); err != nil {
		t.Fatalf("whitespace counted: %v", err)
	}
}
