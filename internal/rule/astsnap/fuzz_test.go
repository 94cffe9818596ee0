package astsnap

import (
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
