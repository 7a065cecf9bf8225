package task

import (
	"context"
	"fmt"
	"runtime/debug"
	"sync"

	"github.com/aio-go/aio/eventloop"
)

// ToThread runs fn on a goroutine of the loop's default executor and
// awaits its result (asyncio.to_thread): the way out for blocking calls,
// which must never run on the loop. fn receives ctx so it can stop early.
// A panic in fn comes back as a *eventloop.PanicError.
//
// Cancellation: returns ErrCancelled at once; fn keeps running on its
// goroutine (it sees ctx cancelled) and its result is dropped. On a ctx
// that is already cancelled, or that is not the running task's, fn is not
// started at all.
func ToThread[T any](ctx context.Context, fn func(ctx context.Context) (T, error)) (T, error) {
	var zero T
	l := eventloop.LoopOf(ctx)
	if l == nil || fn == nil {
		return zero, fmt.Errorf("ToThread: %w: nil function or a context without a loop", eventloop.ErrNotInTask)
	}
	// Check that this await can happen before starting fn: a goroutine
	// cannot be taken back.
	if eventloop.CurrentTask(ctx) == nil {
		return zero, fmt.Errorf("ToThread: %w: the context is not the running task's", eventloop.ErrNotInTask)
	}
	if err := eventloop.AwaitError(ctx); err != nil {
		return zero, err
	}
	return eventloop.Await(ctx, eventloop.RunInExecutor(l, func() (T, error) { return fn(ctx) }))
}

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
		cf.finish(*new(T), fmt.Errorf("RunCoroutineThreadsafe: %w: nil loop or function", eventloop.ErrNilCallback))
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
