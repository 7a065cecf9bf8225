package task

import (
	"context"
	"errors"
	"time"

	"github.com/aio-go/aio/eventloop"
)

// Task, futures and errors come from package eventloop; these aliases let
// application code import only task.
type (
	// Task is a function running as a coroutine on a loop.
	Task[T any] = eventloop.Task[T]
	// Future is a single-assignment result bound to a loop.
	Future[T any] = eventloop.Future[T]
	// Waitable is a task or future seen without its result type.
	Waitable = eventloop.Waitable
	// Awaitable is a task or future with a typed result.
	Awaitable[T any] = eventloop.Awaitable[T]
	// TaskInfo is a task seen without its result type.
	TaskInfo = eventloop.TaskInfo
	// Option configures the loop Run builds.
	Option = eventloop.Option
	// TaskOption configures Spawn.
	TaskOption = eventloop.TaskOption
)

// Errors, re-exported from eventloop.
var (
	ErrCancelled    = eventloop.ErrCancelled
	ErrTimeout      = eventloop.ErrTimeout
	ErrClosed       = eventloop.ErrClosed
	ErrInvalidState = eventloop.ErrInvalidState
	ErrNotInTask    = eventloop.ErrNotInTask
)

// WithName names a task.
func WithName(name string) TaskOption { return eventloop.WithName(name) }

// Spawn starts fn as a new task on ctx's loop (asyncio.create_task). See
// eventloop.Spawn: the task's ctx derives from ctx, so cancelling ctx
// cancels it; Spawn never panics, a task that could not start is returned
// already done with the reason.
func Spawn[T any](ctx context.Context, fn func(context.Context) (T, error), opts ...TaskOption) *Task[T] {
	return eventloop.Spawn(ctx, fn, opts...)
}

// Go is Spawn for a body that returns only an error.
func Go(ctx context.Context, fn func(context.Context) error, opts ...TaskOption) *Task[struct{}] {
	if fn == nil {
		return eventloop.Spawn[struct{}](ctx, nil, opts...)
	}
	return eventloop.Spawn(ctx, func(ctx context.Context) (struct{}, error) {
		return struct{}{}, fn(ctx)
	}, opts...)
}

// Await waits for a task or future and returns its result.
//
// Cancellation: if ctx is cancelled first, Await cancels a (use Shield to
// prevent that), waits until a is done so that a task's cleanup has run,
// and returns ErrCancelled (ErrTimeout in an expired Timeout scope).
func Await[T any](ctx context.Context, a Awaitable[T]) (T, error) {
	return eventloop.Await(ctx, a)
}

// Sleep suspends the calling task for d of loop time; Sleep(ctx, 0) yields
// for exactly one loop iteration (asyncio.sleep).
//
// Cancellation: returns ErrCancelled (or ErrTimeout) as soon as ctx is
// cancelled; nothing else is lost.
func Sleep(ctx context.Context, d time.Duration) error { return eventloop.Sleep(ctx, d) }

// CurrentTask returns the running task ctx belongs to, or nil
// (asyncio.current_task).
func CurrentTask(ctx context.Context) TaskInfo { return eventloop.CurrentTask(ctx) }

// AllTasks returns the tasks of ctx's loop that are not done, oldest first
// (asyncio.all_tasks). Loop goroutine or a running task only.
func AllTasks(ctx context.Context) []TaskInfo {
	l := eventloop.LoopOf(ctx)
	if l == nil {
		return nil
	}
	return l.AllTasks()
}

// Loop returns the loop ctx belongs to, or nil (asyncio.get_running_loop).
func Loop(ctx context.Context) *eventloop.Loop { return eventloop.LoopOf(ctx) }

// Run builds a new loop, runs main as its first task until it returns,
// then cancels every task still alive and waits for them, shuts the
// default executor down (waiting for its jobs), and closes the loop
// (asyncio.run). It returns main's result. Errors of the cancelled
// leftovers, and anything else still alive at close, go to the loop's
// exception handler.
func Run[T any](main func(ctx context.Context) (T, error), opts ...Option) (T, error) {
	var zero T
	if main == nil {
		return zero, errors.New("task: Run with a nil main")
	}
	l, err := eventloop.New(opts...)
	if err != nil {
		return zero, err
	}
	t := eventloop.Spawn(l.Context(), main, eventloop.WithName("main"))
	runErr := l.RunUntilComplete(t)
	cancelAll(l)
	if f := l.ShutdownDefaultExecutor(); !f.Done() {
		l.RunUntilComplete(f)
	}
	if err := l.Close(); err != nil {
		l.CallExceptionHandler(eventloop.ExceptionContext{Message: "Run: loop closed with live resources", Err: err})
	}
	if !t.Done() {
		return zero, runErr
	}
	return t.Result()
}

// cancelAll cancels every live task and runs the loop until they are done,
// reporting the errors (other than cancellation) they end with.
func cancelAll(l *eventloop.Loop) {
	for round := 0; round < 100; round++ {
		rest := l.AllTasks()
		if len(rest) == 0 {
			return
		}
		all := &countdown{fut: eventloop.NewFuture[struct{}](l), left: len(rest)}
		for _, t := range rest {
			t.Cancel()
			eventloop.Watch(t, all)
		}
		l.RunUntilComplete(all.fut)
		for _, t := range rest {
			if err := t.Err(); err != nil && !t.Cancelled() {
				l.CallExceptionHandler(eventloop.ExceptionContext{
					Message: "unhandled error during Run shutdown", Err: err, Task: t.Name(),
				})
			}
		}
	}
}
