// Package task is asyncio's high-level task API in Go form: Run, Spawn,
// Sleep, Gather, Wait, WaitFor, Timeout, Shield, AsCompleted, TaskGroup,
// ToThread and RunCoroutineThreadsafe.
//
// A task is a plain Go function func(ctx context.Context) (T, error) that
// runs as a coroutine on an event loop; it awaits by calling functions
// that take its ctx. Cancellation flows through that ctx (DESIGN.md D4):
// every await on a cancelled ctx returns an error matching both
// ErrCancelled and context.Canceled, or ErrTimeout and
// context.DeadlineExceeded when a Timeout scope expired.
// docs/cancellation.md compares the model with asyncio's, side by side.
package task
