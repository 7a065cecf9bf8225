package task

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"time"

	"github.com/aio-go/aio/eventloop"
)

// TimeoutScope is an open Timeout: asyncio's Timeout object. Get it inside
// the body with TimeoutOf(ctx) to read or move the deadline.
type TimeoutScope = eventloop.DeadlineScope

// Never is a deadline that never comes; TimeoutAt(ctx, Never, fn) opens a
// scope whose deadline can be set later with Reschedule.
const Never = eventloop.Never

// Timeout runs fn with a context that is cancelled d (loop time) from now
// (asyncio.timeout); Never (or any d too large to add to now) means no
// deadline until TimeoutOf(ctx).Reschedule sets one. If the deadline passes, the awaits in fn return
// ErrTimeout; Timeout returns ErrTimeout if fn ends with that cancellation.
// Nested scopes report the right one: an inner Timeout whose own deadline
// did not pass returns fn's error unchanged, so only the scope that expired
// turns it into ErrTimeout.
//
// Cancellation: a cancellation of ctx itself (not the deadline) comes back
// as ErrCancelled, unchanged.
func Timeout(ctx context.Context, d time.Duration, fn func(ctx context.Context) error) error {
	l := eventloop.LoopOf(ctx)
	if l == nil {
		return fmt.Errorf("Timeout: %w: the context carries no loop", ErrNotInTask)
	}
	return TimeoutAt(ctx, deadlineAfter(l, d), fn)
}

// deadlineAfter returns the loop time d from now, saturated at Never so
// that a huge d (Never itself, say) means no deadline instead of wrapping
// around into the past.
func deadlineAfter(l *eventloop.Loop, d time.Duration) time.Duration {
	now := l.Time()
	if d > 0 && now > Never-d {
		return Never
	}
	return now + d
}

// ctxErr is the error an await on ctx returns once it is cancelled:
// ErrTimeout after a deadline, ErrCancelled otherwise, nil while live.
func ctxErr(ctx context.Context) error {
	switch ctx.Err() {
	case nil:
		return nil
	case context.DeadlineExceeded:
		return ErrTimeout
	default:
		return ErrCancelled
	}
}

// isNil reports whether w is nil, also a typed nil pointer (a nil *Task
// passed as a Waitable), which would panic on its first method call.
func isNil(w Waitable) bool {
	if w == nil {
		return true
	}
	v := reflect.ValueOf(w)
	return v.Kind() == reflect.Pointer && v.IsNil()
}

// TimeoutAt is Timeout with an absolute deadline in loop time
// (asyncio.timeout_at). Never opens the scope without a deadline.
func TimeoutAt(ctx context.Context, when time.Duration, fn func(ctx context.Context) error) error {
	if fn == nil {
		return errors.New("task: Timeout with a nil function")
	}
	cctx, ds, err := eventloop.WithDeadline(ctx, when)
	if err != nil {
		return err
	}
	defer ds.Close()
	return ds.Result(fn(cctx))
}

// TimeoutOf returns the innermost open Timeout scope of ctx, or nil.
func TimeoutOf(ctx context.Context) *TimeoutScope { return eventloop.DeadlineOf(ctx) }
