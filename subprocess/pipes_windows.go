package subprocess

import (
	"context"
	"os"

	"github.com/aio-go/aio/eventloop"
	"github.com/aio-go/aio/transport"
)

// newChild is the child a start gave (loop goroutine).
func newChild(l *eventloop.Loop, st started, name string, killOnClose bool) *child {
	return &child{l: l, proc: st.proc, pid: st.proc.Pid, name: name, killOnClose: killOnClose}
}

// connectPipes wraps the parent's pipe ends in file transports (a
// goroutine does each pipe's I/O and posts to the loop). On error every
// pipe is closed.
func (t *Transport) connectPipes(ctx context.Context, files [3]*os.File) error {
	for i, f := range files {
		if f == nil {
			continue
		}
		var err error
		pp := &pipeProto{t: t, fd: i}
		if i == 0 {
			t.pipes[i], _, err = transport.ConnectWriteFile(ctx, func() *pipeProto { return pp }, f)
		} else {
			t.pipes[i], _, err = transport.ConnectReadFile(ctx, func() *pipeProto { return pp }, f)
		}
		if err != nil {
			for j := i + 1; j < 3; j++ {
				if files[j] != nil {
					files[j].Close()
				}
			}
			t.closePipes()
			return &Error{Op: streamName(i), Path: "pipe", Err: err}
		}
		t.open++
	}
	return nil
}
