// Package parking is the FIFO waiter list (a parking lot) that every
// synchronization primitive of aio is built on: the locks in package locks
// and the queues in package queue. Fairness and cancellation are solved
// here once.
//
// # The protocol
//
// A task that must wait calls Lot.Park with its context and its
// eventloop.Parker. It joins the tail of the list and suspends. Whoever has
// what it waits for calls WakeOne, WakeN or WakeAll with a Reason: the
// first waiters leave the list, the Reason is written into them, and their
// tasks are scheduled through the loop's ready queue (never run inline), so
// they run after the callbacks already queued, in the order they were
// woken.
//
// Two rules make cancellation lossless:
//
//   - A waker never hands anything to a waiter whose context is already
//     cancelled: such a waiter is taken off the list and skipped, and its
//     own cancellation wake-up makes its Park return the error. What it
//     would have received goes to the next waiter instead.
//   - A waiter that was woken with a Reason keeps it, even if it is
//     cancelled (or its loop starts closing) before it runs: Park returns
//     that Reason, and the primitive completes the operation the Reason
//     promised. The cancellation is seen by the task's next await
//     (docs/design.md D4: cancellation is level-triggered, so nothing is lost by
//     letting one await that had already succeeded return its result).
//
// Together: no wake-up is given to a task that will not use it, and no
// wake-up that was given is dropped.
//
// # Cost
//
// Waiter records are recycled by their Lot, so parking allocates nothing
// once a Lot has seen its peak number of simultaneous waiters; Park, the
// wake-ups and the removal of a cancelled waiter are O(1).
//
// A Lot belongs to one loop: all its methods run on that loop's goroutine
// (a task or a callback of the loop).
package parking
