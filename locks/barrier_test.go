package locks_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/aio-go/aio/eventloop"

	"github.com/aio-go/aio/locks"
	"github.com/aio-go/aio/task"
)

func newBarrier(t *testing.T, n int) *locks.Barrier {
	t.Helper()
	b, err := locks.NewBarrier(n)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// gatherN runs n copies of body as tasks and waits for all of them.
func gatherN(ctx context.Context, n int, body func(ctx context.Context) error) []error {
	ts := make([]eventloop.Waitable, n)
	for i := range ts {
		ts[i] = task.Go(ctx, body)
	}
	errs, _ := task.GatherAll(ctx, ts...)
	return errs
}

func noErrors(t *testing.T, errs []error) {
	t.Helper()
	for i, err := range errs {
		if err != nil {
			t.Errorf("task %d: %v", i, err)
		}
	}
}

// Ported from test_repr and test_filling_task_by_task.
func TestBarrierStates(t *testing.T) {
	run(t, func(ctx context.Context) error {
		b := newBarrier(t, 3)
		want(t, "new", b.String(), "locks.Barrier[filling, waiters:0/3]")
		wait := func(ctx context.Context) error { _, err := b.Wait(ctx); return err }
		var ts []eventloop.Waitable
		for i := 1; i <= 2; i++ {
			ts = append(ts, task.Go(ctx, wait))
			yield(ctx, 1)
			want(t, "n waiting", b.NWaiting(), i)
		}
		want(t, "filling", b.String(), "locks.Barrier[filling, waiters:2/3]")
		ts = append(ts, task.Go(ctx, wait))
		yield(ctx, 1)
		want(t, "draining", b.String(), "locks.Barrier[draining, waiters:0/3]")
		noErrors(t, must(task.GatherAll(ctx, ts...)))
		want(t, "n waiting after", b.NWaiting(), 0)
		want(t, "broken", b.Broken(), false)
		want(t, "parties", b.Parties(), 3)
		b.Abort()
		want(t, "aborted", b.String(), "locks.Barrier[broken]")
		return nil
	})
}

func must[T any](v T, _ error) T { return v }

// Ported from test_context_manager and test_filling_tasks_check_return_value:
// every party gets a distinct index, twice in a row.
func TestBarrierIndices(t *testing.T) {
	run(t, func(ctx context.Context) error {
		const n = 5
		b := newBarrier(t, n)
		var first, second []int
		noErrors(t, gatherN(ctx, n, func(ctx context.Context) error {
			i, err := b.Wait(ctx)
			if err != nil {
				return err
			}
			first = append(first, i)
			j, err := b.Wait(ctx)
			second = append(second, j)
			return err
		}))
		slices.Sort(first)
		slices.Sort(second)
		want(t, "first round", first, []int{0, 1, 2, 3, 4})
		want(t, "second round", second, []int{0, 1, 2, 3, 4})
		want(t, "n waiting", b.NWaiting(), 0)
		return nil
	})
}

// Ported from test_filling_one_task and test_filling_one_task_twice.
func TestBarrierOneParty(t *testing.T) {
	run(t, func(ctx context.Context) error {
		b := newBarrier(t, 1)
		for range 2 {
			if i, err := b.Wait(ctx); i != 0 || err != nil {
				t.Errorf("Wait = %d, %v", i, err)
			}
		}
		want(t, "n waiting", b.NWaiting(), 0)
		return nil
	})
}

// Ported from test_draining_state: the tasks let out see the barrier
// draining, except the last one out, which sets it filling again.
func TestBarrierDraining(t *testing.T) {
	run(t, func(ctx context.Context) error {
		const n = 5
		b := newBarrier(t, n)
		var draining []bool
		noErrors(t, gatherN(ctx, n, func(ctx context.Context) error {
			_, err := b.Wait(ctx)
			draining = append(draining, strings.Contains(b.String(), "draining"))
			return err
		}))
		want(t, "seen", draining, []bool{true, true, true, true, false})
		return nil
	})
}

// Ported from test_blocking_tasks_while_draining: tasks that come back
// while the barrier drains wait for the next round.
func TestBarrierBlocksWhileDraining(t *testing.T) {
	run(t, func(ctx context.Context) error {
		const n, rewait = 5, 2
		b := newBarrier(t, n)
		others := newBarrier(t, n-rewait)
		left := rewait
		noErrors(t, gatherN(ctx, n, func(ctx context.Context) error {
			if _, err := b.Wait(ctx); err != nil {
				return err
			}
			if left > 0 {
				left--
				_, err := b.Wait(ctx)
				return err
			}
			if _, err := others.Wait(ctx); err != nil {
				return err
			}
			_, err := b.Wait(ctx)
			return err
		}))
		return nil
	})
}

// Ported from test_filling_tasks_cancel_one: a cancelled waiter leaves the
// barrier and no longer counts.
func TestBarrierCancelOne(t *testing.T) {
	run(t, func(ctx context.Context) error {
		b := newBarrier(t, 3)
		passed := 0
		body := func(ctx context.Context) error {
			if _, err := b.Wait(ctx); err != nil {
				return err
			}
			passed++
			return nil
		}
		t1 := task.Go(ctx, body)
		yield(ctx, 1)
		t2 := task.Go(ctx, body)
		yield(ctx, 1)
		want(t, "two waiting", b.NWaiting(), 2)
		t1.Cancel()
		yield(ctx, 1)
		want(t, "one left", b.NWaiting(), 1)
		if err := task.Gather(ctx, t1); !isCancelled(err) {
			t.Errorf("t1: %v", err)
		}
		t3 := task.Go(ctx, body)
		yield(ctx, 1)
		want(t, "two again", b.NWaiting(), 2)
		t4 := task.Go(ctx, body)
		if err := task.Gather(ctx, t2, t3, t4); err != nil {
			t.Errorf("gather: %v", err)
		}
		want(t, "passed", passed, 3)
		want(t, "broken", b.Broken(), false)
		return nil
	})
}

// Ported from test_reset_barrier and test_reset_barrier_while_tasks_waiting.
func TestBarrierReset(t *testing.T) {
	run(t, func(ctx context.Context) error {
		b := newBarrier(t, 1)
		b.Reset()
		want(t, "n waiting", b.NWaiting(), 0)
		want(t, "broken", b.Broken(), false)

		const n = 5
		b = newBarrier(t, n)
		brokenCount := 0
		var ts []eventloop.Waitable
		for range n - 1 {
			ts = append(ts, task.Go(ctx, func(ctx context.Context) error {
				_, err := b.Wait(ctx)
				if errors.Is(err, locks.ErrBrokenBarrier) {
					brokenCount++
					return nil
				}
				return err
			}))
		}
		yield(ctx, 1)
		b.Reset()
		noErrors(t, must(task.GatherAll(ctx, ts...)))
		want(t, "broken waits", brokenCount, n-1)
		want(t, "n waiting", b.NWaiting(), 0)
		want(t, "state", b.String(), "locks.Barrier[filling, waiters:0/5]")
		return nil
	})
}

// Ported from test_reset_barrier_while_tasks_draining: a reset by the
// last task out of one round; everyone meets again twice.
func TestBarrierResetWhileDraining(t *testing.T) {
	run(t, func(ctx context.Context) error {
		const n = 5
		b := newBarrier(t, n)
		count, second, third := 0, 0, 0
		noErrors(t, gatherN(ctx, n, func(ctx context.Context) error {
			if _, err := b.Wait(ctx); err != nil {
				return err
			}
			count++
			if count == n {
				b.Reset()
				if _, err := b.Wait(ctx); err != nil {
					return err
				}
			} else {
				if _, err := b.Wait(ctx); err != nil {
					return err
				}
				second++
			}
			if _, err := b.Wait(ctx); err != nil {
				return err
			}
			third++
			return nil
		}))
		want(t, "second round", second, n-1)
		want(t, "third round", third, n)
		want(t, "broken", b.Broken(), false)
		return nil
	})
}

// Ported from test_abort_barrier and
// test_abort_barrier_when_tasks_half_draining_half_blocking.
func TestBarrierAbort(t *testing.T) {
	run(t, func(ctx context.Context) error {
		b := newBarrier(t, 1)
		b.Abort()
		want(t, "broken", b.Broken(), true)
		if _, err := b.Wait(ctx); !errors.Is(err, locks.ErrBrokenBarrier) {
			t.Errorf("Wait on a broken barrier: %v", err)
		}

		const n = 5
		blocking := n / 2
		b = newBarrier(t, n)
		count, r1, r2 := 0, 0, 0
		noErrors(t, gatherN(ctx, n, func(ctx context.Context) error {
			if _, err := b.Wait(ctx); errors.Is(err, locks.ErrBrokenBarrier) {
				r1++
				return nil
			} else if err != nil {
				return err
			}
			count++
			if count > blocking {
				b.Abort()
				return nil
			}
			if _, err := b.Wait(ctx); errors.Is(err, locks.ErrBrokenBarrier) {
				r2++
				return nil
			} else if err != nil {
				return err
			}
			return nil
		}))
		want(t, "broken", b.Broken(), true)
		want(t, "first wait broken", r1, blocking)
		want(t, "second wait broken", r2, n-blocking-1)
		want(t, "n waiting", b.NWaiting(), 0)
		return nil
	})
}

// Ported from test_abort_barrier_when_exception_then_resetting.
func TestBarrierAbortThenReset(t *testing.T) {
	run(t, func(ctx context.Context) error {
		const n = 5
		b1, b2 := newBarrier(t, n), newBarrier(t, n)
		r1, r2, r3 := 0, 0, 0
		boom := errors.New("boom")
		noErrors(t, gatherN(ctx, n, func(ctx context.Context) error {
			err := func() error {
				i, err := b1.Wait(ctx)
				if err != nil {
					return err
				}
				if i == n/2 {
					return boom
				}
				if _, err := b1.Wait(ctx); err != nil {
					return err
				}
				r1++
				return nil
			}()
			switch {
			case errors.Is(err, locks.ErrBrokenBarrier):
				r2++
			case err == boom:
				b1.Abort()
			case err != nil:
				return err
			}
			i, err := b2.Wait(ctx)
			if err != nil {
				return err
			}
			if i == n/2 {
				b1.Reset()
			}
			if _, err := b2.Wait(ctx); err != nil {
				return err
			}
			if _, err := b1.Wait(ctx); err != nil {
				return err
			}
			r3++
			return nil
		}))
		want(t, "broken", b1.Broken(), false)
		want(t, "results", []int{r1, r2, r3}, []int{0, n - 1, n})
		return nil
	})
}

// A task let through by the last arrival and cancelled before it runs
// still returns its index: its round completed.
func TestBarrierReleasedThenCancelled(t *testing.T) {
	run(t, func(ctx context.Context) error {
		b := newBarrier(t, 2)
		w := eventloop.Spawn(ctx, func(ctx context.Context) (int, error) { return b.Wait(ctx) })
		yield(ctx, 1)
		if i, err := b.Wait(ctx); i != 1 || err != nil {
			t.Errorf("last arrival: %d, %v", i, err)
		}
		w.Cancel()
		i, err := eventloop.Await[int](ctx, w)
		if i != 0 || err != nil {
			t.Errorf("released, then cancelled: %d, %v; want 0, nil", i, err)
		}
		return nil
	})
}
