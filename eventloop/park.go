package eventloop

import "context"

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
		return Parker{}, err
	}
	return Parker{t}, nil
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
	if err := ctxError(ctx); err != nil {
		return err
	}
	return p.t.park(ctx)
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
