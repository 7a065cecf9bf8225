package subprocess

import (
	"context"
	"errors"
	"fmt"
	"syscall"

	"github.com/aio-go/aio/eventloop"
	"github.com/aio-go/aio/transport"
)

// Transport is the low-level handle of a running child
// (asyncio.SubprocessTransport). Loop goroutine (or its tasks) only.
type Transport struct {
	l       *eventloop.Loop
	c       *child
	proto   SubprocessProtocol
	pipes   [3]transport.Transport // nil where the stream is not a Pipe
	open    int                    // pipes not yet lost
	exited  bool                   // ProcessExited has been called
	lost    bool                   // ConnectionLost has been called
	closed  bool
	killCxl bool
}

// ExecTransport starts name with args (no shell) and connects it to the
// protocol factory returns (asyncio: loop.subprocess_exec). Pipes are set
// with WithStdin/WithStdout/WithStderr(Pipe). It must be called from a task
// of the loop, with its ctx; ctx is used only for the start, not for the
// child's lifetime. The fork and exec run off the loop goroutine while the
// task waits; the factory and ConnectionMade run on the loop afterwards.
//
// Cancellation: as for Exec, a start that was cancelled starts nothing or
// kills the child it started (the loop reaps it); the factory is not
// called.
func ExecTransport[P SubprocessProtocol](ctx context.Context, factory func() P, name string, args []string, opts ...Option) (*Transport, P, error) {
	var zero P
	l := eventloop.LoopOf(ctx)
	if l == nil {
		return nil, zero, fmt.Errorf("subprocess: ExecTransport: %w", eventloop.ErrNotInTask)
	}
	if err := l.Check("subprocess.ExecTransport"); err != nil {
		return nil, zero, err
	}
	if factory == nil {
		return nil, zero, fmt.Errorf("subprocess: ExecTransport: %w: nil protocol factory", ErrBadOption)
	}
	cf := config{}
	for _, o := range opts {
		o(&cf)
	}
	st, err := startChild(ctx, l, name, append([]string{name}, args...), &cf)
	if err != nil {
		return nil, zero, err
	}
	p := factory()
	t := &Transport{l: l, proto: p, killCxl: cf.killOnCancel}
	t.c = newChild(l, st, name, cf.killOnClose)
	if err := t.connectPipes(ctx, st.pipes); err != nil {
		// The child runs already: kill and reap it, so nothing is left.
		t.c.killOnClose = true
		t.c.loopClosing()
		return nil, zero, err
	}
	if err := t.c.watch(); err != nil {
		t.closePipes()
		t.c.killOnClose = true
		t.c.loopClosing()
		return nil, zero, err
	}
	t.c.onExit = append(t.c.onExit, t.processExited)
	p.ConnectionMade(t)
	return t, p, nil
}

func (t *Transport) closePipes() {
	for _, p := range t.pipes {
		if p != nil {
			p.Close()
		}
	}
}

// pipeProto forwards one pipe transport's callbacks to the subprocess
// protocol with the pipe's number.
type pipeProto struct {
	transport.ProtocolBase
	t  *Transport
	fd int
}

func (p *pipeProto) DataReceived(b []byte)  { p.t.proto.PipeDataReceived(p.fd, b) }
func (p *pipeProto) EOFReceived() bool      { return false }
func (p *pipeProto) PauseWriting()          { p.t.proto.PauseWriting() }
func (p *pipeProto) ResumeWriting()         { p.t.proto.ResumeWriting() }
func (p *pipeProto) ConnectionLost(e error) { p.t.pipeLost(p.fd, e) }

func (t *Transport) pipeLost(fd int, err error) {
	t.open--
	t.proto.PipeConnectionLost(fd, err)
	t.tryFinish()
}

func (t *Transport) processExited() {
	t.exited = true
	t.proto.ProcessExited()
	t.tryFinish()
}

// tryFinish calls ConnectionLost once the child is gone and every pipe
// closed (asyncio's order).
func (t *Transport) tryFinish() {
	if t.lost || !t.exited || t.open > 0 {
		return
	}
	t.lost = true
	t.proto.ConnectionLost(nil)
}

// PID returns the child's process id.
func (t *Transport) PID() int { return t.c.pid }

// ReturnCode returns the child's exit status (minus the signal number if a
// signal killed it) and true once it has exited; 0, false while it runs
// and when its status is unknown (it was reaped elsewhere: Wait returns
// ErrStatusUnknown).
func (t *Transport) ReturnCode() (int, bool) {
	if !t.c.exited || t.c.unknown {
		return 0, false
	}
	return t.c.returnCode(), true
}

// PipeTransport returns the transport of pipe fd (0: stdin, 1: stdout,
// 2: stderr), or nil when that stream is not a Pipe.
func (t *Transport) PipeTransport(fd int) transport.Transport {
	if fd < 0 || fd > 2 {
		return nil
	}
	return t.pipes[fd]
}

// SendSignal sends sig to the child. After the child has been reaped it
// returns ErrProcessDone and sends nothing: a pid the system may have
// reused never receives our signal. On Windows only SIGKILL and SIGTERM
// (both TerminateProcess) are accepted; other signals give an error
// wrapping errors.ErrUnsupported.
func (t *Transport) SendSignal(sig syscall.Signal) error { return t.c.signal(sig) }

// Terminate sends SIGTERM; see SendSignal. On Windows it is Kill.
func (t *Transport) Terminate() error { return t.c.signal(syscall.SIGTERM) }

// Kill sends SIGKILL; see SendSignal. On Windows it calls
// TerminateProcess, and the return code is then 1.
func (t *Transport) Kill() error { return t.c.signal(syscall.SIGKILL) }

// Close closes the pipes and, if the child is still running, kills it (as
// asyncio's SubprocessTransport.close does); the child is reaped by the
// loop as usual.
func (t *Transport) Close() error {
	if t.closed {
		return nil
	}
	t.closed = true
	t.closePipes()
	if !t.c.exited {
		if err := t.c.signal(syscall.SIGKILL); err != nil && !errors.Is(err, ErrProcessDone) {
			return err
		}
	}
	return nil
}

// IsClosing reports whether Close was called.
func (t *Transport) IsClosing() bool { return t.closed }

// Wait waits until the child has exited and returns its ReturnCode. A
// child reaped by something else (SIGCHLD ignored: the kernel reaps
// children itself) has no status to report: Wait returns 0 and an error
// matching ErrStatusUnknown.
//
// Cancellation: a cancelled Wait returns the ctx error and leaves the child
// running (unless it was started with KillOnCancel, then it is killed
// first); nothing is lost, a later Wait still sees the exit.
func (t *Transport) Wait(ctx context.Context) (int, error) {
	for !t.c.exited {
		pk, err := eventloop.ParkerFor(ctx, t.l)
		if err != nil {
			return 0, fmt.Errorf("subprocess: Wait: %w", err)
		}
		if _, err := t.c.waiters.Park(ctx, pk); err != nil {
			if t.killCxl {
				t.c.signal(syscall.SIGKILL)
			}
			return 0, err
		}
	}
	if t.c.unknown {
		return 0, fmt.Errorf("subprocess: Wait: pid %d: %w", t.c.pid, ErrStatusUnknown)
	}
	return t.c.returnCode(), nil
}
