package task

import (
	"context"
	"fmt"

	"github.com/aio-go/aio/eventloop"
)

// A channel await cannot block the loop goroutine on the channel, so when
// the channel is not ready at once a helper goroutine does the blocking
// select and posts the outcome back with CallSoonThreadsafe. One helper
// per await that has to wait, gone when the await returns. The other
// design, one multiplexer goroutine per loop running reflect.Select over
// every awaited channel, measured about half the cost in its best case
// (two cases: 460-580 ns against 860-910 ns per wait,
// BenchmarkChanMechanism*), but each await added or removed must
// interrupt its select through a control channel and rebuild the case
// slice, which makes every wake-up O(n) in the awaits in flight and
// couples unrelated awaits; the helper is O(1) and independent. A Recv
// that can complete at once costs one select (about 38 ns) either way.

// chanWait is the state one channel await shares with its helper.
type chanWait[T any] struct {
	p    eventloop.Parker
	stop chan struct{} // closed by the task when it gives up
	done chan struct{} // closed by the helper once outcome is set
	// Written by the helper before done is closed, read by the task after.
	v   T
	ok  bool // the receive got a value (not a closed channel) / the send happened
	hit bool // the helper completed the channel operation
	// Loop goroutine only.
	posted    bool // the helper's wake-up ran
	abandoned bool // the task stopped waiting: a late wake-up must not unpark it
}

// wake runs on the loop: the helper finished.
func (w *chanWait[T]) wake() {
	w.posted = true
	if !w.abandoned {
		w.p.Unpark()
	}
}

// finish is the helper's last act: publish, then post the wake-up. A loop
// that is closed takes no post; the task then reads done itself.
func (w *chanWait[T]) finish() {
	close(w.done)
	_ = w.p.Loop().CallSoonThreadsafe(w.wake)
}

// park waits for the helper. On a cancellation it stops the helper and
// waits for it (a few microseconds at most: the helper is in a select on
// stop, or about to post): whatever the helper did is then known, so no
// value is lost and no send half happens.
func (w *chanWait[T]) park(ctx context.Context) error {
	for {
		err := w.p.Park(ctx)
		if err == nil && !w.posted {
			continue // a wake-up that is not the helper's cannot happen, but be safe
		}
		if err != nil {
			w.abandoned = true
			close(w.stop)
			<-w.done
		}
		if w.hit {
			return nil // the operation happened: it wins over the cancellation
		}
		return err
	}
}

// Recv receives from ch without blocking the loop: an await (a task's ctx
// only). It returns the value and true, or the zero value and false once ch
// is closed and drained, as v, ok := <-ch does. A receive that can complete
// at once costs one select; one that has to wait starts a helper goroutine
// (about a microsecond and one wake-up of the loop), which is gone when
// Recv returns. A nil channel waits until ctx is cancelled.
//
// Cancellation: returns ErrCancelled (ErrTimeout in an expired scope) and
// receives nothing: a value is never taken from ch and dropped. When the
// value arrives in the same instant as the cancellation, the value wins
// and Recv returns it with a nil error; the next await sees the
// cancellation.
func Recv[T any](ctx context.Context, ch <-chan T) (T, bool, error) {
	var zero T
	p, err := eventloop.ParkerFor(ctx, nil)
	if err != nil {
		return zero, false, fmt.Errorf("task: Recv: %w", err)
	}
	if err := eventloop.AwaitError(ctx); err != nil {
		return zero, false, err
	}
	select {
	case v, ok := <-ch:
		return v, ok, nil
	default:
	}
	w := &chanWait[T]{p: p, stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		select {
		case w.v, w.ok = <-ch:
			w.hit = true
		case <-w.stop:
		}
		w.finish()
	}()
	if err := w.park(ctx); err != nil {
		return zero, false, err
	}
	return w.v, w.ok, nil
}

// Send sends v on ch without blocking the loop: an await (a task's ctx
// only), the counterpart of Recv, with the same costs. Sending on a
// closed channel panics, as ch <- v does (in the task, where the panic
// becomes the task's error). A nil channel waits until ctx is cancelled.
//
// Cancellation: returns ErrCancelled (ErrTimeout in an expired scope) and
// v was not sent. When the send completes in the same instant as the
// cancellation, the send wins: Send returns nil and v was delivered.
func Send[T any](ctx context.Context, ch chan<- T, v T) error {
	p, err := eventloop.ParkerFor(ctx, nil)
	if err != nil {
		return fmt.Errorf("task: Send: %w", err)
	}
	if err := eventloop.AwaitError(ctx); err != nil {
		return err
	}
	select {
	case ch <- v:
		return nil
	default:
	}
	w := &chanWait[T]{p: p, stop: make(chan struct{}), done: make(chan struct{})}
	var closedPanic any
	go func() {
		defer w.finish()
		defer func() { closedPanic = recover() }()
		select {
		case ch <- v:
			w.hit = true
		case <-w.stop:
		}
	}()
	err = w.park(ctx)
	if closedPanic != nil {
		panic(closedPanic) // send on closed channel, re-raised in the task
	}
	return err
}

// WaitCancelled parks the task until ctx is cancelled and returns the
// cancellation (ErrCancelled, or ErrTimeout in an expired scope): the
// loop-friendly spelling of <-ctx.Done(), which in a task blocks the
// loop goroutine itself, so that nothing else runs (no I/O, no timer, not
// even the cancellation that would end the wait). It returns ErrClosed
// when the loop closes first. It costs no goroutine for the task's own
// scopes; a ctx from the standard library (context.WithCancel over the
// task's) is watched through context.AfterFunc.
//
// Cancellation: ending on cancellation is its purpose; nothing is lost.
func WaitCancelled(ctx context.Context) error {
	p, err := eventloop.ParkerFor(ctx, nil)
	if err != nil {
		return fmt.Errorf("task: WaitCancelled: %w", err)
	}
	for {
		if err := p.Park(ctx); err != nil {
			return err
		}
		// An Unpark that was not a cancellation: nobody else holds this
		// Parker, so park again.
	}
}
