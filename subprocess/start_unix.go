//go:build unix

package subprocess

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"syscall"

	"github.com/aio-go/aio/eventloop"
	"golang.org/x/sys/unix"
)

// Starting a child off the loop goroutine.
//
// syscall.StartProcess blocks its caller for the whole fork and exec: on
// Linux the parent thread sleeps in vfork until the child has called
// execve, then reads the child's exec status pipe. Run on the loop
// goroutine, every Exec of a loop queued behind the one before (W6, ten
// spawns at a time, ran them one by one). So the start runs on a goroutine
// of its own (one per start; the Go runtime keeps idle threads, and a fork
// is a few hundred microseconds, far above a goroutine's cost), the calling
// task parks, and the result comes back through CallSoonThreadsafe; the
// pidfd and the pipes are then registered on the loop as before.
//
// Who owns the result is the delicate part. The task on the loop normally
// takes it when it resumes. A task cancelled meanwhile still waits for the
// start to finish (it is short, and the goroutine may be using descriptors
// the caller owns, File streams, which the caller may close the moment
// Exec returns), then kills the child and leaves its reaping to the loop.
// A loop that closes under the start makes the task wait for the start
// synchronously and kill and reap the child on the spot. Only if the loop
// closed without unwinding the task (it cannot, today) does the goroutine
// itself clean up, decided by one atomic flag so that exactly one side
// does.

// startJob is one child being started off the loop goroutine.
type startJob struct {
	// Written by the worker before done is closed and arrive is posted;
	// read on the loop goroutine only after one of those.
	st  started
	err error

	done  chan struct{} // closed once st and err are set
	taken atomic.Bool   // set by whichever side owns st: the loop or the worker

	// Loop goroutine only.
	arrived bool
	waiting bool // the task is parked in startChild
	pk      eventloop.Parker
}

// Test hooks, nil outside tests; set them before the loop runs.
var (
	testHookBeforeStart func()        // the worker, before it starts the child
	testHookStarted     func(pid int) // the worker, after a start that succeeded
	testHookClosing     func()        // the task, when the loop closes under a start
)

// startChild resolves name and starts it with argv off the loop
// goroutine, parking the calling task meanwhile. Outside a task (a
// callback on the loop goroutine) it starts the child inline.
func startChild(ctx context.Context, l *eventloop.Loop, name string, argv []string, cf *config) (started, error) {
	if err := eventloop.AwaitError(ctx); err != nil {
		return started{}, err
	}
	pk, err := eventloop.ParkerFor(ctx, l)
	if err != nil {
		return startInline(name, argv, cf)
	}
	j := &startJob{pk: pk, done: make(chan struct{})}
	go j.run(l, name, argv, cf)

	var cancelled error // the cancellation that came while the start ran
	pctx := ctx
	for !j.arrived {
		j.waiting = true
		err := pk.Park(pctx)
		j.waiting = false
		switch {
		case err == nil:
		case cancelled == nil && !errors.Is(err, eventloop.ErrClosed):
			// Wait on for the result (briefly), without the cancellation.
			cancelled, pctx = err, context.WithoutCancel(ctx)
		default: // the loop is closing: take the result here and drop it
			if testHookClosing != nil {
				testHookClosing()
			}
			<-j.done
			if j.taken.CompareAndSwap(false, true) && j.err == nil {
				discardNow(j.st)
			}
			if cancelled != nil {
				return started{}, cancelled
			}
			return started{}, fmt.Errorf("subprocess: Exec: %w", err)
		}
	}
	if !j.taken.CompareAndSwap(false, true) {
		// Cannot happen while the loop runs (the worker only takes the
		// result once posting to the loop failed); be safe anyway.
		return started{}, fmt.Errorf("subprocess: Exec: %w", eventloop.ErrClosed)
	}
	if j.err != nil {
		return started{}, j.err
	}
	if cancelled != nil {
		discard(l, j.st, name)
		return started{}, cancelled
	}
	return j.st, nil
}

// run is the worker: start the child, then hand the result to the loop.
func (j *startJob) run(l *eventloop.Loop, name string, argv []string, cf *config) {
	if testHookBeforeStart != nil {
		testHookBeforeStart()
	}
	j.st, j.err = startInline(name, argv, cf)
	if testHookStarted != nil && j.err == nil {
		testHookStarted(j.st.pid)
	}
	close(j.done)
	if l.CallSoonThreadsafe(j.arrive) != nil && j.taken.CompareAndSwap(false, true) && j.err == nil {
		discardNow(j.st) // the loop is gone and nobody took the child
	}
}

// arrive runs on the loop when the worker is done.
func (j *startJob) arrive() {
	j.arrived = true
	if j.waiting {
		j.pk.Unpark()
	}
}

// startInline resolves name and starts the child on the calling goroutine.
func startInline(name string, argv []string, cf *config) (started, error) {
	path, err := resolve(name)
	if err != nil {
		return started{pidfd: -1, pipes: [3]int{-1, -1, -1}}, err
	}
	return spawn(path, argv, cf)
}

// discard gets rid of a child whose start was cancelled: its pipes are
// closed and it is killed; the loop reaps it as any other child (Close
// kills and reaps it if it has not exited by then).
func discard(l *eventloop.Loop, st started, name string) {
	closePipeFDs(st.pipes)
	c := &child{l: l, pid: st.pid, pidfd: st.pidfd, name: name, killOnClose: true}
	if err := c.watch(); err != nil {
		discardNow(started{pid: st.pid, pidfd: c.pidfd, pipes: [3]int{-1, -1, -1}})
		return
	}
	c.signal(syscall.SIGKILL)
}

// discardNow closes the pipes, kills the child and reaps it, blocking the
// caller until the kernel has torn the child down (short after SIGKILL).
// For the paths where no loop will reap it.
func discardNow(st started) {
	closePipeFDs(st.pipes)
	if st.pidfd >= 0 {
		pidfdSignal(st.pidfd, syscall.SIGKILL)
	} else {
		syscall.Kill(st.pid, syscall.SIGKILL)
	}
	var ws syscall.WaitStatus
	for {
		if _, err := syscall.Wait4(st.pid, &ws, 0, nil); err != syscall.EINTR {
			break
		}
	}
	if st.pidfd >= 0 {
		unix.Close(st.pidfd)
	}
}

func closePipeFDs(fds [3]int) {
	for _, fd := range fds {
		if fd >= 0 {
			unix.Close(fd)
		}
	}
}
