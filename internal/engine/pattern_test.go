package engine

import (
	"encoding/json"
	"reflect"
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
