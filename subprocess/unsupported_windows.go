package subprocess

import (
	"context"
	"errors"
	"syscall"

	"github.com/aio-go/aio/streams"
	"github.com/aio-go/aio/transport"
)

// On Windows the package builds, so that programs using it cross-compile,
// but starting a child is not supported yet: Exec, Shell and
// ExecTransport return an *Error wrapping ErrNotSupported (and
// errors.ErrUnsupported), and the methods of Process and Transport,
// which nothing can return, report the same.

// ErrNotSupported is returned where this platform cannot start children.
var ErrNotSupported = errors.New("subprocess: starting a child is not supported on windows yet")

func notSupported(op, name string) error {
	return &Error{Op: op, Path: name, Err: errors.Join(ErrNotSupported, errors.ErrUnsupported)}
}

// SubprocessProtocol is the low-level protocol of a child process; see
// the Unix documentation.
type SubprocessProtocol interface {
	transport.BaseProtocol
	ConnectionMade(t *Transport)
	PipeDataReceived(fd int, data []byte)
	PipeConnectionLost(fd int, err error)
	ProcessExited()
}

// SubprocessProtocolBase gives SubprocessProtocol's methods asyncio's
// defaults (do nothing).
type SubprocessProtocolBase struct{}

func (SubprocessProtocolBase) ConnectionMade(*Transport)     {}
func (SubprocessProtocolBase) ConnectionLost(error)          {}
func (SubprocessProtocolBase) PauseWriting()                 {}
func (SubprocessProtocolBase) ResumeWriting()                {}
func (SubprocessProtocolBase) PipeDataReceived(int, []byte)  {}
func (SubprocessProtocolBase) PipeConnectionLost(int, error) {}
func (SubprocessProtocolBase) ProcessExited()                {}

// Transport is the low-level handle of a running child.
type Transport struct{}

// ExecTransport reports ErrNotSupported on this platform.
func ExecTransport[P SubprocessProtocol](ctx context.Context, factory func() P, name string, args []string, opts ...Option) (*Transport, P, error) {
	var zero P
	return nil, zero, notSupported("ExecTransport", name)
}

func (t *Transport) PID() int                                 { return 0 }
func (t *Transport) ReturnCode() (int, bool)                  { return 0, false }
func (t *Transport) PipeTransport(fd int) transport.Transport { return nil }
func (t *Transport) SendSignal(sig syscall.Signal) error      { return notSupported("SendSignal", "") }
func (t *Transport) Terminate() error                         { return notSupported("Terminate", "") }
func (t *Transport) Kill() error                              { return notSupported("Kill", "") }
func (t *Transport) Close() error                             { return nil }
func (t *Transport) IsClosing() bool                          { return true }
func (t *Transport) Wait(ctx context.Context) (int, error) {
	return 0, notSupported("Wait", "")
}

// Process is a running child with its pipes as streams.
type Process struct {
	Stdin          *streams.StreamWriter
	Stdout, Stderr *streams.StreamReader
}

// Exec reports ErrNotSupported on this platform.
func Exec(ctx context.Context, name string, args []string, opts ...Option) (*Process, error) {
	return nil, notSupported("Exec", name)
}

// Shell reports ErrNotSupported on this platform.
func Shell(ctx context.Context, command string, opts ...Option) (*Process, error) {
	return nil, notSupported("Shell", command)
}

func (p *Process) PID() int                              { return 0 }
func (p *Process) ReturnCode() (int, bool)               { return 0, false }
func (p *Process) Wait(ctx context.Context) (int, error) { return 0, notSupported("Wait", "") }
func (p *Process) SendSignal(sig syscall.Signal) error   { return notSupported("SendSignal", "") }
func (p *Process) Terminate() error                      { return notSupported("Terminate", "") }
func (p *Process) Kill() error                           { return notSupported("Kill", "") }
func (p *Process) Transport() *Transport                 { return nil }
func (p *Process) Close() error                          { return notSupported("Close", "") }
func (p *Process) Communicate(ctx context.Context, input []byte) (stdout, stderr []byte, err error) {
	return nil, nil, notSupported("Communicate", "")
}
