package streams_test

import (
	"context"
	"errors"
	"testing"

	"github.com/aio-go/aio/eventloop"
	"github.com/aio-go/aio/task"
	"github.com/aio-go/aio/timer"
	"github.com/google/go-cmp/cmp"
)

// Tests run their scenario as the main task of a loop on a virtual clock
// (task.Run), with an exception handler that fails the test on anything
// the loop could not deliver. Task bodies report with t.Errorf and return.

func strictHandler(t *testing.T) eventloop.ExceptionHandler {
	return func(_ *eventloop.Loop, c eventloop.ExceptionContext) {
		t.Errorf("unexpected loop exception: %s: %v (task %q)", c.Message, c.Err, c.Task)
	}
}

func run(t *testing.T, main func(ctx context.Context) error) {
	t.Helper()
	_, err := task.Run(func(ctx context.Context) (struct{}, error) {
		return struct{}{}, main(ctx)
	}, eventloop.WithClock(timer.NewVirtual()), eventloop.WithExceptionHandler(strictHandler(t)))
	if err != nil {
		t.Fatalf("main task: %v", err)
	}
}

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

func want[T any](t *testing.T, what string, got, want T) bool {
	t.Helper()
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("%s: (-want +got)\n%s", what, d)
		return false
	}
	return true
}

func noErr(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Errorf("unexpected error: %v", err)
	}
}

// awaitTask waits for tk and returns its error (or the await's).
func awaitTask(ctx context.Context, tk *task.Task[struct{}]) error {
	_, err := task.Await(ctx, tk)
	return err
}
