//go:build unix && !linux

package subprocess

import "syscall"

// setPidFD does nothing where there are no pidfds: the SIGCHLD watcher
// reaps the child.
func setPidFD(*syscall.SysProcAttr, *int) {}

var usePidfd = false

// pidfdSignal is never called with a pidfd here (there are none); a
// variable, so that callers shared with Linux need no build tags.
var pidfdSignal = func(int, syscall.Signal) error { return syscall.ENOSYS }
