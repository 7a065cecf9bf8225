// Package task is asyncio's high-level task API in Go form: Run, Go,
// Gather, Wait, WaitFor, Timeout, Shield, AsCompleted, TaskGroup (with
// Trio's Cancel and Start and errgroup's SetLimit), ToThread (with a
// caller's Executor and a Limiter) and RunCoroutineThreadsafe, and the
// awaits that meet plain goroutines: Recv and Send on channels, and
// WaitCancelled, the loop-friendly <-ctx.Done() (docs/go-interop.md).
//
// A task is a plain Go function func(ctx context.Context) (T, error) that
// runs as a coroutine on an event loop; it awaits by calling functions
// that take its ctx. The coroutine core itself (eventloop.Spawn,
// eventloop.Sleep, eventloop.Await, eventloop.Task, eventloop.Future, the
// errors ErrCancelled and ErrTimeout) lives in package eventloop, its one
// home; this package builds the combinators on it. Cancellation flows
// through ctx (docs/design.md, D4): every await on a cancelled ctx returns
// an error matching both eventloop.ErrCancelled and context.Canceled, or
// eventloop.ErrTimeout and context.DeadlineExceeded when a Timeout scope
// expired. A failure joined with a cancellation (a child that failed
// while cleaning up) is a failure, never taken for a cancellation: the
// rule is eventloop.IsOnlyCancellation. Run cancels main on the first
// SIGINT (ErrInterrupted), as asyncio.run does.
// docs/cancellation.md compares the model with asyncio's, side by side.
package task
