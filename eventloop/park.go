package eventloop

import (
	"context"
	"time"

	"github.com/aio-go/aio/internal/errs"
)

// Parker lets a library build its own awaits (a lock, a queue, a stream
// read) on the loop's task switch, the way Sleep and Await are built: the
// running task parks, and whoever has what it waits for unparks it. A
// Parker is a small comparable value; keep it in your waiter list.
type Parker struct{ t *taskBase }

// ParkerFor returns the Parker of the task ctx belongs to, which must be the
// running task of its loop (else ErrNotInTask, or ErrWrongLoop when want is
// not nil and is another loop).
func ParkerFor(ctx context.Context, want *Loop) (Parker, error) {
	t, err := currentTask(ctx, want)
	if err != nil {
		return Parker{}, errs.Op("eventloop", "ParkerFor", err)
	}
	return Parker{t}, nil
}

// host runs the loop on t's goroutine while t is parked (see above) and
// returns what suspend would: true when t was woken, false when the loop
// unwinds t. t is the running task and canHost said yes. It pushes t on
// the chain of hosts, calls hostRun, pops t and ends with hostDone.
// (Parker.Park writes it out: see the mirror there.)
func (l *Loop) host(t *taskBase) bool {
	outer := l.hostTask
	l.hostTask, t.hosting = t, true
	l.hostDepth++
	l.hostRun()
	l.hostDepth--
	l.hostTask, t.hosting = outer, false
	return l.hostDone(t)
}

// LoopOfTask returns the loop of the task ctx belongs to, which must be
// the running task of its loop: the check every await makes before it
// does anything. Otherwise it returns an error wrapping ErrNotInTask that
// says why (a nil ctx, a ctx that carries no loop, a loop's root context,
// another task's context, a call from a callback or another goroutine);
// callers wrap it with their operation's name.
func LoopOfTask(ctx context.Context) (*Loop, error) {
	t, err := currentTask(ctx, nil)
	if err != nil {
		return nil, err
	}
	return t.loop, nil
}

// Park suspends the task until Unpark, or until ctx is cancelled. It
// returns nil after Unpark, ErrCancelled (ErrTimeout in an expired scope)
// after a cancellation, and ErrClosed when the loop is closing. An
// Unpark that comes first wins over a later cancellation: the caller got
// what it waited for and must not lose it. Park on an already cancelled
// ctx returns at once. No allocation.
//
// Cancellation: when Park returns an error the caller is no longer
// waiting; it must remove itself from its waiter list (and, if it was
// unparked meanwhile by a hand-off the error makes it refuse, pass that on).
func (p Parker) Park(ctx context.Context) error {
	// This is the one frame of the loop's own between an await and the
	// task switch (the internal awaits call it too, through park): each
	// frame live across the switch costs a mispredicted return when the
	// task resumes (see hostRun), so the body is here rather than behind a
	// wrapper that callers in other packages might not inline. The rare
	// parts (a standard-library ctx, giving the loop back after hosting)
	// are out of line, where they cost nothing on the common path.
	t := p.t
	if err := ctxError(ctx); err != nil {
		return err
	}
	l := t.loop
	if l.trackAwaits {
		// Skip runtime.Callers, recordAwait and Park: the first PC is
		// Park's caller (a library's await, or park for Sleep and WaitDone).
		t.recordAwait(3)
	}
	for {
		t.waitGen++
		var stop func() bool
		sc := ownScope(ctx) // the scope t is registered on as waiter
		if sc != nil && sc.task == t {
			sc.waiting = true
		} else if sc = nil; ctx.Done() != nil {
			sc, stop = t.watch(ctx)
		}
		t.parked = true
		var ok bool
		if l.canHost() {
			// Mirror of host: its body, written out (one frame fewer across
			// the switch). TestMirrorsMatch compares the two statement by
			// statement; change both.
			outer := l.hostTask
			l.hostTask, t.hosting = t, true
			l.hostDepth++
			l.hostRun()
			l.hostDepth--
			l.hostTask, t.hosting = outer, false
			ok = l.hostDone(t)
		} else {
			ok = t.suspend()
		}
		t.parked = false
		if sc != nil {
			sc.waiting = false
		}
		if stop != nil {
			stop()
		}
		switch {
		case !ok:
			return ErrClosed
		case !t.wakeCancel:
			return nil
		}
		if err := ctxError(ctx); err != nil {
			return err
		}
		// A wake-up from a scope that ctx does not actually inherit
		// cancellation from (a standard-library layer such as
		// WithoutCancel sits in between): park again.
	}
}

// Unpark schedules the parked task to resume on the loop's next iteration
// (through the ready queue, never inline). It does nothing if the task is
// not parked or already being woken. Loop goroutine (or running task)
// only. O(1), no allocation.
func (p Parker) Unpark() {
	if p.t != nil {
		p.t.loop.unpark(p.t, false)
	}
}

// Loop returns the loop of the task.
func (p Parker) Loop() *Loop { return p.t.loop }

// Task returns the task the Parker parks.
func (p Parker) Task() TaskInfo { return p.t.self }

// Sleep suspends the calling task for d of loop time. Sleep(ctx, 0) (or a
// negative d) yields to the loop for exactly one iteration.
//
// Cancellation: returns ErrCancelled (ErrTimeout in a timed-out scope) as
// soon as ctx is cancelled; the timer is removed.
func Sleep(ctx context.Context, d time.Duration) error {
	t, err := currentTask(ctx, nil)
	if err != nil {
		return errs.Op("eventloop", "Sleep", err)
	}
	if err := ctxError(ctx); err != nil {
		return err
	}
	l := t.loop
	if d <= 0 {
		// Mirror of Park (above): the same parking, minus the waiter
		// registration (t's step is queued at once), hosting included.
		// TestHostingKeepsOrder's workload yields this way while hosting.
		// Yield for one iteration: park without the waiter registration.
		// t's step is queued at once, so a cancellation meanwhile could
		// queue nothing (the first wake-up wins); the ctx check after the
		// switch sees it. Written out here rather than calling park: every
		// frame of a parked task is unwound by the garbage collector at
		// every cycle, and with 100k tasks parked in Sleep(ctx, 0) (W2)
		// stack scanning is a large share of a task's cost.
		if l.trackAwaits {
			t.recordAwait(2)
		}
		t.waitGen++
		t.parked = true
		l.unpark(t, false)
		var ok bool
		if l.canHost() {
			ok = l.host(t)
		} else {
			ok = t.suspend()
		}
		t.parked = false
		if !ok {
			return ErrClosed
		}
		return ctxError(ctx) // a cancellation that came before the task ran wins
	}
	id := l.timers.Push(deadlineAfter(l.clock.Now(), d), timerValue{t: t})
	if err := t.park(ctx); err != nil {
		l.timers.Cancel(id)
		return err
	}
	return ctxError(ctx) // a cancellation that came before the task ran wins
}
