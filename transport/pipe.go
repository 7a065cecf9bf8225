//go:build unix

package transport

import (
	"context"
	"fmt"

	"github.com/aio-go/aio/eventloop"
	"github.com/aio-go/aio/internal/errs"

	"golang.org/x/sys/unix"
)

// ConnectReadPipe wraps the read end of a pipe (or a socket, or a
// character device) in a read-only transport whose protocol comes from
// factory, and returns once ConnectionMade has run (asyncio's
// connect_read_pipe). The transport owns fd from now on: it makes it
// non-blocking and closes it when the connection is lost. At EOF the
// protocol's EOFReceived runs and the transport closes (a pipe has no
// write side to keep open). Write and WriteEOF on it fail. It is an await:
// call it from a task.
//
// Cancellation: returns ErrCancelled (or ErrTimeout); the transport is
// aborted and fd closed.
func ConnectReadPipe[P StreamProtocol](ctx context.Context, factory func() P, fd int) (Transport, P, error) {
	return connectPipe(ctx, "ConnectReadPipe", factory, fd, kindReadPipe)
}

// ConnectWritePipe wraps the write end of a pipe in a write-only transport
// (asyncio's connect_write_pipe), and returns once ConnectionMade has run.
// The transport owns fd. When the reading end is closed the protocol's
// ConnectionLost receives a *BrokenError wrapping EPIPE, whether a write
// was in flight or not, and later writes return that error: the process
// never dies of SIGPIPE (Go's runtime turns SIGPIPE on descriptors other
// than stdout and stderr into an EPIPE result). WriteEOF closes the pipe
// once the buffer is flushed. It is an await: call it from a task.
//
// Cancellation: returns ErrCancelled (or ErrTimeout); the transport is
// aborted and fd closed.
func ConnectWritePipe[P StreamProtocol](ctx context.Context, factory func() P, fd int) (Transport, P, error) {
	return connectPipe(ctx, "ConnectWritePipe", factory, fd, kindWritePipe)
}

func connectPipe[P StreamProtocol](ctx context.Context, op string, factory func() P, fd int, kind fdKind) (Transport, P, error) {
	var p P
	l, err := loopFor(ctx, op)
	if err != nil {
		unix.Close(fd)
		return nil, p, err
	}
	if factory == nil {
		unix.Close(fd)
		return nil, p, errs.Op("transport", op, eventloop.ErrNilCallback)
	}
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return nil, p, &NetError{Op: op, Net: "pipe", Err: err}
	}
	switch st.Mode & unix.S_IFMT {
	case unix.S_IFIFO, unix.S_IFSOCK, unix.S_IFCHR:
	default:
		unix.Close(fd)
		return nil, p, &NetError{Op: op, Net: "pipe", Err: fmt.Errorf("transport: fd %d is not a pipe, socket or character device", fd)}
	}
	if err := unix.SetNonblock(fd, true); err != nil {
		unix.Close(fd)
		return nil, p, &NetError{Op: op, Net: "pipe", Err: err}
	}
	p = factory()
	t, err := newFDTransport(l, fd, kind, "pipe", p)
	if err != nil {
		return nil, p, err
	}
	if err := awaitStarted(ctx, t); err != nil {
		return nil, p, err
	}
	return t, p, nil
}
