package eventloop

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
)

// Sentinel errors. Every error the package returns either is one of these or
// wraps one, so callers test with errors.Is.
var (
	// ErrClosed is returned by every loop method once Close has been called,
	// and by an await that is unwound because its loop is closing.
	ErrClosed = errors.New("eventloop: loop is closed")
	// ErrRunning is returned when an operation needs a loop that is not
	// running (RunForever, RunUntilComplete, RunOnce, Close on a running loop).
	ErrRunning = errors.New("eventloop: loop is already running")
	// ErrInvalidState is returned when a future's state forbids the call:
	// setting a result twice, reading the result of a pending future.
	ErrInvalidState = errors.New("eventloop: invalid state")
	// ErrNotInTask is returned by an await called outside a task of the
	// loop the context belongs to: from a plain goroutine, from a callback,
	// or with a context that carries no loop at all.
	ErrNotInTask = errors.New("eventloop: await outside a task")
	// ErrWrongLoop is returned when a future, task or context of one loop
	// is used from another loop.
	ErrWrongLoop = errors.New("eventloop: object belongs to another loop")
	// ErrWrongGoroutine is returned in debug mode when a loop-only method is
	// called from a goroutine that is neither the loop nor its running task.
	ErrWrongGoroutine = errors.New("eventloop: loop-only method called from another goroutine")
	// ErrNilCallback is returned when a nil function is given where a
	// callback or a task body is required.
	ErrNilCallback = errors.New("eventloop: nil callback")
	// ErrBadSignal is returned for a signal that cannot be handled
	// (SIGKILL, SIGSTOP, or not a valid signal number).
	ErrBadSignal = errors.New("eventloop: signal cannot be handled")
	// ErrNilResource is returned by Track for a nil Resource.
	ErrNilResource = errors.New("eventloop: nil resource")
	// ErrStopped is returned by RunUntilComplete when the loop was stopped
	// before the awaited future completed.
	ErrStopped = errors.New("eventloop: loop stopped before the future completed")
	// ErrNestedLoop is returned by RunForever, RunUntilComplete and RunOnce
	// when called from inside a running loop, from one of its callbacks
	// or tasks (asyncio: "Cannot run the event loop while another loop is
	// running"). A loop's callbacks and tasks must await instead; another
	// loop runs on a goroutine of its own.
	ErrNestedLoop = errors.New("eventloop: cannot run a loop from inside a running loop")
	// ErrAwaitSelf is returned by an await of a task on its own future
	// (asyncio: "Task cannot await on itself"): it would wait forever.
	ErrAwaitSelf = errors.New("eventloop: a task cannot await itself")
	// ErrNilWaitable is returned when a nil future or task (a nil
	// interface or a nil pointer) is given where one is awaited or run.
	ErrNilWaitable = errors.New("eventloop: nil future or task")
	// ErrGoexit is the error of a task ended by runtime.Goexit (t.FailNow
	// in a test calls it): its body called it, and the task ended, its
	// deferred calls having run, while the loop goes on; or, rarer, a
	// callback the task ran while it was parked called it (see Loop).
	ErrGoexit = errors.New("eventloop: task ended by runtime.Goexit")
)

// ErrCancelled is the error of a cancelled task, future or await. It matches
// context.Canceled too: errors.Is(ErrCancelled, context.Canceled) is true.
var ErrCancelled error = cancelledError{}

// ErrTimeout is the error of an await whose scope timed out. It matches
// context.DeadlineExceeded too.
var ErrTimeout error = timeoutError{}

type cancelledError struct{}

func (cancelledError) Error() string        { return "eventloop: cancelled" }
func (cancelledError) Is(target error) bool { return target == context.Canceled }

type timeoutError struct{}

func (timeoutError) Error() string        { return "eventloop: timed out" }
func (timeoutError) Is(target error) bool { return target == context.DeadlineExceeded }
func (timeoutError) Timeout() bool        { return true }

// AwaitError is the error an await on ctx returns: nil while ctx is live,
// ErrTimeout once its deadline passed, ErrCancelled for any other
// cancellation (both also match the context package's errors). Libraries
// building their own awaits use it to report cancellation the same way.
func AwaitError(ctx context.Context) error { return ctxError(ctx) }

func ctxError(ctx context.Context) error {
	switch err := ctx.Err(); err {
	case nil:
		return nil
	case context.DeadlineExceeded:
		return ErrTimeout
	default:
		return ErrCancelled
	}
}

// PanicError is the error a recovered panic becomes: the panic value and the
// stack of the goroutine that panicked.
type PanicError struct {
	Value any
	Stack []byte
}

func (e *PanicError) Error() string {
	return fmt.Sprintf("eventloop: panic: %v", e.Value)
}

// Unwrap returns the panic value when it is an error.
func (e *PanicError) Unwrap() error {
	err, _ := e.Value.(error)
	return err
}

// GoroutineError is the error debug mode returns when a loop-only method is
// called from the wrong goroutine. It matches ErrWrongGoroutine.
type GoroutineError struct {
	Method string // the method that was called, e.g. "CallSoon"
	Caller string // file:line of the caller
}

func (e *GoroutineError) Error() string {
	return fmt.Sprintf("eventloop: %s called from %s, which is neither the loop goroutine nor its running task; use CallSoonThreadsafe", e.Method, e.Caller)
}

// Is reports whether target is ErrWrongGoroutine.
func (e *GoroutineError) Is(target error) bool { return target == ErrWrongGoroutine }

// AliveError is what Close returns when the loop still owned live things:
// tasks not done, timers not fired, file descriptors watched, executor
// jobs running. Signal handlers are not among them: Close removes them
// quietly, as asyncio's close does. Close has released them all
// anyway; the error says what a well-behaved program should have finished.
type AliveError struct {
	Tasks    []string // names of tasks that were not done
	Timers   int      // pending (not cancelled) timers
	Readers  []int    // fds with a reader
	Writers  []int    // fds with a writer
	Executor int      // executor jobs still running
	// Resources describes what libraries registered with Track and had
	// not released, in the order they were tracked: transports and servers
	// with their addresses and descriptors ("tcp transport fd 7
	// 127.0.0.1:5000->127.0.0.1:40312"), child processes, open files.
	Resources []string
}

func (e *AliveError) Error() string {
	var parts []string
	if n := len(e.Tasks); n > 0 {
		parts = append(parts, fmt.Sprintf("%d task(s) %s", n, strings.Join(e.Tasks, ", ")))
	}
	if e.Timers > 0 {
		parts = append(parts, fmt.Sprintf("%d timer(s)", e.Timers))
	}
	if len(e.Readers) > 0 {
		parts = append(parts, fmt.Sprintf("readers on fds %v", e.Readers))
	}
	if len(e.Writers) > 0 {
		parts = append(parts, fmt.Sprintf("writers on fds %v", e.Writers))
	}
	if e.Executor > 0 {
		parts = append(parts, fmt.Sprintf("%d executor job(s)", e.Executor))
	}
	if len(e.Resources) > 0 {
		parts = append(parts, strings.Join(e.Resources, ", "))
	}
	return "eventloop: closed with live " + strings.Join(parts, "; ")
}

func sortedInts(m map[int]bool) []int {
	out := make([]int, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Ints(out)
	return out
}

// IsOnlyCancellation reports whether err is only a cancellation: ErrCancelled,
// ErrTimeout (or the context package's Canceled and DeadlineExceeded),
// possibly wrapped, or errors joined that are each only a cancellation.
// An error joined with a cancellation is not a cancellation:
// errors.Join(err, ErrCancelled) matches context.Canceled with errors.Is,
// yet it carries a failure (a task that failed while cleaning up after its
// cancellation), which must not be dropped. TaskGroup, Timeout, WaitFor,
// Gather and Run decide "was this only a cancellation" with it; see
// docs/cancellation.md. nil is not a cancellation.
func IsOnlyCancellation(err error) bool {
	if err == nil {
		return false
	}
	if err == context.Canceled || err == context.DeadlineExceeded {
		return true
	}
	if is, ok := err.(interface{ Is(error) bool }); ok && (is.Is(context.Canceled) || is.Is(context.DeadlineExceeded)) {
		return true
	}
	switch u := err.(type) {
	case interface{ Unwrap() []error }:
		some := false
		for _, e := range u.Unwrap() {
			if e == nil {
				continue
			}
			if !IsOnlyCancellation(e) {
				return false
			}
			some = true
		}
		return some
	case interface{ Unwrap() error }:
		return IsOnlyCancellation(u.Unwrap())
	}
	return false
}
