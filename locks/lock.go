package locks

import (
	"context"
	"errors"
	"fmt"

	"github.com/aio-go/aio/eventloop"
	"github.com/aio-go/aio/internal/parking"
)

// Reasons a waiter of this package is woken with.
const (
	granted  parking.Reason = 1 + iota // the lock or a permit now belongs to the waiter
	notified                           // Event.Set, Condition.Notify
	changed                            // Barrier: the state changed, look again
)

var errNilFunc = errors.New("locks: With: nil function")

// Lock is a mutual-exclusion lock for the tasks of one loop (asyncio.Lock).
// Like asyncio's, it is not owned by a task: any task may release it.
//
// Tasks that find it locked wait in FIFO order, and Release hands the lock
// straight to the first of them: it stays locked in between, so a task
// that calls Acquire after the Release but before the woken task runs
// queues behind it (no barging).
//
// The zero Lock is unlocked and ready to use. A Lock binds to the loop of
// its first Acquire; awaiting it from another loop is an error. Its
// methods are for that loop's goroutine (its tasks and callbacks) only.
type Lock struct {
	b       parking.Binder
	waiters parking.Lot
	locked  bool // also while the lock is on its way to a woken waiter
}

// Acquire waits until the lock is free, then locks it. It returns nil once
// the calling task holds the lock. Uncontended it costs a few nanoseconds
// and allocates nothing.
//
// Cancellation: if ctx is cancelled before the lock is handed to the task,
// Acquire returns eventloop.ErrCancelled (eventloop.ErrTimeout in an
// expired timeout scope) and the task does not hold the lock; a Release
// meanwhile goes to the next waiter. If the lock was handed over first,
// Acquire returns nil even when ctx was cancelled afterwards: the task
// holds the lock and must release it (the cancellation shows at its next
// await). An Acquire on an already cancelled ctx fails at once, even if
// the lock is free.
func (m *Lock) Acquire(ctx context.Context) error {
	p, err := m.b.Parker(ctx, "locks: Lock.Acquire")
	if err != nil {
		return err
	}
	if err := eventloop.AwaitError(ctx); err != nil {
		return err
	}
	if !m.locked {
		m.locked = true
		return nil
	}
	r, err := m.waiters.Park(ctx, p)
	if r == granted {
		return nil
	}
	return err
}

// acquireNoCancel is Acquire that ignores cancellation (Condition.Wait
// must re-acquire the lock before it returns); only the loop closing ends
// it early. p is the Parker of the calling task.
func (m *Lock) acquireNoCancel(p eventloop.Parker) error {
	if !m.locked {
		m.locked = true
		return nil
	}
	r, err := m.waiters.Park(context.Background(), p)
	if r == granted {
		return nil
	}
	return err
}

// Release unlocks the lock, or hands it to the task that has waited
// longest, which then returns from Acquire on a later loop iteration. It
// returns ErrNotLocked if the lock is not locked. Never blocks.
func (m *Lock) Release() error {
	if m.b.Checked() { // inlined: no call while the loop is open and not debugging
		if err := m.b.Closed("locks: Lock.Release"); err != nil {
			return err
		}
	}
	if !m.locked {
		return fmt.Errorf("locks: Lock.Release: %w", ErrNotLocked)
	}
	m.release()
	return nil
}

func (m *Lock) release() {
	if !m.waiters.WakeOne(granted) {
		m.locked = false
	}
}

// Locked reports whether the lock is held, or promised to a woken task.
func (m *Lock) Locked() bool { return m.locked }

// With acquires the lock, runs fn and releases the lock on every way out
// of fn: a return or a panic (which then goes on). It returns the error of
// Acquire (then fn does not run), else fn's error, else the error of the
// final Release (ErrNotLocked if fn released the lock itself, which it
// must not do).
//
// Cancellation: as Acquire; once fn runs, the lock is released whatever
// fn returns.
func (m *Lock) With(ctx context.Context, fn func(ctx context.Context) error) (err error) {
	if fn == nil {
		return errNilFunc
	}
	if err := m.Acquire(ctx); err != nil {
		return err
	}
	defer func() {
		if rerr := m.Release(); err == nil {
			err = rerr
		}
	}()
	return fn(ctx)
}

func (m *Lock) String() string {
	return describe("Lock", lockedWord(m.locked), m.waiters.Len())
}

func lockedWord(locked bool) string {
	if locked {
		return "locked"
	}
	return "unlocked"
}

func describe(kind, state string, waiters int) string {
	if waiters > 0 {
		return fmt.Sprintf("locks.%s[%s, waiters:%d]", kind, state, waiters)
	}
	return fmt.Sprintf("locks.%s[%s]", kind, state)
}
