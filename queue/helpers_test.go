package queue_test

import (
	"context"
	"testing"

	"github.com/aio-go/aio/eventloop"

	"github.com/aio-go/aio/internal/testkit"
	"github.com/aio-go/aio/queue"
	"github.com/aio-go/aio/task"
)

// Tests run their scenario as the main task of a loop on a virtual clock
// (task.Run), with an exception handler that fails the test on anything
// the loop could not deliver. Task bodies never call t.Fatal (they run on
// coroutine goroutines); they report with t.Errorf and return.

// run runs main on a virtual-clock loop whose exception handler fails the
// test (testkit.Run).
func run(t *testing.T, main func(ctx context.Context) error) {
	t.Helper()
	testkit.Run(t, main)
}

// want fails the test (without stopping it) when got differs from want.
func want[T any](t *testing.T, what string, got, want T) bool {
	t.Helper()
	return testkit.Want(t, what, got, want)
}

var (
	yield       = testkit.Yield
	isCancelled = testkit.IsCancelled
)

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

func spawnGet[T any](ctx context.Context, q anyQueue[T]) *eventloop.Task[T] {
	return eventloop.Spawn(ctx, q.Get)
}

func spawnPut[T any](ctx context.Context, q anyQueue[T], v T) *eventloop.Task[struct{}] {
	return task.Go(ctx, func(ctx context.Context) error { return q.Put(ctx, v) })
}
