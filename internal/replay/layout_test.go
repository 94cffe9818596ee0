package replay

import (
	"testing"
	"time"
)

func TestParseFileName(t *testing.T) {
	good := map[string]FileName{
		"111122223333_CloudTrail_us-east-1_20240318T0935Z_AbCdEfGh12345678.json.gz": {"111122223333", "us-east-1", time.Date(2024, 3, 18, 9, 35, 0, 0, time.UTC)},
		"444455556666_CloudTrail_us-gov-west-1_20231231T2355Z_x.json":               {"444455556666", "us-gov-west-1", time.Date(2023, 12, 31, 23, 55, 0, 0, time.UTC)},
	}
	for name, want := range good {
		got, ok := ParseFileName(name)
		if !ok || got != want {
			t.Errorf("ParseFileName(%q) = %+v, %v; want %+v", name, got, ok, want)
		}
	}
	for _, name := range []string{
		"111122223333_CloudTrail-Digest_us-east-1_ct_us-east-1_20240318T0935Z.json.gz",
		"111122223333_CloudTrail_us-east-1_20240318T0935Z_x.txt",
		"11112222333_CloudTrail_us-east-1_20240318T0935Z_x.json.gz",
		"111122223333_CloudTrail_useast1_20240318T0935Z_x.json.gz",
		"111122223333_CloudTrail_us-east-1_20241318T0935Z_x.json.gz",
		"events.json",
	} {
		if got, ok := ParseFileName(name); ok {
			t.Errorf("ParseFileName(%q) = %+v, want not a log file name", name, got)
		}
	}
}

func TestLayoutNames(t *testing.T) {
	for s, want := range map[string]bool{"o-exampleorg1": true, "o-a1b2c3d4e5": true, "o-short": false, "o-UPPERCASE12": false, "111122223333": false} {
		if isOrgID(s) != want {
			t.Errorf("isOrgID(%q) = %v", s, !want)
		}
	}
	for s, want := range map[string]bool{"us-east-1": true, "ap-southeast-2": true, "cn-north-1": true, "us-gov-west-1": true, "global": false, "us-east": false, "2024": false} {
		if isRegion(s) != want {
			t.Errorf("isRegion(%q) = %v", s, !want)
		}
	}
	for s, want := range map[string]bool{"x.json.gz": true, "x.json": true, "x.jsonl": true, ".hidden.json": false, "a_CloudTrail-Digest_b.json.gz": false, "notes.txt": false} {
		if isInputName(s) != want {
			t.Errorf("isInputName(%q) = %v", s, !want)
		}
	}
}
