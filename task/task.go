package task

import (
	"context"
	"errors"
	"os"
	"os/signal"

	"github.com/aio-go/aio/eventloop"
	"github.com/aio-go/aio/internal/errs"
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
//
// Ctrl-C is handled as asyncio.run does since Python 3.11: the first
// SIGINT cancels main (its awaits return ErrCancelled, its deferred
// cleanups run), and if main ends with that cancellation Run returns
// ErrInterrupted, which matches context.Canceled; a main that handles the
// cancellation and returns normally has its result returned. The first
// SIGINT also gives the signal back its default treatment, so a second
// one, while main is still cleaning up, ends the process. Nothing is
// installed when SIGINT is ignored; main may install its own handler
// with Loop.AddSignalHandler(os.Interrupt, fn), which replaces Run's.
//
// Called from a task or a callback of a running loop,
// it returns eventloop.ErrNestedLoop at once and main never runs (asyncio:
// "asyncio.run() cannot be called from a running event loop").
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
	var interrupted bool
	catchInterrupt(l, t, &interrupted)
	runErr := l.RunUntilComplete(t)
	if errors.Is(runErr, eventloop.ErrNestedLoop) {
		// Called from a task or callback of a running loop: main never
		// ran, and the new loop has nothing else to unwind.
		l.Close()
		return zero, errs.Op("task", "Run", eventloop.ErrNestedLoop)
	}
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
	v, err := t.Result()
	if interrupted && err != nil && errors.Is(err, context.Canceled) {
		if t.Cancelled() {
			return zero, ErrInterrupted
		}
		return v, errors.Join(err, ErrInterrupted) // failed while cleaning up
	}
	return v, err
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

// ErrInterrupted is the error of Run and Main when a SIGINT (Ctrl-C)
// cancelled the main task and main ended with that cancellation (asyncio
// raises KeyboardInterrupt there). It matches context.Canceled and
// eventloop.ErrCancelled too, so code that treats a cancellation as a
// clean stop still does.
var ErrInterrupted error = interruptedError{}

type interruptedError struct{}

func (interruptedError) Error() string { return "task: interrupted by SIGINT" }
func (interruptedError) Is(target error) bool {
	return target == context.Canceled || target == eventloop.ErrCancelled
}

// catchInterrupt makes the first SIGINT cancel main, as asyncio.run does
// since Python 3.11; *hit records that it came. The handler removes itself
// when it runs, so a second SIGINT gets the signal's default treatment
// (the process ends) unless something else in the program still listens.
// Nothing is installed when SIGINT is ignored (a program started in the
// background, or under nohup), as asyncio installs nothing when the
// handler is not Python's default one. main may replace the handler with
// its own (Loop.AddSignalHandler(os.Interrupt, ...)).
func catchInterrupt(l *eventloop.Loop, main eventloop.TaskInfo, hit *bool) {
	if signal.Ignored(os.Interrupt) {
		return
	}
	l.AddSignalHandler(os.Interrupt, func() {
		*hit = true
		l.RemoveSignalHandler(os.Interrupt)
		main.Cancel()
	})
}
