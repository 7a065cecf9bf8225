package transport

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"

	"github.com/aio-go/aio/eventloop"
	"github.com/aio-go/aio/internal/errs"
)

// connDir is the direction of a net.Conn transport: a connection reads
// and writes, a pipe does one of the two.
type connDir uint8

const (
	connBoth connDir = iota
	connReadOnly
	connWriteOnly
)

var errReadOnlyConn = errors.New("transport: write on a read-only pipe transport")

// ConnectReadFile wraps f, the read end of a pipe (or any *os.File that
// can be read), in a read-only transport whose protocol comes from
// factory, and returns once ConnectionMade has run. A goroutine reads f
// and posts each chunk to the loop, as the net.Conn transport does
// (ConnectNetConn), so it works for files the loop's poller cannot watch
// (every pipe on Windows, where ConnectReadPipe is built on it). At EOF
// the protocol's EOFReceived runs and the transport closes. Write and
// WriteEOF on it fail. The transport owns f from now on and closes it
// when the connection is lost. It is an await: call it from a task.
//
// Closing the transport while the goroutine is blocked reading relies on
// closing f interrupting that read: true for os.Pipe on Unix (the Go
// runtime polls it) and for pipes on Windows (closing cancels the pending
// read with CancelIoEx, which Wine does not always honour); a regular
// file's read ends on its own. Close and Abort never wait for it on the
// loop goroutine: f is closed on a goroutine of its own, and only the
// loop's Close waits for that.
//
// Cancellation: returns ErrCancelled (or ErrTimeout) and closes f if ctx
// is cancelled before ConnectionMade ran.
func ConnectReadFile[P StreamProtocol](ctx context.Context, factory func() P, f *os.File) (Transport, P, error) {
	return connectFile(ctx, "ConnectReadFile", factory, f, connReadOnly)
}

// ConnectWriteFile wraps f, the write end of a pipe (or any *os.File that
// can be written), in a write-only transport, and returns once
// ConnectionMade has run. A goroutine writes what Write queued, in order,
// and posts each completion back, which drives flow control. WriteEOF
// closes f once the queue is written. A reading end that was closed shows
// as the next write's error: the protocol's ConnectionLost gets a
// *BrokenError wrapping it (EPIPE, or ERROR_BROKEN_PIPE / ERROR_NO_DATA
// on Windows); unlike ConnectWritePipe on Unix nothing watches the pipe
// between writes. The transport owns f. It is an await: call it from a
// task.
//
// Cancellation: returns ErrCancelled (or ErrTimeout) and closes f if ctx
// is cancelled before ConnectionMade ran.
func ConnectWriteFile[P StreamProtocol](ctx context.Context, factory func() P, f *os.File) (Transport, P, error) {
	return connectFile(ctx, "ConnectWriteFile", factory, f, connWriteOnly)
}

func connectFile[P StreamProtocol](ctx context.Context, op string, factory func() P, f *os.File, dir connDir) (Transport, P, error) {
	var p P
	l, err := loopFor(ctx, op)
	if err != nil {
		if f != nil {
			f.Close()
		}
		return nil, p, err
	}
	if f == nil {
		return nil, p, errs.Op("transport", op, fmt.Errorf("%w: nil file", ErrBadFile))
	}
	if factory == nil {
		f.Close()
		return nil, p, errs.Op("transport", op, eventloop.ErrNilCallback)
	}
	p = factory()
	t, err := newFileTransport(l, f, p, dir)
	if err != nil {
		return nil, p, err
	}
	if err := awaitStarted(ctx, t); err != nil {
		return nil, p, err
	}
	return t, p, nil
}

// ErrBadFile is returned by ConnectReadFile and ConnectWriteFile for a
// nil file, and on Windows by ConnectReadPipe and ConnectWritePipe for a
// handle that is not valid.
var ErrBadFile = errors.New("transport: bad file")

func newFileTransport(l *eventloop.Loop, f *os.File, p StreamProtocol, dir connDir) (*connTransport, error) {
	return newConnTransportDir(l, fileConn{f}, p, nil, dir)
}

// fileConn makes an *os.File a net.Conn for the net.Conn transport.
type fileConn struct{ *os.File }

func (c fileConn) LocalAddr() net.Addr  { return pipeAddr(c.Name()) }
func (c fileConn) RemoteAddr() net.Addr { return nil }

// pipeAddr is a pipe's address: its file name.
type pipeAddr string

func (a pipeAddr) Network() string { return "pipe" }
func (a pipeAddr) String() string  { return string(a) }
