// Package locks provides synchronization primitives for the tasks of one
// event loop, with asyncio's semantics: Lock, Event, Condition, Semaphore,
// BoundedSemaphore and Barrier, and Trio's CapacityLimiter.
//
// They coordinate tasks, not goroutines: every method runs on the loop's
// goroutine (in a task or a callback), and no mutex is involved. Awaits
// (Acquire, Wait) take the task's ctx, as every await in aio does
// (docs/design.md D3, D4).
//
// # Fairness
//
// Waiting tasks are served in FIFO order, and what a release frees is
// handed straight to the task that waited longest: the lock (or permit)
// stays taken while that task is on its way, so a task that asks after the
// release, but before the woken task runs, waits behind it, the releaser
// itself included. There is no barging. Locked reports true during such a
// hand-off, and a Semaphore with permits free stays locked until the tasks
// it woke have run; the first of them hands the free permits on to the
// tasks queued behind it.
//
// # Cancellation
//
// Cancellation comes through ctx and is level-triggered: an await on a
// cancelled ctx returns an error matching both eventloop.ErrCancelled and
// context.Canceled (eventloop.ErrTimeout and context.DeadlineExceeded in
// an expired timeout scope). Nothing is lost either way a cancellation
// races with a wake-up:
//
//   - A task cancelled while it waits is skipped by later releases and
//     notifications: what they free goes to the next waiter.
//   - A task that was handed the lock, a permit or a notification before
//     its cancellation reached it keeps it: its await returns nil, and the
//     cancellation shows at its next await. (asyncio's tasks instead raise
//     CancelledError and pass the wake-up on; the outcome, nothing lost and
//     nobody skipped, is the same.)
//
// Condition.Wait holds the lock again whenever it returns, even after a
// cancellation.
//
// # Scoped use
//
// Lock, Semaphore, BoundedSemaphore and Condition have With, the form of
// asyncio's "async with": it acquires, runs a function, and releases on
// every way out of it.
//
// # Misuse
//
// Misuse is an error, never a panic or a hang: releasing an unlocked Lock
// or a BoundedSemaphore too often, Notify or Wait without holding the
// Condition's lock, awaiting from a goroutine or callback that is not the
// task of ctx (eventloop.ErrNotInTask), from a task of another loop than
// the one the primitive is bound to (eventloop.ErrWrongLoop), or after
// that loop closed (eventloop.ErrClosed).
//
// Two kinds of misuse the loop cannot see outside debug mode
// (eventloop.WithDebug): a goroutine that borrows the ctx of the very task
// that is running at that moment, and a non-awaiting method (Release, Set,
// Notify) called from another goroutine. Both are data races; post such
// calls to the loop with Loop.CallSoonThreadsafe.
package locks
