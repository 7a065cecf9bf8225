package locks

import (
	"context"
	"fmt"

	"github.com/aio-go/aio/eventloop"
	"github.com/aio-go/aio/internal/errs"

	"github.com/aio-go/aio/internal/parking"
)

// Condition is a condition variable for the tasks of one loop
// (asyncio.Condition): tasks holding its lock Wait until another task
// Notifies them.
//
// Waiters are notified in FIFO order. A notified task re-acquires the lock
// before its Wait returns, queueing for it like any other Acquire.
//
// The zero Condition has a lock of its own and is ready to use;
// NewCondition shares an existing Lock. A Condition binds to the loop of
// its first await; its methods are for that loop's goroutine only.
type Condition struct {
	l       *Lock // nil: own
	own     Lock
	b       parking.Binder
	waiters parking.Lot
}

// NewCondition returns a condition variable using lock, or a new lock of
// its own if lock is nil.
func NewCondition(lock *Lock) *Condition {
	return &Condition{l: lock}
}

// Lock returns the condition's lock.
func (c *Condition) Lock() *Lock {
	if c.l == nil {
		return &c.own
	}
	return c.l
}

// Acquire acquires the condition's lock; see Lock.Acquire.
//
// Cancellation: as Lock.Acquire: after an error the lock is not held; a
// lock handed over before the cancellation is kept (Acquire returns nil).
func (c *Condition) Acquire(ctx context.Context) error { return c.Lock().Acquire(ctx) }

// Release releases the condition's lock; see Lock.Release.
func (c *Condition) Release() error { return c.Lock().Release() }

// Locked reports whether the condition's lock is held.
func (c *Condition) Locked() bool { return c.Lock().Locked() }

// With acquires the condition's lock, runs fn and releases the lock on
// every way out of fn; see Lock.With.
//
// Cancellation: as Lock.Acquire; once fn runs, the lock is released
// whatever fn returns (a Wait inside fn re-acquires it before returning).
func (c *Condition) With(ctx context.Context, fn func(ctx context.Context) error) error {
	return c.Lock().With(ctx, fn)
}

// Wait releases the lock, waits until a Notify wakes the task, re-acquires
// the lock and returns nil. The caller must hold the lock (else
// ErrNotLocked). Like every condition variable it may return without the
// awaited state being true: check it again, or use WaitFor.
//
// Cancellation: Wait always holds the lock again when it returns, also
// after a cancellation: the re-acquisition ignores ctx. If ctx is
// cancelled before a Notify reaches the task, Wait returns
// eventloop.ErrCancelled (or eventloop.ErrTimeout) and the notification
// goes to another waiter. If the Notify came first, Wait returns nil. A
// Wait on an already cancelled ctx returns the error at once, without
// releasing the lock. Only a loop that is closing makes Wait return
// without the lock (eventloop.ErrClosed).
func (c *Condition) Wait(ctx context.Context) error {
	const op = "locks: Condition.Wait"
	p, err := c.b.Parker(ctx, op)
	if err != nil {
		return err
	}
	l := c.Lock()
	if _, err := l.b.Parker(ctx, op); err != nil { // the lock may be bound elsewhere
		return err
	}
	if !l.locked {
		return errs.Op("locks", op, ErrNotLocked)
	}
	if err := eventloop.AwaitError(ctx); err != nil {
		return err
	}
	l.release()
	r, err := c.waiters.Park(ctx, p)
	if aerr := l.acquireNoCancel(p); aerr != nil {
		return aerr
	}
	if r == notified {
		return nil
	}
	return err
}

// WaitFor waits until pred returns true: it checks pred, and Waits while
// it is false. pred runs with the lock held (the caller must hold it
// whenever pred is false, else ErrNotLocked).
//
// Cancellation: as Wait; the lock is held again whenever WaitFor returns
// (except when the loop is closing). On an already cancelled ctx it
// returns the error without calling pred.
func (c *Condition) WaitFor(ctx context.Context, pred func() bool) error {
	if _, err := c.b.Parker(ctx, "locks: Condition.WaitFor"); err != nil {
		return err
	}
	if err := eventloop.AwaitError(ctx); err != nil {
		return err
	}
	for !pred() {
		if err := c.Wait(ctx); err != nil {
			return err
		}
	}
	return nil
}

// Notify wakes up to n tasks waiting on the condition, longest waiting
// first. The caller must hold the lock (else ErrNotLocked); the woken
// tasks run once they re-acquire it, so the caller should release it.
func (c *Condition) Notify(n int) error {
	if c.b.Checked() { // inlined: no call while the loop is open and not debugging
		if err := c.b.Closed("locks: Condition.Notify"); err != nil {
			return err
		}
	}
	if !c.Lock().locked {
		return fmt.Errorf("locks: Condition.Notify: %w", ErrNotLocked)
	}
	c.waiters.WakeN(n, notified)
	return nil
}

// NotifyAll wakes every task waiting on the condition. The caller must
// hold the lock (else ErrNotLocked).
func (c *Condition) NotifyAll() error {
	if c.b.Checked() { // inlined: no call while the loop is open and not debugging
		if err := c.b.Closed("locks: Condition.NotifyAll"); err != nil {
			return err
		}
	}
	if !c.Lock().locked {
		return fmt.Errorf("locks: Condition.NotifyAll: %w", ErrNotLocked)
	}
	c.waiters.WakeAll(notified)
	return nil
}

func (c *Condition) String() string {
	return describe("Condition", lockedWord(c.Lock().locked), c.waiters.Len())
}
