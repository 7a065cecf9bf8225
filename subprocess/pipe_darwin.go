//go:build darwin || aix

package subprocess

import (
	"syscall"

	"golang.org/x/sys/unix"
)

// cloexecPipe makes a pipe whose both ends are close-on-exec. darwin has no
// pipe2: hold ForkLock for writing so no fork sees the ends before
// FD_CLOEXEC is set (what the syscall package does for its own pipes).
func cloexecPipe(p []int) error {
	syscall.ForkLock.Lock()
	defer syscall.ForkLock.Unlock()
	if err := unix.Pipe(p); err != nil {
		return err
	}
	unix.CloseOnExec(p[0])
	unix.CloseOnExec(p[1])
	return nil
}
