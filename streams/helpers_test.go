package streams_test

import (
	"context"
	"testing"

	"github.com/aio-go/aio/eventloop"

	"github.com/aio-go/aio/internal/testkit"
)

// Tests run their scenario as the main task of a loop on a virtual clock
// (task.Run), with an exception handler that fails the test on anything
// the loop could not deliver. Task bodies report with t.Errorf and return.

// run runs main on a virtual-clock loop whose exception handler fails the
// test (testkit.Run).
func run(t *testing.T, main func(ctx context.Context) error) {
	t.Helper()
	testkit.Run(t, main, loopOpts...)
}

// loopOpts are extra options for the loops run builds; a test that needs
// another kind of loop for the whole suite sets them (tests here are not
// parallel) and resets them when it ends.
var loopOpts []eventloop.Option

// want fails the test (without stopping it) when got differs from want.
func want[T any](t *testing.T, what string, got, want T) bool {
	t.Helper()
	return testkit.Want(t, what, got, want)
}

var (
	yield       = testkit.Yield
	isCancelled = testkit.IsCancelled
)

func noErr(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Errorf("unexpected error: %v", err)
	}
}

// awaitTask waits for tk and returns its error (or the await's).
func awaitTask(ctx context.Context, tk *eventloop.Task[struct{}]) error {
	_, err := eventloop.Await(ctx, tk)
	return err
}
