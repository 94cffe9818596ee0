package sink

import (
	"errors"
	"testing"
	"time"
)

// FuzzVerifySignature feeds arbitrary headers and bodies to the receiver's check: it never
// panics, accepts only a header carrying the body's real HMAC at an in-tolerance time, and a
// signature Sign made verifies.
func FuzzVerifySignature(f *testing.F) {
	key := []byte("k")
	now := time.Unix(1_714_564_800, 0)
	f.Add(Sign(key, now, []byte(`{"id":"a"}`)), []byte(`{"id":"a"}`), int64(0))
	f.Add("t=1714564800,v1=zz,v1=", []byte("x"), int64(301))
	f.Add("t=-9223372036854775808,v1=00", []byte(""), int64(-301))
	f.Add(",,,=,t=,v1", []byte("{}"), int64(5))
	f.Fuzz(func(t *testing.T, header string, body []byte, skew int64) {
		at := now.Add(time.Duration(skew%3600) * time.Second)
		err := VerifySignature(key, header, body, at, SignatureTolerance)
		if err != nil && !errors.Is(err, ErrSignatureMissing) && !errors.Is(err, ErrSignatureExpired) && !errors.Is(err, ErrSignatureInvalid) {
			t.Fatalf("unexpected error %v", err)
		}
		if err == nil && VerifySignature([]byte("other"), header, body, at, SignatureTolerance) == nil {
			t.Fatalf("header %q verifies under two keys", header)
		}
		if VerifySignature(key, Sign(key, at, body), body, at, SignatureTolerance) != nil {
			t.Fatal("a fresh signature does not verify")
		}
	})
}
