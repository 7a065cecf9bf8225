//go:build unix

package main

import (
	"golang.org/x/sys/unix"

	"github.com/aio-go/aio/bench/internal/report"
)

// idlePoller returns a function making one zero-timeout poll(2) of the read
// end of an idle pipe, and a function closing the pipe.
func idlePoller() (func(), func(), error) {
	var p [2]int
	if err := unix.Pipe(p[:]); err != nil {
		return nil, nil, err
	}
	fds := []unix.PollFd{{Fd: int32(p[0]), Events: unix.POLLIN}}
	poll := func() {
		n, err := unix.Poll(fds, 0)
		if err == unix.EINTR {
			return
		}
		if err != nil || n != 0 {
			report.Fail("poll of the idle pipe: %d, %v", n, err)
		}
	}
	return poll, func() { unix.Close(p[0]); unix.Close(p[1]) }, nil
}
