//go:build unix && !linux

package subprocess

import "syscall"

// setPidFD does nothing where there are no pidfds: the SIGCHLD watcher
// reaps the child.
func setPidFD(*syscall.SysProcAttr, *int) {}

var usePidfd = false

func pidfdSignal(int, syscall.Signal) error { return syscall.ENOSYS }
