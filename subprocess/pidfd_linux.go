package subprocess

import (
	"syscall"

	"golang.org/x/sys/unix"
)

// setPidFD asks the kernel for a pidfd of the child (clone with
// CLONE_PIDFD, Linux 5.3+); *fd stays -1 where the kernel has none.
func setPidFD(sys *syscall.SysProcAttr, fd *int) {
	if usePidfd {
		sys.PidFD = fd
	}
}

// usePidfd is cleared by tests to run the SIGCHLD fallback on Linux too.
var usePidfd = true

func pidfdSignal(pidfd int, sig syscall.Signal) error {
	return unix.PidfdSendSignal(pidfd, unix.Signal(sig), nil, 0)
}
