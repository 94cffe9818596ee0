package replay

import (
	"testing"
	"time"

	"github.com/trailhound/trailhound/internal/event"
)

func TestParseTimeBound(t *testing.T) {
	cases := []struct {
		in   string
		end  bool
		want time.Time
	}{
		{"2024-03-18", false, time.Date(2024, 3, 18, 0, 0, 0, 0, time.UTC)},
		{"2024-03-18", true, time.Date(2024, 3, 19, 0, 0, 0, 0, time.UTC)},
		{"2024-03-18T09:30:00+02:00", true, time.Date(2024, 3, 18, 7, 30, 0, 0, time.UTC)},
		{"", false, time.Time{}},
	}
	for _, c := range cases {
		got, err := ParseTimeBound(c.in, c.end)
		if err != nil || !got.Equal(c.want) {
			t.Errorf("ParseTimeBound(%q, %v) = %v, %v; want %v", c.in, c.end, got, err, c.want)
		}
	}
	for _, bad := range []string{"yesterday", "2024-13-01", "18/03/2024"} {
		if _, err := ParseTimeBound(bad, false); err == nil {
			t.Errorf("ParseTimeBound(%q) accepted it", bad)
		}
	}
}

func TestFilterValidate(t *testing.T) {
	at := time.Date(2024, 3, 18, 0, 0, 0, 0, time.UTC)
	for name, f := range map[string]Filter{
		"empty range": {Start: at, End: at},
		"account":     {Accounts: []string{"1234"}},
		"region":      {Regions: []string{"mars"}},
	} {
		if err := f.Validate(); err == nil {
			t.Errorf("%s: accepted %+v", name, f)
		}
	}
}

func TestFilterFileNames(t *testing.T) {
	f := Filter{Start: time.Date(2024, 3, 18, 0, 0, 0, 0, time.UTC), End: time.Date(2024, 3, 19, 0, 0, 0, 0, time.UTC), Accounts: []string{accountA}}
	if err := f.prepare(); err != nil {
		t.Fatal(err)
	}
	name := func(account, stamp string) string {
		return account + "_CloudTrail_us-east-1_" + stamp + "_AbCd.json.gz"
	}
	for n, want := range map[string]bool{
		name(accountA, "20240318T1200Z"): true,
		name(accountA, "20240317T2355Z"): true,  // within the clock skew before the start
		name(accountA, "20240317T2350Z"): false, // its events are all before the start
		name(accountA, "20240319T0055Z"): true,  // may hold events from before the end
		name(accountA, "20240319T0105Z"): false, // more than the lateness after the end
		name(accountB, "20240318T1200Z"): false,
		"unrelated.json":                 true, // only its records can tell
	} {
		if got := f.keepName(n); got != want {
			t.Errorf("keepName(%s) = %v, want %v", n, got, want)
		}
	}
}

func TestFilterRecords(t *testing.T) {
	f := Filter{Start: time.Date(2024, 3, 18, 9, 0, 0, 0, time.UTC), End: time.Date(2024, 3, 18, 10, 0, 0, 0, time.UTC), Regions: []string{"us-east-1"}}
	if err := f.prepare(); err != nil {
		t.Fatal(err)
	}
	h := func(when, region string) *event.Header {
		return &event.Header{EventTime: when, AWSRegion: region, RecipientAccountID: accountA}
	}
	for _, c := range []struct {
		h    *event.Header
		want bool
	}{
		{h("2024-03-18T09:00:00Z", "us-east-1"), true},
		{h("2024-03-18T08:59:59Z", "us-east-1"), false},
		{h("2024-03-18T10:00:00Z", "us-east-1"), false},
		{h("2024-03-18T09:59:59.999Z", "us-east-1"), true},
		{h("2024-03-18 09:30:00", "us-east-1"), true},
		{h("2024-03-18T11:30:00+02:00", "us-east-1"), true},
		{h("not a time", "us-east-1"), true},
		{h("2024-03-18T09:30:00Z", "eu-west-1"), false},
	} {
		if got := f.keepRecord(c.h); got != c.want {
			t.Errorf("keepRecord(%s, %s) = %v, want %v", c.h.EventTime, c.h.AWSRegion, got, c.want)
		}
	}
}
