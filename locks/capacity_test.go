package locks_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aio-go/aio/eventloop"
	"github.com/aio-go/aio/locks"
	"github.com/aio-go/aio/task"
)

// Ported from Trio's test_CapacityLimiter: borrowing, refusing a second
// token to one borrower, releasing what was not borrowed, FIFO hand-off,
// and changing the total while in use.
func TestCapacityLimiter(t *testing.T) {
	if _, err := locks.NewCapacityLimiter(0); err == nil {
		t.Error("NewCapacityLimiter(0) accepted")
	}
	run(t, func(ctx context.Context) error {
		c, _ := locks.NewCapacityLimiter(2)
		if err := c.Release(); !errors.Is(err, locks.ErrNotBorrowing) {
			t.Errorf("Release of nothing = %v", err)
		}
		if err := c.AcquireOnBehalfOf(ctx, "a"); err != nil {
			return err
		}
		if err := c.AcquireOnBehalfOf(ctx, "a"); !errors.Is(err, locks.ErrAlreadyBorrowing) {
			t.Errorf("second token for one borrower = %v", err)
		}
		if err := c.Release(); !errors.Is(err, locks.ErrNotBorrowing) {
			t.Errorf("anonymous Release of a named token = %v", err)
		}
		if err := c.Acquire(ctx); err != nil {
			return err
		}
		want(t, "stats when full", c.Stats(), locks.CapacityStats{Total: 2, Borrowed: 2, Borrowers: 1})
		var order log
		var tasks []*eventloop.Task[struct{}]
		for _, name := range []string{"w1", "w2", "w3"} {
			tasks = append(tasks, task.Go(ctx, func(ctx context.Context) error {
				if err := c.Acquire(ctx); err != nil {
					return err
				}
				order.add("%s got", name)
				return nil
			}))
		}
		if err := yield(ctx, 2); err != nil {
			return err
		}
		want(t, "waiting", c.Stats().Waiting, 3)
		// A token released goes to the oldest waiter, even to one whose
		// Acquire has not run yet when another task asks (no barging).
		if err := c.ReleaseOnBehalfOf("a"); err != nil {
			return err
		}
		if err := c.ReleaseOnBehalfOf("a"); !errors.Is(err, locks.ErrNotBorrowing) {
			t.Errorf("ReleaseOnBehalfOf twice = %v", err)
		}
		// Raising the total hands the new token over at once.
		if err := c.SetTotalTokens(3); err != nil {
			return err
		}
		if err := yield(ctx, 2); err != nil {
			return err
		}
		want(t, "order", order, log{"w1 got", "w2 got"})
		// Lowering it takes nothing back.
		if err := c.SetTotalTokens(1); err != nil {
			return err
		}
		want(t, "stats after lowering", c.Stats(), locks.CapacityStats{Total: 1, Borrowed: 3, Waiting: 1})
		for range 2 {
			c.Release()
		}
		if err := yield(ctx, 2); err != nil {
			return err
		}
		want(t, "w3 still waits", c.Stats().Waiting, 1)
		c.Release()
		if err := yield(ctx, 2); err != nil {
			return err
		}
		want(t, "order at the end", order, log{"w1 got", "w2 got", "w3 got"})
		for _, tk := range tasks {
			if err := eventloop.WaitDone(ctx, tk); err != nil {
				return err
			}
		}
		return c.Release()
	})
}

// A waiter cancelled before a token reaches it holds nothing, and the
// token goes to the next one.
func TestCapacityLimiterCancelledWaiter(t *testing.T) {
	run(t, func(ctx context.Context) error {
		c, _ := locks.NewCapacityLimiter(1)
		if err := c.Acquire(ctx); err != nil {
			return err
		}
		first := task.Go(ctx, c.Acquire)
		second := task.Go(ctx, c.Acquire)
		if err := yield(ctx, 2); err != nil {
			return err
		}
		first.Cancel()
		c.Release()
		if err := eventloop.WaitDone(context.WithoutCancel(ctx), second); err != nil {
			t.Errorf("second waiter: %v", err)
		}
		if !isCancelled(first.Err()) {
			t.Errorf("first waiter: %v", first.Err())
		}
		want(t, "stats", c.Stats(), locks.CapacityStats{Total: 1, Borrowed: 1})
		return c.Release()
	})
}

// ToThread under a CapacityLimiter: never more calls running than
// tokens, and a cancelled call keeps its token until its function
// returns (the goroutine is still running).
func TestCapacityLimiterBoundsToThread(t *testing.T) {
	const total, calls = 2, 6
	var running, peak atomic.Int32
	var started sync.WaitGroup
	gate := make(chan struct{})
	run(t, func(ctx context.Context) error {
		c, _ := locks.NewCapacityLimiter(total)
		fn := func(context.Context) (int, error) {
			n := running.Add(1)
			for p := peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() {
			}
			started.Done()
			<-gate
			running.Add(-1)
			return 1, nil
		}
		started.Add(total)
		var tasks []*eventloop.Task[int]
		for range calls {
			tasks = append(tasks, eventloop.Spawn(ctx, func(ctx context.Context) (int, error) {
				return task.ToThread(ctx, fn, task.WithLimiter(c))
			}))
		}
		if _, _, err := task.Recv(ctx, waitGroupDone(&started)); err != nil {
			return err
		}
		want(t, "waiting for a token", c.Stats().Waiting, calls-total)
		// Cancel a running call: its token is not freed while fn runs.
		tasks[0].Cancel()
		if err := yield(ctx, 3); err != nil {
			return err
		}
		want(t, "borrowed after cancelling a running call", c.Stats().Borrowed, total)
		started.Add(calls - total)
		close(gate)
		sum := 0
		for _, tk := range tasks[1:] {
			v, err := eventloop.Await(ctx, tk)
			if err != nil {
				return err
			}
			sum += v
		}
		want(t, "results", sum, calls-1)
		for c.Stats().Borrowed > 0 { // the cancelled call's fn has returned too
			if err := eventloop.Sleep(ctx, time.Millisecond); err != nil {
				return err
			}
		}
		return nil
	})
	want(t, "peak concurrent calls", peak.Load(), int32(total))
}

func waitGroupDone(wg *sync.WaitGroup) <-chan struct{} {
	ch := make(chan struct{})
	go func() { wg.Wait(); close(ch) }()
	return ch
}
