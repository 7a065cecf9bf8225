//go:build unix

package eventloop

import (
	"strconv"
	"syscall"

	"golang.org/x/sys/unix"
)

// catchable reports whether a handler can be installed for s.
func catchable(s syscall.Signal) bool {
	return s > 0 && s < 65 && s != syscall.SIGKILL && s != syscall.SIGSTOP
}

// signalName is the name of s as C spells it ("SIGKILL"), or "signal N"
// for a number that is no signal.
func signalName(s syscall.Signal) string {
	if n := unix.SignalName(s); n != "" {
		return n
	}
	return "signal " + strconv.Itoa(int(s))
}
