// Package queue provides queues for the tasks of one event loop, with
// asyncio's semantics: Queue (FIFO), LifoQueue and PriorityQueue, each
// optionally bounded, with task accounting (TaskDone, Join) and shutdown
// (Python 3.13).
//
// Blocking and not: Put and Get wait (they take the task's ctx, as every
// await in aio does); PutNowait and GetNowait never wait and return
// ErrQueueFull or ErrQueueEmpty instead, asyncio's put_nowait and
// get_nowait. Every method runs on the loop's goroutine, in a task or a
// callback; to exchange items with other goroutines, use Threadsafe, a
// janus-style queue with a goroutine end (Sync) and a task end (Async).
//
// Misuse is an error, never a panic: an await from a goroutine or callback
// that is not the task of ctx (eventloop.ErrNotInTask), from a task of
// another loop than the one the queue is bound to (eventloop.ErrWrongLoop),
// or after that loop closed (eventloop.ErrClosed). Outside debug mode
// (eventloop.WithDebug) the loop cannot see a goroutine that borrows the
// ctx of the task running at that moment, nor a Nowait method called from
// another goroutine: both are data races.
//
// # Fairness
//
// Waiting getters (and putters of a full queue) are served in FIFO order.
// An item put while getters wait is reserved for the one that waited
// longest; it stays in the queue until that getter runs, but nobody else
// can take it, so Qsize does not count it. Free room is reserved for
// waiting putters the same way. There is no barging.
//
// # Cancellation
//
// Cancellation comes through ctx and is level-triggered: an await on a
// cancelled ctx returns an error matching both eventloop.ErrCancelled and
// context.Canceled (eventloop.ErrTimeout and context.DeadlineExceeded in
// an expired timeout scope). No item is lost or invented:
//
//   - A Get cancelled while it waits takes nothing; items put meanwhile go
//     to the next getter. A Put cancelled while it waits leaves nothing in
//     the queue; room freed meanwhile goes to the next putter.
//   - A Get or Put for which an item or room was reserved before the
//     cancellation reached it completes and returns nil; the cancellation
//     shows at the task's next await.
//
// # Shutdown
//
// Shutdown(false) makes puts fail with ErrQueueShutdown and lets gets
// drain what is left, then fail the same way; Shutdown(true) also drops
// what is left, counting it done for Join. Either wakes every waiting Put
// and Get. The All iterator ranges over items until a shut-down queue is
// empty.
package queue
