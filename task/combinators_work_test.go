package task_test

import (
	"context"
	"testing"
	"time"

	"github.com/aio-go/aio/eventloop"
	"github.com/aio-go/aio/internal/testkit"
	"github.com/aio-go/aio/task"
)

// countedFuture is a future that counts how often a combinator looks at
// it (Done, Err, Cancelled).
type countedFuture struct {
	*eventloop.Future[int]
	looks *int
}

func (c countedFuture) Done() bool      { *c.looks++; return c.Future.Done() }
func (c countedFuture) Err() error      { *c.looks++; return c.Future.Err() }
func (c countedFuture) Cancelled() bool { *c.looks++; return c.Future.Cancelled() }

// Wait looks at each child a number of times that does not grow with the
// number of children, also when they complete one per iteration (a scan
// of every child per completion was O(n²): about n/2 looks per child).
func TestWaitLooksAtEachChildAConstantNumberOfTimes(t *testing.T) {
	looksPerChild := func(ctx context.Context, n int, when task.ReturnWhen) float64 {
		l := eventloop.LoopOf(ctx)
		looks := 0
		ws := make([]eventloop.Waitable, n)
		fs := make([]*eventloop.Future[int], n)
		for i := range ws {
			fs[i] = eventloop.NewFuture[int](l)
			ws[i] = countedFuture{fs[i], &looks}
		}
		next := 0
		var step func()
		step = func() {
			if next < n-1 {
				fs[next].SetResult(next)
			} else {
				fs[next].SetError(errA) // FirstException waits for this one
			}
			if next++; next < n {
				l.CallSoon(step)
			}
		}
		l.CallSoon(step)
		if _, _, err := task.Wait(ctx, ws, when, task.NoTimeout); err != nil {
			t.Fatal(err)
		}
		for next < n { // FirstCompleted returned early
			testkit.Yield(ctx, 1)
		}
		return float64(looks) / float64(n)
	}
	for _, when := range []task.ReturnWhen{task.AllCompleted, task.FirstCompleted, task.FirstException} {
		testkit.InTask(t, func(ctx context.Context) {
			small, large := looksPerChild(ctx, 300, when), looksPerChild(ctx, 900, when)
			if large > small+0.5 {
				t.Errorf("ReturnWhen %d: %.1f looks per child for 300 children, %.1f for 900", when, small, large)
			}
		})
	}
}

// What Wait and AsCompleted registered on the children is gone when they
// return (condition met, timeout, cancellation, early break): completing
// a child afterwards queues nothing.
func TestCombinatorsLeaveNothingRegistered(t *testing.T) {
	cases := map[string]func(ctx context.Context, ws []eventloop.Waitable){
		"Wait FirstCompleted": func(ctx context.Context, ws []eventloop.Waitable) {
			eventloop.LoopOf(ctx).CallSoon(func() { ws[2].(*eventloop.Future[int]).SetResult(2) })
			task.Wait(ctx, ws, task.FirstCompleted, task.NoTimeout)
		},
		"Wait FirstException": func(ctx context.Context, ws []eventloop.Waitable) {
			eventloop.LoopOf(ctx).CallSoon(func() { ws[1].(*eventloop.Future[int]).SetError(errA) })
			task.Wait(ctx, ws, task.FirstException, task.NoTimeout)
		},
		"Wait timeout": func(ctx context.Context, ws []eventloop.Waitable) {
			task.Wait(ctx, ws, task.AllCompleted, time.Second)
		},
		"Wait cancelled": func(ctx context.Context, ws []eventloop.Waitable) {
			task.Timeout(ctx, time.Second, func(ctx context.Context) error {
				_, _, err := task.Wait(ctx, ws, task.AllCompleted, task.NoTimeout)
				return err
			})
		},
		"AsCompleted break": func(ctx context.Context, ws []eventloop.Waitable) {
			eventloop.LoopOf(ctx).CallSoon(func() { ws[1].(*eventloop.Future[int]).SetResult(1) })
			for range task.AsCompleted(ctx, ws...) {
				break
			}
		},
		"AsCompleted cancelled": func(ctx context.Context, ws []eventloop.Waitable) {
			task.Timeout(ctx, time.Second, func(ctx context.Context) error {
				for _, err := range task.AsCompleted(ctx, ws...) {
					return err
				}
				return nil
			})
		},
	}
	for name, combine := range cases {
		t.Run(name, func(t *testing.T) {
			err := runErr(t, func(ctx context.Context) error {
				l := eventloop.LoopOf(ctx)
				ws := make([]eventloop.Waitable, 4)
				for i := range ws {
					ws[i] = eventloop.NewFuture[int](l)
				}
				combine(ctx, ws)
				for i, w := range ws {
					if w.Done() {
						continue
					}
					before := l.Stats().Ready
					w.(*eventloop.Future[int]).SetResult(i)
					if after := l.Stats().Ready; after != before {
						t.Errorf("completing child %d afterwards queued %d callbacks", i, after-before)
					}
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
		})
	}
}

// Wait reads the errors of the children only for FirstException (as
// asyncio's wait calls exception() only then): with AllCompleted and
// FirstCompleted a failed task whose error nobody reads is still
// reported by the loop.
func TestWaitTakesErrorsOnlyForFirstException(t *testing.T) {
	for _, when := range []task.ReturnWhen{task.AllCompleted, task.FirstCompleted, task.FirstException} {
		var rec recorder
		err := runErr(t, func(ctx context.Context) error {
			a := task.Go(ctx, func(ctx context.Context) error { return errA })
			_, _, err := task.Wait(ctx, []eventloop.Waitable{a}, when, task.NoTimeout)
			return err
		}, eventloop.WithExceptionHandler(rec.handler))
		if err != nil {
			t.Fatal(err)
		}
		if reported := len(rec.messages()) > 0; reported != (when != task.FirstException) {
			t.Errorf("ReturnWhen %d: unretrieved error reported: %v (%q)", when, reported, rec.messages())
		}
	}
}
