package locks_test

import (
	"context"
	"errors"
	"testing"

	"github.com/aio-go/aio/eventloop"
	"github.com/aio-go/aio/locks"
	"github.com/aio-go/aio/task"
)

// Ported from CPython's test_locks.LockTests.test_acquire: waiters get the
// lock in FIFO order, one per Release.
func TestLockAcquireFIFO(t *testing.T) {
	run(t, func(ctx context.Context) error {
		var m locks.Lock
		var got log
		if err := m.Acquire(ctx); err != nil {
			return err
		}
		locker := func(n int) func(ctx context.Context) error {
			return func(ctx context.Context) error {
				if err := m.Acquire(ctx); err != nil {
					return err
				}
				got.add("%d", n)
				return nil
			}
		}
		t1 := spawn(ctx, "t1", locker(1))
		t2 := spawn(ctx, "t2", locker(2))
		yield(ctx, 1)
		want(t, "before release", got, nil)

		m.Release()
		yield(ctx, 1)
		want(t, "after 1st release", got, log{"1"})
		yield(ctx, 1)
		want(t, "one more iteration", got, log{"1"})

		t3 := spawn(ctx, "t3", locker(3))
		m.Release()
		yield(ctx, 1)
		want(t, "after 2nd release", got, log{"1", "2"})

		m.Release()
		yield(ctx, 1)
		want(t, "after 3rd release", got, log{"1", "2", "3"})
		for _, tk := range []*eventloop.Task[struct{}]{t1, t2, t3} {
			if !tk.Done() || tk.Err() != nil {
				t.Errorf("%v: done %v, err %v", tk, tk.Done(), tk.Err())
			}
		}
		return nil
	})
}

// A Release hands the lock to the first waiter: a task that asks for it
// after the Release, but runs before the woken waiter, queues behind it.
func TestLockNoBarging(t *testing.T) {
	run(t, func(ctx context.Context) error {
		var m locks.Lock
		var got log
		m.Acquire(ctx)
		worker := func(name string) func(ctx context.Context) error {
			return func(ctx context.Context) error {
				return m.With(ctx, func(ctx context.Context) error {
					got.add("%s", name)
					return yield(ctx, 1)
				})
			}
		}
		waiter := spawn(ctx, "waiter", worker("waiter"))
		yield(ctx, 1) // waiter is now waiting
		barger := spawn(ctx, "barger", worker("barger"))
		m.Release() // queued after barger's first step
		if !m.Locked() {
			t.Errorf("Locked() = false right after Release with a waiter")
		}
		task.Gather(ctx, waiter, barger)
		want(t, "order", got, log{"waiter", "barger"})
		want(t, "locked at the end", m.Locked(), false)
		return nil
	})
}

// Ported from test_acquire_cancel: a waiter cancelled while it waits
// returns ErrCancelled and leaves the waiter list.
func TestLockAcquireCancel(t *testing.T) {
	run(t, func(ctx context.Context) error {
		var m locks.Lock
		m.Acquire(ctx)
		tk := spawn(ctx, "acquirer", m.Acquire)
		eventloop.LoopOf(ctx).CallSoon(func() { tk.Cancel() })
		err := task.Gather(ctx, tk)
		if !isCancelled(err) {
			t.Errorf("Acquire after cancel: %v, want ErrCancelled", err)
		}
		want(t, "waiters", locks.LockWaiters(&m), 0)
		want(t, "still locked by main", m.Locked(), true)
		return nil
	})
}

// Ported from test_cancel_race: A holds the lock, B and C wait; B is
// cancelled in the same iteration as A releases. The lock goes to C.
func TestLockCancelRace(t *testing.T) {
	run(t, func(ctx context.Context) error {
		var m locks.Lock
		l := eventloop.LoopOf(ctx)
		lockit := func(blocker *eventloop.Future[struct{}]) func(ctx context.Context) error {
			return func(ctx context.Context) error {
				if err := m.Acquire(ctx); err != nil {
					return err
				}
				defer m.Release()
				if blocker != nil {
					_, err := eventloop.Await[struct{}](ctx, blocker)
					return err
				}
				return nil
			}
		}
		fa := eventloop.NewFuture[struct{}](l)
		ta := spawn(ctx, "A", lockit(fa))
		yield(ctx, 1)
		want(t, "A locked", m.Locked(), true)
		tb := spawn(ctx, "B", lockit(nil))
		yield(ctx, 1)
		want(t, "waiters after B", locks.LockWaiters(&m), 1)
		tc := spawn(ctx, "C", lockit(nil))
		yield(ctx, 1)
		want(t, "waiters after C", locks.LockWaiters(&m), 2)

		fa.SetResult(struct{}{})
		tb.Cancel()
		yield(ctx, 1)
		want(t, "A done", ta.Done(), true)
		if err := task.Gather(ctx, tc); err != nil {
			t.Errorf("C: %v", err)
		}
		want(t, "B cancelled", tb.Cancelled(), true)
		want(t, "unlocked at the end", m.Locked(), false)
		return nil
	})
}

// Ported from test_cancel_release_race (bpo-32734): one callback cancels
// the first waiter and releases; exactly one waiter gets the lock.
func TestLockCancelReleaseRace(t *testing.T) {
	run(t, func(ctx context.Context) error {
		var m locks.Lock
		lockCount, callCount := 0, 0
		lockit := func(ctx context.Context) error {
			callCount++
			if err := m.Acquire(ctx); err != nil {
				return err
			}
			lockCount++
			return nil
		}
		m.Acquire(ctx)
		t1 := spawn(ctx, "t1", lockit)
		t2 := spawn(ctx, "t2", lockit)
		t3 := spawn(ctx, "t3", lockit)
		yield(ctx, 1)
		eventloop.LoopOf(ctx).CallSoon(func() {
			t1.Cancel()
			m.Release()
		})
		if err := task.Gather(ctx, t1); !isCancelled(err) {
			t.Errorf("t1: %v, want ErrCancelled", err)
		}
		yield(ctx, 1)
		want(t, "locks taken", lockCount, 1)
		want(t, "calls", callCount, 3)
		want(t, "t2 done", t2.Done(), true)
		want(t, "t3 done", t3.Done(), false)
		t3.Cancel()
		yield(ctx, 1)
		want(t, "t3 cancelled", t3.Cancelled(), true)
		return nil
	})
}

// Ported from test_finished_waiter_cancelled: the first waiter is
// cancelled before the Release; the lock goes to the next task.
func TestLockFinishedWaiterCancelled(t *testing.T) {
	run(t, func(ctx context.Context) error {
		var m locks.Lock
		m.Acquire(ctx)
		tb := spawn(ctx, "tb", m.Acquire)
		yield(ctx, 1)
		want(t, "waiters", locks.LockWaiters(&m), 1)
		tc := spawn(ctx, "tc", m.Acquire)
		tb.Cancel()
		m.Release()
		yield(ctx, 1)
		want(t, "locked", m.Locked(), true)
		want(t, "tb cancelled", tb.Cancelled(), true)
		if err := task.Gather(ctx, tc); err != nil {
			t.Errorf("tc: %v", err)
		}
		return nil
	})
}

// A waiter woken by a Release and cancelled before it runs keeps the lock:
// Acquire returns nil, the task's next await sees the cancellation, and
// the lock it releases goes on to the next waiter. Nothing is lost and no
// waiter is skipped.
func TestLockWokenThenCancelledKeepsLock(t *testing.T) {
	run(t, func(ctx context.Context) error {
		var m locks.Lock
		var got log
		m.Acquire(ctx)
		worker := func(name string) func(ctx context.Context) error {
			return func(ctx context.Context) error {
				if err := m.Acquire(ctx); err != nil {
					got.add("%s: acquire: %v", name, err)
					return err
				}
				defer m.Release()
				got.add("%s: acquired", name)
				if err := yield(ctx, 1); err != nil {
					got.add("%s: next await: cancelled=%v", name, isCancelled(err))
					return err
				}
				return nil
			}
		}
		b := spawn(ctx, "B", worker("B"))
		c := spawn(ctx, "C", worker("C"))
		yield(ctx, 1)
		m.Release() // hands the lock to B
		b.Cancel()  // before B runs
		task.GatherAll(ctx, b, c)
		want(t, "events", got, log{"B: acquired", "B: next await: cancelled=true", "C: acquired"})
		want(t, "unlocked", m.Locked(), false)
		return nil
	})
}

func TestLockReleaseUnlocked(t *testing.T) {
	var m locks.Lock
	if err := m.Release(); !errors.Is(err, locks.ErrNotLocked) {
		t.Fatalf("Release of an unlocked Lock: %v, want ErrNotLocked", err)
	}
	run(t, func(ctx context.Context) error {
		m.Acquire(ctx)
		m.Release()
		if err := m.Release(); !errors.Is(err, locks.ErrNotLocked) {
			t.Errorf("second Release: %v, want ErrNotLocked", err)
		}
		return nil
	})
}

// An Acquire on a cancelled ctx fails even when the lock is free
// (level-triggered cancellation, docs/design.md D4).
func TestLockAcquireOnCancelledCtx(t *testing.T) {
	run(t, func(ctx context.Context) error {
		var m locks.Lock
		cctx, cancel := eventloop.WithCancel(ctx)
		cancel()
		if err := m.Acquire(cctx); !isCancelled(err) {
			t.Errorf("Acquire: %v, want ErrCancelled", err)
		}
		want(t, "locked", m.Locked(), false)
		err := task.Timeout(ctx, 1, func(ctx context.Context) error {
			eventloop.Sleep(ctx, 2) // the deadline passes meanwhile
			return m.Acquire(ctx)
		})
		if !isTimeout(err) {
			t.Errorf("Acquire in an expired Timeout: %v, want ErrTimeout", err)
		}
		return nil
	})
}

// With releases the lock on every way out of its function: a return, an
// error, a panic, a cancellation while the function awaits.
func TestLockWith(t *testing.T) {
	run(t, func(ctx context.Context) error {
		var m locks.Lock
		boom := errors.New("boom")
		if err := m.With(ctx, func(ctx context.Context) error {
			want(t, "locked inside", m.Locked(), true)
			return nil
		}); err != nil {
			t.Errorf("With: %v", err)
		}
		want(t, "after return", m.Locked(), false)

		if err := m.With(ctx, func(ctx context.Context) error { return boom }); err != boom {
			t.Errorf("With: %v, want boom", err)
		}
		want(t, "after error", m.Locked(), false)

		p := spawn(ctx, "panicker", func(ctx context.Context) error {
			return m.With(ctx, func(ctx context.Context) error { panic("oops") })
		})
		err := task.Gather(ctx, p)
		var pe *eventloop.PanicError
		if !errors.As(err, &pe) {
			t.Errorf("panicking With: %v, want a PanicError", err)
		}
		want(t, "after panic", m.Locked(), false)

		c := spawn(ctx, "cancelled", func(ctx context.Context) error {
			return m.With(ctx, func(ctx context.Context) error { return eventloop.Sleep(ctx, 1e9) })
		})
		yield(ctx, 1)
		c.Cancel()
		if err := task.Gather(ctx, c); !isCancelled(err) {
			t.Errorf("cancelled With: %v", err)
		}
		want(t, "after cancellation", m.Locked(), false)

		if err := m.With(ctx, nil); err == nil {
			t.Errorf("With(nil) succeeded")
		}
		// The function released the lock itself: With reports it.
		if err := m.With(ctx, func(ctx context.Context) error { return m.Release() }); !errors.Is(err, locks.ErrNotLocked) {
			t.Errorf("With whose function released: %v, want ErrNotLocked", err)
		}
		return nil
	})
}

func TestLockString(t *testing.T) {
	run(t, func(ctx context.Context) error {
		var m locks.Lock
		want(t, "unlocked", m.String(), "locks.Lock[unlocked]")
		m.Acquire(ctx)
		spawn(ctx, "w", m.Acquire)
		yield(ctx, 1)
		want(t, "locked", m.String(), "locks.Lock[locked, waiters:1]")
		m.Release()
		yield(ctx, 1)
		m.Release()
		return nil
	})
}

// A context of the standard library, cancelled from another goroutine,
// ends a waiting Acquire (docs/design.md D4), and the lock goes to the next
// waiter.
func TestLockAcquireForeignCancellation(t *testing.T) {
	run(t, func(ctx context.Context) error {
		var m locks.Lock
		m.Acquire(ctx)
		var cancel context.CancelFunc
		first := spawn(ctx, "first", func(ctx context.Context) error {
			var fctx context.Context
			fctx, cancel = context.WithCancel(ctx)
			defer cancel()
			return m.Acquire(fctx)
		})
		second := spawn(ctx, "second", m.Acquire)
		yield(ctx, 1)
		done := make(chan struct{})
		go func() { cancel(); close(done) }()
		<-done
		m.Release()
		task.GatherAll(ctx, first, second)
		if err := first.Err(); !isCancelled(err) {
			t.Errorf("first: %v, want ErrCancelled", err)
		}
		if err := second.Err(); err != nil {
			t.Errorf("second: %v", err)
		}
		want(t, "held by second", m.Locked(), true)
		return m.Release()
	})
}
