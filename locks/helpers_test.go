package locks_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/aio-go/aio/eventloop"

	"github.com/aio-go/aio/internal/testkit"
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
	isTimeout   = testkit.IsTimeout
)

// log collects what tasks did, in order.
type log []string

func (l *log) add(format string, args ...any) { *l = append(*l, fmt.Sprintf(format, args...)) }

// spawn starts fn as a task and returns it.
func spawn(ctx context.Context, name string, fn func(ctx context.Context) error) *eventloop.Task[struct{}] {
	return task.Go(ctx, fn, eventloop.WithName(name))
}
