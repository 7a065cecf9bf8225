package locks_test

import (
	"context"
	"testing"

	"github.com/aio-go/aio/eventloop"

	"github.com/aio-go/aio/locks"
	"github.com/aio-go/aio/task"
)

// Ported from test_locks.EventTests.test_wait: Set wakes every waiter, and
// the woken run after the task steps that were already queued (t3, spawned
// before Set, runs first: [3, 1, 2]).
func TestEventSetWakesAllAfterQueuedCallbacks(t *testing.T) {
	run(t, func(ctx context.Context) error {
		var ev locks.Event
		var got log
		waiter := func(n int) func(ctx context.Context) error {
			return func(ctx context.Context) error {
				if err := ev.Wait(ctx); err != nil {
					return err
				}
				got.add("%d", n)
				return nil
			}
		}
		t1 := spawn(ctx, "t1", waiter(1))
		t2 := spawn(ctx, "t2", waiter(2))
		yield(ctx, 1)
		want(t, "before Set", got, nil)
		t3 := spawn(ctx, "t3", waiter(3))
		eventloop.LoopOf(ctx).CallSoon(func() { got.add("callback") })
		ev.Set()
		yield(ctx, 1)
		want(t, "after Set", got, log{"3", "callback", "1", "2"})
		for _, tk := range []*eventloop.Task[struct{}]{t1, t2, t3} {
			if !tk.Done() || tk.Err() != nil {
				t.Errorf("%v not done cleanly", tk)
			}
		}
		return nil
	})
}

func TestEventWaitOnSet(t *testing.T) {
	run(t, func(ctx context.Context) error {
		var ev locks.Event
		ev.Set()
		want(t, "IsSet", ev.IsSet(), true)
		return ev.Wait(ctx)
	})
}

// Ported from test_wait_cancel.
func TestEventWaitCancel(t *testing.T) {
	run(t, func(ctx context.Context) error {
		var ev locks.Event
		w := spawn(ctx, "waiter", ev.Wait)
		eventloop.LoopOf(ctx).CallSoon(func() { w.Cancel() })
		if err := task.Gather(ctx, w); !isCancelled(err) {
			t.Errorf("Wait: %v, want ErrCancelled", err)
		}
		want(t, "waiters", locks.EventWaiters(&ev), 0)
		return nil
	})
}

// Ported from test_clear and test_clear_with_waiters: a waiter woken by
// Set returns nil even if the flag is cleared before it runs; setting a
// set Event does nothing.
func TestEventClear(t *testing.T) {
	run(t, func(ctx context.Context) error {
		var ev locks.Event
		want(t, "zero", ev.IsSet(), false)
		ev.Set()
		ev.Clear()
		want(t, "after Clear", ev.IsSet(), false)

		var got log
		w := spawn(ctx, "waiter", func(ctx context.Context) error {
			if err := ev.Wait(ctx); err != nil {
				return err
			}
			got.add("woke")
			return nil
		})
		yield(ctx, 1)
		ev.Set()
		ev.Clear()
		want(t, "cleared", ev.IsSet(), false)
		ev.Set()
		ev.Set()
		want(t, "waiters after the first Set", locks.EventWaiters(&ev), 0)
		yield(ctx, 1)
		want(t, "woken once", got, log{"woke"})
		want(t, "done", w.Done(), true)
		return w.Err()
	})
}

// A waiter cancelled before Set returns the cancellation; one woken by Set
// and cancelled before it runs returns nil (the Set came first).
func TestEventCancelledWaiters(t *testing.T) {
	run(t, func(ctx context.Context) error {
		var ev locks.Event
		early := spawn(ctx, "early", ev.Wait)
		late := spawn(ctx, "late", ev.Wait)
		yield(ctx, 1)
		early.Cancel()
		ev.Set()
		late.Cancel()
		task.GatherAll(ctx, early, late)
		if err := early.Err(); !isCancelled(err) {
			t.Errorf("cancelled before Set: %v, want ErrCancelled", err)
		}
		if err := late.Err(); err != nil {
			t.Errorf("woken, then cancelled: %v, want nil", err)
		}
		return nil
	})
}

func TestEventString(t *testing.T) {
	run(t, func(ctx context.Context) error {
		var ev locks.Event
		want(t, "unset", ev.String(), "locks.Event[unset]")
		w := spawn(ctx, "w", ev.Wait)
		yield(ctx, 1)
		want(t, "waiting", ev.String(), "locks.Event[unset, waiters:1]")
		ev.Set()
		want(t, "set", ev.String(), "locks.Event[set]")
		return task.Gather(ctx, w)
	})
}
