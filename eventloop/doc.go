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
// context.DeadlineExceeded in a timed-out scope). The coroutine core lives
// here, with the loop, because futures, timers and parked tasks share its
// unexported state: that is what lets an await cost no allocation.
//
// # Libraries on top
//
// Networking lives in package transport, files in package files, child
// processes in subprocess: each is built on this package's public API
// only. What they need from the loop is small and public: AddReader and
// AddWriter for descriptors, Parker to park a task until a callback wakes
// it, Watch to hear of a future's completion, Track so that Close names
// and releases what they own, and Local for state they keep per loop.
//
// Package task builds asyncio's high-level API (Run, Gather, Wait,
// TaskGroup, ...) on these pieces.
package eventloop
