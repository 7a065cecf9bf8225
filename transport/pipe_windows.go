package transport

import (
	"context"
	"fmt"
	"os"
	"syscall"

	"github.com/aio-go/aio/internal/errs"
)

// ConnectReadPipe wraps the read end of a pipe in a read-only transport
// whose protocol comes from factory, and returns once ConnectionMade has
// run (asyncio's connect_read_pipe). On Windows fd is the pipe's handle
// (syscall.Handle converted to int: int(f.Fd()) of a file you then must
// not use or close yourself); the transport owns the handle from now on.
// It is ConnectReadFile over os.NewFile(fd): a goroutine reads and posts
// to the loop. At EOF the protocol's EOFReceived runs and the transport
// closes. Write and WriteEOF on it fail. It is an await: call it from a
// task.
//
// Cancellation: returns ErrCancelled (or ErrTimeout); the handle is
// closed.
func ConnectReadPipe[P StreamProtocol](ctx context.Context, factory func() P, fd int) (Transport, P, error) {
	f, err := handleFile("ConnectReadPipe", fd)
	if err != nil {
		var p P
		return nil, p, err
	}
	return connectFile(ctx, "ConnectReadPipe", factory, f, connReadOnly)
}

// ConnectWritePipe wraps the write end of a pipe in a write-only transport
// (asyncio's connect_write_pipe) and returns once ConnectionMade has run.
// On Windows fd is the pipe's handle, owned by the transport from now on;
// it is ConnectWriteFile over os.NewFile(fd). A reading end that was
// closed shows as the next write's error (a *BrokenError wrapping
// ERROR_BROKEN_PIPE or ERROR_NO_DATA in ConnectionLost): nothing watches
// the pipe between writes on Windows. WriteEOF closes the pipe once the
// queue is written. It is an await: call it from a task.
//
// Cancellation: returns ErrCancelled (or ErrTimeout); the handle is
// closed.
func ConnectWritePipe[P StreamProtocol](ctx context.Context, factory func() P, fd int) (Transport, P, error) {
	f, err := handleFile("ConnectWritePipe", fd)
	if err != nil {
		var p P
		return nil, p, err
	}
	return connectFile(ctx, "ConnectWritePipe", factory, f, connWriteOnly)
}

func handleFile(op string, fd int) (*os.File, error) {
	h := syscall.Handle(fd)
	if fd == 0 || h == syscall.InvalidHandle {
		return nil, errs.Op("transport", op, fmt.Errorf("%w: invalid handle %d", ErrBadFile, fd))
	}
	if _, err := syscall.GetFileType(h); err != nil {
		return nil, errs.Op("transport", op, fmt.Errorf("%w: handle %d: %w", ErrBadFile, fd, err))
	}
	return os.NewFile(uintptr(h), "pipe"), nil
}
