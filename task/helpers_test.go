package task_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/aio-go/aio/eventloop"
	"github.com/aio-go/aio/internal/testkit"
	"github.com/aio-go/aio/task"
	"github.com/aio-go/aio/timer"
)

// run runs main with task.Run on a virtual clock, with the strict
// exception handler; later options override earlier ones.
func run[T any](t *testing.T, main func(ctx context.Context) (T, error), opts ...eventloop.Option) (T, error) {
	t.Helper()
	base := []eventloop.Option{
		eventloop.WithClock(timer.NewVirtual()),
		eventloop.WithExceptionHandler(testkit.StrictHandler(t)),
	}
	return task.Run(main, append(base, opts...)...)
}

// runErr is run for a main that returns only an error.
func runErr(t *testing.T, main func(ctx context.Context) error, opts ...eventloop.Option) error {
	t.Helper()
	_, err := run(t, func(ctx context.Context) (struct{}, error) { return struct{}{}, main(ctx) }, opts...)
	return err
}

// recorder collects loop exceptions instead of failing the test.
type recorder struct {
	mu   sync.Mutex
	msgs []string
	errs []error
}

func (r *recorder) handler(_ *eventloop.Loop, c eventloop.ExceptionContext) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.msgs = append(r.msgs, c.Message)
	r.errs = append(r.errs, c.Err)
}

func (r *recorder) messages() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.msgs...)
}

// trace records events in order, with the loop time when a loop is known.
type trace struct {
	mu     sync.Mutex
	events []string
}

func (tr *trace) add(format string, args ...any) {
	tr.mu.Lock()
	tr.events = append(tr.events, fmt.Sprintf(format, args...))
	tr.mu.Unlock()
}

// at records an event stamped with the loop time of ctx.
func (tr *trace) at(ctx context.Context, format string, args ...any) {
	tr.add("%v %s", eventloop.LoopOf(ctx).Time(), fmt.Sprintf(format, args...))
}

func (tr *trace) get() []string {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	return append([]string(nil), tr.events...)
}

// isCancelled reports whether err is the error of a cancelled await.
func isCancelled(err error) bool {
	return errors.Is(err, eventloop.ErrCancelled) && errors.Is(err, context.Canceled)
}

// isTimeout reports whether err is the error of a timed-out await.
func isTimeout(err error) bool {
	return errors.Is(err, eventloop.ErrTimeout) && errors.Is(err, context.DeadlineExceeded)
}

// sleeper returns a task body that sleeps d and returns v, or the sleep's
// error.
func sleeper[T any](d time.Duration, v T) func(ctx context.Context) (T, error) {
	return func(ctx context.Context) (T, error) {
		if err := eventloop.Sleep(ctx, d); err != nil {
			var zero T
			return zero, err
		}
		return v, nil
	}
}

// failer returns a task body that sleeps d and fails with err.
func failer[T any](d time.Duration, err error) func(ctx context.Context) (T, error) {
	return func(ctx context.Context) (T, error) {
		var zero T
		if e := eventloop.Sleep(ctx, d); e != nil {
			return zero, e
		}
		return zero, err
	}
}

// hangGuard fails the test if ch is not closed or does not deliver within
// a generous bound. It only guards against hangs in tests that cross
// goroutines; it never asserts a duration.
func hangGuard[T any](t *testing.T, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(10 * time.Second):
		t.Fatalf("%s: not within 10s (hang guard)", what)
		panic("unreachable")
	}
}

// newLoop returns a loop on a virtual clock with the strict exception
// handler, closed at the end of the test (a test that leaves tasks alive
// on purpose closes it itself).
func newLoop(t *testing.T, opts ...eventloop.Option) *eventloop.Loop {
	t.Helper()
	base := []eventloop.Option{
		eventloop.WithClock(timer.NewVirtual()),
		eventloop.WithExceptionHandler(testkit.StrictHandler(t)),
	}
	l, err := eventloop.New(append(base, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := l.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return l
}
