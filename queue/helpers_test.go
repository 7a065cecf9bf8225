package queue_test

import (
	"context"
	"errors"
	"testing"

	"github.com/aio-go/aio/eventloop"
	"github.com/aio-go/aio/queue"
	"github.com/aio-go/aio/task"
	"github.com/aio-go/aio/timer"
	"github.com/google/go-cmp/cmp"
)

// Tests run their scenario as the main task of a loop on a virtual clock
// (task.Run), with an exception handler that fails the test on anything
// the loop could not deliver. Task bodies never call t.Fatal (they run on
// coroutine goroutines); they report with t.Errorf and return.

func strictHandler(t *testing.T) eventloop.ExceptionHandler {
	return func(_ *eventloop.Loop, c eventloop.ExceptionContext) {
		t.Errorf("unexpected loop exception: %s: %v (task %q)", c.Message, c.Err, c.Task)
	}
}

// run runs main as the main task of a fresh virtual-clock loop and fails
// the test if it returns an error.
func run(t *testing.T, main func(ctx context.Context) error) {
	t.Helper()
	_, err := task.Run(func(ctx context.Context) (struct{}, error) {
		return struct{}{}, main(ctx)
	}, eventloop.WithClock(timer.NewVirtual()), eventloop.WithExceptionHandler(strictHandler(t)))
	if err != nil {
		t.Fatalf("main task: %v", err)
	}
}

// yield lets the loop run n iterations (asyncio.sleep(0), n times).
func yield(ctx context.Context, n int) error {
	for range n {
		if err := task.Sleep(ctx, 0); err != nil {
			return err
		}
	}
	return nil
}

func isCancelled(err error) bool {
	return errors.Is(err, eventloop.ErrCancelled) && errors.Is(err, context.Canceled)
}

// want fails the test (without stopping it) when got differs from want.
func want[T any](t *testing.T, what string, got, want T) bool {
	t.Helper()
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("%s: (-want +got)\n%s", what, d)
		return false
	}
	return true
}

// anyQueue is what all three queue types offer, for tests that run against
// each of them.
type anyQueue[T any] interface {
	Put(ctx context.Context, v T) error
	PutNowait(v T) error
	Get(ctx context.Context) (T, error)
	GetNowait() (T, error)
	Qsize() int
	Empty() bool
	Full() bool
	Maxsize() int
	TaskDone() error
	Join(ctx context.Context) error
	Shutdown(immediate bool)
	IsShutdown() bool
	Stats() queue.Stats
	String() string
}

// kinds builds each queue type with a given maxsize.
var kinds = []struct {
	name string
	make func(maxsize int) anyQueue[int]
}{
	{"Queue", func(n int) anyQueue[int] { return queue.NewQueue[int](n) }},
	{"LifoQueue", func(n int) anyQueue[int] { return queue.NewLifoQueue[int](n) }},
	{"PriorityQueue", func(n int) anyQueue[int] { return queue.NewPriorityQueue[int](n) }},
}

// forEachKind runs test once per queue type.
func forEachKind(t *testing.T, test func(t *testing.T, newQ func(maxsize int) anyQueue[int])) {
	for _, k := range kinds {
		t.Run(k.name, func(t *testing.T) { test(t, k.make) })
	}
}

func spawnGet[T any](ctx context.Context, q anyQueue[T]) *task.Task[T] { return task.Spawn(ctx, q.Get) }

func spawnPut[T any](ctx context.Context, q anyQueue[T], v T) *task.Task[struct{}] {
	return task.Go(ctx, func(ctx context.Context) error { return q.Put(ctx, v) })
}
