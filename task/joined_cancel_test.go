package task_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/aio-go/aio/eventloop"
	"github.com/aio-go/aio/task"
)

// An error joined with a cancellation is not a cancellation: a child that
// fails while it cleans up after a cancellation is a failure, and every
// scope above it (Timeout, WaitFor, an outer group, Run) returns it.

var errCleanup = errors.New("cleanup failed")

// failingCleanup is a child that waits until cancelled, then fails.
func failingCleanup(ctx context.Context) error {
	err := eventloop.Sleep(ctx, time.Hour)
	return errors.Join(errCleanup, err)
}

func TestIsOnlyCancellation(t *testing.T) {
	wrapped := errors.New("x")
	for _, c := range []struct {
		err  error
		want bool
	}{
		{nil, false},
		{eventloop.ErrCancelled, true},
		{eventloop.ErrTimeout, true},
		{context.Canceled, true},
		{context.DeadlineExceeded, true},
		{errors.Join(eventloop.ErrCancelled, eventloop.ErrTimeout), true},
		{errors.Join(nil, eventloop.ErrCancelled), true},
		{errors.Join(errCleanup, eventloop.ErrCancelled), false},
		{errors.Join(eventloop.ErrTimeout, errors.Join(eventloop.ErrCancelled, errCleanup)), false},
		{wrapErr{eventloop.ErrCancelled}, true},
		{wrapErr{errors.Join(eventloop.ErrCancelled, wrapped)}, false},
		{errCleanup, false},
	} {
		if got := eventloop.IsOnlyCancellation(c.err); got != c.want {
			t.Errorf("IsOnlyCancellation(%q) = %v, want %v", c.err, got, c.want)
		}
	}
}

type wrapErr struct{ err error }

func (w wrapErr) Error() string { return "wrapped: " + w.err.Error() }
func (w wrapErr) Unwrap() error { return w.err }

// Timeout around a group whose child fails during its cleanup returns the
// failure, and still says it timed out.
func TestTimeoutKeepsFailureOfGroupCleanup(t *testing.T) {
	err := runErr(t, func(ctx context.Context) error {
		return task.Timeout(ctx, time.Second, func(ctx context.Context) error {
			return task.Group(ctx, func(ctx context.Context, g *task.TaskGroup) error {
				g.Go(failingCleanup)
				return nil
			})
		})
	})
	if !errors.Is(err, errCleanup) || !errors.Is(err, eventloop.ErrTimeout) {
		t.Fatalf("Timeout = %v, want the cleanup failure and ErrTimeout", err)
	}
}

// The inner group's failure, during a cleanup that an outer group's
// cancellation caused, reaches the outer group's result.
func TestNestedGroupsKeepInnerCleanupFailure(t *testing.T) {
	errSibling := errors.New("sibling failed")
	err := runErr(t, func(ctx context.Context) error {
		return task.Group(ctx, func(ctx context.Context, outer *task.TaskGroup) error {
			outer.Go(func(ctx context.Context) error {
				return task.Group(ctx, func(ctx context.Context, inner *task.TaskGroup) error {
					inner.Go(failingCleanup)
					return nil
				})
			})
			outer.Go(func(ctx context.Context) error {
				eventloop.Sleep(ctx, time.Second)
				return errSibling
			})
			return nil
		})
	})
	if !errors.Is(err, errCleanup) || !errors.Is(err, errSibling) {
		t.Fatalf("Group = %v, want both failures", err)
	}
}

// The same under an external cancel of the task that owns both groups:
// the result is the failure and the cancellation.
func TestNestedGroupsExternalCancelKeepsFailure(t *testing.T) {
	err := runErr(t, func(ctx context.Context) error {
		owner := task.Go(ctx, func(ctx context.Context) error {
			return task.Group(ctx, func(ctx context.Context, outer *task.TaskGroup) error {
				outer.Go(func(ctx context.Context) error {
					return task.Group(ctx, func(ctx context.Context, inner *task.TaskGroup) error {
						inner.Go(failingCleanup)
						return nil
					})
				})
				return nil
			})
		})
		eventloop.Sleep(ctx, time.Second)
		owner.Cancel()
		err := eventloop.WaitDone(ctx, owner)
		if err != nil {
			return err
		}
		if owner.Cancelled() {
			t.Errorf("owner.Cancelled() = true for a task that failed during cleanup")
		}
		return owner.Err()
	})
	if !errors.Is(err, errCleanup) || !errors.Is(err, eventloop.ErrCancelled) {
		t.Fatalf("owner = %v, want the cleanup failure and ErrCancelled", err)
	}
}

// WaitFor: the awaited task fails while it cleans up after the timeout's
// cancellation: WaitFor returns that failure, with ErrTimeout.
func TestWaitForKeepsFailureOfCleanup(t *testing.T) {
	err := runErr(t, func(ctx context.Context) error {
		a := task.Go(ctx, func(ctx context.Context) error {
			return task.Group(ctx, func(ctx context.Context, g *task.TaskGroup) error {
				g.Go(failingCleanup)
				return nil
			})
		})
		_, err := task.WaitFor(ctx, time.Second, a)
		return err
	})
	if !errors.Is(err, errCleanup) || !errors.Is(err, eventloop.ErrTimeout) {
		t.Fatalf("WaitFor = %v, want the cleanup failure and ErrTimeout", err)
	}
}

// Run: a leftover task that fails while Run cancels it is reported to the
// exception handler, not taken for a clean cancellation.
func TestRunReportsLeftoverCleanupFailure(t *testing.T) {
	var rec recorder
	_, err := run(t, func(ctx context.Context) (int, error) {
		task.Go(ctx, failingCleanup, eventloop.WithName("leftover"))
		eventloop.Sleep(ctx, time.Second)
		return 1, nil
	}, eventloop.WithExceptionHandler(rec.handler))
	if err != nil {
		t.Errorf("Run: %v", err)
	}
	if len(rec.errs) != 1 || !errors.Is(rec.errs[0], errCleanup) {
		t.Errorf("reports = %q %v, want one report of the cleanup failure", rec.messages(), rec.errs)
	}
}
