package task

import (
	"context"
	"errors"
	"reflect"
	"time"

	"github.com/aio-go/aio/internal/errs"

	"github.com/aio-go/aio/eventloop"
)

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
	l, lerr := eventloop.LoopOfTask(ctx)
	if lerr != nil {
		return errs.Op("task", "Timeout", lerr)
	}
	return TimeoutAt(ctx, l.Deadline(d), fn)
}

// isNil reports whether w is nil, also a typed nil pointer (a nil *Task
// passed as a Waitable), which would panic on its first method call.
func isNil(w eventloop.Waitable) bool {
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
	cctx, ds, err := eventloop.WithTimeoutAt(ctx, when)
	if err != nil {
		return err
	}
	defer ds.Close()
	return ds.Result(fn(cctx))
}
