package task_test

import (
	"context"
	"runtime"
	"testing"

	"github.com/aio-go/aio/eventloop"
	"github.com/aio-go/aio/internal/testkit"
	"github.com/aio-go/aio/task"
)

// mallocsOf counts the allocations fn makes.
func mallocsOf(fn func()) uint64 {
	var m0, m1 runtime.MemStats
	runtime.ReadMemStats(&m0)
	fn()
	runtime.ReadMemStats(&m1)
	return m1.Mallocs - m0.Mallocs
}

// perChild fails the test when what measure allocates grows with n: it
// compares n=1000 with n=3000 (the difference cancels what a call
// allocates whatever n). A little noise from other goroutines is allowed.
func perChild(t *testing.T, what string, measure func(n int) uint64) {
	t.Helper()
	measure(10) // warm up
	small, large := measure(1000), measure(3000)
	if per := float64(int64(large)-int64(small)) / 2000; per > 0.05 {
		t.Errorf("%s: %.2f allocations per child (%d for 1000, %d for 3000)", what, per, small, large)
	}
}

// pendingFutures returns n pending futures, all completed by one callback
// in the next iteration.
func pendingFutures(ctx context.Context, n int) []eventloop.Waitable {
	l := eventloop.LoopOf(ctx)
	ws := make([]eventloop.Waitable, n)
	for i := range ws {
		ws[i] = eventloop.NewFuture[int](l)
	}
	l.CallSoon(func() {
		for i, w := range ws {
			w.(*eventloop.Future[int]).SetResult(i)
		}
	})
	return ws
}

// Wait watches its children without a closure or a callback entry per
// child.
func TestWaitAllocatesNothingPerChild(t *testing.T) {
	for _, when := range []task.ReturnWhen{task.AllCompleted, task.FirstCompleted, task.FirstException} {
		testkit.InTask(t, func(ctx context.Context) {
			perChild(t, "Wait", func(n int) uint64 {
				ws := pendingFutures(ctx, n)
				var err error
				m := mallocsOf(func() {
					_, _, err = task.Wait(ctx, ws, when, task.NoTimeout)
				})
				if err != nil {
					t.Fatal(err)
				}
				return m
			})
		})
	}
}

// AsCompleted watches its children without a closure or a callback entry
// per child.
func TestAsCompletedAllocatesNothingPerChild(t *testing.T) {
	testkit.InTask(t, func(ctx context.Context) {
		perChild(t, "AsCompleted", func(n int) uint64 {
			ws := pendingFutures(ctx, n)
			got := 0
			m := mallocsOf(func() {
				for _, err := range task.AsCompleted(ctx, ws...) {
					if err != nil {
						t.Fatal(err)
					}
					got++
				}
			})
			if got != n {
				t.Fatalf("AsCompleted yielded %d of %d", got, n)
			}
			return m
		})
	})
}

// A TaskGroup watches its children without a closure per child: a group
// of n children allocates as much as n tasks spawned in a cancel scope
// (as the group's children are) and gathered, plus an amount that does
// not grow with n.
func TestTaskGroupAllocatesNothingPerChild(t *testing.T) {
	body := func(ctx context.Context) error { return nil }
	plain := func(ctx context.Context, n int) uint64 {
		ws := make([]eventloop.Waitable, n)
		var err error
		m := mallocsOf(func() {
			sctx, cancel := eventloop.WithCancel(ctx)
			defer cancel()
			for i := range ws {
				ws[i] = task.Go(sctx, body)
			}
			err = task.Gather(ctx, ws...)
		})
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	testkit.InTask(t, func(ctx context.Context) {
		perChild(t, "TaskGroup", func(n int) uint64 {
			// First n tasks at once: the runtime keeps their goroutines
			// for reuse, which both measurements then find.
			plain(ctx, n)
			var err error
			group := mallocsOf(func() {
				err = task.Group(ctx, func(ctx context.Context, g *task.TaskGroup) error {
					for range n {
						g.Go(body)
					}
					return nil
				})
			})
			if err != nil {
				t.Fatal(err)
			}
			return group - min(group, plain(ctx, n))
		})
	})
}
