package task

import (
	"context"
	"errors"

	"github.com/aio-go/aio/eventloop"
)

// Go is Spawn for a body that returns only an error.
func Go(ctx context.Context, fn func(context.Context) error, opts ...eventloop.TaskOption) *eventloop.Task[struct{}] {
	if fn == nil {
		return eventloop.Spawn[struct{}](ctx, nil, opts...)
	}
	return eventloop.Spawn(ctx, func(ctx context.Context) (struct{}, error) {
		return struct{}{}, fn(ctx)
	}, opts...)
}

// Run builds a new loop, runs main as its first task until it returns,
// then cancels every task still alive and waits for them, shuts the
// default executor down (waiting for its jobs), and closes the loop
// (asyncio.run). It returns main's result. Errors of the cancelled
// leftovers, and anything else still alive at close, go to the loop's
// exception handler.
func Run[T any](main func(ctx context.Context) (T, error), opts ...eventloop.Option) (T, error) {
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

// Main is Run for a main that returns only an error, the usual shape of
// a program's main task: task.Main(func(ctx context.Context) error { ... }).
func Main(main func(ctx context.Context) error, opts ...eventloop.Option) error {
	if main == nil {
		return errors.New("task: Main with a nil main")
	}
	_, err := Run(func(ctx context.Context) (struct{}, error) { return struct{}{}, main(ctx) }, opts...)
	return err
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
