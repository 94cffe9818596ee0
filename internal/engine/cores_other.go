//go:build !linux

package engine

// runnableOthers is 0 where the kernel's runnable count is not read: every core counts as
// free.
func runnableOthers() int { return 0 }
