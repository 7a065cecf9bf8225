package locks_test

import (
	"context"
	"testing"
	"time"

	"github.com/aio-go/aio/eventloop"

	"github.com/aio-go/aio/locks"
	"github.com/aio-go/aio/task"
)

// condWaiter returns a task body that acquires c, waits once and records n.
func condWaiter(c *locks.Condition, got *log, n int, release bool) func(ctx context.Context) error {
	return func(ctx context.Context) error {
		if err := c.Acquire(ctx); err != nil {
			return err
		}
		if err := c.Wait(ctx); err != nil {
			c.Release() // Wait holds the lock again, even when cancelled
			return err
		}
		got.add("%d", n)
		if release {
			return c.Release()
		}
		return nil
	}
}

// Ported from test_locks.ConditionTests.test_wait: notified waiters return
// one by one, as each re-acquires the lock.
func TestConditionWait(t *testing.T) {
	run(t, func(ctx context.Context) error {
		var c locks.Condition
		var got log
		var ts []*eventloop.Task[struct{}]
		for n := 1; n <= 3; n++ {
			ts = append(ts, spawn(ctx, "", condWaiter(&c, &got, n, false)))
		}
		yield(ctx, 1)
		want(t, "nothing yet", got, nil)
		want(t, "unlocked while they wait", c.Locked(), false)

		c.Acquire(ctx)
		c.Notify(1)
		yield(ctx, 1)
		want(t, "notified waits for the lock", got, nil)
		want(t, "locked", c.Locked(), true)

		c.Release()
		yield(ctx, 1)
		want(t, "after release", got, log{"1"})
		want(t, "held by t1", c.Locked(), true)

		c.Notify(2)
		yield(ctx, 1)
		want(t, "after Notify(2)", got, log{"1"})

		c.Release()
		yield(ctx, 1)
		want(t, "after 2nd release", got, log{"1", "2"})

		c.Release()
		yield(ctx, 1)
		want(t, "after 3rd release", got, log{"1", "2", "3"})
		want(t, "held by t3", c.Locked(), true)
		for _, tk := range ts {
			if !tk.Done() || tk.Err() != nil {
				t.Errorf("%v not done cleanly", tk)
			}
		}
		return nil
	})
}

// Ported from test_wait_cancel: a cancelled Wait returns the cancellation
// holding the lock, and leaves the waiter list.
func TestConditionWaitCancel(t *testing.T) {
	run(t, func(ctx context.Context) error {
		var c locks.Condition
		c.Acquire(ctx)
		w := spawn(ctx, "wait", c.Wait) // waits on main's lock: runs as main's "delegate"
		eventloop.LoopOf(ctx).CallSoon(func() { w.Cancel() })
		if err := task.Gather(ctx, w); !isCancelled(err) {
			t.Errorf("Wait: %v, want ErrCancelled", err)
		}
		want(t, "waiters", locks.ConditionWaiters(&c), 0)
		want(t, "locked again", c.Locked(), true)
		return nil
	})
}

// Ported from test_wait_cancel_contested: cancelled while the lock is held
// by someone else, Wait still returns only once it holds the lock again.
func TestConditionWaitCancelContested(t *testing.T) {
	run(t, func(ctx context.Context) error {
		var c locks.Condition
		l := eventloop.LoopOf(ctx)
		c.Acquire(ctx)
		w := spawn(ctx, "wait", c.Wait)
		yield(ctx, 1)
		want(t, "released by Wait", c.Locked(), false)

		c.Acquire(ctx)
		c.Notify(1)
		l.CallSoon(func() { w.Cancel() })
		l.CallSoon(func() { c.Release() })
		err := task.Gather(ctx, w)
		if err != nil && !isCancelled(err) {
			t.Errorf("Wait: %v", err)
		}
		want(t, "locked by the waiter", c.Locked(), true)
		return nil
	})
}

// Ported from test_wait_cancel_after_notify (bpo-32841): notified, then
// cancelled while re-acquiring the lock. Here the notification came first,
// so Wait returns nil once it holds the lock, and the next await sees the
// cancellation.
func TestConditionWaitCancelAfterNotify(t *testing.T) {
	run(t, func(ctx context.Context) error {
		var c locks.Condition
		var got log
		w := spawn(ctx, "waiter", func(ctx context.Context) error {
			return c.With(ctx, func(ctx context.Context) error {
				got.add("waiting")
				if err := c.Wait(ctx); err != nil {
					got.add("wait: %v", err)
					return err
				}
				got.add("wait: nil, locked=%v", c.Locked())
				return eventloop.Sleep(ctx, 0)
			})
		})
		yield(ctx, 1)
		c.Acquire(ctx)
		c.Notify(1)
		yield(ctx, 1) // the waiter now waits for the lock
		w.Cancel()
		yield(ctx, 1)
		c.Release()
		yield(ctx, 1)
		if err := task.Gather(ctx, w); !isCancelled(err) {
			t.Errorf("waiter task: %v, want ErrCancelled", err)
		}
		want(t, "events", got, log{"waiting", "wait: nil, locked=true"})
		want(t, "unlocked at the end", c.Locked(), false)
		return nil
	})
}

// A waiter cancelled before a Notify does not consume it: the notification
// goes to the next waiter.
func TestConditionNotifySkipsCancelledWaiter(t *testing.T) {
	run(t, func(ctx context.Context) error {
		var c locks.Condition
		var got log
		t1 := spawn(ctx, "t1", condWaiter(&c, &got, 1, true))
		t2 := spawn(ctx, "t2", condWaiter(&c, &got, 2, true))
		yield(ctx, 1)
		t1.Cancel()
		c.Acquire(ctx)
		c.Notify(1)
		c.Release()
		task.GatherAll(ctx, t1, t2)
		if err := t1.Err(); !isCancelled(err) {
			t.Errorf("t1: %v", err)
		}
		want(t, "notified", got, log{"2"})
		want(t, "unlocked", c.Locked(), false)
		return nil
	})
}

// Ported from test_wait_for: the predicate is checked after every wake-up.
func TestConditionWaitFor(t *testing.T) {
	run(t, func(ctx context.Context) error {
		var c locks.Condition
		var got log
		presult := false
		w := spawn(ctx, "c1", func(ctx context.Context) error {
			c.Acquire(ctx)
			if err := c.WaitFor(ctx, func() bool { return presult }); err != nil {
				return err
			}
			got.add("1")
			return c.Release()
		})
		yield(ctx, 1)
		want(t, "waiting", got, nil)

		c.Acquire(ctx)
		c.Notify(1)
		c.Release()
		yield(ctx, 1)
		want(t, "predicate false", got, nil)

		presult = true
		c.Acquire(ctx)
		c.Notify(1)
		c.Release()
		yield(ctx, 1)
		want(t, "predicate true", got, log{"1"})
		return task.Gather(ctx, w)
	})
}

// Ported from test_notify and test_notify_all.
func TestConditionNotify(t *testing.T) {
	run(t, func(ctx context.Context) error {
		var c locks.Condition
		var got log
		var ts []*eventloop.Task[struct{}]
		for n := 1; n <= 3; n++ {
			ts = append(ts, spawn(ctx, "", condWaiter(&c, &got, n, true)))
		}
		yield(ctx, 1)
		c.Acquire(ctx)
		c.Notify(1)
		c.Release()
		yield(ctx, 1)
		want(t, "Notify(1)", got, log{"1"})

		c.Acquire(ctx)
		c.Notify(1)
		c.Notify(2048)
		c.Release()
		yield(ctx, 1)
		want(t, "Notify(1), Notify(2048)", got, log{"1", "2", "3"})

		var got2 log
		t4 := spawn(ctx, "", condWaiter(&c, &got2, 1, true))
		t5 := spawn(ctx, "", condWaiter(&c, &got2, 2, true))
		yield(ctx, 1)
		c.Acquire(ctx)
		c.NotifyAll()
		c.Release()
		yield(ctx, 1)
		want(t, "NotifyAll", got2, log{"1", "2"})
		return task.Gather(ctx, ts[0], ts[1], ts[2], t4, t5)
	})
}

// Ported from test_explicit_lock: a Condition over a shared Lock.
func TestConditionExplicitLock(t *testing.T) {
	run(t, func(ctx context.Context) error {
		check := func(m *locks.Lock, c *locks.Condition) {
			if c.Lock() != m {
				t.Errorf("Lock() is not the lock given")
			}
			c.With(ctx, func(ctx context.Context) error {
				want(t, "lock held via condition", m.Locked(), true)
				return nil
			})
			want(t, "released via condition", m.Locked(), false)
			m.With(ctx, func(ctx context.Context) error {
				want(t, "condition sees the lock", c.Locked(), true)
				return nil
			})
			want(t, "released via lock", c.Locked(), false)
		}
		var m1 locks.Lock
		check(&m1, locks.NewCondition(&m1))
		c2 := locks.NewCondition(nil)
		check(c2.Lock(), c2)
		var c3 locks.Condition
		check(c3.Lock(), &c3)
		return nil
	})
}

// Ported from test_timeout_in_block: a Wait under an expired timeout
// returns ErrTimeout holding the lock.
func TestConditionWaitTimeout(t *testing.T) {
	run(t, func(ctx context.Context) error {
		var c locks.Condition
		return c.With(ctx, func(ctx context.Context) error {
			err := task.Timeout(ctx, 500*time.Millisecond, c.Wait)
			if !isTimeout(err) {
				t.Errorf("Wait: %v, want ErrTimeout", err)
			}
			want(t, "locked", c.Locked(), true)
			return nil
		})
	})
}

// A Wait on a cancelled ctx returns at once, keeping the lock.
func TestConditionWaitOnCancelledCtx(t *testing.T) {
	run(t, func(ctx context.Context) error {
		var c locks.Condition
		c.Acquire(ctx)
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		if err := c.Wait(cctx); !isCancelled(err) {
			t.Errorf("Wait: %v", err)
		}
		if err := c.WaitFor(cctx, func() bool { t.Error("pred called"); return true }); !isCancelled(err) {
			t.Errorf("WaitFor: %v", err)
		}
		want(t, "locked", c.Locked(), true)
		return c.Release()
	})
}

func TestConditionString(t *testing.T) {
	run(t, func(ctx context.Context) error {
		var c locks.Condition
		want(t, "zero", c.String(), "locks.Condition[unlocked]")
		c.Acquire(ctx)
		want(t, "locked", c.String(), "locks.Condition[locked]")
		return c.Release()
	})
}
