package task_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/aio-go/aio/eventloop"
	"github.com/aio-go/aio/task"
)

// block awaits a future nobody completes: it returns only when ctx is
// cancelled. Unlike a long Sleep it sets no timer, so a virtual clock does
// not jump past it while a cancellation from another goroutine is on its
// way.
func block(ctx context.Context) error {
	_, err := eventloop.Await(ctx, eventloop.Awaitable[int](eventloop.NewFuture[int](eventloop.LoopOf(ctx))))
	return err
}

func blockInt(ctx context.Context) (int, error) { return 0, block(ctx) }

// awaitPoints is every await of package task, each made to wait until its
// ctx is cancelled. timers marks those that set a timer of their own.
var awaitPoints = []struct {
	name   string
	timers bool
	await  func(ctx context.Context, release <-chan struct{}) error
}{
	{"Sleep", true, func(ctx context.Context, _ <-chan struct{}) error { return eventloop.Sleep(ctx, 10*time.Hour) }},
	{"AwaitTask", false, func(ctx context.Context, _ <-chan struct{}) error {
		_, err := eventloop.Await(ctx, eventloop.Spawn(context.WithoutCancel(ctx), blockInt))
		return err
	}},
	{"AwaitFuture", false, func(ctx context.Context, _ <-chan struct{}) error { return block(ctx) }},
	{"Gather", false, func(ctx context.Context, _ <-chan struct{}) error {
		return task.Gather(ctx, eventloop.Spawn(ctx, blockInt))
	}},
	{"GatherAll", false, func(ctx context.Context, _ <-chan struct{}) error {
		_, err := task.GatherAll(ctx, eventloop.Spawn(ctx, blockInt))
		return err
	}},
	{"GatherResults", false, func(ctx context.Context, _ <-chan struct{}) error {
		_, err := task.GatherResults(ctx, eventloop.Spawn(ctx, blockInt))
		return err
	}},
	{"Wait", false, func(ctx context.Context, _ <-chan struct{}) error {
		_, _, err := task.Wait(ctx, []eventloop.Waitable{eventloop.Spawn(eventloop.LoopOf(ctx).Context(), blockInt)}, task.AllCompleted, task.NoTimeout)
		return err
	}},
	{"WaitFor", true, func(ctx context.Context, _ <-chan struct{}) error {
		_, err := task.WaitFor(ctx, 10*time.Hour, eventloop.Spawn(ctx, blockInt))
		return err
	}},
	{"Shield", false, func(ctx context.Context, _ <-chan struct{}) error {
		_, err := task.Shield(ctx, eventloop.Spawn(eventloop.LoopOf(ctx).Context(), blockInt))
		return err
	}},
	{"AsCompleted", false, func(ctx context.Context, _ <-chan struct{}) error {
		for _, err := range task.AsCompleted(ctx, eventloop.Spawn(eventloop.LoopOf(ctx).Context(), blockInt)) {
			return err
		}
		return fmt.Errorf("AsCompleted yielded nothing")
	}},
	{"Group", false, func(ctx context.Context, _ <-chan struct{}) error {
		return task.Group(ctx, func(ctx context.Context, g *task.TaskGroup) error {
			g.Go(block)
			return nil
		})
	}},
	{"TaskGroupWait", false, func(ctx context.Context, _ <-chan struct{}) error {
		g := task.NewTaskGroup(ctx)
		g.Go(block)
		return g.Wait()
	}},
	{"ToThread", false, func(ctx context.Context, release <-chan struct{}) error {
		_, err := task.ToThread(ctx, func(context.Context) (int, error) { <-release; return 0, nil })
		return err
	}},
	{"TimeoutBody", true, func(ctx context.Context, _ <-chan struct{}) error {
		return task.Timeout(ctx, 10*time.Hour, func(ctx context.Context) error { return eventloop.Sleep(ctx, 20*time.Hour) })
	}},
}

// docs/design.md D4: every await on a cancelled ctx returns an error matching
// ErrCancelled and context.Canceled; in an expired Timeout scope,
// ErrTimeout and context.DeadlineExceeded. Three ways to cancel: the
// task's Cancel, a standard-library context.WithCancel layer cancelled
// from another goroutine, and a Timeout around the await.
func TestCancellationAtEveryAwaitPoint(t *testing.T) {
	modes := []struct {
		name  string
		check func(error) bool
		await func(ctx context.Context, await func(ctx context.Context) error) error
	}{
		{"TaskCancel", isCancelled, func(ctx context.Context, await func(ctx context.Context) error) error {
			w := task.Go(ctx, await)
			eventloop.Sleep(ctx, time.Minute)
			w.Cancel()
			_, err := eventloop.Await(ctx, w)
			return err
		}},
		{"StdlibCtxCancelledFromGoroutine", isCancelled, func(ctx context.Context, await func(ctx context.Context) error) error {
			dctx, cancel := context.WithCancel(ctx)
			done := make(chan struct{})
			go func() { cancel(); close(done) }()
			defer func() { <-done }()
			return await(dctx)
		}},
		{"Timeout", isTimeout, func(ctx context.Context, await func(ctx context.Context) error) error {
			return task.Timeout(ctx, time.Minute, await)
		}},
	}
	for _, mode := range modes {
		for _, ap := range awaitPoints {
			if ap.timers && mode.name == "StdlibCtxCancelledFromGoroutine" {
				continue // the virtual clock would reach the await's own timer first
			}
			t.Run(mode.name+"/"+ap.name, func(t *testing.T) {
				release := make(chan struct{})
				var err error
				runErr(t, func(ctx context.Context) error {
					err = mode.await(ctx, func(ctx context.Context) error { return ap.await(ctx, release) })
					close(release)
					return nil
				})
				if !mode.check(err) {
					t.Errorf("%s returned %v", ap.name, err)
				}
			})
		}
	}
}
