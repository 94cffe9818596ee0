//go:build ignore

// gen_preread writes preread_gen.go (go generate). It does not build this package, so it
// runs even when preread_gen.go no longer compiles.
package main

import (
	"log"
	"os"

	"github.com/trailhound/trailhound/internal/rule/prereadgen"
)

func main() {
	src, err := prereadgen.Builtin()
	if err != nil {
		log.Fatal(err)
	}
	if err := os.WriteFile(prereadgen.BuiltinFile, src, 0o644); err != nil {
		log.Fatal(err)
	}
}
