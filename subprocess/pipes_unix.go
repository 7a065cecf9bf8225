//go:build unix

package subprocess

import (
	"context"
	"syscall"

	"github.com/aio-go/aio/eventloop"
	"github.com/aio-go/aio/transport"
)

// newChild is the child a start gave (loop goroutine).
func newChild(l *eventloop.Loop, st started, name string, killOnClose bool) *child {
	return &child{l: l, pid: st.pid, pidfd: st.pidfd, name: name, killOnClose: killOnClose}
}

// connectPipes wraps the parent's pipe ends in pipe transports. On error
// every pipe fd is closed.
func (t *Transport) connectPipes(ctx context.Context, fds [3]int) error {
	for i, fd := range fds {
		if fd < 0 {
			continue
		}
		var err error
		pp := &pipeProto{t: t, fd: i}
		if i == 0 {
			t.pipes[i], _, err = transport.ConnectWritePipe(ctx, func() *pipeProto { return pp }, fd)
		} else {
			t.pipes[i], _, err = transport.ConnectReadPipe(ctx, func() *pipeProto { return pp }, fd)
		}
		if err != nil {
			syscall.Close(fd)
			for j := i + 1; j < 3; j++ {
				if fds[j] >= 0 {
					syscall.Close(fds[j])
				}
			}
			t.closePipes()
			return &Error{Op: streamName(i), Path: "pipe", Err: err}
		}
		t.open++
	}
	return nil
}
