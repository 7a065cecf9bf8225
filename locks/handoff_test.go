package locks_test

import (
	"context"
	"testing"
	"time"

	"github.com/aio-go/aio/eventloop"

	"github.com/aio-go/aio/locks"
	"github.com/aio-go/aio/task"
)

// Hand-off: what a Release frees belongs to the waiter it woke from that
// moment on. Until that waiter runs, the primitive stays locked, and an
// Acquire meanwhile (by a third task or by the releaser itself) queues
// behind it.

// A task that releases the Lock to a waiter and asks for it again at once
// queues behind that waiter.
func TestLockReleaserQueuesBehindWoken(t *testing.T) {
	run(t, func(ctx context.Context) error {
		var m locks.Lock
		var got log
		m.Acquire(ctx)
		w := spawn(ctx, "w", func(ctx context.Context) error {
			return m.With(ctx, func(ctx context.Context) error {
				got.add("w")
				return nil
			})
		})
		yield(ctx, 1)
		m.Release()
		want(t, "locked after the hand-off", m.Locked(), true)
		if err := m.Acquire(ctx); err != nil {
			return err
		}
		got.add("releaser")
		m.Release()
		want(t, "order", got, log{"w", "releaser"})
		return task.Gather(ctx, w)
	})
}

// Ported from test_acquire_fifo_order_2: c2 releases and acquires again
// while c3, already handed its permit, has not run: c2 queues behind c3.
func TestSemaphoreReleaserQueuesBehindWoken(t *testing.T) {
	run(t, func(ctx context.Context) error {
		s := newSem(t, 1)
		var got log
		c1 := spawn(ctx, "c1", func(ctx context.Context) error {
			s.Acquire(ctx)
			got.add("1")
			return nil
		})
		c2 := spawn(ctx, "c2", func(ctx context.Context) error {
			s.Acquire(ctx)
			got.add("2")
			s.Release()
			want(t, "locked while c3 is on its way", s.Locked(), true)
			if err := s.Acquire(ctx); err != nil {
				return err
			}
			got.add("4")
			return nil
		})
		c3 := spawn(ctx, "c3", func(ctx context.Context) error {
			s.Acquire(ctx)
			got.add("3")
			return nil
		})
		yield(ctx, 1)
		s.Release()
		s.Release()
		if err := task.Gather(ctx, c1, c2, c3); err != nil {
			return err
		}
		want(t, "order", got, log{"1", "2", "3", "4"})
		want(t, "value", s.Value(), 0)
		return nil
	})
}

// Ported from test_acquire_fifo_order_4: three Releases while one task
// waits leave two permits free, but the semaphore is locked until the
// woken task has run; then the two later askers are served, in order,
// before a task spawned by the first one.
func TestSemaphoreWokenWakeTheQueuedBehindThem(t *testing.T) {
	run(t, func(ctx context.Context) error {
		s := newSem(t, 0)
		var got log
		var c4 *eventloop.Task[struct{}]
		c1 := spawn(ctx, "c1", func(ctx context.Context) error {
			if err := s.Acquire(ctx); err != nil {
				return err
			}
			want(t, "value once c1 runs: both permits handed on", s.Value(), 0)
			c4 = spawn(ctx, "c4", func(ctx context.Context) error {
				got.add("4")
				return nil
			})
			got.add("1")
			return nil
		})
		c2 := spawn(ctx, "c2", func(ctx context.Context) error {
			s.Release()
			s.Release()
			s.Release()
			want(t, "value after three Releases", s.Value(), 2)
			want(t, "locked: c1 has not run", s.Locked(), true)
			if err := s.Acquire(ctx); err != nil {
				return err
			}
			got.add("2")
			return nil
		})
		c3 := spawn(ctx, "c3", func(ctx context.Context) error {
			if err := s.Acquire(ctx); err != nil {
				return err
			}
			want(t, "locked when c3 runs", s.Locked(), true)
			got.add("3")
			return nil
		})
		yield(ctx, 1)
		want(t, "value with c1 on its way", s.Value(), 2)
		want(t, "queued behind c1", locks.SemaphoreWaiters(s), 2)
		if err := task.Gather(ctx, c1, c2, c3); err != nil {
			return err
		}
		if err := task.Gather(ctx, c4); err != nil {
			return err
		}
		want(t, "order", got, log{"1", "2", "3", "4"})
		return nil
	})
}

// Ported from test_acquire_hang: the first waiter is cancelled, the
// Release goes to the second; nothing is left free.
func TestSemaphoreAcquireHang(t *testing.T) {
	run(t, func(ctx context.Context) error {
		s := newSem(t, 0)
		t1 := spawn(ctx, "t1", s.Acquire)
		t2 := spawn(ctx, "t2", s.Acquire)
		yield(ctx, 1)
		t1.Cancel()
		s.Release()
		yield(ctx, 2)
		want(t, "locked", s.Locked(), true)
		want(t, "t2 done", t2.Done(), true)
		if err := task.Gather(ctx, t1); !isCancelled(err) {
			t.Errorf("t1: %v, want ErrCancelled", err)
		}
		return t2.Err()
	})
}

// A waiter already handed its permit and then cancelled keeps it (see the
// package doc): the asker queued behind it gets the permit once the
// cancelled task gives it back at its next await. Nothing is lost, nobody
// is passed over.
func TestSemaphoreWokenThenCancelledPassesOn(t *testing.T) {
	run(t, func(ctx context.Context) error {
		s := newSem(t, 0)
		var got log
		w := spawn(ctx, "w", func(ctx context.Context) error {
			return s.With(ctx, func(ctx context.Context) error {
				got.add("w holds")
				return yield(ctx, 1) // sees the cancellation
			})
		})
		yield(ctx, 1)
		s.Release()
		w.Cancel()
		want(t, "locked while w is on its way", s.Locked(), true)
		next := spawn(ctx, "next", func(ctx context.Context) error {
			return s.With(ctx, func(ctx context.Context) error {
				got.add("next holds")
				return nil
			})
		})
		if err := task.Gather(ctx, w); !isCancelled(err) {
			t.Errorf("w: %v, want ErrCancelled from its next await", err)
		}
		if err := task.Gather(ctx, next); err != nil {
			return err
		}
		want(t, "order", got, log{"w holds", "next holds"})
		want(t, "value", s.Value(), 1)
		return nil
	})
}

// The same hand-off rules for BoundedSemaphore, whose bound counts the
// permits promised to woken waiters as taken.
func TestBoundedSemaphoreHandOff(t *testing.T) {
	run(t, func(ctx context.Context) error {
		s, err := locks.NewBoundedSemaphore(1)
		if err != nil {
			return err
		}
		var got log
		s.Acquire(ctx)
		w := spawn(ctx, "w", func(ctx context.Context) error {
			return s.With(ctx, func(ctx context.Context) error {
				got.add("w")
				return nil
			})
		})
		yield(ctx, 1)
		if err := s.Release(); err != nil {
			return err
		}
		want(t, "locked while w is on its way", s.Locked(), true)
		if err := s.Acquire(ctx); err != nil {
			return err
		}
		got.add("releaser")
		if err := s.Release(); err != nil {
			return err
		}
		want(t, "order", got, log{"w", "releaser"})
		return task.Gather(ctx, w)
	})
}

// Ported from ConditionTests.test_cancelled_wakeup and
// test_cancelled_wakeup_relock: a consumer notified and cancelled in the
// same iteration (before it runs, or while it re-acquires the lock) does
// not lose the notification: the produced item is consumed.
func TestConditionCancelledWakeupNotLost(t *testing.T) {
	for _, relock := range []bool{false, true} {
		name := "before it runs"
		if relock {
			name = "while it re-acquires"
		}
		t.Run(name, func(t *testing.T) {
			run(t, func(ctx context.Context) error {
				var c locks.Condition
				state := 0
				consumer := func(ctx context.Context) error {
					return c.With(ctx, func(ctx context.Context) error {
						for {
							if err := c.WaitFor(ctx, func() bool { return state != 0 }); err != nil {
								return err
							}
							if state < 0 {
								return nil
							}
							state--
						}
					})
				}
				c0 := spawn(ctx, "c0", consumer)
				c1 := spawn(ctx, "c1", consumer)
				yield(ctx, 1)
				err := c.With(ctx, func(ctx context.Context) error {
					state++
					c.Notify(1)
					if relock {
						yield(ctx, 1) // c0 now waits for the lock
					}
					c0.Cancel()
					err := task.Timeout(ctx, 10*time.Millisecond, func(ctx context.Context) error {
						return c.WaitFor(ctx, func() bool { return state == 0 })
					})
					if err != nil && !isTimeout(err) {
						return err
					}
					want(t, "item consumed", state, 0)
					state = -1
					return c.NotifyAll()
				})
				if err != nil {
					return err
				}
				task.GatherAll(ctx, c0, c1)
				return c1.Err()
			})
		})
	}
}
