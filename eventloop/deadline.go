package eventloop

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/aio-go/aio/internal/errs"

	"github.com/aio-go/aio/timer"
)

// Never is a deadline that never comes: TimeoutScope.Reschedule(Never)
// removes the deadline (asyncio's reschedule(None)).
const Never time.Duration = math.MaxInt64

// TimeoutScope is a cancellation scope with a deadline on the loop's
// clock: asyncio's Timeout. When the deadline passes, the scope's context
// is cancelled with context.DeadlineExceeded, so every await under it
// returns ErrTimeout. The deadline can be moved while the scope is open.
// Loop goroutine (or running task) only.
type TimeoutScope struct {
	sc      *scope
	timer   TimerHandle
	soon    Handle // expiry queued with CallSoon when the deadline was already due
	when    time.Duration
	expired bool
	closed  bool
}

type deadlineKey struct{}

// deadlineCtx makes the scope findable through Value.
type deadlineCtx struct {
	*scope
	ds *TimeoutScope
}

func (c deadlineCtx) Value(key any) any {
	if key == (deadlineKey{}) {
		return c.ds
	}
	return c.scope.Value(key)
}

// WithTimeoutAt opens a deadline scope under parent, which must carry a
// loop (a task's context). when is in loop time (see Loop.Time); Never
// means no deadline yet. Close the scope when its work is done.
func WithTimeoutAt(parent context.Context, when time.Duration) (context.Context, *TimeoutScope, error) {
	up := scopeOf(parent)
	if up == nil {
		return nil, nil, errs.Op("eventloop", "WithTimeoutAt", fmt.Errorf("%w: the context carries no loop", ErrNotInTask))
	}
	if err := up.loop.check("WithTimeoutAt"); err != nil {
		return nil, nil, err
	}
	ds := &TimeoutScope{sc: &scope{}, when: Never}
	ds.sc.init(up.loop, up.task, parent)
	if err := ds.Reschedule(when); err != nil {
		ds.Close()
		return nil, nil, err
	}
	return deadlineCtx{ds.sc, ds}, ds, nil
}

// TimeoutOf returns the innermost deadline scope ctx is under, or nil.
func TimeoutOf(ctx context.Context) *TimeoutScope {
	ds, _ := ctx.Value(deadlineKey{}).(*TimeoutScope)
	return ds
}

// When returns the deadline in loop time (Never when there is none).
func (d *TimeoutScope) When() time.Duration { return d.when }

// Expired reports whether the deadline passed while the scope was open.
func (d *TimeoutScope) Expired() bool { return d.expired }

// Reschedule moves the deadline to when (loop time; Never removes it). A
// deadline already past expires the scope on the loop's next iteration.
// It fails with ErrInvalidState once the scope expired or was closed.
func (d *TimeoutScope) Reschedule(when time.Duration) error {
	if d.closed || d.expired {
		return errs.Op("eventloop", "Reschedule", fmt.Errorf("%w: the timeout scope has expired or is closed", ErrInvalidState))
	}
	l := d.sc.loop
	d.stopTimer()
	d.when = when
	// The wall-clock deadline Go libraries see: the earlier of the
	// parent's and ours. A virtual clock has no wall-clock deadline.
	e := d.sc.getExt()
	e.mu.Lock()
	e.deadline, e.hasDeadline = d.sc.parent.Deadline()
	if _, real := l.clock.(*timer.Real); real && when != Never {
		wall := time.Now().Add(when - l.clock.Now())
		if !e.hasDeadline || wall.Before(e.deadline) {
			e.deadline, e.hasDeadline = wall, true
		}
	}
	e.mu.Unlock()
	if when == Never {
		return nil
	}
	if when <= l.clock.Now() {
		// Already due: expire through the ready queue, as asyncio does, so
		// the expiry comes before wake-ups the task queues after this.
		h, err := l.CallSoon(d.expire)
		if err != nil {
			return err
		}
		d.soon = h
		return nil
	}
	d.timer = l.pushTimer(when, d.expire)
	return nil
}

func (d *TimeoutScope) stopTimer() {
	d.timer.Cancel()
	d.timer = TimerHandle{}
	d.soon.Cancel()
	d.soon = Handle{}
}

func (d *TimeoutScope) expire() {
	if d.closed || d.expired {
		return
	}
	d.expired = true
	d.timer, d.soon = TimerHandle{}, Handle{}
	d.sc.cancel(context.DeadlineExceeded)
}

// Close ends the scope: the timer is dropped and the scope leaves the
// tree. Idempotent.
func (d *TimeoutScope) Close() {
	if d.closed {
		return
	}
	d.closed = true
	d.stopTimer()
	d.sc.release()
}

// Result turns the error the scope's work returned into the scope's
// outcome, as asyncio's Timeout.__aexit__ does. If this scope's deadline
// expired and err is only a cancellation (IsOnlyCancellation), the result
// is ErrTimeout. If err joins failures with a cancellation (work that
// failed while it cleaned up), the failures are kept and the cancellation
// among them becomes ErrTimeout, so that the result matches both. Otherwise
// err is returned unchanged: an outer scope's timeout passes through an
// inner scope untouched, so nested scopes report the right one.
func (d *TimeoutScope) Result(err error) error {
	if !d.expired || err == nil {
		return err
	}
	if IsOnlyCancellation(err) {
		return ErrTimeout
	}
	if !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded) {
		return err // no cancellation in it: a failure of its own
	}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var kept []error
		for _, e := range j.Unwrap() {
			if e != nil && !IsOnlyCancellation(e) {
				kept = append(kept, e)
			}
		}
		return errors.Join(append(kept, ErrTimeout)...)
	}
	if errors.Is(err, ErrTimeout) {
		return err
	}
	return errors.Join(err, ErrTimeout)
}
