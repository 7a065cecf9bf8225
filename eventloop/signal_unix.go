//go:build unix

package eventloop

import "syscall"

// catchable reports whether a handler can be installed for s.
func catchable(s syscall.Signal) bool {
	return s > 0 && s < 65 && s != syscall.SIGKILL && s != syscall.SIGSTOP
}
