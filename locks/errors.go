package locks

import "errors"

// Errors of misuse and of a broken barrier. Misuse that the loop detects
// (an await outside a task, from another loop, after the loop closed)
// comes back wrapping eventloop.ErrNotInTask, eventloop.ErrWrongLoop or
// eventloop.ErrClosed.
var (
	// ErrNotLocked is returned by Lock.Release on an unlocked Lock, and by
	// Condition.Wait, Notify and NotifyAll when the condition's lock is
	// not held (asyncio's RuntimeError).
	ErrNotLocked = errors.New("locks: lock is not acquired")
	// ErrReleasedTooMany is returned by BoundedSemaphore.Release when the
	// release would raise the counter above its initial value (asyncio's
	// ValueError).
	ErrReleasedTooMany = errors.New("locks: BoundedSemaphore released too many times")
	// ErrBrokenBarrier is returned by Barrier.Wait when the barrier is
	// broken (Abort), or is reset or aborted while the task waits
	// (asyncio's BrokenBarrierError).
	ErrBrokenBarrier = errors.New("locks: barrier is broken")
)
