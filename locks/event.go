package locks

import (
	"context"

	"github.com/aio-go/aio/eventloop"

	"github.com/aio-go/aio/internal/parking"
)

// Event is a flag that tasks can wait for (asyncio.Event): Set raises it
// and wakes every waiting task, Clear lowers it.
//
// The woken tasks run in the order they started waiting, on a later loop
// iteration, after the callbacks and task steps that were already queued
// when Set ran (asyncio's order).
//
// The zero Event is clear and ready to use. An Event binds to the loop of
// its first Wait; its methods are for that loop's goroutine only.
type Event struct {
	b       parking.Binder
	waiters parking.Lot
	set     bool
}

// Set raises the flag and wakes every task waiting for it. Setting a set
// Event does nothing.
func (e *Event) Set() {
	if e.set {
		return
	}
	e.set = true
	e.waiters.WakeAll(notified)
}

// Clear lowers the flag; later Waits wait for the next Set. Tasks already
// woken by a Set still return nil.
func (e *Event) Clear() { e.set = false }

// IsSet reports whether the flag is raised.
func (e *Event) IsSet() bool { return e.set }

// Wait returns nil once the flag is raised: at once if it is set, else
// after the next Set (even if the flag is cleared again before the task
// runs).
//
// Cancellation: if ctx is cancelled before a Set wakes the task, Wait
// returns eventloop.ErrCancelled (or eventloop.ErrTimeout); nothing else
// changes. A Set that came first wins: Wait returns nil. A Wait on an
// already cancelled ctx fails at once, even if the flag is set.
func (e *Event) Wait(ctx context.Context) error {
	p, err := e.b.Parker(ctx, "locks: Event.Wait")
	if err != nil {
		return err
	}
	if err := eventloop.AwaitError(ctx); err != nil {
		return err
	}
	if e.set {
		return nil
	}
	r, err := e.waiters.Park(ctx, p)
	if r == notified {
		return nil
	}
	return err
}

func (e *Event) String() string {
	state := "unset"
	if e.set {
		state = "set"
	}
	return describe("Event", state, e.waiters.Len())
}
