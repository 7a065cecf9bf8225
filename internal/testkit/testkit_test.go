package testkit

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/aio-go/aio/eventloop"
	"github.com/aio-go/aio/timer"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// recorder is a testing.TB that keeps what the helpers report.
type recorder struct {
	testing.TB
	errs []string
}

func (r *recorder) Helper() {}
func (r *recorder) Errorf(format string, args ...any) {
	r.errs = append(r.errs, fmt.Sprintf(format, args...))
}

func TestWant(t *testing.T) {
	r := &recorder{TB: t}
	if !Want(r, "same", []int{1, 2}, []int{1, 2}) || len(r.errs) != 0 {
		t.Errorf("equal values: reports %q", r.errs)
	}
	if Want(r, "differs", 1, 2) || len(r.errs) != 1 {
		t.Errorf("different values: reports %q, want one", r.errs)
	}
}

func TestRunIsStrictAndVirtual(t *testing.T) {
	r := &recorder{TB: t}
	var yielded error
	Run(r, func(ctx context.Context) error {
		start := eventloop.LoopOf(ctx).Time()
		if err := eventloop.Sleep(ctx, 3600e9); err != nil { // an hour of virtual time
			return err
		}
		if d := eventloop.LoopOf(ctx).Time() - start; d < 3600e9 {
			return fmt.Errorf("slept %v of loop time", d)
		}
		yielded = Yield(ctx, 3)
		// An error nobody retrieves: StrictHandler must report it.
		eventloop.Spawn(ctx, func(ctx context.Context) (int, error) { return 0, errors.New("lost") })
		return Yield(ctx, 2)
	})
	if yielded != nil {
		t.Errorf("Yield: %v", yielded)
	}
	if len(r.errs) != 1 {
		t.Errorf("reports %q, want the one unretrieved task error", r.errs)
	}
}

func TestErrorKinds(t *testing.T) {
	cancelled := fmt.Errorf("x: %w", eventloop.ErrCancelled)
	timeout := fmt.Errorf("x: %w", eventloop.ErrTimeout)
	if !IsCancelled(cancelled) || IsCancelled(timeout) || IsCancelled(context.Canceled) {
		t.Error("IsCancelled")
	}
	if !IsTimeout(timeout) || IsTimeout(cancelled) {
		t.Error("IsTimeout")
	}
}

// InTask runs its body once, inside a task, on a loop with the real clock.
func TestInTask(t *testing.T) {
	runs := 0
	InTask(t, func(ctx context.Context) {
		runs++
		if eventloop.CurrentTask(ctx) == nil {
			t.Error("InTask body does not run in a task")
		}
		if _, virtual := eventloop.LoopOf(ctx).Clock().(*timer.Virtual); virtual {
			t.Error("InTask loop has a virtual clock, want the real one")
		}
	})
	if runs != 1 {
		t.Errorf("body ran %d times, want 1", runs)
	}
}
