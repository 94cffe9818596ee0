package astsnap

import (
	"fmt"
	"testing"
)

// FuzzDecode feeds Decode corrupt encodings, seeded with the embedded pack's and the
// synthetic modules', each decoded against the source of one module (which picks it): it
// must return a module or an error, never panic or hang, and a module it returns must encode
// again, as a well-formed module of that source. Run it with a short -fuzzminimizetime: an
// input takes milliseconds, and the default minimisation can hold a worker for a minute.
func FuzzDecode(f *testing.F) {
	srcs := packSources(f)
	for name, src := range synthetic {
		srcs[name] = src
	}
	names := sortedNames(srcs)
	for i, name := range names {
		b, err := Encode(parse(f, name, srcs[name]), srcs[name])
		if err != nil {
			f.Fatal(err)
		}
		f.Add(uint(i), b)
		f.Add(uint(i+1), b) // and against another module's source
	}
	f.Fuzz(func(t *testing.T, which uint, b []byte) {
		name := names[which%uint(len(names))]
		mod, err := Decode(b, name, srcs[name])
		if err != nil {
			return
		}
		if _, err := Encode(mod, srcs[name]); err != nil {
			t.Fatalf("a decoded module does not encode: %v", err)
		}
	})
}

// TestDecodeEveryByteCorrupted corrupts each byte of the synthetic modules' encodings in turn
// (to 0, 1, 2 and 0xff: nil, new and shared tags, the first kinds, and a varint that never
// ends) and truncates them at every length: Decode must return an error or a module that
// encodes again, without panicking. It runs in CI, where the fuzzer only replays its seeds.
func TestDecodeEveryByteCorrupted(t *testing.T) {
	for _, name := range sortedNames(synthetic) {
		src := synthetic[name]
		b, err := Encode(parse(t, name, src), src)
		if err != nil {
			t.Fatal(err)
		}
		check := func(what string, c []byte) {
			defer func() {
				if r := recover(); r != nil {
					t.Fatalf("%s: %s: panic: %v", name, what, r)
				}
			}()
			mod, err := Decode(c, name, src)
			if err != nil {
				return
			}
			if _, err := Encode(mod, src); err != nil {
				t.Fatalf("%s: %s: a decoded module does not encode: %v", name, what, err)
			}
		}
		c := make([]byte, len(b))
		for i := range b {
			for _, v := range []byte{0, 1, 2, 0xff} {
				copy(c, b)
				c[i] = v
				check(fmt.Sprintf("byte %d set to %#x", i, v), c)
			}
			check(fmt.Sprintf("truncated to %d bytes", i), b[:i])
		}
	}
}
