// Package builtin loads the embedded rule pack (rules/lib and rules/builtin). Importing it
// starts loading the pack in the background during package initialisation, so that parsing
// runs on another core while the rest of the program (the AWS SDK, OPA's builtins)
// initialises: the first Load takes that result. Every later Load parses the pack afresh, so
// each caller owns its pack's modules, as with rule.Load.
package builtin

import (
	"sync"

	"github.com/trailhound/trailhound/internal/rule"
	"github.com/trailhound/trailhound/rules"
)

var preload struct {
	sync.Mutex
	done  chan struct{} // closed when pack and err are set
	taken bool
	pack  *rule.Pack
	err   error
}

func init() {
	preload.done = make(chan struct{})
	go func() {
		preload.pack, preload.err = load()
		close(preload.done)
	}()
}

// load loads the embedded pack, which rules/rules_test.go compiles with every check before
// the binary is built: rule.Pack.Checked.
func load() (*rule.Pack, error) {
	p, err := rule.Load("builtin", "builtin", "rules", rules.FS)
	if p != nil {
		p.Checked = true
	}
	return p, err
}

// Load returns the built-in pack: the first call the pack loaded in the background since
// package initialisation (waiting for it), every later call a pack loaded afresh.
func Load() (*rule.Pack, error) {
	preload.Lock()
	first := !preload.taken
	preload.taken = true
	preload.Unlock()
	if !first {
		return load()
	}
	<-preload.done
	p, err := preload.pack, preload.err
	preload.pack = nil // the caller owns it now
	return p, err
}
