package sink

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/trailhound/trailhound/internal/delivery"
)

func TestTruncateKeepsUTF8(t *testing.T) {
	s := strings.Repeat("é", 10) // 20 bytes
	for n := 4; n <= 21; n++ {
		got := truncate(s, n, "..")
		if len(got) > n || !utf8.ValidString(got) {
			t.Errorf("truncate(%d) = %q (%d bytes)", n, got, len(got))
		}
	}
	if got := truncate("short", 10, "..."); got != "short" {
		t.Errorf("short string changed: %q", got)
	}
	if got := truncateRunes(strings.Repeat("ü", 20), 10); got != strings.Repeat("ü", 7)+"..." {
		t.Errorf("truncateRunes = %q", got)
	}
}

func TestEscapeDisallowedKeepsJSONValue(t *testing.T) {
	in := map[string]string{"ua": "a\uffffb\ufffec\U0001F600d\x01"}
	b, _ := json.Marshal(in)
	out := escapeDisallowed(b)
	for _, r := range string(out) {
		if !sqsAllowed(r) {
			t.Fatalf("disallowed %U left in %s", r, out)
		}
	}
	var back map[string]string
	if err := json.Unmarshal(out, &back); err != nil || back["ua"] != in["ua"] {
		t.Fatalf("round trip: %v %q", err, back["ua"])
	}
}

func TestASCIILineAndGroupID(t *testing.T) {
	if got := asciiLine("  a\r\n\tb — ü\x00 "); got != "a b ? ??" {
		t.Errorf("asciiLine = %q", got)
	}
	a := testAlert("x")
	if got := groupID(a); got != a.Actor.ARN {
		t.Errorf("groupID = %q", got)
	}
	a.Actor.ARN, a.Actor.Account = "", ""
	if got := groupID(a); got != "111122223333" {
		t.Errorf("groupID fallback = %q", got)
	}
	a.Actor.ARN = "arn:aws:iam::1:user/with space"
	if got := groupID(a); !strings.HasPrefix(got, "actor-") || groupID(a) != got {
		t.Errorf("groupID of an ARN with a space = %q", got)
	}
}

func TestBatches(t *testing.T) {
	items := []int{5, 5, 5, 20, 1, 1, 1}
	got := batches(items, 3, 12, func(n int) int { return n })
	want := [][]int{{5, 5}, {5}, {20}, {1, 1, 1}}
	if len(got) != len(want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	for i := range want {
		if len(got[i]) != len(want[i]) || got[i][0] != want[i][0] {
			t.Fatalf("got %v, want %v", got, want)
		}
	}
}

func TestSendEntriesRetriesTransientOnly(t *testing.T) {
	b := Backoff{Attempts: 3, Base: time.Millisecond, Max: 2 * time.Millisecond}
	calls := 0
	// "t" is rejected transiently twice then accepted; "p" fails for good; "s" always throttled.
	err := sendEntries(context.Background(), b, []string{"t", "p", "s", "ok"}, func(s string) string { return s },
		func(_ context.Context, batch []string) entryResult[string] {
			calls++
			var res entryResult[string]
			for _, e := range batch {
				switch {
				case e == "t" && calls < 3, e == "s":
					res.retry = append(res.retry, e)
				case e == "p":
					res.err = &delivery.AlertError{AlertID: "p", Err: errors.New("rejected")}
				}
			}
			return res
		})
	if calls != 3 {
		t.Errorf("%d calls, want 3", calls)
	}
	if err == nil || !strings.Contains(err.Error(), "alert p: rejected") || !strings.Contains(err.Error(), "alert s: still rejected") || strings.Contains(err.Error(), "alert t") {
		t.Errorf("error %v", err)
	}
	// The entries still failing are attributed to their alerts; the others were delivered.
	if failed := delivery.Attribute(err, []string{"t", "p", "s", "ok"}); failed["p"] == nil || failed["s"] == nil || failed["t"] != nil || failed["ok"] != nil {
		t.Errorf("attributed %v", failed)
	}
	for n := 1; n < 10; n++ {
		if d := DefaultBackoff.delay(n); d <= 0 || d > DefaultBackoff.Max {
			t.Errorf("delay(%d) = %v", n, d)
		}
	}
}
