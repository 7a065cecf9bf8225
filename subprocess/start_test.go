//go:build unix

package subprocess

import (
	"context"
	"errors"
	"os"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/aio-go/aio/eventloop"
)

// setStartHooks installs the start test hooks for the duration of the test.
func setStartHooks(t *testing.T, before func(), started func(pid int), closing func()) {
	testHookBeforeStart, testHookStarted, testHookClosing = before, started, closing
	t.Cleanup(func() { testHookBeforeStart, testHookStarted, testHookClosing = nil, nil, nil })
}

// openFDs counts this process's open descriptors (Linux: /proc/self/fd);
// -1 where that cannot be read.
func openFDs() int {
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return -1
	}
	return len(ents)
}

// Several starts of one loop run at once: each start waits in the worker
// until both are there, which can only happen if they overlap.
func TestStartsOverlap(t *testing.T) {
	both := make(chan struct{})
	var calls atomic.Int32
	var serialised atomic.Bool
	setStartHooks(t, func() {
		if calls.Add(1) == 2 {
			close(both)
		}
		// Were starts run one after the other, the second would never
		// come: give up after a while, to fail rather than hang.
		select {
		case <-both:
		case <-time.After(10 * time.Second):
			serialised.Store(true)
		}
	}, nil, nil)
	err := run(t, func(ctx context.Context) error {
		name, args, env := helper("exit", "0")
		first := eventloop.Spawn(ctx, func(ctx context.Context) (int, error) {
			tr, _, err := ExecTransport(ctx, newExit, name, args, env, WithStdin(DevNull))
			if err != nil {
				return 0, err
			}
			return tr.Wait(ctx)
		})
		eventloop.Sleep(ctx, 0) // first is parked in its start, held by the hook
		tr, _, err := ExecTransport(ctx, newExit, name, args, env, WithStdin(DevNull))
		if err != nil {
			return err
		}
		if rc, err := tr.Wait(ctx); err != nil || rc != 0 {
			t.Errorf("second child: Wait = %d, %v", rc, err)
		}
		if rc, err := eventloop.Await(ctx, first); err != nil || rc != 0 {
			t.Errorf("first child: Wait = %d, %v", rc, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n := calls.Load(); n != 2 {
		t.Errorf("%d starts went through the worker, want 2", n)
	}
	if serialised.Load() {
		t.Errorf("the two starts never ran at the same time")
	}
}

// A task cancelled while its child is being started gets ErrCancelled; the
// child, which did start, is killed and reaped by the loop, and none of
// its pipes stay open.
func TestCancelledStartKillsAndReapsChild(t *testing.T) {
	bothWatchers(t, func(t *testing.T) {
		release := make(chan struct{})
		var pid atomic.Int64
		setStartHooks(t, func() { <-release }, func(p int) { pid.Store(int64(p)) }, nil)
		fds := openFDs()
		err := run(t, func(ctx context.Context) error {
			name, args, env := helper("hang")
			starter := eventloop.Spawn(ctx, func(ctx context.Context) (*Process, error) {
				return Exec(ctx, name, args, env, WithStdin(Pipe), WithStdout(Pipe), WithStderr(Pipe))
			})
			eventloop.Sleep(ctx, 0) // starter is parked in Exec, its start held by the hook
			starter.Cancel()
			close(release)
			p, err := eventloop.Await(ctx, starter)
			if !errors.Is(err, eventloop.ErrCancelled) || !errors.Is(err, context.Canceled) || p != nil {
				t.Errorf("cancelled Exec = %v, %v; want nil, ErrCancelled", p, err)
			}
			child := int(pid.Load())
			if child == 0 {
				t.Error("the child was not started")
				return nil
			}
			for i := 0; i < 2000; i++ {
				if syscall.Kill(child, 0) == syscall.ESRCH {
					return nil // killed and reaped by the loop
				}
				if err := eventloop.Sleep(ctx, 1e6); err != nil {
					return err
				}
			}
			t.Errorf("child %d of a cancelled start still exists", child)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if now := openFDs(); now != fds {
			t.Errorf("%d descriptors open after the run, %d before", now, fds)
		}
	})
}

// An already cancelled ctx starts nothing.
func TestExecOnCancelledContextStartsNothing(t *testing.T) {
	var calls atomic.Int32
	setStartHooks(t, func() { calls.Add(1) }, nil, nil)
	err := run(t, func(ctx context.Context) error {
		cctx, cancel := eventloop.WithCancel(ctx)
		cancel()
		name, args, env := helper("exit", "0")
		p, err := Exec(cctx, name, args, env)
		if !errors.Is(err, eventloop.ErrCancelled) || p != nil {
			t.Errorf("Exec on a cancelled ctx = %v, %v; want nil, ErrCancelled", p, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n := calls.Load(); n != 0 {
		t.Errorf("%d starts on a cancelled ctx, want 0", n)
	}
}

// A loop closed while a start is in flight lists the task, and the child
// that started meanwhile is killed and reaped by the time Close returns,
// its pipes closed.
func TestLoopCloseDuringStart(t *testing.T) {
	bothWatchers(t, func(t *testing.T) {
		release := make(chan struct{})
		var pid atomic.Int64
		var closing atomic.Bool
		setStartHooks(t, func() { <-release }, func(p int) { pid.Store(int64(p)) }, func() {
			closing.Store(true)
			close(release) // let the start finish only now that the loop closes
		})
		fds := openFDs()
		l, err := eventloop.New(eventloop.WithExceptionHandler(func(*eventloop.Loop, eventloop.ExceptionContext) {}))
		if err != nil {
			t.Fatal(err)
		}
		var execErr error
		eventloop.Spawn(l.Context(), func(ctx context.Context) (struct{}, error) {
			name, args, env := helper("hang")
			_, execErr = Exec(ctx, name, args, env, WithStdin(Pipe), WithStdout(Pipe))
			return struct{}{}, execErr
		}, eventloop.WithName("starter"))
		step := eventloop.Spawn(l.Context(), func(ctx context.Context) (struct{}, error) {
			return struct{}{}, eventloop.Sleep(ctx, 0) // the starter runs and parks
		})
		if err := l.RunUntilComplete(step); err != nil {
			t.Fatal(err)
		}
		err = l.Close()
		var alive *eventloop.AliveError
		if !errors.As(err, &alive) || len(alive.Tasks) != 1 || !strings.Contains(alive.Tasks[0], "starter") {
			t.Errorf("Close = %v, want the starter task listed", err)
		}
		if !closing.Load() {
			t.Fatal("the start was not in flight when the loop closed")
		}
		if !errors.Is(execErr, eventloop.ErrClosed) {
			t.Errorf("Exec under a closing loop = %v, want ErrClosed", execErr)
		}
		child := int(pid.Load())
		if child == 0 {
			t.Fatal("the child was not started")
		}
		if err := syscall.Kill(child, 0); err != syscall.ESRCH {
			t.Errorf("child %d still exists after Close (kill 0: %v)", child, err)
		}
		if now := openFDs(); now != fds {
			t.Errorf("%d descriptors open after Close, %d before", now, fds)
		}
	})
}

// Outside a task (a callback on the loop goroutine, with the loop's own
// context) the child is started inline.
func TestExecTransportFromCallback(t *testing.T) {
	var calls atomic.Int32
	setStartHooks(t, func() { calls.Add(1) }, nil, nil)
	err := run(t, func(ctx context.Context) error {
		l := eventloop.LoopOf(ctx)
		var tr *Transport
		var startErr error
		l.CallSoon(func() {
			name, args, env := helper("exit", "7")
			tr, _, startErr = ExecTransport(l.Context(), newExit, name, args, env, WithStdin(DevNull))
		})
		if err := eventloop.Sleep(ctx, 0); err != nil {
			return err
		}
		if startErr != nil || tr == nil {
			t.Errorf("ExecTransport from a callback = %v, %v", tr, startErr)
			return nil
		}
		if rc, err := tr.Wait(ctx); err != nil || rc != 7 {
			t.Errorf("Wait = %d, %v; want 7", rc, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n := calls.Load(); n != 0 {
		t.Errorf("%d starts went to a worker from a callback, want 0 (inline)", n)
	}
}
