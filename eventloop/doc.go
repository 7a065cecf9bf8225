// Package eventloop is the single-threaded run loop at the bottom of aio:
// a FIFO of ready callbacks, a timer heap, an OS poller for file
// descriptors, futures, and the coroutine core that tasks run on.
//
// # The loop
//
// A Loop runs on the goroutine that calls RunForever, RunUntilComplete or
// RunOnce. Everything it schedules — CallSoon and CallLater callbacks, I/O
// handlers, signal handlers, task steps — runs there, one at a time, in an
// order fixed by the ready queue (FIFO) and the timer heap (deadline, then
// order set). docs/architecture.md numbers the phases of one iteration.
// Other goroutines talk to a loop through CallSoonThreadsafe and Stop.
//
// # Tasks, futures and awaiting
//
// A Task is a function running as a coroutine: it is written in plain
// blocking style, and every await (Sleep, Await, a queue's Get) hands
// control back to the loop. Awaits take the task's context.Context:
// cancellation is a property of the context (level-triggered, as in Go and
// Trio), so an await on a cancelled context returns an error matching both
// ErrCancelled and context.Canceled (ErrTimeout and
// context.DeadlineExceeded in a timed-out scope). IsOnlyCancellation tells
// such an error from a failure joined with one. The coroutine core lives
// here, with the loop, because futures, timers and parked tasks share its
// unexported state: that is what lets an await cost no allocation.
//
// # Libraries on top
//
// Networking lives in package transport, files in package files, child
// processes in subprocess: each is built on this package's public API
// only. Applications rarely need the hooks they use; they are grouped
// here so library authors find them:
//
//   - awaits of your own: ParkerFor and Parker (park the running task
//     until a callback unparks it), AwaitError (the error an await on a
//     cancelled ctx returns);
//   - hearing of completions without a callback per waiter: Watch,
//     Unwatch and DoneWatcher;
//   - descriptors: AddReader, AddWriter, RemoveReader, RemoveWriter;
//     I/O that completes on goroutines: AddCompletionSource;
//   - lifetime: Track, Untrack and Resource, so Close names and releases
//     what a library owns;
//   - per-loop state: Local, SetLocal and WithLocal;
//   - guarding loop-only methods: Check and CheckNeeded.
//
// Package task builds asyncio's high-level API (Run, Gather, Wait,
// TaskGroup, ...) on these pieces.
package eventloop
