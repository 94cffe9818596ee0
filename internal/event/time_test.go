package event

import (
	"testing"
	"time"
)

func TestParseTime(t *testing.T) {
	want := time.Date(2022, 9, 27, 17, 9, 18, 0, time.UTC)
	for _, s := range []string{
		"2022-09-27T17:09:18Z", "2022-09-27T19:09:18+02:00", "2022-09-27 17:09:18",
		"2022-09-27T17:09:18", "2022-09-27 17:09:18Z", "2022-09-27 17:09:18.000000000",
	} {
		got, err := ParseTime(s)
		if err != nil {
			t.Errorf("ParseTime(%q): %v", s, err)
			continue
		}
		if !got.Equal(want) || got.Location() != time.UTC {
			t.Errorf("ParseTime(%q) = %v, want %v UTC", s, got, want)
		}
	}
	for _, s := range []string{"", "yesterday", "2022-13-01T00:00:00Z", "1664298558"} {
		if _, err := ParseTime(s); err == nil {
			t.Errorf("ParseTime(%q) succeeded, want an error", s)
		}
	}
}
