package locks_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/aio-go/aio/eventloop"

	"github.com/aio-go/aio/locks"
	"github.com/aio-go/aio/task"
)

func newSem(t *testing.T, n int) *locks.Semaphore {
	t.Helper()
	s, err := locks.NewSemaphore(n)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestSemaphoreInitial(t *testing.T) {
	want(t, "Semaphore(0) locked", newSem(t, 0).Locked(), true)
	var zero locks.Semaphore
	want(t, "zero locked", zero.Locked(), true)
	s := newSem(t, 2)
	want(t, "value", s.Value(), 2)
	want(t, "String", s.String(), "locks.Semaphore[unlocked, value:2]")
}

// Ported from test_locks.SemaphoreTests.test_acquire. With hand-off, which
// waiters the two Releases serve is deterministic: the first two in line.
func TestSemaphoreAcquire(t *testing.T) {
	run(t, func(ctx context.Context) error {
		s := newSem(t, 3)
		var got log
		s.Acquire(ctx)
		s.Acquire(ctx)
		want(t, "not locked with one left", s.Locked(), false)
		acq := func(n int) func(ctx context.Context) error {
			return func(ctx context.Context) error {
				if err := s.Acquire(ctx); err != nil {
					return err
				}
				got.add("%d", n)
				return nil
			}
		}
		t1, t2, t3 := spawn(ctx, "t1", acq(1)), spawn(ctx, "t2", acq(2)), spawn(ctx, "t3", acq(3))
		yield(ctx, 1)
		want(t, "first takes the last permit", got, log{"1"})
		want(t, "locked", s.Locked(), true)
		want(t, "waiters", locks.SemaphoreWaiters(s), 2)
		want(t, "value", s.Value(), 0)

		t4 := spawn(ctx, "t4", acq(4))
		s.Release()
		s.Release()
		want(t, "permits handed over, not counted", s.Value(), 0)
		yield(ctx, 1)
		want(t, "served in order", got, log{"1", "2", "3"})
		want(t, "t4 waits", locks.SemaphoreWaiters(s), 1)
		want(t, "done", []bool{t1.Done(), t2.Done(), t3.Done(), t4.Done()}, []bool{true, true, true, false})
		s.Release()
		return task.Gather(ctx, t1, t2, t3, t4)
	})
}

// Ported from test_acquire_cancel.
func TestSemaphoreAcquireCancel(t *testing.T) {
	run(t, func(ctx context.Context) error {
		s := newSem(t, 1)
		s.Acquire(ctx)
		a := spawn(ctx, "acquire", s.Acquire)
		eventloop.LoopOf(ctx).CallSoon(func() { a.Cancel() })
		if err := task.Gather(ctx, a); !isCancelled(err) {
			t.Errorf("Acquire: %v, want ErrCancelled", err)
		}
		want(t, "waiters", locks.SemaphoreWaiters(s), 0)
		return nil
	})
}

// Ported from test_acquire_cancel_before_awoken and test_acquire_hang:
// waiters cancelled before a Release are skipped; the permit goes to the
// first live waiter, and nobody else.
func TestSemaphoreAcquireCancelBeforeAwoken(t *testing.T) {
	run(t, func(ctx context.Context) error {
		s := newSem(t, 0)
		var ts []*eventloop.Task[struct{}]
		for i := range 4 {
			ts = append(ts, spawn(ctx, fmt.Sprint("t", i+1), s.Acquire))
		}
		yield(ctx, 1)
		ts[0].Cancel()
		ts[1].Cancel()
		s.Release()
		yield(ctx, 2)
		want(t, "t3 done", ts[2].Done(), true)
		want(t, "t4 done", ts[3].Done(), false)
		want(t, "locked", s.Locked(), true)
		for _, tk := range ts[:2] {
			if !tk.Cancelled() {
				t.Errorf("%v not cancelled", tk)
			}
		}
		ts[3].Cancel()
		yield(ctx, 1)
		return nil
	})
}

// Ported from test_acquire_no_hang: t1 releases (handing the permit to the
// waiting t2) and then cancels t2. In asyncio t2 raises CancelledError and
// passes the permit on; here the hand-off came first, so t2 gets the
// permit and sees the cancellation at its next await. Either way the
// semaphore is free afterwards.
func TestSemaphoreAcquireNoHang(t *testing.T) {
	run(t, func(ctx context.Context) error {
		s := newSem(t, 1)
		var got log
		var t2 *eventloop.Task[struct{}]
		t1 := spawn(ctx, "t1", func(ctx context.Context) error {
			if err := s.With(ctx, func(ctx context.Context) error { return yield(ctx, 1) }); err != nil {
				return err
			}
			t2.Cancel()
			return nil
		})
		t2 = spawn(ctx, "t2", func(ctx context.Context) error {
			return s.With(ctx, func(ctx context.Context) error {
				got.add("t2 has the permit")
				return yield(ctx, 1)
			})
		})
		errs, _ := task.GatherAll(ctx, t1, t2)
		if errs[0] != nil || !isCancelled(errs[1]) {
			t.Errorf("results %v, want [nil, ErrCancelled]", errs)
		}
		want(t, "t2", got, log{"t2 has the permit"})
		want(t, "value", s.Value(), 1)
		_, err := task.WaitFor(ctx, time.Second, eventloop.Spawn(ctx, func(ctx context.Context) (int, error) {
			return 0, s.Acquire(ctx)
		}))
		return err
	})
}

// Ported from test_acquire_fifo_order: every task waits its turn, twice.
func TestSemaphoreFIFOOrder(t *testing.T) {
	run(t, func(ctx context.Context) error {
		s := newSem(t, 1)
		var got log
		body := func(tag string) func(ctx context.Context) error {
			return func(ctx context.Context) error {
				for round := 1; round <= 2; round++ {
					if err := s.Acquire(ctx); err != nil {
						return err
					}
					got.add("%s_%d", tag, round)
					eventloop.Sleep(ctx, 10*time.Millisecond)
					s.Release()
				}
				return nil
			}
		}
		err := task.Group(ctx, func(ctx context.Context, g *task.TaskGroup) error {
			for _, tag := range []string{"c1", "c2", "c3"} {
				g.Go(body(tag))
			}
			return nil
		})
		want(t, "order", got, log{"c1_1", "c2_1", "c3_1", "c1_2", "c2_2", "c3_2"})
		return err
	})
}

// Ported from test_acquire_fifo_order_2 and _3. Permits are granted in
// FIFO order: c1, then (two Releases) c2 and c3. c2 runs first, releases
// and acquires again: c3, handed its permit, has not run yet, so c2 queues
// behind it and records "4" after c3's "3" (TestSemaphoreReleaserQueuesBehindWoken
// checks the state in between).
func TestSemaphoreFIFOOrder2(t *testing.T) {
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
			s.Acquire(ctx)
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
		task.Gather(ctx, c1, c2, c3)
		want(t, "order 2", got, log{"1", "2", "3", "4"})

		s = newSem(t, 0)
		got = nil
		var ts []*eventloop.Task[struct{}]
		for n := 1; n <= 3; n++ {
			ts = append(ts, spawn(ctx, "", func(ctx context.Context) error {
				if err := s.Acquire(ctx); err != nil {
					return err
				}
				got.add("%d", n)
				return nil
			}))
		}
		yield(ctx, 1)
		ts[0].Cancel()
		yield(ctx, 1)
		s.Release()
		s.Release()
		task.GatherAll(ctx, ts[0], ts[1], ts[2])
		want(t, "order 3", got, log{"2", "3"})
		return nil
	})
}

// A waiter handed a permit and cancelled before it runs keeps the permit
// (Acquire returns nil): no permit is lost.
func TestSemaphoreWokenThenCancelledKeepsPermit(t *testing.T) {
	run(t, func(ctx context.Context) error {
		s := newSem(t, 0)
		w := spawn(ctx, "w", s.Acquire)
		yield(ctx, 1)
		s.Release()
		w.Cancel()
		if err := task.Gather(ctx, w); err != nil {
			t.Errorf("Acquire: %v, want nil", err)
		}
		want(t, "permit held by w", s.Value(), 0)
		s.Release()
		want(t, "permit back", s.Value(), 1)
		return nil
	})
}

func TestBoundedSemaphore(t *testing.T) {
	run(t, func(ctx context.Context) error {
		s, err := locks.NewBoundedSemaphore(2)
		if err != nil {
			return err
		}
		if err := s.Release(); !errors.Is(err, locks.ErrReleasedTooMany) {
			t.Errorf("Release at the bound: %v", err)
		}
		s.Acquire(ctx)
		s.Acquire(ctx)
		want(t, "locked", s.Locked(), true)
		w := spawn(ctx, "w", s.Acquire)
		yield(ctx, 1)
		if err := s.Release(); err != nil { // handed to w
			t.Errorf("Release: %v", err)
		}
		task.Gather(ctx, w)
		want(t, "value", s.Value(), 0)
		s.Release()
		s.Release()
		if err := s.Release(); !errors.Is(err, locks.ErrReleasedTooMany) {
			t.Errorf("third Release: %v", err)
		}
		want(t, "String", s.String(), "locks.BoundedSemaphore[unlocked, value:2]")
		if err := s.With(ctx, func(ctx context.Context) error {
			want(t, "value inside With", s.Value(), 1)
			return nil
		}); err != nil {
			t.Errorf("With: %v", err)
		}
		want(t, "value after With", s.Value(), 2)
		return nil
	})
}

func TestSemaphoreWith(t *testing.T) {
	run(t, func(ctx context.Context) error {
		s := newSem(t, 1)
		boom := errors.New("boom")
		if err := s.With(ctx, func(ctx context.Context) error {
			want(t, "locked inside", s.Locked(), true)
			return boom
		}); err != boom {
			t.Errorf("With: %v", err)
		}
		want(t, "value after", s.Value(), 1)
		p := spawn(ctx, "panicker", func(ctx context.Context) error {
			return s.With(ctx, func(ctx context.Context) error { panic("oops") })
		})
		if err := task.Gather(ctx, p); err == nil {
			t.Errorf("panic not reported")
		}
		want(t, "value after panic", s.Value(), 1)
		if err := s.With(ctx, nil); err == nil {
			t.Errorf("With(nil) succeeded")
		}
		return nil
	})
}
