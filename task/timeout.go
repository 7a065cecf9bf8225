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
	return TimeoutAt(ctx, l.Deadline(d), fn)
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
