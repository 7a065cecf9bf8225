package task

import (
	"context"
	"fmt"
	"runtime/debug"
	"sync"

	"github.com/aio-go/aio/internal/errs"

	"github.com/aio-go/aio/eventloop"
)

// ToThread runs fn on a goroutine of an executor and awaits its result
// (asyncio.to_thread, and loop.run_in_executor(executor, ...) with
// WithExecutor): the way out for blocking calls, which must never run on
// the loop. fn receives ctx so it can stop early. A panic in fn comes
// back as a *eventloop.PanicError. By default fn runs on the loop's
// default executor (WithExecutorWorkers goroutines at most, shared by
// every caller); WithExecutor gives it another one, and WithLimiter
// bounds how many calls sharing a limiter run at once.
//
// Cancellation: while waiting for the limiter, returns ErrCancelled and
// fn never starts. Once fn started, returns ErrCancelled at once; fn
// keeps running on its goroutine (it sees ctx cancelled), its result is
// dropped, and the limiter's token stays taken until fn returns, so the
// bound holds for goroutines that are really running. On a ctx that is
// already cancelled, or that is not the running task's, fn is not started
// at all.
func ToThread[T any](ctx context.Context, fn func(ctx context.Context) (T, error), opts ...ThreadOption) (T, error) {
	var zero T
	l := eventloop.LoopOf(ctx)
	if l == nil || fn == nil {
		return zero, errs.Op("task", "ToThread", fmt.Errorf("%w: nil function or a context without a loop", eventloop.ErrNotInTask))
	}
	// Check that this await can happen before starting fn: a goroutine
	// cannot be taken back.
	if eventloop.CurrentTask(ctx) == nil {
		return zero, errs.Op("task", "ToThread", fmt.Errorf("%w: the context is not the running task's", eventloop.ErrNotInTask))
	}
	if err := eventloop.AwaitError(ctx); err != nil {
		return zero, err
	}
	var cf threadConfig
	for _, o := range opts {
		if o != nil {
			o(&cf)
		}
	}
	if cf.exec == nil && cf.limit == nil {
		return eventloop.Await(ctx, eventloop.RunInExecutor(l, func() (T, error) { return fn(ctx) }))
	}
	return toThread(ctx, l, fn, &cf)
}

func toThread[T any](ctx context.Context, l *eventloop.Loop, fn func(ctx context.Context) (T, error), cf *threadConfig) (T, error) {
	var zero T
	if cf.limit != nil {
		if err := cf.limit.Acquire(ctx); err != nil {
			return zero, err
		}
	}
	// release gives the token back on the loop, once fn has returned.
	release := func() {
		if cf.limit == nil {
			return
		}
		if err := cf.limit.Release(); err != nil {
			l.CallExceptionHandler(eventloop.ExceptionContext{Message: "ToThread: limiter release failed", Err: err})
		}
	}
	if cf.exec == nil {
		f := eventloop.RunInExecutor(l, func() (T, error) {
			defer l.CallSoonThreadsafe(release)
			return fn(ctx)
		})
		if f.Done() { // refused: fn will not run
			release()
		}
		return eventloop.Await(ctx, f)
	}
	f := eventloop.NewFuture[T](l)
	err := cf.exec.Execute(func() {
		v, err := callRecover(ctx, fn)
		l.CallSoonThreadsafe(func() {
			release()
			if !f.Done() {
				if err != nil {
					f.SetError(err)
				} else {
					f.SetResult(v)
				}
			}
		})
	})
	if err != nil {
		release()
		return zero, errs.Op("task", "ToThread", fmt.Errorf("the executor refused the call: %w", err))
	}
	return eventloop.Await(ctx, f)
}

func callRecover[T any](ctx context.Context, fn func(ctx context.Context) (T, error)) (v T, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = &eventloop.PanicError{Value: r, Stack: debug.Stack()}
		}
	}()
	return fn(ctx)
}

// Executor runs functions on goroutines other than the caller's: what
// ToThread's WithExecutor takes (the executor argument of asyncio's
// loop.run_in_executor). Execute is called on the loop goroutine, so it
// must not block: start fn (on a new goroutine, a worker of a pool, ...)
// or queue it, and return; an error means fn will never run (the
// executor is shut down or its queue is full), and ToThread returns it.
// Execute may be called again before an earlier fn has returned.
type Executor interface {
	Execute(fn func()) error
}

// ExecutorFunc adapts a function to Executor.
type ExecutorFunc func(fn func()) error

// Execute calls e(fn).
func (e ExecutorFunc) Execute(fn func()) error { return e(fn) }

// Limiter bounds how many ToThread calls run at once (the limiter of
// Trio's to_thread.run_sync): Acquire is an await taking a token,
// Release gives it back. Both are called on the loop goroutine.
// *locks.CapacityLimiter and *locks.BoundedSemaphore satisfy it.
type Limiter interface {
	Acquire(ctx context.Context) error
	Release() error
}

// ThreadOption configures one ToThread call.
type ThreadOption func(*threadConfig)

type threadConfig struct {
	exec  Executor
	limit Limiter
}

// WithExecutor runs the call on e instead of the loop's default executor
// (asyncio's run_in_executor(executor, ...)). A nil e keeps the default.
func WithExecutor(e Executor) ThreadOption { return func(c *threadConfig) { c.exec = e } }

// WithLimiter makes the call take a token of lim before fn starts and
// give it back when fn returns, whether or not its caller still waits. A
// nil lim sets no limit.
func WithLimiter(lim Limiter) ThreadOption { return func(c *threadConfig) { c.limit = lim } }

// ConcurrentFuture is the result of RunCoroutineThreadsafe, for use from
// goroutines outside the loop (asyncio's concurrent.futures.Future). Its
// methods are safe from any goroutine.
type ConcurrentFuture[T any] struct {
	loop   *eventloop.Loop
	done   chan struct{}
	once   sync.Once
	mu     sync.Mutex // protects task
	task   *eventloop.Task[T]
	result T
	err    error
}

// RunCoroutineThreadsafe submits fn to run as a task on l, which is
// running on another goroutine, and returns at once
// (asyncio.run_coroutine_threadsafe). Safe from any goroutine. A closed
// (or nil) loop gives a ConcurrentFuture that is already done with the
// error; one that closes while fn runs completes it with ErrClosed.
func RunCoroutineThreadsafe[T any](l *eventloop.Loop, fn func(ctx context.Context) (T, error), opts ...eventloop.TaskOption) *ConcurrentFuture[T] {
	cf := &ConcurrentFuture[T]{loop: l, done: make(chan struct{})}
	if l == nil || fn == nil {
		cf.finish(*new(T), errs.Op("task", "RunCoroutineThreadsafe", fmt.Errorf("%w: nil loop or function", eventloop.ErrNilCallback)))
		return cf
	}
	err := l.CallSoonThreadsafe(func() {
		t := eventloop.Spawn(l.Context(), func(ctx context.Context) (v T, err error) {
			// Complete cf when fn returns, not only from the done
			// callback: when Close unwinds the task, the callbacks it
			// queues never run.
			defer func() {
				if r := recover(); r != nil {
					err = &eventloop.PanicError{Value: r, Stack: debug.Stack()}
				}
				cf.finish(v, err)
			}()
			return fn(ctx)
		}, opts...)
		cf.mu.Lock()
		cf.task = t
		cf.mu.Unlock()
		// For a task that ends without running (cancelled before its
		// first step); it also marks the task's error retrieved.
		t.AddDoneCallback(func(t *eventloop.Task[T]) { cf.finish(t.Result()) })
	})
	if err != nil {
		cf.finish(*new(T), err)
	}
	return cf
}

func (cf *ConcurrentFuture[T]) finish(v T, err error) {
	cf.once.Do(func() {
		cf.result, cf.err = v, err
		close(cf.done)
	})
}

// Done returns a channel closed when the result is ready.
func (cf *ConcurrentFuture[T]) Done() <-chan struct{} { return cf.done }

// Result blocks until the task is done or ctx is cancelled, and returns
// the task's result (or ctx's error; the task keeps running then).
func (cf *ConcurrentFuture[T]) Result(ctx context.Context) (T, error) {
	select {
	case <-cf.done:
		return cf.result, cf.err
	case <-ctx.Done():
		var zero T
		return zero, ctx.Err()
	}
}

// Cancel asks the loop to cancel the task. Safe from any goroutine; it
// does nothing once the result is ready or the loop is closed.
func (cf *ConcurrentFuture[T]) Cancel() {
	if cf.loop == nil {
		return
	}
	select {
	case <-cf.done:
		return
	default:
	}
	cf.loop.CallSoonThreadsafe(func() {
		cf.mu.Lock()
		t := cf.task
		cf.mu.Unlock()
		if t != nil {
			t.Cancel()
		}
	})
}
