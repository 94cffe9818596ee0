//go:build ignore

// gen_preread writes preread_gen.go and ast_gen.go (go generate). It does not build this
// package, so it runs even when they no longer compile.
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
	snap, err := prereadgen.BuiltinSnapshot()
	if err != nil {
		log.Fatal(err)
	}
	if err := os.WriteFile(prereadgen.SnapshotFile, snap, 0o644); err != nil {
		log.Fatal(err)
	}
}
