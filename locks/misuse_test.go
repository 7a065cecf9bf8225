package locks_test

import (
	"context"
	"errors"
	"testing"

	"github.com/aio-go/aio/eventloop"
	"github.com/aio-go/aio/internal/testkit"
	"github.com/aio-go/aio/locks"
	"github.com/aio-go/aio/timer"
)

// primitive is one await of the package, with a way to bind it to a loop
// by a successful await.
type primitive struct {
	name  string
	bind  func(ctx context.Context) error // a successful await (and undo)
	await func(ctx context.Context) error
}

func primitives(t *testing.T) []primitive {
	var m locks.Lock
	sem, _ := locks.NewSemaphore(1)
	bsem, _ := locks.NewBoundedSemaphore(1)
	var ev locks.Event
	ev.Set()
	var cond, cond2 locks.Condition
	br, _ := locks.NewBarrier(1)
	return []primitive{
		{"Lock.Acquire", func(ctx context.Context) error {
			if err := m.Acquire(ctx); err != nil {
				return err
			}
			return m.Release()
		}, m.Acquire},
		{"Semaphore.Acquire", func(ctx context.Context) error {
			if err := sem.Acquire(ctx); err != nil {
				return err
			}
			sem.Release()
			return nil
		}, sem.Acquire},
		{"BoundedSemaphore.Acquire", func(ctx context.Context) error {
			if err := bsem.Acquire(ctx); err != nil {
				return err
			}
			return bsem.Release()
		}, bsem.Acquire},
		{"Event.Wait", ev.Wait, ev.Wait},
		{"Condition.WaitFor", func(ctx context.Context) error {
			return cond.WaitFor(ctx, func() bool { return true })
		}, func(ctx context.Context) error {
			return cond.WaitFor(ctx, func() bool { return false })
		}},
		{"Condition.Wait", func(ctx context.Context) error {
			return cond2.WaitFor(ctx, func() bool { return true })
		}, cond2.Wait},
		{"Barrier.Wait", func(ctx context.Context) error {
			_, err := br.Wait(ctx)
			return err
		}, func(ctx context.Context) error {
			_, err := br.Wait(ctx)
			return err
		}},
	}
}

func newLoop(t *testing.T) *eventloop.Loop {
	t.Helper()
	l, err := eventloop.New(eventloop.WithClock(timer.NewVirtual()), eventloop.WithExceptionHandler(testkit.StrictHandler(t)))
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// runOn runs fn as a task of l until it returns.
func runOn(t *testing.T, l *eventloop.Loop, fn func(ctx context.Context) error) error {
	t.Helper()
	tk := eventloop.Spawn(l.Context(), func(ctx context.Context) (struct{}, error) { return struct{}{}, fn(ctx) })
	if err := l.RunUntilComplete(tk); err != nil && !tk.Done() {
		t.Fatalf("RunUntilComplete: %v", err)
	}
	return tk.Err()
}

// Every await reports misuse with an error that says what is wrong; none
// panics or hangs.
func TestMisuse(t *testing.T) {
	for _, p := range primitives(t) {
		t.Run(p.name, func(t *testing.T) {
			if err := p.await(nil); !errors.Is(err, eventloop.ErrNotInTask) { //nolint:staticcheck
				t.Errorf("nil ctx: %v, want ErrNotInTask", err)
			}
			if err := p.await(context.Background()); !errors.Is(err, eventloop.ErrNotInTask) {
				t.Errorf("Background ctx: %v, want ErrNotInTask", err)
			}

			a := newLoop(t)
			// The loop's root context belongs to no task.
			var fromCallback error
			a.CallSoon(func() { fromCallback = p.await(a.Context()); a.Stop() })
			a.RunForever()
			if !errors.Is(fromCallback, eventloop.ErrNotInTask) {
				t.Errorf("from a callback: %v, want ErrNotInTask", fromCallback)
			}

			// A task's ctx used from another goroutine while another task
			// runs: the await must refuse, not touch the loop's state.
			var fromGoroutine error
			err := runOn(t, a, func(ctx context.Context) error {
				if err := p.bind(ctx); err != nil {
					return err
				}
				other := eventloop.Spawn(ctx, func(octx context.Context) (int, error) {
					done := make(chan error)
					go func() { done <- p.await(ctx) }()
					fromGoroutine = <-done
					return 0, nil
				})
				return eventloop.WaitDone(ctx, other)
			})
			if err != nil {
				t.Fatalf("binding on loop A: %v", err)
			}
			if !errors.Is(fromGoroutine, eventloop.ErrNotInTask) {
				t.Errorf("from another goroutine: %v, want ErrNotInTask", fromGoroutine)
			}

			// Bound to A, awaited from a task of B.
			b := newLoop(t)
			if err := runOn(t, b, p.await); !errors.Is(err, eventloop.ErrWrongLoop) {
				t.Errorf("from another loop: %v, want ErrWrongLoop", err)
			}

			// A closed, awaited from B again: the clearer reason wins.
			if err := a.Close(); err != nil {
				t.Fatalf("Close A: %v", err)
			}
			if err := runOn(t, b, p.await); !errors.Is(err, eventloop.ErrClosed) {
				t.Errorf("after its loop closed: %v, want ErrClosed", err)
			}
			if err := b.Close(); err != nil {
				t.Fatalf("Close B: %v", err)
			}
		})
	}
}

// Misuse of the non-awaiting methods.
func TestMisuseWithoutAwait(t *testing.T) {
	var m locks.Lock
	if err := m.Release(); !errors.Is(err, locks.ErrNotLocked) {
		t.Errorf("Lock.Release unlocked: %v", err)
	}
	var c locks.Condition
	if err := c.Notify(1); !errors.Is(err, locks.ErrNotLocked) {
		t.Errorf("Notify without the lock: %v", err)
	}
	if err := c.NotifyAll(); !errors.Is(err, locks.ErrNotLocked) {
		t.Errorf("NotifyAll without the lock: %v", err)
	}
	if err := c.Release(); !errors.Is(err, locks.ErrNotLocked) {
		t.Errorf("Condition.Release unlocked: %v", err)
	}
	bs, _ := locks.NewBoundedSemaphore(2)
	if err := bs.Release(); !errors.Is(err, locks.ErrReleasedTooMany) {
		t.Errorf("BoundedSemaphore.Release at its bound: %v", err)
	}
	if _, err := locks.NewSemaphore(-1); err == nil {
		t.Errorf("NewSemaphore(-1) succeeded")
	}
	if _, err := locks.NewBoundedSemaphore(-1); err == nil {
		t.Errorf("NewBoundedSemaphore(-1) succeeded")
	}
	for _, n := range []int{0, -4} {
		if _, err := locks.NewBarrier(n); err == nil {
			t.Errorf("NewBarrier(%d) succeeded", n)
		}
	}
	run(t, func(ctx context.Context) error {
		var c locks.Condition
		if err := c.Wait(ctx); !errors.Is(err, locks.ErrNotLocked) {
			t.Errorf("Wait without the lock: %v", err)
		}
		// WaitFor needs the lock only when it has to wait.
		if err := c.WaitFor(ctx, func() bool { return true }); err != nil {
			t.Errorf("WaitFor with a true predicate: %v", err)
		}
		if err := c.WaitFor(ctx, func() bool { return false }); !errors.Is(err, locks.ErrNotLocked) {
			t.Errorf("WaitFor without the lock: %v", err)
		}
		var br locks.Barrier
		if _, err := br.Wait(ctx); err == nil {
			t.Errorf("zero Barrier Wait succeeded")
		}
		var zs locks.BoundedSemaphore
		if err := zs.Release(); !errors.Is(err, locks.ErrReleasedTooMany) {
			t.Errorf("zero BoundedSemaphore Release: %v", err)
		}
		return nil
	})
}

// A Condition whose lock is bound to another loop refuses to wait.
func TestConditionLockOfAnotherLoop(t *testing.T) {
	var m locks.Lock
	a, b := newLoop(t), newLoop(t)
	defer a.Close()
	defer b.Close()
	if err := runOn(t, a, func(ctx context.Context) error { return m.With(ctx, func(context.Context) error { return nil }) }); err != nil {
		t.Fatal(err)
	}
	c := locks.NewCondition(&m)
	err := runOn(t, b, c.Wait)
	if !errors.Is(err, eventloop.ErrWrongLoop) {
		t.Errorf("Wait on a condition whose lock is bound elsewhere: %v, want ErrWrongLoop", err)
	}
	want(t, "lock untouched", m.Locked(), false)
}
