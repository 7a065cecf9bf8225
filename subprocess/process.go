package subprocess

import (
	"context"
	"errors"
	"fmt"
	"syscall"

	"github.com/aio-go/aio/eventloop"
	"github.com/aio-go/aio/streams"
	"github.com/aio-go/aio/transport"
)

// Process is a running (or finished) child with its pipes as streams
// (asyncio.subprocess.Process). Stdin is nil unless the child was started
// with WithStdin(Pipe); Stdout and Stderr likewise. A Process belongs to
// the loop of the task that started it: use it from that loop's tasks.
type Process struct {
	// Stdin writes to the child's standard input; Close it (or WriteEOF)
	// to give the child EOF.
	Stdin *streams.StreamWriter
	// Stdout and Stderr read what the child writes.
	Stdout, Stderr *streams.StreamReader

	t     *Transport
	proto *processProtocol
}

// processProtocol is the subprocess protocol under a Process: each pipe
// gets a stream protocol of its own, fed from the pipe callbacks (asyncio's
// SubprocessStreamProtocol).
type processProtocol struct {
	SubprocessProtocolBase
	ctx     context.Context
	limit   int
	streams [3]*streams.Protocol
}

func (p *processProtocol) ConnectionMade(t *Transport) {
	var opts []streams.Option
	if p.limit > 0 {
		opts = append(opts, streams.WithLimit(p.limit))
	}
	for fd := range 3 {
		if pt := t.PipeTransport(fd); pt != nil {
			sp := streams.NewProtocol(p.ctx, opts...)
			sp.ConnectionMade(pt)
			p.streams[fd] = sp
		}
	}
}

func (p *processProtocol) PipeDataReceived(fd int, data []byte) {
	if sp := p.streams[fd]; sp != nil {
		sp.DataReceived(data)
	}
}

func (p *processProtocol) PipeConnectionLost(fd int, err error) {
	if sp := p.streams[fd]; sp != nil {
		sp.ConnectionLost(err)
	}
}

// Pause and resume apply to stdin, the only pipe the parent writes.
func (p *processProtocol) PauseWriting() {
	if sp := p.streams[0]; sp != nil {
		sp.PauseWriting()
	}
}

func (p *processProtocol) ResumeWriting() {
	if sp := p.streams[0]; sp != nil {
		sp.ResumeWriting()
	}
}

// Exec starts the program name with args, without a shell (asyncio's
// create_subprocess_exec). A name without a slash is looked up in PATH.
// The child inherits stdin, stdout and stderr unless options say
// otherwise; WithStdout(Pipe) and friends give Process streams. Errors
// name the program or directory at fault (*Error): a program that does not
// exist (exec.ErrNotFound, ENOENT), is not executable (EACCES), a working
// directory that does not exist.
//
// It must be called from a task of the loop that will own the child; ctx
// is used for the start only: cancelling it later does not touch the
// child. The fork and exec run off the loop goroutine while the task
// waits, so other tasks (and other starts) go on meanwhile. On Windows
// the start (CreateProcess through os/exec) runs on the loop goroutine.
//
// Cancellation: on a ctx already cancelled Exec starts nothing. Cancelled
// while the start is under way, Exec waits for that start to finish (it
// takes about as long as the kernel's fork and exec), then kills the child,
// closes its pipes and returns the ctx error; the loop reaps the child.
// A loop that closes meanwhile kills and reaps it before Close returns.
func Exec(ctx context.Context, name string, args []string, opts ...Option) (*Process, error) {
	cf := config{}
	for _, o := range opts {
		o(&cf)
	}
	pp := &processProtocol{ctx: ctx, limit: cf.limit}
	t, _, err := ExecTransport(ctx, func() *processProtocol { return pp }, name, args, opts...)
	if err != nil {
		return nil, err
	}
	p := &Process{t: t, proto: pp}
	if sp := pp.streams[0]; sp != nil {
		p.Stdin = sp.Writer()
	}
	if sp := pp.streams[1]; sp != nil {
		p.Stdout = sp.Reader()
	}
	if sp := pp.streams[2]; sp != nil {
		p.Stderr = sp.Reader()
	}
	return p, nil
}

// PID returns the child's process id.
func (p *Process) PID() int { return p.t.PID() }

// ReturnCode returns the exit status (minus the signal number when a signal
// ended the child) and true once the child has exited; 0, false before,
// and when the status is unknown (see Wait).
func (p *Process) ReturnCode() (int, bool) { return p.t.ReturnCode() }

// Wait waits for the child to exit and returns its ReturnCode. It does not
// read the pipes: a child that fills a pipe nobody reads blocks, and Wait
// with it; use Communicate, or read the streams, when there is output. A
// child reaped elsewhere (SIGCHLD ignored) gives ErrStatusUnknown.
//
// Cancellation: Wait returns the ctx error and the child runs on (unless
// started with KillOnCancel); a later Wait still sees the exit.
func (p *Process) Wait(ctx context.Context) (int, error) { return p.t.Wait(ctx) }

// SendSignal sends sig to the child; after it was reaped, ErrProcessDone.
// A pid that the system may have reused never gets the signal. On Windows
// only SIGKILL and SIGTERM (both TerminateProcess) are accepted; other
// signals give an error wrapping errors.ErrUnsupported.
func (p *Process) SendSignal(sig syscall.Signal) error { return p.t.SendSignal(sig) }

// Terminate sends SIGTERM (see SendSignal); on Windows it is Kill.
func (p *Process) Terminate() error { return p.t.Terminate() }

// Kill sends SIGKILL (see SendSignal); on Windows it calls
// TerminateProcess and the return code is then 1.
func (p *Process) Kill() error { return p.t.Kill() }

// Transport returns the low-level transport under the Process.
func (p *Process) Transport() *Transport { return p.t }

// Communicate writes input to the child's stdin and closes it, reads
// stdout and stderr to EOF, all at once so that no pipe fills up and
// deadlocks whatever the sizes, then waits for the child to exit. It
// returns what the child wrote to each Pipe (nil for a stream that is not a
// Pipe). input must be nil unless stdin is a Pipe (ErrNotPiped). A nil
// input leaves stdin alone, as asyncio does (another task may be writing
// it); a non-nil one, even empty, is written and then stdin is closed.
//
// A child that exits or closes its stdin without reading all of input is
// not an error here (asyncio ignores BrokenPipeError in communicate too):
// the exit status tells what happened. Write to Stdin and Drain yourself to
// see that error.
//
// Cancellation: Communicate returns the ctx error and the child runs on
// (unless started with KillOnCancel). No output is lost: what was read so
// far stays in Stdout and Stderr, and a later Communicate (with nil input)
// returns it together with the rest. Input may have been written in part.
func (p *Process) Communicate(ctx context.Context, input []byte) (stdout, stderr []byte, err error) {
	if input != nil && p.Stdin == nil {
		return nil, nil, fmt.Errorf("subprocess: Communicate: input for stdin: %w", ErrNotPiped)
	}
	var feeder *eventloop.Task[struct{}]
	if input != nil {
		feeder = eventloop.Spawn(ctx, func(ctx context.Context) (struct{}, error) {
			return struct{}{}, p.feed(ctx, input)
		}, eventloop.WithName(fmt.Sprintf("subprocess %d stdin", p.PID())))
	}
	var errTask *eventloop.Task[[]byte]
	if p.Stderr != nil {
		errTask = eventloop.Spawn(ctx, func(ctx context.Context) ([]byte, error) {
			return readAll(ctx, p.Stderr)
		}, eventloop.WithName(fmt.Sprintf("subprocess %d stderr", p.PID())))
	}
	var outErr error
	if p.Stdout != nil {
		stdout, outErr = readAll(ctx, p.Stdout)
	}
	if errTask != nil {
		var e error
		stderr, e = eventloop.Await(ctx, errTask)
		outErr = errors.Join(outErr, e)
	}
	if feeder != nil {
		_, e := eventloop.Await(ctx, feeder)
		outErr = errors.Join(outErr, e)
	}
	if err := eventloop.AwaitError(ctx); err != nil {
		if p.t.killCxl {
			p.t.c.signal(syscall.SIGKILL)
		}
		return nil, nil, err
	}
	if outErr != nil {
		return stdout, stderr, outErr
	}
	if _, err := p.Wait(ctx); err != nil {
		return stdout, stderr, err
	}
	return stdout, stderr, nil
}

// feed writes input to stdin, drains and closes it; a child that stopped
// reading is not an error (see Communicate).
func (p *Process) feed(ctx context.Context, input []byte) error {
	w := p.Stdin
	if len(input) > 0 {
		if err := w.Write(input); err == nil {
			if err := w.Drain(ctx); err != nil && !brokenPipe(err) {
				return err
			}
		} else if !brokenPipe(err) {
			return err
		}
	}
	w.Close()
	return nil
}

func brokenPipe(err error) bool {
	return errors.Is(err, syscall.EPIPE) || errors.Is(err, syscall.ECONNRESET) || brokenPipeOS(err) ||
		errors.Is(err, transport.ErrTransportClosed) || errors.Is(err, streams.ErrConnectionLost)
}

// readAll reads r to EOF. On cancellation the bytes stay in r (Read with
// n < 0 leaves them buffered), so a later call gets them.
func readAll(ctx context.Context, r *streams.StreamReader) ([]byte, error) {
	return r.Read(ctx, -1)
}
