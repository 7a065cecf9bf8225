//go:build linux || freebsd || netbsd || openbsd || dragonfly || solaris || illumos

package subprocess

import "golang.org/x/sys/unix"

// cloexecPipe makes a pipe whose both ends are close-on-exec from birth.
func cloexecPipe(p []int) error { return unix.Pipe2(p, unix.O_CLOEXEC) }
